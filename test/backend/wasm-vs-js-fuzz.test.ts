// Differential fuzzing of the wasm backend against the JS reference ('js', the oracle) through the public ops:
// random small programs (diff-steps.ts: elementwise with broadcasting, matmul, reductions, movement, convs, pools,
// softmax, where/compare, int32, recurrent cell updates; zero-size dims; NaN/±Inf/±0/subnormal inputs) and large
// single ops past the thread thresholds (diff-big.ts). Each step runs on both backends from the same inputs, forward
// and vjp, and must give the reference's bits, or its values within float32 rounding where the kernels may round
// otherwise (diff-run.ts: ROUNDED, bounded by Σ|terms| for sums of products); errors must match by class and
// message. The whole program then runs chained through tg.grads (bit for bit where no step rounds otherwise).
// Seeded by TAPEGRAD_FUZZ_SEED (default 20261125) and sized by TAPEGRAD_FUZZ_SCALE, as the reliability suites.
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { jsKernels } from '../../src/backend/js.js';
import { describe as show } from './diff-programs.js';
import { makeBigProgram } from './diff-big.js';
import { makeProgram } from './diff-steps.js';
import { compareChained, compareSteps, referenceValues, runChained, runSteps } from './diff-run.js';
import { expectSame, wasm } from '../support/backend.js';

const K = wasm();
const SEED = Number(process.env.TAPEGRAD_FUZZ_SEED ?? 20261125);
const SCALE = Number(process.env.TAPEGRAD_FUZZ_SCALE ?? 1);
const threads0 = tg.getNumThreads();
const budget0 = tg.memory().budgetBytes;
const arena0 = { minElements: K.arena.minElements, poison: K.arena.poison, stretch: K.arena.stretch };

/**
 * The wasm memory as the test wants it: by default small outputs are plain arrays (copied in per call) and the
 * budget is far away; `stress` keeps every output resident, poisoned (NaN / -1) when allocated, so a kernel that
 * leaves part of its output unwritten shows, under a 64 KiB budget that evicts (copies out) the oldest at every op.
 */
function memoryMode(stress: boolean): void {
  Object.assign(K.arena, stress ? { minElements: 0, poison: true, stretch: 0 } : arena0);
  tg.setMemoryBudget(stress ? 1 / 16 : budget0 / 2 ** 20);
}

afterEach(() => {
  tg.setBackend('wasm');
  tg.setNumThreads(threads0);
  memoryMode(false);
});
afterAll(() => tg.setBackend('wasm'));

/** The first way `wasm` differs from `js` on p (steps, then the chained program), or null. */
function check(p: ReturnType<typeof makeProgram>, threads: number): string | null {
  const refVals = referenceValues(p);
  const ref = runSteps(p, refVals, 'js');
  const got = runSteps(p, refVals, 'wasm', threads);
  return compareSteps(p, got, ref) ?? compareChained(p, runChained(p, 'wasm', threads), runChained(p, 'js'));
}

describe("random programs of public ops on 'wasm' against 'js'", () => {
  it.each([
    [1, 'plain outputs below 2048 values, the default budget', false],
    [2, 'every output resident and poisoned, evicted under a 64 KiB budget', true],
  ])('small programs on %i thread(s): %s', (threads, _, stress) => {
    memoryMode(stress);
    let programs = 0;
    let steps = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(3, 4, 6, 9),
        (seed, n, maxDim) => {
          tg.setBackend('js');
          const p = makeProgram(seed, n, maxDim);
          const diff = check(p, threads);
          programs++;
          steps += p.items.filter((it) => 'step' in it).length;
          if (diff)
            expect.fail(`${diff}\n(makeProgram(${seed}, ${n}, ${maxDim}) on ${threads} threads)\n${show(p)}`);
        },
      ),
      { seed: SEED + threads, numRuns: Math.round(1500 * SCALE), endOnFailure: true },
    );
    console.log(`[fuzz] ${programs} programs, ${steps} steps`);
    expect(steps).toBeGreaterThan(programs); // NOTE: a fuzzer whose programs lost their steps tests nothing
  });

  it('large single ops: 2 threads give the bits of 1 thread and the reference values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        tg.setBackend('js');
        const p = makeBigProgram(seed);
        const refVals = referenceValues(p);
        const ref = runSteps(p, refVals, 'js');
        const one = runSteps(p, refVals, 'wasm', 1);
        const two = runSteps(p, refVals, 'wasm', 2);
        const diff = compareSteps(p, two, one, true) ?? compareSteps(p, two, ref);
        if (diff) expect.fail(`${diff}\n(makeBigProgram(${seed}))`);
      }),
      { seed: SEED, numRuns: Math.round(20 * SCALE), endOnFailure: true },
    );
  });
});

