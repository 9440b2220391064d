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

/** First output position along one axis whose window covers no real input (all padding), or -1. */
function emptyWindow(
  n: number,
  k: number,
  stride: number,
  dilation: number,
  before: number,
  out: number,
): number {
  for (let o = 0; o < out; o++) {
    let hit = false;
    for (let j = 0; j < k && !hit; j++) {
      const i = o * stride - before + j * dilation;
      hit = i >= 0 && i < n;
    }
    if (!hit) return o;
  }
  return -1;
}

/**
 * The message of the first window of g that sees only padding (the bottom/right padding too), or null when every
 * window sees a real input: a pool has no maximum, and no average, there. `why` follows the window's description.
 */
export function paddingOnlyWindow(op: string, g: WindowGeom, why = ''): string | null {
  const oy = emptyWindow(g.h, g.kh, g.strideH, g.dilationH, g.padTop, g.outH);
  const ox = emptyWindow(g.w, g.kw, g.strideW, g.dilationW, g.padLeft, g.outW);
  if (oy < 0 && ox < 0) return null;
  return (
    `${op}: with padding (top ${g.padTop}, left ${g.padLeft}) and ${g.outH}x${g.outW} outputs, the ${g.kh}x${g.kw} window at ` +
    `${oy >= 0 ? `output row ${oy}` : `output column ${ox}`} lies entirely in the padding of the ${g.h}x${g.w} input${why} (padding must be smaller than the window)`
  );
}
