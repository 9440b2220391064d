// The loop emitters behind toReferenceFn: one TypeScript function source per conv, pool, dense or
// elementwise layer, with sizes and paddings computed in the emitted code from the formulas.
import { ValueError, fmtShape } from '../core/errors.js';
import type { Tensor } from '../core/tensor.js';

/** One emitted layer: its function source, name and output shape (without batch). */
export interface Emitted {
  fn: string;
  code: string;
  out: number[];
}

export const ACTS: Record<string, string> = {
  linear: 'v',
  relu: 'Math.max(v, 0)',
  sigmoid: '1 / (1 + Math.exp(-v))',
  tanh: 'Math.tanh(v)',
  elu: 'v > 0 ? v : Math.exp(v) - 1',
  selu: '1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.exp(v) - 1))',
  softplus: 'Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))',
  softsign: 'v / (1 + Math.abs(v))',
  swish: 'v / (1 + Math.exp(-v))',
  silu: 'v / (1 + Math.exp(-v))',
  relu6: 'Math.min(Math.max(v, 0), 6)',
  hardSigmoid: 'Math.min(Math.max(v + 3, 0), 6) / 6',
  leakyRelu: 'v > 0 ? v : 0.2 * v',
  exponential: 'Math.exp(v)',
};
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** JS expression of `v` for an activation spec, or 'softmax' (a pass over the last axis). */
export function actExpr(spec: unknown, where: string): string {
  if (spec === undefined || spec === null) return 'v';
  if (typeof spec !== 'string')
    throw new ValueError(
      `toReferenceFn: ${where} has a custom activation function, which cannot be written out; use a named one`,
    );
  const k = camel(spec);
  if (k === 'softmax') return 'softmax';
  const e = ACTS[k];
  if (!e)
    throw new ValueError(
      `toReferenceFn: ${where}: activation '${spec}' has no reference formula (known: ${[...Object.keys(ACTS), 'softmax'].join(', ')})`,
    );
  return e;
}

/** Weights as an inline literal (full precision: float32 values print exactly as doubles). */
const lit = (t: Tensor): string =>
  `[${Array.from(t.data, (v) => (Object.is(v, -0) ? '0' : String(v))).join(', ')}]`;
export const ident = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');

/** The closing lines that apply an activation to `y` (elementwise, or softmax over the last axis of size `last`). */
function activate(expr: string, last: number): string {
  if (expr === 'v') return '';
  if (expr === 'softmax')
    return `  // softmax over the last axis (size ${last}), shifted by the row max for stability
  for (let r = 0; r < y.length; r += ${last}) {
    let m = -Infinity;
    for (let k = 0; k < ${last}; k++) m = Math.max(m, y[r + k]);
    let s = 0;
    for (let k = 0; k < ${last}; k++) s += (y[r + k] = Math.exp(y[r + k] - m));
    for (let k = 0; k < ${last}; k++) y[r + k] /= s;
  }\n`;
  return `  for (let k = 0; k < y.length; k++) {\n    const v = y[k];\n    y[k] = ${expr};\n  }\n`;
}

/**
 * Padding lines for one spatial axis: out size and pad-before computed from the rule, in the emitted code. With
 * `pool`, explicit padding also names the pad-after (Q…, for count_include_pad) and `ceil` rounds the size up
 * (PyTorch ceil_mode).
 */
function padLines(
  ax: string,
  inName: string,
  k: string,
  s: string,
  d: string,
  padding: unknown,
  pool?: { ceil: boolean },
): string {
  if (padding === 'same')
    return `  const O${ax} = Math.ceil(${inName} / ${s}); // 'same': out = ceil(in / stride)
  const P${ax} = Math.floor(Math.max((O${ax} - 1) * ${s} + (${k} - 1) * ${d} + 1 - ${inName}, 0) / 2); // the odd extra pixel goes at the end\n`;
  if (padding === 'causal')
    return `  const P${ax} = (${k} - 1) * ${d}; // 'causal': all padding on the left\n  const O${ax} = Math.floor((${inName} + P${ax} - (${k} - 1) * ${d} - 1) / ${s}) + 1;\n`;
  const [pb, pa] = padPair(padding);
  if (!pool)
    return `  const P${ax} = ${pb}; // padding before (after: ${pa})\n  const O${ax} = Math.floor((${inName} + ${pb} + ${pa} - (${k} - 1) * ${d} - 1) / ${s}) + 1;\n`;
  const head = `  const P${ax} = ${pb}, Q${ax} = ${pa}; // padding before and after\n`;
  if (!pool.ceil)
    return `${head}  const O${ax} = Math.floor((${inName} + P${ax} + Q${ax} - (${k} - 1) * ${d} - 1) / ${s}) + 1;\n`;
  return `${head}  let O${ax} = Math.ceil((${inName} + P${ax} + Q${ax} - (${k} - 1) * ${d} - 1) / ${s}) + 1; // ceil_mode: round up,
  if ((O${ax} - 1) * ${s} >= ${inName} + P${ax}) O${ax}--; // but the last window must start inside the input or the left padding\n`;
}

