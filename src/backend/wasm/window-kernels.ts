// The wasm window kernels: im2col/col2im, the pools, and the convolution forward and gradients, each cut into ranges
// of output rows or images for the threads (every output computed the same way in any range: same bits on N threads).
import type { Kernels, WindowGeom } from '../kernels.js';
import { jsKernels } from '../js.js';
import { ValueError } from '../../core/errors.js';
import { CONV_ACT } from './exports.js';
import {
  CHUNKS_PER_THREAD,
  type KernelContext,
  PARALLEL_MIN,
  chunksOf,
  isF32,
  splitRange,
} from './kernel-context.js';
import type { Arr } from './memory-frame.js';
import type { PoolFn } from './pool.js';

/**
 * Row slices of a filter gradient, summed separately then in order: ~FILTER_SLICE_ROWS each (at most 32), one when
 * the product is too small to share. NOTE: chosen by shape alone, so every thread count gives the same bits.
 */
const FILTER_SLICE_ROWS = 2048;
const FILTER_SPLIT_FLOPS = 4e6;
function filterSlices(rows: number, flops: number): [number, number][] {
  if (flops < FILTER_SPLIT_FLOPS) return [[0, rows]];
  return splitRange(rows, Math.min(32, Math.ceil(rows / FILTER_SLICE_ROWS)), 4);
}

type WindowKernelName =
  | 'im2col'
  | 'col2im'
  | 'poolArgmax'
  | 'conv2d'
  | 'conv2dBackpropInput'
  | 'conv2dBackpropFilter'
  | 'avgPool'
  | 'poolMax'
  | 'poolMaxGrad';

