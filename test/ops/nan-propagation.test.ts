// NaN in gives NaN out wherever the math says so, for every row of the primitive table (fused inference rows
// included), on the JS reference (float64 and float32) and on the wasm kernels (float32).
// The oracle is independent of the kernels' NaN handling: an output element depends on an input element when
// setting that input to -1e4, 0.3 and 1e4 changes it; every such output must be NaN when the input is NaN.
// NOTE: one direction only: IEEE NaN may reach outputs the perturbation cannot see (NaN·0 is NaN, but x·0 never
// moves), so outputs that do not depend on the element are not checked. Int and bool outputs (argmax, poolArgmax,
// compare, casts to int32) cannot hold NaN; their NaN rules are pinned by the explicit tests below.
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { run } from '../../src/ops/dispatch.js';
import { primNames } from '../../src/ops/table.js';
import { PRIM_ARBITRARIES, type PrimCase } from '../support/prim-arbitraries.js';

const CASES = 12;
const PROBES = [-1e4, 0.3, 1e4];
const isFloat = (t: tg.Tensor) => t.dtype === 'float32' || t.dtype === 'float64';
/** Equal up to rounding (a kernel may take another path for a block with a huge lane: SIMD vs scalar). */
const same = (a: number, b: number) =>
  a === b || (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-5 * (Math.abs(a) + Math.abs(b));

/** The case's float64 inputs as `dtype`; indices, conditions and int inputs unchanged. */
function asDtype(c: PrimCase, dtype: 'float32' | 'float64'): tg.Tensor[] {
  return c.inputs.map((t) =>
    t.dtype === 'float64' && dtype === 'float32' ? tg.tensor(Float32Array.from(t.data), t.shape) : t,
  );
}

/** `inputs` with element k of input i set to v. */
function withValue(inputs: tg.Tensor[], i: number, k: number, v: number): tg.Tensor[] {
  return inputs.map((t, j) => {
    if (j !== i) return t;
    const d = t.data.slice();
    d[k] = v;
    return tg.tensor(d, t.shape);
  });
}

afterEach(() => tg.setBackend('wasm'));
/** Rows whose outputs are indices or truth values, never NaN. */
const NO_NAN_OUT = ['argmax', 'poolArgmax', 'compare', 'topkIndices'];
/**
 * Float inputs that only route other values: maxPool2dGrad's x picks where each dy lands (poolArgmax, then
 * scatterAdd), so a NaN there moves a gradient (to the NaN: it is the window's max) and is not one.
 */
const ROUTING: Record<string, number[]> = { maxPool2dGrad: [0] };

const RUNS: ['js' | 'wasm', 'float32' | 'float64'][] = [
  ['js', 'float64'],
  ['js', 'float32'],
  ['wasm', 'float32'],
];

describe.each(RUNS)('NaN propagation (%s backend, %s)', (backend, dtype) => {
  it.each(primNames())('%s', (name) => {
    tg.setBackend(backend);
    const cases = fc.sample(PRIM_ARBITRARIES[name], { seed: 20261205, numRuns: CASES });
    if (name === 'compare') return; // truth values: IEEE comparisons with NaN are false (ne: true), not NaN
    let checked = 0;
    cases.forEach((c, ci) => {
      const inputs = asDtype(c, dtype);
      inputs.forEach((x, i) => {
        if (!isFloat(x) || x.size === 0 || ROUTING[name]?.includes(i)) return;
        const k = (ci * 7919 + i * 104729) % x.size;
        const outs = PROBES.map((v) => run(name, withValue(inputs, i, k, v), c.params));
        if (!isFloat(outs[0])) return;
        const nan = run(name, withValue(inputs, i, k, NaN), c.params).data;
        const o = outs.map((t) => t.data);
        for (let j = 0; j < nan.length; j++) {
          const depends = !same(o[0][j], o[1][j]) || !same(o[1][j], o[2][j]);
          if (!depends) continue;
          checked++;
          if (!Number.isNaN(nan[j]))
            expect.fail(
              `${name} on ${backend}/${dtype}: input ${i} element ${k} = NaN gave output ${j} = ${nan[j]} ` +
                `(it moves with that input: ${PROBES.map((p, q) => `${p} → ${o[q][j]}`).join(', ')}); ` +
                `inputs ${inputs.map((t) => tg.fmtShape(t.shape)).join(', ')} params ${JSON.stringify(c.params)}`,
            );
        }
      });
    });
    // a row whose output is float must have been exercised (argmax, poolArgmax, compare: int/bool outputs)
    if (!NO_NAN_OUT.includes(name) && name !== 'cast')
      expect(checked, `${name}: no output depended on any probed input`).toBeGreaterThan(0);
  });
});

describe.each(['js', 'wasm'] as const)('NaN rules that int outputs and layers must keep (%s)', (backend) => {
  it('relu keeps NaN (PyTorch, TF.js): relu([NaN, -1, 1]) = [NaN, 0, 1], float32 and float64, SIMD lanes too', () => {
    tg.setBackend(backend);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tg.tensor([NaN, -1, 1, -0, NaN, 2, -3, NaN, 0.5], [9], { dtype });
      expect(x.dtype).toBe(dtype);
      expect(Array.from(tg.relu(x).data)).toEqual([NaN, 0, 1, 0, NaN, 2, 0, NaN, 0.5]);
    }
  });

  it('a relu layer and dense({activation: relu}) pass NaN through', () => {
    tg.setBackend(backend);
    const x = tg.tensor([[NaN, NaN, NaN]]);
    const d = tg.layers.dense({ units: 4, activation: 'relu', inputShape: [3] });
    expect(Array.from((d.apply(x) as tg.Tensor).data).every(Number.isNaN)).toBe(true);
    const r = tg.layers.activation({ activation: 'relu' });
    expect(Array.from((r.apply(tg.tensor([[NaN, -2]])) as tg.Tensor).data)).toEqual([NaN, 0]);
  });

  it('argmax picks the first NaN (NumPy, PyTorch); max pooling of a window with a NaN is NaN, fused or not', () => {
    tg.setBackend(backend);
    expect(Array.from(tg.argmax(tg.tensor([1, 5, NaN, 7, NaN]), 0).data)).toEqual([2]);
    // 1 image 2×2, 1 channel and 4 channels (the SIMD lanes): the NaN is in the second window position
    for (const c of [1, 4, 5]) {
      const v = new Float32Array(4 * c).fill(1);
      v[c] = NaN;
      const x = tg.tensor(v, [1, 2, 2, c]);
      const fused = tg.noGrad(() => tg.maxPool2d(x, { kernelSize: 2 }));
      expect(Number.isNaN(fused.data[0]), `fused, ${c} channels`).toBe(true);
      const xg = tg.tensor(v, [1, 2, 2, c], { requiresGrad: true });
      const taped = tg.maxPool2d(xg, { kernelSize: 2 });
      expect(Number.isNaN(taped.data[0]), `taped, ${c} channels`).toBe(true);
      expect(Array.from(taped.data.subarray(1))).toEqual(new Array(c - 1).fill(1));
    }
  });
});
