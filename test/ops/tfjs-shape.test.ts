// TF.js shape ops (clone, reverse, unstack, mirrorPad, spaceToBatchND, batchToSpaceND, depthToSpace, diag,
// linalg.bandPart) against tfjs-core's cpu backend: values, shapes, gradients via tf.grad, and errors.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { compareOp, tfc, useTfjsCpu, valuesFor } from '../support/tfjs-compare.js';

beforeAll(useTfjsCpu);
// NOTE: gradients 'select' (from where TF.js's forward moves each value) where TF.js has none (DepthToSpace, Diag),
// a wrong one (MirrorPad's only slices the interior, dropping the mirrored copies' share) or one that throws
// (bandPart of a single matrix: its unstack/stack of one piece).

describe('clone', () => {
  it('copies the values into new storage; the gradient passes through', () => {
    compareOp(
      [2, 3],
      (x) => tg.clone(x),
      (x) => tfc.clone(x),
      'clone',
    );
    const x = tg.tensor([1, 2, 3]);
    const c = tg.clone(x);
    expect(c.storage).not.toBe(x.storage);
    expect(Array.from(c.data)).toEqual([1, 2, 3]);
    expect(tg.clone(tg.tensor([4, 5], [2], { dtype: 'int32' })).dtype).toBe('int32');
  });
});

describe('reverse', () => {
  const cases: [number[], number | number[] | undefined][] = [
    [[5], undefined],
    [[5], 0],
    [[2, 3], 1],
    [
      [2, 3],
      [0, 1],
    ],
    [
      [2, 3, 4],
      [-1, 0],
    ],
    [[2, 1, 4], 1],
  ];
  it.each(cases)('x %j axis %j matches tf.reverse', (shape, axis) =>
    compareOp(
      shape,
      (x) => tg.reverse(x, axis),
      (x) => tfc.reverse(x, axis),
      `reverse ${shape} ${axis}`,
    ),
  );
  it('refuses an axis out of range or repeated', () => {
    expect(() => tg.reverse(tg.zeros([2, 3]), 2)).toThrow(/reverse: axis 2 .*\[-2, 2\)/);
    expect(() => tg.reverse(tg.zeros([2, 3]), [1, -1])).toThrow(/reverse: axis \[1,-1\] repeats/);
  });
});

describe('unstack', () => {
  it.each([
    [[4], 0],
    [[2, 3], 0],
    [[2, 3], 1],
    [[2, 3, 4], -1],
  ])('x %j axis %d matches tf.unstack (values and gradients of every piece)', (shape, axis) => {
    const n = shape[axis < 0 ? axis + shape.length : axis];
    for (let i = 0; i < n; i++)
      compareOp(
        shape,
        (x) => tg.unstack(x, axis)[i],
        (x) => tfc.unstack(x, axis)[i],
        `unstack ${shape} ${axis} [${i}]`,
      );
    expect(tg.unstack(tg.zeros(shape), axis)).toHaveLength(n);
  });
  it('refuses an axis out of range', () => {
    expect(() => tg.unstack(tg.zeros([2, 3]), -3)).toThrow(/unstack: axis -3 .*\[-2, 2\)/);
  });
});

describe('mirrorPad', () => {
  const cases: [number[], [number, number][], 'reflect' | 'symmetric'][] = [
    [[4], [[2, 3]], 'reflect'],
    [[4], [[3, 4]], 'symmetric'],
    [
      [3, 4],
      [
        [1, 2],
        [3, 0],
      ],
      'reflect',
    ],
    [
      [3, 4],
      [
        [3, 1],
        [0, 4],
      ],
      'symmetric',
    ],
    [
      [2, 3, 3],
      [
        [1, 1],
        [0, 2],
        [2, 1],
      ],
      'symmetric',
    ],
  ];
  it.each(cases)('x %j paddings %j %s matches tf.mirrorPad', (shape, p, mode) =>
    compareOp(
      shape,
      (x) => tg.mirrorPad(x, p, mode),
      (x) => tfc.mirrorPad(x, p, mode),
      `mirrorPad ${mode}`,
      'select',
    ),
  );
  it('refuses too much padding for the mode, a bad mode and a wrong pair count', () => {
    const x = tg.zeros([3, 4]);
    expect(() =>
      tg.mirrorPad(
        x,
        [
          [3, 0],
          [0, 0],
        ],
        'reflect',
      ),
    ).toThrow(/mirrorPad: reflect padding \[3,0\] on axis 0 .*at most 2/);
    expect(() =>
      tg.mirrorPad(
        x,
        [
          [0, 0],
          [0, 5],
        ],
        'symmetric',
      ),
    ).toThrow(/mirrorPad: symmetric .*axis 1 .*at most 4/);
    expect(() =>
      tg.mirrorPad(
        x,
        [
          [0, 0],
          [0, 1],
        ],
        'edge' as 'reflect',
      ),
    ).toThrow(/mirrorPad: mode .*"edge"/);
    expect(() => tg.mirrorPad(x, [[0, 0]], 'reflect')).toThrow(/mirrorPad: paddings must hold 2/);
  });
});

