// Keras DepthwiseConv2D, SeparableConv2D and Conv2DTranspose (ops/composite's conv2dTranspose: columns, then col2im).
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import { type Shape, samePads } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { depthwiseConv2d } from '../../../ops/composite/conv.js';
import { conv2dTranspose } from '../../../ops/composite/conv-transpose.js';
import { separableConv2d } from '../../../ops/composite/separable-conv.js';
import { add } from '../../../ops/elementwise/builders.js';
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

// Keras's regularizer options of each class (DepthwiseConv2D and SeparableConv2D have no kernel_regularizer)
const DEPTHWISE_REGS = regularizerKeys('depthwiseRegularizer', 'biasRegularizer', 'activityRegularizer');
const SEPARABLE_REGS = regularizerKeys(
  'depthwiseRegularizer',
  'pointwiseRegularizer',
  'biasRegularizer',
  'activityRegularizer',
);
const TRANSPOSE_REGS = regularizerKeys('kernelRegularizer', 'biasRegularizer', 'activityRegularizer');

const n = (v: number): string => v.toLocaleString('en-US');
type IntOrPair = number | [number, number];
const toPair = (v: IntOrPair | undefined, d: number, what: string, layer: string): [number, number] => {
  const p: [number, number] = v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (p.some((x) => !Number.isInteger(x) || x < 1))
    throw new ValueError(`${layer}: ${what} must be a positive integer or pair, got ${JSON.stringify(v)}`);
  return p;
};
const actName = (a: ActivationSpec): string => (typeof a === 'string' ? a : a ? 'custom' : 'linear');

/** Keras deconv_output_length: the transposed-conv output size along one axis, and the pad cut before it. */
export function deconvLength(
  len: number,
  k: number,
  s: number,
  d: number,
  padding: 'same' | 'valid',
  outputPadding: number | null,
): [number, number] {
  const keff = (k - 1) * d + 1;
  let out: number;
  if (outputPadding === null) out = padding === 'valid' ? len * s + Math.max(keff - s, 0) : len * s;
  else out = (len - 1) * s + keff - 2 * (padding === 'same' ? Math.floor(keff / 2) : 0) + outputPadding;
  // NOTE: TF chooses the cut from the output size: the 'same' padding a forward conv on `out` would use.
  const before = padding === 'same' ? samePads(out, k, s, d)[0] : 0;
  return [out, before];
}

export interface DepthwiseConv2DArgs
  extends LayerArgs, RegularizerArgs<'depthwiseRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  kernelSize: IntOrPair;
  strides?: IntOrPair;
  padding?: 'valid' | 'same';
  depthMultiplier?: number;
  dataFormat?: DataFormatArg;
  dilationRate?: IntOrPair;
  activation?: ActivationSpec;
  useBias?: boolean;
  depthwiseInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
}

