// Stateful Keras RNNs export with their carried states frozen into the graph (as tf2onnx freezes a stateful layer's
// state variables): ONNX Runtime Web runs each file with the outputs tapegrad's predict gives from the same states,
// the export leaves the states as it found them, the files pass ONNX's checker (python3-onnx, where present), and what
// cannot be exported that way (a symbolic batch over carried states, a sample of another batch size) is refused by
// name. The states as graph inputs and outputs (streaming) are a functional model with initial states and returnState.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker as hasChecker } from '../../support/onnx-checker.js';
import { BatchExportError } from '../../../src/io/onnx/export-batch.js';
import { InputValueExportError } from '../../../src/io/onnx/export-values.js';
import { decodeModel } from '../../../src/io/onnx/proto.js';
import type { RNNBase } from '../../../src/nn/keras/layers/rnn-base.js';
import { throwsA } from '../../support/throws.js';

ort.env.wasm.numThreads = 1;
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-state-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const files: string[] = [];
const keepFile = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, `${name}.onnx`);
  writeFileSync(p, bytes);
  files.push(p);
};

/** max |a-b| - 1e-5·|b| must stay below `atol`. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-5) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - 1e-5 * Math.abs(b[i]));
  expect(worst).toBeLessThanOrEqual(atol);
}

async function ortRun(bytes: Uint8Array, xs: tg.Tensor[]): Promise<{ dims: number[]; data: Float32Array }[]> {
  const s = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(
    s.inputNames.map((n, i) => [
      n,
      new ort.Tensor('float32', Float32Array.from(xs[i].data), [...xs[i].shape]),
    ]),
  );
  const r = await s.run(feeds);
  return s.outputNames.map((n) => ({ dims: [...r[n].dims], data: r[n].data as Float32Array }));
}

/** Every stateful layer's carried states as plain numbers (null: none). */
const statesOf = (layers: RNNBase[]) => layers.map((l) => l.states?.map((s) => Array.from(s.data)) ?? null);

/** tapegrad's predict on `x` from the carried states `saved`, leaving them as they were. */
function predictFrom(m: tg.Layer, layers: RNNBase[], saved: (tg.Tensor[] | null)[], x: tg.Tensor): tg.Tensor {
  layers.forEach((l, i) => (l.states = saved[i]));
  const y = (m as tg.Sequential).predict(x) as tg.Tensor;
  layers.forEach((l, i) => (l.states = saved[i]));
  return y;
}

const rng = new tg.Rng(21);

describe('a stateful RNN exports with its carried states as constants', () => {
  it('LSTM (states h and c) after a batch: ORT runs from those states, as predict does; the states stay', async () => {
    const m = tg.sequential();
    m.add(tg.layers.lstm({ units: 3, stateful: true, batchInputShape: [2, 4, 3], name: 'lstm' }));
    m.add(tg.layers.dense({ units: 2 }));
    m.predict(tg.randn([2, 4, 3], { rng })); // states carried from an earlier batch
    const layers = [m.layers[0] as RNNBase];
    const saved = layers.map((l) => l.states);
    const before = statesOf(layers);
    expect(before[0]![0].some((v) => v !== 0)).toBe(true);
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 4, 3], { rng }) });
    keepFile('lstm', bytes);
    // the export traced the model several times and left its states as they were (the same tensors)
    expect(layers[0].states).toBe(saved[0]);
    expect(statesOf(layers)).toEqual(before);
    // the states are Constant nodes named after the layer (not initializers, which an import would train)
    const g = decodeModel(bytes).graph!;
    const constants = g.node.filter((n) => n.opType === 'Constant').map((n) => n.output[0]);
    expect(constants).toEqual(expect.arrayContaining(['lstm.state_0', 'lstm.state_1']));
    expect(g.initializer.map((t) => t.name)).not.toContain('lstm.state_0');
    // every run of the graph starts from the frozen states: two inputs, each as predict from those states
    for (const x of [tg.randn([2, 4, 3], { rng }), tg.randn([2, 4, 3], { rng })]) {
      const want = predictFrom(m, layers, saved, x);
      const [got] = await ortRun(bytes, [x]);
      expect(got.dims).toEqual(want.shape);
      expectClose(got.data, want.data);
      // and not as predict from zero states (the states matter)
      const fromZero = predictFrom(m, layers, [null], x);
      expect(Math.max(...Array.from(fromZero.data, (v, i) => Math.abs(v - got.data[i])))).toBeGreaterThan(
        1e-3,
      );
    }
    // the file imports back with the same outputs
    const x = tg.randn([2, 4, 3], { rng });
    const back = await tg.onnx.loadModel(bytes);
    expectClose((back.predict(x) as tg.Tensor).data, predictFrom(m, layers, saved, x).data);
  });

  it('a fresh (or reset) stateful GRU exports from zero states with a symbolic batch: ORT at batch 1 and 3', async () => {
    const m = tg.sequential();
    m.add(
      tg.layers.gru({ units: 4, stateful: true, inputShape: [5, 2], returnSequences: true, name: 'gru' }),
    );
    const layers = [m.layers[0] as RNNBase];
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 5, 2], { rng }) });
    keepFile('gru-fresh', bytes);
    expect(layers[0].states).toBeNull(); // the traces left no states behind
    for (const n of [1, 3]) {
      const x = tg.randn([n, 5, 2], { rng });
      const want = predictFrom(m, layers, [null], x);
      const [got] = await ortRun(bytes, [x]);
      expect(got.dims).toEqual(want.shape);
      expectClose(got.data, want.data);
    }
  });

  it('Bidirectional stateful SimpleRNN in a functional model: both directions keep their states', async () => {
    const inp = tg.input({ batchShape: [3, 4, 2] });
    const bi = tg.layers.bidirectional({
      layer: tg.layers.simpleRNN({ units: 2, stateful: true, name: 'srnn' }),
    });
    const y = tg.layers.dense({ units: 1 }).apply(bi.apply(inp) as tg.SymbolicTensor) as tg.SymbolicTensor;
    const m = tg.model({ inputs: inp, outputs: y });
    m.predict(tg.randn([3, 4, 2], { rng }));
    const layers = [bi.forwardLayer, bi.backwardLayer];
    const saved = layers.map((l) => l.states);
    const before = statesOf(layers);
    const bytes = tg.onnx.exportModel(m);
    keepFile('bidirectional', bytes);
    expect(statesOf(layers)).toEqual(before);
    const x = tg.randn([3, 4, 2], { rng });
    const [got] = await ortRun(bytes, [x]);
    expectClose(got.data, predictFrom(m, layers, saved, x).data);
  });

  it('streaming: states as graph inputs and outputs (initial states in, returnState out) match step by step', async () => {
    const x = tg.input({ shape: [3, 2] });
    const h0 = tg.input({ shape: [4] });
    const c0 = tg.input({ shape: [4] });
    const [y, h, c] = tg.layers
      .lstm({ units: 4, returnState: true })
      .apply([x, h0, c0]) as tg.SymbolicTensor[];
    const m = tg.model({ inputs: [x, h0, c0], outputs: [y, h, c] });
    const bytes = tg.onnx.exportModel(m, {
      sampleInput: [tg.zeros([2, 3, 2]), tg.zeros([2, 4]), tg.zeros([2, 4])],
    });
    keepFile('streaming', bytes);
    let state = [tg.zeros([2, 4]), tg.zeros([2, 4])];
    for (let step = 0; step < 2; step++) {
      const xs = [tg.randn([2, 3, 2], { rng }), ...state];
      const want = m.predict(xs) as tg.Tensor[];
      const got = await ortRun(bytes, xs);
      want.forEach((w, i) => expectClose(got[i].data, w.data));
      state = [want[1], want[2]];
    }
  });
});

