// Keras activation layers with options: LeakyReLU, PReLU (learned slopes), ELU, ReLU, ThresholdedReLU, Softmax.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { add, mul, neg, relu } from '../../../ops/elementwise/builders.js';
import {
  elu,
  leakyRelu,
  reluAdvanced,
  softmax,
  thresholdedRelu,
} from '../../../ops/composite/activations.js';
import type { InitializerSpec } from '../../initializers.js';
import { Layer, type LayerArgs, layerOptions, type OptionsOf } from '../../layer.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** PReLU's regularizer option (Keras alpha_regularizer). */
const PRELU_REGS = regularizerKeys('alphaRegularizer');

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0 (Keras 3 name; default 0.3). */
  negativeSlope?: number;
  /** Keras 2 / TF.js name of negativeSlope. */
  alpha?: number;
}

/** y = x for x > 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Layer {
  static override className = 'LeakyReLU';
  static override options = layerOptions<LeakyReLUArgs>({ negativeSlope: true, alpha: true });
  readonly negativeSlope: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args);
    if (args.alpha !== undefined && args.negativeSlope !== undefined && args.alpha !== args.negativeSlope)
      throw new ValueError(
        `LeakyReLU: alpha (${args.alpha}) and negativeSlope (${args.negativeSlope}) name the same option; give one`,
      );
    this.negativeSlope = args.negativeSlope ?? args.alpha ?? 0.3;
  }
  call(x: Tensor): Tensor {
    return leakyRelu(x, this.negativeSlope);
  }
  // NOTE: current Keras's key; Keras 3 also reads the Keras 2 key `alpha`, and our importer maps both.
  override getConfig() {
    return { ...super.getConfig(), negative_slope: this.negativeSlope };
  }
}

export interface PReLUArgs extends LayerArgs, RegularizerArgs<'alphaRegularizer'> {
  alphaInitializer?: InitializerSpec;
  /** 1-based non-batch axes along which the slope is shared (e.g. [1, 2] for one slope per channel of an image). */
  sharedAxes?: number[] | number | null;
}

/** y = max(0, x) - alpha·max(0, -x) with a learned alpha per position (weight 'alpha', shaped like one sample). */
export class PReLU extends Layer {
  static override className = 'PReLU';
  static override options = layerOptions<PReLUArgs>({
    alphaInitializer: true,
    sharedAxes: true,
    ...PRELU_REGS,
  });
  readonly sharedAxes: number[];
  alpha!: Tensor;
  constructor(readonly args: PReLUArgs = {}) {
    super(args);
    setupRegularizers(this, args, PRELU_REGS);
    const s = args.sharedAxes;
    this.sharedAxes = s === undefined || s === null ? [] : typeof s === 'number' ? [s] : [...s];
  }
  override build(s: Shape): void {
    if (s.length < 2)
      throw new ShapeError(`${this.name} (PReLU): expected input [batch, ...features], got ${fmtShape(s)}`);
    const bad = this.sharedAxes.find((a) => !Number.isInteger(a) || a < 1 || a >= s.length);
    if (bad !== undefined)
      throw new ValueError(
        `${this.name} (PReLU): sharedAxes [${this.sharedAxes}] must be 1-based non-batch axes of input ${fmtShape(s)}; ${bad} is not`,
      );
    const shape = s.slice(1).map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : d));
    this.alpha = this.addWeight('alpha', shape, this.args.alphaInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    const a = this.alpha.shape;
    if (x.rank !== a.length + 1 || x.shape.slice(1).some((d, i) => a[i] !== 1 && a[i] !== d))
      throw new ShapeError(
        `${this.name} (PReLU): input ${fmtShape(x.shape)} does not fit alpha ${fmtShape(a)} (built for [batch, ${a.join(', ')}] with sharedAxes [${this.sharedAxes}])`,
      );
    return add(relu(x), mul(neg(this.alpha), relu(neg(x))));
  }
  override paramFormula(): string {
    return `${this.alpha.shape.join('·')} = ${this.alpha.size.toLocaleString('en-US')}`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      shared_axes: this.sharedAxes.length ? this.sharedAxes : null,
      ...regularizerConfig(this),
    };
  }
}

