// Keras layer wrappers: TimeDistributed (a layer applied to every time step) and Bidirectional (a recurrent
// layer run forwards and backwards, outputs merged), both compositions of the wrapped layers' calls.
import { ShapeError, ValueError, fmtShape } from '../../../core/errors.js';
import type { Shape } from '../../../core/shape.js';
import { Tensor } from '../../../core/tensor.js';
import { add, cast, mul } from '../../../ops/elementwise/builders.js';
import { gather } from '../../../ops/network/builders.js';
import { concat, reshape } from '../../../ops/movement/builders.js';
import { type CallKwargs, Layer, type LayerArgs, type LayerIO, layerOptions } from '../../layer.js';
import { SymbolicTensor } from '../../symbolic.js';
import { RNNBase, fmtCount } from './rnn-base.js';
import { copyMask, maskOf } from '../mask.js';

/** The wrapped layer's declared input shape becomes the wrapper's, so `sequential` models can build. */
function wrapperArgs<A extends LayerArgs>(args: A, layer: Layer): A {
  if (args.inputShape || args.batchInputShape || !layer.batchInputShape) return args;
  return { ...args, batchInputShape: layer.batchInputShape };
}

export interface TimeDistributedArgs extends LayerArgs {
  layer: Layer;
}

/** Apply `layer` to every time step: [batch, time, ...] → [batch·time, ...] → layer → [batch, time, ...]. */
export class TimeDistributed extends Layer {
  static override className = 'TimeDistributed';
  static override options = layerOptions<TimeDistributedArgs>({ layer: true });
  readonly layer: Layer;
  constructor(args: TimeDistributedArgs) {
    if (!(args?.layer instanceof Layer))
      throw new ValueError(`TimeDistributed: 'layer' must be a Layer, got ${typeof args?.layer}`);
    super(wrapperArgs(args, args.layer));
    this.layer = args.layer;
  }
  private check(s: readonly number[]): void {
    if (s.length < 3)
      throw new ShapeError(
        `${this.name} (TimeDistributed): expected input [batch, time, ...] (rank ≥ 3), got ${fmtShape(s as number[])} — the wrapped layer runs on each time step`,
      );
  }
  override build(inputShape: Shape | Shape[]): void {
    if (Array.isArray(inputShape[0]))
      throw new ValueError(`${this.name} (TimeDistributed): takes one input tensor, got a list`);
    const s = inputShape as Shape;
    this.check(s);
    if (!this.layer.built) this.layer.buildShape([s[0] * s[1], ...s.slice(2)]);
  }
  call(x: LayerIO, kw: CallKwargs = {}): Tensor {
    if (!(x instanceof Tensor)) throw new ValueError('takes one input tensor, got a list');
    this.check(x.shape);
    const [B, T] = x.shape;
    const y = this.layer.apply(reshape(x, [B * T, ...x.shape.slice(2)]), kw);
    if (!(y instanceof Tensor))
      throw new ValueError(`the wrapped layer '${this.layer.name}' must return one tensor`);
    return reshape(y, [B, T, ...y.shape.slice(1)]);
  }
  override paramFormula(): string | null {
    return this.layer.paramFormula();
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      layer: { class_name: this.layer.className, config: this.layer.getConfig() },
    };
  }
}

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;

export interface BidirectionalArgs extends LayerArgs {
  /** A recurrent layer (SimpleRNN, LSTM, GRU); it is cloned into a forward and a backward copy. */
  layer: RNNBase;
  /** How to combine the two outputs (default 'concat'); null returns [forward, backward]. */
  mergeMode?: MergeMode;
  /** Optional explicit backward layer (must have goBackwards: true). */
  backwardLayer?: RNNBase;
}

/**
 * Reverse axis 1 (time): one gather of the steps in reverse order.
 * NOTE: not T slices + concat, whose backward pads every step's gradient to the whole sequence's shape.
 */
const reverseTime = (y: Tensor): Tensor =>
  y.shape[1] <= 1
    ? y
    : gather(
        y,
        Array.from({ length: y.shape[1] }, (_, t) => y.shape[1] - 1 - t),
        1,
      );

/**
 * Run a recurrent layer forwards and a copy backwards over the sequence, then merge. Keras weight order:
 * forward layer's weights, then backward layer's. With returnSequences the backward output is re-reversed
 * so both are aligned in time.
 */