describe('what a stateful export refuses, by name', () => {
  const carrying = () => {
    const m = tg.sequential();
    m.add(tg.layers.simpleRNN({ units: 2, stateful: true, inputShape: [3, 2], name: 'carry' }));
    m.predict(tg.randn([2, 3, 2], { rng }));
    return m;
  };

  it('a symbolic batch over carried states (they fix the batch), unless asked not to', () => {
    const m = carrying();
    throwsA(
      BatchExportError,
      () => tg.onnx.exportModel(m, { sampleInput: tg.zeros([2, 3, 2]), dynamicBatch: true }),
      [
        "layer 'carry' (SimpleRNN, stateful) carries states of shape [2,2]",
        'the batch size is fixed at 2',
        'pass { dynamicBatch: false }',
        'resetStates()',
      ],
    );
    // by default the carried states fix the batch: the input is [2, 3, 2], not [batch, 3, 2]
    const g = decodeModel(tg.onnx.exportModel(m, { sampleInput: tg.zeros([2, 3, 2]) })).graph!;
    expect(g.input[0].type!.tensorType!.shape!.dim.map((d) => Number(d.dimValue))).toEqual([2, 3, 2]);
  });

  it('a sample of another batch size (the layer would start from zeros, dropping its states)', () => {
    const m = carrying();
    throwsA(tg.ValueError, () => tg.onnx.exportModel(m, { sampleInput: tg.zeros([3, 3, 2]) }), [
      "layer 'carry' (SimpleRNN, stateful) carries states of shape [2,2] (batch 2) but ran at another batch size",
      'export with a sample input of batch 2',
    ]);
  });

  it('a layer that reads its input`s numbers is still refused in front of a stateful RNN', () => {
    class Baked extends tg.Layer {
      call(x: tg.Tensor): tg.Tensor {
        return tg.add(
          x,
          new tg.Tensor(
            Float32Array.from(x.data, (v) => v * v),
            [...x.shape],
          ),
        );
      }
    }
    const m = tg.sequential({ layers: [new Baked({ name: 'squares', inputShape: [3, 2] })] });
    m.add(tg.layers.simpleRNN({ units: 2, stateful: true }));
    m.predict(tg.randn([2, 3, 2], { rng }));
    expect(() => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3, 2], { rng }) })).toThrow(
      InputValueExportError,
    );
    expect(() => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3, 2], { rng }) })).toThrow(
      /layer '[^']*squares' gives primitive 'add' \(input 1\) a \[2,3,2\] constant/,
    );
  });
});

if (!hasChecker)
  describe('onnx checker', () =>
    it.skip('skipped: Debian package python3-onnx is not installed (/usr/bin/python3 -c "import onnx" failed)', () => {}));
else
  describe('onnx checker', () =>
    it('every stateful export passes onnx.checker.check_model(full_check=True) (python3-onnx)', () => {
      expect(files.length).toBe(4);
      const out = execFileSync(PY, [
        '-c',
        'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("checked", len(sys.argv) - 1)',
        ...files,
      ]);
      expect(String(out)).toContain(`checked ${files.length}`);
    }));
