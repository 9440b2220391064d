// Weight-layout converters between Keras/TF/TF.js, PyTorch and Theano: conv kernels (HWIO ↔ OIHW ↔ flipped),
// Conv1D, Dense, LSTM/GRU gate order and biases, bias folding, and the Flatten-order fix for the first Dense.
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { sizeOf } from '../core/shape.js';
import { noGrad } from '../core/tape.js';
import { Tensor, ones } from '../core/tensor.js';
import { add } from '../ops/elementwise/builders.js';
import { concat, reshape, slice, transpose } from '../ops/movement/builders.js';

/** Names of conv kernel layouts. 2-D: [kh,kw,in,out] / [out,in,kh,kw]; 1-D: [k,in,out] / [out,in,k]. */
export type KernelLayout = 'keras' | 'tf' | 'tfjs' | 'torch' | 'theano';

const detached = (f: () => Tensor): Tensor => {
  const t = noGrad(f);
  return new Tensor(t.data.slice(), t.shape);
};
const isChannelsLast = (l: KernelLayout) => l === 'keras' || l === 'tf' || l === 'tfjs';

function checkLayout(l: string, what: string): KernelLayout {
  if (l === 'keras' || l === 'tf' || l === 'tfjs' || l === 'torch' || l === 'theano') return l;
  throw new ValueError(
    `layouts.${what}: unknown layout '${l}' (use 'keras', 'tf', 'tfjs' (all [k...,in,out]), 'torch' ([out,in,k...]) or 'theano' ([out,in,k...] flipped))`,
  );
}

/** Reverse the spatial axes of a kernel (true convolution ↔ cross-correlation). */
export function flipKernel(w: Tensor, layout: KernelLayout = 'keras'): Tensor {
  const sp = w.rank - 2;
  if (sp < 1) throw new ShapeError(`layouts.flipKernel: kernel ${fmtShape(w.shape)} has no spatial axes`);
  const spatial = isChannelsLast(checkLayout(layout, 'flipKernel'))
    ? [...Array(sp).keys()]
    : [...Array(sp).keys()].map((i) => i + 2);
  const out = new Float64Array(w.size);
  const strides = w.shape.map((_, i) => sizeOf(w.shape.slice(i + 1)));
  const idx = new Array(w.rank).fill(0);
  for (let flat = 0; flat < w.size; flat++) {
    let src = 0;
    for (let a = 0; a < w.rank; a++)
      src += (spatial.includes(a) ? w.shape[a] - 1 - idx[a] : idx[a]) * strides[a];
    out[flat] = w.data[src];
    for (let a = w.rank - 1; a >= 0 && ++idx[a] === w.shape[a]; a--) idx[a] = 0;
  }
  const t = new Tensor(
    w.dtype === 'float64' ? out : w.dtype === 'int32' ? Int32Array.from(out) : Float32Array.from(out),
    w.shape,
  );
  return t;
}

/**
 * Convert a conv kernel (1-D or 2-D) between layouts: Keras/TF/TF.js keep [k...,in,out] (HWIO / KIO),
 * PyTorch [out,in,k...] (OIHW / OIK); Theano is PyTorch's order with the kernel flipped (a true convolution).
 */
export function convertKernel(w: Tensor, opts: { from: KernelLayout; to: KernelLayout }): Tensor {
  const from = checkLayout(opts.from, 'convertKernel');
  const to = checkLayout(opts.to, 'convertKernel');
  if (w.rank !== 3 && w.rank !== 4)
    throw new ShapeError(
      `layouts.convertKernel: expected a 1-D [3 axes] or 2-D [4 axes] conv kernel, got ${fmtShape(w.shape)}`,
    );
  const sp = w.rank - 2;
  // to channels-last (HWIO), unflipped
  let hwio = isChannelsLast(from)
    ? w
    : detached(() => transpose(w, [...[...Array(sp).keys()].map((i) => i + 2), 1, 0]));
  if (from === 'theano') hwio = flipKernel(hwio, 'keras');
  if (isChannelsLast(to)) return hwio === w ? new Tensor(w.data.slice(), w.shape) : hwio;
  const oihw = detached(() => transpose(hwio, [sp + 1, sp, ...Array(sp).keys()]));
  return to === 'theano' ? flipKernel(oihw, 'torch') : oihw;
}

/** Keras Conv2D kernel [kh,kw,in,out] → PyTorch Conv2d weight [out,in,kh,kw]. */
export const kerasToTorchConv = (w: Tensor): Tensor => convertKernel(w, { from: 'keras', to: 'torch' });
/** PyTorch Conv weight [out,in,k...] → Keras kernel [k...,in,out]. */
export const torchToKerasConv = (w: Tensor): Tensor => convertKernel(w, { from: 'torch', to: 'keras' });

/** Keras Dense kernel [in,out] ↔ PyTorch Linear weight [out,in] (a transpose either way). */
export function transposeDense(w: Tensor): Tensor {
  if (w.rank !== 2)
    throw new ShapeError(
      `layouts.transposeDense: expected a [in,out] or [out,in] matrix, got ${fmtShape(w.shape)}`,
    );
  return detached(() => transpose(w, [1, 0]));
}

