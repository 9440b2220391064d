// Plain-loop references for the recurrent tests: the Keras and PyTorch cell equations written out
// scalar by scalar on number arrays (no tapegrad ops), for whole sequences.

export type Fn = (v: number) => number;
export const sigm: Fn = (v) => 1 / (1 + Math.exp(-v));
export const hardSig2: Fn = (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
export const tanhF: Fn = Math.tanh;
export const reluF: Fn = (v) => Math.max(0, v);

/** A row-major matrix view. */
export interface Mat {
  data: ArrayLike<number>;
  rows: number;
  cols: number;
}
const at = (m: Mat, r: number, c: number): number => m.data[r * m.cols + c];

export type Kind = 'simple' | 'lstm' | 'gru';

export interface KerasSeqOptions {
  units: number;
  act?: Fn;
  recAct?: Fn;
  /** GRU only (default true: bias holds 6·units values, input then recurrent). */
  resetAfter?: boolean;
  goBackwards?: boolean;
  h0?: number[][];
  c0?: number[][];
}

/**
 * Keras recurrent layer on x [B, T, F] (flat), kernel W [F, k·u], recurrent U [u, k·u], bias (or null).
 * Returns the per-step outputs in processing order, and the final h (and c).
 */
export function kerasSeq(
  kind: Kind,
  x: ArrayLike<number>,
  [B, T, F]: number[],
  W: Mat,
  U: Mat,
  bias: ArrayLike<number> | null,
  o: KerasSeqOptions,
) {
  const u = o.units;
  const act = o.act ?? tanhF;
  const ra = o.recAct ?? sigm;
  const resetAfter = o.resetAfter ?? true;
  const b = (j: number) => (bias ? bias[j] : 0);
  const seq: number[][][] = [];
  const hs: number[][] = [];
  const cs: number[][] = [];
  for (let n = 0; n < B; n++) {
    let h = o.h0 ? [...o.h0[n]] : new Array(u).fill(0);
    let c = o.c0 ? [...o.c0[n]] : new Array(u).fill(0);
    const outs: number[][] = [];
    for (let i = 0; i < T; i++) {
      const t = o.goBackwards ? T - 1 - i : i;
      const xw = (j: number) => {
        let s = 0;
        for (let f = 0; f < F; f++) s += x[(n * T + t) * F + f] * at(W, f, j);
        return s;
      };
      const hu = (v: number[], j: number) => {
        let s = 0;
        for (let k = 0; k < u; k++) s += v[k] * at(U, k, j);
        return s;
      };
      if (kind === 'simple') h = h.map((_, j) => act(xw(j) + hu(h, j) + b(j)));
      else if (kind === 'lstm') {
        const z = (g: number, j: number) => xw(g * u + j) + hu(h, g * u + j) + b(g * u + j);
        const c2 = c.map((cj, j) => ra(z(1, j)) * cj + ra(z(0, j)) * act(z(2, j)));
        h = c2.map((cj, j) => ra(z(3, j)) * act(cj));
        c = c2;
      } else {
        const bi = (j: number) => b(j);
        const br = (j: number) => (resetAfter ? b(3 * u + j) : 0);
        const zg = h.map((_, j) => ra(xw(j) + bi(j) + hu(h, j) + br(j)));
        const rg = h.map((_, j) => ra(xw(u + j) + bi(u + j) + hu(h, u + j) + br(u + j)));
        const rh = h.map((hk, k) => rg[k] * hk);
        const hh = h.map((_, j) =>
          act(
            xw(2 * u + j) +
              bi(2 * u + j) +
              (resetAfter ? rg[j] * (hu(h, 2 * u + j) + br(2 * u + j)) : hu(rh, 2 * u + j)),
          ),
        );
        h = h.map((hj, j) => zg[j] * hj + (1 - zg[j]) * hh[j]);
      }
      outs.push([...h]);
    }
    seq.push(outs);
    hs.push(h);
    cs.push(c);
  }
  return { seq, h: hs, c: cs };
}

export type TorchKind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/**
 * One PyTorch layer-direction over a time-major sequence xs[t][n][f]: W_ih [G, in], W_hh [G, H], b_ih, b_hh.
 * Returns outputs by original time index and the final h (and c).
 */
export function torchDir(
  kind: TorchKind,
  xs: number[][][],
  wih: Mat,
  whh: Mat,
  bih: ArrayLike<number> | null,
  bhh: ArrayLike<number> | null,
  H: number,
  reverse: boolean,
  h0: number[][],
  c0: number[][],
) {
  const T = xs.length;
  const B = xs[0].length;
  const In = xs[0][0].length;
  const outs: number[][][] = new Array(T);
  const hs: number[][] = [];
  const cs: number[][] = [];
  for (let n = 0; n < B; n++) {
    let h = [...h0[n]];
    let c = [...c0[n]];
    for (let i = 0; i < T; i++) {
      const t = reverse ? T - 1 - i : i;
      const gi = (j: number) => {
        let s = bih ? bih[j] : 0;
        for (let f = 0; f < In; f++) s += at(wih, j, f) * xs[t][n][f];
        return s;
      };
      const gh = (j: number) => {
        let s = bhh ? bhh[j] : 0;
        for (let k = 0; k < H; k++) s += at(whh, j, k) * h[k];
        return s;
      };
      if (kind === 'rnn_tanh' || kind === 'rnn_relu') {
        const f = kind === 'rnn_tanh' ? tanhF : reluF;
        h = h.map((_, j) => f(gi(j) + gh(j)));
      } else if (kind === 'lstm') {
        const g = (q: number, j: number) => gi(q * H + j) + gh(q * H + j);
        const c2 = c.map((cj, j) => sigm(g(1, j)) * cj + sigm(g(0, j)) * Math.tanh(g(2, j)));
        h = c2.map((cj, j) => sigm(g(3, j)) * Math.tanh(cj));
        c = c2;
      } else {
        const r = h.map((_, j) => sigm(gi(j) + gh(j)));
        const z = h.map((_, j) => sigm(gi(H + j) + gh(H + j)));
        const nn = h.map((_, j) => Math.tanh(gi(2 * H + j) + r[j] * gh(2 * H + j)));
        h = h.map((hj, j) => (1 - z[j]) * nn[j] + z[j] * hj);
      }
      outs[t] ??= [];
      outs[t][n] = [...h];
    }
    hs.push(h);
    cs.push(c);
  }
  return { outs, h: hs, c: cs };
}

/** Flatten nested number arrays row-major. */
export const flat = (a: unknown): number[] => (Array.isArray(a) ? a.flatMap(flat) : [a as number]);
