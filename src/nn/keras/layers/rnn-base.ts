// The shared machinery of Keras recurrent layers: weights, the loop over time steps (project each step's input,
// run the cell, stack), initial/stateful states, goBackwards, returnSequences/returnState and dropout masks.
// `npx tsx bench/profile-rnn.ts` times this path against the same math written as explicit cells.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { hasOpListeners, isRecording } from '../../../core/tape.js';
import { Tensor, ones, zeros } from '../../../core/tensor.js';
import { add, cast, mul, sub } from '../../../ops/elementwise/builders.js';
import { matmul } from '../../../ops/network/builders.js';
import { dropout } from '../../../ops/random-ops.js';
import { broadcastTo, reshape, slice, stack } from '../../../ops/movement/builders.js';
import { type ActivationSpec, getActivation } from '../../activations.js';
import type { InitializerSpec } from '../../initializers.js';
import { type CallKwargs, Layer, type LayerArgs, type LayerIO } from '../../layer.js';
import { isInferringShapes } from '../../shape-inference.js';
import { SymbolicTensor } from '../../symbolic.js';
import { keep } from '../../../core/lifetime.js';
import { copyMask, maskOf, setMask } from '../mask.js';
import {
  type RegularizerArgs,
  regularizerConfig,
  regularizerKeys,
  setupRegularizers,
} from '../../regularizers.js';

/** The recurrent layers' regularizer options (Keras kernel_, recurrent_, bias_, activity_regularizer). */
const RNN_REGS = regularizerKeys(
  'kernelRegularizer',
  'recurrentRegularizer',
  'biasRegularizer',
  'activityRegularizer',
);

export const fmtCount = (v: number): string => v.toLocaleString('en-US');
export const activationName = (a: ActivationSpec): string =>
  typeof a === 'string' ? a : a ? 'custom' : 'linear';

/** Options shared by SimpleRNN, LSTM and GRU (TF.js names). */
export interface RNNArgs
  extends
    LayerArgs,
    RegularizerArgs<
      'kernelRegularizer' | 'recurrentRegularizer' | 'biasRegularizer' | 'activityRegularizer'
    > {
  units: number;
  /** Candidate/output activation (default 'tanh'). */
  activation?: ActivationSpec;
  useBias?: boolean;
  kernelInitializer?: InitializerSpec;
  recurrentInitializer?: InitializerSpec;
  biasInitializer?: InitializerSpec;
  /** Fraction of input features dropped in training mode (one mask per sequence, shared by all steps). */
  dropout?: number;
  /** Fraction of state units dropped before the recurrent matmul in training mode (one mask per sequence). */
  recurrentDropout?: number;
  /** Return the output of every step [batch, time, units] instead of the last one [batch, units]. */
  returnSequences?: boolean;
  /** Also return the final states: [output, h] (SimpleRNN, GRU) or [output, h, c] (LSTM). */
  returnState?: boolean;
  /** Process the sequence backwards; returned sequences are then in reversed order (as Keras). */
  goBackwards?: boolean;
  /** Keep the final states of a call as the initial states of the next one (resetStates() clears them). */
  stateful?: boolean;
  /** TF.js shorthand for inputShape [inputLength, inputDim]. */
  inputDim?: number;
  inputLength?: number | null;
}

/** The option names of RNNArgs beyond LayerArgs (the compiler checks the list against the type). */
export const RNN_OPTIONS: { [K in Exclude<keyof RNNArgs, keyof LayerArgs>]-?: true } = {
  units: true,
  activation: true,
  useBias: true,
  kernelInitializer: true,
  recurrentInitializer: true,
  biasInitializer: true,
  dropout: true,
  recurrentDropout: true,
  returnSequences: true,
  returnState: true,
  goBackwards: true,
  stateful: true,
  inputDim: true,
  inputLength: true,
  ...RNN_REGS,
};

/**
 * The step function of one call: new states from the projected input of a step (x·W + b) and the old states.
 * `zeroStates` (default false) is true when the old states are known to be all zeros (the first step from fresh zero states),
 * so the step may skip the terms they would only multiply by zero (h·U, f·c).
 */
export type StepFn = (xw: Tensor, states: Tensor[], zeroStates?: boolean) => Tensor[];

/**
 * The [batch, features] source of an input that is constant over time: RepeatVector's output, a broadcast of
 * [batch, 1, features] along the time axis, seen on the tape. Null for any other input.
 */
function timeConstantSource(x: Tensor): Tensor | null {
  const n = x.node;
  if (!n || n.op !== 'broadcastTo' || x.rank !== 3) return null;
  const src = n.inputs[0];
  if (src.rank !== 3 || src.shape[0] !== x.shape[0] || src.shape[1] !== 1 || src.shape[2] !== x.shape[2])
    return null;
  return reshape(src, [x.shape[0], x.shape[2]]);
}

