// Core Keras layers: Dense, Flatten, Activation, Dropout, Reshape, Permute, RepeatVector.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { sizeOf } from '../../../core/shape.js';
import type { Tensor } from '../../../core/tensor.js';
import { add } from '../../../ops/elementwise/builders.js';
import { matmul } from '../../../ops/network/builders.js';
import { dropout } from '../../../ops/random-ops.js';
import { broadcastTo, expandDims, reshape, transpose } from '../../../ops/movement/builders.js';
import { type ActivationSpec, getActivation } from '../../activations.js';
import type { InitializerSpec } from '../../initializers.js';
import { type CallKwargs, Layer, type LayerArgs, layerOptions, type OptionsOf } from '../../layer.js';
import { type DataFormatArg, withDataFormat } from './data-format.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

const n = (v: number): string => v.toLocaleString('en-US');
const BATCH_HINT = ' — is the batch axis missing? (inputs are [batch, ...])';
const actName = (a: ActivationSpec): string => (typeof a === 'string' ? a : a ? 'custom' : 'linear');

/** Dense's regularizer options (Keras `kernel_regularizer`, `bias_regularizer`, `activity_regularizer`). */
const DENSE_REGS = regularizerKeys('kernelRegularizer', 'biasRegularizer', 'activityRegularizer');

export interface DenseArgs
  extends LayerArgs, RegularizerArgs<'kernelRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  units: number;
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  inputDim?: number;
}

/** y = activation(x·kernel + bias) on the last axis; kernel [in, units]. */
export class Dense extends Layer {
  static override className = 'Dense';
  static override options = layerOptions<DenseArgs>({
    units: true,
    activation: true,
    useBias: true,
    kernelInitializer: true,
    biasInitializer: true,
    inputDim: true,
    ...DENSE_REGS,
  });
  readonly units: number;
  readonly useBias: boolean;
  readonly activation: ActivationSpec;
  kernel!: Tensor;
  bias: Tensor | null = null;
  static override required = ['units'];
  constructor(private args: DenseArgs) {
    super(args?.inputDim && !args.inputShape ? { ...args, inputShape: [args.inputDim] } : args);
    if (!Number.isInteger(args.units) || args.units < 1)
      throw new ValueError(`Dense: units must be a positive integer, got ${args.units}`);
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.activation = args.activation;
    setupRegularizers(this, args, DENSE_REGS);
  }
  override build(s: Shape): void {
    const inDim = s[s.length - 1];
    if (s.length < 2)
      throw new ShapeError(
        `${this.name} (Dense): expected input [batch, features], got ${fmtShape(s)}${BATCH_HINT}`,
      );
    this.kernel = this.addWeight(
      'kernel',
      [inDim, this.units],
      this.args.kernelInitializer ?? 'glorotUniform',
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.args.biasInitializer ?? 'zeros');
  }
  call(x: Tensor): Tensor {
    const inDim = this.kernel.shape[0];
    if (x.rank < 2 || x.shape[x.rank - 1] !== inDim)
      throw new ShapeError(
        `${this.name} (Dense): expected input with last axis ${inDim} (shape [batch, ${inDim}]), got ${fmtShape(x.shape)}` +
          (x.rank < 2
            ? BATCH_HINT
            : x.rank > 2 && sizeOf(x.shape.slice(1)) === inDim
              ? ' — add a Flatten layer before it'
              : x.rank > 2
                ? ' — flatten the input, or check the flatten size'
                : // NOTE: the usual cause is a Flatten whose size changed with the input size of the conv layers before it.
                  ` — the layer was built for ${inDim} input features; if a Flatten comes before it, the flattened size is now ${x.shape[1]} (did the input size change?)`),
      );
    const flat = x.rank === 2 ? x : reshape(x, [-1, inDim]);
    let y = matmul(flat, this.kernel);
    if (this.bias) y = add(y, this.bias);
    if (x.rank !== 2) y = reshape(y, [...x.shape.slice(0, -1), this.units]);
    return getActivation(this.activation)(y);
  }
  override paramFormula(): string {
    const inDim = this.kernel.shape[0];
    return this.useBias
      ? `(${n(inDim)}+1)·${n(this.units)} = ${n((inDim + 1) * this.units)}`
      : `${n(inDim)}·${n(this.units)} = ${n(inDim * this.units)}`;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: actName(this.activation),
      use_bias: this.useBias,
      ...regularizerConfig(this),
    };
  }
}

