// tg.nn.Softmax2d and tg.nn.ChannelShuffle (with F.channelShuffle) against PyTorch 1.13: float64 values and the input
// gradients of sum(y · g) (modules3-data.ts names the fixture; PyTorch has no channel_shuffle derivative, so its
// gradient there is that of the view/transpose definition, checked equal to channel_shuffle's output), and errors.
import { describe, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { FIX, backwardWith, close, f64, leaf } from './modules3-data.js';

describe('tg.nn.Softmax2d against PyTorch 1.13', () => {
  for (const c of FIX.softmax2d)
    it(JSON.stringify(c.shape), () => {
      const x = leaf(c.x, c.shape);
      const y = new tg.nn.Softmax2d().forward(x);
      close(y, c.y, 'y', c.shape);
      backwardWith(y, c.g);
      close(x.grad, c.gx, 'dx');
    });
  it('refuses other ranks as PyTorch', () => {
    throwsA(tg.ShapeError, () => new tg.nn.Softmax2d().forward(tg.zeros([2, 6])), [
      'Softmax2d requires a 3D or 4D tensor as input',
    ]);
  });
});

describe('tg.nn.ChannelShuffle against PyTorch 1.13', () => {
  for (const c of FIX.channel_shuffle)
    it(`${JSON.stringify(c.shape)} groups ${c.groups}`, () => {
      const x = leaf(c.x, c.shape);
      const y = new tg.nn.ChannelShuffle(c.groups).forward(x);
      close(y, c.y, 'y', c.shape);
      backwardWith(y, c.g);
      close(x.grad, c.gx, 'dx');
      close(tg.nn.functional.channelShuffle(f64(c.x, c.shape), c.groups), c.y, 'F.channelShuffle');
    });
  it('refuses what PyTorch refuses', () => {
    throwsA(tg.ValueError, () => new tg.nn.ChannelShuffle(0), [
      'Number of groups to divide channels in must be positive. Value of groups:0',
    ]);
    throwsA(tg.ShapeError, () => new tg.nn.ChannelShuffle(2).forward(tg.zeros([4, 6])), [
      'channel_shuffle expects input with > 2 dims',
    ]);
    throwsA(tg.ShapeError, () => new tg.nn.ChannelShuffle(4).forward(tg.zeros([2, 6, 3])), [
      'Number of channels must be divisible by groups. Got 6 channels and 4 groups.',
    ]);
  });
});
