// Shared by the export round-trip tests (export-layers, export-modules): a model per layer kind, traced at batch 2
// with a symbolic batch; its file runs in ONNX Runtime Web at batch 1 and 3 with tapegrad's outputs on the same rows
// (1e-5 relative), imports back with them, and passes onnx.checker.check_model(full_check=True) (Debian python3-onnx,
// where present).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker as hasChecker } from '../../support/onnx-checker.js';

ort.env.wasm.numThreads = 1;

export type Input = { shape: number[]; ints?: number; zeroStep?: boolean };
/**
 * A model (or module) and its inputs' row shapes; `ints` makes an int32 input of indices below it, `zeroStep` zeros
 * step 1 of every other row (a step Masking masks).
 */
export type Case = [name: string, make: () => tg.Layer, inputs: Input[]];

export const rng = new tg.Rng(31);
export const sample = (n: number, inputs: Input[]) =>
  inputs.map(({ shape, ints, zeroStep }) => {
    const size = n * shape.reduce((a, b) => a * b, 1);
    if (ints)
      return tg.tensor(
        Array.from({ length: size }, () => rng.int(ints)),
        [n, ...shape],
        { dtype: 'int32' },
      );
    const x = tg.randn([n, ...shape], { rng });
    const row = size / n;
    const step = row / shape[0];
    if (zeroStep) for (let i = 0; i < n; i += 2) x.data.fill(0, i * row + step, i * row + 2 * step);
    return x;
  });

/** A Sequential of `layers` after an input of `shape`. */
export const seq =
  (shape: number[], ...layers: (() => tg.Layer)[]) =>
  () => {
    const m = tg.sequential();
    m.add(tg.layers.inputLayer({ inputShape: shape }));
    for (const l of layers) m.add(l());
    return m;
  };
/** A functional model joining inputs of `shapes` with a merge layer. */
export const merged = (shapes: number[][], layer: () => tg.Layer) => () => {
  const ins = shapes.map((shape) => tg.input({ shape }));
  const y = layer().apply(ins) as tg.SymbolicTensor;
  return tg.model({ inputs: ins, outputs: y });
};
/** Set every weight to random values (so zero biases, unit gammas and zero moving means do not hide a wiring error). */
export function randomize(m: tg.Layer): tg.Layer {
  m.setWeights(m.getWeights().map((w) => tg.add(tg.mul(tg.randn(w.shape, { rng }), 0.5), 0.1)));
  return m;
}
/** Batch norm's moving variance must stay positive. */
export function randomizeBN(m: tg.Layer): tg.Layer {
  m.setWeights(
    m.getWeights().map((w, i, all) => {
      const r = tg.randn(w.shape, { rng });
      return i === all.length - 1 ? tg.add(tg.abs(r), 0.5) : tg.add(tg.mul(r, 0.5), 0.1);
    }),
  );
  return m;
}

/**
 * One test per case (ORT at batch 1 and 3, and the file imported back), then ONNX's checker on every file written.
 */
export function roundTrips(title: string, cases: Case[]): void {
  const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-roundtrip-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const files: string[] = [];
  describe(title, () => {
    for (const c of cases) it(c[0], () => roundTrip(c, tmp, files));
  });
  describe('onnx checker', () => {
    it.skipIf(!hasChecker)(
      'every file passes onnx.checker.check_model(full_check=True) (python3-onnx)',
      () => {
        expect(files.length).toBe(cases.length);
        const out = execFileSync(PY, [
          '-c',
          'import onnx, sys\nbad = []\nfor p in sys.argv[1:]:\n  try: onnx.checker.check_model(onnx.load(p), full_check=True)\n  except Exception as e: bad.append(p + ": " + str(e).splitlines()[0])\nprint("\\n".join(bad) if bad else "checked %d" % (len(sys.argv) - 1))',
          ...files,
        ]);
        expect(String(out).trim()).toBe(`checked ${files.length}`);
      },
    );
    if (!hasChecker)
      it.skip('skipped: Debian package python3-onnx is not installed (/usr/bin/python3 -c "import onnx" failed)', () => {});
  });
}

async function roundTrip([name, make, inputs]: Case, tmp: string, files: string[]) {
  const m = make();
  if (m instanceof tg.nn.Module) m.eval();
  const bytes = tg.onnx.exportModel(m, { sampleInput: sample(2, inputs) });
  const path = join(tmp, `${name.replace(/[^a-zA-Z0-9]+/g, '_')}.onnx`);
  writeFileSync(path, bytes);
  files.push(path);
  const s = await ort.InferenceSession.create(bytes);
  for (const n of [1, 3]) {
    const xs = sample(n, inputs);
    const want = tg.noGrad(() => m.apply(xs.length === 1 ? xs[0] : xs, { training: false })) as tg.Tensor;
    const feeds = Object.fromEntries(
      s.inputNames.map((k, i) => [
        k,
        xs[i].dtype === 'int32'
          ? new ort.Tensor('int32', Int32Array.from(xs[i].data), [...xs[i].shape])
          : new ort.Tensor('float32', Float32Array.from(xs[i].data), [...xs[i].shape]),
      ]),
    );
    const got = (await s.run(feeds))[s.outputNames[0]];
    expect(got.dims, `${name} at batch ${n}`).toEqual(want.shape);
    const a = got.data as Float32Array;
    const b = want.data;
    let worst = 0;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - 1e-5 * Math.abs(b[i]));
    expect(worst, `${name} at batch ${n}`).toBeLessThanOrEqual(1e-5);
    if (n === 3) {
      // and imported back: the same outputs in tapegrad
      const back = (await tg.onnx.loadModel(bytes)).predict(xs.length === 1 ? xs[0] : xs) as tg.Tensor;
      expect(back.shape).toEqual(want.shape);
      const c = back.data;
      for (let i = 0; i < b.length; i++)
        worst = Math.max(worst, Math.abs(c[i] - b[i]) - 1e-5 * Math.abs(b[i]));
      expect(worst, `${name} imported back`).toBeLessThanOrEqual(1e-5);
    }
  }
}
