// PyTorch-style recurrent modules (`tg.nn.LSTM`, `tg.nn.GRU`, `tg.nn.RNN`): PyTorch weight layouts, names,
// gate orders and init, time-major input unless batchFirst; loops of cells the tape differentiates.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { rand } from '../../core/random.js';
import { isRecording } from '../../core/tape.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { add, mul, relu, tanh } from '../../ops/elementwise/builders.js';
import { gruUpdate, lstmStep, splitGates } from '../../ops/composite/rnn.js';
import { matmul } from '../../ops/network/builders.js';
import { dropout } from '../../ops/random-ops.js';
import {
  broadcastTo,
  concat,
  reshape,
  slice,
  split,
  squeeze,
  stack,
  transpose,
} from '../../ops/movement/builders.js';
import type { Initializer } from '../initializers.js';
import type { BackwardHook, ForwardHook, LayerIO, Weight } from '../layer.js';
import { Module } from './base.js';
import { moduleOptions } from './options.js';

export interface TorchRNNOptions {
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Use bias_ih / bias_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, time, features] instead of [time, batch, features]. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in train mode (default 0). */
  dropout?: number;
  /** Add a reverse-direction pass per layer; outputs concatenate [forward, reverse]. */
  bidirectional?: boolean;
  name?: string;
  dtype?: DType;
}

const RNN_KEYS = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'name', 'dtype'] as const;

export type Mode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
export const GATES: Record<Mode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/** PyTorch's init of every recurrent weight and bias (modules and cells): U(-1/√H, 1/√H). */
export const recurrentInit = (hiddenSize: number): Initializer => {
  const k = 1 / Math.sqrt(hiddenSize);
  return (shape, dtype) => rand(shape, { low: -k, high: k, dtype });
};

/** One layer-direction's weights: W_ih [g·H, in], W_hh [g·H, H], b_ih, b_hh [g·H]. */
interface DirWeights {
  wih: Tensor;
  whh: Tensor;
  bih: Tensor | null;
  bhh: Tensor | null;
}

/** [output, [h_n, c_n]] or [output, h_n] as a flat tensor list. */
const flatOut = (y: unknown): Tensor[] => (y as unknown[]).flat() as Tensor[];

/**
 * Shared loop of the PyTorch recurrent modules: a `tg.nn.Module` (train mode at start, `forward` routed through
 * `apply` so hooks fire, built at construction) whose weights are created here with PyTorch's names and init.
 */
abstract class TorchRNNBase extends Module {
  readonly numLayers: number;
  readonly hasBias: boolean;
  readonly batchFirst: boolean;
  readonly dropoutP: number;
  readonly bidirectional: boolean;