/** Shared options of the depthwise family. */
abstract class SpatialConv extends Layer {
  static override required = ['kernelSize'];
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: 'valid' | 'same';
  readonly channelsFirst: boolean;
  readonly useBias: boolean;
  bias: Tensor | null = null;
  constructor(readonly args: DepthwiseConv2DArgs & { filters?: number }) {
    super(args);
    this.kernelSize = toPair(args.kernelSize, 1, 'kernelSize', this.className);
    this.strides = toPair(args.strides, 1, 'strides', this.className);
    this.dilationRate = toPair(args.dilationRate, 1, 'dilationRate', this.className);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same')
      throw new ValueError(`${this.className}: padding must be 'valid' or 'same', got '${this.padding}'`);
    this.channelsFirst = dataFormatOf(this, args.dataFormat) === 'channelsFirst';
    this.useBias = args.useBias ?? true;
  }
  override expectedRank(): number {
    return 4;
  }
  protected channelsOf(s: Shape): number {
    return this.channelsFirst ? s[1] : s[s.length - 1];
  }
  protected checkChannels(x: Tensor, want: number, kernel: Tensor): void {
    const c = this.channelsOf(x.shape);
    if (c !== want)
      throw new ShapeError(
        `${this.name} (${this.className}): input ${fmtShape(x.shape)} has ${c} channels but the kernel ${fmtShape(kernel.shape)} expects ${want} (dataFormat ${this.channelsFirst ? 'channelsFirst' : 'channelsLast'})`,
      );
  }
  /** Run `f` on NHWC data, moving channels around it for channels_first (Keras kernels stay HWIO). */
  protected nhwc(x: Tensor, f: (xh: Tensor) => Tensor): Tensor {
    const y = f(this.channelsFirst ? transpose(x, [0, 2, 3, 1]) : x);
    const z = getActivation(this.args.activation)(y);
    return this.channelsFirst ? transpose(z, [0, 3, 1, 2]) : z;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      data_format: this.channelsFirst ? 'channels_first' : 'channels_last',
      dilation_rate: this.dilationRate,
      activation: actName(this.args.activation),
      use_bias: this.useBias,
      ...regularizerConfig(this),
    };
  }
}

/** Keras DepthwiseConv2D: each input channel convolved with its own `depthMultiplier` filters; kernel [kh,kw,in,mult]. */
export class DepthwiseConv2D extends SpatialConv {
  static override className = 'DepthwiseConv2D';
  static override options = layerOptions<DepthwiseConv2DArgs>({
    kernelSize: true,
    strides: true,
    padding: true,
    depthMultiplier: true,
    dataFormat: true,
    dilationRate: true,
    activation: true,
    useBias: true,
    depthwiseInitializer: true,
    biasInitializer: true,
    ...DEPTHWISE_REGS,
  });
  readonly depthMultiplier: number;
  depthwiseKernel!: Tensor;
  constructor(args: DepthwiseConv2DArgs) {
    super(args);
    setupRegularizers(this, args, DEPTHWISE_REGS);
    this.depthMultiplier = args.depthMultiplier ?? 1;
    if (!Number.isInteger(this.depthMultiplier) || this.depthMultiplier < 1)
      throw new ValueError(
        `DepthwiseConv2D: depthMultiplier must be a positive integer, got ${args.depthMultiplier}`,
      );
  }
  override build(s: Shape): void {
    const c = this.channelsOf(s);
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [...this.kernelSize, c, this.depthMultiplier],
      this.args.depthwiseInitializer ?? 'glorotUniform',
    );
    if (this.useBias)
      this.bias = this.addWeight('bias', [c * this.depthMultiplier], this.args.biasInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    this.checkChannels(x, this.depthwiseKernel.shape[2], this.depthwiseKernel);
    return this.nhwc(x, (xh) =>
      depthwiseConv2d(xh, this.depthwiseKernel, this.bias, {
        stride: this.strides,
        padding: this.padding,
        dilation: this.dilationRate,
      }),
    );
  }
  override paramFormula(): string {
    const [kh, kw, c, m] = this.depthwiseKernel.shape;
    return `${kh}·${kw}·${c}·${m}${this.useBias ? `+${c * m}` : ''} = ${n(this.countParams())}`;
  }
  override getConfig() {
    return { ...super.getConfig(), depth_multiplier: this.depthMultiplier };
  }
}

export interface SeparableConv2DArgs extends DepthwiseConv2DArgs, RegularizerArgs<'pointwiseRegularizer'> {
  filters: number;
  pointwiseInitializer?: InitializerSpec;
}

