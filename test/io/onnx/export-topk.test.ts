// tg.topk exported to ONNX: its index primitive becomes an ONNX TopK (second output, cast to int32) and the values
// a Gather; ONNX Runtime Web must give the model's own outputs, ties included (both take the lower index first).
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

ort.env.wasm.numThreads = 1;

class TopTwo extends tg.nn.Module {
  forward(x: tg.Tensor) {
    // the values times a rank-dependent weight of the indices, so both outputs reach the graph's output
    const { values, indices } = tg.topk(x, 2);
    return tg.add(values, tg.mul(tg.cast(indices, 'float32'), 100));
  }
}

describe('ONNX export of tg.topk', () => {
  it('runs in ONNX Runtime Web with the same values and indices, on rows with ties', async () => {
    const net = new TopTwo().eval();
    const a = tg.tensor([
      [1, 3, 3, 2],
      [0, -1, 5, 5],
      [2, 2, 2, 2],
    ]);
    const b = tg.tensor([
      [4, 1, 0, 4],
      [7, 6, 7, 6],
      [-1, -2, -3, -4],
    ]);
    const bytes = tg.onnx.exportModel(net, { sampleInput: a, dynamicBatch: false });
    const s = await ort.InferenceSession.create(bytes);
    for (const x of [a, b]) {
      const r = await s.run({
        [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [3, 4]),
      });
      const want = tg.noGrad(() => net.forward(x));
      expect(Array.from(r[s.outputNames[0]].data as Float32Array)).toEqual(Array.from(want.data));
    }
    // [1, 3, 3, 2]: values 3, 3 at indices 1, 2 (the lower index first)
    expect(Array.from(tg.noGrad(() => net.forward(a)).data).slice(0, 2)).toEqual([103, 203]);
  });
});
