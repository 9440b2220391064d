// Export with a symbolic batch axis (dynamicBatch, PyTorch's dynamic_axes): files traced at one batch size run in
// ONNX Runtime Web at batch 1, 3 and 7 with tapegrad's outputs, pass ONNX's checker (python3-onnx, where present),
// and graphs whose ops depend on the batch size are refused by name instead of baked in. A gather of whole slices of
// another axis (a constant index whose flat form spans the batch) is a Gather of its indices.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker as hasChecker } from '../../support/onnx-checker.js';
import { GraphBuilder } from '../../../src/io/onnx/export-graph.js';
import { decodeModel } from '../../../src/io/onnx/proto.js';
import { encodeGraph, io, str } from '../../support/onnx-graph.js';
import { localFixtures } from '../fixtures-dir.js';

ort.env.wasm.numThreads = 1;
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-batch-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The dims of a graph input or output as written: numbers and dim_param names. */
const dimsOf = (bytes: Uint8Array, which: 'input' | 'output') =>
  decodeModel(bytes).graph![which].map((v) =>
    v.type!.tensorType!.shape!.dim.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
  );

const rng = new tg.Rng(11);
/** Runs `bytes` in ORT at each batch size and compares with tapegrad's outputs on the same rows. */
async function expectRunsAtBatches(model: tg.Layer, bytes: Uint8Array, rowShape: number[]) {
  const s = await ort.InferenceSession.create(bytes);
  for (const n of [1, 3, 7]) {
    const x = tg.randn([n, ...rowShape], { rng });
    const want = tg.noGrad(() => model.apply(x, { training: false })) as tg.Tensor;
    const r = await s.run({
      [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
    });
    const got = r[s.outputNames[0]];
    expect(got.dims).toEqual(want.shape);
    const a = got.data as Float32Array;
    const b = want.data;
    let worst = 0;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - 1e-5 * Math.abs(b[i]));
    expect(worst).toBeLessThanOrEqual(1e-5);
  }
}

const files: string[] = [];
const keep = (name: string, bytes: Uint8Array) => {
  const p = join(tmp, `${name}.onnx`);
  writeFileSync(p, bytes);
  files.push(p);
};

