// An exported graph computes from its input: embeddings gather by the input's indices (not by the traced sample's,
// baked in as a constant), an RNN's zero initial state is a constant (not whichever traced value held the same
// numbers at export), and a layer that reads its input's numbers outside tapegrad's ops is refused by name.
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { InputValueExportError } from '../../../src/io/onnx/export-values.js';
import { decodeModel } from '../../../src/io/onnx/proto.js';
import { kerasFixturesDir } from '../fixtures-dir.js';

ort.env.wasm.numThreads = 1;

/** max |a-b| - 1e-5·|b| must stay below `atol`. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - 1e-5 * Math.abs(b[i]));
  expect(worst).toBeLessThanOrEqual(atol);
}

/** Runs `bytes` in ONNX Runtime Web on each input and compares with the model's own outputs. */
async function expectOrtMatches(model: tg.Layer, bytes: Uint8Array, xs: tg.Tensor[], atol = 1e-6) {
  const s = await ort.InferenceSession.create(bytes);
  const outs: number[][] = [];
  for (const x of xs) {
    const r = await s.run({
      [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
    });
    const want = tg.noGrad(() => model.apply(x, { training: false })) as tg.Tensor;
    const got = r[s.outputNames[0]];
    expect(got.dims).toEqual(want.shape);
    expectClose(got.data as Float32Array, want.data, atol);
    outs.push(Array.from(got.data as Float32Array));
  }
  // the inputs give different outputs: the graph reads its input
  expect(outs[0]).not.toEqual(outs[1]);
}

const ids = (rows: number[][]) => tg.tensor(rows);

describe('an exported Embedding gathers by its input', () => {
  const keras = () => {
    const m = tg.sequential();
    m.add(tg.layers.embedding({ inputDim: 10, outputDim: 2, inputShape: [3] }));
    m.add(tg.layers.flatten());
    m.add(tg.layers.dense({ units: 2 }));
    return m;
  };

  it('Keras Embedding, batch fixed (dynamicBatch: false): ORT follows the input', async () => {
    const m = keras();
    const bytes = tg.onnx.exportModel(m, { sampleInput: ids([[1, 2, 3]]), dynamicBatch: false });
    await expectOrtMatches(m, bytes, [ids([[1, 2, 3]]), ids([[7, 8, 9]])]);
    // the indices are computed from the input: no Constant holds the traced sample's [1, 2, 3]
    expect(decodeModel(bytes).graph!.node.map((n) => n.opType)).toContain('Cast');
  });

  it('Keras Embedding, symbolic batch: runs at other batch sizes and values', async () => {
    const m = keras();
    const bytes = tg.onnx.exportModel(m, { sampleInput: ids([[1, 2, 3]]) });
    await expectOrtMatches(m, bytes, [
      ids([
        [1, 2, 3],
        [0, 0, 9],
      ]),
      ids([
        [7, 8, 9],
        [4, 4, 4],
        [2, 5, 1],
      ]),
    ]);
  });

  it('tg.nn.Embedding in a Module, and its ONNX re-import (a Gather on data) exported again', async () => {
    class Net extends tg.nn.Module {
      emb = new tg.nn.Embedding(10, 3);
      fc = new tg.nn.Linear(3, 2);
      forward(x: tg.Tensor) {
        return this.fc.forward(this.emb.forward(x));
      }
    }
    const net = new Net().eval();
    const a = ids([
      [1, 2],
      [3, 4],
    ]);
    const b = ids([
      [9, 0],
      [5, 5],
    ]);
    const bytes = tg.onnx.exportModel(net, { sampleInput: a, dynamicBatch: false });
    await expectOrtMatches(net, bytes, [a, b]);
    const back = await tg.onnx.loadModel(bytes);
    await expectOrtMatches(back, tg.onnx.exportModel(back, { sampleInput: a }), [a, b]);
  });

  it('a layer that builds a tensor from its input`s numbers is refused by name, not baked in', () => {
    class Baked extends tg.Layer {
      call(x: tg.Tensor): tg.Tensor {
        // reads the values outside tapegrad's ops: a trace sees a constant
        return tg.add(
          x,
          new tg.Tensor(
            Float32Array.from(x.data, (v) => v * v),
            [...x.shape],
          ),
        );
      }
    }
    const m = tg.sequential({ layers: [new Baked({ name: 'squares', inputShape: [3] })] });
    for (const dynamicBatch of [false, true])
      expect(() => tg.onnx.exportModel(m, { sampleInput: tg.tensor([[1, 2, 3]]), dynamicBatch })).toThrow(
        InputValueExportError,
      );
    expect(() => tg.onnx.exportModel(m, { sampleInput: tg.tensor([[1, 2, 3]]) })).toThrow(
      /layer '[^']*squares' gives primitive 'add' \(input 1\) a \[1,3\] constant that changes with the input's values/,
    );
  });
});

