// The benchmark workloads' shapes and initial parameters, shared by every framework so each runs the same math.
import { randArray } from './timer.js';

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

/** The conv workload: 64×64×32 → 64 filters 3×3 'same', batch 32. */
export const CONV = { n: 32, h: 64, w: 64, c: 32, o: 64, k: 3 } as const;
/** Multiply-adds ×2 of one conv pass (forward, input gradient and filter gradient each cost the same). */
export const CONV_FLOPS = 2 * CONV.n * CONV.h * CONV.w * CONV.k * CONV.k * CONV.c * CONV.o;
