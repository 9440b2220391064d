// The kernel interface: every heavy loop in tapegrad runs behind this. Kernels take typed arrays and
// plain sizes, write into a preallocated `out`, and know nothing of tensors or the tape.
import type { DType, TypedArray } from '../core/dtype.js';
import type { Storage } from '../core/storage.js';
import { ValueError } from '../core/errors.js';
import type { GateActivation } from './lstm.js';
import type { WindowGeom } from '../core/window-geom.js';

export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'abs'
  | 'sign'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  | 'sin'
  | 'cos'
  | 'erf'
  | 'floor'
  | 'log1p'
  | 'expm1'
  | 'softplus';
/** reluGrad(g, x) = x > 0 ? g : 0, NaN where x is NaN: relu's backward in one pass. */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'reluGrad';
export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type ReduceOp = 'sum' | 'max';
/** The activation a fused conv applies to conv + bias before writing it ('linear': none). */
export type ConvActivation = 'linear' | 'relu';

/** Geometry of a 2-D window sweep (conv or pool) over an NHWC input. */
export type { WindowGeom }; // its field order is written once, in core/window-geom.ts

export interface Kernels {
  readonly name: string;
  /** Storage for an op's output in the backend's own memory, or null/absent for a plain array. NOTE: not zeroed: every
   * primitive's forward writes its whole output (test/backend/resident-prims.test.ts checks it with poisoned blocks). */
  alloc?(dtype: DType, n: number): Storage | null;
  /** Give back storage from `alloc` that no tensor took (a failed op, or one that returned a view). */
  free?(s: Storage): void;
  /** Keep these storages where they are while an op's forward runs (its views of them must stay valid). */
  hold?(ss: Storage[]): void;
  unhold?(): void;
  /** What the backend's own memory holds now (`tg.memory()`). */
  memory?(): BackendMemory;
  /** Resident bytes above which the oldest resident blocks are copied out (`tg.setMemoryBudget`). */
  setMemoryBudget?(bytes: number): void;
  unary(op: UnaryOp, x: TypedArray, out: TypedArray): void;
  /** Equal-length operands (broadcasting is done above the kernels). */
  binary(op: BinaryOp, a: TypedArray, b: TypedArray, out: TypedArray): void;
  /** out = a op s (s op a when `scalarFirst`) for one number s, taken in out's dtype (float32: rounded). */
  binaryScalar(op: BinaryOp, a: TypedArray, s: number, scalarFirst: boolean, out: TypedArray): void;
  /** out = (a op b) ? 1 : 0. */
  compare(op: CompareOp, a: TypedArray, b: TypedArray, out: TypedArray): void;
  /** out = cond != 0 ? a : b. */
  where(cond: TypedArray, a: TypedArray, b: TypedArray, out: TypedArray): void;
  /** out[i] = x[i] + bias[i mod C], C = bias.length: a bias added along the last axis (TF's BiasAdd). */
  biasAdd(x: TypedArray, bias: TypedArray, out: TypedArray): void;
  /** Element conversion (to int32 truncates toward zero). */
  cast(x: TypedArray, out: TypedArray): void;
  /** x viewed as [outer, mid, inner]; reduce the middle axis into out [outer, inner]. */
  reduce(op: ReduceOp, x: TypedArray, outer: number, mid: number, inner: number, out: TypedArray): void;
  /**
   * out[o, ·, j] = x[o, ·, j] − log Σ_m exp x[o, m, j] over the middle axis of [outer, mid, inner] (the row's maximum
   * subtracted first; a row with a NaN or a +∞ is NaN throughout, as PyTorch's, one of −∞ NaN, as the composition does).
   */
  logSoftmax(x: TypedArray, outer: number, mid: number, inner: number, out: TypedArray): void;
  /** out = g − exp(y)·Σ_m g over the middle axis of [outer, mid, inner]: log-softmax's gradient, y its output. */
  logSoftmaxGrad(
    g: TypedArray,
    y: TypedArray,
    outer: number,
    mid: number,
    inner: number,
    out: TypedArray,
  ): void;
  /** Index of the first NaN or ±Inf in x, or -1 (integer arrays: -1). */
  firstNonFinite(x: TypedArray): number;
  /** Index of the first maximum along the middle axis of [outer, mid, inner]. */
  argmax(x: TypedArray, outer: number, mid: number, inner: number, out: Int32Array): void;
  /** x viewed as [outer, n]: out [outer, k] the positions of each row's k largest, best first (ties: lower index). */
  topk(x: TypedArray, outer: number, n: number, k: number, out: Int32Array): void;
  /** out[b] = op(A[b]) · op(B[b]); A is [m,k] (or [k,m] if transA), B is [k,n] (or [n,k]). A batch of 1 is shared. */
  matmul(
    a: TypedArray,
    b: TypedArray,
    out: TypedArray,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void;
  /** inShape has outShape's rank, with 1 where broadcast. */
  broadcastTo(x: TypedArray, inShape: readonly number[], outShape: readonly number[], out: TypedArray): void;
  slice(
    x: TypedArray,
    shape: readonly number[],
    begin: readonly number[],
    size: readonly number[],
    out: TypedArray,
  ): void;
  pad(
    x: TypedArray,
    shape: readonly number[],
    before: readonly number[],
    after: readonly number[],
    value: number,
    out: TypedArray,
  ): void;
  /** Inputs viewed as [outer, dims[i]·inner], joined along the middle. */
  concat(xs: TypedArray[], outer: number, dims: readonly number[], inner: number, out: TypedArray): void;
  /** NHWC x → cols [n·outH·outW, kh·kw·c] (zero padding). */
  im2col(x: TypedArray, g: WindowGeom, out: TypedArray): void;
  /** The transpose of im2col: sums patches back into out [n,h,w,c] (out is zeroed first). */
  col2im(cols: TypedArray, g: WindowGeom, out: TypedArray): void;
  /** Flat index into x of each window's maximum, out [n,outH,outW,c]; padding never wins. */
  poolArgmax(x: TypedArray, g: WindowGeom, out: Int32Array): void;
  /**
   * out [n·outH·outW, o] = act(im2col(x)·w (+ bias)): a convolution in one pass (w is [kh·kw·c, o], bias [o] or null;
   * act 'linear' when absent). The same values as im2col → matmul → add(bias) → the unary kernel of `act`. With
   * `nchw` the same values are written as out [n, o, outH, outW] (PyTorch's layout) instead.
   */
  conv2d(
    x: TypedArray,
    w: TypedArray,
    bias: TypedArray | null,
    g: WindowGeom,
    o: number,
    out: TypedArray,
    act?: ConvActivation,
    nchw?: boolean,
  ): void;
  /** out [n,h,w,c] = col2im(g·wᵀ) for g [n·outH·outW, o], w [kh·kw·c, o]: a convolution's input gradient in one pass. */
  conv2dBackpropInput(g: TypedArray, w: TypedArray, geom: WindowGeom, o: number, out: TypedArray): void;
  /** out [kh·kw·c, o] = im2col(x)ᵀ·g for g [n·outH·outW, o]: a convolution's filter gradient in one pass. */
  conv2dBackpropFilter(x: TypedArray, g: TypedArray, geom: WindowGeom, o: number, out: TypedArray): void;
  /**
   * The max-pool gradient, out [n,h,w,c]: dy [n,outH,outW,c] added at each window's first maximum of x into zeros —
   * the bits of scatterAdd(dy, poolArgmax(x)) in one pass.
   */
  poolMaxGrad(x: TypedArray, dy: TypedArray, g: WindowGeom, out: TypedArray): void;
  /** Each window's maximum, out [n,outH,outW,c]: the values take(x, poolArgmax(x)) returns. */
  poolMax(x: TypedArray, g: WindowGeom, out: TypedArray): void;
  /**
   * Each window's average, out [n,outH,outW,c] = (Σ of its taps inside x) / divisor, with `divisors` one value for
   * every window or one per output pixel (outH·outW): the values im2col → sum over the taps → div give.
   */
  avgPool(x: TypedArray, g: WindowGeom, divisors: TypedArray, out: TypedArray): void;
  /** out[i] = x[idx[i]]. */
  take(x: TypedArray, idx: Int32Array, out: TypedArray): void;
  /** out = 0; out[idx[i]] += g[i]. */
  scatterAdd(g: TypedArray, idx: Int32Array, out: TypedArray): void;
  /** Per-channel mean and population variance, out [2·C] = [μ | σ²], of x viewed as [outer, C, inner] (backend/channel.ts). */
  channelMoments(x: TypedArray, outer: number, C: number, inner: number, out: TypedArray): void;
  /** out = (x − m)·s + b, with m, s, b [C] along the channel axis of x viewed as [outer, C, inner]. */
  channelAffine(
    x: TypedArray,
    m: TypedArray,
    s: TypedArray,
    b: TypedArray,
    outer: number,
    C: number,
    inner: number,
    out: TypedArray,
  ): void;
  /** out [2·C] = [Σ a | Σ a·(x − m)] over every axis but the channel axis of [outer, C, inner]. */
  channelSums(
    a: TypedArray,
    x: TypedArray,
    m: TypedArray,
    outer: number,
    C: number,
    inner: number,
    out: TypedArray,
  ): void;
  /** LSTM state update, out [batch, 2·units] = [h' | c'] from gate pre-activations z [batch, 4·units] and c (backend/lstm.ts). */
  lstmGates(
    z: TypedArray,
    c: TypedArray,
    units: number,
    act: GateActivation,
    recAct: GateActivation,
    out: TypedArray,
  ): void;
  /** Its vjp, out [batch, 5·units] = [dz | dc] from g [batch, 2·units] = [g_h | g_c], z and c. */
  lstmGatesGrad(
    g: TypedArray,
    z: TypedArray,
    c: TypedArray,
    units: number,
    act: GateActivation,
    recAct: GateActivation,
    out: TypedArray,
  ): void;
}

/** The backend's own memory: resident tensor storage and what the kernels' memory has grown to. */
export interface BackendMemory {
  /** Bytes of op outputs that live in backend memory now, and how many such blocks. */
  residentBytes: number;
  resident: number;
  /** Bytes between the allocator's base and its top, and the whole memory (wasm memory never shrinks). */
  spanBytes: number;
  memoryBytes: number;
  /** Blocks copied out to stay under the budget, and blocks freed by the garbage collector's finalizers. */
  evicted: number;
  finalized: number;
  /** Blocks freed in a loop that never yields, once a collection showed their tensor dead (no copy). */
  reclaimed: number;
  /** The resident budget in bytes (0 where the backend has none). */
  budgetBytes: number;
}

/** TF.js `tf.memory()`: what the active backend holds (zeros on a backend with no memory of its own). */
export function memory(): BackendMemory & { backend: string } {
  const k = kernels();
  const m = k.memory?.() ?? {
    residentBytes: 0,
    resident: 0,
    spanBytes: 0,
    memoryBytes: 0,
    evicted: 0,
    finalized: 0,
    reclaimed: 0,
    budgetBytes: 0,
  };
  return { backend: k.name, ...m };
}

/** Set the resident budget of every backend that has one, in MiB (default 256; Node also reads TAPEGRAD_RESIDENT_MB). */
export function setMemoryBudget(mib: number): void {
  if (!(Number.isFinite(mib) && mib > 0))
    throw new ValueError(`setMemoryBudget: expected a positive number of MiB, got ${String(mib)}`);
  for (const k of registry.values()) k.setMemoryBudget?.(Math.round(mib * 1024 * 1024));
}

let active: Kernels | null = null;
const registry = new Map<string, Kernels>();

export function registerBackend(k: Kernels): void {
  registry.set(k.name, k);
  active ??= k;
}
/** The kernels ops run on now. */
export function kernels(): Kernels {
  if (!active) throw new Error('tapegrad: no backend registered');
  return active;
}
export function setBackend(name: string): void {
  const k = registry.get(name);
  if (!k)
    throw new Error(`setBackend: unknown backend '${name}' (available: ${[...registry.keys()].join(', ')})`);
  active = k;
}
export const getBackend = (): string => kernels().name;
export const listBackends = (): string[] => [...registry.keys()];
