// PyTorch 1.13's `nn.ConvTranspose1d` for tg.nn, over tg.convTranspose1d (a height-1 convTranspose2d): weight
// [in, out/groups, k], PyTorch's initialisation, unbatched [C, L] inputs and forward's output_size.
// NOTE: no paddingMode option (an unknown key, refused by name): PyTorch's transposed convs take only 'zeros'.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { convTranspose1d } from '../../ops/composite/conv-transpose.js';
import { reshape } from '../../ops/movement/builders.js';
import { Module } from './base.js';
import { CONV_TRANSPOSE_KEYS, transposedConvWeights } from './layers.js';
import { moduleOptions } from './options.js';

const show = (v: unknown): string => (v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v)));
/** An integer ≥ min, or PyTorch's 1-tuple [k]. */
function one(what: string, v: unknown, dflt: number, min: number): number {
  const n = v === undefined ? dflt : Array.isArray(v) && v.length === 1 ? (v[0] as unknown) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min)
    throw new ValueError(
      `ConvTranspose1d: ${what} must be ${min ? 'a positive' : 'a non-negative'} integer or a 1-tuple [k], got ${show(v)}`,
    );
  return n;
}

type P1 = number | readonly [number];
export interface ConvTranspose1dOptions {
  stride?: P1;
  padding?: P1;
  outputPadding?: P1;
  dilation?: P1;
  groups?: number;
  bias?: boolean;
  name?: string;
  dtype?: DType;
}

/**
 * PyTorch `nn.ConvTranspose1d(in, out, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
 * dilation=1)` on [N, C, L] with weight [in, out/groups, k]: out = (L - 1)·stride - 2·padding + dilation·(k - 1) +
 * output_padding + 1.
 */
export class ConvTranspose1d extends Module {
  static override className = 'ConvTranspose1d';
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;
  readonly groups: number;
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: P1,
    opts: ConvTranspose1dOptions = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('ConvTranspose1d', opts, CONV_TRANSPOSE_KEYS);
    for (const [k, v] of [
      ['in_channels', inChannels],
      ['out_channels', outChannels],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`ConvTranspose1d: ${k} must be a positive integer, got ${show(v)}`);
    this.kernelSize = one('kernel_size', kernelSize, 1, 1);
    this.stride = one('stride', opts.stride, 1, 1);
    this.padding = one('padding', opts.padding, 0, 0);
    this.outputPadding = one('output_padding', opts.outputPadding, 0, 0);
    this.dilation = one('dilation', opts.dilation, 1, 1);
    const g = (this.groups = opts.groups ?? 1);
    if (!Number.isInteger(g) || g < 1 || inChannels % g !== 0 || outChannels % g !== 0)
      throw new ValueError(
        `ConvTranspose1d: groups ${show(opts.groups)} must be a positive integer dividing in_channels ${inChannels} and out_channels ${outChannels}`,
      );
    if (this.outputPadding >= Math.max(this.stride, this.dilation))
      throw new ValueError(
        `ConvTranspose1d: output_padding ${this.outputPadding} must be smaller than either stride ${this.stride} or dilation ${this.dilation}`,
      );
    ({ weight: this.weight, bias: this.bias } = transposedConvWeights(
      this,
      inChannels,
      outChannels,
      g,
      [this.kernelSize],
      opts.bias !== false,
    ));
  }
  /**
   * PyTorch `forward(input, output_size=None)` on x [N, C, L], or one sample [C, L] (then the output is unbatched
   * too): outputSize [l] (or with the leading sizes of x) picks the output_padding.
   */
  forward(x: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const who = `${this.name} (ConvTranspose1d)`;
    if (x.rank !== 2 && x.rank !== 3)
      throw new ShapeError(
        `${who}: Expected 2D (unbatched) or 3D (batched) input to conv_transpose1d, but got input of size: ${fmtShape(x.shape)}`,
      );
    if (x.shape[x.rank - 2] !== this.inChannels)
      throw new ShapeError(
        `${who}: expected input ${x.rank === 3 ? `[N, ${this.inChannels}, L]` : `[${this.inChannels}, L]`}, got ${fmtShape(x.shape)} (weight ${fmtShape(this.weight.shape)})`,
      );
    const xb = x.rank === 3 ? x : reshape(x, [1, ...x.shape]);
    const op = outputSize === null ? this.outputPadding : this.outputPaddingFor(xb, outputSize, x.rank);
    const y = convTranspose1d(xb, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: op,
      dilation: this.dilation,
      groups: this.groups,
    });
    return x.rank === 3 ? y : reshape(y, y.shape.slice(1));
  }
  /** PyTorch's `_output_padding`: the requested length in [min, min + stride - 1]; the padding is length - min. */
  private outputPaddingFor(x: Tensor, outputSize: readonly unknown[], rank: number): number {
    const who = `${this.name} (ConvTranspose1d)`;
    if (!Array.isArray(outputSize) || ![1, rank].includes(outputSize.length))
      throw new ValueError(
        `${who}: for ${rank}D input, output_size must have 1 or ${rank} elements, got ${show(outputSize)}`,
      );
    const want = outputSize[outputSize.length - 1] as number;
    if (!Number.isInteger(want))
      throw new ValueError(`${who}: output_size must be integers, got ${show(outputSize)}`);
    const min = (x.shape[2] - 1) * this.stride - 2 * this.padding + this.dilation * (this.kernelSize - 1) + 1;
    const max = min + this.stride - 1;
    if (want < min || want > max)
      throw new ValueError(
        `${who}: requested an output size of [${want}], but valid sizes range from [${min}] to [${max}] (for an input of [${x.shape[2]}])`,
      );
    return want - min;
  }
  override paramFormula(): string {
    const per = this.outChannels / this.groups;
    return `${this.inChannels}·${per}·${this.kernelSize}${this.bias ? ` + ${this.outChannels}` : ''} = ${this.countParams().toLocaleString('en-US')}`;
  }
}
