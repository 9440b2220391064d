// Deterministic release of intermediates, with no dispose: the library's own entry points (a grads call, a layer
// call, a composite op, backward, a fit or predict step) open a lifetime frame; every op output made inside is
// tracked, and when the frame ends what nothing can need any more is released at once (its wasm block reused by
// the very next op), whatever kind of loop runs around it and whenever the garbage collector runs.
//
// What a frame keeps when it ends:
// - what it returns, found in any structure (arrays, Maps, Sets, objects, class instances: `collect`), moved to the
//   enclosing frame, which decides again;
// - what the tape of a returned tensor still needs for backward (moved up too, marked tape-only unless user code
//   received it: `backward()` releases tape-only values once it has used them, as PyTorch frees saved tensors);
// - cells marked kept: `tg.keep(t)`, weights, optimizer and RNN state, tensors handed to hooks and op listeners.
// Everything else made in the frame is released. The rule users see: values made inside `tg.grads(f)` (and the
// other grads calls) that f does not return, and values made inside a layer's call that it does not return, are
// gone afterwards; reading one throws a ReleasedError that names it and says the fix (return it, or tg.keep it).
// NOTE: a frame that throws releases nothing (its tensors fall back to the garbage collector).
// NOTE: outside every frame (top-level user code) nothing is tracked: finalizers and eviction free such tensors.
// The public `tg.noGrad(fn)` is a 'user' frame too (what fn returns survives), so a top-level inference loop
// releases its intermediates at once; the library's own code uses tape.ts's plain, non-framing `noGrad`.
import { ValueError, fmtShape } from './errors.js';
import { type Cell, type ReleaseReason, type Storage, orphaned, releaseCell } from './storage.js';
import { currentScope, withRecording } from './tape.js';
import { Tensor } from './tensor.js';

/**
 * 'user': user code runs inside (grads f); 'internal': only library code does (a layer, a composite, backward);
 * 'keep': user code whose values a closure may hold (customGrad's forward): everything made inside is kept.
 */
export type FrameKind = 'user' | 'internal' | 'keep';

/**
 * One open frame. NOTE: the cells it owns are two parallel arrays and each cell points back at its frame
 * (`cell.frame`), not a Map: tracking an op output is two pushes, and the frame is also the release reason its
 * cells keep (the message is built only if a released value is read).
 */
class Frame implements ReleaseReason {
  /** Cells this frame allocated (a reshape view shares its input's cell and adds none), and who got each. */
  readonly cells: Cell[] = [];
  readonly owners: Tensor[] = [];
  constructor(
    readonly kind: FrameKind,
    /** What opened it, for error messages: `tg.grads`, `layer 'dense_1'`, `backward()`. */
    readonly what: string,
    /** Tensors made before this id are older than the frame. */
    readonly startId: number,
  ) {}
  /** Own a cell (made in this frame, or handed on by a child frame). */
  add(c: Cell, owner: Tensor): void {
    this.cells.push(c);
    this.owners.push(owner);
    c.frame = this;
    c.framed = true;
  }
  /** Set when the scan of the frame's result stopped at SCAN_LIMIT values (its error message says so). */
  partialScan = false;
  /** Set when what the frame returned holds something the scan does not look into (`opaque`), for messages. */
  opaque: string | null = null;
  message(owner: unknown): string {
    const scan = this.partialScan
      ? ` (NOTE: what it returned was scanned for tensors through ${SCANNED}, and the scan stopped after ${SCAN_LIMIT.toLocaleString('en-US')} values: a tensor past that point counts as not returned; return fewer values, or keep it with tg.keep(t) inside)`
      : '';
    const hidden =
      this.opaque !== null
        ? ` (NOTE: what it returned holds ${this.opaque}, which is not searched for returned tensors: only ${SCANNED} are; return the tensor itself, or in an array, a Map or a public field, or keep it with tg.keep(t) inside)`
        : '';
    return `${describe(owner as Tensor)} was released when ${this.what} ended; ${fix(this)}${scan}${hidden}`;
  }
}

const frames: Frame[] = [];
let releasing = true;
/** Epoch of the last frame end: a cell whose `mark` equals it is kept by that end. */
let epoch = 0;

/** True while a lifetime frame is open: what is allocated now is released when the frame ends, unless handed on. */
export const frameOpen = (): boolean => frames.length > 0;

/** Switch deterministic release off (everything falls back to the garbage collector) or on; returns the old state. */
export function setRelease(on: boolean): boolean {
  const prev = releasing;
  releasing = on;
  return prev;
}

