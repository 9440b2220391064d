// Helpers for tests that build ONNX graphs by hand: attribute protos, a float value_info with symbolic dims, and
// the 1e-5 relative closeness the ONNX tests check outputs with.
import { expect } from 'vitest';
import type { Tensor } from '../../src/index.js';
import { DataType } from '../../src/io/onnx/proto.js';

export const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
export const int = (name: string, i: number) => ({ name, type: 2, i });
export const flt = (name: string, f: number) => ({ name, type: 1, f });
export const str = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });

/** A float graph input/output: a number is a fixed dim, a string a symbolic one (dim_param). */
export const io = (name: string, dims: (number | string)[]) => ({
  name,
  type: {
    tensorType: {
      elemType: DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

/** |got − want| ≤ 1e-5 + 1e-5·|want| everywhere (and the shape, when given). */
export function closeTo(got: Tensor, want: ArrayLike<number>, shape?: readonly number[]): void {
  if (shape) expect(got.shape).toEqual([...shape]);
  const a = got.data;
  expect(a.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - want[i]) - 1e-5 * Math.abs(want[i]));
  expect(worst).toBeLessThanOrEqual(1e-5);
}
