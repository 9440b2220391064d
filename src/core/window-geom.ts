// The geometry of a sliding window over an NHWC image (convolution, pooling, im2col), and the one place
// its field order is written: the wasm kernels read it as 14 int32 in this order (asm/window.ts).
export const WINDOW_GEOM_FIELDS = [
  'n',
  'h',
  'w',
  'c',
  'kh',
  'kw',
  'strideH',
  'strideW',
  'dilationH',
  'dilationW',
  'padTop',
  'padLeft',
  'outH',
  'outW',
] as const;

/** Batch, input height/width/channels, kernel, stride, dilation, leading pads and output height/width. */
export type WindowGeom = { [K in (typeof WINDOW_GEOM_FIELDS)[number]]: number };

/**
 * Write the fields into `v` from index `at`, in WINDOW_GEOM_FIELDS order (what the wasm kernels read at `g`; a
 * test checks the two orders agree).
 * NOTE: plain stores, no array: every conv and pooling kernel call writes one, and until V8 optimizes the caller
 * (a training run's first steps) a map with a callback per field costs several times as much (issue 12).
 */
export function writeWindowGeom(g: WindowGeom, v: Int32Array, at: number): void {
  v[at] = g.n;
  v[at + 1] = g.h;
  v[at + 2] = g.w;
  v[at + 3] = g.c;
  v[at + 4] = g.kh;
  v[at + 5] = g.kw;
  v[at + 6] = g.strideH;
  v[at + 7] = g.strideW;
  v[at + 8] = g.dilationH;
  v[at + 9] = g.dilationW;
  v[at + 10] = g.padTop;
  v[at + 11] = g.padLeft;
  v[at + 12] = g.outH;
  v[at + 13] = g.outW;
}
