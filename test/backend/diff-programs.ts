// Random small programs of public ops for the wasm-vs-js differential test (wasm-vs-js-fuzz.test.ts): a program is
// a list of leaves (fixed values) and steps (public ops on earlier values), planned once on the 'js' backend and
// replayed on any backend. Every choice comes from one seed, and every step prints as a line of TypeScript.
import * as tg from '../../src/index.js';

type T = tg.Tensor;
export type LeafDType = 'float32' | 'int32';
export interface Leaf {
  shape: number[];
  dtype: LeafDType;
  data: Float32Array | Int32Array;
}
/** One program line: `fn` applied to the values at `args` (indices into the program's value list). */
export interface Step {
  text: string;
  args: number[];
  fn: (...xs: T[]) => T;
}
export type Item = { leaf: Leaf } | { step: Step };
export interface Program {
  seed: number;
  items: Item[];
  /** The error (class and message) the last step threw while planning; replays must throw the same. */
  error: { name: string; message: string } | null;
  /** A weight per value index of a float step output, for the loss Σ sum(out·w). */
  weights: Map<number, Float32Array>;
}

/** mulberry32 with the helpers the generator needs. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<V>(xs: readonly V[]): V {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** A random permutation of 0..n-1. */
  perm(n: number): number[] {
    const p = [...Array(n).keys()];
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(0, i);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  }
}

/** Float values that exercise NaN/Inf/±0/subnormal handling. */
const SPECIALS = [NaN, Infinity, -Infinity, 0, -0, 1e-40, -1e-40, 1e4, -1e4];
/** Values with many ties (max, argmax, pools, compare, where). */
const TIES = [-1, -0.5, 0, 0.5, 1];
const INT_EDGES = [2147483647, -2147483648, 65536, -65535];

const fmt = (v: unknown): string =>
  typeof v === 'number'
    ? Object.is(v, -0)
      ? '-0'
      : String(v)
    : JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));

/** Builds a program: each call plans a step on the 'js' backend (so shapes are known) and records it. */
export class Builder {
  readonly items: Item[] = [];
  readonly vals: T[] = [];
  error: Program['error'] = null;
  constructor(
    readonly rng: Rng,
    /** Probability of a special value per float leaf element (0 in some programs). */
    readonly special: number,
    readonly maxDim = 4,
  ) {}

