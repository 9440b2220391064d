// Reverse mode: one walker serves `loss.backward()` and the functional `grad`/`grads`/`vjp` family.
import { GradError, NumericsError, describeValue, fmtShape, safeJson } from './errors.js';
import { isFloat } from './dtype.js';
import { shapesEqual } from './shape.js';
import { hasOpListeners, isRecording, record, withRecording } from './tape.js';
import { Tensor, installBackward, ones, zeros } from './tensor.js';
import { frameOpen, inBackwardWalk, keep, releaseTapeOnly, withFrame } from './lifetime.js';
import { noteChain } from './grad-chain.js';
import { checkOptions } from './options.js';
import { SliceCotangents } from './slice-cotangents.js';
import { mutationCount } from './storage.js';

/** Ops the walker needs but core cannot import (ops sits above core); installed by `src/ops`. */
export interface Runtime {
  add(a: Tensor, b: Tensor): Tensor;
  cast(a: Tensor, dtype: Tensor['dtype']): Tensor;
  concat(parts: Tensor[], axis: number): Tensor;
  /** Whether every value of a tensor is finite (ops/finite.ts: the backend's firstNonFinite kernel). */
  allFinite(t: Tensor): boolean;
}
let rt: Runtime | null = null;
export function installRuntime(r: Runtime): void {
  rt = r;
}
function runtime(): Runtime {
  if (!rt)
    throw new GradError('autodiff: ops are not loaded (import from "tapegrad", not from core directly)');
  return rt;
}

let debugNumerics = false;
/** Check every gradient for NaN/Inf as it is produced and name the forward op that made it. */
export function setGradNumericsCheck(on: boolean): void {
  debugNumerics = on;
}

/** Whether any value is NaN or ±Inf (checks every gradient of every grads call, so by a kernel sum: ops/finite.ts). */
const hasNonFinite = (t: Tensor): boolean => !runtime().allFinite(t);

const NO_INPUTS: Tensor[] = [];

/** Tensors reachable from `roots` through recorded ops, in topological order (inputs first). */
function topoSort(roots: Tensor[]): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // NOTE: a depth-first walk on two parallel stacks (tensor, next input), not a [tensor, index] pair per node; and
  // indexed loops, not for-of (the iterator protocol, until V8 optimizes the caller: a run's first steps).
  const stack: Tensor[] = [];
  const next: number[] = [];
  for (let ri = 0; ri < roots.length; ri++) {
    const r = roots[ri];
    if (seen.has(r) || !r.requiresGrad) continue;
    seen.add(r);
    stack.push(r);
    next.push(0);
    while (stack.length) {
      const top = stack.length - 1;
      const t = stack[top];
      const ins = t.node === null ? NO_INPUTS : t.node.inputs;
      if (next[top] < ins.length) {
        const x = ins[next[top]++];
        if (x.requiresGrad && !seen.has(x)) {
          seen.add(x);
          stack.push(x);
          next.push(0);
        }
      } else {
        order.push(t);
        stack.pop();
        next.pop();
      }
    }
  }
  return order;
}

export interface BackwardOptions {
  /** Record the backward ops too, so the result can be differentiated again. */
  createGraph?: boolean;
  /**
   * `backward()` only: keep the values the graph saved for backward, so backward can run through it again
   * (PyTorch `retain_graph`; implied by createGraph). Without it, intermediates only the tape could reach are
   * released once used.
   */
  retainGraph?: boolean;
  /** Keep the gradient of these non-leaf tensors in the returned map. */
  keep?: Set<Tensor>;
}

/** The walker: pull `seeds` back from `roots`; returns the gradient of every leaf (and kept tensor) reached. */
export function backwardPass(
  roots: Tensor[],
  seeds: Tensor[],
  opts: BackwardOptions = {},
): Map<Tensor, Tensor> {
  const { add } = runtime();
  const grads = new Map<Tensor, Tensor>();
  for (let i = 0; i < roots.length; i++) {
    const r = roots[i];
    if (!r.requiresGrad) continue;
    const prev = grads.get(r);
    grads.set(r, prev ? add(prev, seeds[i]) : seeds[i]);
  }
  const order = topoSort(roots);
  withRecording(opts.createGraph ?? false, () => inBackwardWalk(() => walk(order, grads, opts)));
  return grads;
}

