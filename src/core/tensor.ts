// Tensor: a shape, a dtype and the typed array of its values (its Storage). Garbage collected; no dispose.
import { type DType, type TypedArray, allocArray, dtypeOf, isDType, isFloat, plainCopy } from './dtype.js';
import { DTypeError, GradError, ShapeError, ValueError, describeValue, fmtShape } from './errors.js';
import { type Shape, assertShapeArray, assertValidShape, sizeOf } from './shape.js';
import type { TapeNode } from './tape.js';
import { Storage, markMutated } from './storage.js';
import type { BackwardOptions } from './autodiff.js';
import type { TfjsTensorMethods } from './tensor-methods-tfjs.js';
import { checkOptions } from './options.js';

type BackwardFn = (root: Tensor, seed?: Tensor, opts?: BackwardOptions) => void;
// NOTE: the walker installs itself when core/autodiff.ts loads, so this file does not import it (no import cycle).
let backwardImpl: BackwardFn | null = null;
/** Called once by core/autodiff.ts. */
export function installBackward(f: BackwardFn): void {
  backwardImpl = f;
}

let nextId = 1;

/** Whether an array lives in shared memory (the wasm kernels' memory is a SharedArrayBuffer). */
const isShared = (a: TypedArray): boolean =>
  typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;

