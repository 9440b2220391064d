// Merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot): Keras fixtures built as
// Dense branches on one input, naive loops, gradchecks, the functional API, and shape errors naming every input.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';
import {
  type FixCase,
  expectKeras,
  expectThrowsWith,
  fixTensor,
  getCase,
  loadCases,
  randTensor,
} from '../support/layers.js';

/**
 * The keras-js merge notebooks feed one input through one Dense(2) per branch (weights: kernel, bias per branch),
 * repeated 3 times (RepeatVector) for the "2D inputs" cases, then merge the branches.
 */
function branches(c: FixCase, repeat: boolean): tg.Tensor[] {
  const x = fixTensor(c.input!);
  const out: tg.Tensor[] = [];
  for (let i = 0; i < c.weights!.length; i += 2) {
    const d = new tg.Dense({ units: 2 });
    d.build(x.shape);
    d.built = true;
    d.setWeights([fixTensor(c.weights![i], false), fixTensor(c.weights![i + 1], false)]);
    const y = d.apply(x) as tg.Tensor;
    out.push(repeat ? (new tg.RepeatVector({ n: 3 }).apply(y) as tg.Tensor) : y);
  }
  return out;
}

describe('elementwise merges match Keras', () => {
  const kinds: [string, () => tg.Layer, number[]][] = [
    ['Add', () => new tg.Add(), [0, 1, 2]],
    ['Subtract', () => new tg.Subtract(), [0]],
    ['Multiply', () => new tg.Multiply(), [0, 1, 2]],
    ['Average', () => new tg.Average(), [0, 1, 2]],
    ['Maximum', () => new tg.Maximum(), [0, 1, 2]],
    ['Minimum', () => new tg.Minimum(), [0, 1, 2]],
  ];
  for (const [kind, make, ids] of kinds) {
    const cases = loadCases(`layers/merge/${kind}.json`);
    for (const i of ids)
      it(`${kind}.${i}`, () => {
        const c = getCase(cases, `merge.${kind}.${i}`);
        expectKeras(make().apply(branches(c, false)) as tg.Tensor, c.expected, `${kind}.${i}`);
      });
  }
});

describe('Concatenate and Dot match Keras', () => {
  const cc = loadCases('layers/merge/Concatenate.json');
  const axes: [number, number, boolean][] = [
    [0, -1, false],
    [1, -1, true],
    [2, -2, true],
    [3, 1, true],
    [4, 2, true],
    [5, -1, true],
    [6, -1, true],
  ];
  for (const [i, axis, rep] of axes)
    it(`Concatenate.${i} (axis ${axis})`, () => {
      const c = getCase(cc, `merge.Concatenate.${i}`);
      expectKeras(
        new tg.Concatenate({ axis }).apply(branches(c, rep)) as tg.Tensor,
        c.expected,
        `Concatenate.${i}`,
      );
    });
  const dc = loadCases('layers/merge/Dot.json');
  const dots: [number, number | [number, number], boolean][] = [
    [0, 1, false],
    [1, 2, false],
    [2, 1, true],
    [3, 2, true],
    [4, [2, 2], true],
  ];
  for (const [i, ax, normalize] of dots)
    it(`Dot.${i} (axes ${JSON.stringify(ax)}, normalize ${normalize})`, () => {
      const c = getCase(dc, `merge.Dot.${i}`);
      expectKeras(
        new tg.Dot({ axes: ax, normalize }).apply(branches(c, true)) as tg.Tensor,
        c.expected,
        `Dot.${i}`,
      );
    });
});

