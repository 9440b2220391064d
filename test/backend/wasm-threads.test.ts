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
import { CTL, DEFAULT_SPIN_MICROS, ThreadPool, type SpawnWorker } from '../../src/backend/wasm/pool.js';
import { installWasmBackend, readKernelBytes } from '../../src/backend/wasm/node.js';
import type { WasmExports } from '../../src/backend/wasm/wasm-kernels.js';
import { wasmLayout } from '../../src/backend/wasm/memory-frame.js';
import { jsKernels } from '../../src/backend/js.js';
import { expectSame, randF32, wasm } from '../support/backend.js';

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
    // row chunks sharing one packed B across a column block edge (n > 2048) and a depth block edge (k > 256)
    [1, 1, 2112, 2100, 260, false, false],
    [1, 1, 2112, 2100, 260, true, true],
  ] as const)(
    'matmul batch %i/%i [%i×%i×%i] tA=%s tB=%s is bit-identical on 1 and 2 threads',
    async (ba, bb, m, n, k, tA, tB) => {
      const a = randF32(ba * m * k, m);
      const b = randF32(bb * k * n, n);
      await sameOnBoth(() => {
        const out = new Float32Array(Math.max(ba, bb) * m * n);
        K.matmul(a, b, out, ba, bb, m, n, k, tA, tB);
        return out;
      }, 'matmul');
    },
  );

  it.each([
    [27, 12, 32768, true, false],
    [108, 8, 8192, true, false],
    [10, 12, 9001, false, false],
    [7, 5, 12000, false, true],
  ] as const)(
    'a deep product with a small output [%i×%i×%i] tA=%s tB=%s is split along k: bit-identical on 1 and 2 threads, close to the reference',
    async (m, n, k, tA, tB) => {
      const a = randF32(m * k, k);
      const b = randF32(k * n, k + 1);
      const run = () => {
        const out = new Float32Array(m * n);
        K.matmul(a, b, out, 1, 1, m, n, k, tA, tB);
        return out;
      };
      await sameOnBoth(run, 'deep matmul');
      const ref = new Float32Array(m * n);
      jsKernels.matmul(a, b, ref, 1, 1, m, n, k, tA, tB);
      const got = run();
      for (let i = 0; i < ref.length; i++)
        expect(Math.abs(got[i] - ref[i])).toBeLessThan(1e-3 * Math.sqrt(k));
    },
  );

  it('im2col, col2im and poolArgmax are bit-identical on 1 and 2 threads', async () => {
    const g: WindowGeom = {
      n: 5,
      h: 33,
      w: 31,
      c: 17,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 2,
      dilationH: 1,
      dilationW: 1,
      padTop: 1,
      padLeft: 1,
      outH: 33,
      outW: 16,
    };
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
    const pg = {
      ...g,
      c: 64,
      kh: 2,
      kw: 2,
      strideH: 2,
      strideW: 2,
      padTop: 0,
      padLeft: 0,
      outH: 16,
      outW: 15,
    };
    const px = randF32(pg.n * pg.h * pg.w * pg.c, 5);
    await sameOnBoth(() => {
      const o = new Int32Array(pg.n * pg.outH * pg.outW * pg.c);
      K.poolArgmax(px, pg, o);
      return o;
    }, 'poolArgmax');
  });

  // 5 images: one per chunk; 11: chunks of one and two images (CHUNKS_PER_THREAD ranges per thread)
  it.each([5, 11])(
    'poolMax, avgPool and poolArgmax over %i images are bit-identical on 1 and 2 threads',
    async (n) => {
      const g: WindowGeom = {
        n,
        h: 17,
        w: 15,
        c: 64, // ≥ 64 Ki input elements: the pool splits the images
        kh: 3,
        kw: 3,
        strideH: 2,
        strideW: 2,
        dilationH: 1,
        dilationW: 1,
        padTop: 1,
        padLeft: 1,
        outH: 9,
        outW: 8,
      };
      const x = randF32(g.n * g.h * g.w * g.c, 6);
      const outLen = g.n * g.outH * g.outW * g.c;
      const divisors = randF32(g.outH * g.outW, 7).map((v) => 1 + Math.abs(v) * 8);
      await sameOnBoth(() => {
        const o = new Float32Array(outLen);
        K.poolMax(x, g, o);
        return o;
      }, 'poolMax');
      await sameOnBoth(() => {
        const o = new Float32Array(outLen);
        K.avgPool(x, g, divisors, o);
        return o;
      }, 'avgPool');
      await sameOnBoth(() => {
        const o = new Int32Array(outLen);
        K.poolArgmax(x, g, o);
        return o;
      }, 'poolArgmax');
    },
  );

  it('large elementwise kernels (unary, binary, compare, where) are bit-identical on 1 and 2 threads', async () => {
    const n = (1 << 19) + 7; // a ragged tail after the last f32x4 group
    const a = randF32(n, 6);
    const b = randF32(n, 7);
    a[n - 1] = NaN;
    const out = (f: (o: Float32Array) => void) => () => {
      const o = new Float32Array(n);
      f(o);
      return o;
    };
    await sameOnBoth(
      out((o) => K.unary('tanh', a, o)),
      'unary tanh',
    );
    await sameOnBoth(
      out((o) => K.binary('mul', a, b, o)),
      'binary mul',
    );
    const cmp = out((o) => K.compare('gt', a, b, o));
    await sameOnBoth(cmp, 'compare gt');
    const c = cmp();
    await sameOnBoth(
      out((o) => K.where(c, a, b, o)),
      'where',
    );
    const ref = new Float32Array(n);
    jsKernels.unary('tanh', a, ref);
    const got = out((o) => K.unary('tanh', a, o))();
    expect(Number.isNaN(got[n - 1])).toBe(true);
    expect(Math.abs(got[12345] - ref[12345])).toBeLessThan(1e-6);
  });

  it('binaryScalar on 1 and 2 threads gives the bits of the same op on the number broadcast, and the reference', async () => {
    const n = (1 << 19) + 7;
    const a = randF32(n, 8);
    a[3] = 0; // s / 0 and 0 · s in the SIMD part; a NaN in the tail
    a[n - 2] = NaN;
    const s = 0.1; // not a float32: both paths must round it the same way
    const full = new Float32Array(n).fill(s);
    const pairs = [
      ['add', false],
      ['sub', false],
      ['sub', true],
      ['mul', false],
      ['div', false],
      ['div', true],
    ] as const;
    for (const [op, first] of pairs) {
      const name = `${first ? 's ' : ''}${op}${first ? '' : ' s'}`;
      const got = () => {
        const o = new Float32Array(n);
        K.binaryScalar(op, a, s, first, o);
        return o;
      };
      await sameOnBoth(got, `binaryScalar ${name}`);
      const viaBroadcast = new Float32Array(n);
      if (first) K.binary(op, full, a, viaBroadcast);
      else K.binary(op, a, full, viaBroadcast);
      const ref = new Float32Array(n);
      jsKernels.binaryScalar(op, a, s, first, ref);
      expectSame(got(), viaBroadcast, `binaryScalar ${name} against binary ${op} of the broadcast number`);
      expectSame(got(), ref, `binaryScalar ${name} against the JS reference`);
    }
  });
});

