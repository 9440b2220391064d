// A model whose call returns nested arrays of tensors (tg.nn.LSTM's [output, [h_n, c_n]], as PyTorch's tuple)
// exports each tensor as one graph output, in order, as torch.onnx.export flattens an output tuple; ONNX Runtime
// Web gives tapegrad's three tensors at batch 1 and 3 (h_n and c_n have the batch on axis 1), and the file passes
// onnx.checker. An output that is no tensor is refused by name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker } from '../../support/onnx-checker.js';
import { throwsA } from '../../support/throws.js';

ort.env.wasm.numThreads = 1;
const rng = new tg.Rng(41);
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-nested-out-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('nested outputs are flattened into graph outputs', () => {
  it('tg.nn.LSTM (2 layers, batchFirst) exported directly: output, h_n, c_n in ONNX Runtime Web at batch 1 and 3', async () => {
    const lstm = new tg.nn.LSTM(3, 4, { numLayers: 2, batchFirst: true });
    lstm.eval();
    const bytes = tg.onnx.exportModel(lstm, { sampleInput: tg.randn([2, 5, 3], { rng }) });
    const s = await ort.InferenceSession.create(bytes);
    expect(s.outputNames.length).toBe(3);
    for (const n of [1, 3]) {
      const x = tg.randn([n, 5, 3], { rng });
      const want = (tg.noGrad(() => lstm.forward(x)) as unknown as unknown[]).flat() as tg.Tensor[];
      const got = await s.run({
        [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
      });
      want.forEach((w, k) => {
        const g = got[s.outputNames[k]];
        expect(g.dims, `output ${k} at batch ${n}`).toEqual(w.shape);
        const a = g.data as Float32Array;
        for (let i = 0; i < w.size; i++)
          expect(Math.abs(a[i] - w.data[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(w.data[i])));
      });
    }
    const path = join(tmp, 'lstm.onnx');
    writeFileSync(path, bytes);
    if (hasOnnxChecker)
      execFileSync(PY, [
        '-c',
        'import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)',
        path,
      ]);
  });

  it('an output that is no tensor is refused, naming where it is', () => {
    class Odd extends tg.nn.Module {
      lin = new tg.nn.Linear(3, 2);
      forward(x: tg.Tensor) {
        return [this.lin.forward(x), [x, 7]] as unknown as tg.Tensor;
      }
    }
    throwsA(tg.ValueError, () => tg.onnx.exportModel(new Odd(), { sampleInput: tg.randn([2, 3], { rng }) }), [
      'returned number at output[1][1]',
      "an ONNX graph's outputs are tensors",
    ]);
  });
});
