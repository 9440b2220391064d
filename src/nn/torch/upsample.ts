// PyTorch 1.13's nn.Upsample / F.interpolate for tg.nn, with the aliases nn.UpsamplingNearest2d and
// nn.UpsamplingBilinear2d. Every mode is separable: one spatial axis after the other, each output position a fixed
// weighted sum of input positions along that axis (gathers times per-position weights, or the adaptive average pool
// for 'area'), so the gradients are the tape's. The indices and weights are built in JS from the shapes alone, with
// PyTorch's source-index rules (aten/src/ATen/native/UpSample.h):
// - nearest: floor(dst·scale) in float32; nearest-exact: floor((dst + ½)·scale) in float32;
// - linear / bilinear / trilinear: source (dst + ½)·scale - ½ clamped at 0 (dst·scale with alignCorners), the two
//   neighbours weighted by the fraction; output size = input size copies the axis;
// - bicubic: the same source (not clamped), Keys' cubic convolution with A = -0.75 over taps idx-1 … idx+2, each tap
//   index clamped to [0, in-1];
// - area: adaptive average pooling to the output size (adaptive-pool.ts);
// - antialias (bilinear, bicubic): PyTorch's anti-aliased separable kernel (aaTaps).
// scale is 1/scaleFactor when one is given (and not recomputeScaleFactor), else in/out; with alignCorners
// (in-1)/(out-1).
// NOTE: gradients are the tape's, the adjoint of the forward. PyTorch 1.13's bicubic backward alone copies the
// gradient through when the output size equals the input size, although its forward then still applies the cubic
// weights (a scale factor such as 1.2 on size 3); tapegrad's gradient there is that of the forward.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { type Tensor, tensor } from '../../core/tensor.js';
import { add, mul } from '../../ops/elementwise/builders.js';
import { gather } from '../../ops/network/builders.js';
import { checkOptionsObject } from '../../core/options.js';
import { Module } from './base.js';
import { poolAxis } from './adaptive-pool.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v)));

export type UpsampleMode =
  'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';
/** The spatial ranks each mode takes (PyTorch 1.13's F.interpolate dispatch). */
const RANKS: Record<UpsampleMode, number[]> = {
  nearest: [1, 2, 3],
  'nearest-exact': [1, 2, 3],
  area: [1, 2, 3],
  linear: [1],
  bilinear: [2],
  bicubic: [2],
  trilinear: [3],
};
const LAYOUT = ['3D [N, C, L]', '4D [N, C, H, W]', '5D [N, C, D, H, W]'];
const INTERPOLATING = ['linear', 'bilinear', 'bicubic', 'trilinear'];

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  /** 'nearest' (default), 'nearest-exact', 'linear' (3D), 'bilinear', 'bicubic' (4D), 'trilinear' (5D) or 'area'. */
  mode?: UpsampleMode;
  /** Only with linear, bilinear, bicubic and trilinear (default false there). */
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}

/**
 * PyTorch `nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None)`
 * (keywords in an options object) on [N, C, L], [N, C, H, W] or [N, C, D, H, W] as the mode allows.
 */
export class Upsample extends Module {
  static override className = 'Upsample';
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: UpsampleMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;
  constructor(opts: UpsampleOptions = {}) {
    super();
    ({
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: this.mode,
      alignCorners: this.alignCorners,
      recomputeScaleFactor: this.recomputeScaleFactor,
    } = upsampleOptions(new.target.className, opts));
  }
  forward(x: Tensor): Tensor {
    return upsample(`${this.name} (${this.className})`, x, this);
  }
}
/** Options of the fixed-mode aliases: size or scaleFactor. */
export interface UpsamplingOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
}
/** PyTorch `nn.UpsamplingNearest2d(size=None, scale_factor=None)`: Upsample with mode 'nearest'. */
export class UpsamplingNearest2d extends Upsample {
  static override className = 'UpsamplingNearest2d';
  constructor(opts: UpsamplingOptions = {}) {
    checkOptionsObject('UpsamplingNearest2d', opts, ['size', 'scaleFactor'], { required: true });
    super({ ...opts, mode: 'nearest' });
  }
}
/** PyTorch `nn.UpsamplingBilinear2d(size=None, scale_factor=None)`: Upsample with 'bilinear' and alignCorners true. */
export class UpsamplingBilinear2d extends Upsample {
  static override className = 'UpsamplingBilinear2d';
  constructor(opts: UpsamplingOptions = {}) {
    checkOptionsObject('UpsamplingBilinear2d', opts, ['size', 'scaleFactor'], { required: true });
    super({ ...opts, mode: 'bilinear', alignCorners: true });
  }
}

