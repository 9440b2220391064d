// PyTorch-style classes (`tg.nn.Linear`, `tg.nn.Conv2d`, ...), so a PyTorch tutorial model can be written
// one-to-one: NCHW layouts, PyTorch weight shapes and initialisation, modules that start in train mode.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { rand } from '../../core/random.js';
import type { Shape } from '../../core/shape.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { add, relu, sigmoid, tanh } from '../../ops/elementwise/builders.js';
import { conv1d, conv2d } from '../../ops/composite/conv.js';
import { avgPool2d, maxPool2d, maxPool2dWithIndices } from '../../ops/composite/pool.js';
import { logSoftmax, softmax } from '../../ops/composite/activations.js';
import { matmul } from '../../ops/network/builders.js';
import { dropout } from '../../ops/random-ops.js';
import { reshape } from '../../ops/movement/builders.js';
import { type CallKwargs, Layer, type LayerIO, type Weight, shapesOf } from '../layer.js';
import { type SummaryOptions, type SummaryRow, formatSummary } from '../keras/summary.js';
import { noGrad } from '../../core/tape.js';
import type { Initializer } from '../initializers.js';
import { moduleOptions } from './options.js';
import type { DType } from '../../core/dtype.js';
import type { PaddingMode } from '../../ops/composite/pad-modes.js';

/** A trainable tensor (PyTorch `nn.Parameter`). */
export const Parameter = (t: Tensor): Tensor => t.requireGrad(true);

/**
 * Base class for define-by-run models: override `forward`. Sub-modules and Parameters assigned to
 * properties are found automatically; `m.forward(x)` and `m.apply(x)` both run hooks.
 */
export abstract class Module extends Layer {
  static override className = 'Module';
  constructor(name?: string) {
    super({ name });
    this.training = true;
    const fwd = this.forward;
    this.callImpl = (x: LayerIO) => (Array.isArray(x) ? fwd.apply(this, x) : fwd.call(this, x));
    this.forward = (...args: any[]) => this.apply(args.length === 1 ? args[0] : args) as any;
    this.built = true;
  }
  abstract forward(...args: any[]): any;
  private modeSynced = false;
  /** NOTE: children are assigned after this constructor runs, so the first call hands our mode down to them. */
  override apply(inputs: any, kwargs: CallKwargs = {}): any {
    if (!this.modeSynced) {
      this.modeSynced = true;
      this.train(this.training);
    }
    return super.apply(inputs, kwargs);
  }
  call(x: LayerIO): LayerIO {
    return this.callImpl(x, {});
  }
  /** Own-property tensors that require grad count as parameters, named by property. */
  override namedWeights(prefix = ''): [string, Weight][] {
    const own: [string, Weight][] = Object.entries(this)
      .filter(([, v]) => v instanceof Tensor && v.requiresGrad && !this.ownWeights.some((w) => w.value === v))
      .map(([k, v]) => [`${prefix}${k}`, { name: k, value: v as Tensor, trainable: true }]);
    return [...own, ...super.namedWeights(prefix)];
  }
  /**
   * Keras-format summary of a define-by-run model, traced by running zeros of `[1, ...inputShape]`
   * through it and recording every leaf module's output shape in call order.
   */
  summary(opts: SummaryOptions & { inputShape: (number | null)[] }): string {
    if (!opts || !Array.isArray(opts.inputShape))
      throw new ValueError(
        `${this.name}.summary: a define-by-run module is traced from a sample input; pass summary({ inputShape: [...] }) without the batch axis`,
      );
    const rows: SummaryRow[] = [];
    const leaves: Layer[] = [];
    const walk = (l: Layer) =>
      l.children().length ? l.children().forEach(([, c]) => walk(c)) : leaves.push(l);
    walk(this);
    const seen = new Set<Layer>();
    const offs = leaves.map((l) =>
      l.registerForwardHook((layer, _x, y) => {
        rows.push({
          layer,
          outputShapes: shapesOf(y).map((s) => [null, ...s.slice(1)]),
          params: seen.has(layer) ? 0 : layer.countParams(),
        });
        seen.add(layer);
      }),
    );
    try {
      noGrad(() =>
        this.apply(zeros(opts.inputShape.length ? [1, ...opts.inputShape.map((d) => d ?? 1)] : [1])),
      );
    } finally {
      offs.forEach((f) => f());
    }
    const tr = this.trainableWeights.reduce((a, w) => a + w.value.size, 0);
    const all = this.weights.reduce((a, w) => a + w.value.size, 0);
    const text = formatSummary(this.name, rows, { trainable: tr, nonTrainable: all - tr }, opts);
    const p = opts.print ?? true;
    if (p) text.split('\n').forEach((line) => (typeof p === 'function' ? p(line) : console.log(line)));
    return text;
  }
  /** PyTorch `zero_grad`. */
  zeroGrad(): void {
    for (const w of this.weights) w.value.grad = null;
  }
}

