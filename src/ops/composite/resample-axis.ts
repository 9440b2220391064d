// Resampling along one axis by an [out, in] matrix built from shapes in JS (each output a fixed weighted sum of the
// inputs along that axis): one matmul over the axis moved last, or one gather when every row is one-hot. The
// gradient is the tape's (the matrix's transpose, or the gather's scatter). Shared by ONNX Resize and tf.image.
import { Tensor } from '../../core/tensor.js';
import { cast } from '../elementwise/builders.js';
import { matmul, gather } from '../network/builders.js';
import { transpose } from '../movement/builders.js';

/** x with axis `a` replaced by w·x along it (w is [lout, lin]): one matmul over the axis moved last. */
export function applyAxis(x: Tensor, a: number, w: Float64Array, lout: number): Tensor {
  const lin = x.shape[a];
  const last = x.rank - 1;
  const perm = x.shape.map((_, i) => (i === a ? last : i === last ? a : i));
  // nearest rows are one-hot: a gather picks the same values without the product
  if (isOneHot(w, lout, lin)) return gather(x, oneHotIndex(w, lout, lin), a);
  const m = cast(new Tensor(w, [lout, lin]), x.dtype);
  const moved = a === last ? x : transpose(x, perm);
  const y = matmul(moved, m, { transB: true });
  return a === last ? y : transpose(y, perm);
}

const isOneHot = (w: Float64Array, lout: number, lin: number): boolean => {
  for (let i = 0; i < lout; i++) {
    let ones = 0;
    for (let j = 0; j < lin; j++) {
      const v = w[i * lin + j];
      if (v === 1) ones++;
      else if (v !== 0) return false;
    }
    if (ones !== 1) return false;
  }
  return true;
};
const oneHotIndex = (w: Float64Array, lout: number, lin: number): number[] =>
  Array.from({ length: lout }, (_, i) => w.subarray(i * lin, (i + 1) * lin).indexOf(1));
