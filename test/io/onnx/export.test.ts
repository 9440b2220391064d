// tg.onnx.saveModel / exportModel: each exported file runs in ONNX Runtime Web (WASM, in Node) with tapegrad's
// outputs (float32, 1e-5 relative), passes ONNX's checker (Debian python3-onnx, where present), and imports back
// with the same outputs and the same gradients for every parameter.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker as hasChecker } from '../../support/onnx-checker.js';
import { kerasFixturesDir, localFixtures } from '../fixtures-dir.js';

ort.env.wasm.numThreads = 1;
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const exported: string[] = [];

/** max |a-b| - 1e-5·|b| must stay below `atol`. */
function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, atol = 1e-6) {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - 1e-5 * Math.abs(b[i]));
  expect(worst).toBeLessThanOrEqual(atol);
}

async function ortRun(bytes: Uint8Array, xs: tg.Tensor[]): Promise<Float32Array[]> {
  const s = await ort.InferenceSession.create(bytes);
  const feeds = Object.fromEntries(
    s.inputNames.map((n, i) => [
      n,
      new ort.Tensor('float32', Float32Array.from(xs[i].data), [...xs[i].shape]),
    ]),
  );
  const r = await s.run(feeds);
  return s.outputNames.map((n) => r[n].data as Float32Array);
}

/** Σ y·seed, differentiated in both models: every parameter of `a` must get the same gradient in `b` (by name). */
function expectSameGrads(a: tg.Layer, b: tg.OnnxModel, xs: tg.Tensor[]) {
  const grads = (m: tg.Layer, params: tg.Tensor[]) => {
    params.forEach((p) => p.zeroGrad());
    const y = m.apply(xs.length === 1 ? xs[0] : xs, { training: false }) as tg.Tensor;
    tg.sum(
      tg.mul(
        y,
        tg.tensor(
          Array.from({ length: y.size }, (_, i) => Math.sin(i + 1)),
          y.shape,
        ),
      ),
    ).backward();
    return params.map((p) => p.grad!.data);
  };
  const named = a.namedParameters().map(([, t]) => t);
  const mine = grads(a, named);
  const theirs = grads(
    b,
    named.map((t) => b.initializers.get(t.name!)!),
  );
  mine.forEach((g, i) => expectClose(theirs[i], g, 1e-5));
  expect(named.length).toBeGreaterThan(0);
}

async function checkAll(model: tg.Layer, xs: tg.Tensor[], name: string) {
  const path = join(tmp, `${name}.onnx`);
  await tg.onnx.saveModel(model, path, { sampleInput: xs.length === 1 ? xs[0] : xs });
  const want = tg.noGrad(() => model.apply(xs.length === 1 ? xs[0] : xs, { training: false })) as tg.Tensor;
  const bytes = new Uint8Array((await import('node:fs')).readFileSync(path));
  const [got] = await ortRun(bytes, xs);
  expectClose(got, want.data);
  exported.push(path);
  const back = await tg.onnx.loadModel(path);
  expectClose((back.predict(xs.length === 1 ? xs[0] : xs) as tg.Tensor).data, want.data);
  expectSameGrads(model, back, xs);
}

if (!hasChecker)
  describe('onnx checker', () =>
    it.skip('skipped: Debian package python3-onnx is not installed (/usr/bin/python3 -c "import onnx" failed)', () => {}));