/**
 * PyTorch layers take channels first, [N, C, ...spatial]: check rank and channel count, naming the usual mistakes
 * (a missing batch axis, channels-last data).
 */
function checkChannelsFirst(x: Tensor, spatial: 1 | 2, channels: number): void {
  const layout = spatial === 1 ? '[N, C, L]' : '[N, C, H, W]';
  if (x.rank === spatial + 1)
    throw new ShapeError(
      `expected input ${layout} with C = ${channels}, got ${fmtShape(x.shape)} — is the batch axis missing? (add one with tg.expandDims(x, 0))`,
    );
  if (x.rank !== spatial + 2)
    throw new ShapeError(
      `expected input ${layout} (rank ${spatial + 2}) with C = ${channels}, got ${fmtShape(x.shape)}`,
    );
  if (x.shape[1] === channels) return;
  const perm = spatial === 1 ? [0, 2, 1] : [0, 3, 1, 2];
  const hint =
    x.shape[x.rank - 1] === channels
      ? ` — the input looks channels-last; PyTorch layers are channels-first: tg.transpose(x, [${perm}]) gives ${fmtShape(perm.map((a) => x.shape[a]))}`
      : '';
  throw new ShapeError(
    `expected input ${layout} with C = ${channels} channels, got ${fmtShape(x.shape)} (C = ${x.shape[1]})${hint}`,
  );
}

/** PyTorch's default init for Linear/Conv: U(-1/√fanIn, 1/√fanIn) for weight and bias. */
const torchUniform =
  (fanIn: number): Initializer =>
  (shape: Shape, dtype) =>
    rand(shape, { low: -1 / Math.sqrt(fanIn), high: 1 / Math.sqrt(fanIn), dtype });