/** Upsample's options checked (PyTorch's F.interpolate checks), errors prefixed with `who`. */
export function upsampleOptions(who: string, opts: UpsampleOptions): Required<UpsampleOptions> {
  checkOptionsObject(who, opts, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'], {
    required: true,
  });
  const o = {
    size: opts.size ?? null,
    scaleFactor: opts.scaleFactor ?? null,
    mode: opts.mode ?? 'nearest',
    alignCorners: opts.alignCorners ?? null,
    recomputeScaleFactor: opts.recomputeScaleFactor ?? null,
  };
  if (!Object.hasOwn(RANKS, o.mode))
    throw new ValueError(
      `${who}: mode must be one of ${Object.keys(RANKS)
        .map((m) => `'${m}'`)
        .join(', ')}, got ${show(o.mode)}`,
    );
  if (o.alignCorners !== null && typeof o.alignCorners !== 'boolean')
    throw new ValueError(`${who}: align_corners must be true, false or null, got ${show(o.alignCorners)}`);
  if (!INTERPOLATING.includes(o.mode) && o.alignCorners !== null)
    throw new ValueError(
      `${who}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`,
    );
  if (o.recomputeScaleFactor !== null && typeof o.recomputeScaleFactor !== 'boolean')
    throw new ValueError(
      `${who}: recompute_scale_factor must be true, false or null, got ${show(o.recomputeScaleFactor)}`,
    );
  if ((o.size === null) === (o.scaleFactor === null))
    throw new ValueError(
      o.size === null
        ? `${who}: either size or scale_factor should be defined`
        : `${who}: only one of size or scale_factor should be defined`,
    );
  if (o.recomputeScaleFactor && o.size !== null)
    throw new ValueError(`${who}: recompute_scale_factor is not meaningful with an explicit size.`);
  return o;
}