/** Flatten all axes after the batch (channels-last order; see dataFormat for channels-first). */
export class Flatten extends Layer {
  static override className = 'Flatten';
  static override options = layerOptions<OptionsOf<typeof Flatten>>({ dataFormat: true });
  constructor(private args: LayerArgs & { dataFormat?: DataFormatArg } = {}) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  call(x: Tensor): Tensor {
    if (x.rank < 2)
      throw new ShapeError(
        `${this.name} (Flatten): expected input with a batch axis and at least one more, got ${fmtShape(x.shape)}`,
      );
    // NOTE: Keras's channels_first Flatten first moves channels last, so the order matches channels_last models.
    const t =
      this.args.dataFormat === 'channelsFirst' && x.rank > 2
        ? transpose(x, [0, ...Array.from({ length: x.rank - 2 }, (_, i) => i + 2), 1])
        : x;
    return reshape(t, [t.shape[0], -1]);
  }
}

export class Activation extends Layer {
  static override className = 'Activation';
  static override options = layerOptions<OptionsOf<typeof Activation>>({ activation: true });
  static override required = ['activation'];
  constructor(readonly args: LayerArgs & { activation: ActivationSpec }) {
    super(args);
  }
  call(x: Tensor): Tensor {
    return getActivation(this.args.activation)(x);
  }
  override getConfig() {
    return { ...super.getConfig(), activation: actName(this.args.activation) };
  }
}

/** Inverted dropout; active only in training mode. */
export class Dropout extends Layer {
  static override className = 'Dropout';
  static override options = layerOptions<OptionsOf<typeof Dropout>>({ rate: true, noiseShape: true });
  static override required = ['rate'];
  constructor(readonly args: LayerArgs & { rate: number; noiseShape?: (number | null)[] }) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1))
      throw new ValueError(`Dropout: rate must be in [0, 1), got ${args.rate}`);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    const ns = this.args.noiseShape?.map((d, i) => d ?? x.shape[i]);
    return dropout(x, this.args.rate, { training: kw.training ?? false, noiseShape: ns });
  }
  override getConfig() {
    return { ...super.getConfig(), rate: this.args.rate };
  }
}

/** Dropout of whole feature maps (channels last): the mask is shared over the spatial axes. */
export class SpatialDropout extends Layer {
  static override className = 'SpatialDropout2D';
  static override options = layerOptions<OptionsOf<typeof SpatialDropout>>({ rate: true, dataFormat: true });
  static override required = ['rate'];
  constructor(readonly args: LayerArgs & { rate: number; dataFormat?: DataFormatArg }) {
    super(args);
    this.args = withDataFormat(this, args);
  }
  call(x: Tensor, kw: CallKwargs = {}): Tensor {
    const first = this.args.dataFormat === 'channelsFirst';
    const ns = x.shape.map((d, i) => (i === 0 || (first ? i === 1 : i === x.rank - 1) ? d : 1));
    return dropout(x, this.args.rate, { training: kw.training ?? false, noiseShape: ns });
  }
  /** SpatialDropout2D takes [batch, rows, cols, channels] (or channels first), as Keras's InputSpec(ndim=4). */
  override expectedRank(): number {
    return 4;
  }
}

/** Keras SpatialDropout3D: [batch, d1, d2, d3, channels] (or channels first), one mask entry per sample and channel. */
export class SpatialDropout3D extends SpatialDropout {
  static override className = 'SpatialDropout3D';
  override expectedRank(): number {
    return 5;
  }
}

