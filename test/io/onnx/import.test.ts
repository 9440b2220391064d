// tg.onnx.loadModel on models exported by PyTorch (test/fixtures/onnx/make_fixtures.py): outputs and gradients
// against PyTorch's own (stored in <name>.ref.json), summary rows, fine-tuning with fit / grads / a hand loop.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { localFixtures } from '../fixtures-dir.js';

const dir = join(localFixtures, 'onnx');
interface Ref {
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  seed: number[];
  inputGrad: number[];
  paramGrads: Record<string, number[]>;
}
const ref = (name: string): Ref => JSON.parse(readFileSync(join(dir, `${name}.ref.json`), 'utf8'));
/**
 * |got − want| ≤ atol + rtol·|want| elementwise, with atol at least 1e-6 of the tensor's largest |want|.
 * NOTE: an entry near 0 that sums terms the size of the tensor's largest carries a few f32 ulps of that scale: fc2's
 * weight gradient (entries up to 107, ulp 7.6e-6) differs from PyTorch's by up to 3.9e-5 on entries near 0, with either
 * kernel build (fused multiply-add or not). A fixed atol of 1e-5 sits below one ulp of such a tensor.
 */
const close = (got: ArrayLike<number>, want: number[], rtol = 1e-4, atol = 1e-5) => {
  expect(got.length).toBe(want.length);
  atol = Math.max(atol, 1e-6 * Math.max(...want.map(Math.abs)));
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i] - want[i]) - rtol * Math.abs(want[i]));
  expect(worst).toBeLessThanOrEqual(atol);
};