export function windowKernels(c: KernelContext): Pick<Kernels, WindowKernelName> {
  const { ex, pool, GEOM, workBytes, WORK, call, putGeom, split, windowSplit } = c;
  /**
   * fn(x, GEOM, out, lo, hi) over ranges of `units` (images or rows), split when the window sweep touches `elems`
   * values; false when the memory is exhausted (the caller runs the reference).
   */
  const sweep = (fn: PoolFn, x: Arr, g: WindowGeom, out: Arr, units: number, elems: number): boolean =>
    call([x], [out], (px, po) => {
      putGeom(g);
      split(fn, [px, GEOM, po], units, windowSplit(g, elems));
    });
  return {
    im2col(x, g, out) {
      if (!isF32(x) || !isF32(out) || !sweep('im2col', x, g, out, g.n * g.outH * g.outW, out.length))
        jsKernels.im2col(x, g, out);
    },
    col2im(cols, g, out) {
      if (!isF32(cols) || !isF32(out) || !sweep('col2im', cols, g, out, g.n, cols.length))
        jsKernels.col2im(cols, g, out);
    },
    poolArgmax(x, g, out) {
      if (!isF32(x) || !sweep('poolArgmax', x, g, out, g.n, x.length)) jsKernels.poolArgmax(x, g, out);
    },
    conv2d(x, w, bias, g, o, out, act = 'linear', nchw = false) {
      if (out.length === 0) return;
      const code = Object.hasOwn(CONV_ACT, act) ? CONV_ACT[act] : undefined;
      if (code === undefined) throw new ValueError(`conv2d kernel: unknown activation '${String(act)}'`);
      const kk = g.kh * g.kw * g.c;
      const rows = g.n * g.outH * g.outW;
      // NCHW output: pixels staged in the thread's work area and stored as planes (convRowsNCHW), or where a block
      // of 4 pixels does not fit there, the NHWC result in a temporary block transposed into place
      let stage = 0;
      if (nchw) {
        putGeom(g);
        stage = ex.convNchwStage(GEOM, o, workBytes);
      }
      const temp = nchw && stage === 0 ? [rows * o * 4] : [];
      // NOTE: an empty window (k = 0) or a depth too large for the per-thread scratch goes to the reference.
      const ok =
        isF32(x) &&
        isF32(w) &&
        isF32(out) &&
        (!bias || isF32(bias)) &&
        kk > 0 &&
        ex.convBlockRows(kk) >= 4 &&
        call(
          bias ? [x, w, bias as Float32Array] : [x, w],
          [out],
          (...p: number[]) => {
            const nIn = bias ? 3 : 2;
            const pb = bias ? p[2] : 0;
            const po = p[nIn];
            const packed = p[nIn + 1];
            const y = temp.length ? p[nIn + 2] : po; // where the NHWC kernels write
            ex.convPackW(p[1], kk, o, packed);
            putGeom(g);
            const flops = 2 * rows * kk * o;
            // NOTE: CHUNKS_PER_THREAD ranges of output rows per thread (see `split`); every output row is computed the
            // same way in any chunk, so the thread count never changes a result.
            const nParts =
              flops >= PARALLEL_MIN.convFlops && pool.threads > 1
                ? Math.min(CHUNKS_PER_THREAD * pool.threads, Math.ceil(rows / 4))
                : 1;
            const head = [p[0], GEOM, packed, pb, bias ? 1 : 0, code];
            if (stage > 0)
              pool.runSplit(
                'convRowsNCHW',
                [...head, po, o, 0, 0, stage, workBytes],
                8,
                rows,
                nParts,
                4,
                WORK,
              );
            else if (ex.convBandOk(GEOM, workBytes))
              pool.runSplit('convBandRows', [...head, y, o, 0, 0, workBytes], 8, rows, nParts, 4, WORK);
            else pool.runSplit('convRows', [...head, y, o, 0, 0], 8, rows, nParts, 4, WORK);
            if (temp.length) ex.transpose3(y, po, g.outH * g.outW, o, 0, g.n);
          },
          [kk * Math.ceil(o / 8) * 8 * 4, ...temp],
        );
      if (!ok) jsKernels.conv2d(x, w, bias, g, o, out, act, nchw);
    },
    conv2dBackpropInput(gr, w, g, o, out) {
      if (out.length === 0) return;
      const kk = g.kh * g.kw * g.c;
      const ok =
        isF32(gr) &&
        isF32(w) &&
        isF32(out) &&
        kk > 0 &&
        o > 0 &&
        ex.convBlockRows(kk) >= 4 &&
        call(
          [gr, w],
          [out],
          (pg, pw, po, packed) => {
            ex.convPackWT(pw, kk, o, packed);
            putGeom(g);
            const flops = 2 * g.n * g.outH * g.outW * kk * o;
            const parts = flops >= PARALLEL_MIN.matmulFlops && pool.threads > 1 ? g.n : 1;
            // NOTE: chunks of whole images, so no two threads add into the same pixel.
            pool.runSplit(
              'convInputRows',
              [pg, GEOM, packed, po, o, 0, 0],
              5,
              g.n,
              Math.min(parts, 256),
              1,
              WORK,
            );
          },
          [o * Math.ceil(kk / 8) * 8 * 4],
        );
      if (!ok) jsKernels.conv2dBackpropInput(gr, w, g, o, out);
    },
    conv2dBackpropFilter(x, gr, g, o, out) {
      if (out.length === 0) return;
      const kk = g.kh * g.kw * g.c;
      const rows = g.n * g.outH * g.outW;
      const slices = filterSlices(rows, 2 * rows * kk * o);
      const parts = slices.length;
      const ok =
        isF32(x) &&
        isF32(gr) &&
        isF32(out) &&
        kk > 0 &&
        o > 0 &&
        rows > 0 &&
        ex.convFilterBlockRows(kk) >= 4 &&
        call(
          [x, gr],
          [out],
          (px, pg, po, partial) => {
            putGeom(g);
            const dst = (i: number): number => (parts === 1 ? po : partial + i * kk * o * 4);
            // NOTE: windows read from a zero-padded band of input rows when one output row's band fits the scratch
            if (ex.convFilterBandOk(GEOM, workBytes))
              pool.run(
                'convFilterBandRows',
                chunksOf(slices, (s, e, i) => [px, GEOM, pg, o, s, e, dst(i), workBytes]),
                WORK,
              );
            else
              pool.run(
                'convFilterRows',
                chunksOf(slices, (s, e, i) => [px, GEOM, pg, o, s, e, dst(i)]),
                WORK,
              );
            if (parts > 1) ex.sumSlices(partial, parts, kk * o, po);
          },
          parts > 1 ? [parts * kk * o * 4] : [],
        );
      if (!ok) jsKernels.conv2dBackpropFilter(x, gr, g, o, out);
    },
    avgPool(x, g, divisors, out) {
      if (
        !isF32(x) ||
        !isF32(divisors) ||
        !isF32(out) ||
        (divisors.length !== 1 && divisors.length !== g.outH * g.outW) ||
        !call([x, divisors], [out], (px, pd, po) => {
          putGeom(g);
          split('avgPool', [px, GEOM, pd, divisors.length, po], g.n, windowSplit(g, x.length));
        })
      )
        jsKernels.avgPool(x, g, divisors, out);
    },
    poolMax(x, g, out) {
      if (!isF32(x) || !isF32(out) || !sweep('poolMax', x, g, out, g.n, x.length))
        jsKernels.poolMax(x, g, out);
    },
    // NOTE: images split across threads: a window adds only into its own image of out
    poolMaxGrad(x, dy, g, out) {
      if (
        !isF32(x) ||
        !isF32(dy) ||
        !isF32(out) ||
        !call([x, dy], [out], (px, pd, po) => {
          putGeom(g);
          split('poolMaxGrad', [px, GEOM, pd, po], g.n, windowSplit(g, x.length));
        })
      )
        jsKernels.poolMaxGrad(x, dy, g, out);
    },
  };
}