/** Upsample's op with checked options, errors prefixed with `who` (shared with nn.functional.interpolate). */
export function upsample(who: string, x: Tensor, o: Required<UpsampleOptions>, antialias = false): Tensor {
  const s = x.rank - 2;
  // PyTorch 1.13's F.interpolate check, before the rank dispatch
  if (antialias && !((o.mode === 'bilinear' || o.mode === 'bicubic') && s === 2))
    throw new ValueError(
      `${who}: Anti-alias option is only supported for bilinear and bicubic modes (4D input)`,
    );
  const ranks = RANKS[o.mode];
  if (!ranks.includes(s))
    throw new ShapeError(
      `${who}: ${o.mode} mode takes ${ranks.map((r) => LAYOUT[r - 1]).join(' or ')} input, got ${fmtShape(x.shape)}`,
    );
  const each = (v: number | number[], what: string): number[] => {
    const list = typeof v === 'number' ? new Array<number>(s).fill(v) : v;
    if (!Array.isArray(list) || list.length !== s)
      throw new ValueError(
        `${who}: Input and ${what} must have the same number of spatial dimensions, but got input with spatial dimensions of ${fmtShape(x.shape.slice(2))} and ${what} ${show(v)}`,
      );
    if (
      list.some(
        (n) => typeof n !== 'number' || !Number.isFinite(n) || (what === 'size' && !Number.isInteger(n)),
      )
    )
      throw new ValueError(
        `${who}: ${what} must be ${what === 'size' ? 'integers' : 'numbers'}, got ${show(v)}`,
      );
    return list;
  };
  const ins = x.shape.slice(2);
  const sf = o.scaleFactor === null ? null : each(o.scaleFactor, 'scale_factor');
  const outs = sf ? ins.map((n, i) => Math.floor(n * sf[i])) : each(o.size!, 'size');
  outs.forEach((v, i) => {
    // NOTE: PyTorch's area mode (adaptive pooling) returns an empty tensor for output size 0; refused here as the
    // other modes do
    if (v < 1)
      throw new ValueError(
        `${who}: Input and output sizes should be greater than 0, but got input ${ins[i]} and output ${v}`,
      );
  });
  // the scale factor PyTorch's kernels read: as given, unless recomputed from the sizes (area always recomputes)
  const given = sf && !o.recomputeScaleFactor && o.mode !== 'area' ? sf : null;
  const ac = o.alignCorners ?? false;
  let y = x;
  ins.forEach((n, i) => {
    const [axis, out, f] = [i + 2, outs[i], given?.[i]];
    if (o.mode === 'area') y = poolAxis(y, axis, out);
    else if (o.mode === 'nearest') y = gather(y, nearestIndex(n, out, f, false), axis);
    else if (o.mode === 'nearest-exact') y = gather(y, nearestIndex(n, out, f, true), axis);
    else if (antialias) y = weighted(y, axis, aaTaps(n, out, f, ac, o.mode === 'bicubic'));
    else y = weighted(y, axis, (o.mode === 'bicubic' ? cubicTaps : linearTaps)(n, out, f, ac));
  });
  return y;
}

/** One axis as Σₖ gather(x, idx[k])·w[k], the weights [out] broadcast along `axis`. */
function weighted(x: Tensor, axis: number, taps: { idx: number[][]; w: number[][] }): Tensor {
  const wshape = x.shape.map((_, a) => (a === axis ? taps.w[0].length : 1));
  let y: Tensor | null = null;
  taps.idx.forEach((idx, k) => {
    const term = mul(gather(x, idx, axis), tensor(taps.w[k], wshape, { dtype: x.dtype }));
    y = y ? add(y, term) : term;
  });
  return y!;
}
/** PyTorch's compute_scales_value: 1/scaleFactor when one is given (> 0), else in/out. */
const scaleOf = (n: number, out: number, sf: number | undefined): number =>
  sf !== undefined && sf > 0 ? 1 / sf : n / out;
/** PyTorch's area_pixel_compute_scale: (in-1)/(out-1) with alignCorners (0 for out 1), else scaleOf. */
const pixelScale = (n: number, out: number, sf: number | undefined, ac: boolean): number =>
  ac ? (out > 1 ? (n - 1) / (out - 1) : 0) : scaleOf(n, out, sf);
