// The op families of the wasm-vs-js differential programs (diff-programs.ts): each adds one or a few steps to a
// Builder, choosing shapes, axes and options from its random stream. Text is what the failure report prints.
import * as tg from '../../src/index.js';
import { Builder, type Program, Rng, fmt } from './diff-programs.js';
import { conv, conv1d, convTranspose, pool } from './diff-window-steps.js';

type T = tg.Tensor;
type Family = (b: Builder) => void;

const UNARY: [string, (x: T) => T][] = [
  ['tg.neg', tg.neg],
  ['tg.exp', tg.exp],
  ['tg.log', tg.log],
  ['tg.sqrt', tg.sqrt],
  ['tg.abs', tg.abs],
  ['tg.sign', tg.sign],
  ['tg.relu', tg.relu],
  ['tg.sigmoid', tg.sigmoid],
  ['tg.tanh', tg.tanh],
  ['tg.sin', tg.sin],
  ['tg.cos', tg.cos],
  ['tg.erf', tg.erf],
  ['tg.floor', tg.floor],
  ['tg.log1p', tg.log1p],
  ['tg.expm1', tg.expm1],
  ['tg.softplus', tg.softplus],
  ['tg.square', tg.square],
  ['tg.reciprocal', tg.reciprocal],
  ['tg.rsqrt', tg.rsqrt],
  ['tg.elu', (x) => tg.elu(x)],
  ['tg.gelu', (x) => tg.gelu(x)],
  ['tg.silu', tg.silu],
  ['tg.leakyRelu', (x) => tg.leakyRelu(x)],
  ['tg.relu6', tg.relu6],
  ['tg.hardSigmoid', (x) => tg.hardSigmoid(x)],
  ['tg.softsign', tg.softsign],
  ['tg.mish', tg.mish],
  ['tg.selu', tg.selu],
  ['tg.logSigmoid', tg.logSigmoid],
];
const BINARY: [string, (a: tg.TensorLike, b: tg.TensorLike) => T][] = [
  ['tg.add', tg.add],
  ['tg.sub', tg.sub],
  ['tg.mul', tg.mul],
  ['tg.div', tg.div],
  ['tg.pow', tg.pow],
  ['tg.maximum', tg.maximum],
  ['tg.minimum', tg.minimum],
];
const COMPARE: [string, (a: tg.TensorLike, b: tg.TensorLike) => T][] = [
  ['tg.equal', tg.equal],
  ['tg.notEqual', tg.notEqual],
  ['tg.greater', tg.greater],
  ['tg.greaterEqual', tg.greaterEqual],
  ['tg.less', tg.less],
  ['tg.lessEqual', tg.lessEqual],
];
const SCALARS = [0, -0, 1, -1, 0.5, 2, 3, -2.5, NaN, Infinity, -Infinity];

const unary: Family = (b) => {
  const [name, f] = b.rng.pick(UNARY);
  b.op(`${name}(x0)`, [b.pickFloat()], f);
};

const binary: Family = (b) => {
  const r = b.rng;
  const [name, f] = r.pick(BINARY);
  const x = b.pickFloat();
  if (r.chance(0.25)) {
    const s = r.pick(SCALARS);
    if (r.chance(0.5)) b.op(`${name}(x0, ${fmt(s)})`, [x], (a) => f(a, s));
    else b.op(`${name}(${fmt(s)}, x0)`, [x], (a) => f(s, a));
    return;
  }
  const y = b.leaf(b.broadcastShape(b.shape(x)));
  if (r.chance(0.5)) b.op(`${name}(x0, x1)`, [x, y], f);
  else b.op(`${name}(x1, x0)`, [x, y], (p, q) => f(q, p));
};

const compareWhere: Family = (b) => {
  const r = b.rng;
  const [name, f] = r.pick(COMPARE);
  const x = b.pickFloat();
  const y = r.chance(0.3) ? null : b.leaf(b.broadcastShape(b.shape(x)), 'float32', true);
  const c = y === null ? b.op(`${name}(x0, 0)`, [x], (p) => f(p, 0)) : b.op(`${name}(x0, x1)`, [x, y], f);
  if (c === null || r.chance(0.3)) return;
  const z = b.leaf(b.broadcastShape(b.shape(x)));
  if (r.chance(0.2)) b.op(`tg.where(x0, x1, ${fmt(-0)})`, [c, x], (cc, p) => tg.where(cc, p, -0));
  else if (r.chance(0.25))
    b.op("tg.where(tg.cast(x0, 'int32'), x1, x2)", [x, x, z], (cc, p, q) =>
      tg.where(tg.cast(cc, 'int32'), p, q),
    );
  else b.op('tg.where(x0, x1, x2)', [c, x, z], (cc, p, q) => tg.where(cc, p, q));
};

