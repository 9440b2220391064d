// Max pooling with indices over the geometries max-pool-indices.test.ts leaves out (2-d dilation with padding and
// ceil_mode, rectangular kernels and strides, an unbatched input, NaN and -inf among tied inputs, 1-d dilation 3),
// their unpooling back to the input's size, and MaxUnpool of indices with many duplicates (the last write wins, each
// input gets the gradient at its index), against PyTorch 1.13 in float64: values, indices, input gradients.
// test/fixtures/max-pool-indices/cases.json was made by gen.py beside it (Debian's python3-torch, /usr/bin/python3);
// the loss is Σ nan_to_num(out, 0) · cos(0.37·j), so NaN / -inf outputs pass no gradient.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { weights } from './pool-inputs.js';

const F = tg.nn.functional;
type Num = number | 'nan' | '-inf';
interface PoolCase {
  dims: 1 | 2;
  shape: number[];
  x: Num[];
  kernelSize: any;
  stride: any;
  padding: any;
  dilation: any;
  ceilMode: boolean;
  outShape: number[];
  y: Num[];
  idx: number[];
  grad: Num[];
  unpool: { u: Num[]; grad: Num[] } | null;
}
interface UnpoolCase {
  dims: 1 | 2;
  shape: number[];
  kernelSize: number;
  v: Num[];
  idx: number[];
  outShape: number[];
  u: Num[];
  grad: Num[];
}
const CASES = JSON.parse(
  readFileSync(new URL('../../fixtures/max-pool-indices/cases.json', import.meta.url), 'utf8'),
) as { pool: PoolCase[]; unpool: UnpoolCase[] };

const num = (v: Num): number => (v === 'nan' ? NaN : v === '-inf' ? -Infinity : v);
const f64 = (v: Num[], shape: number[]) =>
  tg.tensor(v.map(num), shape, { dtype: 'float64' }).requireGrad(true);
/** Σ nan_to_num(t, 0)·w: non-finite entries count 0 and pass no gradient (PyTorch's nan_to_num). */
const loss = (t: tg.Tensor) => {
  const finite = tg.equal(tg.sub(t, t), tg.zerosLike(t));
  return tg.sum(tg.mul(tg.where(finite, t, 0), weights(t.shape)));
};
/** Equal to 1e-9, NaN where PyTorch has NaN and ±∞ where it has them. */
function same(got: ArrayLike<number>, want: Num[], what: string): void {
  expect(got.length, `${what} length`).toBe(want.length);
  want.forEach((w, i) => {
    const [g, e] = [got[i], num(w)];
    if (!Number.isFinite(e))
      expect(Object.is(g, e) || (isNaN(e) && isNaN(g)), `${what}[${i}]: ${g} vs ${e}`).toBe(true);
    else expect(Math.abs(g - e), `${what}[${i}]: ${g} vs ${e}`).toBeLessThan(1e-9);
  });
}
const label = (c: PoolCase) =>
  `${c.dims}-d ${JSON.stringify(c.shape)} k ${JSON.stringify(c.kernelSize)} s ${JSON.stringify(c.stride)} p ${JSON.stringify(c.padding)} d ${JSON.stringify(c.dilation)}${c.ceilMode ? ' ceil' : ''}${c.x.some((v) => typeof v === 'string') ? ' NaN/-inf' : ''}`;

function pool(c: PoolCase, x: tg.Tensor): [tg.Tensor, tg.Tensor] {
  const o = { stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode };
  return c.dims === 2
    ? F.maxPool2d(x, c.kernelSize, { ...o, returnIndices: true })
    : F.maxPool1d(x, c.kernelSize, { ...o, returnIndices: true });
}

describe('max pooling with indices equals PyTorch 1.13 (dilation, padding, ceil_mode, ties, NaN / -inf)', () => {
  for (const c of CASES.pool)
    it(label(c), () => {
      const x = f64(c.x, c.shape);
      const [y, idx] = pool(c, x);
      expect(y.shape).toEqual(c.outShape);
      expect(idx.dtype).toBe('int32');
      expect(Array.from(idx.data)).toEqual(c.idx);
      same(y.data as ArrayLike<number>, c.y, 'value');
      loss(y).backward();
      same(x.grad!.data as ArrayLike<number>, c.grad, 'grad');
    });
});

describe('unpooling those back to the input size equals PyTorch 1.13 (values, gradient through both)', () => {
  for (const c of CASES.pool.filter((k) => k.unpool))
    it(label(c), () => {
      const x = f64(c.x, c.shape);
      const [y, idx] = pool(c, x);
      const o = { stride: c.stride, padding: c.padding, outputSize: c.shape.slice(-c.dims) };
      const u =
        c.dims === 2 ? F.maxUnpool2d(y, idx, c.kernelSize, o) : F.maxUnpool1d(y, idx, c.kernelSize, o);
      expect(u.shape).toEqual(c.shape);
      same(u.data as ArrayLike<number>, c.unpool!.u, 'value');
      loss(u).backward();
      same(x.grad!.data as ArrayLike<number>, c.unpool!.grad, 'grad');
    });
});

describe('max unpooling of indices with many duplicates equals PyTorch 1.13 (the last write wins)', () => {
  for (const c of CASES.unpool)
    it(`${c.dims}-d ${JSON.stringify(c.shape)} → ${JSON.stringify(c.outShape)}`, () => {
      const v = f64(c.v, c.shape);
      const idx = tg.tensor(c.idx, c.shape, { dtype: 'int32' });
      const u = c.dims === 2 ? F.maxUnpool2d(v, idx, c.kernelSize) : F.maxUnpool1d(v, idx, c.kernelSize);
      expect(u.shape).toEqual(c.outShape);
      same(u.data as ArrayLike<number>, c.u, 'value');
      loss(u).backward();
      same(v.grad!.data as ArrayLike<number>, c.grad, 'grad');
    });
});