/** Base of the Keras recurrent layers; subclasses give the gate count, the bias and the step. */
export abstract class RNNBase extends Layer {
  /** Reads its input's mask (Masking, Embedding maskZero): masked steps are skipped (see mask.ts). */
  static handlesMasks = true;
  readonly units: number;
  readonly useBias: boolean;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly stateful: boolean;
  readonly dropoutRate: number;
  readonly recurrentDropoutRate: number;
  kernel!: Tensor;
  recurrentKernel!: Tensor;
  bias: Tensor | null = null;
  /** States carried between calls when stateful (null: zeros at the next call). */
  states: Tensor[] | null = null;

  constructor(readonly args: RNNArgs) {
    super(
      args.inputDim !== undefined && !args.inputShape && !args.batchInputShape
        ? { ...args, inputShape: [args.inputLength ?? null, args.inputDim] }
        : args,
    );
    const cls = this.className;
    if (!Number.isInteger(args.units) || args.units < 1)
      throw new ValueError(`${cls}: units must be a positive integer, got ${args.units}`);
    for (const k of ['dropout', 'recurrentDropout'] as const) {
      const v = args[k] ?? 0;
      if (!(v >= 0 && v < 1)) throw new ValueError(`${cls}: ${k} must be in [0, 1), got ${v}`);
    }
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.returnSequences = args.returnSequences ?? false;
    this.returnState = args.returnState ?? false;
    this.goBackwards = args.goBackwards ?? false;
    this.stateful = args.stateful ?? false;
    this.dropoutRate = args.dropout ?? 0;
    this.recurrentDropoutRate = args.recurrentDropout ?? 0;
    setupRegularizers(this, args, RNN_REGS);
  }

  /** Gate blocks side by side in the kernels (SimpleRNN 1, GRU 3, LSTM 4). */
  protected abstract get gateCount(): number;
  /** Number of state tensors (LSTM 2: h and c; others 1). */
  get stateCount(): number {
    return 1;
  }
  /** Create the bias weight (shape and initializer differ per layer). */
  protected abstract buildBias(): Tensor;
  /** The bias added to every step's input projection x·W (null if none). */
  protected abstract inputBias(): Tensor | null;
  /** The per-call step; `recMask` (training-mode recurrent dropout) multiplies h before it meets the recurrent kernel. */
  protected abstract makeStep(recMask: Tensor | null): StepFn;

