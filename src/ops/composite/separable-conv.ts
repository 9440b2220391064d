// TF.js tf.separableConv2d: a depthwise convolution then a 1×1 pointwise convolution (Keras's SeparableConv2D calls
// it); the gradient is the tape's through both.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { type Tensor, assertTensor } from '../../core/tensor.js';
import { reshape } from '../movement/builders.js';
import { conv2d, depthwiseConv2d } from './conv.js';
import type { Pair } from './window.js';

/**
 * TF.js `tf.separableConv2d(x, depthwiseFilter, pointwiseFilter, strides, pad, dilation = [1, 1], dataFormat = 'NHWC')`:
 * x [batch, h, w, in] (or [h, w, in]), depthwiseFilter [fh, fw, in, multiplier], pointwiseFilter
 * [1, 1, in·multiplier, out].
 */
export function separableConv2d(
  x: Tensor,
  depthwiseFilter: Tensor,
  pointwiseFilter: Tensor,
  strides: Pair = 1,
  pad: 'valid' | 'same' = 'valid',
  dilation: Pair = 1,
  dataFormat = 'NHWC',
): Tensor {
  const op = 'separableConv2d';
  assertTensor(x, op, 'x');
  assertTensor(depthwiseFilter, op, 'depthwiseFilter');
  assertTensor(pointwiseFilter, op, 'pointwiseFilter');
  // NOTE: TF.js supports NHWC only here; NCHW is refused as there
  if (dataFormat !== 'NHWC')
    throw new ValueError(
      `${op}: dataFormat must be 'NHWC' (the only one TF.js supports), got ${JSON.stringify(dataFormat)}`,
    );
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(`${op}: x must be rank 3 [h, w, c] or 4 [batch, h, w, c], got ${fmtShape(x.shape)}`);
  if (depthwiseFilter.rank !== 4)
    throw new ShapeError(
      `${op}: depthwiseFilter must be rank 4 [fh, fw, in, multiplier], got ${fmtShape(depthwiseFilter.shape)}`,
    );
  const [, , cin, mult] = depthwiseFilter.shape;
  if (pointwiseFilter.rank !== 4 || pointwiseFilter.shape[0] !== 1 || pointwiseFilter.shape[1] !== 1)
    throw new ShapeError(
      `${op}: pointwiseFilter must be [1, 1, ${cin * mult}, out], got ${fmtShape(pointwiseFilter.shape)}`,
    );
  if (pointwiseFilter.shape[2] !== cin * mult)
    throw new ShapeError(
      `${op}: pointwiseFilter ${fmtShape(pointwiseFilter.shape)} must have ${cin * mult} (in·multiplier) input channels`,
    );
  if (pad !== 'valid' && pad !== 'same')
    throw new ValueError(`${op}: pad must be 'valid' or 'same', got ${JSON.stringify(pad)}`);
  const x4 = x.rank === 3 ? reshape(x, [1, ...x.shape]) : x;
  const d = depthwiseConv2d(x4, depthwiseFilter, null, { stride: strides, padding: pad, dilation });
  const y = conv2d(d, pointwiseFilter);
  return x.rank === 3 ? reshape(y, y.shape.slice(1)) : y;
}