/** Keras SeparableConv2D: depthwise (strided, dilated) conv, then a 1×1 pointwise conv to `filters`, then bias. */
export class SeparableConv2D extends SpatialConv {
  static override className = 'SeparableConv2D';
  static override options = layerOptions<SeparableConv2DArgs>({
    filters: true,
    kernelSize: true,
    strides: true,
    padding: true,
    depthMultiplier: true,
    dataFormat: true,
    dilationRate: true,
    activation: true,
    useBias: true,
    depthwiseInitializer: true,
    pointwiseInitializer: true,
    biasInitializer: true,
    ...SEPARABLE_REGS,
  });
  readonly filters: number;
  readonly depthMultiplier: number;
  depthwiseKernel!: Tensor;
  pointwiseKernel!: Tensor;
  constructor(args: SeparableConv2DArgs) {
    super(args);
    setupRegularizers(this, args, SEPARABLE_REGS);
    if (!Number.isInteger(args.filters) || args.filters < 1)
      throw new ValueError(`SeparableConv2D: filters must be a positive integer, got ${args.filters}`);
    this.filters = args.filters;
    this.depthMultiplier = args.depthMultiplier ?? 1;
    if (!Number.isInteger(this.depthMultiplier) || this.depthMultiplier < 1)
      throw new ValueError(
        `SeparableConv2D: depthMultiplier must be a positive integer, got ${args.depthMultiplier}`,
      );
  }
  override build(s: Shape): void {
    const c = this.channelsOf(s);
    const m = this.depthMultiplier;
    this.depthwiseKernel = this.addWeight(
      'depthwise_kernel',
      [...this.kernelSize, c, m],
      this.args.depthwiseInitializer ?? 'glorotUniform',
    );
    this.pointwiseKernel = this.addWeight(
      'pointwise_kernel',
      [1, 1, c * m, this.filters],
      (this.args as SeparableConv2DArgs).pointwiseInitializer ?? 'glorotUniform',
    );
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.filters], this.args.biasInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    this.checkChannels(x, this.depthwiseKernel.shape[2], this.depthwiseKernel);
    return this.nhwc(x, (xh) => {
      const y = separableConv2d(
        xh,
        this.depthwiseKernel,
        this.pointwiseKernel,
        this.strides,
        this.padding,
        this.dilationRate,
      );
      return this.bias ? add(y, this.bias) : y;
    });
  }
  override paramFormula(): string {
    const [kh, kw, c, m] = this.depthwiseKernel.shape;
    return `${kh}·${kw}·${c}·${m} + ${c * m}·${this.filters}${this.useBias ? `+${this.filters}` : ''} = ${n(this.countParams())}`;
  }
  override getConfig() {
    return { ...super.getConfig(), filters: this.filters, depth_multiplier: this.depthMultiplier };
  }
}

export interface Conv2DTransposeArgs
  extends LayerArgs, RegularizerArgs<'kernelRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  filters: number;
  kernelSize: IntOrPair;
  strides?: IntOrPair;
  padding?: 'valid' | 'same';
  /** Extra rows/columns at the bottom/right (must be smaller than the stride); null = Keras's inferred size. */
  outputPadding?: IntOrPair | null;
  dataFormat?: DataFormatArg;
  dilationRate?: IntOrPair;
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
}