  /** Check a shape is [batch, time, features]; the message says how to fix a 2-D input. */
  protected checkSequence(s: readonly number[] | Shape): void {
    if (s.length === 3) return;
    const declared = this.batchInputShape;
    const hint =
      s.length === 2 && declared && declared.length === 3 && s[0] === declared[1] && s[1] === declared[2]
        ? ` — the batch axis is missing: one sequence of shape ${fmtShape(s as number[])} is [1, ${s[0]}, ${s[1]}]`
        : s.length === 2
          ? ` — a 2-D input has no time axis. If it comes from another recurrent layer, give that layer returnSequences: true; ` +
            `otherwise, for one feature per step reshape to [${s[0]}, ${s[1]}, 1], for a single step to [${s[0]}, 1, ${s[1]}]`
          : '';
    throw new ShapeError(
      `${this.name} (${this.className}): expected input of rank 3 [batch, time, features], got shape ${fmtShape(s as number[])}${hint}`,
    );
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = (Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0] : inputShape) as Shape;
    this.checkSequence(s);
    const k = this.gateCount * this.units;
    this.kernel = this.addWeight('kernel', [s[2], k], this.args.kernelInitializer ?? 'glorotUniform');
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [this.units, k],
      this.args.recurrentInitializer ?? 'orthogonal',
    );
    if (this.useBias) this.bias = this.buildBias();
  }

  /** Activation by Keras name or function (default tanh). */
  protected get act() {
    return getActivation(this.args.activation === undefined ? 'tanh' : this.args.activation);
  }

  override apply(
    inputs: LayerIO | SymbolicTensor | SymbolicTensor[],
    kwargs: CallKwargs = {},
  ): LayerIO | SymbolicTensor | SymbolicTensor[] {
    // NOTE: a symbolic application runs once on zeros to infer shapes; it must not disturb stateful states.
    const symbolic =
      inputs instanceof SymbolicTensor ||
      (Array.isArray(inputs) && inputs.some((t) => t instanceof SymbolicTensor));
    const saved = this.states;
    const out = super.apply(inputs, kwargs);
    if (symbolic || isInferringShapes()) this.states = saved;
    return out;
  }

  call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    this.checkSequence(x.shape);
    const [B, T, F] = x.shape;
    if (F !== this.kernel.shape[0])
      throw new ShapeError(
        `expected ${this.kernel.shape[0]} features on the last axis (built for [batch, time, ${this.kernel.shape[0]}]), got ${fmtShape(x.shape)}`,
      );
    if (T === 0) throw new ShapeError(`the input ${fmtShape(x.shape)} has no time steps`);
    const given = list.length > 1 ? list.slice(1) : ((kw.initialState as Tensor[] | undefined) ?? null);
    let states = this.initialStates(given, B, x);
    // fresh zero states (not given, not carried over by a stateful layer): the first step can skip h·U
    // NOTE: not while someone listens to ops (explain, trace): they see every term of the step, as they see
    // conv2d's im2col/matmul instead of its fused inference row.
    const zeroStart = !given && !(this.stateful && this.states === states) && !hasOpListeners();
    const training = kw.training === true;
    const inputDropout = training && this.dropoutRate > 0;
    const xin = inputDropout
      ? mul(x, dropout(ones([B, 1, F], { dtype: x.dtype }), this.dropoutRate, { training: true }))
      : x;
    const inputAt = this.stepInputs(xin, inputDropout ? null : timeConstantSource(x));
    const recMask =
      training && this.recurrentDropoutRate > 0
        ? dropout(ones([B, this.units], { dtype: states[0].dtype }), this.recurrentDropoutRate, {
            training: true,
          })
        : null;
    const step = this.makeStep(recMask);
    // the mask: given in the call (Keras `mask=`), else the one Masking / Embedding(maskZero) put on x
    const givenMask = kw.mask === undefined || kw.mask === null ? null : (kw.mask as Tensor);
    const maskAt = this.stepMasks(givenMask ?? maskOf(x), B, T, states[0].dtype);
    const outs: Tensor[] = [];
    for (let i = 0; i < T; i++) {
      const t = this.goBackwards ? T - 1 - i : i;
      const next = step(inputAt(t), states, zeroStart && i === 0);
      if (!maskAt) {
        states = next;
        outs.push(states[0]);
        continue;
      }
      // Keras's masked K.rnn: at a masked step (m = 0) the states keep their values and the output repeats the
      // previous one (zeros before the first real step): s ← m·s' + (1 − m)·s, y ← m·h' + (1 − m)·y_prev
      const [m, keepOld] = maskAt(t);
      states = next.map((s, k) => add(mul(m, s), mul(keepOld, states[k])));
      const out = mul(m, next[0]);
      outs.push(outs.length ? add(out, mul(keepOld, outs[outs.length - 1])) : out);
    }
    const y = this.returnSequences ? stack(outs, 1) : outs[outs.length - 1];
    // Keras compute_mask: a returned sequence keeps the input's mask (the states carry none)
    if (maskAt && this.returnSequences)
      if (givenMask) setMask(y, givenMask, `the mask given to ${this.name}`);
      else copyMask(x, y);
    // NOTE: carried states are detached (Keras keeps them in variables): gradients stop at call boundaries.
    if (this.stateful) this.states = states.map((s) => keep(s.detach()));
    return this.returnState ? [y, ...states] : y;
  }

  /** Per-step [batch, 1] mask and 1 − mask of a [batch, time] mask (null without one); checks its shape. */
  private stepMasks(
    mask: Tensor | undefined,
    B: number,
    T: number,
    dtype: Tensor['dtype'],
  ): ((t: number) => [Tensor, Tensor]) | null {
    if (!mask) return null;
    if (!(mask instanceof Tensor) || mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)
      throw new ShapeError(
        `the mask must be [batch, time] = [${B}, ${T}] (1 for real steps, 0 for padding), got ${mask instanceof Tensor ? fmtShape(mask.shape) : typeof mask}`,
      );
    const m = cast(mask, dtype);
    return (t) => {
      const mt = reshape(slice(m, [0, t], [B, 1]), [B, 1]);
      return [mt, sub(1, mt)];
    };
  }

  /**
   * The input projection x_t·W (+ b) of each step t of x [batch, time, features], computed the cheapest way
   * for this call (the same values up to float rounding of the matmul blocks):
   * - an input constant over time (`constant`, RepeatVector's source): x₀·W + b once, shared by every step;
   * - while the tape records: one matmul per step on that step's slice of x, so the backward pass sums
   *   [batch, 1, features] gradients (one concat: core/slice-cotangents.ts) instead of [batch, 1, k·units] ones
   *   and the input of a first layer (data, no gradient) gets none at all;
   * - otherwise (inference): one matmul over the whole sequence, sliced per step.
   */
  private stepInputs(x: Tensor, constant: Tensor | null): (t: number) => Tensor {
    const [B, T, F] = x.shape;
    const W = this.kernel;
    const K = W.shape[1];
    const b = this.inputBias();
    // NOTE: the bias is broadcast to [batch, k·units] once per call, so each step adds equal shapes.
    const bB = b ? broadcastTo(b, [B, K]) : null;
    const project = (xt: Tensor): Tensor => (bB ? add(matmul(xt, W), bB) : matmul(xt, W));
    if (constant) {
      const xw0 = project(constant);
      return () => xw0;
    }
    const recorded = isRecording() && (x.requiresGrad || W.requiresGrad || (b?.requiresGrad ?? false));
    if (recorded) return (t) => project(reshape(slice(x, [0, t, 0], [B, 1, F]), [B, F]));
    // xw = x·W (+ b) for every step at once, [batch, time, k·units]
    let xw = reshape(matmul(reshape(x, [B * T, F]), W), [B, T, K]);
    if (b) xw = add(xw, b);
    return (t) => reshape(slice(xw, [0, t, 0], [B, 1, K]), [B, K]);
  }

  /** Initial states: given ones (checked), the carried ones of a stateful layer, or zeros. */
  private initialStates(given: Tensor[] | null, B: number, x: Tensor): Tensor[] {
    const n = this.stateCount;
    const want = `[${B}, ${this.units}]`;
    if (given) {
      if (given.length !== n)
        throw new ValueError(
          `expected ${n} initial state tensor${n > 1 ? 's' : ''} (${n > 1 ? 'h and c' : 'h'}, each ${want}), got ${given.length}`,
        );
      given.forEach((s, i) => {
        if (s.rank !== 2 || s.shape[0] !== B || s.shape[1] !== this.units)
          throw new ShapeError(`initial state ${i} must be ${want} (batch, units), got ${fmtShape(s.shape)}`);
      });
      return given;
    }
    // NOTE: Keras errors when a stateful layer sees a new batch size; shape inference runs with batch 1,
    // so here a new batch size starts again from zero states.
    if (this.stateful && this.states && this.states[0].shape[0] === B) return this.states;
    return Array.from({ length: n }, () =>
      zeros([B, this.units], { dtype: x.dtype === 'int32' ? this.dtype : x.dtype }),
    );
  }

  /** Clear the carried states of a stateful layer (to zeros), or set them to given values. */
  resetStates(states?: Tensor | Tensor[]): void {
    if (!this.stateful)
      throw new ValueError(
        `${this.name} (${this.className}): resetStates needs a stateful layer (create it with stateful: true)`,
      );
    if (states === undefined) {
      this.states = null;
      return;
    }
    const list = Array.isArray(states) ? states : [states];
    if (list.length !== this.stateCount)
      throw new ValueError(
        `${this.name}.resetStates: expected ${this.stateCount} state tensors, got ${list.length}`,
      );
    list.forEach((s, i) => {
      if (s.rank !== 2 || s.shape[1] !== this.units || s.shape[0] !== list[0].shape[0])
        throw new ShapeError(
          `${this.name}.resetStates: state ${i} must be [batch, ${this.units}], got ${fmtShape(s.shape)}`,
        );
    });
    this.states = list.map((s) => keep(s.detach()));
  }

  /** A new layer of the same class and options (weights not copied): used by Bidirectional. */
  cloneWith(overrides: Partial<RNNArgs>): RNNBase {
    const Ctor = this.constructor as new (a: RNNArgs) => RNNBase;
    return new Ctor({
      ...this.args,
      inputShape: undefined,
      batchInputShape: undefined,
      inputDim: undefined,
      ...overrides,
    });
  }

  override paramFormula(): string | null {
    if (!this.built) return null;
    const [inDim, u, g] = [this.kernel.shape[0], this.units, this.gateCount];
    const bias = this.bias ? (this.bias.size === 2 * g * u ? `+2·${fmtCount(u)}` : `+${fmtCount(u)}`) : '';
    const inner = `${fmtCount(u)}·(${fmtCount(inDim)}+${fmtCount(u)})${bias}`;
    return `${g === 1 ? inner : `${g}·(${inner})`} = ${fmtCount(this.countParams())}`;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.args.activation === undefined ? 'tanh' : this.args.activation),
      use_bias: this.useBias,
      return_sequences: this.returnSequences,
      return_state: this.returnState,
      go_backwards: this.goBackwards,
      stateful: this.stateful,
      dropout: this.dropoutRate,
      recurrent_dropout: this.recurrentDropoutRate,
      ...regularizerConfig(this),
    };
  }
}
