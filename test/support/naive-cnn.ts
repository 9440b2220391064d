// The seed network by hand: forward AND backward in plain loops over Float64Arrays, no tapegrad ops.
// 32×32×3 → conv3×3×12 'same' + relu → maxpool2 → conv3×3×8 'same' + relu → maxpool2 → dense 64 + relu
// → dense 10 → mean softmax cross-entropy. NHWC activations, kernels [kh,kw,in,out], dense [in,out].

export interface CnnParams {
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  w3: Float64Array;
  b3: Float64Array;
  w4: Float64Array;
  b4: Float64Array;
}
export const CNN_SHAPES: Record<keyof CnnParams, number[]> = {
  w1: [3, 3, 3, 12],
  b1: [12],
  w2: [3, 3, 12, 8],
  b2: [8],
  w3: [512, 64],
  b3: [64],
  w4: [64, 10],
  b4: [10],
};
export const CNN_KEYS = Object.keys(CNN_SHAPES) as (keyof CnnParams)[];

/** 3×3 'same' (pad 1) stride-1 convolution: y[b,i,j,o] = bias[o] + Σ x[b,i+ky-1,j+kx-1,c]·k[ky,kx,c,o]. */
function conv3(
  x: Float64Array,
  n: number,
  h: number,
  w: number,
  c: number,
  k: Float64Array,
  bias: Float64Array,
  o: number,
): Float64Array {
  const y = new Float64Array(n * h * w * o);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let f = 0; f < o; f++) {
          let s = bias[f];
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const yy = i + ky - 1;
              const xx = j + kx - 1;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let ch = 0; ch < c; ch++)
                s += x[((b * h + yy) * w + xx) * c + ch] * k[((ky * 3 + kx) * c + ch) * o + f];
            }
          y[((b * h + i) * w + j) * o + f] = s;
        }
  return y;
}

/** Backward of conv3: dx, dk, dbias from dy (the same loop, each product's two partials). */
function conv3Back(
  x: Float64Array,
  n: number,
  h: number,
  w: number,
  c: number,
  k: Float64Array,
  o: number,
  dy: Float64Array,
) {
  const dx = new Float64Array(x.length);
  const dk = new Float64Array(k.length);
  const db = new Float64Array(o);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++)
        for (let f = 0; f < o; f++) {
          const g = dy[((b * h + i) * w + j) * o + f];
          db[f] += g;
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++) {
              const yy = i + ky - 1;
              const xx = j + kx - 1;
              if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
              for (let ch = 0; ch < c; ch++) {
                const xi = ((b * h + yy) * w + xx) * c + ch;
                const ki = ((ky * 3 + kx) * c + ch) * o + f;
                dx[xi] += g * k[ki];
                dk[ki] += g * x[xi];
              }
            }
        }
  return { dx, dk, db };
}

const relu = (x: Float64Array) => x.map((v) => (v > 0 ? v : 0));
const reluBack = (x: Float64Array, dy: Float64Array) => dy.map((g, i) => (x[i] > 0 ? g : 0));

/** 2×2 stride-2 max pool; `arg` holds the flat input index of each window's first maximum. */
function pool2(x: Float64Array, n: number, h: number, w: number, c: number) {
  const oh = h / 2;
  const ow = w / 2;
  const y = new Float64Array(n * oh * ow * c);
  const arg = new Int32Array(y.length);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let ch = 0; ch < c; ch++) {
          let best = -1;
          for (let dy = 0; dy < 2; dy++)
            for (let dx = 0; dx < 2; dx++) {
              const src = ((b * h + 2 * i + dy) * w + 2 * j + dx) * c + ch;
              if (best < 0 || x[src] > x[best]) best = src;
            }
          const o = ((b * oh + i) * ow + j) * c + ch;
          y[o] = x[best];
          arg[o] = best;
        }
  return { y, arg };
}
function pool2Back(arg: Int32Array, inSize: number, dy: Float64Array): Float64Array {
  const dx = new Float64Array(inSize);
  arg.forEach((src, o) => (dx[src] += dy[o]));
  return dx;
}