/** [before, after] of one axis from 'valid', a number or a pair. */
const padPair = (padding: unknown): number[] =>
  padding === 'valid' || padding === undefined
    ? [0, 0]
    : typeof padding === 'number'
      ? [padding, padding]
      : (padding as number[]);

/** The emitted lines that map a tap index `v` on an axis of length `n` into the input, per PyTorch padding_mode. */
function padModeLine(v: string, n: string, mode: string): string {
  if (mode === 'reflect')
    return `${v} = ${v} < 0 ? -${v} : ${v} >= ${n} ? 2 * (${n} - 1) - ${v} : ${v}; // reflect padding: mirror at the edge (edge not repeated)`;
  if (mode === 'replicate')
    return `${v} = Math.min(Math.max(${v}, 0), ${n} - 1); // replicate padding: the edge value`;
  if (mode === 'circular') return `${v} = ((${v} % ${n}) + ${n}) % ${n}; // circular padding: wrap around`;
  return `if (${v} < 0 || ${v} >= ${n}) continue; // zero padding`;
}

export interface ConvSpec {
  name: string;
  title: string;
  rank: 1 | 2;
  channelsFirst: boolean;
  torchLayout: boolean;
  kernel: Tensor;
  bias: Tensor | null;
  k: number[];
  stride: number[];
  dilation: number[];
  padding: unknown;
  groups: number;
  act: string;
  /** PyTorch padding_mode: what the padding holds (default 'zeros'). */
  paddingMode?: 'zeros' | 'reflect' | 'replicate' | 'circular';
}

export function emitConv(c: ConvSpec, inShape: number[]): Emitted {
  const O = c.torchLayout ? c.kernel.shape[0] : c.kernel.shape[c.kernel.rank - 1];
  const CG = c.torchLayout ? c.kernel.shape[1] : c.kernel.shape[c.rank];
  const C = c.channelsFirst ? inShape[0] : inShape[inShape.length - 1];
  const H = c.rank === 2 ? (c.channelsFirst ? inShape[1] : inShape[0]) : 1;
  const W = c.channelsFirst ? inShape[inShape.length - 1] : inShape[c.rank - 1];
  const [KH, KW] = c.rank === 2 ? c.k : [1, c.k[0]];
  const [SH, SW] = c.rank === 2 ? c.stride : [1, c.stride[0]];
  const [DH, DW] = c.rank === 2 ? c.dilation : [1, c.dilation[0]];
  const xIdx = c.channelsFirst
    ? '((n * C + g * CG + c) * H + h) * W + w'
    : '((n * H + h) * W + w) * C + g * CG + c';
  const kIdx = c.torchLayout ? '((o * CG + c) * KH + u) * KW + v' : '((u * KW + v) * CG + c) * O + o';
  const yIdx = c.channelsFirst ? '((n * O + o) * OH + i) * OW + j' : '((n * OH + i) * OW + j) * O + o';
  const hPad =
    c.rank === 2
      ? padLines(
          'H',
          'H',
          'KH',
          'SH',
          'DH',
          Array.isArray(c.padding) && Array.isArray(c.padding[0]) ? c.padding[0] : c.padding,
        )
      : '  const PH = 0;\n  const OH = 1;\n';
  const wPad = padLines(
    'W',
    'W',
    'KW',
    'SW',
    'DW',
    Array.isArray(c.padding) && Array.isArray(c.padding[0]) ? c.padding[1] : c.padding,
  );
  const mode = c.paddingMode ?? 'zeros';
  const code = `/** ${c.title}. x: ${c.channelsFirst ? 'channels-first' : 'channels-last'} [batch, ${inShape.join(', ')}], row-major. */
export function ${c.name}(x: ArrayLike<number>, batch: number): Float64Array {
  // ${c.torchLayout ? 'kernel [out, in/groups, k...] (PyTorch)' : 'kernel [k..., in/groups, out] (Keras)'} ${fmtShape(c.kernel.shape)}
  const K = ${lit(c.kernel)};
  const B = ${c.bias ? lit(c.bias) : `new Array(${O}).fill(0)`};
  const H = ${H}, W = ${W}, C = ${C}, O = ${O}, G = ${c.groups}, CG = ${CG}, OG = O / G;
  const KH = ${KH}, KW = ${KW}, SH = ${SH}, SW = ${SW}, DH = ${DH}, DW = ${DW};
${hPad}${wPad}  const y = new Float64Array(batch * OH * OW * O);
  // y[n, i, j, o] = B[o] + Σ_u Σ_v Σ_c x[n, i·SH + u·DH − PH, j·SW + v·DW − PW, c] · K[u, v, c, o]   (cross-correlation, no flip)${mode === 'zeros' ? '' : `; the padding holds ${mode} values`}
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let o = 0; o < O; o++) {
          const g = Math.floor(o / OG); // the group this filter reads from
          let s = B[o];
          for (let u = 0; u < KH; u++) {
            ${mode === 'zeros' ? 'const' : 'let'} h = i * SH + u * DH - PH;
            ${padModeLine('h', 'H', mode)}
            for (let v = 0; v < KW; v++) {
              ${mode === 'zeros' ? 'const' : 'let'} w = j * SW + v * DW - PW;
              ${padModeLine('w', 'W', mode)}
              for (let c = 0; c < CG; c++) s += x[${xIdx}] * K[${kIdx}];
            }
          }
          y[${yIdx}] = s;
        }
${activate(c.act, c.channelsFirst ? -1 : O)}  return y;
}
`;
  if (c.act === 'softmax' && c.channelsFirst)
    throw new ValueError(`toReferenceFn: ${c.title}: softmax over channels-first output is not supported`);
  const OHv = outLen(H, KH, SH, DH, c.rank === 2 ? c.padding : 'valid', 0);
  const OWv = outLen(W, KW, SW, DW, c.padding, 1);
  const out =
    c.rank === 2 ? (c.channelsFirst ? [O, OHv, OWv] : [OHv, OWv, O]) : c.channelsFirst ? [O, OWv] : [OWv, O];
  return { fn: c.name, code, out };
}

