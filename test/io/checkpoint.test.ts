// Checkpoints: weights + optimizer state round-trip bit-exactly, the file is plain safetensors, mismatches are all
// listed in one error, ModelCheckpoint can save through them, and orphan temp files of killed saves are cleaned.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-ckpt-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small CNN with a BatchNormalization (non-trainable moving statistics) on 6×6×2 inputs. */
function cnn(seed: number, units = 4): tg.Sequential {
  tg.setSeed(seed);
  return tg.sequential({
    layers: [
      tg.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        activation: 'relu',
        inputShape: [6, 6, 2],
        name: 'conv',
      }),
      tg.layers.batchNormalization({ name: 'bn' }),
      tg.layers.flatten({ name: 'flat' }),
      tg.layers.dense({ units, name: 'out' }),
    ],
  });
}

function data(n: number, seed: number) {
  tg.setSeed(seed);
  const x = tg.randn([n, 6, 6, 2]);
  const y = new tg.Tensor(
    Int32Array.from({ length: n }, (_, i) => i % 4),
    [n],
  );
  return { x, y };
}

const compile = (m: tg.Sequential, opt: tg.Optimizer = tg.train.adam(0.01)) =>
  m.compile({
    optimizer: opt,
    loss: tg.losses.getLoss('sparseCategoricalCrossentropy', { fromLogits: true }) as never,
  });

const bits = (t: tg.Tensor) =>
  Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));

/** Independent reader of a safetensors header: 8-byte little-endian length, then JSON. */
function header(
  path: string,
): Record<string, { dtype: string; shape: number[]; data_offsets: number[] } | Record<string, string>> {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  return JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
}

