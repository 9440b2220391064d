// Every edit that adding a primitive takes (docs/architecture.md, "Adding a primitive") is checked per row of
// the table: a row whose JS kernel, cost model, fast-check arbitrary or naive reference is missing fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import '../../src/index.js';
import { PRIMS, primNames } from '../../src/ops/table.js';
import type { PrimDef } from '../../src/ops/prim.js';
import { jsKernels } from '../../src/backend/js.js';
import type { Kernels } from '../../src/backend/kernels.js';
import { allocArray } from '../../src/core/dtype.js';
import { Tensor } from '../../src/core/tensor.js';
import { PRIM_ARBITRARIES, type PrimCase } from '../support/prim-arbitraries.js';
import { NAIVE_PRIMS } from '../support/naive-prims.js';

const rows = PRIMS as unknown as Record<string, PrimDef<unknown>>;
const arbitraries = PRIM_ARBITRARIES as Partial<Record<string, fc.Arbitrary<PrimCase>>>;
const naive = NAIVE_PRIMS as Partial<Record<string, unknown>>;
const sample = (name: string): PrimCase => fc.sample(arbitraries[name]!, { seed: 15, numRuns: 1 })[0];

/** The Kernels methods a row's forward calls, run against the JS reference kernels through a spy. */
function kernelsCalled(row: PrimDef<unknown>, c: PrimCase): string[] {
  const called: string[] = [];
  const spy = new Proxy(jsKernels, {
    get(target, key) {
      const v = (target as unknown as Record<PropertyKey, unknown>)[key];
      if (typeof v === 'function') called.push(String(key));
      return v;
    },
  }) as Kernels;
  const shape = row.shape(c.inputs, c.params);
  const dtype = row.dtype?.(c.inputs, c.params) ?? c.inputs[0].dtype;
  row.forward(
    spy,
    c.inputs,
    allocArray(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    ),
    c.params,
    shape,
  );
  return called;
}

describe('adding a primitive: every edit is there for every row', () => {
  const names = primNames();

  it('each row has a fast-check arbitrary and a naive test reference', () => {
    expect(names.filter((n) => !arbitraries[n])).toEqual([]);
    expect(names.filter((n) => typeof naive[n] !== 'function')).toEqual([]);
  });

  it.each(names.filter((n) => n !== 'reshape'))(
    '%s: its forward calls a kernel the JS reference implements',
    (n) => {
      const called = kernelsCalled(rows[n], sample(n));
      expect(called.length, `${n} calls no Kernels method`).toBeGreaterThan(0);
      for (const m of called)
        expect(typeof (jsKernels as unknown as Record<string, unknown>)[m], m).toBe('function');
    },
  );

  it('reshape is the one view: its forward returns its input array', () => {
    // dispatch allocates no output for a row marked `view` (it would be thrown away)
    expect(names.filter((n) => rows[n].view === true)).toEqual(['reshape']);
    const c = sample('reshape');
    const shape = rows.reshape.shape(c.inputs, c.params);
    expect(rows.reshape.forward(jsKernels, c.inputs, new Float64Array(0), c.params, shape)).toBe(
      c.inputs[0].raw,
    );
  });

  it.each(names)('%s: its cost model gives finite, non-negative FLOPs and bytes', (n) => {
    const c = sample(n);
    const shape = rows[n].shape(c.inputs, c.params);
    const dtype = rows[n].dtype?.(c.inputs, c.params) ?? c.inputs[0].dtype;
    const out = new Tensor(
      allocArray(
        dtype,
        shape.reduce((a, b) => a * b, 1),
      ),
      shape,
    );
    const cost = rows[n].cost({ ins: c.inputs, out, p: c.params });
    for (const v of [cost.flops, cost.bytes]) {
      expect(Number.isFinite(v), `${n}: ${JSON.stringify(cost)}`).toBe(true);
      expect(v).toBeGreaterThanOrEqual(0);
    }
  });

  it('docs/architecture.md names each of those edits', () => {
    const doc = readFileSync(new URL('../../docs/architecture.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('## Adding a primitive'));
    for (const s of [
      'rows.ts',
      'builders.ts',
      '`Kernels`',
      'backend/js.ts',
      'prim-arbitraries.ts',
      'naive-prims.ts',
      '`cost`',
    ])
      expect(section, s).toContain(s);
  });
});
