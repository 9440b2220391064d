// PyTorch-style single-step recurrent cells (`tg.nn.LSTMCell`, `tg.nn.GRUCell`, `tg.nn.RNNCell`), as seq2seq
// decoders call them in a loop: PyTorch 1.13 names (weight_ih, weight_hh, bias_ih, bias_hh), layouts, gate orders
// and init; the step itself is recurrent.ts's torchStep, so a cell and a one-layer LSTM/GRU/RNN compute alike.
import type { DType } from '../../core/dtype.js';
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { Tensor, zeros } from '../../core/tensor.js';
import { add } from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { matmul } from '../../ops/network/builders.js';
import { Module } from './base.js';
import { moduleOptions } from './options.js';
import { GATES, type Mode, recurrentInit, torchStep } from './recurrent.js';

export interface RNNCellOptions {
  /** Use bias_ih / bias_hh (default true). */
  bias?: boolean;
  name?: string;
  dtype?: DType;
}
const CELL_KEYS = ['bias', 'name', 'dtype'] as const;

/**
 * PyTorch's RNNCellBase: weight_ih [g·H, I], weight_hh [g·H, H], bias_ih / bias_hh [g·H] (null without bias), all
 * drawn from U(-1/√H, 1/√H) in that order; `step` runs one step on [N, I] input (or unbatched [I]).
 */
abstract class TorchCellBase extends Module {
  weight_ih: Tensor;
  weight_hh: Tensor;
  bias_ih: Tensor | null;
  bias_hh: Tensor | null;

  constructor(
    protected readonly mode: Mode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    opts: RNNCellOptions,
    keys: readonly string[],
  ) {
    super(opts?.name);
    this.dtype = moduleOptions(new.target.className, opts, keys);
    const cls = new.target.className;
    for (const [k, v] of [
      ['input_size', inputSize],
      ['hidden_size', hiddenSize],
    ] as const)
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`${cls}: ${k} must be a positive integer, got ${v}`);
    if (opts.bias !== undefined && typeof opts.bias !== 'boolean')
      throw new ValueError(`${cls}: bias must be true or false, got ${JSON.stringify(opts.bias)}`);
    const g = GATES[mode] * hiddenSize;
    const init = recurrentInit(hiddenSize);
    this.weight_ih = this.addWeight('weight_ih', [g, inputSize], init);
    this.weight_hh = this.addWeight('weight_hh', [g, hiddenSize], init);
    const bias = opts.bias ?? true;
    this.bias_ih = bias ? this.addWeight('bias_ih', [g], init) : null;
    this.bias_hh = bias ? this.addWeight('bias_hh', [g], init) : null;
  }

  private get who(): string {
    return `${this.name} (${this.className})`;
  }

  /** A state tensor checked against [N, H] (or [H] for unbatched input), reshaped to [N, H]. */
  private state(s: unknown, label: string, x: Tensor, unbatched: boolean): Tensor {
    const want = unbatched ? [this.hiddenSize] : [x.shape[0], this.hiddenSize];
    if (!(s instanceof Tensor))
      throw new ValueError(
        `${this.who}: ${label} must be a Tensor ${fmtShape(want)}, got ${describeValue(s)}`,
      );
    const t = s;
    if (!unbatched && t.rank === 2 && t.shape[0] !== x.shape[0])
      throw new ShapeError(
        `${this.who}: input batch size ${x.shape[0]} doesn't match ${label} batch size ${t.shape[0]} (input ${fmtShape(x.shape)}, ${label} ${fmtShape(t.shape)})`,
      );
    if (t.rank !== want.length || t.shape.some((d, i) => d !== want[i]))
      throw new ShapeError(
        `${this.who}: ${label} must be ${fmtShape(want)} (${unbatched ? 'hidden_size, for unbatched input' : 'batch, hidden_size'}) for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`,
      );
    return unbatched ? reshape(t, [1, this.hiddenSize]) : t;
  }

  /**
   * One step on input [N, I] or unbatched [I] from the states (null: zeros, in the input's dtype); returns the new
   * states, unbatched ([H] each) when the input is.
   */
  protected step(x: Tensor, hx: unknown[] | null, labels: string[]): Tensor[] {
    if (x.rank !== 1 && x.rank !== 2)
      throw new ShapeError(
        `${this.who}: expected input to be 1-D [input_size] or 2-D [batch, input_size], got ${fmtShape(x.shape)}`,
      );
    const unbatched = x.rank === 1;
    const I = x.shape[x.rank - 1];
    if (I !== this.inputSize)
      throw new ShapeError(
        `${this.who}: input has inconsistent input_size: got ${I} expected ${this.inputSize} (input ${fmtShape(x.shape)}, weight_ih ${fmtShape(this.weight_ih.shape)})`,
      );
    const x2 = unbatched ? reshape(x, [1, I]) : x;
    const N = x2.shape[0];
    const states = hx
      ? hx.map((s, i) => this.state(s, labels[i], x, unbatched))
      : labels.map(() => zeros([N, this.hiddenSize], { dtype: x.dtype === 'int32' ? this.dtype : x.dtype }));
    let xw = matmul(x2, this.weight_ih, { transB: true });
    if (this.bias_ih) xw = add(xw, this.bias_ih);
    const out = torchStep(this.mode, xw, states, { whh: this.weight_hh, bhh: this.bias_hh });
    return unbatched ? out.map((t) => reshape(t, [this.hiddenSize])) : out;
  }

  override paramFormula(): string {
    const b = this.bias_ih ? '+2' : '';
    return `${GATES[this.mode]}·${this.hiddenSize}·(${this.inputSize}+${this.hiddenSize}${b}) = ${this.countParams().toLocaleString('en-US')}`;
  }
}