/** Output length (only to thread shapes from one emitted layer to the next). */
function outLen(
  n: number,
  k: number,
  s: number,
  d: number,
  padding: unknown,
  axis: number,
  ceil = false,
): number {
  if (padding === 'same') return Math.ceil(n / s);
  const p =
    padding === 'causal'
      ? axis === 1
        ? [(k - 1) * d, 0]
        : [0, 0]
      : Array.isArray(padding) && Array.isArray(padding[0])
        ? (padding[axis] as number[])
        : padPair(padding);
  const span = n + p[0] + p[1] - (k - 1) * d - 1;
  if (!ceil) return Math.floor(span / s) + 1;
  const out = Math.ceil(span / s) + 1;
  return (out - 1) * s >= n + p[0] ? out - 1 : out;
}

export interface PoolSpec {
  name: string;
  title: string;
  rank: 1 | 2;
  kind: 'max' | 'avg';
  channelsFirst: boolean;
  k: number[];
  s: number[];
  /** 'same', 'valid', or one [before, after] pair per spatial axis. */
  padding: 'same' | 'valid' | number[][];
  dilation?: number[];
  /** PyTorch ceil_mode. */
  ceilMode?: boolean;
  /** PyTorch count_include_pad: the divisor counts the padding given (never ceil_mode's extra). */
  countIncludePad?: boolean;
  /** PyTorch divisor_override: every window sum is divided by this. */
  divisorOverride?: number | null;
}

