// ONNX resampling and space/depth rearrangement: Resize (nearest and linear), the older Upsample, DepthToSpace and
// SpaceToDepth. Resizing is separable: each axis whose length or scale changes is one gather (nearest) or two
// gathers blended with per-position weights (linear), so gradients flow back through tapegrad's gather.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { add, cast, mul } from '../../ops/elementwise/builders.js';
import { gather } from '../../ops/network/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { type OpContext, type OpDef, need, unsupported, where } from './op-types.js';

/** `r` rounds each step: Math.fround for nearest (positions that land on a whole number round as in ONNX
 * Runtime's float32 arithmetic), identity for linear (float64 models keep float64 weights). */
type Coord = (xr: number, scale: number, lin: number, lout: number, r: (v: number) => number) => number;
/**
 * Output position → input coordinate, per coordinate_transformation_mode (ONNX Resize spec).
 * NOTE: `lout` is lin·scale, not the floored output length: ONNX's reference implementation and its test data
 * (align_corners downsampling 4 → 2 by 0.6 divides by 2.4 − 1); the same number when sizes are given or lin·scale
 * is whole. ONNX Runtime divides by the floored length instead, so the two disagree only for align_corners
 * (and pytorch_half_pixel's lout > 1 test) with scales whose product with the length is fractional.
 */
const COORDS: Record<string, Coord> = {
  half_pixel: (x, s, _l, _o, r) => r(r(r(x + 0.5) / r(s)) - 0.5),
  pytorch_half_pixel: (x, s, _l, lout, r) => (lout > 1 ? r(r(r(x + 0.5) / r(s)) - 0.5) : 0),
  align_corners: (x, _s, lin, lout, r) => (lout === 1 ? 0 : r(r(x * (lin - 1)) / r(lout - 1))),
  asymmetric: (x, s, _l, _o, r) => r(x / r(s)),
  tf_half_pixel_for_nn: (x, s, _l, _o, r) => r(r(x + 0.5) / r(s)),
};
const exact = (v: number): number => v;
/** Input coordinate → nearest index, per nearest_mode. */
const NEAREST: Record<string, (x: number) => number> = {
  round_prefer_floor: (x) => (x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x)),
  round_prefer_ceil: (x) => Math.round(x),
  floor: (x) => Math.floor(x),
  ceil: (x) => Math.ceil(x),
};

interface Plan {
  mode: 'nearest' | 'linear';
  coord: Coord;
  nearest: (x: number) => number;
}

/** One axis of x resized to `lout` positions. */
function resizeAxis(x: Tensor, a: number, lout: number, scale: number, p: Plan): Tensor {
  const lin = x.shape[a];
  const clamp = (i: number) => Math.min(Math.max(i, 0), lin - 1);
  const wShape = x.shape.map((_, i) => (i === a ? lout : 1));
  if (p.mode === 'nearest') {
    const idx = Array.from({ length: lout }, (_, i) =>
      clamp(p.nearest(p.coord(i, scale, lin, lin * scale, Math.fround))),
    );
    return lin === lout && idx.every((k, i) => k === i) ? x : gather(x, idx, a);
  }
  // linear: x₀ = ⌊c⌋, weights 1 − (c − x₀) and c − x₀, neighbours clamped to the edge (the spec's edge padding)
  const i0: number[] = [];
  const i1: number[] = [];
  const w1 = new Float64Array(lout);
  for (let i = 0; i < lout; i++) {
    const c = p.coord(i, scale, lin, lin * scale, exact);
    const f = Math.floor(c);
    [i0[i], i1[i], w1[i]] = [clamp(f), clamp(f + 1), c - f];
  }
  if (lin === lout && i0.every((k, i) => k === i && w1[i] === 0)) return x;
  const w = (v: Float64Array) => cast(new Tensor(v, wShape), x.dtype);
  return add(mul(gather(x, i0, a), w(w1.map((v) => 1 - v))), mul(gather(x, i1, a), w(w1)));
}

