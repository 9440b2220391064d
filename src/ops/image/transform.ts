// TF.js tf.image.transform as tensor ops: each output pixel's input coordinate from its image's projective transform
// [a0, a1, a2, b0, b1, b2, c0, c1] (x = (a0·X + a1·Y + a2)/k, y = (b0·X + b1·Y + b2)/k, k = c0·X + c1·Y + 1), mapped by
// fillMode, then read by nearest or bilinear interpolation (gathers of the image weighted by constants of the
// transforms), fillValue outside. The coordinates are computed in float64 from the transforms, detached: the gradient
// reaches the image only (TF.js defines none).
// NOTE: TF.js 4.22's cpu kernel returns after the first image, so its images past the first hold fillValue only;
// tapegrad transforms every image.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor, assertTensor, tensor } from '../../core/tensor.js';
import {
  add,
  cast,
  div,
  equal,
  floor,
  greater,
  greaterEqual,
  less,
  lessEqual,
  maximum,
  minimum,
  mul,
  neg,
  sub,
  where,
} from '../elementwise/builders.js';
import { gather } from '../network/builders.js';
import { reshape, slice } from '../movement/builders.js';

export type TransformInterpolation = 'nearest' | 'bilinear';
export type TransformFillMode = 'constant' | 'reflect' | 'wrap' | 'nearest';
const FILL_MODES = ['constant', 'reflect', 'wrap', 'nearest'];

const clamp = (c: Tensor, len: number): Tensor => minimum(maximum(c, 0), len - 1);
/** ⌊v⌋ toward zero for v ≥ 0 (the only place TF.js's Math.trunc is applied). */
const truncPos = (v: Tensor): Tensor => floor(v);

/** TF.js's mapCoord: an input coordinate outside [0, len − 1] mapped per fillMode (then clamped, except constant). */
function mapCoord(c: Tensor, len: number, mode: TransformFillMode): Tensor {
  if (mode === 'constant') return c;
  if (mode === 'nearest') return clamp(c, len);
  // len 1: every outside coordinate maps to 0
  if (len <= 1) return clamp(c, len);
  let below: Tensor;
  let above: Tensor;
  if (mode === 'reflect') {
    // reflect [abcd] to [dcba|abcd|dcba]
    const sz2 = 2 * len;
    const a = add(mul(truncPos(div(neg(c), sz2)), sz2), c);
    below = where(less(a, -len), add(a, sz2), sub(neg(a), 1));
    const b = sub(c, mul(truncPos(div(c, sz2)), sz2));
    above = where(greaterEqual(b, len), sub(sz2 - 1, b), b);
  } else {
    // wrap [abcd] to [abcd|abcd|abcd]
    const sz = len - 1;
    below = add(c, mul(add(truncPos(div(neg(c), sz)), 1), len));
    above = sub(c, mul(truncPos(div(c, sz)), len));
  }
  return clamp(where(less(c, 0), below, where(greater(c, len - 1), above, c)), len);
}

/**
 * TF.js `tf.image.transform(image, transforms, interpolation = 'nearest', fillMode = 'constant', fillValue = 0,
 * outputShape)`: image [batch, h, w, c], transforms [batch, 8] or [1, 8] → [batch, outH, outW, c].
 */