/** PyTorch's guard_index_and_lambda: floorf of the source (in float32) capped at n-1, the fraction in [0, 1]. */
function guard(src: number, n: number): [number, number] {
  const i = Math.min(Math.floor(Math.fround(src)), n - 1);
  return [i, Math.min(Math.max(src - i, 0), 1)];
}
/** The two linear taps per output position (PyTorch's compute_source_index_and_lambda). */
function linearTaps(n: number, out: number, sf: number | undefined, ac: boolean) {
  const scale = pixelScale(n, out, sf, ac);
  const idx: number[][] = [[], []];
  const w: number[][] = [[], []];
  for (let d = 0; d < out; d++) {
    // output size = input size copies the axis, whatever the scale factor (PyTorch's shortcut)
    const src = out === n ? d : ac ? scale * d : Math.max(scale * (d + 0.5) - 0.5, 0);
    const [i0, l1] = guard(src, n);
    idx[0].push(i0);
    idx[1].push(i0 + (i0 < n - 1 ? 1 : 0));
    w[0].push(1 - l1);
    w[1].push(l1);
  }
  return { idx, w };
}
/** Keys' cubic convolution weights of taps -1, 0, 1, 2 at fraction t (PyTorch's get_cubic_upsample_coefficients). */
function cubicWeights(t: number, A = -0.75): number[] {
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(1 - t + 1)];
}
/** The four bicubic taps per output position, tap indices clamped to [0, n-1] as PyTorch's kernel. */
function cubicTaps(n: number, out: number, sf: number | undefined, ac: boolean) {
  const scale = pixelScale(n, out, sf, ac);
  const idx: number[][] = [[], [], [], []];
  const w: number[][] = [[], [], [], []];
  for (let d = 0; d < out; d++) {
    // the cubic source index is not clamped at 0 (area_pixel_compute_source_index with cubic=true)
    const [i, t] = guard(ac ? scale * d : scale * (d + 0.5) - 0.5, n);
    const c = cubicWeights(t);
    for (let k = 0; k < 4; k++) {
      idx[k].push(Math.max(Math.min(i - 1 + k, n - 1), 0));
      w[k].push(c[k]);
    }
  }
  return { idx, w };
}
/**
 * The anti-aliased taps (PyTorch's _compute_weights_aa): output d centred at scale·(d + ½) in input pixels, the
 * filter (triangle, or cubic with A = -0.5 for bicubic) stretched by scale when downsampling (support base/2·scale),
 * over input pixels [xmin, xmin + xsize), the weights normalized to sum 1; unused taps weigh 0.
 */
function aaTaps(n: number, out: number, sf: number | undefined, ac: boolean, cubic: boolean) {
  const scale = pixelScale(n, out, sf, ac);
  const base = cubic ? 4 : 2;
  const support = scale >= 1 ? base * 0.5 * scale : base * 0.5;
  const size = Math.ceil(Math.fround(support)) * 2 + 1;
  const invscale = scale >= 1 ? 1 / scale : 1;
  const filter = (v: number): number => {
    const x = Math.abs(v);
    if (!cubic) return x < 1 ? 1 - x : 0;
    // cubicWeights(t)[1] is cubic_convolution1(t) and [0] is cubic_convolution2(t + 1)
    return x < 1 ? cubicWeights(x, -0.5)[1] : x < 2 ? cubicWeights(x - 1, -0.5)[0] : 0;
  };
  const idx: number[][] = Array.from({ length: size }, () => []);
  const w: number[][] = Array.from({ length: size }, () => []);
  for (let d = 0; d < out; d++) {
    const center = scale * (d + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), n) - xmin;
    const ws = Array.from({ length: xsize }, (_, j) => filter((j + xmin - center + 0.5) * invscale));
    const total = ws.reduce((a, b) => a + b, 0);
    for (let j = 0; j < size; j++) {
      idx[j].push(Math.min(xmin + j, n - 1));
      w[j].push(j < xsize ? (total !== 0 ? ws[j] / total : ws[j]) : 0);
    }
  }
  return { idx, w };
}
/**
 * PyTorch's nearest_idx: floor(dst·scale) in float32 (out = in: dst; out = 2·in: dst/2), at most n-1; exact:
 * nearest_exact_idx, floor((dst + ½)·scale) in float32.
 */
function nearestIndex(n: number, out: number, sf: number | undefined, exact: boolean): number[] {
  const scale = Math.fround(scaleOf(n, out, sf));
  return Array.from({ length: out }, (_, d) =>
    exact
      ? Math.min(Math.floor(Math.fround((d + 0.5) * scale)), n - 1)
      : out === n
        ? d
        : out === 2 * n
          ? d >> 1
          : Math.min(Math.floor(Math.fround(d * scale)), n - 1),
  );
}
