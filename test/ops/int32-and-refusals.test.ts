// int32 arithmetic that wraps as PyTorch's (mul, pow, matmul, sum past 2⁵³ in a double), int32 min/argmin at −2³¹,
// and inputs refused with the library's errors: average pools over windows of padding only, matmul of a non-tensor,
// gather at a fractional index. Reference values: PyTorch int32.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { throwsTyped } from '../support/throws.js';

const i32 = (v: number[], s?: number[]) => tg.tensor(Int32Array.from(v), s ?? [v.length], { dtype: 'int32' });
const arr = (t: tg.Tensor) => Array.from(t.data);
const BACKENDS = ['wasm', 'js'] as const;
const MIN = -2147483648;
const MAX = 2147483647;
afterEach(() => tg.setBackend('wasm'));

describe.each(BACKENDS)('int32 arithmetic wraps modulo 2³² (%s backend)', (backend) => {
  it('mul: the exact low 32 bits of products past 2⁵³', () => {
    tg.setBackend(backend);
    // torch: a * b
    expect(arr(tg.mul(i32([123456789, MAX, 65537, -3]), i32([987654321, MAX, 65537, MIN])))).toEqual([
      -67153019,
      1,
      131073,
      MIN,
    ]);
    expect(arr(tg.square(i32([MAX])))).toEqual([1]);
    // a number operand too (taken as int32), either side
    expect(arr(tg.mul(i32([MAX]), MAX))).toEqual([1]);
    expect(arr(tg.mul(MAX, i32([123456789])))).toEqual([2024026859]);
  });

  it('pow by repeated wrapping products; matmul and sum wrap at every step', () => {
    tg.setBackend(backend);
    // torch.pow: 3⁴⁰ mod 2³², 2³¹ wraps to −2³¹; a⁰ = 1
    expect(arr(tg.pow(i32([3, 2, -2, 2, 7]), i32([40, 31, 3, 0, 1])))).toEqual([689956897, MIN, -8, 1, 7]);
    // a negative power (PyTorch refuses it) truncates as before: 2⁻¹ → 0, 1⁻⁵ → 1, (−1)⁻¹ → −1
    expect(arr(tg.pow(i32([2, 1, -1]), i32([-1, -5, -1])))).toEqual([0, 1, -1]);
    // torch: [123456789, 2147483647] @ [987654321, 2147483647]ᵀ
    expect(arr(tg.matmul(i32([123456789, MAX], [1, 2]), i32([987654321, MAX], [2, 1])))).toEqual([-67153018]);
    expect(arr(tg.matmul(i32([MAX, MAX, 1, 2], [2, 2]), i32([MAX, 3, MAX, 4], [2, 2])))).toEqual([
      2, 2147483641, 2147483645, 11,
    ]);
    expect(arr(tg.sum(i32([MAX, MAX])))).toEqual([-2]);
  });

  it('division keeps its truncation (a documented choice)', () => {
    tg.setBackend(backend);
    expect(arr(tg.div(i32([7, -7, 7]), i32([2, 2, 0])))).toEqual([3, -3, 0]);
  });
});

