// Every primitive on the wasm backend writes its whole output: with resident outputs poisoned (NaN / -1) before the
// kernel runs, float32 results must still match the JS reference on the cases the primitive table tests use.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { primNames } from '../../src/ops/table.js';
import { PRIM_ARBITRARIES, type PrimCase } from '../support/prim-arbitraries.js';
import { wasm } from '../support/backend.js';

const K = wasm();
const arbitraries = PRIM_ARBITRARIES as Partial<Record<string, fc.Arbitrary<PrimCase>>>;
const f32 = (t: tg.Tensor): tg.Tensor =>
  t.dtype === 'float64' ? new tg.Tensor(Float32Array.from(t.raw), t.shape) : t;

function runOn(backend: string, name: string, c: PrimCase): tg.Tensor | Error {
  tg.setBackend(backend);
  try {
    const y = run(name as tg.PrimName, c.inputs.map(f32), c.params);
    return new tg.Tensor(y.raw.slice(), y.shape); // a plain copy before anything can move it
  } catch (e) {
    return e as Error;
  } finally {
    tg.setBackend('wasm');
  }
}

describe('resident outputs are fully written by every primitive (poisoned blocks)', () => {
  beforeAll(() => {
    K.arena.poison = true;
    K.arena.minElements = 1;
  });
  afterAll(() => {
    K.arena.poison = false;
    K.arena.minElements = 2048;
  });

  it.each(primNames())('%s', (name) => {
    const cases = fc.sample(arbitraries[name]!, { seed: 11, numRuns: 25 });
    for (const c of cases) {
      const want = runOn('js', name, c);
      const got = runOn('wasm', name, c);
      if (want instanceof Error) {
        expect(got, `${name}: the reference threw ${want.message}`).toBeInstanceOf(Error);
        continue;
      }
      if (got instanceof Error) throw got;
      expect(got.shape).toEqual(want.shape);
      expect(got.dtype).toBe(want.dtype);
      const a = got.raw;
      const b = want.raw;
      for (let i = 0; i < b.length; i++) {
        if (Number.isNaN(b[i]) ? Number.isNaN(a[i]) : Math.abs(a[i] - b[i]) <= 1e-4 * (1 + Math.abs(b[i])))
          continue;
        expect.fail(`${name} ${JSON.stringify(c.params)}: element ${i} is ${a[i]}, the reference ${b[i]}`);
      }
    }
  });
});