export type GradHook = (g: Tensor) => Tensor | void;
/** NOTE: every tensor starts with this shared empty list (no array per op output); registerHook replaces it. */
const NO_HOOKS: readonly GradHook[] = Object.freeze([]);

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Tensor {
  /** The id the next tensor will get (ids only grow: a tensor with a smaller id is older). */
  static peekId(): number {
    return nextId;
  }
  // NOTE: every field is declared (no class-field initializers) and assigned once, in one order, in the
  // constructor: field initializers run as a separate define step per field, which made the constructor of
  // every op output the costliest JS of a training run's first steps (issue 12); one order, one hidden class.
  declare readonly id: number;
  declare readonly shape: Shape;
  declare readonly dtype: DType;
  /** Where the values live; reshape views and detached tensors share their source's. */
  declare storage: Storage;
  /** True for leaves the user marked and for every result of a recorded op. */
  declare requiresGrad: boolean;
  /** Accumulated gradient of a leaf after `backward()`. */
  declare grad: Tensor | null;
  /** The recorded op that produced this tensor (null for leaves and untracked results). */
  declare node: TapeNode | null;
  /** Optional name (parameters get their path, e.g. `conv1.kernel`). */
  declare name?: string;
  /** Gradient hooks, run in order when this tensor's gradient is complete during a backward walk. */
  declare hooks: readonly GradHook[];
  /** Number of values (the product of the shape). */
  declare readonly size: number;

  constructor(data: TypedArray | Storage, shape: Shape, requiresGrad = false) {
    const id = nextId++;
    assertValidShape(shape, 'Tensor');
    let storage: Storage;
    if (data instanceof Storage) storage = data;
    else {
      // NOTE: dtypeOf reads the array's class: anything else (a plain array, a Uint8Array) would be labelled int32
      // whatever it holds, and ops would disagree about its values
      if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array))
        throw new ValueError(
          `Tensor: data must be a Float32Array, Float64Array or Int32Array, got ${describeValue(data)}; ` +
            `use tg.tensor(values, shape, { dtype }) for plain arrays and other typed arrays`,
        );
      // NOTE: an array in kernel memory (a shared wasm buffer, e.g. another tensor's internal view) is copied: a
      // tensor never aliases memory it does not own, whose values could change under it.
      storage = new Storage(isShared(data) ? plainCopy(data) : data);
    }
    const view = storage.view;
    if (view.length !== sizeOf(shape))
      throw new ShapeError(
        `Tensor: ${view.length} values do not fill shape ${fmtShape(shape)} (needs ${sizeOf(shape)})`,
      );
    this.id = id;
    // NOTE: a frozen array (another tensor's shape: every elementwise op's output) is shared, not copied.
    this.shape = !Array.isArray(shape)
      ? Object.freeze([...shape])
      : Object.isFrozen(shape)
        ? shape
        : Object.freeze(shape.slice());
    this.dtype = dtypeOf(view);
    if (requiresGrad) checkGradDtype(this.dtype, 'Tensor');
    this.storage = storage;
    this.requiresGrad = requiresGrad;
    this.grad = null;
    this.node = null;
    this.name = undefined;
    this.hooks = NO_HOOKS;
    this.size = view.length;
  }

  /** Row-major values as a plain typed array you may keep and mutate (reshape views share it). */
  get data(): TypedArray {
    return this.storage.materialize();
  }
  set data(a: TypedArray) {
    if (a.length !== this.size)
      throw new ShapeError(`Tensor.data: ${a.length} values do not fill shape ${fmtShape(this.shape)}`);
    this.storage = new Storage(isShared(a) ? plainCopy(a) : a);
    markMutated(this.storage); // a graph that saved the old values cannot differentiate through the new ones
  }
  /**
   * The values where they are, possibly a view into backend memory: for ops and read-only scans that use it at
   * once and never keep it (a later op may move the values). Use `data` for anything else.
   * @internal
   */
  get raw(): TypedArray {
    return this.storage.view;
  }
  /** True once the values were released (reading them throws a ReleasedError that says why). */
  get released(): boolean {
    return this.storage.released;
  }

  get rank(): number {
    return this.shape.length;
  }
  /** Leaf = not produced by a recorded op. */
  get isLeaf(): boolean {
    return this.node === null;
  }

  /** A row-major typed-array copy of the values. */
  toFlatArray(): TypedArray {
    return plainCopy(this.raw);
  }
  /** Values as nested JS arrays (a number for a scalar). */
  toArray(): any {
    const rec = (d: number, off: number): any => {
      if (d === this.shape.length) return this.raw[off];
      const step = sizeOf(this.shape.slice(d + 1));
      return Array.from({ length: this.shape[d] }, (_, i) => rec(d + 1, off + i * step));
    };
    return rec(0, 0);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError(`item: tensor of shape ${fmtShape(this.shape)} has ${this.size} values, not 1`);
    return this.raw[0];
  }
  /** Same values, cut from the tape. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape);
  }
  /** Mark as a leaf that wants a gradient (PyTorch `requires_grad_`). */
  requireGrad(flag = true): this {
    if (flag) checkGradDtype(this.dtype, 'requireGrad');
    this.requiresGrad = flag;
    return this;
  }
  /** Register a hook called with this tensor's gradient during backward; a returned tensor replaces it. */
  registerHook(fn: GradHook): () => void {
    this.hooks = [...this.hooks, fn];
    return () => {
      this.hooks = this.hooks.filter((h) => h !== fn);
    };
  }
  /** Accumulate d(this)/d(leaf) into each leaf's `.grad` (this must be a scalar unless `seed` is given). */
  backward(seed?: Tensor, opts?: BackwardOptions): void {
    if (!backwardImpl) throw new GradError('backward: autodiff is not loaded (import from "tapegrad")');
    backwardImpl(this, seed, opts);
  }
  zeroGrad(): void {
    this.grad = null;
  }
  toString(): string {
    const vals = this.released
      ? 'released'
      : this.size <= 20
        ? Array.from(this.raw)
            .map((v) => +v.toPrecision(5))
            .join(', ')
        : `${this.size} values`;
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''}: ${vals})`;
  }
}

/**
 * Fluent methods (`x.add(y).relu()`): declared here, once, so published .d.ts files carry them; src/ops/fluent.ts
 * implements exactly this interface (the compiler checks it) as one-line delegations to the functional ops.
 */
export interface TensorMethods {
  add(b: TensorLike): Tensor;
  sub(b: TensorLike): Tensor;
  mul(b: TensorLike): Tensor;
  div(b: TensorLike): Tensor;
  pow(b: TensorLike): Tensor;
  maximum(b: TensorLike): Tensor;
  minimum(b: TensorLike): Tensor;
  greater(b: TensorLike): Tensor;
  less(b: TensorLike): Tensor;
  equal(b: TensorLike): Tensor;
  neg(): Tensor;
  exp(): Tensor;
  log(): Tensor;
  sqrt(): Tensor;
  abs(): Tensor;
  square(): Tensor;
  relu(): Tensor;
  sigmoid(): Tensor;
  tanh(): Tensor;
  clipByValue(lo: number, hi: number): Tensor;
  cast(dtype: DType): Tensor;
  sum(axes?: number | readonly number[], keepdims?: boolean): Tensor;
  mean(axes?: number | readonly number[], keepdims?: boolean): Tensor;
  max(axes?: number | readonly number[], keepdims?: boolean): Tensor;
  min(axes?: number | readonly number[], keepdims?: boolean): Tensor;
  argmax(axis?: number): Tensor;
  matmul(b: Tensor, opts?: { transA?: boolean; transB?: boolean }): Tensor;
  reshape(shape: readonly number[]): Tensor;
  transpose(perm?: readonly number[]): Tensor;
  flatten(): Tensor;
  squeeze(axes?: readonly number[]): Tensor;
  expandDims(axis?: number): Tensor;
  softmax(axis?: number): Tensor;
  logSoftmax(axis?: number): Tensor;
}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Tensor extends TensorMethods, TfjsTensorMethods {}

/**
 * Only float tensors can require a gradient (PyTorch: "only Tensors of floating point dtype can require gradients"):
 * an int32 leaf's gradient would be cut by the cast every float op puts in front of it, or truncated.
 */
export function checkGradDtype(dtype: DType, where: string): void {
  if (!isFloat(dtype))
    throw new GradError(
      `${where}: only float32 and float64 tensors can require a gradient, got ${dtype} (cast it first: tg.cast(t, 'float32'))`,
    );
}

/** Throw a ValueError naming `op` and the argument unless `x` is a Tensor. */
export function assertTensor(x: unknown, op: string, what: string): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(
      `${op}: ${what} is ${describeValue(x)}, expected a Tensor${Array.isArray(x) || typeof x === 'number' ? ' (make one with tg.tensor)' : ''}`,
    );
}

export type NestedArray = number | NestedArray[];
export type TensorLike = Tensor | number | NestedArray | TypedArray | readonly number[];
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

function inferShape(x: NestedArray): number[] {
  const s: number[] = [];
  let cur: NestedArray = x;
  while (Array.isArray(cur)) {
    s.push(cur.length);
    cur = cur[0] as NestedArray;
  }
  return s;
}

function flatten(x: NestedArray, shape: number[], d: number, out: number[]): void {
  if (d === shape.length) {
    if (typeof x !== 'number')
      throw new ValueError(`tensor: expected a number at depth ${d}, got ${typeof x}`);
    out.push(x);
    return;
  }
  if (!Array.isArray(x) || x.length !== shape[d])
    throw new ShapeError(`tensor: ragged nested array (expected length ${shape[d]} at depth ${d})`);
  for (const v of x) flatten(v, shape, d + 1, out);
}

/** The keys every tensor creator takes. */
export const TENSOR_KEYS = ['dtype', 'requiresGrad'] as const;

/** Create a tensor from a number, nested arrays or a typed array, with an optional shape. */
export function tensor(data: TensorLike, shape?: Shape, opts: TensorOptions = {}): Tensor {
  checkOptions('tensor', opts, TENSOR_KEYS);
  if (opts.dtype !== undefined && !isDType(opts.dtype))
    throw new DTypeError(`tensor: unknown dtype '${String(opts.dtype)}' (use float32, float64 or int32)`);
  if (data instanceof Tensor) {
    shape ??= data.shape; // NOTE: a tensor argument keeps its shape (and, unless dtype is given, its dtype)
    data = data.raw; // copied below
  }
  let flat: ArrayLike<number>;
  let inferred: number[];
  let dtype = opts.dtype;
  if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (ArrayBuffer.isView(data)) {
    flat = data as TypedArray;
    inferred = [flat.length];
    dtype ??= dtypeOf(data as TypedArray);
  } else {
    inferred = inferShape(data as NestedArray);
    const out: number[] = [];
    flatten(data as NestedArray, inferred, 0, out);
    flat = out;
  }
  if (shape !== undefined && shape !== null) assertShapeArray(shape, 'tensor');
  const s = shape ?? inferred;
  if (opts.requiresGrad) checkGradDtype(dtype ?? 'float32', 'tensor');
  const arr = allocArray(dtype ?? 'float32', flat.length);
  arr.set(flat as ArrayLike<number>);
  return new Tensor(new Storage(arr), s, opts.requiresGrad ?? false); // fresh: not shared memory
}

export const full = (shape: Shape, value: number, opts: TensorOptions = {}): Tensor =>
  filled('full', shape, value, opts);
export const zeros = (shape: Shape, opts: TensorOptions = {}): Tensor => filled('zeros', shape, 0, opts);
export const ones = (shape: Shape, opts: TensorOptions = {}): Tensor => filled('ones', shape, 1, opts);
function filled(where: string, shape: Shape, value: number, opts: TensorOptions): Tensor {
  checkOptions(where, opts, TENSOR_KEYS);
  assertShapeArray(shape, where);
  if (opts.requiresGrad) checkGradDtype(opts.dtype ?? 'float32', where);
  const a = allocArray(opts.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) a.fill(value);
  // NOTE: a Storage of the fresh array: the constructor's shared-memory check reads `a.buffer`, and for a small
  // array (a scalar of a vjp) V8 then materializes a buffer per call, the costliest line of early steps (issue 12).
  return new Tensor(new Storage(a), shape, opts.requiresGrad ?? false);
}
export const scalar = (v: number, dtype: DType = 'float32'): Tensor => full([], v, { dtype });
export const zerosLike = (t: Tensor): Tensor => zeros(t.shape, { dtype: t.dtype });
export const onesLike = (t: Tensor): Tensor => ones(t.shape, { dtype: t.dtype });

/** 0, 1, ..., n-1 (or start..stop by step). */
export function arange(start: number, stop?: number, step = 1, opts: TensorOptions = {}): Tensor {
  checkOptions('arange', opts, TENSOR_KEYS);
  if (opts.requiresGrad) checkGradDtype(opts.dtype ?? 'float32', 'arange');
  if (stop === undefined) [start, stop] = [0, start];
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const a = allocArray(opts.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return new Tensor(new Storage(a), [n], opts.requiresGrad ?? false);
}

/**
 * Overwrite a tensor's values in place (PyTorch's `copy_`), the way the library writes weights (optimizer steps,
 * setWeights, loaders): the storage is marked changed, so a graph recorded before refuses backward (autodiff.ts).
 */
export function writeValues(t: Tensor, values: ArrayLike<number> | number): void {
  const d = t.data;
  if (typeof values === 'number') d.fill(values);
  else d.set(values);
  markMutated(t.storage);
}
