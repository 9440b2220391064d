// The `tapegrad` command with ONNX files, run as a child process: inspect and predict on .onnx, and
// convert of a Keras .h5 (and of an .onnx) to .onnx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { inspectOnnx } from '../../../src/io/onnx/cli.js';
import { kerasFixturesDir, localFixtures } from '../fixtures-dir.js';

const cli = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cnn = join(localFixtures, 'onnx', 'cnn.onnx');

describe('tapegrad CLI with .onnx', () => {
  it('inspect prints opset, inputs with symbolic dims, operators and what runs', () => {
    const r = run('inspect', cnn);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/cnn.onnx: ONNX \(IR version \d+, opset 13, produced by pytorch/);
    expect(r.out).toContain('x: FLOAT [batch, 1, 28, 28]');
    expect(r.out).toMatch(/Conv×2, BatchNormalization×1/);
    expect(r.out).toContain('tapegrad runs every node');
    const j = inspectOnnx(cnn); // what --json prints
    expect(j.operators.Gemm).toBe(2);
    expect(j.unsupported).toEqual([]);
  });

  it('predict runs the .onnx', () => {
    const ref = JSON.parse(readFileSync(join(localFixtures, 'onnx', 'mlp.ref.json'), 'utf8'));
    const input = join(tmp, 'x.npy');
    tg.writeNpy(input, tg.tensor(ref.input.data, ref.input.shape));
    const p = run('predict', join(localFixtures, 'onnx', 'mlp.onnx'), '--input', input);
    expect(p.code, p.err).toBe(0);
    const y = (JSON.parse(p.out) as number[][]).flat();
    y.forEach((v, i) => expect(Math.abs(v - ref.output.data[i])).toBeLessThan(1e-4));
  });

  it('convert .onnx → .onnx re-exports (traced with --batch-size), and refuses .onnx → .h5', () => {
    const out = join(tmp, 'again.onnx');
    const r = run('convert', cnn, out, '--batch-size', '3');
    expect(r.code, r.err).toBe(0);
    expect(inspectOnnx(out).inputs[0].shape).toEqual([3, 1, 28, 28]);
    // a fixed batch axis: predict runs 3 rows at a time
    expect((tg.onnx.loadModelSync(out).predict(tg.zeros([6, 1, 28, 28])) as tg.Tensor).shape).toEqual([
      6, 10,
    ]);
    const bad = run('convert', cnn, join(tmp, 'x.h5'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/an ONNX model converts to .onnx only/);
  });

  const keras = kerasFixturesDir();
  it.skipIf(!keras)('convert model.h5 model.onnx: the .onnx predicts what the .h5 does', async () => {
    const h5 = join(keras!, 'dl4j-cnn-batchnorm', 'cnn_batch_norm.h5');
    const out = join(tmp, 'bn.onnx');
    const r = run('convert', h5, out);
    expect(r.code, r.err).toBe(0);
    const x = tg.cast(tg.readNpy(join(keras!, 'dl4j-cnn-batchnorm', 'input.npy')), 'float32');
    const want = (await tg.keras.loadModel(h5)).predict(x) as tg.Tensor;
    // exported with batch 1: run row by row
    const m = await tg.onnx.loadModel(out);
    for (let i = 0; i < x.shape[0]; i++) {
      const row = tg.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]);
      const y = (m.predict(row) as tg.Tensor).data;
      const w = tg.slice(want, [i, 0], [1, -1]).data;
      y.forEach((v, j) => expect(Math.abs(v - w[j])).toBeLessThan(1e-5 + 1e-5 * Math.abs(w[j])));
    }
  });

  it.skipIf(!keras)(
    'convert of functional .h5 files (tf.keras mlp_0, cnn2d_64): the input shape comes from their Input layers',
    async () => {
      ort.env.wasm.numThreads = 1;
      for (const [name, batch] of [
        ['mlp_0', null],
        ['cnn2d_64', 3],
      ] as const) {
        const h5 = join(keras!, 'dl4j-tfkeras-sample', `${name}.h5`);
        const out = join(tmp, `${name}.onnx`);
        const r = batch ? run('convert', h5, out, '--batch-size', String(batch)) : run('convert', h5, out);
        expect(r.code, r.err).toBe(0);
        const m = await tg.keras.loadModel(h5);
        const shape = (m as tg.Functional).inputs[0].shape.map((d, i) => (i === 0 ? (batch ?? 2) : d!));
        const s = await ort.InferenceSession.create(readFileSync(out));
        for (const seed of [1, 2]) {
          const x = tg.randn(shape, { rng: new tg.Rng(seed) });
          const want = m.predict(x) as tg.Tensor;
          const got = await s.run({
            [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), shape),
          });
          const y = got[s.outputNames[0]].data as Float32Array;
          expect(y.length).toBe(want.size);
          want.data.forEach((w, j) => expect(Math.abs(y[j] - w)).toBeLessThan(1e-5 + 1e-5 * Math.abs(w)));
        }
      }
    },
  );
  if (!keras) it.skip('Keras .h5 conversions skipped: ../shared/keras-fixtures is not present', () => {});
});
