// Builders for SimpleRNN, LSTM, GRU (and CuDNN / RNN(cell) forms), TimeDistributed and Bidirectional, with the
// Keras 1 per-gate and CuDNN weight conversions.
import { Layer } from '../../../nn/layer.js';
import { GRU, LSTM, SimpleRNN } from '../../../nn/keras/layers/rnn-cells.js';
import { RNNBase } from '../../../nn/keras/layers/rnn-base.js';
import { Bidirectional, TimeDistributed } from '../../../nn/keras/layers/wrappers.js';
import { isJsonObject } from '../../safe-json.js';
import { activationOf } from '../activations.js';
import { type JsonObject, LayerCfg } from '../cfg.js';
import type { KerasContext } from '../context.js';
import { type NdWeight, concatLast, reshapeNd, splitLast, transposeNd } from '../ndarray.js';
import { type BuildCtx, type WeightConverter, defineLayers } from '../registry.js';
import { baseArgs, regularizerArgs } from './common.js';

/** Keras ≥ 2.3 and tf.keras in TF 2 switched recurrent_activation to sigmoid (and GRU reset_after to true in TF 2 / Keras 3). */
const newDefaults = (ctx: KerasContext): boolean =>
  ctx.major >= 3 || /^2\.([3-9]|\d\d)/.test(ctx.version ?? '');

function rnnArgs(c: LayerCfg, b: BuildCtx) {
  if (c.bool('time_major', false)) c.fail('time_major', 'time-major inputs are not supported');
  // NOTE: Keras 3 writes zero_output_for_mask on every RNN. false is what tapegrad does: a masked step repeats the
  // previous output (zeros before the first real step). true puts zeros there instead (and makes the last output
  // zeros when the last step is masked): inside a Bidirectional that returns sequences it is what the wrapper does
  // (the Bidirectional builder takes it off the wrapped layers), anywhere else it is refused.
  if (c.bool('zero_output_for_mask', false))
    c.fail(
      'zero_output_for_mask',
      'true (zeros instead of the previous output at masked steps) is supported only on the layers of a Bidirectional that returns sequences; tapegrad repeats the previous output at masked steps, as Keras does with false',
    );
  const r = (k: string) => {
    const v = c.num(k, 0);
    if (!(v >= 0 && v < 1)) c.fail(k, `must be in [0, 1), got ${v}`);
    return v;
  };
  return {
    ...baseArgs(c),
    units: c.int('units', undefined, 1),
    activation: activationOf(c, 'activation', b.ctx, 'tanh'),
    useBias: c.bool('use_bias', true),
    returnSequences: c.bool('return_sequences', false),
    returnState: c.bool('return_state', false),
    goBackwards: c.bool('go_backwards', false),
    stateful: c.bool('stateful', false),
    dropout: r('dropout'),
    recurrentDropout: r('recurrent_dropout'),
    ...regularizerArgs(c, b, [
      'kernelRegularizer',
      'recurrentRegularizer',
      'biasRegularizer',
      'activityRegularizer',
    ]),
  };
}

const recAct = (c: LayerCfg, b: BuildCtx) =>
  activationOf(c, 'recurrent_activation', b.ctx, newDefaults(b.ctx) ? 'sigmoid' : 'hard_sigmoid');

const buildSimple = (c: LayerCfg, b: BuildCtx) => new SimpleRNN(rnnArgs(c, b));
const buildLSTM = (c: LayerCfg, b: BuildCtx) =>
  new LSTM({
    ...rnnArgs(c, b),
    recurrentActivation: recAct(c, b),
    unitForgetBias: c.bool('unit_forget_bias', true),
  });
const buildGRU = (c: LayerCfg, b: BuildCtx) =>
  new GRU({
    ...rnnArgs(c, b),
    recurrentActivation: recAct(c, b),
    resetAfter: c.bool('reset_after', b.ctx.major >= 3),
  });