/**
 * PyTorch `nn.LSTMCell(inputSize, hiddenSize, {bias})`: gates i, f, g, o. `forward(input, [h, c]?)` returns
 * `[h', c']`; input [N, I] with states [N, H], or unbatched [I] with states [H].
 */
export class LSTMCell extends TorchCellBase {
  static override className = 'LSTMCell';
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('LSTM', inputSize, hiddenSize, opts, CELL_KEYS);
  }
  forward(input: Tensor, hx: [Tensor, Tensor] | null | undefined = undefined): [Tensor, Tensor] {
    if (hx != null && (!Array.isArray(hx) || hx.length !== 2))
      throw new ValueError(
        `${this.name} (LSTMCell): hx must be a pair [h, c], got ${Array.isArray(hx) ? `${hx.length} element(s)` : describeValue(hx)}`,
      );
    const [h, c] = this.step(input, hx ?? null, ['hx[0] (h)', 'hx[1] (c)']);
    return [h, c];
  }
}

/**
 * PyTorch `nn.GRUCell(inputSize, hiddenSize, {bias})`: gates r, z, n with n = tanh(W_in x + b_in + r·(W_hn h +
 * b_hn)), h' = (1 - z)·n + z·h. `forward(input, h?)` returns h'.
 */
export class GRUCell extends TorchCellBase {
  static override className = 'GRUCell';
  constructor(inputSize: number, hiddenSize: number, opts: RNNCellOptions = {}) {
    super('GRU', inputSize, hiddenSize, opts, CELL_KEYS);
  }
  forward(input: Tensor, hx: Tensor | null | undefined = undefined): Tensor {
    return this.step(input, hx == null ? null : [hx], ['hx'])[0];
  }
}

/** PyTorch `nn.RNNCell(inputSize, hiddenSize, {bias, nonlinearity})`: h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh). */
export class RNNCell extends TorchCellBase {
  static override className = 'RNNCell';
  readonly nonlinearity: 'tanh' | 'relu';
  constructor(
    inputSize: number,
    hiddenSize: number,
    opts: RNNCellOptions & { nonlinearity?: 'tanh' | 'relu' } = {},
  ) {
    const nl = (typeof opts === 'object' && opts !== null ? opts.nonlinearity : undefined) ?? 'tanh';
    // NOTE: refused at construction (PyTorch refuses it at the first forward: "Unknown nonlinearity")
    if (nl !== 'tanh' && nl !== 'relu')
      throw new ValueError(`RNNCell: nonlinearity must be 'tanh' or 'relu', got ${JSON.stringify(nl)}`);
    super(nl === 'relu' ? 'RNN_RELU' : 'RNN_TANH', inputSize, hiddenSize, opts, [
      ...CELL_KEYS,
      'nonlinearity',
    ]);
    this.nonlinearity = nl;
  }
  forward(input: Tensor, hx: Tensor | null | undefined = undefined): Tensor {
    return this.step(input, hx == null ? null : [hx], ['hx'])[0];
  }
}
