// Run one primitive: shape rule → allocate → kernel → record on the tape.
import { type TypedArray, allocArray, allocUnchecked, checkAllocation } from '../core/dtype.js';
import { NumericsError, TapegradError, ValueError, fmtShape } from '../core/errors.js';
import { currentScope, emitOp, hasOpListeners, recordRule, recordsOn } from '../core/tape.js';
import { Tensor } from '../core/tensor.js';
import { Storage } from '../core/storage.js';
import { keep, track } from '../core/lifetime.js';
import { sizeOf } from '../core/shape.js';
import { kernels } from '../backend/kernels.js';
import { firstNonFinite } from './finite.js';
import type { PrimName, PrimParams } from './table.js';
import { type PrimDef, type PrimTable, flat } from './prim.js';

// NOTE: the table registers itself here at start-up (ops/index.ts) instead of dispatch importing it: every row
// file imports builders that call `run`, so an import of the table here would close a cycle through all of ops.
let table: PrimTable<PrimParams> | null = null;
/** Install the primitive table `run` looks rows up in (once, from src/ops/index.ts). */
export function registerPrims(prims: PrimTable<PrimParams>): void {
  table = prims;
}

let forwardNumerics = false;
/** Anomaly mode: stop at the first op whose output is non-finite while its inputs were finite. */
export function setForwardNumericsCheck(on: boolean): void {
  forwardNumerics = on;
}
export const isForwardNumericsCheck = (): boolean => forwardNumerics;

function stats(t: Tensor): string {
  let min = Infinity,
    max = -Infinity,
    s = 0;
  for (const v of t.raw) {
    if (v < min) min = v;
    if (v > max) max = v;
    s += v;
  }
  return `${fmtShape(t.shape)} ${t.dtype} min=${min} max=${max} mean=${t.size ? s / t.size : NaN}`;
}

/**
 * The argument arrays of `k.hold`, one per length, reused: hold reads its array at once and keeps nothing.
 * NOTE: plain loops and reused arrays, not spreads and closures: dispatch runs for every op, and until V8 has
 * optimized it (a training run's first hundreds of steps) every allocation and callback here is paid in full,
 * then again by the collector in pauses a synchronous training loop pays inline (issue 12).
 */
const holdArgs: (Storage | null)[][] = [];
/** The `out` a view's forward gets (it returns an input's array instead). */
const NO_VALUES = new Float32Array(0);

export function run<K extends PrimName>(op: K, ins: Tensor[], p: PrimParams[K]): Tensor {
  if (!table)
    throw new TapegradError(`${op}: the primitive table is not registered (import from "tapegrad")`);
  const def = table[op] as unknown as PrimDef<PrimParams[K]>;
  const nIn = ins.length;
  if (def.arity >= 0 && nIn !== def.arity)
    throw new ValueError(`${op}: expected ${def.arity} inputs, got ${nIn}`);
  for (let i = 0; i < nIn; i++)
    if (!(ins[i] instanceof Tensor))
      throw new ValueError(`${op}: input ${i} is ${typeof ins[i]}, expected a Tensor`);
  const outShape = def.shape(ins, p);
  const k = kernels();
  let storage: Storage;
  let fresh = true;
  if (def.view === true) {
    // a view (reshape) shares its input's storage: nothing to allocate, hold or free
    const got = def.forward(k, ins, NO_VALUES, p, outShape) as TypedArray;
    let shared: Storage | undefined;
    for (let i = 0; i < nIn && shared === undefined; i++) if (ins[i].raw === got) shared = ins[i].storage;
    fresh = shared === undefined;
    storage = shared ?? new Storage(got);
    return finish(op, def, ins, p, new Tensor(storage, outShape), fresh);
  }
  const dtype = (def.dtype === undefined ? undefined : def.dtype(ins, p)) ?? ins[0].dtype;
  const n = sizeOf(outShape);
  // NOTE: the backend may keep the output in its own memory (resident) so the next op reads it in place.
  if (k.alloc) {
    checkAllocation(dtype, n); // the importers' allocation limit counts resident outputs too
    storage = k.alloc(dtype, n) ?? new Storage(allocUnchecked(dtype, n));
  } else storage = new Storage(allocArray(dtype, n));
  if (k.hold) {
    let held = holdArgs[nIn];
    if (held === undefined) held = holdArgs[nIn] = new Array<Storage | null>(nIn + 1);
    for (let i = 0; i < nIn; i++) held[i] = ins[i].storage;
    held[nIn] = storage;
    k.hold(held as Storage[]);
    for (let i = 0; i <= nIn; i++) held[i] = null; // keep no storage alive past this op
  }
  try {
    const got = def.forward(k, ins, storage.view, p, outShape);
    if (got && got !== storage.view) {
      k.free?.(storage);
      // a view of an input (reshape) shares that input's storage; any other array becomes a new one
      let shared: Storage | undefined;
      for (let i = 0; i < nIn && shared === undefined; i++) if (ins[i].raw === got) shared = ins[i].storage;
      fresh = shared === undefined;
      storage = shared ?? new Storage(got);
    }
  } catch (e) {
    k.free?.(storage);
    if (e instanceof TapegradError) throw e;
    throw new TapegradError(
      `${op}: kernel failed on inputs ${ins.map((t) => fmtShape(t.shape)).join(', ')}: ${(e as Error).message}`,
    );
  } finally {
    k.unhold?.();
  }
  return finish(op, def, ins, p, new Tensor(storage, outShape), fresh);
}

/** Record, track and report a new op output `t`. */
function finish<P>(op: PrimName, def: PrimDef<P>, ins: Tensor[], p: P, t: Tensor, fresh: boolean): Tensor {
  // NOTE: a piecewise-constant op (vjp `flat`) is not recorded: no gradient flows back through it, and its output
  // must not keep the graph behind it alive (prim.ts, `flat`).
  if (def.vjp !== flat && recordsOn(ins)) recordRule(t, op, ins, p, def.vjp);
  track(t, fresh, op);
  if (forwardNumerics && firstNonFinite(t) >= 0 && ins.every((x) => firstNonFinite(x) < 0)) {
    const scope = currentScope();
    const site = new Error().stack
      ?.split('\n')
      .slice(2)
      .find((l) => !/\/src\/(ops|core|nn|backend)\//.test(l))
      ?.trim();
    throw new NumericsError(
      `checkNumerics: '${op}'${scope ? ` in ${scope}` : ''} produced a non-finite value at index ${firstNonFinite(t)} from finite inputs` +
        `\n  inputs: ${ins.map(stats).join('; ')}${site ? `\n  called ${site}` : ''}`,
    );
  }
  if (hasOpListeners()) {
    // NOTE: listeners (trace, explain) may keep what they are shown: such tensors are never released.
    for (const x of ins) keep(x);
    emitOp({ op, inputs: ins, out: keep(t), params: p });
  }
  return t;
}
