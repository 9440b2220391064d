// Determinism: training the seed CNN from the same seed gives bit-identical weights and optimizer state (the whole
// checkpoint file) on 1, 2 and 4 worker threads, on repeated runs, and in a separate process.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { trainSeed } from './helpers/train-seed.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-determinism-'));
const here = dirname(fileURLToPath(import.meta.url));
const threads0 = tg.getNumThreads();
afterAll(() => {
  tg.setNumThreads(threads0);
  rmSync(tmp, { recursive: true, force: true });
});
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('same seed, same bits', () => {
  it('the seed CNN trained on 1, 2 and 4 threads (and twice on 2) gives byte-identical checkpoints', async () => {
    expect(tg.getBackend()).toBe('wasm');
    const runs = [];
    for (const [i, n] of [1, 2, 4, 2].entries())
      runs.push({ n, ...(await trainSeed(n, join(tmp, `run${i}.safetensors`))) });
    // the multi-threaded runs really used the pool's workers, the single-threaded one never did
    expect(runs[0].posted).toBe(0);
    for (const r of runs.slice(1)) expect(r.posted, `${r.n} threads`).toBeGreaterThan(0);
    const ref = sha(runs[0].bytes);
    console.log(
      `[reliability] determinism: ${runs.map((r) => `${r.n} thread(s) ${sha(r.bytes).slice(0, 16)}`).join(', ')}`,
    );
    for (const r of runs) expect(sha(r.bytes), `${r.n} threads`).toBe(ref);
    // and training did change the weights (the checkpoint differs from an untrained one)
    const untrained = await trainSeed(1, join(tmp, 'untrained.safetensors'), 0);
    expect(sha(untrained.bytes)).not.toBe(ref);
  });

  it('a separate process with TAPEGRAD_THREADS=3 produces the same checkpoint', async () => {
    const mine = await trainSeed(2, join(tmp, 'parent.safetensors'));
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(here, 'helpers', 'train-seed.ts'), '3', join(tmp, 'child.safetensors')],
      {
        env: { ...process.env, TAPEGRAD_THREADS: '3' },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    expect(child.status, child.stderr).toBe(0);
    const [backend, threads, hash] = child.stdout.trim().split(' ');
    expect([backend, threads]).toEqual(['wasm', '3']);
    expect(hash).toBe(sha(mine.bytes));
  });
});
