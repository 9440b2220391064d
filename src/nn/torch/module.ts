// PyTorch-style classes (`tg.nn.Linear`, `tg.nn.Conv2d`, ...), so a PyTorch tutorial model can be written
// one-to-one: NCHW layouts, PyTorch weight shapes and initialisation, modules that start in train mode.
import { ShapeError, ValueError } from '../../core/errors.js';
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
import { checkChannelsFirst, checkConvArgs, checkPool2dArgs, checkSize, flattenShape } from './args.js';
import type { DType } from '../../core/dtype.js';
import type { PaddingMode } from '../../ops/composite/pad-modes.js';

/** Tensors made Parameters: still parameters (listed, saved) after `p.requiresGrad = false` freezes them. */
const parameters = new WeakSet<Tensor>();
/** A trainable tensor (PyTorch `nn.Parameter`). */
export const Parameter = (t: Tensor): Tensor => {
  parameters.add(t);
  return t.requireGrad(true);
};
/** Non-Module layers (Keras wing) whose mode a Module's train()/eval() has set. */
const told = new WeakSet<Layer>();
const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

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
    // NOTE: a list reaching the call is the positional arguments: forward(x, hx), or apply([a, b]) from a Keras
    // model or the ONNX exporter. forward(list) wraps its one list, so forward receives the list itself.
    this.callImpl = (x: LayerIO) => (Array.isArray(x) ? fwd.apply(this, x) : fwd.call(this, x));
    this.forward = (...args: any[]) =>
      this.apply(args.length === 1 && !Array.isArray(args[0]) ? args[0] : args) as any;
    this.built = true;
  }
  abstract forward(...args: any[]): any;
  private synced = false;
  /**
   * PyTorch `module.apply(fn)` when given a function: fn on every sub-module (children first), then on this
   * module; returns this. Otherwise the layer call (hooks, scope), as `forward`.
   */
  override apply(fn: (module: Layer) => unknown): this;
  override apply(inputs: any, kwargs?: CallKwargs): any;
  override apply(inputs: any, kwargs: CallKwargs = {}): any {
    if (typeof inputs === 'function') {
      const visit = (l: Layer): void => {
        for (const [, c] of l.children()) visit(c);
        inputs(l);
      };
      visit(this);
      return this;
    }
    if (!this.synced) this.syncMode();
    return super.apply(inputs, kwargs);
  }
  /**
   * NOTE: children are assigned after this constructor runs, and Keras-wing layers start in inference mode, so the
   * first call hands our mode to the non-Module children no train()/eval() of ours has reached. Module children
   * keep theirs: they start in train mode as we do, so another mode was set on purpose (`net.bn.eval()`, or
   * `net.eval(); net.drop.train()` for MC dropout), and PyTorch keeps it.
   */
  private syncMode(): void {
    this.synced = true;
    for (const [, c] of this.children())
      if (c instanceof Module) {
        if (!c.synced) c.syncMode();
      } else if (!told.has(c)) c.train(this.training);
  }
  override train(on = true): this {
    super.train(on);
    for (const [, c] of this.children()) if (!(c instanceof Module)) told.add(c);
    return this;
  }
  call(x: LayerIO): LayerIO {
    return this.callImpl(x, {});
  }
  /** Sub-layers by property, each once (a module held in two properties goes by the first, as in PyTorch). */
  override children(): [string, Layer][] {
    const seen = new Set<Layer>();
    return super.children().filter(([, c]) => !seen.has(c) && !!seen.add(c));
  }
  /**
   * Weights by path: Parameter properties, then the module's own weights, then the children's. An own weight follows
   * its property (`weight`, or `runningMean` for running_mean): a tensor assigned there replaces it, null removes
   * it. A Parameter stays a weight when frozen (requiresGrad false). A tensor shared by two paths (tied weights, a
   * module in two properties) is listed once, under its first path, as PyTorch's named_parameters.
   */
  override namedWeights(prefix = ''): [string, Weight][] {
    const self = this as unknown as Record<string, unknown>;
    const has = (k: string) => Object.prototype.hasOwnProperty.call(this, k);
    const own: Weight[] = [];
    for (const w of this.ownWeights) {
      const key = [w.name, camel(w.name)].find(has);
      const v = key === undefined ? w.value : self[key];
      if (v instanceof Tensor) w.value = v;
      if (v !== null) own.push(w);
    }
    const bound = new Set(own.map((w) => w.value));
    const props = Object.entries(this)
      .filter(
        (e): e is [string, Tensor] =>
          e[1] instanceof Tensor && (e[1].requiresGrad || parameters.has(e[1])) && !bound.has(e[1]),
      )
      .map(([k, v]): [string, Weight] => [`${prefix}${k}`, { name: k, value: v, trainable: true }]);
    const all = [
      ...props,
      ...own.map((w): [string, Weight] => [`${prefix}${w.name}`, w]),
      ...this.children().flatMap(([k, c]) => c.namedWeights(`${prefix}${this.childPrefix(k, c)}.`)),
    ];
    const seen = new Set<Tensor>();
    return all.filter(([, w]) => !seen.has(w.value) && !!seen.add(w.value));
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
    const all = this.countParams();
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
    checkSize('Linear', 'in_features', inFeatures);
    checkSize('Linear', 'out_features', outFeatures);
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
    const {
      kernel: [kh, kw],
      groups: g,
    } = checkConvArgs('Conv2d', 2, inChannels, outChannels, kernelSize, opts);
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

export type Conv1dOptions = Omit<TorchConvOptions, 'stride' | 'padding' | 'dilation'> & {
  stride?: number;
  padding?: number | 'same' | 'valid';
  dilation?: number;
};

/** NCW convolution with weight [out, in/groups, k]. */
export class Conv1d extends Module {
  static override className = 'Conv1d';
  weight: Tensor;
  bias: Tensor | null;
  readonly opts: Conv1dOptions;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number],
    opts: Omit<Conv1dOptions, 'stride' | 'padding' | 'dilation'> & {
      stride?: number | [number];
      padding?: number | [number] | 'same' | 'valid';
      dilation?: number | [number];
    } = {},
  ) {
    super(opts?.name);
    this.dtype = moduleOptions('Conv1d', opts, CONV_KEYS);
    // NOTE: PyTorch's 1-tuples ((3,)) are read as their number, so `opts` holds plain numbers.
    const c = checkConvArgs('Conv1d', 1, inChannels, outChannels, kernelSize, opts);
    this.opts = {
      ...opts,
      stride: c.stride[0],
      dilation: c.dilation[0],
      padding: typeof c.padding === 'string' ? c.padding : c.padding[0],
    };
    const g = c.groups;
    const k = c.kernel[0];
    const fanIn = (inChannels / g) * k;
    this.weight = this.addWeight('weight', [outChannels, inChannels / g, k], torchUniform(fanIn));
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
    checkPool2dArgs('MaxPool2d', kernelSize, stride, padding, dilation);
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
    checkPool2dArgs('AvgPool2d', kernelSize, stride, padding);
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
/** PyTorch `nn.Flatten(start_dim = 1, end_dim = -1)`: merge the dims from startDim to endDim (negative: from the end). */
export class Flatten extends Module {
  static override className = 'Flatten';
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
    for (const [k, v] of [
      ['start_dim', startDim],
      ['end_dim', endDim],
    ] as const)
      if (!Number.isInteger(v))
        throw new ValueError(`Flatten: ${k} must be an integer, got ${JSON.stringify(v)}`);
  }
  forward(x: Tensor): Tensor {
    return reshape(x, flattenShape(`${this.name} (Flatten)`, x.shape, this.startDim, this.endDim));
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
    modules.forEach((m: unknown, i) => {
      if (m instanceof Layer) return;
      const got = Array.isArray(m)
        ? 'an array (pass the modules as separate arguments: new tg.nn.Sequential(...modules))'
        : typeof m === 'function'
          ? 'a function (wrap it in a Module whose forward calls it)'
          : m === null || typeof m !== 'object'
            ? (JSON.stringify(m) ?? String(m))
            : `a ${(m as object).constructor?.name ?? 'plain object'}`;
      throw new ValueError(`Sequential: argument ${i} must be a Module, got ${got}`);
    });
    this.modules = modules;
  }
  protected override childPrefix(key: string): string {
    return key.replace(/^modules\./, '');
  }
  forward(x: Tensor, kw?: CallKwargs): Tensor {
    return this.modules.reduce<Tensor>((y, m) => m.apply(y, kw) as Tensor, x);
  }
}