/** Resizes every axis of x to `sizes`, with `scales` the per-axis factors the coordinate transform divides by. */
function resizeAll(x: Tensor, sizes: number[], scales: number[], p: Plan, c: OpContext): Tensor {
  if (sizes.length !== x.rank || scales.length !== x.rank)
    throw new ShapeError(
      `${where(c.node)}: scales/sizes need ${x.rank} values for input ${fmtShape(x.shape)}, got [${scales}] / [${sizes}]`,
    );
  let y = x;
  for (let a = 0; a < x.rank; a++) {
    if (!(sizes[a] >= 0) || !(scales[a] > 0))
      throw new ValueError(`${where(c.node)}: axis ${a} has size ${sizes[a]} and scale ${scales[a]}`);
    // NOTE: an axis kept at its length with scale 1 (batch, channels) is not resampled, as ONNX Runtime: the
    // formulas would shift it by half a position in tf_half_pixel_for_nn and round it up in the ceil modes
    if (sizes[a] !== x.shape[a] || scales[a] !== 1) y = resizeAxis(y, a, sizes[a], scales[a], p);
  }
  return y;
}

const modeOf = (c: OpContext): 'nearest' | 'linear' => {
  const m = c.attrs.str('mode', 'nearest');
  if (m !== 'nearest' && m !== 'linear') unsupported(c.node, `mode='${m}'`, "'nearest', 'linear'");
  return m;
};

/** Upsample (opset 7, 9) and Resize-10: asymmetric coordinates, nearest rounds down, sizes ⌊dim·scale⌋. */
function legacy(x: Tensor, scales: number[], c: OpContext, upsampleOnly: boolean): Tensor {
  const mode = modeOf(c);
  if (mode === 'nearest' && scales.some((s) => s < 1))
    unsupported(
      c.node,
      `nearest downsampling (scales [${scales}]) ${upsampleOnly ? 'in Upsample' : 'with Resize before opset 11'}`,
      'scales ≥ 1 (runtimes round downsampled positions differently); use Resize opset ≥ 11',
    );
  const sizes = x.shape.map((d, i) => Math.floor(d * scales[i]));
  return resizeAll(x, sizes, scales, { mode, coord: COORDS.asymmetric, nearest: NEAREST.floor }, c);
}

function resize(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  if (c.opset < 11) {
    // Resize-10 has only `mode`: the later attributes would be ignored, so they are refused
    for (const a of [
      'coordinate_transformation_mode',
      'nearest_mode',
      'cubic_coeff_a',
      'exclude_outside',
      'extrapolation_value',
    ])
      if (c.attrs.has(a))
        unsupported(c.node, `attribute '${a}' at opset ${c.opset} (it was added in opset 11)`, 'mode');
    return legacy(x, Array.from(need(ins, 1, c.node, 'scales').raw), c, false);
  }
  const mode = modeOf(c);
  const ct = c.attrs.str('coordinate_transformation_mode', 'half_pixel');
  if (!Object.prototype.hasOwnProperty.call(COORDS, ct))
    unsupported(c.node, `coordinate_transformation_mode='${ct}'`, Object.keys(COORDS).join(', '));
  const nm = c.attrs.str('nearest_mode', 'round_prefer_floor');
  if (!Object.prototype.hasOwnProperty.call(NEAREST, nm))
    unsupported(c.node, `nearest_mode='${nm}'`, Object.keys(NEAREST).join(', '));
  // NOTE: roi, cubic_coeff_a, exclude_outside and extrapolation_value only act in modes refused above (cubic,
  // tf_crop_and_resize), so they are read by nothing, as the spec says
  const sizesIn = ins[3] && ins[3].size ? Array.from(ins[3].raw, (v) => Math.trunc(v)) : null;
  const scalesIn = ins[2] && ins[2].size ? Array.from(ins[2].raw) : null;
  if (!!sizesIn === !!scalesIn)
    throw new ValueError(`${where(c.node)}: exactly one of scales and sizes must be given`);
  const sizes = sizesIn ?? x.shape.map((d, i) => Math.floor(d * scalesIn![i]));
  const scales = scalesIn ?? sizes.map((s, i) => s / x.shape[i]);
  return resizeAll(x, sizes, scales, { mode, coord: COORDS[ct], nearest: NEAREST[nm] }, c);
}