export function emitPool(p: PoolSpec, inShape: number[]): Emitted {
  const { rank, kind, channelsFirst, padding } = p;
  const C = channelsFirst ? inShape[0] : inShape[inShape.length - 1];
  const H = rank === 2 ? (channelsFirst ? inShape[1] : inShape[0]) : 1;
  const W = channelsFirst ? inShape[inShape.length - 1] : inShape[rank - 1];
  const [KH, KW] = rank === 2 ? p.k : [1, p.k[0]];
  const [SH, SW] = rank === 2 ? p.s : [1, p.s[0]];
  const d = p.dilation ?? (rank === 2 ? [1, 1] : [1]);
  const [DH, DW] = rank === 2 ? d : [1, d[0]];
  const [padH, padW] =
    typeof padding === 'string' ? [padding, padding] : rank === 2 ? padding : [[0, 0], padding[0]];
  const ceil = { ceil: p.ceilMode === true };
  const dv = p.divisorOverride ?? null;
  const withPad = kind === 'avg' && dv === null && p.countIncludePad === true && typeof padding !== 'string';
  const xIdx = channelsFirst ? '((n * C + c) * H + h) * W + w' : '((n * H + h) * W + w) * C + c';
  const yIdx = channelsFirst ? '((n * C + c) * OH + i) * OW + j' : '((n * OH + i) * OW + j) * C + c';
  const divisor =
    dv !== null
      ? `acc / ${dv}; // divisor_override`
      : withPad
        ? 'acc / countPad; // count_include_pad: the padding given counts'
        : 'acc / count;';
  const code = `/** ${p.title}. x: ${channelsFirst ? 'channels-first' : 'channels-last'} [batch, ${inShape.join(', ')}]. Each channel separately. */
export function ${p.name}(x: ArrayLike<number>, batch: number): Float64Array {
  const H = ${H}, W = ${W}, C = ${C}, KH = ${KH}, KW = ${KW}, SH = ${SH}, SW = ${SW}, DH = ${DH}, DW = ${DW};
${rank === 2 ? padLines('H', 'H', 'KH', 'SH', 'DH', padH, ceil) : '  const PH = 0, QH = 0;\n  const OH = 1;\n'}${padLines('W', 'W', 'KW', 'SW', 'DW', padW, ceil)}  const y = new Float64Array(batch * OH * OW * C);
  for (let n = 0; n < batch; n++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++)
        for (let c = 0; c < C; c++) {
          let acc = ${kind === 'max' ? '-Infinity' : '0'};
          let count = 0; // taps inside the input${withPad ? '\n          let countPad = 0; // taps inside the input or the padding given (not what ceil_mode adds)' : ''}
          for (let u = 0; u < KH; u++)
            for (let v = 0; v < KW; v++) {
              const h = i * SH + u * DH - PH;
              const w = j * SW + v * DW - PW;${withPad ? '\n              if (h >= -PH && h < H + QH && w >= -PW && w < W + QW) countPad++;' : ''}
              if (h < 0 || h >= H || w < 0 || w >= W) continue; // padding never wins${withPad ? '' : ' / is not counted'}
              ${kind === 'max' ? 'acc = Math.max(acc, x[' + xIdx + ']);' : 'acc += x[' + xIdx + '];'}
              count++;
            }
          y[${yIdx}] = ${kind === 'max' ? 'acc;' : divisor}
        }
  return y;
}
`;
  const OH = rank === 2 ? outLen(H, KH, SH, DH, padH, 0, ceil.ceil) : 1;
  const OW = outLen(W, KW, SW, DW, padW, 0, ceil.ceil);
  return {
    fn: p.name,
    code,
    out: rank === 2 ? (channelsFirst ? [C, OH, OW] : [OH, OW, C]) : channelsFirst ? [C, OW] : [OW, C],
  };
}

export function emitDense(
  name: string,
  title: string,
  W: Tensor,
  b: Tensor | null,
  torchLayout: boolean,
  act: string,
  inShape: number[],
): Emitted {
  const [I, U] = torchLayout ? [W.shape[1], W.shape[0]] : [W.shape[0], W.shape[1]];
  if (inShape[inShape.length - 1] !== I)
    throw new ValueError(
      `toReferenceFn: ${title} expects ${I} input features, the input shape is ${fmtShape(inShape)}`,
    );
  const rows = inShape.slice(0, -1).reduce((a, v) => a * v, 1);
  const code = `/** ${title}: y[r, o] = b[o] + Σ_i x[r, i] · W${torchLayout ? '[o, i]' : '[i, o]'}. x: [batch, ${inShape.join(', ')}]. */
export function ${name}(x: ArrayLike<number>, batch: number): Float64Array {
  const Wt = ${lit(W)}; // ${torchLayout ? `[out, in] = [${U}, ${I}] (PyTorch)` : `[in, out] = [${I}, ${U}] (Keras)`}
  const B = ${b ? lit(b) : `new Array(${U}).fill(0)`};
  const I = ${I}, U = ${U}, R = batch * ${rows};
  const y = new Float64Array(R * U);
  for (let r = 0; r < R; r++)
    for (let o = 0; o < U; o++) {
      let s = B[o];
      for (let i = 0; i < I; i++) s += x[r * I + i] * Wt[${torchLayout ? 'o * I + i' : 'i * U + o'}];
      y[r * U + o] = s;
    }
${activate(act, U)}  return y;
}
`;
  return { fn: name, code, out: [...inShape.slice(0, -1), U] };
}

export function emitElementwise(
  name: string,
  title: string,
  act: string,
  inShape: number[],
  perm?: number[],
): Emitted {
  const last = inShape[inShape.length - 1];
  const body = perm
    ? `  // channels-first → channels-last before flattening (Keras Flatten with data_format='channels_first')
  const C = ${inShape[0]}, S = ${inShape.slice(1).reduce((a, v) => a * v, 1)};
  const y = new Float64Array(x.length);
  for (let n = 0; n < batch; n++) for (let c = 0; c < C; c++) for (let p = 0; p < S; p++) y[(n * S + p) * C + c] = x[(n * C + c) * S + p];\n`
    : '  const y = Float64Array.from(x);\n';
  return {
    fn: name,
    code: `/** ${title}. */\nexport function ${name}(x: ArrayLike<number>, batch: number): Float64Array {\n${body}${activate(act, last)}  return y;\n}\n`,
    out: inShape,
  };
}
