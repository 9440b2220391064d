// The PyTorch 1.13 references of the margin, embedding and likelihood losses and the distance modules
// (test/fixtures/torch-losses-2/cases.json, written by gen.py beside it in float64) and the check every case runs:
// the module's output for each reduction and the gradient of sum(output · cot) for each argument PyTorch
// differentiated, both to 1e-9 relative, in float64.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { expectClose } from '../../support/check.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Arg extends Arr {
  dtype: 'float64' | 'int32';
  grad: boolean;
}
export interface Case {
  name: string;
  module: string;
  opts: Record<string, unknown>;
  args: Arg[];
  out: Record<string, { value: Arr; cot: Arr; grads: (Arr | null)[] }>;
}

export const CASES: Case[] = JSON.parse(
  readFileSync(new URL('../../fixtures/torch-losses-2/cases.json', import.meta.url), 'utf8'),
).cases;

const f64 = (a: Arr): tg.Tensor => tg.tensor(a.data, a.shape, { dtype: 'float64' });
export const argOf = (a: Arg): tg.Tensor => tg.tensor(a.data, a.shape, { dtype: a.dtype });

/** The tapegrad options of a case: weight as a float64 tensor, 'Infinity' as the number. */
export function optsOf(
  c: Case,
  reduction: string,
  dtype: 'float32' | 'float64' = 'float64',
): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.opts))
    o[k] = k === 'weight' ? tg.tensor(v as number[], undefined, { dtype }) : v === 'Infinity' ? Infinity : v;
  if (reduction !== '-') o.reduction = reduction;
  return o;
}

type Fwd = { forward(...xs: tg.Tensor[]): tg.Tensor };
/** A module of the case (by tg.nn name). */
export function moduleOf(c: Case, reduction: string, dtype: 'float32' | 'float64' = 'float64'): Fwd {
  const Cls = (tg.nn as unknown as Record<string, new (o: unknown) => Fwd>)[c.module];
  return new Cls(optsOf(c, reduction, dtype));
}

/** Compare `run(args)` with PyTorch's output and gradients for one reduction of a case. */
export function checkCase(c: Case, reduction: string, run: (xs: tg.Tensor[]) => tg.Tensor): void {
  const ref = c.out[reduction];
  const args = c.args.map(argOf);
  const y = run(args);
  expect(y.shape, `${c.name} ${reduction}: shape`).toEqual(ref.value.shape);
  expectClose(
    y.data as ArrayLike<number>,
    ref.value.data,
    { rtol: 1e-9, atol: 1e-12 },
    `${c.name} ${reduction}`,
  );
  const which = c.args.map((a, i) => (a.grad ? i : -1)).filter((i) => i >= 0);
  const cot = f64(ref.cot);
  const gs = tg.grads((...ds: tg.Tensor[]) => {
    const xs = args.slice();
    which.forEach((i, k) => (xs[i] = ds[k]));
    return tg.sum(tg.mul(run(xs), cot));
  })(...which.map((i) => args[i]));
  which.forEach((i, k) => {
    const want = ref.grads[i]!;
    expect(gs[k].shape, `${c.name} ${reduction}: grad ${i} shape`).toEqual(want.shape);
    expectClose(
      gs[k].data as ArrayLike<number>,
      want.data,
      { rtol: 1e-9, atol: 1e-12 },
      `${c.name} ${reduction}: grad of arg ${i}`,
    );
  });
}

/** One test per case and reduction of the given modules, through the module and through `functional`. */
export function fixtureTests(modules: string[], functionals: Record<string, string>): void {
  const chosen = CASES.filter((c) => modules.includes(c.module));
  it('the fixture has cases for each module', () => {
    for (const m of modules)
      expect(
        chosen.some((c) => c.module === m),
        m,
      ).toBe(true);
  });
  for (const c of chosen)
    for (const r of Object.keys(c.out))
      it(`${c.module}: ${c.name}, reduction ${r}`, () => {
        checkCase(c, r, (xs) => moduleOf(c, r).forward(...xs));
        const F = (tg.nn.functional as unknown as Record<string, (...a: unknown[]) => tg.Tensor>)[
          functionals[c.module]
        ];
        checkCase(c, r, (xs) => F(...xs, optsOf(c, r)));
      });
}