/** y = x for x > 0, alpha·(eˣ - 1) otherwise (default alpha 1). */
export class ELU extends Layer {
  static override className = 'ELU';
  static override options = layerOptions<OptionsOf<typeof ELU>>({ alpha: true });
  readonly alpha: number;
  constructor(args: LayerArgs & { alpha?: number } = {}) {
    super(args);
    this.alpha = args.alpha ?? 1;
  }
  call(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override getConfig() {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface ReLUArgs extends LayerArgs {
  /** Upper clip (default none). */
  maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  negativeSlope?: number;
  threshold?: number;
}

/** Keras ReLU layer: min(x, maxValue) for x > threshold, negativeSlope·(x - threshold) otherwise. */
export class ReLU extends Layer {
  static override className = 'ReLU';
  static override options = layerOptions<ReLUArgs>({ maxValue: true, negativeSlope: true, threshold: true });
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  constructor(args: ReLUArgs = {}) {
    super(args);
    this.maxValue = args.maxValue ?? null;
    this.negativeSlope = args.negativeSlope ?? 0;
    this.threshold = args.threshold ?? 0;
    if (this.maxValue !== null && !(this.maxValue >= 0))
      throw new ValueError(`ReLU: maxValue must be non-negative, got ${args.maxValue}`);
    if (!(this.negativeSlope >= 0))
      throw new ValueError(`ReLU: negativeSlope must be non-negative, got ${args.negativeSlope}`);
  }
  call(x: Tensor): Tensor {
    return reluAdvanced(x, {
      maxValue: this.maxValue,
      negativeSlope: this.negativeSlope,
      threshold: this.threshold,
    });
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      max_value: this.maxValue,
      negative_slope: this.negativeSlope,
      threshold: this.threshold,
    };
  }
}

/** y = x for x > theta, else 0 (default theta 1). */
export class ThresholdedReLU extends Layer {
  static override className = 'ThresholdedReLU';
  static override options = layerOptions<OptionsOf<typeof ThresholdedReLU>>({ theta: true });
  readonly theta: number;
  constructor(args: LayerArgs & { theta?: number } = {}) {
    super(args);
    this.theta = args.theta ?? 1;
    if (!(this.theta >= 0))
      throw new ValueError(`ThresholdedReLU: theta must be non-negative, got ${args.theta}`);
  }
  call(x: Tensor): Tensor {
    return thresholdedRelu(x, this.theta);
  }
  override getConfig() {
    return { ...super.getConfig(), theta: this.theta };
  }
}

/** Softmax along `axis` (default -1). */
export class Softmax extends Layer {
  static override className = 'Softmax';
  static override options = layerOptions<OptionsOf<typeof Softmax>>({ axis: true });
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number } = {}) {
    super(args);
    this.axis = args.axis ?? -1;
  }
  call(x: Tensor): Tensor {
    const a = this.axis < 0 ? this.axis + x.rank : this.axis;
    if (a < 1 || a >= x.rank)
      throw new ValueError(
        `${this.name} (Softmax): axis ${this.axis} is not a feature axis of input ${fmtShape(x.shape)}`,
      );
    return softmax(x, a);
  }
  override getConfig() {
    return { ...super.getConfig(), axis: this.axis };
  }
}

export const advancedActivationFactories = {
  leakyReLU: (a: LeakyReLUArgs = {}) => new LeakyReLU(a),
  prelu: (a: PReLUArgs = {}) => new PReLU(a),
  elu: (a: LayerArgs & { alpha?: number } = {}) => new ELU(a),
  reLU: (a: ReLUArgs = {}) => new ReLU(a),
  thresholdedReLU: (a: LayerArgs & { theta?: number } = {}) => new ThresholdedReLU(a),
  softmax: (a: LayerArgs & { axis?: number } = {}) => new Softmax(a),
};