/** Short name of a Keras 1 weight (`lstm_1_W_i` → `W_i`), or null when it does not look like one. */
const gateName = (w: NdWeight, layer: string): string | null => {
  const n = w.name.replace(/:\d+$/, '').split('/').pop()!;
  const short = n.startsWith(`${layer}_`) ? n.slice(layer.length + 1) : n;
  return /^[WUb]_[a-z]$/.test(short) ? short : null;
};

/** Merge Keras 1 per-gate weights (W_g, U_g, b_g per gate) into fused kernels in the Keras 2 gate order. */
function mergeGates(
  ws: NdWeight[],
  layerName: string,
  fileOrder: string[],
  kerasOrder: string[],
  cls: string,
): NdWeight[] {
  const byName = new Map<string, NdWeight>();
  for (const w of ws) {
    const g = gateName(w, layerName);
    if (g) byName.set(g, w);
  }
  const get = (kind: string, gate: string): NdWeight => {
    const named = byName.get(`${kind}_${gate}`);
    if (named && byName.size === ws.length) return named;
    // NOTE: without recognisable names, Keras 1's order: W, U, b for each gate in `fileOrder`.
    return ws[fileOrder.indexOf(gate) * 3 + ['W', 'U', 'b'].indexOf(kind)];
  };
  const note = `Keras 1 ${cls} per-gate weights merged (gate order ${kerasOrder.join(', ')})`;
  return ['W', 'U', 'b'].map((kind, i) =>
    concatLast(
      kerasOrder.map((g) => get(kind, g)),
      ['kernel', 'recurrent_kernel', 'bias'][i],
      note,
    ),
  );
}

/** CuDNN kernels are stored transposed per gate (Fortran order): k → reshape(kᵀ-flat) per gate. */
function fromCudnnKernels(w: NdWeight, gates: number, recurrent: boolean): NdWeight {
  const parts = splitLast(w, gates).map((k) => {
    const [rows, cols] = k.shape;
    // input kernels: reinterpret the flat data as [cols, rows] then transpose; recurrent ones: plain transpose
    return recurrent ? transposeNd(k, [1, 0], '') : transposeNd({ ...k, shape: [cols, rows] }, [1, 0], '');
  });
  return { ...concatLast(parts, w.name, 'CuDNN kernel layout converted'), from: w.from };
}

const lstmWeights: WeightConverter = (ws, w) => {
  if (ws.length === 12)
    return mergeGates(ws, w.layer.name, ['i', 'c', 'f', 'o'], ['i', 'f', 'c', 'o'], 'LSTM');
  if (ws.length === 3 && w.layer instanceof RNNBase) {
    const u = w.layer.units;
    if (ws[2].shape.length === 1 && ws[2].shape[0] === 8 * u) {
      // CuDNNLSTM: input and recurrent biases stored separately; LSTM uses their sum
      const [b1, b2] = [ws[2].data.subarray(0, 4 * u), ws[2].data.subarray(4 * u)];
      const sum = new (ws[2].data.constructor as Float32ArrayConstructor)(4 * u);
      for (let i = 0; i < 4 * u; i++) sum[i] = b1[i] + b2[i];
      return [
        fromCudnnKernels(ws[0], 4, false),
        fromCudnnKernels(ws[1], 4, true),
        { ...ws[2], shape: [4 * u], data: sum, notes: [...ws[2].notes, 'CuDNN biases summed'] },
      ];
    }
  }
  return ws;
};

const gruWeights: WeightConverter = (ws, w) => {
  if (ws.length === 9) return mergeGates(ws, w.layer.name, ['z', 'r', 'h'], ['z', 'r', 'h'], 'GRU');
  if (ws.length === 3 && w.layer instanceof GRU) {
    const u = w.layer.units;
    if (ws[2].shape.length === 1 && ws[2].shape[0] === 6 * u && w.layer.resetAfter)
      return [
        fromCudnnKernels(ws[0], 3, false),
        fromCudnnKernels(ws[1], 3, true),
        reshapeNd(ws[2], [2, 3 * u], 'CuDNNGRU bias reshaped to (2, 3·units)'),
      ];
  }
  return ws;
};

