// An imported ONNX Gather on axis ≥ 1 with constant indices (an initializer, a Constant node, a Shape → Gather
// chain; negative, scalar and 2-D indices) re-exports with a symbolic batch: the file is a Gather of its indices
// along that axis, and ONNX Runtime Web runs it at batch 1, 3 and 7 with a naive loop of ONNX's Gather formula
// (out[i..., j..., r...] = x[i..., k[j...], r...]) and the import's own predictions. Indices that depend on the
// batch size are still refused by name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker as hasChecker } from '../../support/onnx-checker.js';
import { BatchExportError } from '../../../src/io/onnx/export-batch.js';
import { GraphBuilder } from '../../../src/io/onnx/export-graph.js';
import { DataType, decodeModel } from '../../../src/io/onnx/proto.js';
import { tensorToProto } from '../../../src/io/onnx/tensor-proto.js';
import { encodeGraph, int, io } from '../../support/onnx-graph.js';
import { throwsA } from '../../support/throws.js';

ort.env.wasm.numThreads = 1;
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-gather-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const files: string[] = [];
const rng = new tg.Rng(5);
const ROW = [5, 3]; // the input is [N, 5, 3]

/** An int64 Constant node holding `v` with this shape; returns its output name. */
const constant = (g: GraphBuilder, v: number[], shape: number[]) =>
  g.node(
    'Constant',
    [],
    [
      {
        name: 'value',
        type: 4,
        t: tensorToProto({ t: new tg.Tensor(Int32Array.from(v), shape), type: DataType.INT64 }, 'k'),
      } as never,
    ],
  );

/** ONNX Gather by its formula on a [N, 5, 3] input: indices k (negative from the end) of shape ks along `axis`. */
function naiveGather(
  x: tg.Tensor,
  k: number[],
  ks: number[],
  axis: number,
): { data: number[]; shape: number[] } {
  const s = x.shape;
  const d = x.data;
  const outShape = [...s.slice(0, axis), ...ks, ...s.slice(axis + 1)];
  const outer = s.slice(0, axis).reduce((p, v) => p * v, 1);
  const inner = s.slice(axis + 1).reduce((p, v) => p * v, 1);
  const data: number[] = [];
  for (let i = 0; i < outer; i++)
    for (const kj of k) {
      const kk = kj < 0 ? kj + s[axis] : kj;
      for (let r = 0; r < inner; r++) data.push(d[(i * s[axis] + kk) * inner + r]);
    }
  return { data, shape: outShape };
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i] - want[i]) - 1e-6 * Math.abs(want[i]));
  expect(worst).toBeLessThanOrEqual(1e-6);
}

/** Import the one-Gather graph, export it traced at batch 2, and run the file in ORT at batch 1, 3 and 7. */
async function roundTrip(
  label: string,
  build: (g: GraphBuilder) => string,
  k: number[],
  ks: number[],
  axis: number,
) {
  const g = new GraphBuilder(13);
  const y = build(g);
  const outDims = naiveGather(tg.zeros([1, ...ROW]), k, ks, axis).shape.map((d, i) => (i === 0 ? 'n' : d));
  const m = await tg.onnx.loadModel(encodeGraph(g, label, [io('x', ['n', ...ROW])], [io(y, outDims)]));
  const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, ...ROW], { rng }) });
  const graph = decodeModel(bytes).graph!;
  expect(graph.input[0].type!.tensorType!.shape!.dim[0].dimParam).toBe('batch');
  expect(graph.output[0].type!.tensorType!.shape!.dim[0].dimParam).toBe('batch');
  // the file gathers k along the axis: no flat index over the whole (batch-sized) input
  const gathers = graph.node.filter((n) => n.opType === 'Gather');
  expect(gathers.some((n) => n.attribute.some((a) => a.name === 'axis' && Number(a.i) === axis))).toBe(true);
  const p = join(tmp, `${label}.onnx`);
  writeFileSync(p, bytes);
  files.push(p);
  const s = await ort.InferenceSession.create(bytes);
  for (const n of [1, 3, 7]) {
    const x = tg.randn([n, ...ROW], { rng });
    const want = naiveGather(x, k, ks, axis);
    const mine = m.predict(x) as tg.Tensor;
    expect(mine.shape).toEqual(want.shape);
    expectClose(mine.data, want.data);
    const r = await s.run({
      [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
    });
    const got = r[s.outputNames[0]];
    expect([...got.dims]).toEqual(want.shape);
    expectClose(got.data as Float32Array, want.data);
  }
}

describe('an imported Gather of constant indices on axis ≥ 1 re-exports with a symbolic batch', () => {
  it('indices in an initializer (axis 1, a negative index)', async () => {
    await roundTrip(
      'init-axis1',
      (g) => g.node('Gather', ['x', g.int64([4, 0, -2])], [int('axis', 1)]),
      [4, 0, -2],
      [3],
      1,
    );
  });

  it('indices in a Constant node: 1-D on axis 1, 2-D on axis 1, a scalar on axis 2 (drops the axis)', async () => {
    await roundTrip(
      'const-axis1',
      (g) => g.node('Gather', ['x', constant(g, [1, 3], [2])], [int('axis', 1)]),
      [1, 3],
      [2],
      1,
    );
    await roundTrip(
      'const-2d',
      (g) => g.node('Gather', ['x', constant(g, [0, 1, 4, -1], [2, 2])], [int('axis', 1)]),
      [0, 1, 4, -1],
      [2, 2],
      1,
    );
    await roundTrip(
      'const-scalar-axis2',
      (g) => g.node('Gather', ['x', constant(g, [2], [])], [int('axis', 2)]),
      [2],
      [],
      2,
    );
  });

  it('indices from Shape → Gather (the last dim, 3, minus 1: a constant at any batch size)', async () => {
    await roundTrip(
      'shape-derived',
      (g) => {
        const last = g.node('Gather', [g.node('Shape', ['x']), g.int64([2])], [int('axis', 0)]);
        return g.node('Gather', ['x', g.node('Sub', [last, g.int64([1])])], [int('axis', 2)]);
      },
      [2],
      [1],
      2,
    );
  });

  it('indices that depend on the batch size are refused by name, and export with a fixed batch', async () => {
    const g = new GraphBuilder(13);
    const batch = g.node('Gather', [g.node('Shape', ['x']), g.int64([0])], [int('axis', 0)]);
    const y = g.node('Gather', ['x', g.node('Sub', [batch, g.int64([1])])], [int('axis', 1)]);
    const m = await tg.onnx.loadModel(
      encodeGraph(g, 'by-batch', [io('x', ['n', ...ROW])], [io(y, ['n', 1, 3])]),
    );
    const x = tg.randn([2, ...ROW], { rng });
    throwsA(BatchExportError, () => tg.onnx.exportModel(m, { sampleInput: x }), [
      'onnx export (dynamicBatch): by-batch',
      'change with the batch',
      "(in layer 'by-batch/Gather_", // the node that gathers by them
      'dynamicBatch: false',
    ]);
    const s = await ort.InferenceSession.create(
      tg.onnx.exportModel(m, { sampleInput: x, dynamicBatch: false }),
    );
    const r = await s.run({
      [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
    });
    expectClose(r[s.outputNames[0]].data as Float32Array, naiveGather(x, [1], [1], 1).data);
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
});