describe('saveCheckpoint / loadCheckpoint', () => {
  it('restores weights and Adam state bit for bit, so resumed training matches uninterrupted training', async () => {
    const { x, y } = data(16, 7);
    const a = cnn(1);
    compile(a);
    await a.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0, shuffle: false });
    const path = join(tmp, 'a.safetensors');
    await tg.saveCheckpoint(path, a, { metadata: { epoch: '2' } });

    const b = cnn(99); // different initial weights
    compile(b);
    expect(bits(b.getWeights()[0])).not.toEqual(bits(a.getWeights()[0]));
    const r = await tg.loadCheckpoint(path, b);
    expect(r.ok).toBe(true);
    expect(r.weights.matched.sort()).toEqual(
      a
        .namedWeights()
        .map(([n]) => n)
        .sort(),
    );
    expect(r.optimizer?.matched).toContain('adam/iterations');
    expect(r.metadata.epoch).toBe('2');
    expect(r.metadata['tapegrad.optimizer']).toBe('adam');
    a.getWeights().forEach((w, i) => expect(bits(b.getWeights()[i])).toEqual(bits(w)));
    const sa = a.compiled!.optimizer.getState();
    const sb = b.compiled!.optimizer.getState();
    expect(Object.keys(sb).sort()).toEqual(Object.keys(sa).sort());
    for (const k of Object.keys(sa)) expect(bits(sb[k])).toEqual(bits(sa[k]));
    expect(b.compiled!.optimizer.iterations).toBe(4);

    // one more epoch on both: Adam's bias correction depends on iterations and m/v, so any lost state shows here
    await a.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    await b.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, shuffle: false });
    a.getWeights().forEach((w, i) => expect(bits(b.getWeights()[i])).toEqual(bits(w)));
  });

  it('writes a plain safetensors file: weight paths, optimizer/ prefixed state, string metadata', async () => {
    const m = cnn(2);
    compile(m, tg.train.momentum(0.1, 0.9));
    const path = join(tmp, 'plain.safetensors');
    await tg.saveCheckpoint(path, m);
    const h = header(path);
    const names = Object.keys(h)
      .filter((k) => k !== '__metadata__')
      .sort();
    const weightNames = m.namedWeights().map(([n]) => n);
    expect(weightNames).toEqual([
      'conv.kernel',
      'conv.bias',
      'bn.gamma',
      'bn.beta',
      'bn.moving_mean',
      'bn.moving_variance',
      'out.kernel',
      'out.bias',
    ]);
    const slots = Object.keys(m.compiled!.optimizer.getState()).map((k) => `optimizer/${k}`);
    expect(names).toEqual([...weightNames, ...slots].sort());
    expect(h['conv.kernel']).toMatchObject({ dtype: 'F32', shape: [3, 3, 2, 3] });
    expect(h['optimizer/sgd/iterations']).toMatchObject({ dtype: 'I32', shape: [] });
    expect(h.__metadata__).toMatchObject({
      'tapegrad.format': 'tapegrad-checkpoint',
      'tapegrad.model_class': 'Sequential',
      'tapegrad.optimizer': 'sgd',
    });
    // the stored kernel bytes are the model's float32 bytes
    const e = h['conv.kernel'] as { data_offsets: number[] };
    const b = readFileSync(path);
    const start = 8 + Number(b.readBigUInt64LE(0));
    expect(Array.from(b.subarray(start + e.data_offsets[0], start + e.data_offsets[1]))).toEqual(
      bits(m.getWeights()[0]),
    );
  });

  it('a different architecture: one error lists every missing, unexpected and mis-shaped tensor; nothing loads', async () => {
    const a = cnn(3);
    const path = join(tmp, 'arch.safetensors');
    await tg.saveWeights(a, path);
    tg.setSeed(4);
    const other = tg.sequential({
      layers: [
        tg.layers.conv2d({ filters: 5, kernelSize: 3, inputShape: [6, 6, 2], name: 'conv' }), // kernel and bias shapes differ
        tg.layers.flatten({ name: 'flat' }), // no bn
        tg.layers.dense({ units: 4, name: 'head' }), // renamed
      ],
    });
    const before = other.getWeights().map(bits);
    let err: unknown;
    try {
      await tg.loadCheckpoint(path, other);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(tg.CheckpointMismatchError);
    expect(err).toBeInstanceOf(tg.TapegradError);
    const msg = (err as Error).message;
    expect(msg).toMatch(
      /arch.safetensors: checkpoint does not fit Sequential '\w+' \(10 problems; 0 of 4 weights match\)/,
    );
    expect(msg).toContain('shape mismatch conv.kernel: file [3,3,2,3], model [3,3,2,5]');
    expect(msg).toContain('shape mismatch conv.bias: file [3], model [5]');
    expect(msg).toContain('missing head.kernel [80,4] (in the model, not in the file)');
    expect(msg).toContain('missing head.bias [4]');
    for (const n of ['bn.gamma', 'bn.beta', 'bn.moving_mean', 'bn.moving_variance', 'out.kernel', 'out.bias'])
      expect(msg).toContain(`unexpected ${n} `);
    const r = (err as tg.CheckpointMismatchError).report;
    expect(r.weights.missing).toEqual(['head.kernel', 'head.bias']);
    expect(r.weights.shapeMismatch.map((s) => s.name)).toEqual(['conv.kernel', 'conv.bias']);
    expect(r.weights.unexpected).toHaveLength(6);
    expect(other.getWeights().map(bits)).toEqual(before);
  });

  it('strict: false loads what matches and reports the rest', async () => {
    const a = cnn(5);
    const path = join(tmp, 'partial.safetensors');
    await tg.saveWeights(a, path);
    const b = cnn(6, 7); // out layer has 7 units instead of 4
    const r = await tg.loadWeights(b, path, { strict: false });
    expect(r.ok).toBe(false);
    expect(r.problems).toBe(2);
    expect(r.weights.shapeMismatch).toEqual([
      { name: 'out.kernel', expected: [48, 7], found: [48, 4] },
      { name: 'out.bias', expected: [7], found: [4] },
    ]);
    const wa = new Map(a.namedWeights().map(([n, w]) => [n, w.value]));
    for (const [n, w] of b.namedWeights())
      if (n.startsWith('out.')) expect(bits(w.value)).not.toEqual(bits(wa.get(n)!));
      else expect(bits(w.value)).toEqual(bits(wa.get(n)!));
  });

  it('optimizer state of another optimizer, or none at all, is listed as a mismatch', async () => {
    const a = cnn(7);
    compile(a); // adam
    const path = join(tmp, 'adam.safetensors');
    await tg.saveCheckpoint(path, a);
    const b = cnn(8);
    compile(b, tg.train.rmsprop(0.01));
    const err = await tg.loadCheckpoint(path, b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(tg.CheckpointMismatchError);
    expect((err as Error).message).toContain('optimizer missing rmsprop/iterations []');
    expect((err as Error).message).toContain('optimizer unexpected adam/iterations []');
    expect((err as Error).message).toContain(
      'the file holds adam optimizer state but the optimizer given is rmsprop',
    );
    // weights-only file + an explicit optimizer: its state is missing
    const wpath = join(tmp, 'weights-only.safetensors');
    await tg.saveWeights(a, wpath);
    const err2 = (await tg
      .loadCheckpoint(wpath, b, { optimizer: b.compiled!.optimizer })
      .catch((e: unknown) => e)) as tg.CheckpointMismatchError;
    expect(err2.report.optimizer!.missing).toContain('rmsprop/iterations');
    expect(err2.report.weights.matched).toHaveLength(8);
    // ...but a compiled model loading a weights-only file just loads the weights
    expect((await tg.loadCheckpoint(wpath, b)).optimizer).toBeNull();
    // and loadWeights ignores the optimizer state in a full checkpoint
    const r = await tg.loadWeights(b, path);
    expect(r.ok).toBe(true);
    expect(r.optimizer).toBeNull();
  });

  it('an optimizer without parameters, an unbuilt model and reserved metadata keys are clear errors', async () => {
    const a = cnn(9);
    const path = join(tmp, 'x.safetensors');
    await tg.saveCheckpoint(path, a, {
      optimizer: tg.train.adam(0.1, 0.9, 0.999).setParameters(a.namedParameters()),
    });
    await expect(tg.loadCheckpoint(path, cnn(9), { optimizer: tg.train.adam() })).rejects.toThrow(
      /the adam optimizer has no parameters yet; compile the model or call optimizer.setParameters/,
    );
    const unbuilt = tg.sequential({ layers: [tg.layers.dense({ units: 2 })] });
    await expect(tg.saveCheckpoint(path, unbuilt)).rejects.toThrow(
      /not built yet, so it has no weights to save a checkpoint/,
    );
    await expect(tg.loadCheckpoint(path, unbuilt)).rejects.toThrow(tg.ValueError);
    await expect(tg.saveCheckpoint(path, a, { metadata: { 'tapegrad.version': 'x' } })).rejects.toThrow(
      /metadata key 'tapegrad.version' is reserved/,
    );
    await expect(tg.loadCheckpoint(join(tmp, 'nope.safetensors'), a)).rejects.toThrow(tg.FileError);
    await expect(tg.saveCheckpoint(join(tmp, 'no-such-dir', 'x.safetensors'), a)).rejects.toThrow(
      /write .*no-such-dir.*ENOENT/,
    );
  });

  it('a truncated checkpoint is a FormatError and leaves the model unchanged', async () => {
    const a = cnn(10);
    const path = join(tmp, 'trunc.safetensors');
    await tg.saveWeights(a, path);
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 5));
    const b = cnn(11);
    const before = b.getWeights().map(bits);
    await expect(tg.loadWeights(b, path)).rejects.toThrow(tg.FormatError);
    expect(b.getWeights().map(bits)).toEqual(before);
  });

  it('PyTorch-style modules save their parameters by property path', async () => {
    tg.setSeed(12);
    class Net extends tg.Module {
      fc1 = new tg.nn.Linear(3, 4);
      fc2 = new tg.nn.Linear(4, 2);
      forward(x: tg.Tensor) {
        return this.fc2.forward(tg.relu(this.fc1.forward(x)));
      }
    }
    const a = new Net();
    const path = join(tmp, 'torch.safetensors');
    await tg.saveWeights(a, path);
    expect(
      Object.keys(header(path))
        .filter((k) => k !== '__metadata__')
        .sort(),
    ).toEqual(['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    const b = new Net();
    await tg.loadWeights(b, path);
    const x = tg.randn([5, 3]);
    expect(bits(b.forward(x))).toEqual(bits(a.forward(x)));
  });
});

