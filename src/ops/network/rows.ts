// Primitives for networks: batched matmul, im2col/col2im (each the other's vjp), pooling argmax,
// and take/scatterAdd (each the other's vjp) for max-pool gradients and label lookups.
import { DTypeError, ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { sizeOf } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import { hasOpListeners } from '../../core/tape.js';
import type { ConvActivation, WindowGeom } from '../../backend/kernels.js';
import { paddingOnlyWindow } from '../../core/window-geom.js';
import {
  type Cost,
  type CostCtx,
  type PrimTable,
  type VjpCtx,
  flat,
  movedBytes,
  movementCost,
  need,
  perInputCost,
} from '../prim.js';
import {
  col2im,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  conv2dFused,
  im2col,
  matmul,
  maxPool2dGrad,
  poolArgmax,
  scatterAdd,
  take,
} from './builders.js';
import { sum } from '../reduce/builders.js';
import { div, reluGrad } from '../elementwise/builders.js';
import { broadcastTo, reshape, transpose } from '../movement/builders.js';

/** The activations the fused conv applies in its epilogue. */
const CONV_ACTIVATIONS: readonly ConvActivation[] = ['linear', 'relu'];

export interface NnParams {
  matmul: { transA: boolean; transB: boolean };
  im2col: { geom: WindowGeom };
  col2im: { geom: WindowGeom };
  poolArgmax: { geom: WindowGeom };
  /** activation: applied to conv + bias in the same kernel ('linear', the default when absent: none). */
  /** nchw: the output as [n, o, outH, outW] (the same values, PyTorch's layout) instead of [n, outH, outW, o]. */
  conv2dFused: { geom: WindowGeom; activation?: ConvActivation; nchw?: boolean };
  conv2dBackpropInput: { geom: WindowGeom };
  conv2dBackpropFilter: { geom: WindowGeom };
  maxPool2dFused: { geom: WindowGeom };
  maxPool2dGrad: { geom: WindowGeom };
  /** divisors: one for every window, or one per output pixel (outH·outW, row-major). */
  avgPool2dFused: { geom: WindowGeom; divisors: readonly number[] };
  take: Record<string, never>;
  scatterAdd: { shape: number[] };
}

/** [batch..., rows, cols] of a matmul operand after its optional transpose. */
function mmDims(t: Tensor, trans: boolean): [number[], number, number] {
  const r = t.rank;
  const [a, b] = [t.shape[r - 2], t.shape[r - 1]];
  return [t.shape.slice(0, r - 2), trans ? b : a, trans ? a : b];
}

/** Sum a batched gradient down to an operand that had no batch axes. */
const unbatch = (d: Tensor, x: Tensor): Tensor =>
  d.rank > x.rank ? sum(d, [...Array(d.rank - x.rank).keys()]) : d;

const count = (v: number): boolean => Number.isInteger(v) && v >= 0;

// NOTE: field by field, no arrays or callbacks: every conv and pool row, forward and backward, checks its geometry.
function checkGeom(op: string, x: Tensor, geom: WindowGeom, cols?: boolean): void {
  const g = geom;
  const ok =
    count(g.n) &&
    count(g.h) &&
    count(g.w) &&
    count(g.c) &&
    count(g.kh) &&
    count(g.kw) &&
    count(g.strideH) &&
    count(g.strideW) &&
    count(g.dilationH) &&
    count(g.dilationW) &&
    count(g.outH) &&
    count(g.outW);
  if (!ok || g.strideH < 1 || g.strideW < 1 || g.dilationH < 1 || g.dilationW < 1)
    throw new ValueError(`${op}: invalid window geometry ${JSON.stringify(g)}`);
  const s = x.shape;
  const fits = cols
    ? s.length === 2 && s[0] === g.n * g.outH * g.outW && s[1] === g.kh * g.kw * g.c
    : s.length === 4 && s[0] === g.n && s[1] === g.h && s[2] === g.w && s[3] === g.c;
  if (!fits) {
    const want = cols ? [g.n * g.outH * g.outW, g.kh * g.kw * g.c] : [g.n, g.h, g.w, g.c];
    throw new ShapeError(
      `${op}: input ${fmtShape(x.shape)} does not match the geometry (expected ${fmtShape(want)})`,
    );
  }
}

/** [n,outH,outW,c] of a max pool, refusing windows that see only padding (there is no maximum there). */
function poolShape(op: string, x: Tensor, g: WindowGeom): number[] {
  checkGeom(op, x, g);
  // NOTE: every window must see a real input (the bottom/right padding too), else there is no argmax.
  const empty = paddingOnlyWindow('maxPool', g);
  if (empty !== null) throw new ValueError(empty);
  return [g.n, g.outH, g.outW, g.c];
}

/** A convolution's output gradient must be [n, outH, outW, filters] for the geometry. */
function checkConvGrad(op: string, g: Tensor, geom: WindowGeom): void {
  if (g.rank !== 4 || g.shape[0] !== geom.n || g.shape[1] !== geom.outH || g.shape[2] !== geom.outW)
    throw new ShapeError(
      `${op}: gradient ${fmtShape(g.shape)} does not match the geometry (expected [${geom.n}, ${geom.outH}, ${geom.outW}, filters])`,
    );
}

function sameFloat(op: string, ins: readonly Tensor[]): void {
  if (ins.some((t) => t.dtype !== ins[0].dtype || !isFloat(t.dtype)))
    throw new DTypeError(
      `${op}: inputs must share one float dtype, got ${ins.map((t) => t.dtype).join(', ')}`,
    );
}

function checkIndices(op: string, idx: Tensor, n: number): void {
  if (idx.dtype !== 'int32') throw new DTypeError(`${op}: indices must be int32, got ${idx.dtype}`);
  const d = idx.raw;
  for (let i = 0; i < d.length; i++)
    if (d[i] < 0 || d[i] >= n)
      throw new ValueError(`${op}: index ${d[i]} (position ${i}) is out of range for ${n} values`);
}

/** Length of one patch row, kh·kw·c (the inner size of the conv matmuls). */
const patchLen = (g: WindowGeom): number => g.kh * g.kw * g.c;
/** Pooling: one comparison per element of every window. */
/** The divisors of avgPool2dFused as an array of x's float type. */
const divisorArray = (d: readonly number[], dtype: Tensor['dtype']): Float32Array | Float64Array =>
  dtype === 'float64' ? Float64Array.from(d) : Float32Array.from(d);

/** col2im of g / D broadcast over each window's taps: the transpose of "sum the taps, divide by D". */
function avgPoolGrad(g: Tensor, geom: WindowGeom, divisors: readonly number[]): Tensor {
  const { n, outH, outW, kh, kw, c } = geom;
  const d =
    divisors.length === 1 ? divisors[0] : new Tensor(divisorArray(divisors, g.dtype), [1, outH, outW, 1]);
  const taps = broadcastTo(reshape(div(g, d), [n, outH, outW, 1, c]), [n, outH, outW, kh * kw, c]);
  return col2im(reshape(taps, [n * outH * outW, kh * kw * c]), geom);
}

const windowCost = (c: CostCtx<{ geom: WindowGeom }>): Cost => {
  const g = c.p.geom;
  return { flops: g.n * g.outH * g.outW * g.c * g.kh * g.kw, bytes: movedBytes(c) };
};

export const nnPrims: PrimTable<NnParams> = {
  matmul: {
    arity: 2,
    shape: ([a, b], p) => {
      if (a.rank < 2 || b.rank < 2)
        throw new ShapeError(
          `matmul: operands need rank >= 2, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`,
        );
      if (a.dtype !== b.dtype)
        throw new DTypeError(`matmul: operand dtypes ${a.dtype} and ${b.dtype} differ`);
      // NOTE: the plain 2-D product (the common case) allocates nothing but its output shape
      if (a.rank === 2 && b.rank === 2) {
        const ka = p.transA ? a.shape[0] : a.shape[1];
        const kb = p.transB ? b.shape[1] : b.shape[0];
        if (ka === kb) return [p.transA ? a.shape[1] : a.shape[0], p.transB ? b.shape[0] : b.shape[1]];
      }
      const [ba, m, ka] = mmDims(a, p.transA);
      const [bb, kb, n] = mmDims(b, p.transB);
      const batchOk =
        ba.length === 0 || bb.length === 0 || (ba.length === bb.length && ba.every((d, i) => d === bb[i]));
      if (ka !== kb || !batchOk)
        throw new ShapeError(
          `matmul: ${fmtShape(a.shape)}${p.transA ? 'ᵀ' : ''} · ${fmtShape(b.shape)}${p.transB ? 'ᵀ' : ''}: inner sizes ${ka} and ${kb} ${ka !== kb ? 'differ' : 'match but batch axes differ'}`,
        );
      return [...(ba.length ? ba : bb), m, n];
    },
    forward: (k, [a, b], out, p) => {
      // [batch..., rows, cols]: the batch counts are the products of all but the last two axes
      const ra = a.rank;
      const rb = b.rank;
      let batchA = 1;
      let batchB = 1;
      for (let i = 0; i < ra - 2; i++) batchA *= a.shape[i];
      for (let i = 0; i < rb - 2; i++) batchB *= b.shape[i];
      const m = p.transA ? a.shape[ra - 1] : a.shape[ra - 2];
      const kk = p.transA ? a.shape[ra - 2] : a.shape[ra - 1];
      const n = p.transB ? b.shape[rb - 2] : b.shape[rb - 1];
      k.matmul(a.raw, b.raw, out, batchA, batchB, m, n, kk, p.transA, p.transB);
    },
    // C = Â·B̂ with Â = op(A), B̂ = op(B): dÂ = g·B̂ᵀ, dB̂ = Âᵀ·g; a transposed operand takes the transpose back.
    vjp: (g, c: VjpCtx<NnParams['matmul']>) => {
      const [a, b] = c.ins;
      const { transA, transB } = c.p;
      return [
        need(c, 0, () =>
          unbatch(
            transA ? matmul(b, g, { transA: transB, transB: true }) : matmul(g, b, { transB: !transB }),
            a,
          ),
        ),
        need(c, 1, () =>
          unbatch(
            transB ? matmul(g, a, { transA: true, transB: transA }) : matmul(a, g, { transA: !transA }),
            b,
          ),
        ),
      ];
    },
    // out already counts batch·m·n: 2·m·n·k per batch
    cost: (c) => {
      const [a] = c.ins;
      const k = c.p.transA ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
      return { flops: 2 * c.out.size * k, bytes: movedBytes(c) };
    },
  },
  im2col: {
    arity: 1,
    shape: ([x], { geom: g }) => (checkGeom('im2col', x, g), [g.n * g.outH * g.outW, g.kh * g.kw * g.c]),
    forward: (k, [x], out, p) => k.im2col(x.raw, p.geom, out),
    vjp: (g, { p }) => [col2im(g, p.geom)], // the transpose of gathering patches is summing them back
    cost: movementCost, // gathers patches
  },
  col2im: {
    arity: 1,
    shape: ([x], { geom: g }) => (checkGeom('col2im', x, g, true), [g.n, g.h, g.w, g.c]),
    forward: (k, [x], out, p) => k.col2im(x.raw, p.geom, out),
    vjp: (g, { p }) => [im2col(g, p.geom)],
    cost: perInputCost, // one add per patch value summed back
  },
  poolArgmax: {
    arity: 1,
    shape: ([x], { geom: g }) => poolShape('poolArgmax', x, g),
    dtype: () => 'int32',
    forward: (k, [x], out, p) => k.poolArgmax(x.raw, p.geom, out as Int32Array),
    vjp: flat, // indices: no gradient
    cost: windowCost, // one comparison per window element
  },
  // NOTE: the three convolution rows below are im2col(x)·w (+ b), col2im(g·wᵀ) and im2col(x)ᵀ·g computed without the
  // patch matrix. Each one's vjp is written with the other two (the same algebra as im2col ↔ col2im and matmul), so
  // the set is closed under differentiation and each row is gradchecked like every row.
  conv2dFused: {
    arity: -1,
    shape: (ins, { geom: g, activation, nchw }) => {
      if (ins.length < 2 || ins.length > 3)
        throw new ValueError(`conv2dFused: expected inputs (x, w) or (x, w, bias), got ${ins.length}`);
      if (activation !== undefined && !CONV_ACTIVATIONS.includes(activation))
        throw new ValueError(
          `conv2dFused: unknown activation '${String(activation)}' (supported: ${CONV_ACTIVATIONS.join(', ')})`,
        );
      const [x, w, b] = ins;
      checkGeom('conv2dFused', x, g);
      const k = g.kh * g.kw * g.c;
      if (w.rank !== 2 || w.shape[0] !== k)
        throw new ShapeError(
          `conv2dFused: kernel ${fmtShape(w.shape)} must be [${k}, filters] for this geometry`,
        );
      if (b && (b.rank !== 1 || b.shape[0] !== w.shape[1]))
        throw new ShapeError(`conv2dFused: bias ${fmtShape(b.shape)} must be [${w.shape[1]}]`);
      sameFloat('conv2dFused', ins);
      return nchw ? [g.n, w.shape[1], g.outH, g.outW] : [g.n, g.outH, g.outW, w.shape[1]];
    },
    forward: (k, [x, w, b], out, p) =>
      k.conv2d(x.raw, w.raw, b ? b.raw : null, p.geom, w.shape[1], out, p.activation, p.nchw),
    // y = act(z), z = im2col(x)·w + b: dz = g·act'(z) (relu: g·[y > 0]), dx = col2im(dz·wᵀ), dw = im2col(x)ᵀ·dz, db = Σ_pixels dz
    // NOTE: relu'(0) = 0 as in the relu row; y > 0 exactly where z > 0, so the mask reads the output. An NCHW output's
    // gradient is brought to NHWC (the layout of z) first.
    vjp: (gy, c) => {
      const [x, w] = c.ins;
      const { geom } = c.p;
      const dz = c.p.activation === 'relu' ? reluGrad(gy, c.out) : gy;
      const g = c.p.nchw ? transpose(dz, [0, 2, 3, 1]) : dz;
      return [
        need(c, 0, () => conv2dBackpropInput(g, w, geom)),
        need(c, 1, () => conv2dBackpropFilter(x, g, geom)),
        ...(c.ins.length === 3 ? [need(c, 2, () => sum(g, [0, 1, 2]))] : []),
      ];
    },
    // im2col(x)·w: 2·rows·K·filters, + 1 per output for the activation
    cost: (c) => ({
      flops: (2 * patchLen(c.p.geom) + (c.p.activation === 'relu' ? 1 : 0)) * c.out.size,
      bytes: movedBytes(c),
    }),
  },
  conv2dBackpropInput: {
    arity: 2,
    shape: ([g, w], { geom }) => {
      checkConvGrad('conv2dBackpropInput', g, geom);
      const k = geom.kh * geom.kw * geom.c;
      if (w.rank !== 2 || w.shape[0] !== k || w.shape[1] !== g.shape[3])
        throw new ShapeError(
          `conv2dBackpropInput: kernel ${fmtShape(w.shape)} must be [${k}, ${g.shape[3]}] for this geometry and gradient`,
        );
      sameFloat('conv2dBackpropInput', [g, w]);
      return [geom.n, geom.h, geom.w, geom.c];
    },
    forward: (k, [g, w], out, p) => k.conv2dBackpropInput(g.raw, w.raw, p.geom, w.shape[1], out),
    // y = col2im(g·wᵀ): dg = im2col(ȳ)·w, dw = im2col(ȳ)ᵀ·g
    vjp: (gy, c) => {
      const [g, w] = c.ins;
      const { geom } = c.p;
      return [
        need(c, 0, () => conv2dFused(gy, w, null, geom)),
        need(c, 1, () => conv2dBackpropFilter(gy, g, geom)),
      ];
    },
    cost: (c) => ({ flops: 2 * c.ins[0].size * patchLen(c.p.geom), bytes: movedBytes(c) }), // g·wᵀ: 2·rows·filters·K
  },
  conv2dBackpropFilter: {
    arity: 2,
    shape: ([x, g], { geom }) => {
      checkGeom('conv2dBackpropFilter', x, geom);
      checkConvGrad('conv2dBackpropFilter', g, geom);
      sameFloat('conv2dBackpropFilter', [x, g]);
      return [geom.kh * geom.kw * geom.c, g.shape[3]];
    },
    forward: (k, [x, g], out, p) => k.conv2dBackpropFilter(x.raw, g.raw, p.geom, g.shape[3], out),
    // y = im2col(x)ᵀ·g: dx = col2im(g·ȳᵀ), dg = im2col(x)·ȳ
    vjp: (gy, c) => {
      const [x, g] = c.ins;
      const { geom } = c.p;
      return [
        need(c, 0, () => conv2dBackpropInput(g, gy, geom)),
        need(c, 1, () => conv2dFused(x, gy, null, geom)),
      ];
    },
    cost: (c) => ({ flops: 2 * c.ins[1].size * patchLen(c.p.geom), bytes: movedBytes(c) }), // im2col(x)ᵀ·g: 2·K·rows·filters
  },
  maxPool2dFused: {
    arity: 1,
    shape: ([x], { geom: g }) => poolShape('maxPool2dFused', x, g),
    forward: (k, [x], out, p) => k.poolMax(x.raw, p.geom, out),
    // y = x[argmax]: dx = scatterAdd(g, argmax), one maxPool2dGrad unless ops are traced
    vjp: (g, c) => [
      need(c, 0, () => {
        const x = c.ins[0];
        // NOTE: traced (op listeners), the gradient shows as the two primitives it is; listeners are shown the
        // indices (and could write to them), so scatterAdd checks them as it checks any index tensor
        if (!hasOpListeners()) return maxPool2dGrad(x, g, c.p.geom);
        return scatterAdd(g, poolArgmax(x, c.p.geom), x.shape);
      }),
    ],
    cost: windowCost, // one comparison per window element
  },
  maxPool2dGrad: {
    arity: 2,
    shape: ([x, dy], { geom: g }) => {
      const yShape = poolShape('maxPool2dGrad', x, g);
      if (dy.rank !== 4 || dy.shape.some((d, i) => d !== yShape[i]))
        throw new ShapeError(
          `maxPool2dGrad: gradient ${fmtShape(dy.shape)} must be the pool's output shape ${fmtShape(yShape)}`,
        );
      sameFloat('maxPool2dGrad', [x, dy]);
      return x.shape;
    },
    forward: (k, [x, dy], out, p) => k.poolMaxGrad(x.raw, dy.raw, p.geom, out),
    // dx = scatterAdd(dy, argmax(x)): linear in dy (d dy = take(ḡ, argmax)), piecewise constant in x (no gradient)
    vjp: (g, c) => [null, need(c, 1, () => take(g, poolArgmax(c.ins[0], c.p.geom)))],
    cost: windowCost, // one comparison per window element
  },
  avgPool2dFused: {
    arity: 1,
    shape: ([x], { geom: g, divisors }) => {
      checkGeom('avgPool2dFused', x, g);
      if (!isFloat(x.dtype)) throw new DTypeError(`avgPool2dFused: input must be float, got ${x.dtype}`);
      if (divisors.length !== 1 && divisors.length !== g.outH * g.outW)
        throw new ValueError(
          `avgPool2dFused: expected 1 or ${g.outH * g.outW} (outH·outW) divisors, got ${divisors.length}`,
        );
      return [g.n, g.outH, g.outW, g.c];
    },
    forward: (k, [x], out, p) => k.avgPool(x.raw, p.geom, divisorArray(p.divisors, x.dtype), out),
    // y = Σ_taps im2col(x) / D: dx = col2im(the taps' broadcast of g / D)
    vjp: (g, c) => [need(c, 0, () => avgPoolGrad(g, c.p.geom, c.p.divisors))],
    cost: windowCost, // one add per window element
  },
  take: {
    arity: 2,
    shape: ([x, idx]) => (checkIndices('take', idx, x.size), idx.shape),
    dtype: ([x]) => x.dtype,
    forward: (k, [x, idx], out) => k.take(x.raw, idx.raw as Int32Array, out),
    vjp: (g, c) => [need(c, 0, () => scatterAdd(g, c.ins[1], c.ins[0].shape)), null], // gather ↔ scatter-add
    cost: movementCost, // a gather
  },
  scatterAdd: {
    arity: 2,
    shape: ([g, idx], p) => {
      if (!isFloat(g.dtype)) throw new DTypeError(`scatterAdd: values must be float, got ${g.dtype}`);
      if (g.size !== idx.size) throw new ShapeError(`scatterAdd: ${g.size} values for ${idx.size} indices`);
      checkIndices('scatterAdd', idx, sizeOf(p.shape));
      return p.shape;
    },
    forward: (k, [g, idx], out) => k.scatterAdd(g.raw, idx.raw as Int32Array, out),
    vjp: (g, c) => [need(c, 0, () => take(g, c.ins[1])), null],
    cost: perInputCost, // one add per value
  },
};