/** Random axes of a rank-r tensor: undefined (all), one axis, or a subset; negative spellings at random. */
function axesOf(b: Builder, r: number): number | number[] | undefined {
  const g = b.rng;
  if (r === 0 || g.chance(0.2)) return undefined;
  const spell = (a: number) => (g.chance(0.3) ? a - r : a);
  if (g.chance(0.4)) return spell(g.int(0, r - 1));
  return g.perm(r).slice(0, g.int(1, r)).map(spell);
}

const REDUCE: [string, (x: T, ax: number | number[] | undefined, k: boolean) => T][] = [
  ['tg.sum', tg.sum],
  ['tg.mean', tg.mean],
  ['tg.max', tg.max],
  ['tg.min', tg.min],
  ['tg.variance', tg.variance],
  ['tg.logSumExp', tg.logSumExp],
  ['tg.moments(...).mean', (x, ax, k) => tg.moments(x, ax, k).mean],
  ['tg.moments(...).variance', (x, ax, k) => tg.moments(x, ax, k).variance],
];
const reduce: Family = (b) => {
  const r = b.rng;
  const x = b.pickFloat();
  const rank = b.vals[x].rank;
  if (rank > 0 && r.chance(0.2)) {
    const axis = r.int(-rank, rank - 1);
    const [name, f] = r.pick([
      ['tg.argmax', tg.argmax],
      ['tg.argmin', tg.argmin],
    ] as const);
    b.op(`${name}(x0, ${axis})`, [x], (p) => f(p, axis));
    return;
  }
  const [name, f] = r.pick(REDUCE);
  const ax = axesOf(b, rank);
  const keep = r.chance(0.5);
  b.op(`${name}(x0, ${fmt(ax ?? null)}, ${keep})`, [x], (p) => f(p, ax, keep));
};

/** A random shape of the same size as s (factors regrouped), with a -1 now and then. */
function reshapeOf(b: Builder, s: number[]): number[] {
  const r = b.rng;
  const n = s.reduce((a, c) => a * c, 1);
  if (n === 0) return r.chance(0.5) ? [0, r.int(1, 3)] : [r.int(1, 2), 0];
  const primes: number[] = [];
  for (let m = n, p = 2; m > 1;)
    if (m % p === 0) [primes[primes.length], m] = [p, m / p];
    else p++;
  const out = Array.from({ length: r.int(1, 4) }, () => 1);
  for (const p of primes) out[r.int(0, out.length - 1)] *= p;
  if (r.chance(0.3)) out[r.int(0, out.length - 1)] = -1;
  return out;
}

const movement: Family = (b) => {
  const r = b.rng;
  const x = b.pickFloat();
  const s = b.shape(x);
  const rank = s.length;
  switch (r.int(0, 9)) {
    case 0: {
      const p = r.chance(0.2) ? undefined : r.perm(rank);
      b.op(`tg.transpose(x0, ${fmt(p ?? null)})`, [x], (t) => tg.transpose(t, p));
      return;
    }
    case 1: {
      const shape = reshapeOf(b, s);
      b.op(`tg.reshape(x0, ${fmt(shape)})`, [x], (t) => tg.reshape(t, shape));
      return;
    }
    case 2: {
      const begin = s.map((d) => r.int(0, d));
      const size = s.map((d, i) => (r.chance(0.2) ? -1 : r.int(0, d - begin[i])));
      b.op(`tg.slice(x0, ${fmt(begin)}, ${fmt(size)})`, [x], (t) => tg.slice(t, begin, size));
      return;
    }
    case 3: {
      const pads = s.map(() => [r.int(0, 2), r.int(0, 2)] as [number, number]);
      const v = r.pick([0, -0, 1.5, NaN, -Infinity]);
      b.op(`tg.pad(x0, ${fmt(pads)}, ${fmt(v)})`, [x], (t) => tg.pad(t, pads, v));
      return;
    }
    case 4:
    case 5: {
      if (rank === 0) return void b.op('tg.stack([x0, x0], 0)', [x], (t) => tg.stack([t, t], 0));
      const axis = r.int(-rank, rank - 1);
      const a = axis < 0 ? axis + rank : axis;
      const ys = Array.from({ length: r.int(1, 2) }, () =>
        b.leaf(s.map((d, i) => (i === a ? r.int(0, 3) : d))),
      );
      const args = [x, ...ys];
      const names = args.map((_, i) => `x${i}`).join(', ');
      b.op(`tg.concat([${names}], ${axis})`, args, (...ts) => tg.concat(ts, axis));
      return;
    }
    case 6: {
      const axis = r.int(-rank - 1, rank);
      const y = b.leaf(s);
      b.op(`tg.stack([x0, x1], ${axis})`, [x, y], (p, q) => tg.stack([p, q], axis));
      return;
    }
    case 7: {
      const reps = s.map(() => r.int(1, 2));
      b.op(`tg.tile(x0, ${fmt(reps)})`, [x], (t) => tg.tile(t, reps));
      return;
    }
    case 8: {
      const shape = [...(r.chance(0.5) ? [r.int(1, 2)] : []), ...s.map((d) => (d === 1 ? r.int(1, 3) : d))];
      b.op(`tg.broadcastTo(x0, ${fmt(shape)})`, [x], (t) => tg.broadcastTo(t, shape));
      return;
    }
    default: {
      if (rank === 0) return void b.op('tg.expandDims(x0, 0)', [x], (t) => tg.expandDims(t, 0));
      const axis = r.int(0, rank - 1);
      const n = s[axis];
      if (r.chance(0.5)) {
        const idx = Array.from({ length: r.int(0, 4) }, () => r.int(0, Math.max(0, n - 1)));
        b.op(`tg.gather(x0, ${fmt(idx)}, ${axis})`, [x], (t) => tg.gather(t, idx, axis));
      } else {
        const cut = r.int(0, n);
        const k = r.int(0, 1);
        b.op(
          `tg.split(x0, ${fmt([cut, n - cut])}, ${axis})[${k}]`,
          [x],
          (t) => tg.split(t, [cut, n - cut], axis)[k],
        );
      }
    }
  }
};