  /** A new leaf of `shape`; returns its value index. */
  leaf(shape: number[], dtype: LeafDType = 'float32', ties = this.rng.chance(0.15)): number {
    const n = shape.reduce((a, b) => a * b, 1);
    const r = this.rng;
    let data: Float32Array | Int32Array;
    if (dtype === 'int32')
      data = Int32Array.from({ length: n }, () => (r.chance(0.05) ? r.pick(INT_EDGES) : r.int(-5, 5)));
    else
      data = Float32Array.from({ length: n }, () =>
        r.chance(this.special) ? r.pick(SPECIALS) : ties ? r.pick(TIES) : r.next() * 4 - 2,
      );
    this.items.push({ leaf: { shape, dtype, data } });
    this.vals.push(new tg.Tensor(data.slice(), shape));
    return this.vals.length - 1;
  }
  /** Run and record `fn` on the values at `args`; null once a step has thrown (the program ends there). */
  op(text: string, args: number[], fn: (...xs: T[]) => T): number | null {
    if (this.error) return null;
    const step: Step = { text, args, fn };
    this.items.push({ step });
    try {
      this.vals.push(fn(...args.map((i) => this.vals[i])));
    } catch (e) {
      this.error = { name: (e as Error).constructor.name, message: (e as Error).message };
      return null;
    }
    return this.vals.length - 1;
  }
  shape(i: number): number[] {
    return [...this.vals[i].shape];
  }
  /** A dimension in [lo, hi], or now and then 0 (an empty batch, channel or filter axis). */
  dim(lo: number, hi: number): number {
    return this.rng.chance(0.04) ? 0 : this.rng.int(lo, hi);
  }
  /** A random shape of the given rank (dims 1..maxDim, a 0 with probability pZero per dim). */
  randShape(rank: number, pZero = 0.04): number[] {
    return Array.from({ length: rank }, () => (this.rng.chance(pZero) ? 0 : this.rng.int(1, this.maxDim)));
  }
  /** An earlier float value (or a new leaf of random rank 0..4). */
  pickFloat(): number {
    const fl = this.vals.map((v, i) => (v.dtype === 'float32' ? i : -1)).filter((i) => i >= 0);
    return fl.length && this.rng.chance(0.8)
      ? this.rng.pick(fl)
      : this.leaf(this.randShape(this.rng.int(0, 4)));
  }
  /** An earlier float value of rank `rank` whose dims satisfy ok, else a new leaf of shape `make()`. */
  pickRank(rank: number, make: () => number[], ok: (s: number[]) => boolean = () => true): number {
    const fl = this.vals
      .map((v, i) => (v.dtype === 'float32' && v.rank === rank && ok([...v.shape]) ? i : -1))
      .filter((i) => i >= 0);
    return fl.length && this.rng.chance(0.6) ? this.rng.pick(fl) : this.leaf(make());
  }
  /** A shape that broadcasts against s: some dims set to 1, leading dims dropped or added. */
  broadcastShape(s: number[]): number[] {
    const r = this.rng;
    let b = s.map((d) => (r.chance(0.3) ? 1 : d));
    if (b.length && r.chance(0.3)) b = b.slice(r.int(1, b.length));
    if (b.length === s.length && r.chance(0.15)) b = [r.int(1, 2), ...b];
    return b;
  }
  program(seed: number): Program {
    const weights = new Map<number, Float32Array>();
    const w = new Rng(seed ^ 0x5bd1e995);
    this.vals.forEach((v, i) => {
      const it = this.items[i];
      if ('step' in it && v.dtype === 'float32')
        weights.set(
          i,
          Float32Array.from({ length: v.size }, () => w.next() * 2 - 1),
        );
    });
    return { seed, items: this.items, error: this.error, weights };
  }
}

/** The program as lines of TypeScript (leaves with their values), for a failure message or a repro script. */
export function describe(p: Program): string {
  let v = 0;
  const lines = p.items.map((it) => {
    const name = `v${v++}`;
    if ('leaf' in it) {
      const d = [...it.leaf.data].map((x) => fmt(x)).join(', ');
      const ctor = it.leaf.dtype === 'int32' ? 'Int32Array' : 'Float32Array';
      return `const ${name} = new tg.Tensor(${ctor}.from([${d}].map(Number)), ${fmt(it.leaf.shape)});`;
    }
    const args = it.step.args.map((a) => `v${a}`);
    return `const ${name} = ((${args.map((_, i) => `x${i}`).join(', ')}) => ${it.step.text})(${args.join(', ')});`;
  });
  if (p.error) lines.push(`// planning threw ${p.error.name}: ${p.error.message}`);
  return `// seed ${p.seed}\n${lines.join('\n')}`;
}

/** The program's values on the active backend: leaves from `leafTensors` (by leaf order) or fresh from their data. */
export function replay(p: Program, leafTensors?: T[]): T[] {
  const vals: T[] = [];
  let li = 0;
  for (const it of p.items) {
    if ('leaf' in it) {
      const given = leafTensors?.[li];
      vals.push(given ?? new tg.Tensor(it.leaf.data.slice(), it.leaf.shape));
      li++;
    } else vals.push(it.step.fn(...it.step.args.map((a) => vals[a])));
  }
  return vals;
}

/** Σ sum(value·w) over the program's float step outputs: the scalar the gradient test differentiates. */
export function loss(p: Program, vals: T[]): T {
  let l: T = tg.scalar(0);
  for (const [i, w] of p.weights)
    if (vals[i].size > 0) l = tg.add(l, tg.sum(tg.mul(vals[i], new tg.Tensor(w, [...vals[i].shape]))));
  return l;
}

export { fmt };