describe('export with a symbolic batch axis', () => {
  it('a Sequential CNN traced at batch 2 runs at 1, 3 and 7 (Reshape -1, softmax)', async () => {
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
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 10, 10, 2], { rng }) });
    expect(dimsOf(bytes, 'input')).toEqual([['batch', 10, 10, 2]]);
    expect(dimsOf(bytes, 'output')).toEqual([['batch', 3]]);
    await expectRunsAtBatches(m, bytes, [10, 10, 2]);
    keep('seq', bytes);
  });

  it('a Module with an LSTM: its zero initial state becomes ConstantOfShape of the run-time batch', async () => {
    class Net extends tg.nn.Module {
      conv = new tg.nn.Conv2d(1, 3, 3, { padding: 1 });
      lstm = new tg.nn.LSTM(3, 4, { batchFirst: true });
      fc = new tg.nn.Linear(4, 2);
      forward(x: tg.Tensor) {
        const c = tg.relu(this.conv.forward(x)) as tg.Tensor;
        const seq = tg.transpose(tg.mean(c, [2]), [0, 2, 1]);
        const [out] = this.lstm.forward(seq) as tg.Tensor[];
        return this.fc.forward(tg.slice(out, [0, 4, 0], [-1, 1, -1]).reshape([-1, 4]));
      }
    }
    const net = new Net().eval();
    const bytes = tg.onnx.exportModel(net, {
      sampleInput: tg.randn([2, 1, 5, 5], { rng }),
      dynamicBatch: 'N',
    });
    expect(dimsOf(bytes, 'input')).toEqual([['N', 1, 5, 5]]);
    const ops = decodeModel(bytes).graph!.node.map((n) => n.opType);
    expect(ops).toContain('ConstantOfShape');
    await expectRunsAtBatches(net, bytes, [1, 5, 5]);
    keep('lstm', bytes);
  });

  it('an imported PyTorch CNN re-exports with its symbolic batch; a fixed-batch graph stays fixed', async () => {
    const m = await tg.onnx.loadModel(join(localFixtures, 'onnx', 'cnn.onnx'));
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 1, 28, 28], { rng }) });
    expect(dimsOf(bytes, 'input')).toEqual([['batch', 1, 28, 28]]);
    await expectRunsAtBatches(m, bytes, [1, 28, 28]);
    keep('reexport', bytes);
    const fixed = await tg.onnx.loadModel(tg.onnx.exportModel(m, { batchSize: 2, dynamicBatch: false }));
    expect(dimsOf(tg.onnx.exportModel(fixed), 'input')).toEqual([[2, 1, 28, 28]]); // its own batch size wins
    expect(() => tg.onnx.exportModel(fixed, { dynamicBatch: true })).toThrow(
      /dynamicBatch\): .* does not run at batch 3 .*expects shape \[2,1,28,28\].*dynamicBatch: false/,
    );
  });

  it('a gather of whole slices of another axis is a Gather of its indices (time reversal, Slice step -1, reflect Pad)', async () => {
    // Bidirectional re-reverses the backward sequence in time: gather along axis 1, whose flat indices span the batch
    const m = tg.sequential();
    m.add(
      tg.layers.bidirectional({
        layer: tg.layers.gru({ units: 2, returnSequences: true }),
        inputShape: [4, 3],
      }),
    );
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 4, 3], { rng }) });
    const gathers = decodeModel(bytes).graph!.node.filter((n) => n.opType === 'Gather');
    expect(gathers.some((n) => n.attribute.some((a) => a.name === 'axis' && Number(a.i) === 1))).toBe(true);
    await expectRunsAtBatches(m, bytes, [4, 3]);
    keep('gather', bytes);
    // an imported ONNX graph whose Slice (step -1) and reflect Pad tapegrad runs as gathers along axis 1
    const g = new GraphBuilder(13);
    const rev = g.node('Slice', ['x', g.int64([-1]), g.int64([-1000]), g.int64([1]), g.int64([-1])]);
    const y = g.node('Pad', [rev, g.int64([0, 1, 0, 0, 2, 0])], [str('mode', 'reflect')]);
    const imported = await tg.onnx.loadModel(
      encodeGraph(g, 'rev', [io('x', ['n', 4, 3])], [io(y, ['n', 7, 3])]),
    );
    const again = tg.onnx.exportModel(imported, { sampleInput: tg.randn([2, 4, 3], { rng }) });
    expect(dimsOf(again, 'input')).toEqual([['batch', 4, 3]]);
    await expectRunsAtBatches(imported, again, [4, 3]);
    keep('gather-imported', again);
  });

  it('refuses graphs whose ops depend on the batch size, by name', () => {
    const lambda = (f: (x: tg.Tensor) => tg.Tensor) => {
      class L extends tg.nn.Module {
        forward(x: tg.Tensor) {
          return f(x);
        }
      }
      return new L();
    };
    const x = tg.randn([4, 3], { rng });
    // all rows but the last: a slice of the batch axis
    expect(() =>
      tg.onnx.exportModel(
        lambda((t) => tg.slice(t, [0, 0], [t.shape[0] - 1, -1])),
        { sampleInput: x },
      ),
    ).toThrow(
      /dynamicBatch\): .* slices axis 0 of a \[4,3\] value .* changes with the batch.*dynamicBatch: false/,
    );
    // a constant whose values depend on the batch size (row numbers)
    expect(() =>
      tg.onnx.exportModel(
        lambda((t) => tg.add(t, tg.reshape(tg.arange(t.shape[0]), [-1, 1]))),
        { sampleInput: x },
      ),
    ).toThrow(/uses a \[4\] constant whose size or values change with the batch \(\[5\] at batch 5\)/);
    // the batch axis reversed: indices that change with the batch
    expect(() =>
      tg.onnx.exportModel(
        lambda((t) => tg.gather(t, [...Array(t.shape[0]).keys()].reverse(), 0)),
        { sampleInput: x },
      ),
    ).toThrow(/uses a \[4,3\] constant whose size or values change with the batch \(\[5,3\] at batch 5\)/);
    // a batch size written into the model
    expect(() =>
      tg.onnx.exportModel(
        lambda((t) => tg.reshape(t, [4, -1])),
        { sampleInput: x },
      ),
    ).toThrow(/does not run at batch 5/);
    // fixed on request: the same model exports with its traced batch
    const bytes = tg.onnx.exportModel(
      lambda((t) => tg.reshape(t, [4, -1])),
      { sampleInput: x, dynamicBatch: false },
    );
    expect(dimsOf(bytes, 'input')).toEqual([[4, 3]]);
  });

  it.skipIf(!hasChecker)('the files pass onnx.checker.check_model(full_check=True) (python3-onnx)', () => {
    expect(files.length).toBe(5);
    const out = execFileSync(PY, [
      '-c',
      'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("checked", len(sys.argv) - 1)',
      ...files,
    ]);
    expect(String(out)).toContain(`checked ${files.length}`);
  });
  if (!hasChecker)
    it.skip('checker skipped: Debian package python3-onnx is not installed (/usr/bin/python3 -c "import onnx")', () => {});
});