const matmul: Family = (b) => {
  const r = b.rng;
  const d = () => (r.chance(0.05) ? 0 : r.int(1, b.maxDim + 1));
  const [m, k, n, B] = [d(), d(), d(), r.int(1, 3)];
  const tA = r.chance(0.3);
  const tB = r.chance(0.3);
  const mk = tA ? [k, m] : [m, k];
  const kn = tB ? [n, k] : [k, n];
  const shapes: [number[], number[], boolean][] = [
    [[k], [k], false],
    [[k], [k, n], false],
    [[m, k], [k], false],
    [mk, kn, true],
    [[B, m, k], kn, true],
    [[B, ...mk], [B, ...kn], true],
    [[1, ...mk], [B, ...kn], true],
    [[B, 1, ...mk], [r.int(1, 2), ...kn], true],
  ];
  const [sa, sb, opts] = r.pick(shapes);
  const a = b.pickRank(
    sa.length,
    () => sa,
    (s) => s.join() === sa.join(),
  );
  const w = b.leaf(sb);
  const o = opts ? { transA: tA && sa.length > 1, transB: tB } : undefined;
  if (o && sa.length === 3 && sb.length === 2) o.transA = false;
  b.op(`tg.matmul(x0, x1${o ? `, ${fmt(o)}` : ''})`, [a, w], (p, q) => tg.matmul(p, q, o));
};

const softmax: Family = (b) => {
  const r = b.rng;
  const x = b.pickRank(r.int(r.chance(0.05) ? 0 : 1, 4), () => b.randShape(r.int(1, 4)));
  const rank = b.vals[x].rank;
  const axis = rank === 0 ? -1 : r.int(-rank, rank - 1);
  if (rank >= 2 && b.vals[x].shape[1] > 0 && r.chance(0.2)) {
    const s = b.shape(x);
    const labels = b.leaf([s[0], ...s.slice(2)], 'int32');
    const o = { reduction: r.pick(['mean', 'sum', 'none'] as const), labelSmoothing: r.pick([0, 0.1]) };
    const C = s[1];
    b.op(
      `tg.crossEntropy(x0, tg.maximum(tg.minimum(tg.abs(x1), ${C - 1}), 0), ${fmt(o)})`,
      [x, labels],
      (t, l) => tg.crossEntropy(t, tg.maximum(tg.minimum(tg.abs(l), C - 1), 0), o),
    );
    return;
  }
  const [name, f] = r.pick([
    ['tg.softmax', tg.softmax],
    ['tg.logSoftmax', tg.logSoftmax],
  ] as const);
  b.op(`${name}(x0, ${axis})`, [x], (t) => f(t, axis));
};