/** y[n,o] = x[n,:]·W[:,o] + b[o]. */
function dense(
  x: Float64Array,
  n: number,
  i: number,
  W: Float64Array,
  b: Float64Array,
  o: number,
): Float64Array {
  const y = new Float64Array(n * o);
  for (let r = 0; r < n; r++)
    for (let q = 0; q < o; q++) {
      let s = b[q];
      for (let p = 0; p < i; p++) s += x[r * i + p] * W[p * o + q];
      y[r * o + q] = s;
    }
  return y;
}
/** dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy. */
function denseBack(x: Float64Array, n: number, i: number, W: Float64Array, o: number, dy: Float64Array) {
  const dx = new Float64Array(n * i);
  const dW = new Float64Array(i * o);
  const db = new Float64Array(o);
  for (let r = 0; r < n; r++)
    for (let q = 0; q < o; q++) {
      const g = dy[r * o + q];
      db[q] += g;
      for (let p = 0; p < i; p++) {
        dx[r * i + p] += g * W[p * o + q];
        dW[p * o + q] += g * x[r * i + p];
      }
    }
  return { dx, dW, db };
}

/** Mean softmax cross-entropy of logits [n, c] and its gradient (softmax − onehot) / n. */
function softmaxCE(z: Float64Array, n: number, c: number, labels: ArrayLike<number>) {
  let loss = 0;
  const dz = new Float64Array(z.length);
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let q = 0; q < c; q++) m = Math.max(m, z[r * c + q]);
    let s = 0;
    for (let q = 0; q < c; q++) s += Math.exp(z[r * c + q] - m);
    const lse = m + Math.log(s);
    loss -= (z[r * c + labels[r]] - lse) / n;
    for (let q = 0; q < c; q++)
      dz[r * c + q] = (Math.exp(z[r * c + q] - lse) - (q === labels[r] ? 1 : 0)) / n;
  }
  return { loss, dz };
}

/** Loss, every parameter gradient, and the gradient w.r.t. the first pool's output a1 [n,16,16,12]. */
export function naiveCnn(p: CnnParams, x: Float64Array, n: number, labels: ArrayLike<number>) {
  const z1 = conv3(x, n, 32, 32, 3, p.w1, p.b1, 12);
  const r1 = relu(z1);
  const P1 = pool2(r1, n, 32, 32, 12);
  const a1 = P1.y;
  const z2 = conv3(a1, n, 16, 16, 12, p.w2, p.b2, 8);
  const r2 = relu(z2);
  const P2 = pool2(r2, n, 16, 16, 8);
  const flat = P2.y; // [n, 8·8·8] in (h, w, c) order
  const z3 = dense(flat, n, 512, p.w3, p.b3, 64);
  const r3 = relu(z3);
  const z4 = dense(r3, n, 64, p.w4, p.b4, 10);
  const { loss, dz } = softmaxCE(z4, n, 10, labels);

  const D4 = denseBack(r3, n, 64, p.w4, 10, dz);
  const D3 = denseBack(flat, n, 512, p.w3, 64, reluBack(z3, D4.dx));
  const dr2 = pool2Back(P2.arg, r2.length, D3.dx);
  const C2 = conv3Back(a1, n, 16, 16, 12, p.w2, 8, reluBack(z2, dr2));
  const dr1 = pool2Back(P1.arg, r1.length, C2.dx);
  const C1 = conv3Back(x, n, 32, 32, 3, p.w1, 12, reluBack(z1, dr1));
  const grads: CnnParams = {
    w1: C1.dk,
    b1: C1.db,
    w2: C2.dk,
    b2: C2.db,
    w3: D3.dW,
    b3: D3.db,
    w4: D4.dW,
    b4: D4.db,
  };
  return { loss, grads, a1, dA1: C2.dx };
}
