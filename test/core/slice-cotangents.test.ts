// The walker sums the cotangents of many slices of one tensor as one concat (src/core/slice-cotangents.ts): the
// same gradients as a pad and an add per slice (which an op listener still gets), finite differences agree, and
// overlapping or multi-axis slices, other consumers of the tensor and second derivatives all still work.
import { describe, expect, it, vi } from 'vitest';
import { kernels } from '../../src/backend/kernels.js';
import { SliceCotangents } from '../../src/core/slice-cotangents.js';
import type { TapeNode } from '../../src/core/tape.js';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

const f64 = (n: number, seed: number, shape: number[]) =>
  tg.tensor(Float64Array.from(uniform(n, seed)), shape, { dtype: 'float64' });
const f32 = (n: number, seed: number, shape: number[]) =>
  tg.tensor(Float32Array.from(uniform(n, seed)), shape);

/** The gradients of f at xs, and the same with an op listener attached (each slice's pad and the adds). */
function bothWays(f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[]): [number[][], number[][]] {
  const fast = tg
    .grads(f)(...xs)
    .map((g) => Array.from(g.data));
  const off = tg.onOp(() => {});
  try {
    return [
      fast,
      tg
        .grads(f)(...xs)
        .map((g) => Array.from(g.data)),
    ];
  } finally {
    off();
  }
}

describe('cotangents of many slices of one tensor', () => {
  // an RNN reading a [B, T, F] sequence one step at a time, some steps twice as far apart (gaps of zeros)
  const steps = (x: tg.Tensor, ts: number[], w: tg.Tensor) => {
    const [B, , F] = x.shape;
    let h = tg.zeros([B, F], { dtype: x.dtype });
    for (const t of ts)
      h = tg.tanh(tg.add(tg.matmul(h, w), tg.reshape(tg.slice(x, [0, t, 0], [B, 1, F]), [B, F])));
    return tg.sum(tg.mul(h, h));
  };

  it('equal the pads and adds bit for bit (float32), for every step read and with steps skipped', () => {
    const x = f32(3 * 11 * 4, 1, [3, 11, 4]);
    const w = f32(16, 2, [4, 4]);
    for (const ts of [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [10, 2, 5, 7], [4]]) {
      const [fast, ref] = bothWays((xi, wi) => steps(xi, ts, wi), [x, w]);
      expect(fast).toEqual(ref);
    }
  });

  it('run one concat kernel and no pad for a sequence read step by step', () => {
    const x = f32(3 * 11 * 4, 1, [3, 11, 4]);
    const w = f32(16, 2, [4, 4]);
    const K = kernels();
    const pad = vi.spyOn(K, 'pad');
    const concat = vi.spyOn(K, 'concat');
    try {
      tg.grads((xi: tg.Tensor, wi: tg.Tensor) => steps(xi, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10], wi))(x, w);
      expect(pad).not.toHaveBeenCalled();
      expect(concat).toHaveBeenCalledTimes(1);
    } finally {
      pad.mockRestore();
      concat.mockRestore();
    }
  });

  it('agree with finite differences (float64), slices along any axis, overlapping, mixed with other consumers', () => {
    const x = f64(4 * 6 * 3, 3, [4, 6, 3]);
    const w = f64(9, 4, [3, 3]);
    const cases: [string, (xi: tg.Tensor, wi: tg.Tensor) => tg.Tensor][] = [
      ['time steps', (xi, wi) => steps(xi, [0, 1, 2, 3, 4, 5], wi)],
      [
        'along the batch axis',
        (xi) =>
          tg.sum(tg.mul(tg.slice(xi, [0, 0, 0], [2, 6, 3]), tg.exp(tg.slice(xi, [2, 0, 0], [2, 6, 3])))),
      ],
      [
        'overlapping',
        (xi) => tg.sum(tg.mul(tg.slice(xi, [0, 0, 0], [4, 4, 3]), tg.slice(xi, [0, 2, 0], [4, 4, 3]))),
      ],
      [
        'two axes',
        (xi) =>
          tg.add(
            tg.sum(tg.exp(tg.slice(xi, [0, 0, 0], [4, 3, 3]))),
            tg.sum(tg.square(tg.slice(xi, [0, 0, 0], [4, 6, 1]))),
          ),
      ],
      ['cut along two axes at once', (xi) => tg.sum(tg.square(tg.slice(xi, [1, 1, 0], [2, 3, 3])))],
      [
        'the tensor used whole too',
        (xi) => tg.add(tg.sum(tg.square(xi)), tg.sum(tg.exp(tg.slice(xi, [0, 1, 0], [4, 2, 3])))),
      ],
    ];
    for (const [what, f] of cases) {
      const r = tg.gradcheck(f, [x, w]);
      expect(r.ok, `${what}: ${JSON.stringify(r)}`).toBe(true);
    }
  });

  it('second derivatives through sliced steps (createGraph) agree with finite differences', () => {
    const x = f64(2 * 5 * 2, 5, [2, 5, 2]);
    const w = f64(4, 6, [2, 2]);
    const gx = (xi: tg.Tensor) =>
      tg.sum(tg.square(tg.grad((xx: tg.Tensor) => steps(xx, [0, 1, 2, 3, 4], w))(xi)));
    expect(tg.gradcheck(gx, [x]).ok).toBe(true);
  });

  it('take: one concat with zero blocks in the gaps; overlapping pieces go back to the pads and adds', () => {
    const x = tg.zeros([2, 7]);
    const node = (begin: number, len: number): TapeNode => ({
      op: 'slice',
      inputs: [x],
      params: { begin: [0, begin], size: [2, len] },
      epoch: 0,
      vjp: (g) => [
        tg.pad(g, [
          [0, 0],
          [begin, 7 - begin - len],
        ]),
      ],
    });
    const calls: string[] = [];
    const ops = {
      add: (a: tg.Tensor, b: tg.Tensor) => (calls.push('add'), tg.add(a, b)),
      concat: (ps: tg.Tensor[], axis: number) => (
        calls.push(`concat ${ps.map((p) => p.shape[1]).join(',')} @${axis}`),
        tg.concat(ps, axis)
      ),
    };
    const s = new SliceCotangents();
    expect(s.offer(x, node(5, 2), tg.mul(tg.ones([2, 2]), 3))).toBe(true);
    expect(s.offer(x, node(1, 2), tg.ones([2, 2]))).toBe(true);
    expect(s.has(x)).toBe(true);
    const g = s.take(x, ops);
    expect(calls).toEqual(['concat 1,2,2,2 @1']);
    expect(Array.from(g.data)).toEqual([0, 1, 1, 0, 0, 3, 3, 0, 1, 1, 0, 0, 3, 3]);
    expect(s.has(x)).toBe(false);
    calls.length = 0;
    s.offer(x, node(0, 4), tg.ones([2, 4]));
    s.offer(x, node(2, 4), tg.mul(tg.ones([2, 4]), 2));
    expect(Array.from(s.take(x, ops).data)).toEqual([1, 1, 3, 3, 2, 2, 0, 1, 1, 3, 3, 2, 2, 0]);
    expect(calls).toEqual(['add']);
  });
});
