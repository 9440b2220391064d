// Shared helpers for the layer tests: Keras fixture loading, tensors from fixture arrays, gradchecks over weights.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from './check.js';

export interface FixArray {
  data: number[];
  shape: number[];
}
export interface FixCase {
  input?: FixArray;
  inputs?: FixArray[];
  weights?: FixArray[];
  expected: FixArray;
}

const ROOT = new URL('../../../shared/keras-fixtures/kerasjs-layers-k2/', import.meta.url);

/** All cases of one keras-js fixture file (e.g. 'layers/merge/Add.json'), failing clearly when absent. */
export function loadCases(rel: string): Record<string, FixCase> {
  const path = fileURLToPath(new URL(rel, ROOT));
  if (!existsSync(path))
    throw new Error(
      `Keras fixture kerasjs-layers-k2/${rel} is missing: the layer tests need ../shared/keras-fixtures/kerasjs-layers-k2 next to the repository (see its README.md)`,
    );
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** One case by id, failing clearly when the id is absent. */
export function getCase(cases: Record<string, FixCase>, id: string): FixCase {
  const c = cases[id];
  if (!c) throw new Error(`Keras fixture case '${id}' not found (have ${Object.keys(cases).join(', ')})`);
  return c;
}

/** A fixture array as a tensor; `batch` adds a leading batch axis of 1 (fixture shapes exclude it). */
export const fixTensor = (a: FixArray, batch = true, dtype: tg.DType = 'float32'): tg.Tensor =>
  tg.tensor(Float64Array.from(a.data), batch ? [1, ...a.shape] : a.shape, { dtype });

/** Compare a layer output against a Keras expected array: shapes match, rel. error ≤ 1e-4. */
export function expectKeras(y: tg.Tensor, exp: FixArray, what: string): void {
  expect(y.shape, `${what}: shape`).toEqual([1, ...exp.shape]);
  // NOTE: fixture numbers are rounded to 6 decimals, so values near zero get an absolute floor of 1e-5.
  expectClose(Array.from(y.data), exp.data, { rtol: 1e-4, atol: 1e-5 }, what);
}

/**
 * Run `fn` with the layer's (and its children's) weight properties temporarily replaced by `ws` (same
 * order as `layer.getWeights()`), so gradcheck can differentiate w.r.t. weights passed as arguments.
 */
export function withWeights<T>(layer: tg.Layer, ws: tg.Tensor[], fn: () => T): T {
  const olds = layer.weights.map((w) => w.value); // the live tensors (getWeights returns copies)
  const saved: [Record<string, unknown>, string, unknown][] = [];
  const visit = (l: tg.Layer) => {
    for (const [k, v] of Object.entries(l)) {
      const i = olds.indexOf(v as tg.Tensor);
      if (i >= 0 && i < ws.length) {
        saved.push([l as unknown as Record<string, unknown>, k, v]);
        (l as unknown as Record<string, unknown>)[k] = ws[i];
      }
    }
    l.children().forEach(([, c]) => visit(c));
  };
  visit(layer);
  try {
    return fn();
  } finally {
    for (const [o, k, v] of saved) o[k] = v;
  }
}

/**
 * gradcheck (float64) of a built float64 layer w.r.t. its input and its first `nWeights` weights
 * (default: all trainable ones, which come first in every layer here).
 */
export function gradcheckLayer(
  layer: tg.Layer,
  x: tg.Tensor,
  opts: { training?: boolean; nWeights?: number; atol?: number; rtol?: number } = {},
): void {
  if (!layer.built) layer.apply(x);
  const ws = layer.getWeights().slice(0, opts.nWeights ?? layer.trainableWeights.length);
  for (const w of ws) expect(w.dtype, `${layer.name}: weights must be float64 for gradcheck`).toBe('float64');
  const res = tg.gradcheck(
    (xi, ...wi) =>
      withWeights(layer, wi, () => layer.apply(xi, { training: opts.training ?? false }) as tg.Tensor),
    [x, ...ws],
    {
      atol: opts.atol ?? 1e-6,
      rtol: opts.rtol ?? 1e-5,
      mode: 'full',
    },
  );
  if (!res.ok)
    expect.fail(`${layer.name} gradcheck: ${JSON.stringify(res.worst)} (max ratio ${res.maxRatio})`);
  expect(res.checks).toBeGreaterThan(0);
}

/** Deterministic float64 tensor with values in [lo, hi). */
export const randTensor = (
  shape: number[],
  seed: number,
  lo = -1,
  hi = 1,
  dtype: tg.DType = 'float64',
): tg.Tensor =>
  tg.tensor(
    uniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
      lo,
      hi,
    ),
    shape,
    { dtype },
  );

/** Expect `fn` to throw an error whose message contains every fragment. */
export function expectThrowsWith(fn: () => unknown, fragments: string[]): void {
  let err: unknown = null;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected an error').toBeInstanceOf(Error);
  const msg = (err as Error).message;
  for (const f of fragments) expect(msg, `error message should mention '${f}'`).toContain(f);
}