describe('generator state', () => {
  it('with { rng: tg.globalRng }, a resumed shuffled fit matches the uninterrupted one bit for bit', async () => {
    const { x, y } = data(24, 17);
    const path = join(tmp, 'rng.safetensors');
    tg.setSeed(21);
    const a = cnn(1);
    compile(a);
    await a.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 }); // shuffles with tg.globalRng
    await tg.saveCheckpoint(path, a, { rng: tg.globalRng });
    await a.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const resume = async (withRng: boolean) => {
      const b = cnn(99);
      compile(b);
      tg.setSeed(555); // the generator has moved on since the save
      const r = await tg.loadCheckpoint(path, b, withRng ? { rng: tg.globalRng } : {});
      expect(r.rng).toBe(withRng ? 'restored' : null);
      await b.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
      return b.getWeights().map(bits);
    };
    expect(await resume(true)).toEqual(a.getWeights().map(bits));
    // without the generator state the batches come in another order, so the weights differ
    expect(await resume(false)).not.toEqual(a.getWeights().map(bits));
  });

  it('asking for a generator state the file lacks is a listed problem; a corrupt state is a FormatError', async () => {
    const m = cnn(3);
    const path = join(tmp, 'no-rng.safetensors');
    await tg.saveWeights(m, path);
    const err = (await tg
      .loadCheckpoint(path, cnn(4), { rng: new tg.Rng(1) })
      .catch((e: unknown) => e)) as tg.CheckpointMismatchError;
    expect(err).toBeInstanceOf(tg.CheckpointMismatchError);
    expect(err.message).toContain('missing rng/state (the file was saved without { rng })');
    expect(err.report.rng).toBe('missing');
    const bad = join(tmp, 'bad-rng.safetensors');
    tg.saveSafetensors(bad, {
      ...Object.fromEntries(m.namedWeights().map(([n, w]) => [n, w.value])),
      'rng/state': new tg.Tensor(new Float64Array(5), [5]),
    });
    await expect(tg.loadCheckpoint(bad, cnn(5), { rng: new tg.Rng(1) })).rejects.toThrow(
      /bad-rng.safetensors: rng\/state is not a generator state/,
    );
  });
});