describe('thread pool spinning', () => {
  afterAll(() => {
    K.pool.spinMicros = DEFAULT_SPIN_MICROS;
  });

  it.each([0, 1, 5000])(
    'with spinMicros = %i a run of back-to-back jobs uses the worker and stays bit-identical to 1 thread',
    async (us) => {
      const a = randF32(160 * 170, 1);
      const b = randF32(170 * 150, 2);
      const run = () => {
        const out = new Float32Array(160 * 150);
        for (let i = 0; i < 5; i++) K.matmul(a, b, out, 1, 1, 160, 150, 170, false, false);
        return out;
      };
      K.pool.spinMicros = us;
      await sameOnBoth(run, `matmul, spinMicros ${us}`);
    },
  );

  it('spinMicros refuses what is not an integer in [0, 1e6], naming it; TAPEGRAD_SPIN_US likewise', () => {
    K.pool.spinMicros = 70;
    for (const bad of [-1, 1.5, NaN, 2e6]) expect(() => (K.pool.spinMicros = bad)).toThrow(/spinMicros.*got/);
    expect(K.pool.spinMicros).toBe(70); // unchanged by a refused value
    const before = process.env.TAPEGRAD_SPIN_US;
    try {
      for (const bad of ['fast', '-5', '1e3', '2000000']) {
        process.env.TAPEGRAD_SPIN_US = bad;
        // NOTE: read: null returns before any backend is registered, after the variable was checked
        expect(() => installWasmBackend(() => null)).toThrow(
          `TAPEGRAD_SPIN_US: expected an integer number of µs in [0, 1000000], got '${bad}'`,
        );
      }
      process.env.TAPEGRAD_SPIN_US = '40';
      expect(installWasmBackend(() => null)).toBeNull();
    } finally {
      if (before === undefined) delete process.env.TAPEGRAD_SPIN_US;
      else process.env.TAPEGRAD_SPIN_US = before;
    }
  });
});

