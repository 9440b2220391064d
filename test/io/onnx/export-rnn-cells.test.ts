// tg.nn.LSTMCell, GRUCell and RNNCell export to ONNX by tracing (no registration: a cell is matmuls, adds and
// activations): each model below runs a cell in a loop (an encoder over the input's steps, or a decoder feeding its
// output back), is traced at batch 2 with a symbolic batch, run in ONNX Runtime Web at batch 1 and 3 and imported back
// (export-roundtrip-lib.ts: the reference is tapegrad's own forward on the same rows), and passes ONNX's checker.
import { roundTrips, rng, type Case } from './export-roundtrip-lib.js';
import * as tg from '../../../src/index.js';

const nn = tg.nn;
/** Random values in every weight (so a dropped bias or swapped gate block shows). */
function randomized<M extends tg.nn.Module>(m: M): M {
  for (const [, w] of m.namedWeights()) w.value.data.set(tg.mul(tg.randn(w.value.shape, { rng }), 0.5).data);
  return m;
}
type Cell = tg.nn.LSTMCell | tg.nn.GRUCell | tg.nn.RNNCell;
const step = (c: Cell, x: tg.Tensor, s: tg.Tensor[] | undefined): tg.Tensor[] =>
  c instanceof nn.LSTMCell ? c.forward(x, s && [s[0], s[1]]) : [(c as tg.nn.GRUCell).forward(x, s?.[0])];

/** Runs the cell over x [N, T, I] from zero states (or h0 [N, H] given as a second input); returns h [N, T, H]. */
class Encoder extends nn.Module {
  constructor(readonly cell: Cell) {
    super();
  }
  forward(x: tg.Tensor, h0: tg.Tensor | undefined = undefined) {
    let s: tg.Tensor[] | undefined = h0 ? [h0] : undefined;
    const hs: tg.Tensor[] = [];
    for (let t = 0; t < x.shape[1]; t++) {
      s = step(this.cell, tg.squeeze(tg.slice(x, [0, t, 0], [-1, 1, -1]), [1]), s);
      hs.push(s[0]);
    }
    return tg.stack(hs, 1);
  }
}
/** A decoder loop: 4 steps from x0 [N, I], each next input tanh(fc(h)); returns h [N, 4, H]. */
class Decoder extends nn.Module {
  fc: tg.nn.Linear;
  constructor(readonly cell: Cell) {
    super();
    this.fc = new nn.Linear(cell.hiddenSize, cell.inputSize);
  }
  forward(x: tg.Tensor) {
    let s: tg.Tensor[] | undefined = undefined;
    const hs: tg.Tensor[] = [];
    for (let t = 0; t < 4; t++) {
      s = step(this.cell, x, s);
      hs.push(s[0]);
      x = tg.tanh(this.fc.forward(s[0]));
    }
    return tg.stack(hs, 1);
  }
}

const cases: Case[] = [
  [
    'nn.LSTMCell encoder (zero states)',
    () => randomized(new Encoder(new nn.LSTMCell(3, 4))),
    [{ shape: [5, 3] }],
  ],
  [
    'nn.GRUCell encoder (h0 input)',
    () => randomized(new Encoder(new nn.GRUCell(3, 4))),
    [{ shape: [5, 3] }, { shape: [4] }],
  ],
  [
    'nn.RNNCell (relu, no bias) encoder',
    () => randomized(new Encoder(new nn.RNNCell(3, 4, { nonlinearity: 'relu', bias: false }))),
    [{ shape: [5, 3] }],
  ],
  ['nn.LSTMCell decoder loop', () => randomized(new Decoder(new nn.LSTMCell(3, 5))), [{ shape: [3] }]],
  ['nn.GRUCell decoder loop', () => randomized(new Decoder(new nn.GRUCell(3, 5))), [{ shape: [3] }]],
  ['nn.RNNCell (tanh) decoder loop', () => randomized(new Decoder(new nn.RNNCell(3, 5))), [{ shape: [3] }]],
];

roundTrips(
  'tg.nn recurrent cells in loops: ORT at batch 1 and 3 (traced at 2) and the import match tapegrad',
  cases,
);