/** DepthToSpace (DCR: depth is blocks × channels; CRD: channels × blocks) and its inverse SpaceToDepth. */
const blocksize = (c: OpContext): number => {
  if (!c.attrs.has('blocksize')) throw new ValueError(`${where(c.node)}: attribute blocksize is required`);
  return c.attrs.int('blocksize', 0);
};
function depthToSpace(x: Tensor, c: OpContext): Tensor {
  const bs = blocksize(c);
  const m = c.attrs.str('mode', 'DCR');
  if (m !== 'DCR' && m !== 'CRD') unsupported(c.node, `mode='${m}'`, "'DCR', 'CRD'");
  if (x.rank !== 4 || !(bs >= 1) || x.shape[1] % (bs * bs))
    throw new ShapeError(
      `${where(c.node)}: needs an NCHW input with channels divisible by blocksize² (${bs}²), got ${fmtShape(x.shape)}`,
    );
  const [b, ch, h, w] = x.shape;
  const co = ch / (bs * bs);
  const t =
    m === 'DCR'
      ? transpose(reshape(x, [b, bs, bs, co, h, w]), [0, 3, 4, 1, 5, 2])
      : transpose(reshape(x, [b, co, bs, bs, h, w]), [0, 1, 4, 2, 5, 3]);
  return reshape(t, [b, co, h * bs, w * bs]);
}
function spaceToDepth(x: Tensor, c: OpContext): Tensor {
  const bs = blocksize(c);
  if (x.rank !== 4 || !(bs >= 1) || x.shape[2] % bs || x.shape[3] % bs)
    throw new ShapeError(
      `${where(c.node)}: needs an NCHW input with H and W divisible by blocksize ${bs}, got ${fmtShape(x.shape)}`,
    );
  const [b, ch, h, w] = x.shape;
  const t = transpose(reshape(x, [b, ch, h / bs, bs, w / bs, bs]), [0, 3, 5, 1, 2, 4]);
  return reshape(t, [b, ch * bs * bs, h / bs, w / bs]);
}

export const resizeOps: Record<string, OpDef> = {
  Resize: {
    attrs: [
      'mode',
      'coordinate_transformation_mode',
      'nearest_mode',
      'cubic_coeff_a',
      'exclude_outside',
      'extrapolation_value',
    ],
    valueInputs: [1, 2, 3],
    since: 10,
    run: (ins, c) => {
      const ct = c.attrs.str('coordinate_transformation_mode', 'half_pixel');
      if (ct === 'tf_crop_and_resize')
        unsupported(
          c.node,
          "coordinate_transformation_mode='tf_crop_and_resize'",
          Object.keys(COORDS).join(', '),
        );
      return [resize(ins, c)];
    },
  },
  Upsample: {
    attrs: ['mode', 'scales'],
    valueInputs: [1],
    since: 7,
    run: (ins, c) => {
      const x = need(ins, 0, c.node, 'X');
      const scales = c.attrs.floats('scales') ?? Array.from(need(ins, 1, c.node, 'scales').raw);
      return [legacy(x, scales, c, true)];
    },
  },
  DepthToSpace: {
    attrs: ['blocksize', 'mode'],
    run: (ins, c) => [depthToSpace(need(ins, 0, c.node, 'input'), c)],
  },
  SpaceToDepth: { attrs: ['blocksize'], run: (ins, c) => [spaceToDepth(need(ins, 0, c.node, 'input'), c)] },
};