describe('mismatches this fuzzer found', () => {
  // NOTE: the SIMD tanh of the LSTM kernel set the sign by comparing v with 0, so tanh(−0) gave +0 (Math.tanh and
  // PyTorch: −0), and with it h' = σ(o)·tanh(c') where c' = σ(f)·c + σ(i)·tanh(g) is −0.
  it('the LSTM gate kernel keeps tanh(−0) = −0 on its SIMD path (forward and gradient)', () => {
    const H = 4;
    // z = [i | f | c | o] per unit; relu recurrent gates of negative i and f make c' = 0·c + 0·tanh(g) = −0 (c < 0)
    const z = Float32Array.from([
      ...[-1, -2, -3, -4],
      ...[-1, -1, -1, -1],
      ...[-0.5, 0.5, -0.25, 1],
      ...[0.5, 1, 2, 3],
    ]);
    const c = Float32Array.from([-1.5, 2, -0.5, 1]);
    const out = [new Float32Array(2 * H), new Float32Array(2 * H)];
    jsKernels.lstmGates(z, c, H, 'tanh', 'relu', out[0]);
    K.lstmGates(z, c, H, 'tanh', 'relu', out[1]);
    expectSame(out[1], out[0], 'lstmGates tanh/relu'); // h' = [−0, 0, −0, 0], c' = [−0, 0, −0, 0]
    const zc = Float32Array.from([...[1, 1, 1, 1], ...[1, 1, 1, 1], ...[-0, 0, -0, 0], ...[1, 1, 1, 1]]);
    const g = Float32Array.from([1, -1, 2, -2, 0, 0, 0, 0]);
    const zero = new Float32Array(H);
    const a = new Float32Array(5 * H);
    const b = new Float32Array(5 * H);
    jsKernels.lstmGatesGrad(g, zc, zero, H, 'tanh', 'sigmoid', a);
    K.lstmGatesGrad(g, zc, zero, H, 'tanh', 'sigmoid', b);
    expectSame(b, a, 'lstmGatesGrad tanh/sigmoid');
    // and through the public op: h' = σ(z_o)·tanh(−0)
    const hz = new tg.Tensor(zc, [1, 4 * H]);
    const cz = new tg.Tensor(Float32Array.from([-0, -0, -0, -0]), [1, H]);
    const h = tg.lstmStep(hz, cz, tg.tanh, tg.sigmoid)[0].toFlatArray();
    tg.setBackend('js');
    expectSame(h, tg.lstmStep(hz, cz, tg.tanh, tg.sigmoid)[0].toFlatArray(), 'lstmStep h');
  });

  // NOTE: (1 − e)/(1 + e) with e = e^(−2|v|) cancels for small |v| (tanh(1e-7) was 10% off, tanh(1e-4) 270 ulp,
  // subnormals gave ±0): the kernel now takes Cephes' tanhf polynomial below |v| = 0.625
  it("the LSTM gate kernel's tanh is within 2 ulp of Math.tanh for small and subnormal values", () => {
    const vs = [
      1e-40, -1e-40, 1e-7, -3e-6, 1e-5, 1e-4, -3.6e-4, 1e-3, 0.01, -0.1, 0.3, 0.6, 0.624, -0.626, 0.7, 2, 9,
    ];
    const H = vs.length;
    // i = σ(30) = 1, f = σ(−30) ≈ 0, c = 0: c' = tanh(z_c), computed by the kernel's tanh
    const z = Float32Array.from([...vs.map(() => 30), ...vs.map(() => -30), ...vs, ...vs.map(() => 30)]);
    const out = new Float32Array(2 * H);
    K.lstmGates(z, new Float32Array(H), H, 'tanh', 'sigmoid', out);
    for (let j = 0; j < H; j++) {
      const want = Math.fround(Math.tanh(Math.fround(vs[j])));
      const got = out[H + j];
      const ulp = Math.max(Math.abs(want) * 2 ** -23, 2 ** -149);
      expect(Math.sign(got), `tanh(${vs[j]}) sign`).toBe(Math.sign(want));
      expect(Math.abs(got - want) / ulp, `tanh(${vs[j]}): ${got} against ${want}`).toBeLessThanOrEqual(2);
    }
  });
});