/** Keras SpatialDropout1D: [batch, steps, channels], one mask entry per sample and channel (no dataFormat). */
export class SpatialDropout1D extends SpatialDropout {
  static override className = 'SpatialDropout1D';
  static override options = layerOptions<OptionsOf<typeof SpatialDropout1D>>({ rate: true });
  constructor(args: LayerArgs & { rate: number }) {
    super(args);
  }
  override expectedRank(): number {
    return 3;
  }
}

export class Reshape extends Layer {
  static override className = 'Reshape';
  static override options = layerOptions<OptionsOf<typeof Reshape>>({ targetShape: true });
  static override required = ['targetShape'];
  constructor(readonly args: LayerArgs & { targetShape: number[] }) {
    super(args);
  }
  call(x: Tensor): Tensor {
    const t = this.args.targetShape;
    const known = sizeOf(t.filter((d) => d !== -1));
    const per = sizeOf(x.shape.slice(1));
    if ((t.includes(-1) && per % known !== 0) || (!t.includes(-1) && known !== per))
      throw new ShapeError(
        `${this.name} (Reshape): cannot reshape ${fmtShape(x.shape)} (${per} values per sample) to ${fmtShape(t)}`,
      );
    return reshape(x, [x.shape[0], ...t]);
  }
  override getConfig() {
    return { ...super.getConfig(), target_shape: this.args.targetShape };
  }
}

/** Permute non-batch axes; `dims` are 1-based as in Keras. */
export class Permute extends Layer {
  static override className = 'Permute';
  static override options = layerOptions<OptionsOf<typeof Permute>>({ dims: true });
  static override required = ['dims'];
  constructor(readonly args: LayerArgs & { dims: number[] }) {
    super(args);
    const d = args.dims;
    if (![...d].sort((a, b) => a - b).every((v, i) => v === i + 1))
      throw new ValueError(
        `Permute: dims [${d}] must be a permutation of 1..${d.length}` +
          (d.includes(0) ? ' — dims are 1-based as in Keras (axis 0 is the batch axis and stays first)' : ''),
      );
  }
  call(x: Tensor): Tensor {
    if (this.args.dims.length !== x.rank - 1)
      throw new ShapeError(
        `${this.name} (Permute): dims [${this.args.dims}] do not fit input ${fmtShape(x.shape)}`,
      );
    return transpose(x, [0, ...this.args.dims]);
  }
}

/** [batch, features] → [batch, n, features]. */
export class RepeatVector extends Layer {
  static override className = 'RepeatVector';
  static override options = layerOptions<OptionsOf<typeof RepeatVector>>({ n: true });
  static override required = ['n'];
  constructor(readonly args: LayerArgs & { n: number }) {
    super(args);
  }
  override expectedRank() {
    return 2;
  }
  override expectedLayout() {
    return '[batch, features]';
  }
  call(x: Tensor): Tensor {
    return broadcastTo(expandDims(x, 1), [x.shape[0], this.args.n, x.shape[1]]);
  }
  override getConfig() {
    return { ...super.getConfig(), n: this.args.n };
  }
}

/** TF.js-style factories: `tg.layers.dense({units: 10})`. */
export const coreFactories = {
  dense: (a: DenseArgs) => new Dense(a),
  flatten: (a: LayerArgs & { dataFormat?: DataFormatArg } = {}) => new Flatten(a),
  activation: (a: LayerArgs & { activation: ActivationSpec }) => new Activation(a),
  dropout: (a: LayerArgs & { rate: number; noiseShape?: (number | null)[] }) => new Dropout(a),
  spatialDropout1d: (a: LayerArgs & { rate: number }) => new SpatialDropout1D(a),
  spatialDropout2d: (a: LayerArgs & { rate: number; dataFormat?: DataFormatArg }) => new SpatialDropout(a),
  spatialDropout3d: (a: LayerArgs & { rate: number; dataFormat?: DataFormatArg }) => new SpatialDropout3D(a),
  reshape: (a: LayerArgs & { targetShape: number[] }) => new Reshape(a),
  permute: (a: LayerArgs & { dims: number[] }) => new Permute(a),
  repeatVector: (a: LayerArgs & { n: number }) => new RepeatVector(a),
};
