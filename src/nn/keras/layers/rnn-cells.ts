// Keras SimpleRNN, LSTM and GRU: the per-step cell math on top of RNNBase's loop over time (current
// Keras defaults: sigmoid gates, LSTM unitForgetBias, GRU resetAfter with a [2, 3·units] bias).
import type { Shape } from '../../../core/shape.js';
import { type Tensor, full, zeros } from '../../../core/tensor.js';
import { add, mul } from '../../../ops/elementwise/builders.js';
import { gruUpdate, lstmStep, splitGates } from '../../../ops/composite/rnn.js';
import { matmul } from '../../../ops/network/builders.js';
import { broadcastTo, reshape, split } from '../../../ops/movement/builders.js';
import { type ActivationSpec, getActivation } from '../../activations.js';
import { type Initializer, getInitializer } from '../../initializers.js';
import { layerOptions } from '../../layer.js';
import { RNN_OPTIONS, RNNBase, type RNNArgs, type StepFn, activationName } from './rnn-base.js';

/** h·U, with the state masked first when recurrent dropout is active. */
const recIn = (h: Tensor, mask: Tensor | null): Tensor => (mask ? mul(h, mask) : h);

/** Fully connected RNN: h' = act(x·W + h·U + b). */
export class SimpleRNN extends RNNBase {
  static override className = 'SimpleRNN';
  static override options = layerOptions<RNNArgs>(RNN_OPTIONS);
  constructor(args: RNNArgs) {
    super(args);
  }
  protected get gateCount() {
    return 1;
  }
  protected buildBias(): Tensor {
    return this.addWeight('bias', [this.units], this.args.biasInitializer ?? 'zeros');
  }
  protected inputBias(): Tensor | null {
    return this.bias;
  }
  protected makeStep(recMask: Tensor | null): StepFn {
    const act = this.act;
    // from zero states h·U = 0: h' = act(x·W + b)
    return (xw, [h], zero) => [act(zero ? xw : add(xw, matmul(recIn(h, recMask), this.recurrentKernel)))];
  }
}

export interface GatedRNNArgs extends RNNArgs {
  /** Gate activation (default 'sigmoid', the Keras 2.3+/3 default; TF.js defaults to 'hardSigmoid'). */
  recurrentActivation?: ActivationSpec;
}

export interface LSTMArgs extends GatedRNNArgs {
  /** Add 1 to the forget-gate bias at initialization (default true). */
  unitForgetBias?: boolean;
}

/** Long short-term memory (Hochreiter 1997), Keras gate order i, f, c, o; states [h, c]. */
export class LSTM extends RNNBase {
  static override className = 'LSTM';
  static override options = layerOptions<LSTMArgs>({
    ...RNN_OPTIONS,
    recurrentActivation: true,
    unitForgetBias: true,
  });
  constructor(override readonly args: LSTMArgs) {
    super(args);
  }
  protected get gateCount() {
    return 4;
  }
  override get stateCount() {
    return 2;
  }
  protected buildBias(): Tensor {
    const base = getInitializer(this.args.biasInitializer ?? 'zeros');
    const u = this.units;
    // NOTE: unitForgetBias (Keras): bias = [init(u), ones(u), init(2u)], so the forget gate starts open.
    const init: Initializer =
      (this.args.unitForgetBias ?? true)
        ? (shape: Shape, dtype, rng) => {
            const t = base(shape, dtype, rng);
            t.data.set(full([u], 1, { dtype }).data, u);
            return t;
          }
        : base;
    return this.addWeight('bias', [4 * u], init);
  }
  protected inputBias(): Tensor | null {
    return this.bias;
  }
  protected makeStep(recMask: Tensor | null): StepFn {
    const act = this.act;
    const recAct = getActivation(
      this.args.recurrentActivation === undefined ? 'sigmoid' : this.args.recurrentActivation,
    );
    return (xw, [h, c], zero) => {
      // z = x·W + b + h·U, split into i, f, c, o; from zero states z = x·W + b and c' = σ(i)·act(g)
      const z = zero ? xw : add(xw, matmul(recIn(h, recMask), this.recurrentKernel));
      return lstmStep(z, zero ? null : c, act, recAct);
    };
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      recurrent_activation: activationName(
        this.args.recurrentActivation === undefined ? 'sigmoid' : this.args.recurrentActivation,
      ),
      unit_forget_bias: this.args.unitForgetBias ?? true,
    };
  }
}

