// PyTorch 1.13 modules over the channel axis of [N, C, ...] (or unbatched [C, H, W]): `nn.Softmax2d` (softmax across
// the channels at each location) and `nn.ChannelShuffle` (ShuffleNet's channel interleave, a reshape and transpose),
// with `F.channel_shuffle`.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { softmax } from '../../ops/composite/activations.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';

/** PyTorch `nn.Softmax2d()`: softmax over the channels (dim -3) of [N, C, H, W] or [C, H, W]. */
export class Softmax2d extends Module {
  static override className = 'Softmax2d';
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 && x.rank !== 4)
      throw new ShapeError(
        `${this.name} (Softmax2d): Softmax2d requires a 3D or 4D tensor as input, got ${fmtShape(x.shape)}`,
      );
    return softmax(x, x.rank - 3);
  }
}

/** groups a positive integer (PyTorch checks it at forward; here at construction too). */
function checkGroups(where: string, groups: unknown): number {
  if (typeof groups !== 'number' || !Number.isInteger(groups) || groups < 1)
    throw new ValueError(
      `${where}: Number of groups to divide channels in must be positive. Value of groups:${show(groups)}`,
    );
  return groups;
}
/** [N, C, *] → [N, g, C/g, *] → [N, C/g, g, *] → [N, C, *]: channel j·(C/g) + i goes to i·g + j. */
function channelShuffleOf(where: string, x: Tensor, g: number): Tensor {
  if (x.rank <= 2)
    throw new ShapeError(
      `${where}: channel_shuffle expects input with > 2 dims, but got input with sizes ${fmtShape(x.shape)}`,
    );
  const [n, c, ...rest] = x.shape;
  if (c % g !== 0)
    throw new ShapeError(
      `${where}: Number of channels must be divisible by groups. Got ${c} channels and ${g} groups.`,
    );
  const split = reshape(x, [n, g, c / g, ...rest]);
  const perm = [0, 2, 1, ...rest.map((_, i) => i + 3)];
  return reshape(transpose(split, perm), x.shape);
}

/** PyTorch `nn.ChannelShuffle(groups)`: the channels of [N, C, *] split into groups and interleaved. */
export class ChannelShuffle extends Module {
  static override className = 'ChannelShuffle';
  readonly groups: number;
  constructor(groups: number) {
    super();
    this.groups = checkGroups('ChannelShuffle', groups);
  }
  forward(x: Tensor): Tensor {
    return channelShuffleOf(`${this.name} (ChannelShuffle)`, x, this.groups);
  }
}

/** PyTorch `F.channel_shuffle(input, groups)`: nn.ChannelShuffle's op. */
export const channelShuffle = functional(
  'channelShuffle',
  ['input', 'groups'],
  (input: Tensor, groups: number): Tensor => {
    const name = who('channelShuffle');
    return channelShuffleOf(name, input, checkGroups(name, groups));
  },
);