export function transform(
  image: Tensor,
  transforms: Tensor,
  interpolation: TransformInterpolation = 'nearest',
  fillMode: TransformFillMode = 'constant',
  fillValue = 0,
  outputShape?: readonly [number, number] | null,
): Tensor {
  const op = 'transform';
  assertTensor(image, op, 'image');
  assertTensor(transforms, op, 'transforms');
  if (image.rank !== 4)
    throw new ShapeError(`${op}: image must be rank 4 [batch, h, w, c], got ${fmtShape(image.shape)}`);
  const [n, h, w, ch] = image.shape;
  // TF.js takes float32 images only; float64 too here
  if (image.dtype !== 'float32' && image.dtype !== 'float64')
    throw new ValueError(`${op}: image must be float32 or float64, got ${image.dtype}`);
  if (
    transforms.rank !== 2 ||
    transforms.shape[1] !== 8 ||
    (transforms.shape[0] !== n && transforms.shape[0] !== 1)
  )
    throw new ShapeError(`${op}: transforms must be [${n}, 8] or [1, 8], got ${fmtShape(transforms.shape)}`);
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw new ValueError(
      `${op}: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(interpolation)}`,
    );
  if (!FILL_MODES.includes(fillMode))
    throw new ValueError(
      `${op}: fillMode must be one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(fillMode)}`,
    );
  if (typeof fillValue !== 'number')
    throw new ValueError(`${op}: fillValue must be a number, got ${JSON.stringify(fillValue)}`);
  if (
    outputShape != null &&
    (!Array.isArray(outputShape) ||
      outputShape.length !== 2 ||
      outputShape.some((v) => !Number.isInteger(v) || v < 1))
  )
    throw new ValueError(
      `${op}: outputShape must be [height, width] of positive integers or null, got ${JSON.stringify(outputShape)}`,
    );
  const [oh, ow] = outputShape ?? [h, w];
  const t = cast(transforms.detach(), 'float64');
  const col = (k: number): Tensor => reshape(slice(t, [0, k], [t.shape[0], 1]), [t.shape[0], 1, 1]);
  const X = tensor(
    Array.from({ length: ow }, (_, i) => i),
    [1, 1, ow],
    { dtype: 'float64' },
  );
  const Y = tensor(
    Array.from({ length: oh }, (_, i) => i),
    [1, oh, 1],
    { dtype: 'float64' },
  );
  const lin = (a: number, b: number, c: number): Tensor => add(add(mul(col(a), X), mul(col(b), Y)), col(c));
  const proj = add(add(mul(col(6), X), mul(col(7), Y)), 1);
  // a zero projection is a point at infinity: fillValue there (its coordinates are not used)
  const atInfinity = cast(equal(proj, 0), 'float64');
  const k = add(proj, atInfinity);
  const x = mapCoord(div(lin(0, 1, 2), k), w, fillMode);
  const y = mapCoord(div(lin(3, 4, 5), k), h, fillMode);
  const dt = image.dtype;
  const flat = reshape(image, [n * h * w, ch]);
  const base = tensor(
    Array.from({ length: n }, (_, b) => b * h * w),
    [n, 1, 1],
    { dtype: 'float64' },
  );
  const fill = new Tensor(new (dt === 'float64' ? Float64Array : Float32Array)([fillValue]), []);
  const shape = [n, oh, ow, 1];
  // the pixel (yi, xi) of each output position, fillValue where it lies outside the image
  const read = (yi: Tensor, xi: Tensor): Tensor => {
    const ok = mul(
      mul(cast(greaterEqual(yi, 0), 'float64'), cast(lessEqual(yi, h - 1), 'float64')),
      mul(cast(greaterEqual(xi, 0), 'float64'), cast(lessEqual(xi, w - 1), 'float64')),
    );
    const idx = add(add(base, mul(clamp(yi, h), w)), clamp(xi, w));
    const v = reshape(gather(flat, reshape(cast(idx, 'int32'), [-1]), 0), [n, oh, ow, ch]);
    return where(reshape(greater(broadcastOk(ok, n), 0), shape), v, fill);
  };
  let out: Tensor;
  if (interpolation === 'nearest') out = read(floor(add(y, 0.5)), floor(add(x, 0.5)));
  else {
    const y0 = floor(y);
    const x0 = floor(x);
    const [y1, x1] = [add(y0, 1), add(x0, 1)];
    const wt = (a: Tensor): Tensor => reshape(cast(broadcastOk(a, n), dt), shape);
    const rowAt = (yi: Tensor): Tensor =>
      add(mul(wt(sub(x1, x)), read(yi, x0)), mul(wt(sub(x, x0)), read(yi, x1)));
    out = add(mul(wt(sub(y1, y)), rowAt(y0)), mul(wt(sub(y, y0)), rowAt(y1)));
  }
  return where(reshape(greater(broadcastOk(atInfinity, n), 0), shape), fill, out);
}

/** [1 or n, oh, ow] → [n, oh, ow]. */
const broadcastOk = (a: Tensor, n: number): Tensor => (a.shape[0] === n ? a : add(a, zerosN(n)));
const zerosN = (n: number): Tensor => tensor(new Array<number>(n).fill(0), [n, 1, 1], { dtype: 'float64' });
