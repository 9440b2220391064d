// Worker threads beyond the kernel pool's own tests (test/backend/wasm-threads.test.ts covers crashing, stuck and
// dying pool workers): the HDF5 worker's timeout surfaces as a FormatError and the next read works, and a process
// that used every kind of worker (kernel pool, HDF5) and wrote a checkpoint exits on its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, closeHdf5Worker, readKerasFile } from '../../src/io/index.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'tg-workers-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await closeHdf5Worker();
});

describe('HDF5 worker', () => {
  it('a read that outlives its timeout is a FormatError naming the file, and the replaced worker reads the next file', async () => {
    const dir = kerasFixturesDir();
    expect(dir, 'keras fixtures not found (../shared/keras-fixtures)').not.toBeNull();
    const bytes = new Uint8Array(readFileSync(join(dir!, 'dl4j-activations', 'ELU_0_model.h5')));
    await closeHdf5Worker(); // the next request has to start a worker, which takes far longer than 1 ms
    const t0 = performance.now();
    await expect(readKerasFile(bytes, { name: 'slow.h5', timeoutMs: 1 })).rejects.toThrow(FormatError);
    await expect(readKerasFile(bytes, { name: 'slow.h5', timeoutMs: 1 })).rejects.toThrow(
      /slow.h5: HDF5 reading did not finish within 1 ms/,
    );
    expect(performance.now() - t0).toBeLessThan(30_000); // it gave up instead of waiting for the worker
    const ok = await readKerasFile(bytes, { name: 'after.h5' });
    expect(ok.layers.some((l) => l.weights.length > 0)).toBe(true);
  });
});

describe('process exit', () => {
  it('a process that used the thread pool, the HDF5 worker and wrote a checkpoint exits without any cleanup call', () => {
    const dir = kerasFixturesDir()!;
    const script = join(tmp, 'exit.mts');
    writeFileSync(
      script,
      `import * as tg from ${JSON.stringify(join(root, 'src', 'index.ts'))};
tg.setNumThreads(2);
const a = tg.rand([256, 256]);
tg.matmul(a, a); // large enough to run on the pool's workers
const k = await tg.readKerasFile(${JSON.stringify(join(dir, 'dl4j-activations', 'ELU_0_model.h5'))});
const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
await tg.saveCheckpoint(${JSON.stringify(join(tmp, 'exit.safetensors'))}, m);
console.log('done', tg.getBackend(), tg.getNumThreads(), k.layers.length);
`,
    );
    const t0 = Date.now();
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.error, 'the child did not exit within 60 s (a worker kept it alive)').toBeUndefined();
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/^done wasm 2 \d+/);
    console.log(
      `[reliability] workers: a process with live pool and HDF5 workers exited by itself in ${Date.now() - t0} ms`,
    );
  });
});
