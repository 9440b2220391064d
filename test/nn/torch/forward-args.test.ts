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

// torch 1.13: nn.Linear(2, 2)() → "forward() missing 1 required positional argument: 'input'"; parameters with a
// default (nn.LSTM's hx=None, nn.ConvTranspose2d's output_size=None) may be left out. NOTE: tapegrad refuses only a
// call with no argument at all: a TypeScript optional parameter (`mask?`) reads as a plain one (forward-args.ts).
describe('missing positional arguments to forward', () => {
  it('built-in modules name the missing argument; optional ones may be left out', () => {
    const x = tg.ones([3, 2]);
    const lin = new nn.Linear(2, 2, { name: 'lin' });
    throwsA(tg.ValueError, () => (lin.forward as (...a: unknown[]) => unknown)(), [
      "lin (Linear): forward() missing 1 required positional argument: 'x'",
    ]);
    // one argument of two: the op names the missing target
    const mse = new nn.MSELoss();
    throwsA(tg.ValueError, () => (mse.forward as (...a: unknown[]) => unknown)(x), [
      'target (the 2nd argument) must be a Tensor, got undefined',
    ]);
    expect(new nn.LSTM(2, 3).forward(tg.ones([4, 2]))[0].shape).toEqual([4, 3]);
    expect(new nn.GRU(2, 3).forward(tg.ones([4, 2]))[0].shape).toEqual([4, 3]);
    expect(new nn.RNN(2, 3).forward(tg.ones([4, 2]))[0].shape).toEqual([4, 3]);
    expect(new nn.ConvTranspose2d(1, 1, 2).forward(tg.ones([1, 1, 2, 2])).shape).toEqual([1, 1, 3, 3]);
  });

  it('user modules: a call with no argument names every parameter before the first default; a TypeScript optional one may be left out', () => {
    class Two extends nn.Module {
      forward(a: tg.Tensor, b: tg.Tensor, scale: number = 1): tg.Tensor {
        return tg.mul(tg.add(a, b), scale);
      }
    }
    const m = new Two();
    const call = m.forward as (...a: unknown[]) => tg.Tensor;
    throwsA(tg.ValueError, () => call(), [
      "(Two): forward() missing 2 required positional arguments: 'a' and 'b'",
    ]);
    expect(Array.from(call(tg.ones([2]), tg.ones([2])).data)).toEqual([2, 2]);
    class Masked extends nn.Module {
      forward(x: tg.Tensor, mask?: tg.Tensor): tg.Tensor {
        return mask ? tg.mul(x, mask) : x;
      }
    }
    expect(Array.from(new Masked().forward(tg.ones([2])).data)).toEqual([1, 1]);
    // through a container too
    const seq = new nn.Sequential(new nn.Linear(2, 2));
    throwsA(tg.ValueError, () => (seq.forward as (...a: unknown[]) => unknown)(), [
      'forward() missing 1 required positional argument',
    ]);
  });
});