/** Run the vjps of `order` (topological) from last to first, accumulating into `grads`. */
function walk(order: Tensor[], grads: Map<Tensor, Tensor>, opts: BackwardOptions): void {
  const r = runtime();
  const { add, cast } = r;
  // NOTE: not while someone listens to ops (explain, trace): they see each slice's pad and the adds, as they see
  // the compositions of the fused rows
  const slices = hasOpListeners() ? null : new SliceCotangents();
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k];
    if (slices !== null && slices.has(t)) {
      const s = slices.take(t, r);
      const prev = grads.get(t);
      grads.set(t, prev ? add(prev, s) : s);
    }
    let g = grads.get(t);
    if (!g) continue;
    const hooks = t.hooks;
    for (let h = 0; h < hooks.length; h++) {
      const r = hooks[h](keep(g)); // NOTE: hooks are user code: a gradient they are shown may be kept (Grad-CAM)
      if (r instanceof Tensor) {
        // NOTE: the replacement becomes the gradient of t (a leaf's .grad): another shape or dtype would silently
        // change it (an int32 cast truncates it); PyTorch refuses it ("hook has changed the type/size of value")
        if (!shapesEqual(r.shape, g.shape) || r.dtype !== g.dtype)
          throw new GradError(
            `backward: hook ${h} of ${t.name !== undefined ? `tensor '${t.name}'` : 'a tensor'} ${fmtShape(t.shape)} returned a gradient of ${r.dtype} ${fmtShape(r.shape)} for one of ${g.dtype} ${fmtShape(g.shape)}; a hook may change the gradient's values, not its shape or dtype`,
          );
        g = keep(r);
      }
    }
    if (hooks.length > 0) grads.set(t, g);
    const node = t.node;
    if (!node) continue;
    // NOTE: a slice's cotangent waits for its input's turn, summed with the other slices of it as one concat
    // (slice-cotangents.ts); anomaly mode checks it here, as it checks the pad the slice's vjp would make
    if (
      slices !== null &&
      node.op === 'slice' &&
      node.inputs[0].requiresGrad &&
      slices.offer(node.inputs[0], node, g)
    ) {
      if (debugNumerics && hasNonFinite(g)) throw nonFiniteGrad(node, 0);
      if (!(opts.keep !== undefined && opts.keep.has(t))) grads.delete(t);
      continue;
    }
    if (node.epoch !== mutationCount()) checkUnmodified(node);
    let gin: (Tensor | null)[];
    try {
      gin = node.vjp(g);
    } catch (e) {
      // NOTE: anomaly mode also checks the ops a vjp runs; say which forward op's gradient they belong to.
      if (e instanceof NumericsError && !e.message.startsWith('backward:'))
        throw new NumericsError(
          `backward: computing the gradient of '${node.op}'${node.scope ? ` (in ${node.scope})` : ''}: ${e.message}`,
        );
      throw e;
    }
    if (gin.length !== node.inputs.length)
      throw new GradError(
        `${node.op}: vjp returned ${gin.length} gradients for ${node.inputs.length} inputs`,
      );
    const inputs = node.inputs;
    for (let i = 0; i < inputs.length; i++) {
      const x = inputs[i];
      let gi = gin[i];
      if (!x.requiresGrad || !gi) continue;
      if (!shapesEqual(gi.shape, x.shape))
        throw new GradError(
          `${node.op}: gradient for input ${i} has shape ${fmtShape(gi.shape)} but the input has shape ${fmtShape(x.shape)}`,
        );
      if (gi.dtype !== x.dtype) gi = cast(gi, x.dtype);
      if (debugNumerics && hasNonFinite(gi)) throw nonFiniteGrad(node, i);
      const prev = grads.get(x);
      grads.set(x, prev ? add(prev, gi) : gi);
    }
    if (!(opts.keep !== undefined && opts.keep.has(t))) grads.delete(t); // t has a node: not a leaf
  }
}

/**
 * The values a node saved must be the ones it saw: refuse a backward through inputs (or the output) the library
 * wrote in place after the node was recorded (an optimizer step, setWeights, `data =`), as PyTorch's version counter
 * does ("modified by an inplace operation"); the gradient would silently be taken at the new values.
 */
function checkUnmodified(node: NonNullable<Tensor['node']>): void {
  const ins = node.inputs;
  for (let i = 0; i <= ins.length; i++) {
    const x = i < ins.length ? ins[i] : (node as { out?: Tensor }).out;
    if (x === undefined || x.storage.cell.mutatedAt <= node.epoch) continue;
    const what = i < ins.length ? `input ${i}` : 'output';
    throw new GradError(
      `backward: '${node.op}'${node.scope ? ` (in ${node.scope})` : ''} needs its ${what}, ` +
        `${x.name !== undefined ? `'${x.name}' ` : ''}${x.dtype} ${fmtShape(x.shape)}, at the values of the forward ` +
        `pass, but they were changed in place after it (an optimizer step, setWeights/loadWeights or a \`data =\` ` +
        `assignment). Run backward() before changing them, or compute the loss again after the change.`,
    );
  }
}

