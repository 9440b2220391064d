// Bad-input messages say what is likely wrong: returnSequences, a missing batch axis, 1-D ops name themselves.
import { expect, it } from 'vitest';
import * as tg from '../../src/index.js';

it('a recurrent layer fed a 2-D tensor suggests returnSequences on the layer before', () => {
  const m = tg.sequential({
    layers: [tg.layers.lstm({ units: 3, inputShape: [5, 2] }), tg.layers.lstm({ units: 2 })],
  });
  expect(() => m.predict(tg.randn([1, 5, 2]))).toThrow(
    /expected input of rank 3 \[batch, time, features\].*returnSequences: true/,
  );
});

it('a sequence without its batch axis is recognised as such', () => {
  const m = tg.sequential({ layers: [tg.layers.lstm({ units: 3, inputShape: [6, 2] })] });
  expect(() => m.predict(tg.randn([6, 2]))).toThrow(
    /the batch axis is missing: one sequence of shape \[6,2\] is \[1, 6, 2\]/,
  );
});

it('1-D convolutions and pools report in 1-D terms', () => {
  expect(() => tg.conv1d(tg.randn([1, 4, 7]), tg.randn([2, 3, 3]), null, { dataFormat: 'NCW' })).toThrow(
    /^conv1d: input has 4 channels but the kernel \[2,3,3\] expects 3 \(dataFormat NCW\)$/,
  );
  expect(() => tg.conv1d(tg.randn([1, 3, 4]), tg.randn([5, 4, 2]))).toThrow(
    /conv1d: kernel 5 \(dilation 1\) is longer than the input length 3/,
  );
  expect(() => tg.maxPool1d(tg.randn([1, 3, 2]), { kernelSize: 5 })).toThrow(
    /maxPool1d: window 5 is larger than the input length 3/,
  );
  expect(() => tg.avgPool1d(tg.randn([1, 6, 2]), { kernelSize: 2, stride: 0 })).toThrow(
    /avgPool1d: stride must be a positive integer, got 0/,
  );
});

it('unknown dtypes and untraced module summaries are typed errors', () => {
  expect(() => tg.zeros([2], { dtype: 'float16' as any })).toThrow(tg.DTypeError);
  class N extends tg.nn.Module {
    fc = new tg.nn.Linear(2, 2);
    forward(x: tg.Tensor) {
      return this.fc.forward(x);
    }
  }
  expect(() => (new N() as any).summary()).toThrow(/summary\(\{ inputShape/);
});

it('model.build(inputShape) builds (Keras name)', () => {
  const m = tg.sequential({
    layers: [
      tg.layers.conv2d({ filters: 4, kernelSize: 3 }),
      tg.layers.flatten(),
      tg.layers.dense({ units: 2 }),
    ],
  });
  m.build([null, 8, 8, 3]);
  expect(m.countParams()).toBe((3 * 3 * 3 + 1) * 4 + (6 * 6 * 4 + 1) * 2);
});
