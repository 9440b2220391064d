// The worker pool: 1 vs 2 threads give bit-identical results, failing or stuck workers surface as errors in
// the caller, and live workers never keep the process alive.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TapegradError } from '../../src/core/errors.js';
import type { WindowGeom } from '../../src/backend/kernels.js';
import { CTL, ThreadPool, type SpawnWorker } from '../../src/backend/pool.js';
import { readKernelBytes } from '../../src/backend/wasm-node.js';
import { expectSame, randF32, wasm } from './helpers.js';

const K = wasm();

async function threads(n: number): Promise<void> {
  K.pool.setThreads(n);
  expect(await K.pool.whenReady()).toBe(true);
}
/** Run f with 1 thread then 2 threads; both results must be bitwise equal and the second must use a worker. */
async function sameOnBoth<T extends ArrayLike<number>>(f: () => T, what: string): Promise<void> {
  await threads(1);
  const one = f();
  await threads(2);
  const posted = K.pool.posted;
  const two = f();
  expect(K.pool.posted, `${what} ran on a worker`).toBeGreaterThan(posted);
  expectSame(two, one, what);
}

describe('thread pool results', () => {
  beforeAll(() => threads(2));
  afterAll(() => threads(2));

  it.each([
    [1, 1, 203, 157, 301, false, false],
    [1, 1, 203, 157, 301, true, false],
    [1, 1, 97, 130, 260, false, true],
    [1, 1, 141, 66, 513, true, true],
    [4, 4, 90, 70, 110, false, false],
    [1, 3, 91, 101, 121, true, false],
    [3, 1, 91, 101, 121, false, true],
  ] as const)('matmul batch %i/%i [%i×%i×%i] tA=%s tB=%s is bit-identical on 1 and 2 threads', async (ba, bb, m, n, k, tA, tB) => {
    const a = randF32(ba * m * k, m);
    const b = randF32(bb * k * n, n);
    await sameOnBoth(() => {
      const out = new Float32Array(Math.max(ba, bb) * m * n);
      K.matmul(a, b, out, ba, bb, m, n, k, tA, tB);
      return out;
    }, 'matmul');
  });

  it('im2col, col2im and poolArgmax are bit-identical on 1 and 2 threads', async () => {
    const g: WindowGeom = { n: 5, h: 33, w: 31, c: 17, kh: 3, kw: 3, strideH: 1, strideW: 2, dilationH: 1, dilationW: 1, padTop: 1, padLeft: 1, outH: 33, outW: 16 };
    const x = randF32(g.n * g.h * g.w * g.c, 3);
    const cl = g.n * g.outH * g.outW * g.kh * g.kw * g.c;
    const cols = randF32(cl, 4);
    await sameOnBoth(() => {
      const o = new Float32Array(cl);
      K.im2col(x, g, o);
      return o;
    }, 'im2col');
    await sameOnBoth(() => {
      const o = new Float32Array(x.length);
      K.col2im(cols, g, o);
      return o;
    }, 'col2im');
    const pg = { ...g, c: 64, kh: 2, kw: 2, strideH: 2, strideW: 2, padTop: 0, padLeft: 0, outH: 16, outW: 15 };
    const px = randF32(pg.n * pg.h * pg.w * pg.c, 5);
    await sameOnBoth(() => {
      const o = new Int32Array(pg.n * pg.outH * pg.outW * pg.c);
      K.poolArgmax(px, pg, o);
      return o;
    }, 'poolArgmax');
  });
});

describe('thread pool failures', () => {
  it('a worker that traps surfaces as a TapegradError in the caller, and the pool keeps working', async () => {
    await threads(2);
    const bad = 0x7ffffff0; // far past the end of memory: the worker's matmulSlice traps
    const ok = [0, 0, 0, 1, 1, 0, 4, 4, false, false, 0, 1, 0, 0, 0].map(Number);
    const oob = [bad, bad, bad, 1, 1, 64, 64, 64, 0, 0, 0, 1, 0, 64, bad];
    expect(() => K.pool.run('matmulSlice', [ok, oob])).toThrow(TapegradError);
    expect(() => K.pool.run('matmulSlice', [ok, oob])).toThrow(/worker 1 failed running matmulSlice: .*(out of bounds|memory access)/);
    const a = randF32(200 * 300, 1);
    const b = randF32(300 * 100, 2);
    const o1 = new Float32Array(200 * 100);
    const o2 = new Float32Array(200 * 100);
    K.matmul(a, b, o1, 1, 1, 200, 100, 300, false, false);
    await threads(1);
    K.matmul(a, b, o2, 1, 1, 200, 100, 300, false, false);
    expectSame(o1, o2, 'after a failure');
    await threads(2);
  });

  /** A pool whose workers run `body` (CommonJS, with `ctl` the control Int32Array) instead of the real worker. */
  function fakePool(body: string): ThreadPool {
    const bytes = readKernelBytes();
    if (!bytes) throw new Error('no kernels.wasm');
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
    const spawn: SpawnWorker = ({ control }) => {
      const src = `const { workerData } = require('node:worker_threads'); const ctl = new Int32Array(workerData.control); const C = ${JSON.stringify(CTL)};\n${body}`;
      const w = new Worker(src, { eval: true, workerData: { control } });
      w.unref();
      let dead = false;
      w.on('exit', () => (dead = true));
      w.on('error', () => (dead = true));
      return { terminate: () => void w.terminate(), get dead() { return dead; }, takeError: () => undefined };
    };
    const pool = new ThreadPool(spawn, module, memory, ex as never);
    pool.timeout = { floorMs: 300, slowFactor: 50 };
    pool.setThreads(2);
    return pool;
  }
  const noop = [0, 0, 0, 1, 1, 0, 4, 4, 0, 0, 0, 1, 0, 0, 0]; // m = 0: nothing to do

  it('a stuck worker is reported (not a hang) and replaced', async () => {
    const pool = fakePool('Atomics.store(ctl, C.READY, 1); for (;;) Atomics.wait(ctl, C.SEQ, Atomics.load(ctl, C.SEQ));');
    expect(await pool.whenReady()).toBe(true);
    const t0 = Date.now();
    expect(() => pool.run('matmulSlice', [noop, noop])).toThrow(/worker 1 did not finish within 300 ms \(stuck\)/);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(await pool.whenReady()).toBe(true); // a fresh worker took its place
    pool.shutdown();
  });

  it('a worker that dies mid-job is reported', async () => {
    const pool = fakePool('Atomics.store(ctl, C.READY, 1); Atomics.wait(ctl, C.SEQ, 0); process.exit(3);');
    expect(await pool.whenReady()).toBe(true);
    expect(() => pool.run('matmulSlice', [noop, noop])).toThrow(TapegradError);
    pool.shutdown();
  });

  it('the pool does not keep the process alive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-pool-'));
    const script = join(dir, 'exit.mts');
    const node = fileURLToPath(new URL('../../src/backend/wasm-node.ts', import.meta.url));
    writeFileSync(
      script,
      `import { wasmBackend } from ${JSON.stringify(node)};
       const k = wasmBackend!; k.pool.setThreads(2); await k.pool.whenReady();
       const a = new Float32Array(300 * 300).fill(1); const o = new Float32Array(300 * 300);
       k.matmul(a, a, o, 1, 1, 300, 300, 300, false, false);
       console.log('done', o[0], k.pool.posted);`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.error, r.stderr).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('done 300 1');
  });
});
