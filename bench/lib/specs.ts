// The benchmark workloads' shapes and initial parameters, shared by every framework so each runs the same math.
import { randArray } from './data.js';

/** Seed CNN: 32×32×3 → conv 3×3×12 same relu → pool 2 → conv 3×3×8 same relu → pool 2 → dense 64 relu → dense 10. */
export const CNN = { h: 32, w: 32, c: 3, c1: 12, c2: 8, hidden: 64, classes: 10, lr: 0.01 } as const;
export const CNN_FLAT = (CNN.h / 4) * (CNN.w / 4) * CNN.c2;

/** Parameter shapes (NHWC, kernels [kh,kw,in,out], dense [in,out]) in a fixed order, for h×w×c inputs. */
export const cnnParamShapes = (h: number = CNN.h, w: number = CNN.w, c: number = CNN.c): number[][] => [
  [3, 3, c, CNN.c1],
  [CNN.c1],
  [3, 3, CNN.c1, CNN.c2],
  [CNN.c2],
  [Math.floor(h / 4) * Math.floor(w / 4) * CNN.c2, CNN.hidden],
  [CNN.hidden],
  [CNN.hidden, CNN.classes],
  [CNN.classes],
];
export const CNN_PARAM_SHAPES = cnnParamShapes();

/** Glorot-uniform-like weights and zero biases, deterministic. */
export function initParams(shapes: number[][], seed: number): Float32Array[] {
  return shapes.map((s, i) => {
    const n = s.reduce((a, b) => a * b, 1);
    if (s.length === 1) return new Float32Array(n);
    const fanOut = s[s.length - 1];
    const fanIn = n / fanOut;
    return randArray(n, seed + i, Math.sqrt(6 / (fanIn + fanOut)));
  });
}

/** Seed encoder-decoder LSTM: input (81, 6, 2) → LSTM 200 relu → repeat 6 → LSTM 200 relu (sequences) → dense 100 relu → dense 2. */
export const LSTM = {
  samples: 81,
  steps: 6,
  features: 2,
  units: 200,
  dense: 100,
  out: 2,
  lr: 0.001,
} as const;

/** W1 [F,4U], U1 [U,4U], b1 [4U], W2 [U,4U], U2 [U,4U], b2 [4U], Wd [U,D], bd [D], Wo [D,2], bo [2] (gates in Keras order i,f,c,o). */
export const LSTM_PARAM_SHAPES: number[][] = [
  [LSTM.features, 4 * LSTM.units],
  [LSTM.units, 4 * LSTM.units],
  [4 * LSTM.units],
  [LSTM.units, 4 * LSTM.units],
  [LSTM.units, 4 * LSTM.units],
  [4 * LSTM.units],
  [LSTM.units, LSTM.dense],
  [LSTM.dense],
  [LSTM.dense, LSTM.out],
  [LSTM.out],
];

/** A plain CNN: 3×3 'same' relu convs (each optionally followed by a 2×2 max-pool), flatten, relu denses, logits. */
export interface CnnSpec {
  h: number;
  w: number;
  c: number;
  convs: { filters: number; pool: boolean }[];
  dense: number[];
  classes: number;
  lr: number;
}
export const SEED_CNN: CnnSpec = {
  h: CNN.h,
  w: CNN.w,
  c: CNN.c,
  convs: [
    { filters: CNN.c1, pool: true },
    { filters: CNN.c2, pool: true },
  ],
  dense: [CNN.hidden],
  classes: CNN.classes,
  lr: CNN.lr,
};
/** The wider CNN of issue 12: conv32-conv32-pool-conv64-conv64-pool-dense256-dense10 on 32×32×3 (all 'same'). */
export const WIDE_CNN: CnnSpec = {
  h: 32,
  w: 32,
  c: 3,
  convs: [
    { filters: 32, pool: false },
    { filters: 32, pool: true },
    { filters: 64, pool: false },
    { filters: 64, pool: true },
  ],
  dense: [256],
  classes: 10,
  lr: 0.01,
};

/** Parameter shapes of a CnnSpec in order: per conv [3,3,in,out] and [out], per dense [in,out] and [out]. */
export function specParamShapes(s: CnnSpec): number[][] {
  const shapes: number[][] = [];
  let [h, w, c] = [s.h, s.w, s.c];
  for (const cv of s.convs) {
    shapes.push([3, 3, c, cv.filters], [cv.filters]);
    c = cv.filters;
    if (cv.pool) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
  }
  let n = h * w * c;
  for (const d of [...s.dense, s.classes]) {
    shapes.push([n, d], [d]);
    n = d;
  }
  return shapes;
}

/** Multiply-adds ×2 of one forward pass of a CnnSpec on one image (a training step costs about 3×). */
export function specFlops(s: CnnSpec): number {
  let flops = 0;
  let [h, w, c] = [s.h, s.w, s.c];
  for (const cv of s.convs) {
    flops += 2 * h * w * 9 * c * cv.filters;
    c = cv.filters;
    if (cv.pool) [h, w] = [Math.floor(h / 2), Math.floor(w / 2)];
  }
  let n = h * w * c;
  for (const d of [...s.dense, s.classes]) {
    flops += 2 * n * d;
    n = d;
  }
  return flops;
}