describe('thread pool failures', () => {
  it('a chunk that traps surfaces as a TapegradError in the caller, and the pool keeps working', async () => {
    await threads(2);
    const bad = 0x7ffffff0; // far past the end of memory: matmulSlice traps
    const ok = [0, 0, 0, 1, 1, 0, 4, 4, 0, 0, 0, 1, 0, 0, 0, 4]; // m = 0: nothing to do
    const oob = [bad, bad, bad, 1, 1, 64, 64, 64, 0, 0, 0, 1, 0, 64, 0, 64];
    for (let r = 0; r < 5; r++) {
      expect(() => K.pool.run('matmulSlice', [ok, oob, ok, oob], { base: bad, stride: 0 })).toThrow(
        TapegradError,
      );
      expect(() => K.pool.run('matmulSlice', [oob, ok], { base: bad, stride: 0 })).toThrow(
        /matmulSlice.*(out of bounds|memory access)/,
      );
    }
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

  /** A pool on its own memory whose worker runs `body` (CommonJS; `ctl` is its control block, `C` the slots). */
  function fakePool(body: string): {
    pool: ThreadPool;
    f32: Float32Array;
    chunks: number[][];
    work: { base: number; stride: number };
  } {
    const bytes = readKernelBytes();
    if (!bytes) throw new Error('no kernels.wasm');
    const module = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 512, maximum: 65536, shared: true });
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as WasmExports;
    const spawn: SpawnWorker = ({ control }) => {
      const src = `const { workerData } = require('node:worker_threads'); const ctl = new Int32Array(workerData.control); const C = ${JSON.stringify(CTL)};\n${body}`;
      const w = new Worker(src, { eval: true, workerData: { control } });
      w.unref();
      let dead = false;
      w.on('exit', () => (dead = true));
      w.on('error', () => (dead = true));
      return {
        terminate: () => void w.terminate(),
        get dead() {
          return dead;
        },
        takeError: () => undefined,
      };
    };
    const L = wasmLayout(ex.heapBase());
    const pool = new ThreadPool(spawn, module, memory, ex as never, L.table, L.tableBytes);
    pool.timeout = { floorMs: 300, slowFactor: 50 };
    pool.setThreads(2);
    // a 600×600×600 product in 6 row chunks: tens of ms of work for the caller
    const N = 600;
    const work = { base: L.work, stride: ex.gemmWorkBytes() + 64 };
    const A = L.work + 2 * work.stride + 64;
    const f32 = new Float32Array(memory.buffer);
    f32.set(randF32(2 * N * N, 9), A >>> 2);
    const pre = [A, A + N * N * 4, A + 2 * N * N * 4, 1, 1, N, N, N, 0, 0, 0, 1];
    const chunks = [0, 1, 2, 3, 4, 5].map((i) => [...pre, i * 100, i * 100 + 100, 0, N]);
    return { pool, f32, chunks, work };
  }

  it('a stuck worker is reported (not a hang) and replaced', async () => {
    const { pool, chunks, work } = fakePool(
      'Atomics.store(ctl, C.READY, 1); Atomics.wait(ctl, C.SEQ, 0); Atomics.compareExchange(ctl, C.STATE, 1, 2); for (;;) Atomics.wait(ctl, C.SEQ, Atomics.load(ctl, C.SEQ));',
    );
    expect(await pool.whenReady()).toBe(true);
    const t0 = Date.now();
    expect(() => pool.run('matmulSlice', chunks, work)).toThrow(
      /worker 1 did not finish within \d+ ms \(stuck\)/,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await pool.whenReady()).toBe(true); // a fresh worker took its place
    pool.shutdown();
  });

  it('a worker that dies mid-job is reported', async () => {
    const { pool, chunks, work } = fakePool(
      'Atomics.store(ctl, C.READY, 1); Atomics.wait(ctl, C.SEQ, 0); Atomics.compareExchange(ctl, C.STATE, 1, 2); process.exit(3);',
    );
    expect(await pool.whenReady()).toBe(true);
    expect(() => pool.run('matmulSlice', chunks, work)).toThrow(TapegradError);
    pool.shutdown();
  });

  it('a worker that never wakes is cancelled: the caller does every chunk and does not wait for it', async () => {
    const { pool, f32, chunks, work } = fakePool(
      'Atomics.store(ctl, C.READY, 1); for (;;) Atomics.wait(ctl, C.SIZE - 1, 0);',
    );
    expect(await pool.whenReady()).toBe(true);
    const t0 = Date.now();
    pool.run('matmulSlice', chunks, work);
    expect(Date.now() - t0).toBeLessThan(5000);
    const [A, B, Cp] = chunks[0];
    const N = 600;
    const want = new Float32Array(N * N);
    jsKernels.matmul(
      f32.slice(A >>> 2, (A >>> 2) + N * N),
      f32.slice(B >>> 2, (B >>> 2) + N * N),
      want,
      1,
      1,
      N,
      N,
      N,
      false,
      false,
    );
    const got = f32.slice(Cp >>> 2, (Cp >>> 2) + N * N);
    for (let i = 0; i < got.length; i += 997) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-3);
    pool.shutdown();
  });

  it('the pool does not keep the process alive', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-pool-'));
    const script = join(dir, 'exit.mts');
    const node = fileURLToPath(new URL('../../src/backend/wasm/node.ts', import.meta.url));
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
    expect(r.stdout.trim()).toMatch(/^done 300 [1-9]\d*$/); // the product ran, some of it on a worker
  });
});
