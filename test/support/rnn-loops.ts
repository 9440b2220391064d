// Plain-loop reference RNNs written from the Keras and PyTorch formulas, each in its own weight layout
// (flat row-major arrays), so layout conversions can be checked by running the same sequence both ways.

export type Act = (v: number) => number;
export const sigmoid: Act = (v) => 1 / (1 + Math.exp(-v));
export const hardSigmoidK2: Act = (v) => Math.min(1, Math.max(0, 0.2 * v + 0.5));
export const tanh: Act = Math.tanh;

/** xs [T][in] → hs [T][u]. Keras LSTM: z = x·K + h·R + b, K [in,4u], R [u,4u], gates i, f, c, o. */
export function kerasLstm(
  xs: number[][],
  K: ArrayLike<number>,
  R: ArrayLike<number>,
  b: ArrayLike<number> | null,
  u: number,
  act: Act = tanh,
  rec: Act = sigmoid,
): number[][] {
  const inDim = xs[0].length;
  let h = new Array(u).fill(0);
  let c = new Array(u).fill(0);
  const out: number[][] = [];
  for (const x of xs) {
    const z = new Array(4 * u).fill(0).map((_, j) => {
      let s = b ? b[j] : 0;
      for (let i = 0; i < inDim; i++) s += x[i] * K[i * 4 * u + j];
      for (let i = 0; i < u; i++) s += h[i] * R[i * 4 * u + j];
      return s;
    });
    const c2 = c.map((cv, j) => rec(z[u + j]) * cv + rec(z[j]) * act(z[2 * u + j]));
    h = c2.map((cv, j) => rec(z[3 * u + j]) * act(cv));
    c = c2;
    out.push([...h]);
  }
  return out;
}

/** PyTorch LSTM: gates = W_ih x + b_ih + W_hh h + b_hh, W_ih [4u,in], W_hh [4u,u], gates i, f, g, o. */
export function torchLstm(
  xs: number[][],
  Wih: ArrayLike<number>,
  Whh: ArrayLike<number>,
  bih: ArrayLike<number>,
  bhh: ArrayLike<number>,
  u: number,
): number[][] {
  const inDim = xs[0].length;
  let h = new Array(u).fill(0);
  let c = new Array(u).fill(0);
  const out: number[][] = [];
  for (const x of xs) {
    const g = new Array(4 * u).fill(0).map((_, r) => {
      let s = bih[r] + bhh[r];
      for (let i = 0; i < inDim; i++) s += Wih[r * inDim + i] * x[i];
      for (let i = 0; i < u; i++) s += Whh[r * u + i] * h[i];
      return s;
    });
    const c2 = c.map((cv, j) => sigmoid(g[u + j]) * cv + sigmoid(g[j]) * Math.tanh(g[2 * u + j]));
    h = c2.map((cv, j) => sigmoid(g[3 * u + j]) * Math.tanh(cv));
    c = c2;
    out.push([...h]);
  }
  return out;
}

/**
 * Keras GRU, gates z, r, h. resetAfter=false: hh = act(x·Kh + (r⊙h)·Rh + b_h) with bias [3u];
 * resetAfter=true: hh = act(x·Kh + b_in_h + r⊙(h·Rh + b_rec_h)) with bias [2,3u]. h' = z⊙h + (1−z)⊙hh.
 */
export function kerasGru(
  xs: number[][],
  K: ArrayLike<number>,
  R: ArrayLike<number>,
  b: ArrayLike<number> | null,
  u: number,
  resetAfter: boolean,
  act: Act = tanh,
  rec: Act = sigmoid,
): number[][] {
  const inDim = xs[0].length;
  const U3 = 3 * u;
  let h = new Array(u).fill(0);
  const out: number[][] = [];
  const bi = (j: number) => (b ? b[j] : 0);
  const br = (j: number) => (b && resetAfter ? b[U3 + j] : 0);
  for (const x of xs) {
    const xk = new Array(U3).fill(0).map((_, j) => {
      let s = bi(j);
      for (let i = 0; i < inDim; i++) s += x[i] * K[i * U3 + j];
      return s;
    });
    const hr = (v: number[], j: number) => {
      let s = br(j);
      for (let i = 0; i < u; i++) s += v[i] * R[i * U3 + j];
      return s;
    };
    const z = h.map((_, j) => rec(xk[j] + hr(h, j)));
    const r = h.map((_, j) => rec(xk[u + j] + hr(h, u + j)));
    const rh = h.map((hv, j) => r[j] * hv);
    const hh = h.map((_, j) =>
      act(resetAfter ? xk[2 * u + j] + r[j] * hr(h, 2 * u + j) : xk[2 * u + j] + hr(rh, 2 * u + j)),
    );
    h = h.map((hv, j) => z[j] * hv + (1 - z[j]) * hh[j]);
    out.push([...h]);
  }
  return out;
}

/** PyTorch GRU, gates r, z, n: n = tanh(W_in x + b_in + r⊙(W_hn h + b_hn)), h' = (1−z)⊙n + z⊙h. */
export function torchGru(
  xs: number[][],
  Wih: ArrayLike<number>,
  Whh: ArrayLike<number>,
  bih: ArrayLike<number>,
  bhh: ArrayLike<number>,
  u: number,
): number[][] {
  const inDim = xs[0].length;
  let h = new Array(u).fill(0);
  const out: number[][] = [];
  for (const x of xs) {
    const gi = new Array(3 * u).fill(0).map((_, r) => {
      let s = bih[r];
      for (let i = 0; i < inDim; i++) s += Wih[r * inDim + i] * x[i];
      return s;
    });
    const gh = new Array(3 * u).fill(0).map((_, r) => {
      let s = bhh[r];
      for (let i = 0; i < u; i++) s += Whh[r * u + i] * h[i];
      return s;
    });
    const r = h.map((_, j) => sigmoid(gi[j] + gh[j]));
    const z = h.map((_, j) => sigmoid(gi[u + j] + gh[u + j]));
    const n = h.map((_, j) => Math.tanh(gi[2 * u + j] + r[j] * gh[2 * u + j]));
    h = h.map((hv, j) => (1 - z[j]) * n[j] + z[j] * hv);
    out.push([...h]);
  }
  return out;
}
