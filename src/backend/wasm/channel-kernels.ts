// The wasm per-channel kernels (batch normalization: asm/channel.ts) over x viewed as [outer, C, inner], split over the
// pool: the affine map by rows (or channel blocks), the sums by channels.
import type { Kernels } from '../kernels.js';
import { jsKernels } from '../js.js';
import { CHUNKS_PER_THREAD, type KernelContext, PARALLEL_MIN, isF32 } from './kernel-context.js';

type ChannelKernels = Pick<Kernels, 'channelMoments' | 'channelAffine' | 'channelSums'>;

export function channelKernels(ctx: KernelContext): ChannelKernels {
  const { pool, call } = ctx;
  const big = (n: number): boolean => pool.threads > 1 && n >= PARALLEL_MIN.elementwiseElems;
  /**
   * A channel sum over x: each thread takes a range of channels (groups of 4), so each channel is summed in order by
   * one thread and the bits are those of one thread.
   * NOTE: one range per thread, not several: a channels-last range is a strip of every row, and narrower strips
   * would make both threads read the same cache lines.
   */
  const byChannels = (
    fn: 'channelMoments' | 'channelSums',
    args: number[],
    C: number,
    inner: number,
    n: number,
  ): void => {
    const slot = args.length;
    args.push(0, 0);
    // NOTE: channels-last ranges are whole blocks of 16 channels (one cache line of each row, summed in registers)
    pool.runSplit(fn, args, slot, C, big(n) ? pool.threads : 1, inner === 1 ? 16 : 4);
  };
  return {
    channelMoments(x, outer, C, inner, out) {
      if (
        !isF32(x) ||
        !isF32(out) ||
        !call(
          [x],
          [out],
          (px, po, acc) => byChannels('channelMoments', [px, outer, C, inner, po, acc], C, inner, x.length),
          [C * 16 + 320],
        )
      )
        jsKernels.channelMoments(x, outer, C, inner, out);
    },
    channelSums(a, x, m, outer, C, inner, out) {
      if (
        !isF32(a) ||
        !isF32(x) ||
        !isF32(m) ||
        !isF32(out) ||
        !call(
          [a, x, m],
          [out],
          (pa, px, pm, po, acc) =>
            byChannels('channelSums', [pa, px, pm, outer, C, inner, po, acc], C, inner, x.length),
          [C * 16 + 320],
        )
      )
        jsKernels.channelSums(a, x, m, outer, C, inner, out);
    },
    channelAffine(x, m, s, b, outer, C, inner, out) {
      // NOTE: each value is computed alone, so the split never changes a result
      const units = inner === 1 ? outer : outer * C;
      if (
        !isF32(x) ||
        !isF32(m) ||
        !isF32(s) ||
        !isF32(b) ||
        !isF32(out) ||
        !call([x, m, s, b], [out], (px, pm, ps, pb, po) => {
          const args = [px, pm, ps, pb, C, inner, po, 0, 0];
          pool.runSplit(
            'channelAffine',
            args,
            7,
            units,
            big(x.length) ? CHUNKS_PER_THREAD * pool.threads : 1,
            1,
          );
        })
      )
        jsKernels.channelAffine(x, m, s, b, outer, C, inner, out);
    },
  };
}