describe.each(['cnn', 'mlp', 'rnn'])('PyTorch export %s.onnx', (name) => {
  it('predicts PyTorch’s outputs', async () => {
    const r = ref(name);
    const m = await tg.onnx.loadModel(join(dir, `${name}.onnx`));
    const y = m.predict(tg.tensor(r.input.data, r.input.shape)) as tg.Tensor;
    expect(y.shape).toEqual(r.output.shape);
    close(y.data, r.output.data);
  });

  it('has PyTorch’s gradients for the input and every initializer PyTorch names', async () => {
    const r = ref(name);
    const m = await tg.onnx.loadModel(join(dir, `${name}.onnx`));
    const x = tg.tensor(r.input.data, r.input.shape, { requiresGrad: true });
    const y = m.apply(x, { training: false }) as tg.Tensor;
    tg.sum(tg.mul(y, tg.tensor(r.seed, y.shape))).backward();
    close(x.grad!.data, r.inputGrad, 1e-3, 1e-5);
    let checked = 0;
    for (const [p, g] of Object.entries(r.paramGrads)) {
      const t = m.initializers.get(p);
      if (!t) continue; // PyTorch renames RNN weights (onnx::LSTM_*) after reordering their gates
      expect(t.requiresGrad).toBe(true);
      close(t.grad!.data, g, 1e-3, 1e-5);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(name === 'rnn' ? 2 : 6);
  });
});

describe('OnnxModel', () => {
  it('summary: one row per node, the batch axis as None, parameters counted once', async () => {
    const m = await tg.onnx.loadModel(join(dir, 'cnn.onnx'));
    const lines: string[] = [];
    const text = m.summary({ print: (l) => lines.push(l) });
    expect(text).toMatch(/Conv \S*\s+\(None, 8, 28, 28\)\s+80/);
    expect(text).toMatch(/\(BatchNormalization\)\s+\(None, 8, 28, 28\)\s+32/);
    expect(text).toMatch(/\(Gemm\)\s+\(None, 10\)\s+170/);
    const rows = lines.filter((l) =>
      /\((Conv|BatchNormalization|Relu|MaxPool|Gemm|Constant|Pad|AveragePool|Flatten|Div|Erf|Add|Mul)\)/.test(
        l,
      ),
    );
    expect(rows.length).toBe(m.layers.length);
    // running mean/var are non-trainable weights; the rest is trainable
    expect(text).toMatch(/Non-trainable params: 16\b/);
    const total = [...m.initializers.values()].reduce((a, t) => a + (t.dtype === 'int32' ? 0 : t.size), 0);
    expect(text).toContain(`Total params: ${total.toLocaleString('en-US')}`);
  });

  it('fine-tunes with compile/fit: the loss falls', async () => {
    const m = await tg.onnx.loadModel(join(dir, 'mlp.onnx'));
    const x = tg.randn([24, 6], { rng: new tg.Rng(1) });
    const labels = tg.tensor(
      Array.from({ length: 24 }, (_, i) => i % 3),
      [24],
      { dtype: 'int32' },
    );
    // the model ends in LogSoftmax, so NLL = mean(-logp[label]) is the loss
    const nll = (y: tg.Tensor, p: tg.Tensor) =>
      tg.neg(
        tg.mean(
          tg.gather(
            tg.reshape(p, [-1]),
            tg.add(
              tg.mul(tg.arange(0, y.shape[0], 1, { dtype: 'int32' }), 3),
              tg.cast(tg.reshape(y, [-1]), 'int32'),
            ),
          ),
        ),
      );
    m.compile({ optimizer: tg.train.adam(0.05), loss: nll });
    const before = m.evaluate(x, labels).loss;
    await m.fit(x, labels, { epochs: 15, batchSize: 24, verbose: 0 });
    expect(m.evaluate(x, labels).loss).toBeLessThan(before * 0.6);
  });

  it('fine-tunes the last Gemm with tg.valueAndGrads (callWith) and with backward() in hand-written loops', async () => {
    const m = await tg.onnx.loadModel(join(dir, 'cnn.onnx'));
    const x = tg.rand([4, 1, 28, 28], { rng: new tg.Rng(2) }); // pixel-like values in [0, 1]
    // reachable by the last layer alone (its weights halved), so the loss can go to 0
    const target = tg.mul(m.predict(x) as tg.Tensor, 0.5);
    const [w, b] = ['fc2.weight', 'fc2.bias'].map((n) => m.initializers.get(n)!);
    const conv = m.initializers.get('conv1.weight')!.data.slice();
    const mse = (y: tg.Tensor) => tg.mean(tg.square(tg.sub(y, target)));
    const first = tg.noGrad(() => mse(m.predict(x) as tg.Tensor)).item();
    const f = (wi: tg.Tensor, bi: tg.Tensor) =>
      mse(m.callWith({ 'fc2.weight': wi, 'fc2.bias': bi }, x) as tg.Tensor);
    // Polyak's step size loss/‖g‖² (halved): safe for a loss quadratic in the last layer, whatever its scale
    const step = (loss: number, gs: tg.Tensor[]) =>
      (0.5 * loss) / gs.reduce((a, g) => a + tg.sum(tg.square(g)).item(), 0);
    for (let i = 0; i < 10; i++) {
      const { value, grads } = tg.valueAndGrads(f)(w, b);
      const lr = step(value.item(), grads);
      tg.noGrad(() => [w, b].forEach((p, j) => p.data.set(tg.sub(p, tg.mul(grads[j], lr)).data)));
    }
    const mid = tg.noGrad(() => mse(m.predict(x) as tg.Tensor)).item();
    expect(mid).toBeLessThan(first * 0.8);
    // PyTorch style: backward() fills .grad of the initializers
    for (let i = 0; i < 10; i++) {
      [w, b].forEach((p) => p.zeroGrad());
      const loss = mse(m.apply(x, { training: false }) as tg.Tensor);
      loss.backward();
      const lr = step(loss.item(), [w.grad!, b.grad!]);
      tg.noGrad(() => [w, b].forEach((p) => p.data.set(tg.sub(p, tg.mul(p.grad!, lr)).data)));
    }
    expect(tg.noGrad(() => mse(m.predict(x) as tg.Tensor)).item()).toBeLessThan(mid);
    expect(m.initializers.get('conv1.weight')!.data).toEqual(conv);
  });

  it('explain and trace see ONNX nodes: Conv, pooling and Gemm nodes explained on the shapes they receive', async () => {
    const m = await tg.onnx.loadModel(join(dir, 'cnn.onnx'));
    const conv = tg.onnx.explainNode(m, '/conv1/Conv', { backward: true });
    expect(conv).toContain('kernel W [8,1,3,3] (OIHW), bias b [8]; output [1,8,28,28]');
    expect(conv).toContain('Parameters: (3·3·1+1)·8 = 80');
    expect(conv).toMatch(/Backward/);
    // PyTorch's ceil_mode AvgPool (after its Pad) and the grouped conv's input shapes come from the running model
    expect(tg.onnx.explainNode(m, '/pool2/AveragePool')).toContain('avgPool2d op on input [1,8,12,12]');
    expect(tg.onnx.explainNode(m, '/fc2/Gemm')).toContain(
      'dense op (x·W + b) on input [1,16]; output [1,10]',
    );
    expect(() => tg.onnx.explainNode(m, '/Relu')).toThrow(
      /explaining Relu on input \[1,8,28,28\] is not supported \(supported: Conv, MaxPool/,
    );
    expect(() => tg.onnx.explainNode(m, 'nope')).toThrow(/no node named 'nope' \(nodes: \/conv1\/Conv, /);
    const t = String(
      tg.trace((x: tg.Tensor) => m.apply(x, { training: false }) as tg.Tensor, tg.zeros([1, 1, 28, 28])),
    );
    expect(t).toMatch(/im2col .*torch_jit\/\/conv1\/Conv/);
  });

  it('accepts any batch size for a symbolic batch axis and checks fixed axes', async () => {
    const m = await tg.onnx.loadModel(join(dir, 'cnn.onnx'));
    expect((m.predict(tg.zeros([5, 1, 28, 28])) as tg.Tensor).shape).toEqual([5, 10]);
    // NOTE: Model.predict checks inputs first (src/nn/keras/data-checks.ts), with the layout hint for NCHW graphs
    expect(() => m.predict(tg.zeros([1, 28, 28, 1]))).toThrow(
      /must have shape \[-1,1,28,28\] \(-1 = any\), got \[1,28,28,1\] — channels last\? the model expects channels first/,
    );
    // and the graph itself names the ONNX input when called directly
    expect(() => m.apply(tg.zeros([1, 28, 28, 1]))).toThrow(
      /input 'x' expects shape \[batch,1,28,28\], got \[1,28,28,1\]/,
    );
  });
});
