// The `tapegrad` command line, run as a child process: summary, predict (.npy and JSON), inspect, convert, errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeNpy, readNpy } from '../../src/io/npy.js';
import { tensor } from '../../src/core/tensor.js';
import { compare, fixture } from '../io/keras/fixtures.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = mkdtempSync(join(tmpdir(), 'tapegrad-cli-'));
const bn = (f: string) => fixture(`dl4j-cnn-batchnorm/${f}`);

describe('tapegrad CLI', () => {
  it('summary prints the layers and parameter counts', () => {
    const r = run('summary', bn('cnn_batch_norm.h5'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/batch_normalization_1 \(BatchNormalization\)/);
    expect(r.out).toMatch(/Total params: 79/);
    expect(r.out).toMatch(/Non-trainable params: 2/);
  });
  it('predict reads .npy and writes .npy matching Keras', () => {
    const out = join(tmp, 'y.npy');
    const r = run('predict', bn('cnn_batch_norm.h5'), '--input', bn('input.npy'), '--output', out);
    expect(r.code, r.err).toBe(0);
    const y = readNpy(out);
    const want = readNpy(bn('predictions.npy'));
    expect(y.shape).toEqual(want.shape);
    expect(compare(y.data, want.data, 1e-4, 1e-6).ok).toBe(true);
  });
  it('predict takes JSON input and prints JSON; config + --weights works', () => {
    const io = JSON.stringify([[0.1, -0.2, 0.3, 0.4]]);
    const xin = join(tmp, 'x.json');
    writeFileSync(xin, io);
    const d = 'dl4j-small-rnn/simple_sparse_xent_mlp_keras_2';
    const r = run(
      'predict',
      fixture(`${d}_config.json`),
      '--weights',
      fixture(`${d}_weights.h5`),
      '--input',
      xin,
    );
    expect(r.code, r.err).toBe(0);
    const y = JSON.parse(r.out) as number[][];
    expect(y.length).toBe(1);
    expect(y[0].length).toBe(3);
    expect(y[0].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // softmax output
  });
  it('inspect --json names the format, version, backend and weights', () => {
    const r = run('inspect', fixture('dl4j-tiny-models/conv2d_theano_1.h5'), '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.format).toBe('h5-model');
    expect(j.kerasVersion).toBe('1.2.2');
    expect(j.backend).toBe('theano');
    expect(j.backendFrom).toBe('weight names');
    expect(j.layers).toEqual([{ name: 'convolution2d_1', className: 'Convolution2D' }]);
    expect(j.weights.map((w: { shape: number[] }) => w.shape)).toEqual([[3, 3, 5, 6], [6]]);
  });
  it('convert writes a .keras that predicts like the original', () => {
    const out = join(tmp, 'm.keras');
    expect(run('convert', bn('cnn_batch_norm.h5'), out).code).toBe(0);
    const y1 = join(tmp, 'a.npy');
    writeFileSync(
      join(tmp, 'x.npy'),
      encodeNpy(tensor(Float32Array.from(readNpy(bn('input.npy')).data), [5, 10, 10, 3])),
    );
    expect(run('predict', out, '--input', join(tmp, 'x.npy'), '--output', y1).code).toBe(0);
    expect(compare(readNpy(y1).data, readNpy(bn('predictions.npy')).data, 1e-4, 1e-6).ok).toBe(true);
  });
  it('usage mistakes exit 2 with a hint; bad files exit 1 with a message naming the file', () => {
    const u = run('predict', bn('cnn_batch_norm.h5'));
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/needs --input/);
    expect(run('frobnicate').code).toBe(2);
    const bad = join(tmp, 'bad.h5');
    writeFileSync(bad, readFileSync(bn('cnn_batch_norm.h5')).subarray(0, 3000));
    const f = run('summary', bad);
    expect(f.code).toBe(1);
    expect(f.err).toMatch(/bad\.h5/);
    expect(f.err).not.toMatch(/unexpected error| {4}at /);
  });
});