  constructor(
    protected readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: TorchRNNOptions,
  ) {
    super(opts?.name);
    this.dtype = moduleOptions(new.target.className, opts, RNN_KEYS);
    // Module runs forward; backward hooks are attached to every output tensor (output, h_n[, c_n]).
    const run = this.callImpl;
    this.callImpl = (x: LayerIO, kw) => {
      const y = run(x, kw);
      if (this.gradHooks.length)
        for (const t of flatOut(y))
          t.registerHook((g) => this.gradHooks.reduce<Tensor>((acc, h) => h(this, acc) ?? acc, g));
      return y;
    };
    const cls = this.className;
    for (const [k, v] of [
      ['inputSize', inputSize],
      ['hiddenSize', hiddenSize],
      ['numLayers', opts.numLayers ?? 1],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`${cls}: ${k} must be a positive integer, got ${v}`);
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(
        `${cls}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${typeof p === 'number' ? p : (JSON.stringify(p) ?? String(p))}`,
      );
    this.numLayers = opts.numLayers ?? 1;
    this.hasBias = opts.bias ?? true;
    this.batchFirst = opts.batchFirst ?? false;
    this.dropoutP = opts.dropout ?? 0;
    this.bidirectional = opts.bidirectional ?? false;
    const g = GATES[mode] * hiddenSize;
    // NOTE: PyTorch initializes every recurrent weight and bias from U(-1/√H, 1/√H).
    const init = recurrentInit(hiddenSize);
    const D = this.bidirectional ? 2 : 1;
    for (let l = 0; l < this.numLayers; l++)
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d ? '_reverse' : ''}`;
        const inSize = l === 0 ? inputSize : hiddenSize * D;
        // PyTorch attribute access: lstm.weight_ih_l0; forward reads these attributes (see dirWeights).
        Object.assign(this, {
          [`weight_ih${sfx}`]: this.addWeight(`weight_ih${sfx}`, [g, inSize], init),
          [`weight_hh${sfx}`]: this.addWeight(`weight_hh${sfx}`, [g, hiddenSize], init),
          ...(this.hasBias
            ? {
                [`bias_ih${sfx}`]: this.addWeight(`bias_ih${sfx}`, [g], init),
                [`bias_hh${sfx}`]: this.addWeight(`bias_hh${sfx}`, [g], init),
              }
            : {}),
        });
      }
  }

  /**
   * The weights of layer l, direction d, read from the public attributes (weight_ih_l0, …), so assigning one
   * takes effect as in PyTorch; an assigned tensor must keep the shape.
   */
  private dirWeights(l: number, d: number): DirWeights {
    const sfx = `_l${l}${d ? '_reverse' : ''}`;
    const G = GATES[this.mode] * this.hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const attr = (name: string, shape: number[]): Tensor => {
      const t = (this as unknown as Record<string, unknown>)[name + sfx];
      if (!(t instanceof Tensor) || t.rank !== shape.length || t.shape.some((v, i) => v !== shape[i]))
        throw new ShapeError(
          `${this.name} (${this.className}): ${name}${sfx} must be a Tensor ${fmtShape(shape)}, got ${t instanceof Tensor ? fmtShape(t.shape) : String(t)}`,
        );
      return t;
    };
    return {
      wih: attr('weight_ih', [G, l === 0 ? this.inputSize : this.hiddenSize * D]),
      whh: attr('weight_hh', [G, this.hiddenSize]),
      bih: this.hasBias ? attr('bias_ih', [G]) : null,
      bhh: this.hasBias ? attr('bias_hh', [G]) : null,
    };
  }

  /** The weight list follows the public attributes: a tensor assigned to lstm.weight_ih_l0 is the weight. */
  override namedWeights(prefix = ''): [string, Weight][] {
    const self = this as unknown as Record<string, unknown>;
    for (const w of this.ownWeights) if (self[w.name] instanceof Tensor) w.value = self[w.name] as Tensor;
    return super.namedWeights(prefix);
  }

  /** Run the module (hooks fire): `forward(x)` or `forward(x, hx)`. */
  abstract override forward(x: Tensor, hx?: Tensor | [Tensor, Tensor]): [Tensor, Tensor | [Tensor, Tensor]];
  private gradHooks: BackwardHook[] = [];
  /**
   * Forward hooks see the outputs flat, `[output, h_n]` or `[output, h_n, c_n]`, so generic tools (summary)
   * can read their shapes; a replacement returned by a hook is given in the same flat form.
   */
  override registerForwardHook(h: ForwardHook): () => void {
    return super.registerForwardHook((layer, x, y) => {
      const r = h(layer, x, flatOut(y));
      if (!r) return undefined;
      const rs = r as Tensor[];
      return (this.mode === 'LSTM' ? [rs[0], [rs[1], rs[2]]] : rs) as unknown as LayerIO;
    });
  }
  /** Backward hooks get the gradient of each output tensor (output, h_n, c_n) when backward reaches it. */
  override registerBackwardHook(h: BackwardHook): () => void {
    this.gradHooks.push(h);
    return () => void (this.gradHooks = this.gradHooks.filter((f) => f !== h));
  }
  protected get stateCount(): number {
    return this.mode === 'LSTM' ? 2 : 1;
  }

  /** Initial states as [L·D, B, H] tensors (checked), or zeros. */
  private initial(hx: Tensor | Tensor[] | undefined, B: number, unbatched: boolean, dtype: DType): Tensor[] {
    const LD = this.numLayers * (this.bidirectional ? 2 : 1);
    const n = this.stateCount;
    if (hx === undefined || hx === null)
      return Array.from({ length: n }, () => zeros([LD, B, this.hiddenSize], { dtype }));
    const list = Array.isArray(hx) ? hx : [hx];
    if (list.length !== n)
      throw new ValueError(
        `${this.name} (${this.className}): hx must be ${n === 2 ? '[h_0, c_0]' : 'h_0'}, got ${list.length} tensor(s)`,
      );
    const want = unbatched ? [LD, this.hiddenSize] : [LD, B, this.hiddenSize];
    return list.map((s, i) => {
      if (s.rank !== want.length || s.shape.some((d, j) => d !== want[j]))
        throw new ShapeError(
          `${this.name} (${this.className}): ${['h_0', 'c_0'][i]} must be ${fmtShape(want)} (num_layers·num_directions, ${unbatched ? '' : 'batch, '}hidden_size), got ${fmtShape(s.shape)}`,
        );
      return unbatched ? reshape(s, [LD, 1, this.hiddenSize]) : s;
    });
  }

  /** Run all layers and directions; returns the output sequence and the final states [L·D, B, H]. */
  protected run(x: Tensor, hx: Tensor | Tensor[] | undefined): [Tensor, Tensor[]] {
    if (x.rank !== 2 && x.rank !== 3)
      throw new ShapeError(
        `${this.name} (${this.className}): expected input ${this.batchFirst ? '[batch, time, features]' : '[time, batch, features]'} (or unbatched [time, features]), got ${fmtShape(x.shape)}`,
      );
    const unbatched = x.rank === 2;
    let seq = unbatched
      ? reshape(x, [x.shape[0], 1, x.shape[1]])
      : this.batchFirst
        ? transpose(x, [1, 0, 2])
        : x;
    const [T, B, F] = seq.shape;
    if (F !== this.inputSize)
      throw new ShapeError(
        `${this.name} (${this.className}): input_size is ${this.inputSize} but the input has ${F} features (shape ${fmtShape(x.shape)})`,
      );
    if (T === 0)
      throw new ShapeError(
        `${this.name} (${this.className}): the input ${fmtShape(x.shape)} has no time steps`,
      );
    const init = this.initial(hx, B, unbatched, seq.dtype === 'int32' ? this.dtype : seq.dtype);
    const perState = init.map((s) => split(s, s.shape[0], 0).map((t) => reshape(t, [B, this.hiddenSize])));
    const D = this.bidirectional ? 2 : 1;
    const finals: Tensor[][] = Array.from({ length: this.stateCount }, () => []);
    for (let l = 0; l < this.numLayers; l++) {
      // NOTE: dropout 1 is PyTorch's x·0 (at::dropout), as nn.Dropout(1): the next layer sees zeros.
      if (l > 0 && this.dropoutP > 0 && this.training)
        seq = this.dropoutP === 1 ? mul(seq, 0) : dropout(seq, this.dropoutP, { training: true });
      const dirOuts: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const w = this.dirWeights(l, d);
        const stepIn = projection(seq, w);
        let states = perState.map((s) => s[l * D + d]);
        const outs: Tensor[] = new Array(T);
        for (let i = 0; i < T; i++) {
          const t = d === 1 ? T - 1 - i : i;
          states = torchStep(this.mode, stepIn(t), states, w);
          outs[t] = states[0];
        }
        dirOuts.push(stack(outs, 0));
        states.forEach((s, k) => finals[k].push(s));
      }
      seq = D === 2 ? concat(dirOuts, 2) : dirOuts[0];
    }
    const out = unbatched ? squeeze(seq, [1]) : this.batchFirst ? transpose(seq, [1, 0, 2]) : seq;
    // h_n: [L·D, B, H] in the order l0, l0_reverse, l1, ... (unbatched: [L·D, H])
    const fin = finals.map((f) =>
      unbatched ? reshape(stack(f, 0), [f.length, this.hiddenSize]) : stack(f, 0),
    );
    return [out, fin];
  }

  override paramFormula(): string {
    const g = GATES[this.mode];
    const H = this.hiddenSize;
    const D = this.bidirectional ? 2 : 1;
    const b = this.hasBias ? '+2' : '';
    const first = `${g}·${H}·(${this.inputSize}+${H}${b})`;
    const rest = this.numLayers > 1 ? ` + ${this.numLayers - 1}·${g}·${H}·(${D * H}+${H}${b})` : '';
    return `${D > 1 ? `${D}·(${first}${rest})` : `${first}${rest}`} = ${this.countParams().toLocaleString('en-US')}`;
  }
}

/**
 * One step of a PyTorch recurrent layer or cell: new states ([h'] or [h', c']) from the projected input
 * xw = x·W_ihᵀ + b_ih [batch, gates·H] and the old states ([h] or [h, c], each [batch, H]).
 */
export function torchStep(
  mode: Mode,
  xw: Tensor,
  states: Tensor[],
  w: { whh: Tensor; bhh: Tensor | null },
): Tensor[] {
  let hw = matmul(states[0], w.whh, { transB: true });
  if (w.bhh) hw = add(hw, w.bhh);
  switch (mode) {
    case 'RNN_TANH':
      return [tanh(add(xw, hw))];
    case 'RNN_RELU':
      return [relu(add(xw, hw))];
    case 'LSTM':
      // gates = W_ih x + b_ih + W_hh h + b_hh in order i, f, g, o: the fused lstmGates row (as Keras's LSTM),
      // the same values as lstmUpdate of the four blocks
      return lstmStep(add(xw, hw), states[1]);
    case 'GRU': {
      // order r, z, n: n = tanh(W_in x + b_in + r·(W_hn h + b_hn)), h' = (1-z)·n + z·h
      const [xr, xz, xn] = splitGates(xw, 3);
      const [hr, hz, hn] = splitGates(hw, 3);
      return [gruUpdate(xz, xr, xn, hz, hr, (r) => mul(r, hn), states[0])];
    }
  }
}

/**
 * The input projection x_t·W_ihᵀ + b_ih of each step t of seq [time, batch, in], as Keras's RNN layers compute it
 * (rnn-base.ts `stepInputs`; the same values: sgemm sums each output in the same order whatever its rows):
 * - while the tape records: one matmul per step on that step's slice of seq, so backward sums [1, batch, in]
 *   gradients (one concat: core/slice-cotangents.ts), never [time, batch, gates] ones (before that walker change,
 *   T pads and T-1 adds of the whole projection: quadratic in the length), and a first layer's input (data, no
 *   gradient) gets none at all;
 * - otherwise (inference): one matmul over the whole sequence, sliced per step.
 */
function projection(seq: Tensor, w: DirWeights): (t: number) => Tensor {
  const [T, B, In] = seq.shape;
  const G = w.wih.shape[0];
  const recorded =
    isRecording() && (seq.requiresGrad || w.wih.requiresGrad || (w.bih?.requiresGrad ?? false));
  if (recorded) {
    const bB = w.bih ? broadcastTo(w.bih, [B, G]) : null; // NOTE: once per call, so each step adds equal shapes
    return (t) => {
      const xw = matmul(reshape(slice(seq, [t, 0, 0], [1, B, In]), [B, In]), w.wih, { transB: true });
      return bB ? add(xw, bB) : xw;
    };
  }
  let xw = reshape(matmul(reshape(seq, [T * B, In]), w.wih, { transB: true }), [T, B, G]);
  if (w.bih) xw = add(xw, w.bih);
  return (t) => reshape(slice(xw, [t, 0, 0], [1, B, G]), [B, G]);
}

/**
 * PyTorch `nn.LSTM(inputSize, hiddenSize, {numLayers, batchFirst, bias, dropout, bidirectional})`.
 * `forward(x, [h0, c0]?)` returns `[output, [h_n, c_n]]`; output [T, B, D·H] (or [B, T, D·H] if batchFirst).
 */
export class LSTM extends TorchRNNBase {
  static override className = 'LSTM';
  declare weight_ih_l0: Tensor;
  declare weight_hh_l0: Tensor;
  declare bias_ih_l0: Tensor;
  declare bias_hh_l0: Tensor;
  constructor(inputSize: number, hiddenSize: number, opts: TorchRNNOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, hx: [Tensor, Tensor] | undefined = undefined): [Tensor, [Tensor, Tensor]] {
    const [out, [h, c]] = this.run(x, hx);
    return [out, [h, c]];
  }
}

/** PyTorch `nn.GRU` (gate order r, z, n). `forward(x, h0?)` returns `[output, h_n]`. */
export class GRU extends TorchRNNBase {
  static override className = 'GRU';
  declare weight_ih_l0: Tensor;
  declare weight_hh_l0: Tensor;
  declare bias_ih_l0: Tensor;
  declare bias_hh_l0: Tensor;
  constructor(inputSize: number, hiddenSize: number, opts: TorchRNNOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts);
  }
  forward(x: Tensor, hx: Tensor | undefined = undefined): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, hx);
    return [out, h];
  }
}

/** PyTorch `nn.RNN` (Elman): h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh). `forward(x, h0?)` → `[output, h_n]`. */
export class RNN extends TorchRNNBase {
  static override className = 'RNN';
  declare weight_ih_l0: Tensor;
  declare weight_hh_l0: Tensor;
  declare bias_ih_l0: Tensor;
  declare bias_hh_l0: Tensor;
  constructor(
    inputSize: number,
    hiddenSize: number,
    opts: TorchRNNOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const isObj = typeof opts === 'object' && opts !== null;
    const { nonlinearity: nl = 'tanh', ...rest } = isObj ? opts : {};
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ValueError(`RNN: nonlinearity must be 'tanh' or 'relu', got '${nl}'`);
    super(nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, isObj ? rest : opts);
  }
  forward(x: Tensor, hx: Tensor | undefined = undefined): [Tensor, Tensor] {
    const [out, [h]] = this.run(x, hx);
    return [out, h];
  }
}
