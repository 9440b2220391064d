// Option parsing shared by conv and pool: strides, dilations, padding rules and data formats.
import { ValueError } from '../../core/errors.js';
import { samePads, windowOut } from '../../core/shape.js';
import type { WindowGeom } from '../../backend/kernels.js';
import { hasOpListeners } from '../../core/tape.js';

/**
 * True when a composite may run as its fused rows (in training too): nobody traces ops, so explain/trace and op
 * listeners always see the plain composition.
 */
export const fusedAllowed = (): boolean => !hasOpListeners();

export type Pair = number | readonly [number, number];
export type Padding2d =
  | 'same'
  | 'valid'
  | number
  | readonly [number, number]
  | readonly [readonly [number, number], readonly [number, number]];
export type DataFormat2d = 'NHWC' | 'NCHW';
export type DataFormat1d = 'NWC' | 'NCW';

export function pair(v: Pair | undefined, dflt: number, what: string, op: string, min = 1): [number, number] {
  const p: [number, number] = v === undefined ? [dflt, dflt] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!Number.isInteger(p[0]) || p[0] < min || !Number.isInteger(p[1]) || p[1] < min)
    throw new ValueError(
      `${op}: ${what} must be ${min === 0 ? 'a non-negative' : 'a positive'} integer or pair, got ${JSON.stringify(v)}`,
    );
  return p;
}

/** Accept the data-format spellings of TF.js/Keras and PyTorch. */
export function format2d(f: string | undefined, op: string): DataFormat2d {
  const v = f ?? 'NHWC';
  if (v === 'NHWC' || v === 'channelsLast' || v === 'channels_last') return 'NHWC';
  if (v === 'NCHW' || v === 'channelsFirst' || v === 'channels_first') return 'NCHW';
  throw new ValueError(`${op}: unknown dataFormat '${v}' (use 'NHWC' or 'NCHW')`);
}
export function format1d(f: string | undefined, op: string): DataFormat1d {
  const v = f ?? 'NWC';
  if (v === 'NWC' || v === 'NHWC' || v === 'channelsLast' || v === 'channels_last') return 'NWC';
  if (v === 'NCW' || v === 'NCHW' || v === 'channelsFirst' || v === 'channels_first') return 'NCW';
  throw new ValueError(`${op}: unknown dataFormat '${v}' (use 'NWC' or 'NCW')`);
}

/** [[top, bottom], [left, right]] for a padding option. */
export function resolvePads(
  padding: Padding2d | undefined,
  h: number,
  w: number,
  k: [number, number],
  s: [number, number],
  d: [number, number],
  op: string,
): [[number, number], [number, number]] {
  const p = padding ?? 'valid';
  if (p === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  if (p === 'same') return [samePads(h, k[0], s[0], d[0]), samePads(w, k[1], s[1], d[1])];
  if (typeof p === 'number') return [pair(p, 0, 'padding', op, 0), pair(p, 0, 'padding', op, 0)];
  if (Array.isArray(p) && p.length === 2 && typeof p[0] === 'number') {
    const [ph, pw] = pair(p as [number, number], 0, 'padding', op, 0);
    return [
      [ph, ph],
      [pw, pw],
    ];
  }
  if (Array.isArray(p) && p.length === 2 && Array.isArray(p[0]) && Array.isArray(p[1]))
    return [
      pair(p[0] as [number, number], 0, 'padding', op, 0),
      pair(p[1] as [number, number], 0, 'padding', op, 0),
    ];
  throw new ValueError(
    `${op}: unknown padding ${JSON.stringify(p)} (use 'same', 'valid', a number, a pair or [[top,bottom],[left,right]])`,
  );
}

/** The full window geometry of a sweep over an NHWC tensor; errors when the window does not fit. */
export function windowGeom(
  shape: readonly number[],
  k: [number, number],
  s: [number, number],
  d: [number, number],
  pads: [[number, number], [number, number]],
  op: string,
): WindowGeom {
  const [n, h, w, c] = shape;
  const outH = windowOut(h, k[0], s[0], d[0], pads[0][0], pads[0][1]);
  const outW = windowOut(w, k[1], s[1], d[1], pads[1][0], pads[1][1]);
  if (outH < 1 || outW < 1)
    throw new ValueError(
      `${op}: window ${k[0]}x${k[1]} (dilation ${d[0]},${d[1]}) is larger than the padded input ${h + pads[0][0] + pads[0][1]}x${w + pads[1][0] + pads[1][1]}`,
    );
  return {
    n,
    h,
    w,
    c,
    kh: k[0],
    kw: k[1],
    strideH: s[0],
    strideW: s[1],
    dilationH: d[0],
    dilationW: d[1],
    padTop: pads[0][0],
    padLeft: pads[1][0],
    outH,
    outW,
  };
}