describe('log-softmax’s shift (the max) is computed from the input', () => {
  it('batch fixed: logits far from the sample’s stay finite in ORT', async () => {
    class Net extends tg.nn.Module {
      forward(x: tg.Tensor) {
        return tg.logSoftmax(x);
      }
    }
    const net = new Net();
    const bytes = tg.onnx.exportModel(net, { sampleInput: tg.zeros([1, 4]), dynamicBatch: false });
    // exp(x − m) overflows float32 when m is the sample's max (0) instead of this input's (500)
    // (float32 rounding of the fused row against ORT's: 1e-5 at -100)
    await expectOrtMatches(net, bytes, [tg.tensor([[500, 499, 498, 400]]), tg.tensor([[1, 2, 3, 4]])], 1e-4);
  });
});

describe('an exported RNN starts from a zero state of its own', () => {
  const rnn = () => {
    const m = tg.sequential();
    m.add(tg.layers.simpleRNN({ units: 3, inputShape: [4, 3], name: 'rnn' }));
    return m;
  };
  const bias = (m: tg.Sequential) => m.layers[0].weights.find((w) => w.name === 'bias')!.value;

  it('a zero bias at export is not the initial state: fine-tuning the bias changes both models alike', async () => {
    const m = rnn();
    const x = tg.randn([2, 4, 3], { rng: new tg.Rng(3) });
    m.predict(x); // built; the bias is zeros (Keras's default)
    expect(Array.from(bias(m).data).every((v) => v === 0)).toBe(true);
    for (const dynamicBatch of [true, false]) {
      const bytes = tg.onnx.exportModel(m, { sampleInput: x, dynamicBatch });
      const back = await tg.onnx.loadModel(bytes);
      // the same change of the bias in both (what a fine-tuning step does)
      bias(m).data.fill(0.5);
      back.initializers.get('rnn.bias')!.data.fill(0.5);
      expectClose((back.predict(x) as tg.Tensor).data, (m.predict(x) as tg.Tensor).data);
      bias(m).data.fill(0);
    }
  });

  it('a nonzero bias exports (no value-matching recursion) and ORT matches', async () => {
    const m = rnn();
    m.build([null, 4, 3]);
    m.setWeights(m.getWeights().map((w) => tg.add(tg.abs(tg.randn(w.shape, { rng: new tg.Rng(5) })), 0.1)));
    const x = tg.randn([2, 4, 3], { rng: new tg.Rng(6) });
    const bytes = tg.onnx.exportModel(m, { sampleInput: x });
    await expectOrtMatches(m, bytes, [
      tg.randn([3, 4, 3], { rng: new tg.Rng(7) }),
      tg.randn([1, 4, 3], { rng: new tg.Rng(8) }),
    ]);
  });

  const fixtures = kerasFixturesDir();
  it.skipIf(!fixtures)(
    'the TF.js SimpleRNN fixture (tfjs-ux-simplernn) exports and ORT matches',
    async () => {
      const m = await tg.keras.loadModel(join(fixtures!, 'tfjs-ux-simplernn', 'model.json'));
      const shape = (m as tg.Model).batchInputShape as (number | null)[];
      const x = (n: number, seed: number) =>
        tg.randn(
          shape.map((d, i) => (i === 0 ? n : d!)),
          { rng: new tg.Rng(seed) },
        );
      const bytes = tg.onnx.exportModel(m, { sampleInput: x(2, 1) });
      await expectOrtMatches(m, bytes, [x(2, 2), x(3, 3)]);
    },
  );
  if (!fixtures) it.skip('TF.js fixture skipped: ../shared/keras-fixtures is not present', () => {});
});