/** Keras Conv2DTranspose ("deconvolution"): kernel [kh,kw,filters,in], output size from Keras's deconv rule. */
export class Conv2DTranspose extends Layer {
  static override className = 'Conv2DTranspose';
  static override options = layerOptions<Conv2DTransposeArgs>({
    filters: true,
    kernelSize: true,
    strides: true,
    padding: true,
    outputPadding: true,
    dataFormat: true,
    dilationRate: true,
    activation: true,
    useBias: true,
    kernelInitializer: true,
    biasInitializer: true,
    ...TRANSPOSE_REGS,
  });
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: 'valid' | 'same';
  static override required = ['filters', 'kernelSize'];
  readonly outputPadding: [number, number] | null;
  readonly channelsFirst: boolean;
  readonly useBias: boolean;
  kernel!: Tensor;
  bias: Tensor | null = null;
  constructor(readonly args: Conv2DTransposeArgs) {
    super(args);
    if (!Number.isInteger(args.filters) || args.filters < 1)
      throw new ValueError(`Conv2DTranspose: filters must be a positive integer, got ${args.filters}`);
    this.filters = args.filters;
    this.kernelSize = toPair(args.kernelSize, 1, 'kernelSize', 'Conv2DTranspose');
    this.strides = toPair(args.strides, 1, 'strides', 'Conv2DTranspose');
    this.dilationRate = toPair(args.dilationRate, 1, 'dilationRate', 'Conv2DTranspose');
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same')
      throw new ValueError(`Conv2DTranspose: padding must be 'valid' or 'same', got '${this.padding}'`);
    const op = args.outputPadding;
    this.outputPadding =
      op === undefined || op === null ? null : typeof op === 'number' ? [op, op] : [op[0], op[1]];
    if (
      this.outputPadding &&
      this.outputPadding.some((p, i) => !Number.isInteger(p) || p < 0 || p >= this.strides[i])
    )
      throw new ValueError(
        `Conv2DTranspose: outputPadding ${JSON.stringify(op)} must be non-negative and smaller than the strides ${JSON.stringify(this.strides)}`,
      );
    this.channelsFirst = dataFormatOf(this, args.dataFormat) === 'channelsFirst';
    this.useBias = args.useBias ?? true;
    setupRegularizers(this, args, TRANSPOSE_REGS);
  }
  override expectedRank(): number {
    return 4;
  }
  override build(s: Shape): void {
    const c = this.channelsFirst ? s[1] : s[3];
    this.kernel = this.addWeight(
      'kernel',
      [...this.kernelSize, this.filters, c],
      this.args.kernelInitializer ?? 'glorotUniform',
    );
    if (this.useBias)
      this.bias = this.addWeight('bias', [this.filters], this.args.biasInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    const c = this.channelsFirst ? x.shape[1] : x.shape[3];
    if (c !== this.kernel.shape[3])
      throw new ShapeError(
        `${this.name} (Conv2DTranspose): input ${fmtShape(x.shape)} has ${c} channels but the kernel ${fmtShape(this.kernel.shape)} expects ${this.kernel.shape[3]} (dataFormat ${this.channelsFirst ? 'channelsFirst' : 'channelsLast'})`,
      );
    const xh = this.channelsFirst ? transpose(x, [0, 2, 3, 1]) : x;
    const [k, s, d, op] = [this.kernelSize, this.strides, this.dilationRate, this.outputPadding];
    const [outH, padTop] = deconvLength(xh.shape[1], k[0], s[0], d[0], this.padding, op ? op[0] : null);
    const [outW, padLeft] = deconvLength(xh.shape[2], k[1], s[1], d[1], this.padding, op ? op[1] : null);
    let y = conv2dTranspose(xh, this.kernel, this.bias, {
      stride: s,
      dilation: d,
      padTop,
      padLeft,
      outH,
      outW,
    });
    y = getActivation(this.args.activation)(y);
    return this.channelsFirst ? transpose(y, [0, 3, 1, 2]) : y;
  }
  override paramFormula(): string {
    const [kh, kw, , c] = this.kernel.shape;
    return `(${kh}·${kw}·${c}${this.useBias ? '+1' : ''})·${n(this.filters)} = ${n(this.countParams())}`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernel_size: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      output_padding: this.outputPadding,
      data_format: this.channelsFirst ? 'channels_first' : 'channels_last',
      dilation_rate: this.dilationRate,
      activation: actName(this.args.activation),
      use_bias: this.useBias,
      ...regularizerConfig(this),
    };
  }
}

export const depthwiseTransposeFactories = {
  depthwiseConv2d: (a: DepthwiseConv2DArgs) => new DepthwiseConv2D(a),
  separableConv2d: (a: SeparableConv2DArgs) => new SeparableConv2D(a),
  conv2dTranspose: (a: Conv2DTransposeArgs) => new Conv2DTranspose(a),
};