describe('int32 min and argmin at −2³¹', () => {
  it('min and argmin find −2³¹ (−x overflowed back to −2³¹ there)', () => {
    expect(arr(tg.min(i32([0, MIN, 5])))).toEqual([MIN]);
    expect(arr(tg.argmin(i32([0, MIN, 5])))).toEqual([1]);
    expect(arr(tg.min(i32([MAX, 3, MAX])))).toEqual([3]);
    expect(arr(tg.min(i32([MIN, 1, 2, 3], [2, 2]), 1))).toEqual([MIN, 2]);
    expect(arr(tg.argmin(i32([5, MIN, MIN, MAX], [2, 2]), 0))).toEqual([1, 0]);
    expect(tg.min(i32([4, 5])).dtype).toBe('int32');
  });

  it('float min keeps its bits and NaN rule', () => {
    expect(arr(tg.min(tg.tensor([1, NaN, -3])))).toEqual([NaN]);
    expect(arr(tg.argmin(tg.tensor([1, NaN, -3])))).toEqual([1]);
    expect(arr(tg.grad((x: tg.Tensor) => tg.min(x))(tg.tensor([2, 1, 1])))).toEqual([0, 0.5, 0.5]);
  });

  it('errors name min / argmin, not max / argmax', () => {
    throwsTyped(() => tg.min(tg.zeros([2, 0]), 1), tg.ValueError, /^min: cannot reduce an empty axis/);
    throwsTyped(() => tg.min(tg.zeros([2]), 3), tg.ValueError, /^min: axis 3/);
    throwsTyped(() => tg.min(tg.zeros([2]), 0, {} as never), tg.ValueError, /^min: keepDims/);
    throwsTyped(() => tg.argmin(tg.zeros([2, 0]), 1), tg.ValueError, /^argmin: axis 1 of \[2,0\] has size 0/);
    throwsTyped(() => tg.argmin(tg.zeros([2]), 4), tg.ValueError, /^argmin: axis 4/);
    throwsTyped(() => tg.min(null as never), tg.ValueError, /^min: x is null/);
  });
});

describe('average pools refuse windows of padding only (0/0 gave a silent NaN)', () => {
  it('avgPool2d and avgPool1d, with every divisor rule, as maxPool2d refuses the same input', () => {
    const x = tg.ones([1, 4, 4, 1]);
    throwsTyped(
      () => tg.maxPool2d(x, { kernelSize: 2, padding: 2 }),
      tg.ValueError,
      /lies entirely in the padding/,
    );
    for (const extra of [{}, { countIncludePad: true }, { divisorOverride: 3 }])
      throwsTyped(
        () => tg.avgPool2d(x, { kernelSize: 2, padding: 2, ...extra }),
        tg.ValueError,
        /^avgPool2d: .* window at output row 0 lies entirely in the padding of the 4x4 input, so it averages no input/,
      );
    throwsTyped(
      () => tg.avgPool1d(tg.ones([1, 4, 1]), { kernelSize: 2, padding: 2 }),
      tg.ValueError,
      /^avgPool1d: .* window at output column 0 lies entirely in the padding/,
    );
    // traced (the composition) too
    const off = tg.onOp(() => {});
    try {
      throwsTyped(() => tg.avgPool2d(x, { kernelSize: 2, padding: 2 }), tg.ValueError, /^avgPool2d: /);
    } finally {
      off();
    }
  });

  it('padding up to half the window still pools', () => {
    expect(arr(tg.avgPool2d(tg.ones([1, 4, 4, 1]), { kernelSize: 2, padding: 1 }))).toEqual(Array(9).fill(1));
    expect(
      arr(tg.avgPool1d(tg.ones([1, 4, 1]), { kernelSize: 3, padding: 1, countIncludePad: true })),
    ).toEqual([2 / 3, 2 / 3].map(Math.fround));
  });
});

describe('misuse gets the library’s errors', () => {
  it('matmul of a non-tensor names the operand', () => {
    const x = tg.ones([2, 2]);
    throwsTyped(() => tg.matmul(x, null as never), tg.ValueError, /^matmul: b is null, expected a Tensor/);
    throwsTyped(
      () => tg.matmul([[1]] as never, x),
      tg.ValueError,
      /^matmul: a is an array, expected a Tensor/,
    );
  });

  it('gather refuses a fractional plain-array index as it refuses a fractional tensor index', () => {
    const x = tg.tensor([1, 2, 3]);
    throwsTyped(
      () => tg.gather(x, [0.5]),
      tg.ValueError,
      /^gather: index 0.5 \(position 0\) is not an integer/,
    );
    throwsTyped(() => tg.gather(x, tg.tensor([0.5])), tg.ValueError, /^gather: index 0.5 .* not an integer/);
    throwsTyped(
      () => tg.gather(x, [2 ** 32 + 1]),
      tg.ShapeError,
      /^gather: index 4294967297 .* out of range/,
    );
    throwsTyped(() => tg.gather(x, null as never), tg.ValueError, /^gather: indices is null/);
    expect(arr(tg.gather(x, [2, 0]))).toEqual([3, 1]);
  });
});