/** y = x·Wᵀ + b with W [out, in]. */
export class Linear extends Module {
  static override className = 'Linear';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; name?: string; dtype?: DType } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Linear', opts, ['bias', 'name', 'dtype']);
    this.weight = this.addWeight('weight', [outFeatures, inFeatures], torchUniform(inFeatures));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outFeatures], torchUniform(inFeatures));
  }
  forward(x: Tensor): Tensor {
    if (x.rank === 0)
      throw new ShapeError(
        `${this.name} (Linear): expected input [..., ${this.inFeatures}], got a scalar — a scalar has no feature axis`,
      );
    if (x.shape[x.rank - 1] !== this.inFeatures)
      throw new ShapeError(
        `${this.name} (Linear): in_features is ${this.inFeatures} but the input has last axis ${x.shape[x.rank - 1]} (shape [${x.shape}]) — flatten it, or set in_features to the flattened size`,
      );
    const y = matmul(x, this.weight, { transB: true });
    return this.bias ? add(y, this.bias) : y;
  }
  override paramFormula(): string {
    return `(${this.inFeatures}${this.bias ? '+1' : ''})·${this.outFeatures} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

type P2 = number | [number, number];
export interface TorchConvOptions {
  stride?: P2;
  padding?: P2 | 'same' | 'valid';
  dilation?: P2;
  groups?: number;
  bias?: boolean;
  /** PyTorch padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
  name?: string;
  /** Weight dtype, 'float32' (default) or 'float64'. */
  dtype?: DType;
}
const CONV_KEYS = [
  'stride',
  'padding',
  'dilation',
  'groups',
  'bias',
  'paddingMode',
  'name',
  'dtype',
] as const;

/** NCHW convolution with weight [out, in/groups, kh, kw]. */
export class Conv2d extends Module {
  static override className = 'Conv2d';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: P2,
    readonly opts: TorchConvOptions = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Conv2d', opts, CONV_KEYS);
    const [kh, kw] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
    const g = opts.groups ?? 1;
    const fanIn = (inChannels / g) * kh * kw;
    this.weight = this.addWeight('weight', [outChannels, inChannels / g, kh, kw], torchUniform(fanIn));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outChannels], torchUniform(fanIn));
  }
  forward(x: Tensor): Tensor {
    checkChannelsFirst(x, 2, this.inChannels);
    const o = this.opts;
    return conv2d(x, this.weight, this.bias, {
      stride: o.stride,
      padding: o.padding ?? 0,
      dilation: o.dilation,
      groups: o.groups,
      dataFormat: 'NCHW',
      ...(o.paddingMode !== undefined && { paddingMode: o.paddingMode }),
    });
  }
  override paramFormula(): string {
    const [o, ...per] = this.weight.shape;
    return `(${per.join('·')}${this.bias ? '+1' : ''})·${o} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

/** NCW convolution with weight [out, in/groups, k]. */
export class Conv1d extends Module {
  static override className = 'Conv1d';
  weight: Tensor;
  bias: Tensor | null;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number,
    readonly opts: Omit<TorchConvOptions, 'stride' | 'padding' | 'dilation'> & {
      stride?: number;
      padding?: number | 'same' | 'valid';
      dilation?: number;
    } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Conv1d', opts, CONV_KEYS);
    const g = opts.groups ?? 1;
    const fanIn = (inChannels / g) * kernelSize;
    this.weight = this.addWeight('weight', [outChannels, inChannels / g, kernelSize], torchUniform(fanIn));
    this.bias = opts.bias === false ? null : this.addWeight('bias', [outChannels], torchUniform(fanIn));
  }
  forward(x: Tensor): Tensor {
    checkChannelsFirst(x, 1, this.inChannels);
    const o = this.opts;
    return conv1d(x, this.weight, this.bias, {
      stride: o.stride,
      padding: o.padding ?? 0,
      dilation: o.dilation,
      groups: o.groups,
      dataFormat: 'NCW',
      ...(o.paddingMode !== undefined && { paddingMode: o.paddingMode }),
    });
  }
  override paramFormula(): string {
    const [o, ...per] = this.weight.shape;
    return `(${per.join('·')}${this.bias ? '+1' : ''})·${o} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

/**
 * PyTorch `nn.MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)` on NCHW; stride
 * defaults to kernelSize. With returnIndices, forward returns [values, indices] (int32 positions y·W + x in
 * each input plane, as PyTorch's MaxUnpool2d expects).
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  static override className = 'MaxPool2d';
  constructor(
    readonly kernelSize: P2,
    readonly stride?: P2 | null,
    readonly padding: P2 = 0,
    readonly dilation: P2 = 1,
    readonly returnIndices: R = false as R,
    readonly ceilMode = false,
  ) {
    super();
  }
  forward(x: Tensor): R extends true ? [Tensor, Tensor] : Tensor;
  forward(x: Tensor): Tensor | [Tensor, Tensor] {
    const opts = {
      kernelSize: this.kernelSize,
      stride: this.stride ?? undefined,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
      dataFormat: 'NCHW',
    };
    if (!this.returnIndices) return maxPool2d(x, opts);
    const { values, indices } = maxPool2dWithIndices(x, opts);
    return [values, indices];
  }
}
/**
 * PyTorch `nn.AvgPool2d(kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)` on NCHW.
 * NOTE: PyTorch counts padded zeros by default (countIncludePad true).
 */
export class AvgPool2d extends Module {
  static override className = 'AvgPool2d';
  constructor(
    readonly kernelSize: P2,
    readonly stride?: P2 | null,
    readonly padding: P2 = 0,
    readonly ceilMode = false,
    readonly countIncludePad = true,
    readonly divisorOverride: number | null = null,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return avgPool2d(x, {
      kernelSize: this.kernelSize,
      stride: this.stride ?? undefined,
      padding: this.padding,
      dataFormat: 'NCHW',
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      ...(this.divisorOverride === null ? {} : { divisorOverride: this.divisorOverride }),
    });
  }
}

/** Elementwise activations as modules. */
export class ReLU extends Module {
  static override className = 'ReLU';
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}
export class Sigmoid extends Module {
  static override className = 'Sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}
export class Tanh extends Module {
  static override className = 'Tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}
export class Identity extends Module {
  static override className = 'Identity';
  forward(x: Tensor): Tensor {
    return x;
  }
}

export class Softmax extends Module {
  static override className = 'Softmax';
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
}
export class LogSoftmax extends Module {
  static override className = 'LogSoftmax';
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return logSoftmax(x, this.dim);
  }
}
/** Flatten from startDim (default 1) to the end. */
export class Flatten extends Module {
  static override className = 'Flatten';
  constructor(readonly startDim = 1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return reshape(x, [...x.shape.slice(0, this.startDim), -1]);
  }
}
export class Dropout extends Module {
  static override className = 'Dropout';
  constructor(readonly p = 0.5) {
    super();
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, { training: this.training });
  }
}

/** PyTorch `nn.Sequential(a, b, c)`: modules applied in order; parameters named `0.weight`, ... */
export class Sequential extends Module {
  static override className = 'Sequential';
  readonly modules: Layer[];
  constructor(...modules: Layer[]) {
    super();
    this.modules = modules;
  }
  protected override childPrefix(key: string): string {
    return key.replace(/^modules\./, '');
  }
  forward(x: Tensor, kw?: CallKwargs): Tensor {
    return this.modules.reduce<Tensor>((y, m) => m.apply(y, kw) as Tensor, x);
  }
}
