// ONNX Resize along one axis: coordinate transforms, nearest rounding, and the [out, in] interpolation matrix of the
// cubic and antialiased modes and of tf_crop_and_resize (built from shapes in JS, applied with one matmul, so the
// gradient is the matrix's transpose).

/** `r` rounds each step: Math.fround for nearest (positions that land on a whole number round as in ONNX
 * Runtime's float32 arithmetic), identity for linear and cubic (float64 models keep float64 weights). */
export type Coord = (
  xr: number,
  scale: number,
  lin: number,
  lout: number,
  r: (v: number) => number,
) => number;
/**
 * Output position → input coordinate, per coordinate_transformation_mode (ONNX Resize spec).
 * NOTE: `lout` is lin·scale, not the floored output length: ONNX's reference implementation and its test data
 * (align_corners downsampling 4 → 2 by 0.6 divides by 2.4 − 1); the same number when sizes are given or lin·scale
 * is whole. ONNX Runtime divides by the floored length instead, so the two disagree only for align_corners
 * (and pytorch_half_pixel's lout > 1 test) with scales whose product with the length is fractional.
 */
export const COORDS: Record<string, Coord> = {
  half_pixel: (x, s, _l, _o, r) => r(r(r(x + 0.5) / r(s)) - 0.5),
  pytorch_half_pixel: (x, s, _l, lout, r) => (lout > 1 ? r(r(r(x + 0.5) / r(s)) - 0.5) : 0),
  align_corners: (x, _s, lin, lout, r) => (lout === 1 ? 0 : r(r(x * (lin - 1)) / r(lout - 1))),
  asymmetric: (x, s, _l, _o, r) => r(x / r(s)),
  tf_half_pixel_for_nn: (x, s, _l, _o, r) => r(r(x + 0.5) / r(s)),
};
/** The modes that need more than COORDS' arguments: half_pixel_symmetric (opset 19) the whole output length,
 * tf_crop_and_resize the axis' roi [start, end] (fractions of lin − 1). */
export const EXTRA_COORDS = ['half_pixel_symmetric', 'tf_crop_and_resize'];
export const exact = (v: number): number => v;

/** Input coordinate → nearest index, per nearest_mode. */
export const NEAREST: Record<string, (x: number) => number> = {
  round_prefer_floor: (x) => (x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: (x) => Math.round(x),
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
};

/** How every resampled axis is resampled. */
export interface ResizePlan {
  mode: 'nearest' | 'linear' | 'cubic';
  /** coordinate_transformation_mode */
  ct: string;
  nearest: (x: number) => number;
  /** cubic_coeff_a (cubic only) and exclude_outside (linear and cubic) */
  cubicA: number;
  excludeOutside: boolean;
  /** opset ≥ 18: widen the linear / cubic filter by 1/scale when downsampling */
  antialias: boolean;
  extrapolation: number;
}

/** The input coordinate of output position i, or null outside the crop (tf_crop_and_resize). */
function coordinate(
  p: ResizePlan,
  i: number,
  scale: number,
  lin: number,
  loutInt: number,
  roi: [number, number],
  r: (v: number) => number,
): number | null {
  const lout = lin * scale;
  if (p.ct === 'half_pixel_symmetric') {
    // the output's centre stays on the input's centre when lin·scale is rounded down to a whole length
    const offset = (lin / 2) * (1 - loutInt / lout);
    return r(offset + r(r(i + 0.5) / r(scale)) - 0.5);
  }
  if (p.ct === 'tf_crop_and_resize') {
    const [a, b] = roi;
    const c =
      loutInt > 1 ? a * (lin - 1) + (i * (b - a) * (lin - 1)) / (loutInt - 1) : 0.5 * (a + b) * (lin - 1);
    // outside the input the output is extrapolation_value, as TF's CropAndResize
    return c < 0 || c > lin - 1 ? null : r(c);
  }
  return COORDS[p.ct](i, scale, lin, lout, r);
}

/** Keys' cubic convolution kernel with parameter A (0 from |t| = 2 on). */
const cubic = (A: number, t: number): number => {
  const x = Math.abs(t);
  if (x <= 1) return ((A + 2) * x - (A + 3)) * x * x + 1;
  return x < 2 ? ((A * x - 5 * A) * x + 8 * A) * x - 4 * A : 0;
};
const triangle = (t: number): number => Math.max(0, 1 - Math.abs(t));

/**
 * The [lout, lin] interpolation matrix of one axis (row i: the weights of output i over the inputs) and which
 * outputs lie outside a tf_crop_and_resize crop (their rows are zero; the caller fills extrapolation_value).
 * Weights follow ONNX's reference: kernel((j − x)·s) for the inputs j within the kernel's reach of x, with
 * s = min(scale, 1) when antialiasing (the kernel stretched by 1/scale) and 1 otherwise; antialiased weights are
 * divided by their sum; neighbours past the edge repeat the edge value, or, with exclude_outside, are dropped and
 * the rest renormalised.
 */
export function axisMatrix(
  p: ResizePlan,
  lin: number,
  loutInt: number,
  scale: number,
  roi: [number, number],
): { w: Float64Array; outside: boolean[] } {
  const w = new Float64Array(loutInt * lin);
  const outside: boolean[] = [];
  const clamp = (j: number) => Math.min(Math.max(j, 0), lin - 1);
  const s = p.antialias && scale < 1 ? scale : 1;
  const reach = (p.mode === 'cubic' ? 2 : 1) / s;
  const kernel = p.mode === 'cubic' ? (t: number) => cubic(p.cubicA, t) : triangle;
  for (let i = 0; i < loutInt; i++) {
    const x = coordinate(p, i, scale, lin, loutInt, roi, p.mode === 'nearest' ? Math.fround : exact);
    outside.push(x === null);
    if (x === null) continue;
    if (p.mode === 'nearest') {
      w[i * lin + clamp(p.nearest(x))] = 1;
      continue;
    }
    const js: number[] = [];
    const ws: number[] = [];
    for (let j = Math.ceil(x - reach); j <= Math.floor(x + reach); j++) {
      const k = kernel((j - x) * s);
      if (k === 0 || (p.excludeOutside && (j < 0 || j >= lin))) continue;
      js.push(clamp(j));
      ws.push(k);
    }
    // renormalised when antialiased (the stretched kernel's weights do not sum to 1) or with exclude_outside
    const total = p.antialias || p.excludeOutside ? ws.reduce((a, b) => a + b, 0) : 1;
    js.forEach((j, k) => (w[i * lin + j] += ws[k] / total));
  }
  return { w, outside };
}

// NOTE: applyAxis moved to ops (tf.image's resizes use it too); re-exported for ops-resize.ts
export { applyAxis } from '../../ops/composite/resample-axis.js';