/** Anomaly mode's error for a gradient of `node` w.r.t. input `i` that holds NaN or Inf. */
function nonFiniteGrad(node: NonNullable<Tensor['node']>, i: number): NumericsError {
  return new NumericsError(
    `backward: the gradient of '${node.op}'${node.scope ? ` (in ${node.scope})` : ''} w.r.t. input ${i} ${fmtShape(node.inputs[i].shape)} contains NaN or Inf`,
  );
}

function checkFinite(g: Tensor, what: string): void {
  if (hasNonFinite(g))
    throw new NumericsError(
      `${what} contains NaN or Inf; run with tg.checkNumerics(true) to name the op that produced it`,
    );
}

/** The options `backward()` takes (PyTorch's `create_graph`, `retain_graph`). */
const BACKWARD_KEYS = ['createGraph', 'retainGraph'] as const;

/** PyTorch-style: accumulate d(root)/d(leaf) into every leaf's `.grad`. */
export function backward(root: Tensor, seed?: Tensor, opts: BackwardOptions = {}): void {
  if (seed !== undefined && seed !== null && !(seed instanceof Tensor)) {
    const isOpts = typeof seed === 'object' && !Array.isArray(seed) && !ArrayBuffer.isView(seed);
    throw new GradError(
      isOpts
        ? `backward: the first argument is the seed (a Tensor); options are the 2nd argument: backward(undefined, ${safeJson(seed)})`
        : `backward: the seed is ${describeValue(seed)}, expected a Tensor of the output's shape ${fmtShape(root.shape)} (make one with tg.tensor)`,
    );
  }
  if (opts === null) opts = {};
  if (typeof opts !== 'object')
    throw new GradError(
      `backward: options must be an object such as { retainGraph: true }, got ${describeValue(opts)}`,
    );
  checkOptions('backward', opts, BACKWARD_KEYS);
  for (const k of BACKWARD_KEYS)
    if (opts[k] !== undefined && typeof opts[k] !== 'boolean')
      throw new GradError(`backward: ${k} must be true or false, got ${String(opts[k])}`);
  if (!root.requiresGrad)
    throw new GradError(
      'backward: this tensor does not require a gradient (no input had requiresGrad, it was computed in noGrad, ' +
        'or it depends on them only through ops whose gradient is zero: sign, floor, comparisons, argmax)',
    );
  if (!seed && root.size !== 1)
    throw new GradError(
      `backward: output has shape ${fmtShape(root.shape)}; pass a gradient of the same shape or reduce it to a scalar first`,
    );
  if (!seed) checkFinite(root, 'backward: the loss');
  const s = seed ?? ones(root.shape, { dtype: root.dtype });
  if (!shapesEqual(s.shape, root.shape))
    throw new GradError(
      `backward: seed shape ${fmtShape(s.shape)} differs from output shape ${fmtShape(root.shape)}`,
    );
  const { add } = runtime();
  // NOTE: a frame: the walk's intermediate gradients are released at its end; leaf grads are state (kept).
  withFrame('internal', 'backward()', () => {
    const grads = backwardPass([root], [s], opts);
    const leafGrads: Tensor[] = [];
    for (const [t, g] of grads) {
      if (!t.isLeaf) continue;
      checkFinite(g, `backward: the gradient of ${t.name ?? `a leaf of shape ${fmtShape(t.shape)}`}`);
      leafGrads.push((t.grad = keep(t.grad ? add(t.grad, g) : g)));
    }
    return leafGrads; // with createGraph, their graphs stay
  });
  if (!opts.retainGraph && !opts.createGraph) releaseTapeOnly(savedBy(root));
}
installBackward(backward);

/** Every tensor a graph holds for backward: its recorded tensors and their inputs. */
function savedBy(root: Tensor): Tensor[] {
  const out: Tensor[] = [];
  for (const t of topoSort([root])) {
    out.push(t);
    if (t.node) for (const x of t.node.inputs) if (!x.requiresGrad) out.push(x);
  }
  return out;
}

/** A fresh tracked alias of `x`: a leaf, or (when x is already tracked) an identity node, so nested grads connect. */
function trackedAlias(x: Tensor): Tensor {
  const y = new Tensor(x.storage, x.shape, true);
  if (x.requiresGrad) record(y, 'identity', [x], null, (g) => [g]);
  return y;
}

