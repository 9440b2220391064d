// A module's forward called with more positional arguments than it declares is refused by name, as PyTorch's
// TypeError (torch 1.13: nn.Linear(2, 2)(torch.ones(2), torch.ones(2)) → "Linear.forward() takes 2 positional
// arguments but 3 were given", self counted), instead of JavaScript dropping the extra ones.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;

describe('extra positional arguments to forward', () => {
  it('built-in modules: Linear, Sequential, a loss', () => {
    const x = tg.ones([3, 2]);
    const lin = new nn.Linear(2, 2, { name: 'lin' });
    const call = lin.forward as (...a: unknown[]) => tg.Tensor;
    throwsA(tg.ValueError, () => call(x, x), [
      'lin (Linear): forward() takes 1 positional argument but 2 were given',
    ]);
    const seq = new nn.Sequential(new nn.Linear(2, 2));
    throwsA(tg.ValueError, () => (seq.forward as (...a: unknown[]) => unknown)(x, x), [
      '(Sequential): forward() takes 1 positional argument but 2 were given',
    ]);
    const mse = new nn.MSELoss();
    throwsA(tg.ValueError, () => (mse.forward as (...a: unknown[]) => unknown)(x, x, x), [
      '(MSELoss): forward() takes 2 positional arguments but 3 were given',
    ]);
    expect(lin.forward(x).shape).toEqual([3, 2]);
  });

  it('user modules: defaults count (not Function.length), rest parameters take any number', () => {
    class WithDefault extends nn.Module {
      forward(x: tg.Tensor, scale: number | null = null): tg.Tensor {
        return scale === null ? x : tg.mul(x, scale);
      }
    }
    class Rest extends nn.Module {
      forward(...xs: tg.Tensor[]): tg.Tensor {
        return xs.reduce((a, b) => tg.add(a, b));
      }
    }
    const x = tg.ones([2]);
    const m = new WithDefault();
    expect(Array.from((m.forward(x, 3) as tg.Tensor).data)).toEqual([3, 3]);
    throwsA(tg.ValueError, () => (m.forward as (...a: unknown[]) => unknown)(x, 3, 4), [
      '(WithDefault): forward() takes 2 positional arguments but 3 were given',
    ]);
    expect(Array.from((new Rest().forward(x, x, x) as tg.Tensor).data)).toEqual([3, 3]);
  });
});
