// Seeded random numbers (xoshiro128**): the same seed gives the same tensors on every machine.
import { allocArray } from './dtype.js';
import { ValueError } from './errors.js';
import type { Shape } from './shape.js';
import { assertShapeArray, sizeOf } from './shape.js';
import { TENSOR_KEYS, Tensor, type TensorOptions, checkGradDtype } from './tensor.js';
import { checkOptions } from './options.js';

export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;
  constructor(seed = 0) {
    this.seed(seed);
  }
  seed(seed: number): void {
    // splitmix32 expands one integer seed into the 128-bit state
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    this.spare = null;
  }
  /** Uniform 32-bit integer. */
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(((Math.imul(s[1], 5) << 7) | (Math.imul(s[1], 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ((s[3] << 11) | (s[3] >>> 21)) >>> 0;
    return r;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** The full state (4 state words, then the cached normal sample or NaN), e.g. for checkpoints. */
  getState(): number[] {
    return [...this.s, this.spare ?? NaN];
  }
  /** Restore a state from {@link getState}; later draws then repeat the saved generator's draws exactly. */
  setState(state: ArrayLike<number>): void {
    const ok =
      state.length === 5 &&
      Array.from(state)
        .slice(0, 4)
        .every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32);
    if (
      !ok ||
      Array.from(state)
        .slice(0, 4)
        .every((w) => w === 0)
    )
      throw new ValueError(
        `Rng.setState: expected 4 nonzero 32-bit words and a cached sample, got [${Array.from(state).join(', ')}]`,
      );
    this.s.set(Array.from(state).slice(0, 4));
    this.spare = Number.isNaN(state[4]) ? null : state[4];
  }
}

/** The global generator; `setSeed` makes every later random call reproducible. */
export const globalRng = new Rng(0);
export const setSeed = (seed: number): void => globalRng.seed(seed);

export interface RandomOptions extends TensorOptions {
  rng?: Rng;
}

/** The option keys each random creator takes. */
const RANDOM_KEYS = [...TENSOR_KEYS, 'rng'];
const NORMAL_KEYS = [...RANDOM_KEYS, 'mean', 'std'];
const UNIFORM_KEYS = [...RANDOM_KEYS, 'low', 'high'];

function fill(
  where: string,
  known: readonly string[],
  shape: Shape,
  opts: RandomOptions,
  f: (r: Rng) => number,
): Tensor {
  checkOptions(where, opts, known);
  assertShapeArray(shape, where);
  if (opts.requiresGrad) checkGradDtype(opts.dtype ?? 'float32', where);
  const r = opts.rng ?? globalRng;
  const a = allocArray(opts.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < a.length; i++) a[i] = f(r);
  return new Tensor(a, shape, opts.requiresGrad ?? false);
}

/** Normal(mean, std) samples. */
export const randn = (shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor =>
  fill('randn', NORMAL_KEYS, shape, opts, (r) => (opts.mean ?? 0) + (opts.std ?? 1) * r.normal());
/** Uniform [low, high) samples. */
export const rand = (shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor =>
  fill(
    'rand',
    UNIFORM_KEYS,
    shape,
    opts,
    (r) => (opts.low ?? 0) + ((opts.high ?? 1) - (opts.low ?? 0)) * r.next(),
  );
/** Normal samples redrawn until within 2 std (Keras `truncated_normal`). */
export const truncatedNormal = (
  shape: Shape,
  opts: RandomOptions & { mean?: number; std?: number } = {},
): Tensor =>
  fill('truncatedNormal', NORMAL_KEYS, shape, opts, (r) => {
    let v: number;
    do v = r.normal();
    while (Math.abs(v) > 2);
    return (opts.mean ?? 0) + (opts.std ?? 1) * v;
  });
/** Integers in [low, high). */
export const randint = (shape: Shape, low: number, high: number, opts: RandomOptions = {}): Tensor =>
  fill(
    'randint',
    RANDOM_KEYS,
    shape,
    { ...opts, dtype: opts.dtype ?? 'int32' },
    (r) => low + r.int(high - low),
  );