/** Called by dispatch for every op output: `fresh` when its storage is new (not a view of an input's). */
export function track(t: Tensor, fresh: boolean, op: string): void {
  if (!fresh || frames.length === 0) return;
  const c = t.storage.cell;
  frames[frames.length - 1].add(c, t);
  c.op = op;
}

/**
 * Never release this tensor's values through a frame (TF.js `tf.keep`); returns it.
 * NOTE: kept values move to a plain array the garbage collector owns: state that is replaced every step (leaf
 * grads, optimizer slots, RNN states) then frees like any JS value, with no backend block waiting on a finalizer.
 */
export function keep<T extends Tensor | null | undefined>(t: T): T {
  if (t && !t.storage.cell.kept) {
    t.storage.materialize();
    t.storage.cell.kept = true;
  }
  return t;
}

/** `keep` every tensor in a value (a tensor, or any structure of them `collect` walks); returns the value. */
export function keepAll<T>(r: T): T {
  const ts: Tensor[] = [];
  collect(r, ts);
  for (const t of ts) keep(t);
  return r;
}

/** The most values one scan of a result looks at (array entries, Map and Set entries, properties). */
export const SCAN_LIMIT = 1_000_000;
/** What a scan walks, as error messages say it. */
const SCANNED =
  "arrays, Maps (keys and values), Sets, plain objects and class instances' own enumerable properties";
// NOTE: one visited set and one stack for every scan (no allocation per frame end); a scan runs no user code
// (getters are not called: only data properties are read), so scans never nest.
const visited = new Set<object>();
const pending: unknown[] = [];

/**
 * The first thing the last `collect` met that it does not look into (a function, a getter, a Promise, a weak
 * collection, a class instance's #private fields), said for error messages; null if none.
 * NOTE: only noted, on paths a tensor result never takes: a released value's message then says why a tensor the
 * user returned that way was not found (it reads as "return it" otherwise).
 */
let opaque: string | null = null;
const noteOpaque = (what: string): void => void (opaque ??= what);
/** Note `v` when the scan does not see into it (a function: its closure). */
const noteIfFunction = (v: unknown): void => {
  if (typeof v === 'function') noteOpaque('a function (its closure)');
};

/** Push the objects among `v`'s own enumerable data properties (getters are not called). */
function pushProps(v: object): number {
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const d = Object.getOwnPropertyDescriptor(v, keys[i]);
    if (d === undefined) continue;
    if (!('value' in d)) noteOpaque(`a getter '${keys[i]}'`);
    else if (d.value !== null && typeof d.value === 'object') pending.push(d.value);
    else noteIfFunction(d.value);
  }
  return keys.length;
}

/**
 * Note the kinds of objects whose contents the scan does not see past their own enumerable properties.
 * NOTE: read through descriptors and instanceof, so no getter runs (a scan runs no user code).
 */
function noteOpaqueObject(v: object): void {
  if (opaque !== null) return;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return;
  if (v instanceof Promise) noteOpaque('a Promise');
  else if (v instanceof WeakMap) noteOpaque('a WeakMap');
  else if (v instanceof WeakSet) noteOpaque('a WeakSet');
  else {
    const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    const name: unknown =
      typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name')?.value : undefined;
    noteOpaque(`an instance of ${typeof name === 'string' && name ? name : 'a class'} (its #private fields)`);
  }
}

/**
 * Every tensor in a result: a tensor, or any structure of them — arrays, Maps (keys and values), Sets, plain
 * objects and class instances' own enumerable data properties — at any depth, each object once (cycles end).
 * Returns false when the scan stopped after SCAN_LIMIT values (tensors past that point were not found).
 * NOTE: typed arrays, ArrayBuffers and functions are not looked into; a tensor's own fields are not walked.
 */