/**
 * The arguments a gradient is taken with respect to: Tensors, and float ones (JAX: "grad requires real-valued
 * inputs"; an int32 argument's gradient would be cut by the cast in front of every float op, or truncated).
 * NOTE: integer data such as labels is closed over by f (or passed to an outer function), not differentiated.
 */
function checkArgs(xs: unknown[], fn: string): Tensor[] {
  if (!Array.isArray(xs))
    throw new GradError(`${fn}: expected the arguments as Tensors, got ${describeValue(xs)}`);
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (!(x instanceof Tensor))
      throw new GradError(`${fn}: argument ${i} is ${describeValue(x)}, expected a Tensor`);
    if (!isFloat(x.dtype))
      throw new GradError(
        `${fn}: argument ${i} is an ${x.dtype} tensor ${fmtShape(x.shape)}; gradients are taken with respect to ` +
          `float32 or float64 arguments only (JAX: grad requires real-valued inputs). Close over integer data such as ` +
          `labels in f instead of passing it, or cast it: tg.cast(x, 'float32')`,
      );
  }
  return xs as Tensor[];
}

/** Whether `value`'s graph reaches a tensor made before `start` (outside f) that requires a gradient. */
function readsOutside(value: Tensor, ins: Tensor[], start: number): boolean {
  const seen = new Set<Tensor>();
  for (let i = 0; i < ins.length; i++) seen.add(ins[i]);
  const stack = [value];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t) || !t.requiresGrad) continue;
    seen.add(t);
    if (t.id < start) return true;
    if (t.node) for (let i = 0; i < t.node.inputs.length; i++) stack.push(t.node.inputs[i]);
  }
  return false;
}

/** Core of the functional API: value of f and its vjp at xs. */
export function vjp(
  f: (...xs: Tensor[]) => Tensor,
  ...xs: Tensor[]
): { value: Tensor; vjp: (ct: Tensor) => Tensor[] } {
  const { value, vjp: pull } = vjpWith(f, xs, undefined, 'tg.vjp');
  return { value, vjp: pull };
}

/** vjp with an explicit `createGraph` (undefined: automatic); also says whether the backward will be recorded. */
function vjpWith(
  f: (...xs: Tensor[]) => Tensor,
  xs: Tensor[],
  createGraph: boolean | undefined,
  api: string,
): { value: Tensor; vjp: (ct: Tensor) => Tensor[]; nested: boolean; start: number } {
  if (typeof f !== 'function') throw new GradError(`${api}: f must be a function, got ${describeValue(f)}`);
  checkArgs(xs, api);
  const ins = xs.map(trackedAlias);
  const start = Tensor.peekId();
  const value = withRecording(true, () => f(...ins));
  if (!(value instanceof Tensor)) {
    // NOTE: an async f returns at its first await, so nothing it computes after it could be differentiated
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { then?: unknown }).then === 'function'
    )
      throw new GradError(
        `${api}: f returned a Promise; f must be synchronous (an async f returns at its first await, so the ` +
          `gradient could not see what it computes after it). Await outside and pass the synchronous part: ` +
          `\`const x = await load();\`, then ${api} over a synchronous f`,
      );
    throw new GradError(`vjp: f must return a Tensor, got ${typeof value}`);
  }
  // NOTE: by default the gradient stays differentiable when an outer computation can reach it: through the
  // arguments, or through a tensor f read from outside (a closure, a module's weight) that requires a gradient.
  const nested =
    isRecording() && (createGraph ?? (xs.some((x) => x.requiresGrad) || readsOutside(value, ins, start)));
  const pull = (ct: Tensor): Tensor[] => {
    if (!(ct instanceof Tensor))
      throw new GradError(
        `${api}: the cotangent is ${describeValue(ct)}, expected a Tensor of the output's shape ${fmtShape(value.shape)}`,
      );
    if (!shapesEqual(ct.shape, value.shape))
      throw new GradError(
        `vjp: cotangent shape ${fmtShape(ct.shape)} differs from output shape ${fmtShape(value.shape)}`,
      );
    const record = createGraph === undefined ? nested || (isRecording() && ct.requiresGrad) : nested;
    const grads = backwardPass([value], [ct], { createGraph: record, keep: new Set(ins) });
    return ins.map((x) => grads.get(x) ?? zeros(x.shape, { dtype: x.dtype }));
  };
  return { value: nested ? value : value.detach(), vjp: pull, nested, start };
}