/** Keras LSTM gate order i, f, c, o; PyTorch i, f, g, o (the same); Keras GRU z, r, h; PyTorch r, z, n. */
export const GATES = {
  kerasLstm: ['i', 'f', 'c', 'o'],
  torchLstm: ['i', 'f', 'g', 'o'],
  kerasGru: ['z', 'r', 'h'],
  torchGru: ['r', 'z', 'n'],
} as const;

/** Reorder gate blocks along `axis`: `order[k]` is the index in the source of the k-th block of the result. */
export function reorderGates(t: Tensor, axis: number, order: readonly number[]): Tensor {
  const g = order.length;
  const a = axis < 0 ? axis + t.rank : axis;
  if (t.shape[a] % g !== 0)
    throw new ShapeError(
      `layouts.reorderGates: axis ${axis} of ${fmtShape(t.shape)} is not ${g} equal gate blocks`,
    );
  const u = t.shape[a] / g;
  return detached(() =>
    concat(
      order.map((k) =>
        slice(
          t,
          t.shape.map((_, i) => (i === a ? k * u : 0)),
          t.shape.map((d, i) => (i === a ? u : d)),
        ),
      ),
      a,
    ),
  );
}

export interface KerasRnnWeights {
  /** [in, G·u] */
  kernel: Tensor;
  /** [u, G·u] */
  recurrentKernel: Tensor;
  /** [G·u] (LSTM, GRU reset_after=false) or [2, G·u] (GRU reset_after=true: input bias, recurrent bias). */
  bias: Tensor | null;
}
export interface TorchRnnWeights {
  /** [G·u, in] */
  weightIh: Tensor;
  /** [G·u, u] */
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
}

/**
 * Keras LSTM [kernel, recurrent_kernel, bias] → PyTorch (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0).
 * Same gate order (i, f, c/g, o); the matrices are transposed; Keras's one bias goes to bias_ih and bias_hh is 0
 * (PyTorch adds both, so any split with the same sum is equivalent).
 */
export function lstmKerasToTorch(w: KerasRnnWeights): TorchRnnWeights {
  rnnCheck(w, 4, 'lstmKerasToTorch');
  const b = w.bias ? new Tensor(w.bias.data.slice(), w.bias.shape) : null;
  return {
    weightIh: transposeDense(w.kernel),
    weightHh: transposeDense(w.recurrentKernel),
    biasIh: b,
    biasHh: b
      ? new Tensor(
          b.data.map(() => 0),
          b.shape,
        )
      : null,
  };
}

/** PyTorch LSTM → Keras: transpose back, and Keras's single bias = bias_ih + bias_hh. */
export function lstmTorchToKeras(w: TorchRnnWeights): KerasRnnWeights {
  const bias = w.biasIh && w.biasHh ? detached(() => add(w.biasIh!, w.biasHh!)) : (w.biasIh ?? w.biasHh);
  const k = {
    kernel: transposeDense(w.weightIh),
    recurrentKernel: transposeDense(w.weightHh),
    bias: bias ? new Tensor(bias.data.slice(), bias.shape) : null,
  };
  rnnCheck(k, 4, 'lstmTorchToKeras');
  return k;
}

const GRU_K2T = [1, 0, 2]; // torch block k comes from keras block GRU_K2T[k]: r←r(1), z←z(0), n←h(2)

/**
 * Keras GRU (reset_after=true, bias [2,3u]) → PyTorch GRU: gates z,r,h → r,z,n, matrices transposed,
 * bias[0] → bias_ih, bias[1] → bias_hh. Keras reset_after=false applies the reset gate before the recurrent
 * matmul, which PyTorch cannot express: that raises a ValueError.
 */
export function gruKerasToTorch(w: KerasRnnWeights): TorchRnnWeights {
  rnnCheck(w, 3, 'gruKerasToTorch');
  if (w.bias && w.bias.rank === 1)
    throw new ValueError(
      'layouts.gruKerasToTorch: this GRU has a single bias [3u], i.e. reset_after=false (Keras 2.1 and earlier default): r multiplies h BEFORE the ' +
        "recurrent matmul, which PyTorch's GRU cannot express. Retrain with reset_after=true, or run it with a Keras-style GRU.",
    );
  const re = (t: Tensor, axis: number) => reorderGates(t, axis, GRU_K2T);
  const out: TorchRnnWeights = {
    weightIh: transposeDense(re(w.kernel, 1)),
    weightHh: transposeDense(re(w.recurrentKernel, 1)),
    biasIh: null,
    biasHh: null,
  };
  if (w.bias) {
    const u3 = w.bias.shape[1];
    out.biasIh = re(
      detached(() => reshape(slice(w.bias!, [0, 0], [1, u3]), [u3])),
      0,
    );
    out.biasHh = re(
      detached(() => reshape(slice(w.bias!, [1, 0], [1, u3]), [u3])),
      0,
    );
  }
  return out;
}