describe('export → ONNX Runtime Web, ONNX checker, and back', () => {
  it('a Sequential CNN (conv same, max and average pooling, dense, softmax)', async () => {
    const m = tg.sequential();
    m.add(
      tg.layers.conv2d({
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [10, 10, 2],
        padding: 'same',
      }),
    );
    m.add(tg.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tg.layers.averagePooling2d({ poolSize: 2, padding: 'same' }));
    m.add(tg.layers.flatten());
    m.add(tg.layers.dense({ units: 3, activation: 'softmax' }));
    await checkAll(m, [tg.randn([2, 10, 10, 2], { rng: new tg.Rng(1) })], 'seq');
  });

  it('a functional model with two inputs, a grouped conv and batch norm', async () => {
    const a = tg.input({ shape: [8, 8, 4] });
    const b = tg.input({ shape: [3] });
    let h = tg.layers
      .conv2d({ filters: 4, kernelSize: 3, groups: 2, strides: 2 })
      .apply(a) as tg.SymbolicTensor;
    h = tg.layers.batchNormalization().apply(h) as tg.SymbolicTensor;
    h = tg.layers.flatten().apply(h) as tg.SymbolicTensor;
    const y = tg.layers
      .dense({ units: 2, activation: 'tanh' })
      .apply(tg.layers.concatenate().apply([h, b]) as tg.SymbolicTensor);
    const m = tg.model({ inputs: [a, b], outputs: y as tg.SymbolicTensor });
    await checkAll(
      m,
      [tg.randn([2, 8, 8, 4], { rng: new tg.Rng(2) }), tg.randn([2, 3], { rng: new tg.Rng(3) })],
      'functional',
    );
  });

  it('softplus, mish and log1p/expm1 (ONNX Softplus; log(1 + x) and eˣ − 1)', async () => {
    class Net extends tg.nn.Module {
      fc = new tg.nn.Linear(3, 4);
      forward(x: tg.Tensor) {
        const h = tg.softplus(this.fc.forward(x));
        return tg.add(tg.mish(h), tg.expm1(tg.log1p(tg.mul(h, 0.5))));
      }
    }
    await checkAll(new Net().eval(), [tg.randn([2, 3], { rng: new tg.Rng(7) })], 'softplus');
  });

  it('a PyTorch-style Module (NCHW conv, LSTM) with a sample input', async () => {
    class Net extends tg.nn.Module {
      conv = new tg.nn.Conv2d(1, 3, 3, { padding: 1 });
      lstm = new tg.nn.LSTM(3, 4, { batchFirst: true });
      fc = new tg.nn.Linear(4, 2);
      forward(x: tg.Tensor) {
        const c = tg.relu(this.conv.forward(x)) as tg.Tensor; // [n, 3, 5, 5]
        const seq = tg.transpose(tg.mean(c, [2]), [0, 2, 1]); // [n, 5, 3]
        const [out] = this.lstm.forward(seq) as tg.Tensor[];
        return this.fc.forward(tg.slice(out, [0, 4, 0], [-1, 1, -1]).reshape([-1, 4]));
      }
    }
    const net = new Net().eval();
    await checkAll(net, [tg.randn([2, 1, 5, 5], { rng: new tg.Rng(4) })], 'module');
  });

  it('an imported PyTorch ONNX model exports again (round trip of a round trip)', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'cnn.onnx'));
    await checkAll(m, [tg.randn([2, 1, 28, 28], { rng: new tg.Rng(5) })], 'reexport');
  });

  const keras = kerasFixturesDir();
  it.skipIf(!keras)('a Keras-imported model (.h5 → .onnx)', async () => {
    const m = await tg.keras.loadModel(join(keras!, 'dl4j-cnn-batchnorm', 'cnn_batch_norm.h5'));
    const x = tg.readNpy(join(keras!, 'dl4j-cnn-batchnorm', 'input.npy'));
    await checkAll(m, [tg.cast(x, 'float32')], 'keras');
  });

  it.skipIf(!hasChecker)(
    'every exported file passes onnx.checker.check_model(full_check=True) (python3-onnx)',
    () => {
      expect(exported.length).toBeGreaterThanOrEqual(4);
      const out = execFileSync(PY, [
        '-c',
        'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("checked", len(sys.argv) - 1)',
        ...exported,
      ]);
      expect(String(out)).toContain(`checked ${exported.length}`);
    },
  );

  it('a functional model exports without a sample input: its Input layers give the shapes', async () => {
    const a = tg.input({ shape: [3, 2] });
    const b = tg.input({ shape: [4] });
    const y = tg.layers
      .dense({ units: 2 })
      .apply(
        tg.layers
          .concatenate()
          .apply([tg.layers.flatten().apply(a) as tg.SymbolicTensor, b]) as tg.SymbolicTensor,
      ) as tg.SymbolicTensor;
    const m = tg.model({ inputs: [a, b], outputs: y });
    const bytes = tg.onnx.exportModel(m);
    const xs = [tg.randn([3, 3, 2], { rng: new tg.Rng(8) }), tg.randn([3, 4], { rng: new tg.Rng(9) })];
    const [got] = await ortRun(bytes, xs); // traced at batch 1, run at 3 (symbolic batch)
    expectClose(got, (m.predict(xs) as tg.Tensor).data);
  });

  it('refuses an opset outside 13–17 and a model without an input shape, by name', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
    expect(() => tg.onnx.exportModel(m, { opset: 9 })).toThrow(
      /opset 9 is not supported \(supported: 13–17\)/,
    );
    class Free extends tg.nn.Module {
      forward(x: tg.Tensor) {
        return x;
      }
    }
    expect(() => tg.onnx.exportModel(new Free())).toThrow(/has no declared input shape; pass \{ sampleInput/);
  });
});
