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

/** The fields as numbers in WINDOW_GEOM_FIELDS order (what the wasm kernels read at `g`). */
export const packWindowGeom = (g: WindowGeom): number[] => WINDOW_GEOM_FIELDS.map((f) => g[f]);
