// PyTorch 1.13's shape and padding modules for tg.nn: Unflatten, the padding modules (ZeroPad2d, ConstantPad1d/2d,
// ReflectionPad1d/2d, ReplicationPad1d/2d, all over nn.functional.pad), PixelShuffle/PixelUnshuffle (reshape and
// transpose), Upsample (re-exported from upsample.ts) and AvgPool1d.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { avgPool1d } from '../../ops/composite/pool.js';
import { Module } from './base.js';
import { pad as padF } from './functional-misc.js';

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

// Upsample and its aliases live in upsample.ts (re-exported here, where the index and older imports look).
export {
  Upsample,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
  type UpsampleMode,
  type UpsampleOptions,
  type UpsamplingOptions,
  upsample,
  upsampleOptions,
} from './upsample.js';

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