function collect(r: unknown, out: Tensor[]): boolean {
  opaque = null;
  if (r instanceof Tensor) {
    out.push(r);
    return true;
  }
  if (r === null || typeof r !== 'object') {
    noteIfFunction(r);
    return true;
  }
  let budget = SCAN_LIMIT;
  pending.push(r);
  try {
    while (pending.length > 0) {
      const v = pending.pop() as object;
      if (visited.has(v)) continue;
      visited.add(v);
      if (v instanceof Tensor) {
        out.push(v);
        continue;
      }
      if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) continue;
      if (budget <= 0) return false;
      if (Array.isArray(v)) {
        budget -= v.length;
        for (let i = 0; i < v.length; i++) {
          const e: unknown = v[i];
          if (e !== null && typeof e === 'object') pending.push(e);
          else noteIfFunction(e);
        }
      } else if (v instanceof Map) {
        budget -= v.size;
        for (const [k, e] of v) {
          if (k !== null && typeof k === 'object') pending.push(k);
          if (e !== null && typeof e === 'object') pending.push(e);
          else noteIfFunction(e);
        }
      } else if (v instanceof Set) {
        budget -= v.size;
        for (const e of v)
          if (e !== null && typeof e === 'object') pending.push(e);
          else noteIfFunction(e);
      } else {
        noteOpaqueObject(v);
        budget -= pushProps(v);
      }
    }
    return true;
  } finally {
    pending.length = 0;
    visited.clear();
  }
}

/**
 * Tensors of this frame that the tape of `roots` reaches (their recorded inputs, transitively).
 * NOTE: indexed loops, not for-of: until V8 optimizes them (a training run's first steps) for-of and destructuring
 * run the iterator protocol, ~0.5 µs and ~200 bytes a loop or pattern; this runs at every frame end (issue 12).
 */
function tapeNeeds(roots: Tensor[], startId: number): Tensor[] {
  const seen = new Set<Tensor>();
  const stack: Tensor[] = [];
  for (let i = 0; i < roots.length; i++) if (roots[i].node !== null) stack.push(roots[i]);
  const out: Tensor[] = [];
  while (stack.length) {
    const t = stack.pop()!;
    const ins = t.node!.inputs;
    for (let i = 0; i < ins.length; i++) {
      const x = ins[i];
      if (x.id < startId || seen.has(x)) continue;
      seen.add(x);
      out.push(x);
      if (x.node) stack.push(x);
    }
  }
  return out;
}

function describe(t: Tensor): string {
  const op = t.node?.op ?? t.storage.cell.op;
  const made = op ? `made by '${op}'${t.node?.scope ? ` in ${t.node.scope}` : ''}` : 'made';
  return `a ${fmtShape(t.shape)} ${t.dtype} tensor${t.name ? ` '${t.name}'` : ''} ${made}`;
}

function fix(f: Frame): string {
  return f.kind === 'user'
    ? `return it from the function given to ${f.what} (or read it with .data / tg.keep(t) inside)`
    : `keep it with tg.keep(t) where it is made, or return it from the call`;
}

/** End a frame: keep results and what their tape needs (moved to the parent), release the rest. */
function close(f: Frame, result: unknown): void {
  const parent = frames[frames.length - 1];
  const { cells, owners } = f;
  if (f.kind === 'keep') {
    for (let i = 0; i < cells.length; i++) cells[i].kept = true;
    return;
  }
  const results: Tensor[] = [];
  if (!collect(result, results)) f.partialScan = true;
  f.opaque = opaque;
  const keepMark = ++epoch;
  // NOTE: what only the tape needs first, then results: a cell shared by an internal tensor and a returned view
  // is the user's. The outermost internal frame has the last word (a layer's output inside a Sequential is
  // tape-only once the Sequential returns).
  const needs = tapeNeeds(results, f.startId);
  for (let i = 0; i < needs.length; i++) {
    const t = needs[i];
    const c = t.storage.cell;
    c.mark = keepMark;
    if (f.kind === 'internal' && c.frame === f) c.seen = 'tape';
  }
  for (let i = 0; i < results.length; i++) {
    const c = results[i].storage.cell;
    c.mark = keepMark;
    c.seen = 'user';
  }
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c.released !== null) continue;
    if (c.mark !== keepMark && !c.kept) {
      releaseCell(c, f, owners[i]);
      c.frame = null;
    } else handOn(c, owners[i], parent);
  }
  cells.length = 0; // NOTE: released cells keep f as their reason: it holds no tensors once closed
  owners.length = 0;
  flushOrphans();
}

/** Resident storages a frame end is handing on to top level (told to the backend at once, then emptied). */
const orphans: Storage[] = [];
/** Tell the backend what a frame end handed on to top level: a graph a top-level result keeps dies with it. */
function flushOrphans(): void {
  if (orphans.length === 0) return;
  orphaned(orphans);
  orphans.length = 0;
}

/** A cell outlives its frame: the enclosing frame owns it now, or, at top level, the garbage collector and the
 * budget do (a resident one is also watched by the backend: `flushOrphans`). */