export class Bidirectional extends Layer {
  static override className = 'Bidirectional';
  /** Both directions skip the steps masked on its input (see ../mask.ts). */
  static handlesMasks = true;
  static override options = layerOptions<BidirectionalArgs>({
    layer: true,
    mergeMode: true,
    backwardLayer: true,
  });
  readonly forwardLayer: RNNBase;
  readonly backwardLayer: RNNBase;
  readonly mergeMode: MergeMode;
  constructor(args: BidirectionalArgs) {
    if (!(args?.layer instanceof RNNBase))
      throw new ValueError(
        `Bidirectional: 'layer' must be a recurrent layer (SimpleRNN, LSTM, GRU), got ${(args?.layer as unknown as object)?.constructor?.name ?? typeof args?.layer}`,
      );
    super(wrapperArgs(args, args.layer));
    const l = args.layer;
    const mode = args.mergeMode === undefined ? 'concat' : args.mergeMode;
    if (!['concat', 'sum', 'mul', 'ave', null].includes(mode))
      throw new ValueError(
        `Bidirectional: mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got '${mode}'`,
      );
    this.mergeMode = mode;
    this.forwardLayer = l.cloneWith({ name: `forward_${l.name}` });
    if (args.backwardLayer) {
      const b = args.backwardLayer;
      if (!(b instanceof RNNBase))
        throw new ValueError('Bidirectional: backwardLayer must be a recurrent layer');
      if (b.goBackwards === l.goBackwards)
        throw new ValueError(
          `Bidirectional: backwardLayer.goBackwards must be the opposite of layer.goBackwards (${l.goBackwards})`,
        );
      if (
        b.returnSequences !== l.returnSequences ||
        b.returnState !== l.returnState ||
        b.stateful !== l.stateful
      )
        throw new ValueError(
          'Bidirectional: backwardLayer must have the same returnSequences, returnState and stateful as layer',
        );
      this.backwardLayer = b;
    } else this.backwardLayer = l.cloneWith({ name: `backward_${l.name}`, goBackwards: !l.goBackwards });
  }

  override build(inputShape: Shape | Shape[]): void {
    const s = Array.isArray(inputShape[0]) ? (inputShape as Shape[])[0] : (inputShape as Shape);
    if (!this.forwardLayer.built) this.forwardLayer.buildShape(s);
    if (!this.backwardLayer.built) this.backwardLayer.buildShape(s);
  }

  override apply(
    inputs: LayerIO | SymbolicTensor | SymbolicTensor[],
    kwargs: CallKwargs = {},
  ): LayerIO | SymbolicTensor | SymbolicTensor[] {
    // NOTE: a symbolic application runs the inner layers on zeros; keep their stateful states untouched.
    const saved = [this.forwardLayer.states, this.backwardLayer.states];
    const out = super.apply(inputs, kwargs);
    if (
      inputs instanceof SymbolicTensor ||
      (Array.isArray(inputs) && inputs.some((t) => t instanceof SymbolicTensor))
    )
      [this.forwardLayer.states, this.backwardLayer.states] = saved;
    return out;
  }

  call(inputs: LayerIO, kw: CallKwargs = {}): LayerIO {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    const x = list[0];
    let initial = list.slice(1);
    if (!initial.length && kw.initialState) initial = kw.initialState as Tensor[];
    const { initialState: _drop, ...rest } = kw;
    const n = this.forwardLayer.stateCount;
    if (initial.length && initial.length !== 2 * n)
      throw new ValueError(
        `expected ${2 * n} initial states (forward ${n}, then backward ${n}), got ${initial.length}`,
      );
    const fIn = initial.length ? [x, ...initial.slice(0, n)] : x;
    const bIn = initial.length ? [x, ...initial.slice(n)] : x;
    const f = this.forwardLayer.apply(fIn, rest) as LayerIO;
    const b = this.backwardLayer.apply(bIn, rest) as LayerIO;
    const [yf, ...sf] = Array.isArray(f) ? f : [f];
    const [yb0, ...sb] = Array.isArray(b) ? b : [b];
    const seq = this.forwardLayer.returnSequences;
    const yb = seq ? reverseTime(yb0) : yb0;
    // Keras forces zero_output_for_mask on both directions when returning sequences: masked steps output zeros
    const mask = seq ? ((kw.mask as Tensor | null | undefined) ?? maskOf(x) ?? null) : null;
    const m = mask ? reshape(cast(mask, yf.dtype), [...mask.shape, 1]) : null;
    const merged = m ? this.merge(mul(yf, m), mul(yb, m)) : this.merge(yf, yb);
    if (m) for (const t of Array.isArray(merged) ? merged : [merged]) copyMask(x, t);
    if (!this.forwardLayer.returnState) return merged;
    return [...(Array.isArray(merged) ? merged : [merged]), ...sf, ...sb];
  }

  private merge(a: Tensor, b: Tensor): Tensor | Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return concat([a, b], -1);
      case 'sum':
        return add(a, b);
      case 'mul':
        return mul(a, b);
      case 'ave':
        return mul(add(a, b), 0.5);
      default:
        return [a, b];
    }
  }

  /** Reset both directions' carried states (stateful layers). */
  resetStates(): void {
    this.forwardLayer.resetStates();
    this.backwardLayer.resetStates();
  }

  override paramFormula(): string | null {
    const f = this.forwardLayer.paramFormula();
    return f ? `2·${f.split(' = ')[0]} = ${fmtCount(this.countParams())}` : null;
  }
  override getConfig() {
    return {
      ...super.getConfig(),
      merge_mode: this.mergeMode,
      layer: {
        class_name: this.forwardLayer.className,
        config: { ...this.forwardLayer.getConfig(), name: this.forwardLayer.name.replace(/^forward_/, '') },
      },
    };
  }
}

/** TF.js-style factories: `tg.layers.bidirectional({layer: tg.layers.lstm({units: 8})})`. */
export const wrapperFactories = {
  timeDistributed: (a: TimeDistributedArgs) => new TimeDistributed(a),
  bidirectional: (a: BidirectionalArgs) => new Bidirectional(a),
};
