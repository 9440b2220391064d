// Keras convolution layers: Conv1D and Conv2D (kernels stored channels-last, [k..., in/groups, filters]).
import { ShapeError, TapegradError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { conv1d, conv2dWithActivation } from '../../../ops/composite/conv.js';
import { transpose } from '../../../ops/movement/builders.js';
import { type ActivationSpec, getActivation } from '../../activations.js';
import type { InitializerSpec } from '../../initializers.js';
import { Layer, type LayerArgs, layerOptions } from '../../layer.js';
import { type DataFormatArg, dataFormatOf } from './data-format.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** Conv's regularizer options (Keras `kernel_regularizer`, `bias_regularizer`, `activity_regularizer`). */
const CONV_REGS = regularizerKeys('kernelRegularizer', 'biasRegularizer', 'activityRegularizer');

const RELU = getActivation('relu');
const n = (v: number): string => v.toLocaleString('en-US');
type IntOrPair = number | [number, number];
const toPair = (v: IntOrPair | undefined, d: number): [number, number] =>
  v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : (v as number[]).length === 1 ? [v[0], v[0]] : v;
const num = (v: IntOrPair | undefined, d: number): number =>
  v === undefined ? d : typeof v === 'number' ? v : v[0];

/**
 * Check a size option (kernelSize, strides, dilationRate, poolSize): an int or one int per spatial axis, each a
 * positive integer; the error names the layer and the option.
 */
export function checkSizes(layer: string, what: string, v: unknown, rank: number): void {
  if (v === undefined || v === null) return;
  const list = Array.isArray(v) ? v : [v];
  const okLength = list.length === 1 || list.length === rank;
  if (!okLength || list.some((x) => !Number.isInteger(x) || (x as number) < 1))
    throw new ValueError(
      `${layer}: ${what} must be a positive integer${rank > 1 ? ` or ${rank} of them` : ''}, got ${JSON.stringify(v)}`,
    );
}

/** The axes of a conv/pool input in words, for error messages. */
export const spatialLayout = (rank: 1 | 2, channelsFirst: boolean): string => {
  const sp = rank === 1 ? 'steps' : 'height, width';
  return channelsFirst ? `[batch, channels, ${sp}]` : `[batch, ${sp}, channels]`;
};

export interface ConvArgs
  extends LayerArgs, RegularizerArgs<'kernelRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  filters: number;
  kernelSize: IntOrPair;
  strides?: IntOrPair;
  padding?: 'valid' | 'same' | 'causal';
  dataFormat?: DataFormatArg;
  dilationRate?: IntOrPair;
  groups?: number;
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
}