describe('merge semantics', () => {
  it('Dot on rank-3 inputs equals a naive batched contraction, and [batch, 1] for vectors', () => {
    const x = randTensor([2, 3, 4], 41);
    const y = randTensor([2, 5, 3], 42);
    const out = new tg.Dot({ axes: [1, 2] }).apply([x, y]) as tg.Tensor; // contract x axis 1 (3) with y axis 2 (3)
    expect(out.shape).toEqual([2, 4, 5]);
    const want: number[] = [];
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 5; j++) {
          let s = 0;
          for (let k = 0; k < 3; k++) s += x.data[(b * 3 + k) * 4 + i] * y.data[(b * 5 + j) * 3 + k];
          want.push(s);
        }
    expectClose(out.data, want, { rtol: 1e-12, atol: 1e-12 });
    const u = randTensor([3, 4], 43);
    const v = randTensor([3, 4], 44);
    const cos = new tg.Dot({ axes: -1, normalize: true }).apply([u, v]) as tg.Tensor;
    expect(cos.shape).toEqual([3, 1]);
    for (let r = 0; r < 3; r++) {
      const a = Array.from(u.data.subarray(r * 4, r * 4 + 4));
      const b = Array.from(v.data.subarray(r * 4, r * 4 + 4));
      const dot = a.reduce((s, ai, k) => s + ai * b[k], 0);
      expect(cos.data[r]).toBeCloseTo(dot / Math.hypot(...a) / Math.hypot(...b), 12);
    }
  });

  it('gradchecks Dot (normalized), Average, Maximum and Concatenate w.r.t. every input', () => {
    const [a, b, c] = [randTensor([2, 3], 45), randTensor([2, 3], 46), randTensor([2, 3], 47)];
    const checks: [string, (...xs: tg.Tensor[]) => tg.Tensor, tg.Tensor[]][] = [
      ['Dot', (p, q) => new tg.Dot({ axes: 1, normalize: true }).apply([p, q]) as tg.Tensor, [a, b]],
      ['Average', (p, q, r) => new tg.Average().apply([p, q, r]) as tg.Tensor, [a, b, c]],
      ['Maximum', (p, q) => new tg.Maximum().apply([p, q]) as tg.Tensor, [a, b]],
      [
        'Concatenate',
        (p, q) => new tg.Concatenate({ axis: 1 }).apply([p, q]) as tg.Tensor,
        [a, randTensor([2, 2], 48)],
      ],
    ];
    for (const [what, f, xs] of checks) {
      const res = tg.gradcheck(f, xs);
      expect(res.ok, `${what}: ${JSON.stringify(res.worst)}`).toBe(true);
    }
  });

  it('broadcasts a 1 against a size (Keras elementwise shapes)', () => {
    const y = new tg.Multiply().apply([
      randTensor([2, 3, 4], 49),
      tg.ones([2, 1, 4], { dtype: 'float64' }),
    ]) as tg.Tensor;
    expect(y.shape).toEqual([2, 3, 4]);
  });

  it('builds a functional model from two inputs', () => {
    const a = tg.input({ shape: [3] });
    const b = tg.input({ shape: [3] });
    const out = tg.layers
      .concatenate()
      .apply([
        tg.layers.add().apply([a, b]) as tg.SymbolicTensor,
        tg.layers.subtract().apply([a, b]) as tg.SymbolicTensor,
      ]) as tg.SymbolicTensor;
    expect(out.shape).toEqual([null, 6]);
    const m = tg.model({ inputs: [a, b], outputs: out });
    const y = m.predict([tg.tensor([[1, 2, 3]]), tg.tensor([[10, 20, 30]])]) as tg.Tensor;
    expect(Array.from(y.data)).toEqual([11, 22, 33, -9, -18, -27]);
  });

  it('errors name the layer and every input shape', () => {
    const z = (s: number[]) => tg.zeros(s);
    expectThrowsWith(
      () => new tg.Add({ name: 'add_x' }).apply([z([2, 3]), z([2, 4])]),
      ['add_x', 'Add', '[2,3], [2,4]'],
    );
    expectThrowsWith(
      () => new tg.Average({ name: 'avg' }).apply([z([2, 3]), z([2, 3]), z([2, 5])]),
      ['avg', '[2,3], [2,3], [2,5]'],
    );
    expectThrowsWith(
      () => new tg.Add({ name: 'add_b' }).apply([z([2, 3]), z([3, 3])]),
      ['add_b', 'batch', '[2,3], [3,3]'],
    );
    expectThrowsWith(
      () => new tg.Subtract({ name: 'sub' }).apply([z([2, 3]), z([2, 3]), z([2, 3])]),
      ['sub', 'exactly 2', 'got 3'],
    );
    expectThrowsWith(
      () => new tg.Add({ name: 'add_1' }).apply([z([2, 3])]),
      ['add_1', 'at least 2', 'got 1'],
    );
    expectThrowsWith(
      () => new tg.Add({ name: 'add_t' }).apply(z([2, 3])),
      ['add_t', 'single tensor', '[2,3]'],
    );
    expectThrowsWith(
      () => new tg.Concatenate({ name: 'cat' }).apply([z([2, 3, 4]), z([2, 5, 4])]),
      ['cat', 'Concatenate', '[2,3,4], [2,5,4]'],
    );
    expectThrowsWith(
      () => new tg.Concatenate({ name: 'cat2' }).apply([z([2, 3]), z([2, 3, 1])]),
      ['cat2', 'rank', '[2,3], [2,3,1]'],
    );
    expectThrowsWith(
      () => new tg.Dot({ axes: 1, name: 'dot' }).apply([z([2, 3]), z([2, 4])]),
      ['dot', 'Dot', '[2,3]', '[2,4]'],
    );
    expectThrowsWith(
      () => new tg.Dot({ axes: 0, name: 'dot0' }).apply([z([2, 3]), z([2, 3])]),
      ['dot0', 'batch'],
    );
  });

  it('configs', () => {
    expect(new tg.Concatenate({ axis: 1 }).getConfig()).toMatchObject({ axis: 1 });
    expect(new tg.Dot({ axes: [1, 2], normalize: true }).getConfig()).toMatchObject({
      axes: [1, 2],
      normalize: true,
    });
    expect(tg.layers.maximum()).toBeInstanceOf(tg.Maximum);
  });
});
