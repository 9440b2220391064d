// Writes never destroy a good file: every writer (Keras .h5/.keras, npy, safetensors, checkpoints, plots, CLI
// --output) goes through core/atomic-write.ts. Checked on a real full filesystem (a 64 KiB tmpfs) and with a child
// process killed while it saves a Keras model; a source scan keeps any other write path from creeping in.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { closeHdf5Worker } from '../../src/io/hdf5.js';

const here = dirname(fileURLToPath(import.meta.url));
const SRC = join(here, '..', '..', 'src');
const tmp = mkdtempSync(join(tmpdir(), 'tg-atomic-'));
const full = join(tmp, 'full');
let mounted = false;
let why = '';

beforeAll(() => {
  mkdirSync(full);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full], { stdio: 'pipe' });
    mounted = true;
  } catch (e) {
    why = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim();
  }
});
afterAll(async () => {
  if (mounted) execFileSync('umount', [full]);
  rmSync(tmp, { recursive: true, force: true });
  await closeHdf5Worker();
});

const dense = (units: number, name = 'd') =>
  tg.sequential({ layers: [tg.layers.dense({ units, inputShape: [units], name })] });
const temps = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.tmp'));
const fill = (m: tg.Sequential, v: number) => {
  m.ensureBuilt();
  for (const w of m.weights) w.value.data.fill(v);
  return m;
};

describe('a full disk keeps the previous file (64 KiB tmpfs)', () => {
  it('every writer: the new file does not fit, the old one still loads, no temp file is left', async (ctx) => {
    if (!mounted) {
      console.warn(
        `[reliability] atomic writes: cannot mount a tmpfs (${why}); run as root to test a full disk`,
      );
      ctx.skip();
    }
    const small = fill(dense(4), 1);
    const big = fill(dense(160), 2); // 160·160 float32 = 100 KiB: never fits in 64 KiB
    const cases: {
      name: string;
      save: (m: tg.Sequential, p: string) => unknown;
      check: (p: string) => Promise<void>;
    }[] = [
      {
        name: 'm.keras',
        save: (m, p) => tg.keras.saveModel(m, p),
        check: async (p) => {
          const back = await tg.keras.loadModel(p);
          expect(back.getWeights()[0].shape).toEqual([4, 4]);
        },
      },
      {
        name: 'm.h5',
        save: (m, p) => tg.keras.saveModel(m, p),
        check: async (p) => {
          const back = await tg.keras.loadModel(p);
          expect(Array.from(back.getWeights()[0].data)).toEqual(new Array(16).fill(1));
        },
      },
      {
        name: 'w.npy',
        save: (m, p) => tg.writeNpy(p, m.getWeights()[0]),
        check: async (p) => expect(tg.readNpy(p).shape).toEqual([4, 4]),
      },
      {
        name: 'w.safetensors',
        save: (m, p) => tg.saveSafetensors(p, { k: m.getWeights()[0] }),
        check: async (p) => expect(tg.loadSafetensors(p).tensors.get('k')!.shape).toEqual([4, 4]),
      },
      {
        name: 'ckpt.safetensors',
        save: (m, p) => tg.saveCheckpoint(p, m),
        check: async (p) => expect((await tg.loadCheckpoint(p, fill(dense(4), 0))).ok).toBe(true),
      },
    ];
    for (const c of cases) {
      const p = join(full, c.name);
      await c.save(small, p);
      const before = readFileSync(p);
      const err = await Promise.resolve()
        .then(() => c.save(big, p))
        .then(
          () => null,
          (e: Error) => e,
        );
      expect(err, `${c.name}: saving 100 KiB into a 64 KiB disk must fail`).toBeInstanceOf(tg.TapegradError);
      expect(err!.message, c.name).toMatch(
        /ENOSPC: no space left on the device; the previous file.*unchanged/,
      );
      expect(err!.message, c.name).toContain(c.name);
      expect(readFileSync(p).equals(before), `${c.name}: the old file's bytes are unchanged`).toBe(true);
      await c.check(p);
      expect(temps(full), c.name).toEqual([]);
      rmSync(p);
    }
    // plots: the SVG of TrainingCurves
    const svgPath = join(full, 'curves.svg');
    const curves = new tg.TrainingCurves({ path: svgPath });
    await curves.onEpochEnd(0, { loss: 1 });
    const svg = readFileSync(svgPath, 'utf8');
    const huge = new tg.TrainingCurves({ path: svgPath, title: 'x'.repeat(100_000) });
    await expect(huge.onEpochEnd(0, { loss: 1 })).rejects.toThrow(
      /TrainingCurves: cannot write .*curves\.svg \(ENOSPC/,
    );
    expect(readFileSync(svgPath, 'utf8')).toBe(svg);
    expect(temps(full)).toEqual([]);
  }, 60_000);
});

describe('a killed save keeps the previous file', () => {
  function startWriter(path: string): Promise<{ child: ChildProcess; lastSaved: () => number }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(here, 'helpers', 'save-model-loop.ts'), path, '1024'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let last = 0;
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        for (const m of d.toString().matchAll(/saved (\d+)/g)) last = Number(m[1]);
        if (last >= 1) resolve({ child, lastSaved: () => last });
      });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${err}`)));
    });
  }

  it('SIGKILL while a .keras save has its temp file open: the model file loads whole, the next save cleans up', async () => {
    const dir = join(tmp, 'kill');
    mkdirSync(dir);
    const path = join(dir, 'm.keras');
    const { child, lastSaved } = await startWriter(path);
    // wait for the next save's temp file to appear, then kill the writer mid-write
    const t0 = Date.now();
    while (!temps(dir).length && Date.now() - t0 < 20_000) await new Promise((r) => setImmediate(r));
    const exited = new Promise((r) => child.once('close', r));
    child.kill('SIGKILL');
    await exited;
    expect(temps(dir).length, 'the kill landed mid-write').toBe(1);
    const reported = lastSaved();
    const m = await tg.keras.loadModel(path);
    const k = m.getWeights()[0].data[0];
    expect([reported, reported + 1]).toContain(k);
    for (const w of m.getWeights()) expect(w.data.every((v) => v === k)).toBe(true);
    await tg.keras.saveModel(m, path);
    expect(temps(dir)).toEqual([]);
  }, 60_000);
});

describe('one write path', () => {
  it('no source file writes files except core/atomic-write.ts', () => {
    const files = (d: string): string[] =>
      readdirSync(d).flatMap((f) => {
        const p = join(d, f);
        return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
      });
    const writes =
      /\b(writeFileSync|writeSync|appendFileSync|createWriteStream|writeFile|appendFile|copyFileSync)\s*\(/;
    const bad = files(SRC)
      .filter((f) => !f.endsWith('atomic-write.ts') && !f.endsWith('hdf5-worker-source.ts'))
      .filter((f) => writes.test(readFileSync(f, 'utf8')))
      .map((f) => relative(SRC, f));
    // NOTE: hdf5-worker-source.ts writes into h5wasm's in-memory file system, never to disk.
    expect(bad).toEqual([]);
    writeFileSync(join(tmp, 'probe.ts'), 'fs.writeFileSync(p, b)');
    expect(writes.test(readFileSync(join(tmp, 'probe.ts'), 'utf8'))).toBe(true);
  });
});