/** PyTorch GRU → Keras GRU with reset_after=true (bias [2,3u]). */
export function gruTorchToKeras(w: TorchRnnWeights): KerasRnnWeights {
  const re = (t: Tensor, axis: number) => reorderGates(t, axis, GRU_K2T); // the swap is its own inverse
  const k: KerasRnnWeights = {
    kernel: re(transposeDense(w.weightIh), 1),
    recurrentKernel: re(transposeDense(w.weightHh), 1),
    bias: null,
  };
  if (w.biasIh || w.biasHh) {
    const zero = (t: Tensor | null, like: Tensor) =>
      t ??
      new Tensor(
        like.data.map(() => 0),
        like.shape,
      );
    const bi = zero(w.biasIh, (w.biasIh ?? w.biasHh)!);
    const bh = zero(w.biasHh, bi);
    k.bias = detached(() => reshape(concat([re(bi, 0), re(bh, 0)], 0), [2, bi.shape[0]]));
  }
  rnnCheck(k, 3, 'gruTorchToKeras');
  return k;
}

function rnnCheck(w: KerasRnnWeights, gates: number, fn: string): void {
  const [k, r] = [w.kernel, w.recurrentKernel];
  const u = r.shape[0];
  const ok =
    k.rank === 2 &&
    r.rank === 2 &&
    r.shape[1] === gates * u &&
    k.shape[1] === gates * u &&
    (!w.bias || w.bias.shape[w.bias.rank - 1] === gates * u);
  if (!ok)
    throw new ShapeError(
      `layouts.${fn}: expected kernel [in,${gates}u], recurrent kernel [u,${gates}u] and bias [${gates}u]; got ${fmtShape(k.shape)}, ${fmtShape(r.shape)}, ${w.bias ? fmtShape(w.bias.shape) : 'no bias'}`,
    );
}

/**
 * Fold a bias into a kernel whose last axis is the output (Keras layouts): [..., out] + [out] → [n+1, out]
 * with the bias as the last row, so `[x, 1] · K = x·W + b`. Pair it with `appendOnes` on the input (or on
 * im2col columns for a convolution).
 */
export function foldBias(kernel: Tensor, bias: Tensor): Tensor {
  const out = kernel.shape[kernel.rank - 1];
  if (bias.rank !== 1 || bias.shape[0] !== out)
    throw new ShapeError(
      `layouts.foldBias: bias ${fmtShape(bias.shape)} must be [${out}], one per output of kernel ${fmtShape(kernel.shape)}`,
    );
  return detached(() => concat([reshape(kernel, [-1, out]), reshape(bias, [1, out])], 0));
}

/** Append a column of ones to the last axis: [..., n] → [..., n+1] (the input side of `foldBias`). */
export function appendOnes(x: Tensor): Tensor {
  return detached(() => concat([x, ones([...x.shape.slice(0, -1), 1], { dtype: x.dtype })], x.rank - 1));
}

export interface FlattenFixOptions {
  /** Spatial sizes of the feature map that was flattened ([H, W] or [L]). */
  spatial: readonly number[];
  channels: number;
  /** Flatten order the kernel was trained with. */
  from: 'channelsFirst' | 'channelsLast';
  to: 'channelsFirst' | 'channelsLast';
  /** Which axis of the kernel holds the flattened features: 'keras' [features, units] (default) or 'torch' [units, features]. */
  kernelLayout?: 'keras' | 'torch';
}

/**
 * Reorder the input features of the first Dense/Linear after a conv stack when the flatten order changes:
 * channels-first flattens (C, H, W), channels-last (H, W, C). Without this, the model runs but is wrong.
 */
export function fixFlattenOrder(kernel: Tensor, o: FlattenFixOptions): Tensor {
  const feat = o.kernelLayout === 'torch' ? 1 : 0;
  const n = o.channels * sizeOf(o.spatial);
  if (kernel.rank !== 2 || kernel.shape[feat] !== n)
    throw new ShapeError(
      `layouts.fixFlattenOrder: kernel ${fmtShape(kernel.shape)} should have ${n} = ${o.channels}·${o.spatial.join('·')} features on axis ${feat}`,
    );
  if (o.from === o.to) return new Tensor(kernel.data.slice(), kernel.shape);
  const cf = [o.channels, ...o.spatial];
  const sp = o.spatial.length;
  // the flattened feature tensor viewed with its axes, then permuted to the other order
  const perm =
    o.from === 'channelsFirst'
      ? [...Array(sp).keys()].map((i) => i + 1).concat(0)
      : [sp, ...Array(sp).keys()];
  const srcShape = o.from === 'channelsFirst' ? cf : [...o.spatial, o.channels];
  return detached(() => {
    const k = feat === 0 ? kernel : transpose(kernel, [1, 0]);
    const units = k.shape[1];
    const moved = reshape(transpose(reshape(k, [...srcShape, units]), [...perm, sp + 1]), [n, units]);
    return feat === 0 ? moved : transpose(moved, [1, 0]);
  });
}