function handOn(c: Cell, owner: Tensor, parent: Frame | undefined): void {
  if (parent) parent.add(c, owner);
  else {
    c.frame = null;
    c.framed = false;
    if (c.evict !== null) orphans.push(owner.storage);
  }
}

/** Run `fn` in a lifetime frame; see the file comment. */
export function withFrame<T>(kind: FrameKind, what: string, fn: () => T): T {
  if (!releasing) return fn();
  const f = new Frame(kind, what, Tensor.peekId());
  frames.push(f);
  let result: T;
  try {
    result = fn();
    if (kind === 'internal' && isThenable(result)) throw promiseRefused(f.what); // a layer's (user) call
  } catch (e) {
    frames.pop();
    const parent = frames[frames.length - 1];
    for (let i = 0; i < f.cells.length; i++) handOn(f.cells[i], f.owners[i], parent);
    flushOrphans();
    throw e;
  }
  frames.pop();
  close(f, result);
  return result;
}

/** Whether a frame's result is a Promise (or any thenable); a tensor is none (checked first: the usual result). */
const isThenable = (r: unknown): boolean =>
  r !== null &&
  typeof r === 'object' &&
  !(r instanceof Tensor) &&
  typeof (r as { then?: unknown }).then === 'function';

/**
 * The error for a frame whose function returned a Promise (an async layer call or Module forward): the frame ends
 * when the function returns, so what it made before its first `await` would be released under the code after it.
 * NOTE: thrown inside the frame, so nothing is released (as for any frame that throws).
 */
function promiseRefused(what: string): ValueError {
  return new ValueError(
    `${what} returned a Promise: a layer's call (a tg.nn.Module's forward) must be synchronous, like tf.tidy and ` +
      `tg.noGrad, because the values it makes are released when it returns, before the code after its first await ` +
      `runs. Await outside the call and pass it the data: \`const x = await load(); const y = net.forward(x);\``,
  );
}

/** A layer call's frame: the layer's name in what errors say. */
export const withLayerFrame = <T>(name: string, fn: () => T): T =>
  withFrame('internal', `the call of layer '${name}'`, fn);

/** Backward walks running now (autodiff.ts `backwardPass`): a released value read in one is a second backward. */
let walks = 0;
/** Run a backward walk (what a tape-only value read inside it was released by is a first backward). */
export function inBackwardWalk<T>(fn: () => T): T {
  walks++;
  try {
    return fn();
  } finally {
    walks--;
  }
}

/** Release the tape-only values a finished backward pass used (unless the graph is retained). */
export function releaseTapeOnly(graph: Iterable<Tensor>): void {
  if (!releasing) return;
  const scope = currentScope();
  // NOTE: read by a backward walk, the value is a saved one of a graph walked twice; read anywhere else, user code
  // held a value only the graph was known to hold (a layer's call kept it in a field or a closure): the fix differs.
  const why: ReleaseReason = {
    message: (t) =>
      `${describe(t as Tensor)} was released after backward() used it${scope ? ` (in ${scope})` : ''}` +
      (walks > 0
        ? `; to run backward through the same graph again, call the first one as loss.backward(undefined, { retainGraph: true })`
        : `: only the graph held it (a value made inside a layer's call or a Module's forward that the call did not ` +
          `return, kept in a field or a closure). To read it after backward, keep it with tg.keep(t) where it is ` +
          `made, or return it from the call`),
  };
  for (const t of graph) {
    const c = t.storage.cell;
    if (c.seen !== 'tape' || c.kept || c.released !== null) continue;
    releaseCell(c, why, t);
  }
}

/**
 * `tg.noGrad(fn)`: run fn without recording on the tape (PyTorch `torch.no_grad`), in a 'user' lifetime frame:
 * what fn returns survives, everything else it made is released when it returns (the grads rule).
 * NOTE: fn must be synchronous, like TF.js `tf.tidy`: a returned promise would outlive both the frame and the
 * no-recording state (it is restored at fn's first `await`), so it is refused by name and nothing is released.
 */
export function noGradFrame<T>(fn: () => T): T {
  return withFrame('user', 'tg.noGrad', () => {
    const r = withRecording(false, fn);
    if (r !== null && typeof r === 'object' && typeof (r as { then?: unknown }).then === 'function')
      throw new ValueError(
        'tg.noGrad: fn returned a Promise; noGrad covers synchronous code only (like tf.tidy). ' +
          'Await outside and pass the synchronous part: `const x = await load(); const y = tg.noGrad(() => f(x));`',
      );
    return r;
  });
}
