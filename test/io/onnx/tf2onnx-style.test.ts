// tf2onnx-STYLE graphs (test/fixtures/onnx/make_tf2onnx_style.py, written with python3-onnx: not files tf2onnx
// wrote, since there is no TensorFlow here) through tg.onnx against ONNX Runtime Web on the same file and input:
// NHWC input → Transpose → Conv → Transpose, Keras Flatten as Reshape [-1, k], MatMul + Add instead of Gemm, and a
// Keras LSTM as one ONNX LSTM between Transposes and Squeezes. Both the inference plan and the layer path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { localFixtures } from '../fixtures-dir.js';

ort.env.wasm.numThreads = 1;

describe.each([
  ['tf2onnx_cnn.onnx', [3, 8, 8, 3]],
  ['tf2onnx_lstm.onnx', [3, 5, 4]],
] as const)('tf2onnx-style %s', (file, shape) => {
  it('gives ONNX Runtime Web’s outputs (plan and node by node), and trains', async () => {
    const bytes = readFileSync(join(localFixtures, 'onnx', file));
    const m = await tg.onnx.loadModel(bytes);
    const x = tg.randn([...shape], { rng: new tg.Rng(3) });
    const s = await ort.InferenceSession.create(bytes);
    const r = await s.run({ input_1: new ort.Tensor('float32', Float32Array.from(x.data), [...shape]) });
    for (const plan of [true, false]) {
      m.useInferencePlan = plan;
      const ys = m.predict(x);
      const outs = Array.isArray(ys) ? ys : [ys];
      s.outputNames.forEach((name, i) => {
        const want = r[name];
        expect(outs[i].shape).toEqual(want.dims);
        const a = outs[i].data;
        const b = want.data as Float32Array;
        let worst = 0;
        for (let j = 0; j < b.length; j++)
          worst = Math.max(worst, Math.abs(a[j] - b[j]) - 1e-5 * Math.abs(b[j]));
        expect(worst).toBeLessThanOrEqual(1e-5);
      });
    }
    // the MatMul's weight is a parameter: its gradient matches a central difference (float64 sums of float32 runs)
    const w = m.initializers.get('dense_w')!;
    const loss = (dw: tg.Tensor) => {
      const y = m.callWith({ dense_w: dw }, x);
      const y0 = Array.isArray(y) ? y[0] : y;
      return tg.sum(
        tg.mul(
          y0,
          tg.tensor(
            Array.from({ length: y0.size }, (_, i) => Math.sin(i + 1)),
            y0.shape,
          ),
        ),
      );
    };
    const [g] = tg.grads(loss)(w);
    expect(g.shape).toEqual(w.shape);
    const h = 1e-2;
    for (const i of [0, 7, w.size - 1]) {
      const at = (d: number) => {
        const v = Float32Array.from(w.data);
        v[i] += d;
        return tg.noGrad(() => loss(tg.tensor(v, w.shape)).item());
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      expect(Math.abs(g.data[i] - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
    }
  });
});