describe('with ModelCheckpoint in fit', () => {
  it('saves a loadable checkpoint per epoch through checkpointSaver or an inline save function', async () => {
    const { x, y } = data(8, 13);
    const m = cnn(14);
    compile(m);
    const dir = join(tmp, 'epochs');
    spawnSync('mkdir', ['-p', dir]);
    const inline = new tg.callbacks.ModelCheckpoint({
      filepath: join(dir, 'inline-{epoch:02d}.safetensors'),
      save: (p) => tg.saveCheckpoint(p, m),
    });
    const saver = new tg.callbacks.ModelCheckpoint({
      filepath: join(dir, 'saver-{epoch}.safetensors'),
      save: tg.checkpointSaver(m),
    });
    await m.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, callbacks: [inline, saver] });
    expect(readdirSync(dir).sort()).toEqual([
      'inline-01.safetensors',
      'inline-02.safetensors',
      'inline-03.safetensors',
      'saver-1.safetensors',
      'saver-2.safetensors',
      'saver-3.safetensors',
    ]);
    const fresh = cnn(15);
    compile(fresh);
    await tg.loadCheckpoint(join(dir, 'inline-03.safetensors'), fresh);
    m.getWeights().forEach((w, i) => expect(bits(fresh.getWeights()[i])).toEqual(bits(w)));
    expect(fresh.compiled!.optimizer.iterations).toBe(6);
    expect(
      readFileSync(join(dir, 'saver-3.safetensors')).equals(readFileSync(join(dir, 'inline-03.safetensors'))),
    ).toBe(true);
  });
});

describe('temp files of killed saves', () => {
  it('are removed by the next save when their process is gone; a live writer’s temp file is kept', async () => {
    const m = cnn(16);
    const dir = join(tmp, 'orphans');
    spawnSync('mkdir', ['-p', dir]);
    const path = join(dir, 'm.safetensors');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(dead.stdout.toString());
    const orphan = join(dir, `.m.safetensors.${deadPid}.0123456789ab.tmp`);
    const live = join(dir, `.m.safetensors.${process.ppid}.0123456789ab.tmp`);
    const unrelated = join(dir, `.other.safetensors.${deadPid}.0123456789ab.tmp`);
    for (const f of [orphan, live, unrelated]) writeFileSync(f, 'partial');
    await tg.saveWeights(m, path);
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
    expect(statSync(path).size).toBeGreaterThan(0);
  });
});