const INT_BINARY = BINARY.filter(([n]) => n !== 'tg.div');
const ints: Family = (b) => {
  const r = b.rng;
  const x = r.chance(0.5) ? b.pickFloat() : null;
  const xi =
    x === null
      ? b.leaf(b.randShape(r.int(1, 3)), 'int32')
      : b.op("tg.cast(x0, 'int32')", [x], (t) => tg.cast(t, 'int32'));
  if (xi === null) return;
  const s = b.shape(xi);
  let y: number | null;
  switch (r.int(0, 5)) {
    case 0: {
      const [name, f] = r.pick(INT_BINARY);
      const z = b.leaf(b.broadcastShape(s), 'int32');
      y = b.op(`${name}(x0, x1)`, [xi, z], f);
      break;
    }
    case 1: {
      const ax = axesOf(b, s.length);
      y = b.op(`tg.sum(x0, ${fmt(ax ?? null)})`, [xi], (t) => tg.sum(t, ax));
      break;
    }
    case 2: {
      const z = b.leaf([s.length ? s[s.length - 1] : 2, r.int(1, 3)], 'int32');
      y = b.op('tg.matmul(x0, x1)', [xi, z], (p, q) => tg.matmul(p, q));
      break;
    }
    case 3: {
      const [name, f] = r.pick(COMPARE);
      y = b.op(`${name}(x0, 1)`, [xi], (t) => f(t, 1));
      break;
    }
    case 4: {
      const p = r.perm(s.length);
      y = b.op(`tg.transpose(x0, ${fmt(p)})`, [xi], (t) => tg.transpose(t, p));
      break;
    }
    default:
      y = b.op(`tg.abs(tg.neg(x0))`, [xi], (t) => tg.abs(tg.neg(t)));
  }
  if (y !== null && x !== null && b.shape(y).join() === b.shape(x).join() && r.chance(0.7))
    b.op("tg.mul(x0, tg.cast(x1, 'float32'))", [x, y], (p, q) => tg.mul(p, tg.cast(q, 'float32')));
};

const norm: Family = (b) => {
  const r = b.rng;
  const x = b.pickRank(r.int(2, 4), () => b.randShape(r.int(2, 4)));
  const rank = b.vals[x].rank;
  const s = b.shape(x);
  const axis = r.int(0, rank - 1);
  const C = s[axis];
  const [mu, v, off, sc] = [b.leaf([C]), b.leaf([C]), b.leaf([C]), b.leaf([C])];
  b.op(`tg.batchNorm(x0, x1, tg.abs(x2), x3, x4, 1e-3, ${axis})`, [x, mu, v, off, sc], (p, m, va, o, q) =>
    tg.batchNorm(p, m, tg.abs(va), o, q, 1e-3, axis),
  );
};

const GATE_ACTS: [string, (x: T) => T][] = [
  ['tg.tanh', tg.tanh],
  ['tg.sigmoid', tg.sigmoid],
  ['tg.relu', tg.relu],
  ['tg.linear', tg.linear],
  ['tg.hardSigmoid', (x) => tg.hardSigmoid(x)],
];
/** The recurrent cells' state updates from gate pre-activations (the matmuls before them are matmul steps). */
const rnn: Family = (b) => {
  const r = b.rng;
  const [batch, units] = [r.int(1, 3), r.int(1, 4)];
  const [an, act] = r.pick(GATE_ACTS);
  const [rn, rec] = r.pick(GATE_ACTS);
  if (r.chance(0.3)) {
    const g = Array.from({ length: 7 }, () => b.leaf([batch, units]));
    b.op(`tg.gruUpdate(x0, x1, x2, x3, x4, (q) => tg.mul(q, x5), x6, ${an}, ${rn})`, g, (...x) =>
      tg.gruUpdate(x[0], x[1], x[2], x[3], x[4], (q) => tg.mul(q, x[5]), x[6], act, rec),
    );
    return;
  }
  const z = b.leaf([batch, 4 * units]);
  const c = b.leaf([batch, units]);
  const k = r.int(0, 1);
  b.op(`tg.lstmStep(x0, x1, ${an}, ${rn})[${k}]`, [z, c], (zz, cc) => tg.lstmStep(zz, cc, act, rec)[k]);
};

/** Families with their weights (how often a step is of that family). */
const FAMILIES: [Family, number][] = [
  [unary, 5],
  [binary, 5],
  [compareWhere, 2],
  [reduce, 4],
  [movement, 5],
  [matmul, 3],
  [conv, 3],
  [conv1d, 1],
  [convTranspose, 1],
  [pool, 3],
  [softmax, 2],
  [ints, 2],
  [norm, 1],
  [rnn, 1],
];
const TOTAL = FAMILIES.reduce((a, [, w]) => a + w, 0);

/**
 * A program of `steps` families from `seed`, leaves of dims up to `maxDim`; a quarter have no special values, the
 * others 1%, 5% or 20% of them (NaN, ±Inf, ±0, subnormals, ±1e4).
 */
export function makeProgram(seed: number, steps: number, maxDim = 4): Program {
  const rng = new Rng(seed);
  const b = new Builder(rng, rng.pick([0, 0.01, 0.05, 0.2]), maxDim);
  for (let i = 0; i < steps && !b.error; i++) {
    let u = rng.next() * TOTAL;
    const fam = FAMILIES.find(([, w]) => (u -= w) < 0)![0];
    fam(b);
  }
  return b.program(seed);
}