abstract class ConvBase extends Layer {
  static override options = layerOptions<ConvArgs>({
    filters: true,
    kernelSize: true,
    strides: true,
    padding: true,
    dataFormat: true,
    dilationRate: true,
    groups: true,
    activation: true,
    useBias: true,
    kernelInitializer: true,
    biasInitializer: true,
    ...CONV_REGS,
  });
  readonly filters: number;
  readonly groups: number;
  readonly useBias: boolean;
  readonly channelsFirst: boolean;
  kernel!: Tensor;
  bias: Tensor | null = null;
  constructor(
    readonly args: ConvArgs,
    readonly rank: 1 | 2,
  ) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters < 1)
      throw new ValueError(`${this.className}: filters must be a positive integer, got ${args.filters}`);
    if (args.kernelSize === undefined)
      throw new ValueError(`${this.className}: kernelSize is required (an integer or one per spatial axis)`);
    checkSizes(this.className, 'kernelSize', args.kernelSize, rank);
    checkSizes(this.className, 'strides', args.strides, rank);
    checkSizes(this.className, 'dilationRate', args.dilationRate, rank);
    if (args.groups !== undefined && (!Number.isInteger(args.groups) || args.groups < 1))
      throw new ValueError(`${this.className}: groups must be a positive integer, got ${args.groups}`);
    this.filters = args.filters;
    this.groups = args.groups ?? 1;
    this.useBias = args.useBias ?? true;
    this.channelsFirst = dataFormatOf(this, args.dataFormat) === 'channelsFirst';
    if (args.padding === 'causal' && rank !== 1)
      throw new ValueError(`${this.className}: 'causal' padding is only for Conv1D`);
    setupRegularizers(this, args, CONV_REGS);
  }
  kernelSizes(): number[] {
    const k = this.args.kernelSize;
    return this.rank === 1 ? [num(k, 1)] : toPair(k, 1);
  }
  override expectedRank(): number {
    return this.rank + 2;
  }
  override expectedLayout(): string {
    return spatialLayout(this.rank, this.channelsFirst);
  }
  override build(s: Shape): void {
    const c = this.channelsFirst ? s[1] : s[s.length - 1];
    if (c % this.groups !== 0)
      throw new ShapeError(
        `${this.name} (${this.className}): ${c} input channels are not divisible by groups=${this.groups}`,
      );
    this.kernel = this.addWeight(
      'kernel',
      [...this.kernelSizes(), c / this.groups, this.filters],
      this.args.kernelInitializer ?? 'glorotUniform',
    );
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.filters], this.args.biasInitializer ?? 'zeros');
  }
  protected checkChannels(x: Tensor): void {
    const c = this.channelsFirst ? x.shape[1] : x.shape[x.rank - 1];
    const want = this.kernel.shape[this.rank] * this.groups;
    if (c === want) return;
    // The other end of the input holds the expected channel count: the data is in the other layout.
    const other = this.channelsFirst ? x.shape[x.rank - 1] : x.shape[1];
    const perm = this.channelsFirst
      ? [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)]
      : [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
    const hint =
      other === want
        ? ` — the input looks ${this.channelsFirst ? 'channels-last' : 'channels-first'}: transpose it to ${fmtShape(perm.map((a) => x.shape[a]))} ` +
          `or build the layer with dataFormat: '${this.channelsFirst ? 'channelsLast' : 'channelsFirst'}'`
        : ' — check where the channel axis is';
    throw new ShapeError(
      `${this.name} (${this.className}): input has ${c} channels but the kernel ${fmtShape(this.kernel.shape)} expects ${want} ` +
        `(dataFormat ${this.channelsFirst ? 'channelsFirst' : 'channelsLast'}: ${spatialLayout(this.rank, this.channelsFirst)}, input ${fmtShape(x.shape)})${hint}`,
    );
  }
  /**
   * Run the convolution; when its window does not fit and the input looks like the other layout (a small axis
   * where this layer expects space, e.g. [1, 3, 28, 28] for a channels-last layer), say so and how to fix it.
   */
  protected withLayoutHint(x: Tensor, run: () => Tensor): Tensor {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof TapegradError) || !/(larger|longer) than/.test(e.message)) throw e;
      // NOTE: 1, 3 and 4 channels (grey, RGB, RGBA) in the first spatial slot is the common channels-first mistake.
      const small = this.channelsFirst ? x.shape[x.rank - 1] : x.shape[1];
      // read the other way, the spatial axes must hold the dilated window, or the hint would be wrong too
      const otherSpatial = this.channelsFirst ? x.shape.slice(1, -1) : x.shape.slice(2);
      const ks = this.kernelSizes();
      const ds = this.rank === 1 ? [num(this.args.dilationRate, 1)] : toPair(this.args.dilationRate, 1);
      const fits = otherSpatial.every((d, i) => d >= (ks[i] - 1) * ds[i] + 1);
      if (small <= 4 && fits) {
        const perm = this.channelsFirst
          ? [0, x.rank - 1, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 1)]
          : [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1];
        e.message +=
          ` — the input ${fmtShape(x.shape)} looks ${this.channelsFirst ? 'channels-last' : 'channels-first'}, but this layer is ` +
          `${this.channelsFirst ? 'channels-first' : 'channels-last'} ${spatialLayout(this.rank, this.channelsFirst)}: ` +
          `tg.transpose(x, [${perm}]) gives ${fmtShape(perm.map((a) => x.shape[a]))}, or build the layer with dataFormat: '${this.channelsFirst ? 'channelsLast' : 'channelsFirst'}'`;
      }
      throw e;
    }
  }
  override paramFormula(): string {
    const per = this.kernel.shape.slice(0, -1);
    const fan = per.reduce((a, b) => a * b, 1);
    const expr = `${per.join('·')}${this.useBias ? '+1' : ''}`;
    return `(${expr})·${n(this.filters)} = ${n((fan + (this.useBias ? 1 : 0)) * this.filters)}`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernel_size: this.kernelSizes(),
      strides: this.rank === 1 ? [num(this.args.strides, 1)] : toPair(this.args.strides, 1),
      padding: this.args.padding ?? 'valid',
      data_format: this.channelsFirst ? 'channels_first' : 'channels_last',
      dilation_rate: this.rank === 1 ? [num(this.args.dilationRate, 1)] : toPair(this.args.dilationRate, 1),
      groups: this.groups,
      activation: typeof this.args.activation === 'string' ? this.args.activation : 'linear',
      use_bias: this.useBias,
      ...regularizerConfig(this),
    };
  }
}

export class Conv2D extends ConvBase {
  static override className = 'Conv2D';
  constructor(args: ConvArgs) {
    super(args, 2);
  }
  call(x: Tensor): Tensor {
    this.checkChannels(x);
    // NOTE: Keras keeps HWIO kernels for channels_first too, so we convolve in NHWC and move axes around it.
    const xh = this.channelsFirst ? transpose(x, [0, 2, 3, 1]) : x;
    const padding = this.args.padding ?? 'valid';
    // NOTE: relu runs in the conv kernel's epilogue where the fused row can take it (tf.layers does the same).
    const activation = getActivation(this.args.activation);
    const fuseRelu = activation === RELU;
    let y = this.withLayoutHint(x, () =>
      conv2dWithActivation(
        xh,
        this.kernel,
        this.bias ?? null,
        {
          stride: toPair(this.args.strides, 1),
          padding: padding === 'causal' ? 'valid' : padding,
          dilation: toPair(this.args.dilationRate, 1),
          groups: this.groups,
        },
        fuseRelu ? 'relu' : 'linear',
      ),
    );
    if (!fuseRelu) y = activation(y);
    return this.channelsFirst ? transpose(y, [0, 3, 1, 2]) : y;
  }
}

export class Conv1D extends ConvBase {
  static override className = 'Conv1D';
  constructor(args: ConvArgs) {
    super(args, 1);
  }
  call(x: Tensor): Tensor {
    this.checkChannels(x);
    const xw = this.channelsFirst ? transpose(x, [0, 2, 1]) : x;
    let y = this.withLayoutHint(x, () =>
      conv1d(xw, this.kernel, this.bias, {
        stride: num(this.args.strides, 1),
        padding: this.args.padding ?? 'valid',
        dilation: num(this.args.dilationRate, 1),
        groups: this.groups,
      }),
    );
    y = getActivation(this.args.activation)(y);
    return this.channelsFirst ? transpose(y, [0, 2, 1]) : y;
  }
}

export const convFactories = {
  conv2d: (a: ConvArgs) => new Conv2D(a),
  conv1d: (a: ConvArgs) => new Conv1D(a),
};