/** tf.keras `RNN(cell=LSTMCell(...))`: the cell's options plus the RNN's flags. */
function buildRnnWithCell(c: LayerCfg, b: BuildCtx): Layer {
  const cell = c.obj('cell');
  if (Array.isArray(cell.config) || cell.class_name === 'StackedRNNCells')
    c.fail('cell', 'stacked RNN cells are not supported');
  const cellCfg = isJsonObject(cell.config) ? cell.config : {};
  const merged: JsonObject = { ...cellCfg, name: c.where.layer };
  for (const k of [
    'return_sequences',
    'return_state',
    'go_backwards',
    'stateful',
    'batch_input_shape',
    'trainable',
    'dtype',
    'time_major',
    'zero_output_for_mask',
  ])
    if (c.has(k)) merged[k] = c.raw(k)!;
  const cls = String(cell.class_name).replace(/Cell(V\d)?$/, '');
  const cc = new LayerCfg(merged, { ...c.where, className: `RNN(${String(cell.class_name)})` });
  if (cls === 'LSTM') return buildLSTM(cc, b);
  if (cls === 'GRU') return buildGRU(cc, b);
  if (cls === 'SimpleRNN') return buildSimple(cc, b);
  return c.fail(
    'cell',
    `cell class '${String(cell.class_name)}' is not supported (LSTMCell, GRUCell, SimpleRNNCell)`,
  );
}

/**
 * A Bidirectional's wrapped layer config without `zero_output_for_mask: true` when it returns sequences: Keras forces
 * that flag on both directions then (Keras 3 saves it), and tapegrad's Bidirectional outputs zeros at masked steps
 * when returning sequences. Anything else is left for the recurrent builder to check.
 */
function zeroOutputInside(entry: JsonObject): JsonObject {
  const cfg = isJsonObject(entry.config) ? entry.config : null;
  if (!cfg || cfg.zero_output_for_mask !== true || cfg.return_sequences !== true) return entry;
  const { zero_output_for_mask: _forced, ...rest } = cfg;
  return { ...entry, config: rest };
}

defineLayers({
  SimpleRNN: { build: buildSimple },
  LSTM: { build: buildLSTM, convertWeights: lstmWeights },
  GRU: { build: buildGRU, convertWeights: gruWeights },
  CuDNNLSTM: {
    build: (c, b) =>
      new LSTM({
        ...rnnArgs(c, b),
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        unitForgetBias: c.bool('unit_forget_bias', true),
      }),
    convertWeights: lstmWeights,
  },
  CuDNNGRU: {
    build: (c, b) =>
      new GRU({
        ...rnnArgs(c, b),
        activation: 'tanh',
        recurrentActivation: 'sigmoid',
        resetAfter: true,
      }),
    convertWeights: gruWeights,
  },
  RNN: { build: buildRnnWithCell },
  TimeDistributed: {
    build: (c, b) => new TimeDistributed({ ...baseArgs(c), layer: b.nested(c.obj('layer'), 'layer', c) }),
  },
  Bidirectional: {
    build: (c, b) => {
      const inner = b.nested(zeroOutputInside(c.obj('layer')), 'layer', c);
      if (!(inner instanceof RNNBase))
        return c.fail(
          'layer',
          `Bidirectional wraps a ${inner.className}; only SimpleRNN, LSTM and GRU are supported`,
        );
      const mm = c.raw('merge_mode');
      if (mm !== null && mm !== undefined && !['concat', 'sum', 'mul', 'ave'].includes(mm as string))
        c.fail('merge_mode', `${JSON.stringify(mm)} is not supported (concat, sum, mul, ave, null)`);
      const back =
        c.has('backward_layer') && c.raw('backward_layer') !== null
          ? b.nested(zeroOutputInside(c.obj('backward_layer')), 'backward_layer', c)
          : undefined;
      if (back !== undefined && !(back instanceof RNNBase))
        return c.fail('backward_layer', 'must be a recurrent layer');
      return new Bidirectional({
        ...baseArgs(c),
        layer: inner,
        mergeMode: (mm === undefined ? 'concat' : mm) as 'concat' | null,
        ...(back ? { backwardLayer: back } : {}),
      });
    },
  },
});