describe('spaceToBatchND / batchToSpaceND', () => {
  const cases: [number[], number[], [number, number][]][] = [
    [
      [1, 4, 4, 1],
      [2, 2],
      [
        [0, 0],
        [0, 0],
      ],
    ],
    [
      [2, 3, 5, 2],
      [2, 3],
      [
        [1, 0],
        [0, 1],
      ],
    ],
    [[2, 6, 3], [3], [[0, 0]]],
    [
      [1, 2, 2, 3, 2],
      [2, 2, 1],
      [
        [0, 0],
        [1, 1],
        [0, 0],
      ],
    ],
  ];
  it.each(cases)('spaceToBatchND x %j block %j paddings %j matches TF.js', (shape, block, p) =>
    compareOp(
      shape,
      (x) => tg.spaceToBatchND(x, block, p),
      (x) => tfc.spaceToBatchND(x, block, p),
      'spaceToBatchND',
    ),
  );
  const inverse: [number[], number[], [number, number][]][] = [
    [
      [4, 1, 1, 1],
      [2, 2],
      [
        [0, 0],
        [0, 0],
      ],
    ],
    [
      [12, 2, 3, 2],
      [2, 3],
      [
        [1, 0],
        [0, 2],
      ],
    ],
    [[6, 2, 3], [3], [[2, 1]]],
    [
      [8, 1, 2, 3, 2],
      [2, 2, 2],
      [
        [0, 1],
        [1, 1],
        [0, 0],
      ],
    ],
  ];
  it.each(inverse)('batchToSpaceND x %j block %j crops %j matches TF.js', (shape, block, c) =>
    compareOp(
      shape,
      (x) => tg.batchToSpaceND(x, block, c),
      (x) => tfc.batchToSpaceND(x, block, c),
      'batchToSpaceND',
    ),
  );
  it('refuses indivisible sizes, mismatched lists and over-cropping, naming the numbers', () => {
    expect(() =>
      tg.spaceToBatchND(
        tg.zeros([1, 3, 4, 1]),
        [2, 2],
        [
          [0, 0],
          [0, 0],
        ],
      ),
    ).toThrow(/spaceToBatchND: axis 1 .* is 3, not divisible by blockShape\[0\] = 2/);
    expect(() => tg.spaceToBatchND(tg.zeros([1, 4, 4, 1]), [2, 2], [[0, 0]])).toThrow(/paddings must hold 2/);
    expect(() =>
      tg.spaceToBatchND(
        tg.zeros([4, 4]),
        [2, 2],
        [
          [0, 0],
          [0, 0],
        ],
      ),
    ).toThrow(/rank > blockShape.length 2/);
    expect(() =>
      tg.batchToSpaceND(
        tg.zeros([3, 1, 1, 1]),
        [2, 2],
        [
          [0, 0],
          [0, 0],
        ],
      ),
    ).toThrow(/batchToSpaceND: batch 3 .* not divisible by the product of blockShape \[2,2\] = 4/);
    expect(() =>
      tg.batchToSpaceND(
        tg.zeros([4, 1, 1, 1]),
        [2, 2],
        [
          [2, 1],
          [0, 0],
        ],
      ),
    ).toThrow(/crops\[0\] \[2, 1\] remove more than axis 1's 2/);
  });
});

describe('depthToSpace', () => {
  it.each([
    [[1, 1, 1, 4], 2],
    [[2, 2, 3, 8], 2],
    [[1, 2, 1, 18], 3],
  ])('NHWC x %j blockSize %d matches tf.depthToSpace', (shape, bs) =>
    compareOp(
      shape,
      (x) => tg.depthToSpace(x, bs),
      (x) => tfc.depthToSpace(x as tfc.Tensor4D, bs),
      'depthToSpace',
      'select',
    ),
  );
  it('NCHW is NHWC with the channels moved (TF.js cpu has no NCHW kernel)', () => {
    compareOp(
      [2, 8, 2, 3],
      (x) => tg.depthToSpace(x, 2, 'NCHW'),
      (x) => tfc.transpose(tfc.depthToSpace(tfc.transpose(x, [0, 2, 3, 1]) as tfc.Tensor4D, 2), [0, 3, 1, 2]),
      'depthToSpace NCHW',
      'select',
    );
  });
  it('refuses a block size that does not divide the depth, blockSize < 2 and a bad format', () => {
    expect(() => tg.depthToSpace(tg.zeros([1, 2, 2, 6]), 2)).toThrow(
      /depthToSpace: depth 6 \(axis 3 of \[1, ?2, ?2, ?6\]\) is not divisible by blockSize² = 4/,
    );
    expect(() => tg.depthToSpace(tg.zeros([1, 2, 2, 4]), 1)).toThrow(
      /depthToSpace: blockSize must be an integer ≥ 2, got 1/,
    );
    expect(() => tg.depthToSpace(tg.zeros([1, 2, 2, 4]), 2, 'NWHC' as 'NHWC')).toThrow(/dataFormat .*"NWHC"/);
    expect(() => tg.depthToSpace(tg.zeros([2, 2, 4]), 2)).toThrow(/depthToSpace: x must be rank 4/);
  });
});

describe('diag', () => {
  it.each([[[4]], [[2, 3]], [[2, 1, 2]]])('x %j matches tf.diag', (shape) =>
    compareOp(
      shape,
      (x) => tg.diag(x),
      (x) => tfc.diag(x),
      `diag ${shape}`,
      'select',
    ),
  );
});

describe('linalg.bandPart', () => {
  const cases: [number[], number, number][] = [
    [[4, 4], 1, 1],
    [[3, 5], 0, -1],
    [[5, 3], -1, 0],
    [[2, 3, 4], 2, 1],
    [[2, 2, 3, 3], -1, -1],
    [[3, 4], 0, 0],
  ];
  it.each(cases)('x %j numLower %d numUpper %d matches tf.linalg.bandPart', (shape, lo, up) =>
    compareOp(
      shape,
      (x) => tg.linalg.bandPart(x, lo, up),
      (x) => tfc.linalg.bandPart(x, lo, up),
      `bandPart ${lo} ${up}`,
      'select',
    ),
  );
  it('takes scalar tensor counts and refuses bands wider than the matrix or fractional counts', () => {
    const x = tg.tensor(valuesFor([3, 3]), [3, 3]);
    expect(Array.from(tg.linalg.bandPart(x, tg.scalar(0, 'int32'), tg.scalar(1, 'int32')).data)).toEqual(
      Array.from(tg.linalg.bandPart(x, 0, 1).data),
    );
    expect(() => tg.linalg.bandPart(x, 4, 0)).toThrow(/linalg.bandPart: numLower 4 exceeds the 3 rows/);
    expect(() => tg.linalg.bandPart(x, 0, 1.5)).toThrow(
      /linalg.bandPart: numUpper must be an integer, got 1.5/,
    );
    expect(() => tg.linalg.bandPart(tg.zeros([3]), 0, 0)).toThrow(/rank ≥ 2/);
  });
  it('tril / triu keep the triangles torch.tril / torch.triu keep (a naive loop)', () => {
    const x = tg.tensor(valuesFor([2, 3, 4]), [2, 3, 4], { dtype: 'float64' });
    for (const k of [-1, 0, 2]) {
      const lo = tg.linalg.tril(x, k).data;
      const up = tg.linalg.triu(x, k).data;
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 3; i++)
          for (let j = 0; j < 4; j++) {
            const at = b * 12 + i * 4 + j;
            expect(lo[at]).toBe(j - i <= k ? x.data[at] : 0);
            expect(up[at]).toBe(j - i >= k ? x.data[at] : 0);
          }
    }
    expect(tg.gradcheck((t) => tg.linalg.tril(t, 1), [x]).ok).toBe(true);
  });
});
