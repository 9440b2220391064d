// PyTorch 1.13's shape and padding modules for tg.nn: Unflatten, the padding modules (ZeroPad2d, ConstantPad1d/2d,
// ReflectionPad1d/2d, ReplicationPad1d/2d, all over nn.functional.pad), PixelShuffle/PixelUnshuffle (reshape and
// transpose), Upsample ('nearest' and 'bilinear', as gathers with PyTorch's source-index rules) and AvgPool1d.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { type Tensor, tensor } from '../../core/tensor.js';
import { add, mul } from '../../ops/elementwise/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { gather } from '../../ops/network/builders.js';
import { avgPool1d } from '../../ops/composite/pool.js';
import { Module } from './base.js';
import { pad as padF } from './functional-misc.js';
import { checkOptionsObject } from '../../core/options.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v)));
const isInt = (v: unknown, min: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min;

/** PyTorch `nn.Unflatten(dim, unflattened_size)`: axis dim split into unflattenedSize (one entry may be -1). */
export class Unflatten extends Module {
  static override className = 'Unflatten';
  readonly unflattenedSize: number[];
  constructor(
    readonly dim: number,
    unflattenedSize: readonly number[],
  ) {
    super();
    if (!Number.isInteger(dim)) throw new ValueError(`Unflatten: dim must be an integer, got ${show(dim)}`);
    if (!Array.isArray(unflattenedSize) || unflattenedSize.some((d) => !isInt(d, -1)))
      throw new ValueError(
        `Unflatten: unflattened_size must be a list of integers (one may be -1), got ${show(unflattenedSize)}`,
      );
    if (unflattenedSize.filter((d) => d === -1).length > 1)
      throw new ValueError(
        `Unflatten: only one dimension can be inferred (-1), got ${show(unflattenedSize)}`,
      );
    this.unflattenedSize = [...unflattenedSize];
  }
  forward(x: Tensor): Tensor {
    const r = x.rank;
    const who = `${this.name} (Unflatten)`;
    if (r === 0 || this.dim < -r || this.dim >= r)
      throw new ShapeError(`${who}: dim ${this.dim} is out of range for input ${fmtShape(x.shape)}`);
    const d = this.dim < 0 ? this.dim + r : this.dim;
    const n = x.shape[d];
    const known = this.unflattenedSize.filter((s) => s !== -1).reduce((p, s) => p * s, 1);
    const sizes = this.unflattenedSize.map((s) => (s === -1 ? (known === 0 ? -2 : n / known) : s));
    if (sizes.some((s) => s < 0 || !Number.isInteger(s)) || sizes.reduce((p, s) => p * s, 1) !== n)
      throw new ShapeError(
        `${who}: sizes ${show(this.unflattenedSize)} don't multiply up to the size of dim ${this.dim} (${n}) in the input tensor ${fmtShape(x.shape)}`,
      );
    return reshape(x, [...x.shape.slice(0, d), ...sizes, ...x.shape.slice(d + 1)]);
  }
}

type PadMode = 'constant' | 'reflect' | 'replicate';
/** The padding modules: padding as F.pad's list (last axis first), forward F.pad(x, padding, mode, value). */
abstract class PadNd extends Module {
  readonly padding: number[];
  constructor(
    padding: number | readonly number[],
    private readonly axes: 1 | 2,
    private readonly mode: PadMode,
    readonly value = 0,
  ) {
    super();
    const cls = new.target.className;
    const n = 2 * axes;
    // PyTorch's _pair/_quadruple: one integer for every side, or exactly n integers (negative ones crop)
    const list = typeof padding === 'number' ? new Array<number>(n).fill(padding) : padding;
    if (!Array.isArray(list) || list.length !== n || list.some((v) => !Number.isInteger(v)))
      throw new ValueError(
        `${cls}: padding must be an integer or ${n} integers [${axes === 1 ? 'left, right' : 'left, right, top, bottom'}], got ${show(padding)}`,
      );
    if (typeof value !== 'number') throw new ValueError(`${cls}: value must be a number, got ${show(value)}`);
    this.padding = [...list];
  }
  forward(x: Tensor): Tensor {
    // PyTorch 1.13's reflection/replication pads take [C, ...] or [N, C, ...] only (constant pads any rank)
    if (this.mode !== 'constant' && x.rank !== this.axes + 1 && x.rank !== this.axes + 2)
      throw new ShapeError(
        `${this.name} (${this.className}): expected ${this.axes + 1}D or ${this.axes + 2}D input, got ${fmtShape(x.shape)}`,
      );
    return padF(x, this.padding, this.mode, this.mode === 'constant' ? this.value : null);
  }
}
/** PyTorch `nn.ConstantPad1d(padding, value)`: the last axis padded with value ([left, right]). */
export class ConstantPad1d extends PadNd {
  static override className = 'ConstantPad1d';
  constructor(padding: number | [number, number], value: number) {
    super(padding, 1, 'constant', value);
  }
}
/** PyTorch `nn.ConstantPad2d(padding, value)`: the last two axes padded with value ([left, right, top, bottom]). */
export class ConstantPad2d extends PadNd {
  static override className = 'ConstantPad2d';
  constructor(padding: number | [number, number, number, number], value: number) {
    super(padding, 2, 'constant', value);
  }
}
/** PyTorch `nn.ZeroPad2d(padding)`: ConstantPad2d with value 0. */
export class ZeroPad2d extends PadNd {
  static override className = 'ZeroPad2d';
  constructor(padding: number | [number, number, number, number]) {
    super(padding, 2, 'constant', 0);
  }
}
/** PyTorch `nn.ReflectionPad1d(padding)`: x₂ x₁ | x₀ … (the edge not repeated); padding < the axis size. */
export class ReflectionPad1d extends PadNd {
  static override className = 'ReflectionPad1d';
  constructor(padding: number | [number, number]) {
    super(padding, 1, 'reflect');
  }
}
/** PyTorch `nn.ReflectionPad2d(padding)`: ReflectionPad1d on the last two axes. */
export class ReflectionPad2d extends PadNd {
  static override className = 'ReflectionPad2d';
  constructor(padding: number | [number, number, number, number]) {
    super(padding, 2, 'reflect');
  }
}
/** PyTorch `nn.ReplicationPad1d(padding)`: the edge value repeated. */
export class ReplicationPad1d extends PadNd {
  static override className = 'ReplicationPad1d';
  constructor(padding: number | [number, number]) {
    super(padding, 1, 'replicate');
  }
}
/** PyTorch `nn.ReplicationPad2d(padding)`: ReplicationPad1d on the last two axes. */
export class ReplicationPad2d extends PadNd {
  static override className = 'ReplicationPad2d';
  constructor(padding: number | [number, number, number, number]) {
    super(padding, 2, 'replicate');
  }
}

/** [*, C, H, W] as [B, C, H, W] with B the product of the leading axes (PixelShuffle's any-batch rule). */
function lead(who: string, x: Tensor): [number[], number, number, number] {
  if (x.rank < 3)
    throw new ShapeError(
      `${who} expects input to have at least 3 dimensions, but got input with ${x.rank} dimension(s)`,
    );
  const [c, h, w] = x.shape.slice(-3);
  return [x.shape.slice(0, -3), c, h, w];
}
/** PyTorch `nn.PixelShuffle(upscale_factor)`: [*, C·r², H, W] → [*, C, H·r, W·r]. */
export class PixelShuffle extends Module {
  static override className = 'PixelShuffle';
  constructor(readonly upscaleFactor: number) {
    super();
    if (!isInt(upscaleFactor, 1))
      throw new ValueError(
        `PixelShuffle: upscale_factor must be a positive integer, got ${show(upscaleFactor)}`,
      );
  }
  forward(x: Tensor): Tensor {
    return pixelShuffle(`${this.name} (PixelShuffle)`, x, this.upscaleFactor);
  }
}
/** PixelShuffle's op, errors prefixed with `who` (shared with nn.functional.pixelShuffle). */
export function pixelShuffle(who: string, x: Tensor, r: number): Tensor {
  const [batch, c, h, w] = lead(`${who}: pixel_shuffle`, x);
  if (c % (r * r) !== 0)
    throw new ShapeError(
      `${who}: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${c} is not divisible by ${r * r}`,
    );
  const b = batch.reduce((p, d) => p * d, 1);
  const oc = c / (r * r);
  const y = transpose(reshape(x, [b, oc, r, r, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(y, [...batch, oc, h * r, w * r]);
}
/** PyTorch `nn.PixelUnshuffle(downscale_factor)`: [*, C, H·r, W·r] → [*, C·r², H, W] (PixelShuffle's inverse). */
export class PixelUnshuffle extends Module {
  static override className = 'PixelUnshuffle';
  constructor(readonly downscaleFactor: number) {
    super();
    if (!isInt(downscaleFactor, 1))
      throw new ValueError(
        `PixelUnshuffle: downscale_factor must be a positive integer, got ${show(downscaleFactor)}`,
      );
  }
  forward(x: Tensor): Tensor {
    return pixelUnshuffle(`${this.name} (PixelUnshuffle)`, x, this.downscaleFactor);
  }
}
/** PixelUnshuffle's op, errors prefixed with `who` (shared with nn.functional.pixelUnshuffle). */
export function pixelUnshuffle(who: string, x: Tensor, r: number): Tensor {
  const [batch, c, h, w] = lead(`${who}: pixel_unshuffle`, x);
  for (const [k, v] of [
    ['height', h],
    ['width', w],
  ] as const)
    if (v % r !== 0)
      throw new ShapeError(
        `${who}: pixel_unshuffle expects ${k} to be divisible by downscale_factor, but input.size(${k === 'height' ? -2 : -1})=${v} is not divisible by ${r}`,
      );
  const b = batch.reduce((p, d) => p * d, 1);
  const y = transpose(reshape(x, [b, c, h / r, r, w / r, r]), [0, 1, 3, 5, 2, 4]);
  return reshape(y, [...batch, c * r * r, h / r, w / r]);
}

export interface UpsampleOptions {
  size?: number | number[] | null;
  scaleFactor?: number | number[] | null;
  /** 'nearest' (default) or 'bilinear'; PyTorch's other modes are refused by name. */
  mode?: 'nearest' | 'bilinear';
  alignCorners?: boolean | null;
  recomputeScaleFactor?: boolean | null;
}
const OTHER_MODES = ['linear', 'bicubic', 'trilinear', 'area', 'nearest-exact'];

/**
 * PyTorch `nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None, recompute_scale_factor=None)`
 * (keywords in an options object). 'nearest' on [N, C, L] or [N, C, H, W]: source index floor(dst·scale) in float32
 * as PyTorch's kernel; 'bilinear' on [N, C, H, W]: the two neighbours' weighted sum per axis, source
 * (dst + ½)·scale - ½ (clamped at 0), or dst·(in-1)/(out-1) with alignCorners. scale is 1/scaleFactor when one is
 * given (and not recomputeScaleFactor), else in/out.
 */
export class Upsample extends Module {
  static override className = 'Upsample';
  readonly size: number | number[] | null;
  readonly scaleFactor: number | number[] | null;
  readonly mode: 'nearest' | 'bilinear';
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
    } = upsampleOptions('Upsample', opts));
  }
  forward(x: Tensor): Tensor {
    return upsample(`${this.name} (Upsample)`, x, this);
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
  if (OTHER_MODES.includes(o.mode))
    throw new ValueError(`${who}: mode '${o.mode}' is not supported (tapegrad has 'nearest' and 'bilinear')`);
  if (o.mode !== 'nearest' && o.mode !== 'bilinear')
    throw new ValueError(`${who}: mode must be 'nearest' or 'bilinear', got ${show(o.mode)}`);
  if (o.alignCorners !== null && typeof o.alignCorners !== 'boolean')
    throw new ValueError(`${who}: align_corners must be true, false or null, got ${show(o.alignCorners)}`);
  if (o.mode === 'nearest' && o.alignCorners !== null)
    throw new ValueError(
      `${who}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`,
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
export function upsample(who: string, x: Tensor, o: Required<UpsampleOptions>): Tensor {
  const s = x.rank - 2;
  if (o.mode === 'bilinear' ? s !== 2 : s !== 1 && s !== 2)
    throw new ShapeError(
      `${who}: ${o.mode} mode takes ${o.mode === 'bilinear' ? '4D input [N, C, H, W]' : '3D [N, C, L] or 4D [N, C, H, W] input'}, got ${fmtShape(x.shape)}`,
    );
  const each = (v: number | number[], what: string): number[] => {
    const list = typeof v === 'number' ? new Array<number>(s).fill(v) : v;
    if (!Array.isArray(list) || list.length !== s)
      throw new ValueError(
        `${who}: ${what} shape must match input shape. Input is ${s}D, ${what} is ${list?.length ?? show(v)}`,
      );
    return list;
  };
  const ins = x.shape.slice(2);
  const sf = o.scaleFactor === null ? null : each(o.scaleFactor, 'scale_factor');
  const outs = sf ? ins.map((n, i) => Math.floor(n * sf[i])) : each(o.size!, 'size');
  outs.forEach((v, i) => {
    if (!isInt(v, 1))
      throw new ValueError(
        `${who}: Input and output sizes should be greater than 0, but got input ${ins[i]} and output ${v}`,
      );
  });
  // the scale PyTorch's kernels read: 1/scale_factor as given, unless recomputed from the sizes
  const given = sf && !o.recomputeScaleFactor ? sf : null;
  let y = x;
  ins.forEach((n, i) => {
    y =
      o.mode === 'nearest'
        ? nearestAxis(y, i + 2, n, outs[i], given?.[i])
        : linearAxis(y, i + 2, n, outs[i], given?.[i], o.alignCorners ?? false);
  });
  return y;
}
function linearAxis(
  x: Tensor,
  axis: number,
  n: number,
  out: number,
  sf: number | undefined,
  ac: boolean,
): Tensor {
  const scale = ac ? (out > 1 ? (n - 1) / (out - 1) : 0) : sf !== undefined && sf > 0 ? 1 / sf : n / out;
  const i0: number[] = [];
  const i1: number[] = [];
  const l1: number[] = [];
  for (let d = 0; d < out; d++) {
    const src = ac ? scale * d : Math.max(scale * (d + 0.5) - 0.5, 0);
    const h0 = Math.min(Math.trunc(src), n - 1);
    i0.push(h0);
    i1.push(h0 + (h0 < n - 1 ? 1 : 0));
    l1.push(src - h0);
  }
  const wshape = x.shape.map((_, a) => (a === axis ? out : 1));
  const w1 = tensor(l1, wshape, { dtype: x.dtype });
  const w0 = tensor(
    l1.map((v) => 1 - v),
    wshape,
    { dtype: x.dtype },
  );
  return add(mul(gather(x, i0, axis), w0), mul(gather(x, i1, axis), w1));
}
/** PyTorch's nearest_idx: floor(dst·scale) in float32 (out = in: dst; out = 2·in: dst/2), at most n-1. */
function nearestAxis(x: Tensor, axis: number, n: number, out: number, sf: number | undefined): Tensor {
  const scale = Math.fround(sf !== undefined && sf > 0 ? 1 / sf : n / out);
  const idx = Array.from({ length: out }, (_, d) =>
    out === n ? d : out === 2 * n ? d >> 1 : Math.min(Math.floor(Math.fround(d * scale)), n - 1),
  );
  return gather(x, idx, axis);
}

/**
 * PyTorch `nn.AvgPool1d(kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True)` on [N, C, L]
 * or one sample [C, L].
 */
export class AvgPool1d extends Module {
  static override className = 'AvgPool1d';
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  constructor(
    kernelSize: number | [number],
    stride: number | [number] | null = null,
    padding: number | [number] = 0,
    readonly ceilMode = false,
    readonly countIncludePad = true,
  ) {
    super();
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = avgPool1dArgs('AvgPool1d', kernelSize, stride, padding, ceilMode, countIncludePad));
  }
  /** x [N, C, L], or one sample [C, L] (then the output is unbatched too). */
  forward(x: Tensor): Tensor {
    return avgPool1dOf(`${this.name} (AvgPool1d)`, x, this);
  }
}
export interface AvgPool1dArgs {
  kernelSize: number;
  stride: number;
  padding: number;
  ceilMode: boolean;
  countIncludePad: boolean;
}
/** AvgPool1d's arguments checked as PyTorch's, errors prefixed with `who` (shared with nn.functional.avgPool1d). */
export function avgPool1dArgs(
  who: string,
  kernelSize: unknown,
  stride: unknown,
  padding: unknown,
  ceilMode: unknown,
  countIncludePad: unknown,
): AvgPool1dArgs {
  const one = (v: unknown, what: string, min: number): number => {
    const n = Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v;
    if (!isInt(n, min))
      throw new ValueError(
        `${who}: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer or a 1-tuple [k], got ${show(v)}`,
      );
    return n;
  };
  const k = one(kernelSize, 'kernel_size', 1);
  const st = stride === null ? k : one(stride, 'stride', 1);
  const p = one(padding, 'padding', 0);
  if (p > k / 2)
    throw new ValueError(
      `${who}: pad should be at most half of kernel size, but got pad=${p} and kernel_size=${k}`,
    );
  for (const [name, v] of [
    ['ceil_mode', ceilMode],
    ['count_include_pad', countIncludePad],
  ] as const)
    if (typeof v !== 'boolean') throw new ValueError(`${who}: ${name} must be true or false, got ${show(v)}`);
  return {
    kernelSize: k,
    stride: st,
    padding: p,
    ceilMode: ceilMode as boolean,
    countIncludePad: countIncludePad as boolean,
  };
}
/** AvgPool1d's op on [N, C, L] or [C, L], errors prefixed with `who` (shared with nn.functional.avgPool1d). */
export function avgPool1dOf(who: string, x: Tensor, a: AvgPool1dArgs): Tensor {
  if (x.rank !== 2 && x.rank !== 3)
    throw new ShapeError(`${who}: expected 2D or 3D input ([C, L] or [N, C, L]), got ${fmtShape(x.shape)}`);
  const xb = x.rank === 2 ? reshape(x, [1, ...x.shape]) : x;
  const y = avgPool1d(xb, {
    kernelSize: a.kernelSize,
    stride: a.stride,
    padding: a.padding,
    dataFormat: 'NCW',
    ceilMode: a.ceilMode,
    countIncludePad: a.countIncludePad,
  });
  return xb === x ? y : reshape(y, y.shape.slice(1));
}
