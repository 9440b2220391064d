// What an export used to bake in or ignore silently, now refused by name: a number that changes with the batch size
// (a mean over the batch axis divides by it; a constant filled with it) under a symbolic batch, unknown options
// (PyTorch's `dynamic_axes`), a batchSize that disagrees with the sample input, a dynamicBatch that is neither a flag
// nor a name. The same models export with { dynamicBatch: false }, and ONNX Runtime Web then gives a naive loop's
// numbers at the traced batch size.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { BatchExportError } from '../../../src/io/onnx/export-batch.js';
import { throwsA } from '../../support/throws.js';

ort.env.wasm.numThreads = 1;
const rng = new tg.Rng(23);

const lambda = (f: (x: tg.Tensor) => tg.Tensor) => {
  class Fn extends tg.nn.Module {
    forward(x: tg.Tensor) {
      return f(x);
    }
  }
  return new Fn();
};

async function ortRun(bytes: Uint8Array, x: tg.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({
    [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
  });
  return r[s.outputNames[0]].data as Float32Array;
}

/** x − the mean of each column over the rows (the batch axis), by loops; x is [n, c]. */
function centerRows(x: tg.Tensor): number[] {
  const [n, c] = x.shape;
  const d = x.data;
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < c; j++) {
      let s = 0;
      for (let r = 0; r < n; r++) s += d[r * c + j];
      out.push(d[i * c + j] - s / n);
    }
  return out;
}

describe('a symbolic batch refuses numbers that change with the batch size', () => {
  it('a mean over the batch axis (its 1/n) is refused, naming the primitive and both values', async () => {
    const m = lambda((x) => tg.sub(x, tg.mean(x, 0, true)));
    const x = tg.randn([2, 3], { rng });
    throwsA(BatchExportError, () => tg.onnx.exportModel(m, { sampleInput: x }), [
      `onnx export (dynamicBatch): ${m.name} gives primitive 'binaryScalar' the parameter s = `,
      `(in layer '${m.name}')`,
      'at batch 2 but',
      'at batch 3',
      'dynamicBatch: false',
    ]);
    // fixed at the traced batch: ONNX Runtime follows the loop
    const got = await ortRun(tg.onnx.exportModel(m, { sampleInput: x, dynamicBatch: false }), x);
    const want = centerRows(x);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-6);
  });

  it('the batch size as a number, a mean over every element, a constant filled with the batch size', () => {
    const x = tg.randn([2, 3], { rng });
    throwsA(
      BatchExportError,
      () =>
        tg.onnx.exportModel(
          lambda((t) => tg.div(t, t.shape[0])),
          { sampleInput: x },
        ),
      ['the parameter s = 2 at batch 2 but 3 at batch 3'],
    );
    throwsA(
      BatchExportError,
      () =>
        tg.onnx.exportModel(
          lambda((t) => tg.add(t, tg.mean(t))),
          { sampleInput: x },
        ),
      ['the parameter s = 6 at batch 2 but 9 at batch 3'],
    );
    throwsA(
      BatchExportError,
      () =>
        tg.onnx.exportModel(
          lambda((t) => tg.add(t, tg.full([1, 3], t.shape[0]))),
          { sampleInput: x },
        ),
      ['uses a [1,3] constant whose values change with the batch (2, 2, 2 at batch 2, 3, 3, 3 at batch 3)'],
    );
  });
});

describe('export options are used or refused by name', () => {
  const m = () => lambda((x) => tg.relu(x));
  it('an unknown option (PyTorch-style dynamic_axes, input_names) is refused with the known ones', () => {
    expect(() =>
      tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), dynamic_axes: { input: [0] } } as never),
    ).toThrow(
      "onnx export: unknown option 'dynamic_axes' (known: opset, sampleInput, batchSize, name, dynamicBatch)",
    );
    expect(() =>
      tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), inputNames: ['x'] } as never),
    ).toThrow(/unknown option 'inputNames'/);
  });

  it('batchSize must agree with a sample input and be a positive integer; dynamicBatch a flag or a name', () => {
    expect(() => tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), batchSize: 8 })).toThrow(
      "onnx export: batchSize 8 disagrees with the sample input's batch (shapes [2,3]); pass one of them",
    );
    // agreeing is fine
    expect(tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), batchSize: 2 }).length).toBeGreaterThan(
      0,
    );
    expect(() => tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), batchSize: 0 })).toThrow(
      'onnx export: batchSize must be a positive integer, got 0',
    );
    expect(() =>
      tg.onnx.exportModel(m(), { sampleInput: tg.zeros([2, 3]), dynamicBatch: 1 as never }),
    ).toThrow('onnx export: dynamicBatch must be true, false or a dim name, got 1');
  });
});