export interface GRUArgs extends GatedRNNArgs {
  /** Reset gate after the recurrent matmul (default true: Keras 2.3+/3, CuDNN-compatible, bias [2, 3·units]). */
  resetAfter?: boolean;
}

/** Gated recurrent unit (Cho 2014), Keras gate order z, r, h: h' = z·h + (1-z)·ĥ. */
export class GRU extends RNNBase {
  static override className = 'GRU';
  static override options = layerOptions<GRUArgs>({
    ...RNN_OPTIONS,
    recurrentActivation: true,
    resetAfter: true,
  });
  readonly resetAfter: boolean;
  constructor(override readonly args: GRUArgs) {
    super(args);
    this.resetAfter = args.resetAfter ?? true;
  }
  protected get gateCount() {
    return 3;
  }
  protected buildBias(): Tensor {
    const u = this.units;
    return this.addWeight(
      'bias',
      this.resetAfter ? [2, 3 * u] : [3 * u],
      this.args.biasInitializer ?? 'zeros',
    );
  }
  /** [input bias, recurrent bias] (the recurrent one only with resetAfter). */
  private biasParts(): [Tensor | null, Tensor | null] {
    if (!this.bias) return [null, null];
    if (!this.resetAfter) return [this.bias, null];
    const [bi, br] = split(this.bias, 2, 0).map((t) => reshape(t, [3 * this.units]));
    return [bi, br];
  }
  protected inputBias(): Tensor | null {
    return this.biasParts()[0];
  }
  protected makeStep(recMask: Tensor | null): StepFn {
    const act = this.act;
    const recAct = getActivation(
      this.args.recurrentActivation === undefined ? 'sigmoid' : this.args.recurrentActivation,
    );
    const u = this.units;
    if (this.resetAfter) {
      const bRec = this.biasParts()[1];
      return (xw, [h], zero) => {
        const [xz, xr, xh] = splitGates(xw, 3);
        // recurrent projection h·U (+ b_rec) for all gates; the reset gate scales its h-block: r·(h·U_h + b_h)
        // (from a zero h: just b_rec)
        const B = xw.shape[0];
        let hu: Tensor;
        if (zero) hu = bRec ? broadcastTo(bRec, [B, 3 * u]) : zeros([B, 3 * u], { dtype: xw.dtype });
        else {
          hu = matmul(recIn(h, recMask), this.recurrentKernel);
          if (bRec) hu = add(hu, bRec);
        }
        const [hz, hr, hh] = splitGates(hu, 3);
        return [gruUpdate(xz, xr, xh, hz, hr, (r) => mul(r, hh), h, act, recAct)];
      };
    }
    const [uzr, uh] = split(this.recurrentKernel, [2 * u, u], 1);
    return (xw, [h], zero) => {
      const [xz, xr, xh] = splitGates(xw, 3);
      if (zero) {
        // from a zero h every recurrent term is zero: ĥ = act(x·W_h + b_h)
        const z0 = zeros([xw.shape[0], u], { dtype: xw.dtype });
        return [gruUpdate(xz, xr, xh, z0, z0, () => z0, h, act, recAct)];
      }
      const hm = recIn(h, recMask);
      const [hz, hr] = splitGates(matmul(hm, uzr), 2);
      // reset before: ĥ = act(x·W_h + b_h + (r·h)·U_h)
      return [gruUpdate(xz, xr, xh, hz, hr, (r) => matmul(mul(r, hm), uh), h, act, recAct)];
    };
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      recurrent_activation: activationName(
        this.args.recurrentActivation === undefined ? 'sigmoid' : this.args.recurrentActivation,
      ),
      reset_after: this.resetAfter,
    };
  }
}

/** TF.js-style factories: `tg.layers.lstm({units: 32, returnSequences: true})`. */
export const recurrentFactories = {
  simpleRNN: (a: RNNArgs) => new SimpleRNN(a),
  lstm: (a: LSTMArgs) => new LSTM(a),
  gru: (a: GRUArgs) => new GRU(a),
};