function scalarSeed(value: Tensor, dy: Tensor | undefined, fn: string): Tensor {
  if (dy !== undefined && dy !== null && !(dy instanceof Tensor))
    throw new GradError(
      `${fn}: dy (the seed, the 2nd argument) is ${describeValue(dy)}, expected a Tensor of f's output shape ${fmtShape(value.shape)}`,
    );
  if (dy) return dy;
  if (value.size !== 1)
    throw new GradError(
      `${fn}: f returned shape ${fmtShape(value.shape)}; it must return a scalar (or pass dy of the same shape)`,
    );
  return ones(value.shape, { dtype: value.dtype });
}

/** Options of `grad`, `grads`, `valueAndGrad` and `valueAndGrads`. */
export interface GradOptions {
  /**
   * Record the backward pass, so the result can be differentiated again (PyTorch's `create_graph`). Default
   * (undefined): recorded when an outer computation can reach the result: an argument, or a tensor f reads from
   * outside (a closure, a model's weights), requires a gradient. `false`: a plain gradient (its graph is freed
   * with the call; what an input-gradient loop wants). `true`: always recorded (and no chain warning).
   */
  createGraph?: boolean;
}

/** `createGraph` from a gradient call's options (unknown keys and non-boolean values are refused by name). */
function createGraphOf(opts: GradOptions | undefined, api: string): boolean | undefined {
  if (opts === undefined) return undefined;
  if (opts === null || typeof opts !== 'object')
    throw new GradError(
      `${api}: options must be an object such as { createGraph: false }, got ${String(opts)}`,
    );
  checkOptions(api, opts, ['createGraph']);
  const c = opts.createGraph;
  if (c !== undefined && typeof c !== 'boolean')
    throw new GradError(`${api}: createGraph must be true or false, got ${String(c)}`);
  return c;
}

/**
 * `valueAndGrads(f)(...xs)` → `{ value, grads }`; also accepts TF.js's `(xs[], dy?)` call form.
 * NOTE: a lifetime frame (core/lifetime.ts): what f makes and does not return is released when the call ends.
 */
export const valueAndGrads = (f: (...xs: Tensor[]) => Tensor, opts?: GradOptions) =>
  named(f, 'tg.valueAndGrads', opts);

/** valueAndGrads, with the public name that errors about released tensors quote. */
function named(f: (...xs: Tensor[]) => Tensor, api: string, opts: GradOptions | undefined) {
  const createGraph = createGraphOf(opts, api);
  return (...args: any[]): { value: Tensor; grads: Tensor[] } => {
    let xs: Tensor[] = args;
    let dy: Tensor | undefined;
    if (Array.isArray(args[0])) [xs, dy] = [args[0], args[1]];
    checkArgs(xs, api);
    const topLevel = !frameOpen();
    return withFrame('user', api, () => {
      const r = vjpWith(f, xs, createGraph, api);
      const grads = r.vjp(scalarSeed(r.value, dy, api));
      if (!isRecording() || !xs.some((x) => x.requiresGrad))
        grads.forEach((g, i) => checkFinite(g, `grads: gradient ${i}`));
      if (topLevel && r.nested && createGraph === undefined) noteChain(r.value, grads, r.start, api);
      return { value: r.value, grads };
    });
  };
}
/** `grads(f)(...xs)` → one gradient per argument. */
export const grads = (f: (...xs: Tensor[]) => Tensor, opts?: GradOptions) => {
  const call = named(f, 'tg.grads', opts);
  return (...args: any[]): Tensor[] => call(...args).grads;
};
/** `valueAndGrad(f)(x, dy?)` → `{ value, grad }` for one-argument f. */
export const valueAndGrad = (f: (x: Tensor) => Tensor, opts?: GradOptions) =>
  valueAndGradNamed(f, 'tg.valueAndGrad', opts);
function valueAndGradNamed(f: (x: Tensor) => Tensor, api: string, opts: GradOptions | undefined) {
  const call = named(f as (...xs: Tensor[]) => Tensor, api, opts);
  return (x: Tensor, dy?: Tensor): { value: Tensor; grad: Tensor } => {
    const r = call([x], dy);
    return { value: r.value, grad: r.grads[0] };
  };
}
/** `grad(f)(x, dy?)` → d f / d x for one-argument f. */
export const grad = (f: (x: Tensor) => Tensor, opts?: GradOptions) => {
  const call = valueAndGradNamed(f, 'tg.grad', opts);
  return (x: Tensor, dy?: Tensor): Tensor => call(x, dy).grad;
};
