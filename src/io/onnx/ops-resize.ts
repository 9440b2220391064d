// ONNX resampling and space/depth rearrangement: Resize, the older Upsample, DepthToSpace and SpaceToDepth.
// Resizing is separable: each axis whose length or scale changes is one gather (nearest) or two gathers blended with
// per-position weights (linear); cubic, antialiased and tf_crop_and_resize axes are one matmul with an [out, in]
// interpolation matrix (resize-axis.ts). Gradients flow back through tapegrad's gather and matmul.
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { add, cast, greater, mul, where as select } from '../../ops/elementwise/builders.js';
import { gather } from '../../ops/network/builders.js';
import { reshape, transpose } from '../../ops/movement/builders.js';
import { depthToSpaceNchw } from '../../ops/composite/space-batch.js';
import { type OpContext, type OpDef, need, unsupported, where } from './op-types.js';
import {
  COORDS,
  type Coord,
  EXTRA_COORDS,
  NEAREST,
  type ResizePlan,
  applyAxis,
  axisMatrix,
  exact,
} from './resize-axis.js';

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

const modeOf = (c: OpContext, modes: string[]): 'nearest' | 'linear' | 'cubic' => {
  const m = c.attrs.str('mode', 'nearest');
  if (!modes.includes(m)) unsupported(c.node, `mode='${m}'`, modes.map((v) => `'${v}'`).join(', '));
  return m as 'nearest' | 'linear' | 'cubic';
};

/** Upsample (opset 7, 9) and Resize-10: asymmetric coordinates, nearest rounds down, sizes ⌊dim·scale⌋. */
function legacy(x: Tensor, scales: number[], c: OpContext, upsampleOnly: boolean): Tensor {
  const mode = modeOf(c, ['nearest', 'linear']) as 'nearest' | 'linear';
  if (mode === 'nearest' && scales.some((s) => s < 1))
    unsupported(
      c.node,
      `nearest downsampling (scales [${scales}]) ${upsampleOnly ? 'in Upsample' : 'with Resize before opset 11'}`,
      'scales ≥ 1 (runtimes round downsampled positions differently); use Resize opset ≥ 11',
    );
  const sizes = x.shape.map((d, i) => Math.floor(d * scales[i]));
  return resizeAll(x, sizes, scales, { mode, coord: COORDS.asymmetric, nearest: NEAREST.floor }, c);
}

/** Attributes of later opsets, refused by name before them (a runtime of that opset would ignore them). */
const SINCE: [string, number][] = [
  ['coordinate_transformation_mode', 11],
  ['nearest_mode', 11],
  ['cubic_coeff_a', 11],
  ['exclude_outside', 11],
  ['extrapolation_value', 11],
  ['antialias', 18],
  ['axes', 18],
  ['keep_aspect_ratio_policy', 18],
];

/** A 0/1 attribute, checked. */
const flag = (c: OpContext, name: string): boolean => {
  const v = c.attrs.int(name, 0);
  if (v !== 0 && v !== 1) throw new ValueError(`${where(c.node)}: ${name} must be 0 or 1, got ${v}`);
  return v === 1;
};

/** The resized axes (attribute axes, opset ≥ 18, else all), non-negative, checked. */
function axesOf(x: Tensor, c: OpContext): number[] {
  const given = c.attrs.ints('axes');
  if (!given) return x.shape.map((_, i) => i);
  const axes = given.map((a) => (a < 0 ? a + x.rank : a));
  if (axes.some((a) => !(a >= 0 && a < x.rank)) || new Set(axes).size !== axes.length)
    throw new ValueError(
      `${where(c.node)}: axes [${given}] must be distinct axes of the rank-${x.rank} input ${fmtShape(x.shape)}`,
    );
  return axes;
}

/**
 * Output sizes and coordinate scales of every axis from scales or sizes (given for `axes` only; the others keep
 * their length and scale 1), with keep_aspect_ratio_policy for sizes: not_larger / not_smaller resize every listed
 * axis by the smallest / largest of the size ratios, the length rounded to the nearest whole number.
 */
function sizesAndScales(
  x: Tensor,
  ins: (Tensor | null)[],
  axes: number[],
  c: OpContext,
): [number[], number[]] {
  const sizesIn = ins[3] && ins[3].size ? Array.from(ins[3].raw, (v) => Math.trunc(v)) : null;
  const scalesIn = ins[2] && ins[2].size ? Array.from(ins[2].raw) : null;
  if (!!sizesIn === !!scalesIn)
    throw new ValueError(`${where(c.node)}: exactly one of scales and sizes must be given`);
  const given = (sizesIn ?? scalesIn)!;
  if (given.length !== axes.length)
    throw new ShapeError(
      `${where(c.node)}: ${sizesIn ? 'sizes' : 'scales'} needs ${axes.length} values for input ${fmtShape(x.shape)}${c.attrs.has('axes') ? ` and axes [${axes}]` : ''}, got [${given}]`,
    );
  const policy = c.attrs.str('keep_aspect_ratio_policy', 'stretch');
  const policies = ['stretch', 'not_larger', 'not_smaller'];
  if (!policies.includes(policy))
    unsupported(c.node, `keep_aspect_ratio_policy='${policy}'`, policies.join(', '));
  const sizes = [...x.shape];
  const scales = x.shape.map(() => 1);
  axes.forEach((a, i) => {
    if (scalesIn) [sizes[a], scales[a]] = [Math.floor(x.shape[a] * scalesIn[i]), scalesIn[i]];
    else [sizes[a], scales[a]] = [sizesIn![i], sizesIn![i] / x.shape[a]];
  });
  if (sizesIn && policy !== 'stretch') {
    const ratios = axes.map((a) => scales[a]);
    const r = policy === 'not_larger' ? Math.min(...ratios) : Math.max(...ratios);
    for (const a of axes) [sizes[a], scales[a]] = [Math.round(r * x.shape[a]), r];
  }
  return [sizes, scales];
}

/** The roi of every axis as [start, end] (tf_crop_and_resize; [0, 1], the whole axis, elsewhere). */
function roisOf(x: Tensor, roi: Tensor | null, axes: number[], ct: string, c: OpContext): [number, number][] {
  const rois = x.shape.map((): [number, number] => [0, 1]);
  if (ct !== 'tf_crop_and_resize') return rois; // roi is read only by tf_crop_and_resize (the spec)
  const v = roi ? Array.from(roi.raw) : [];
  if (v.length !== 2 * axes.length)
    throw new ValueError(
      `${where(c.node)}: tf_crop_and_resize needs roi of ${2 * axes.length} values (starts, then ends), got [${v}]`,
    );
  axes.forEach((a, i) => (rois[a] = [v[i], v[i + axes.length]]));
  return rois;
}

function resize(ins: (Tensor | null)[], c: OpContext): Tensor {
  const x = need(ins, 0, c.node, 'X');
  for (const [a, since] of SINCE)
    if (c.opset < since && c.attrs.has(a))
      unsupported(c.node, `attribute '${a}' at opset ${c.opset} (it was added in opset ${since})`, 'mode');
  if (c.opset < 11) return legacy(x, Array.from(need(ins, 1, c.node, 'scales').raw), c, false);
  const mode = modeOf(c, ['nearest', 'linear', 'cubic']);
  const ct = c.attrs.str('coordinate_transformation_mode', 'half_pixel');
  const cts = [...Object.keys(COORDS), ...EXTRA_COORDS];
  if (!cts.includes(ct) || (ct === 'half_pixel_symmetric' && c.opset < 19))
    unsupported(c.node, `coordinate_transformation_mode='${ct}' at opset ${c.opset}`, cts.join(', '));
  const nm = c.attrs.str('nearest_mode', 'round_prefer_floor');
  if (!Object.prototype.hasOwnProperty.call(NEAREST, nm))
    unsupported(c.node, `nearest_mode='${nm}'`, Object.keys(NEAREST).join(', '));
  // NOTE: cubic_coeff_a acts in cubic mode only, exclude_outside in linear and cubic (as ONNX's reference and ONNX
  // Runtime; in plain linear it changes nothing: the edge-repeated neighbour and the renormalised one agree),
  // extrapolation_value in tf_crop_and_resize only, antialias in linear and cubic downsampling only: elsewhere they
  // are read by nothing, as the spec says
  const plan: ResizePlan = {
    mode,
    ct,
    nearest: NEAREST[nm],
    cubicA: c.attrs.float('cubic_coeff_a', -0.75),
    excludeOutside: mode !== 'nearest' && flag(c, 'exclude_outside'),
    antialias: mode !== 'nearest' && flag(c, 'antialias'),
    extrapolation: c.attrs.float('extrapolation_value', 0),
  };
  const axes = axesOf(x, c);
  const [sizes, scales] = sizesAndScales(x, ins, axes, c);
  const rois = roisOf(x, ins[1], axes, ct, c);
  const byMatrix =
    mode === 'cubic' || EXTRA_COORDS.includes(ct) || (plan.antialias && scales.some((v) => v < 1));
  if (!byMatrix) return resizeAll(x, sizes, scales, { mode, coord: COORDS[ct], nearest: NEAREST[nm] }, c);
  if (x.dtype === 'int32' && (mode !== 'nearest' || ct === 'tf_crop_and_resize'))
    unsupported(c.node, `mode='${mode}' (${ct}) on an integer input`, 'float inputs');
  let y = x;
  const kept: Tensor[] = [];
  for (const a of axes) {
    if (!(sizes[a] >= 0) || !(scales[a] > 0))
      throw new ValueError(`${where(c.node)}: axis ${a} has size ${sizes[a]} and scale ${scales[a]}`);
    const crop = ct === 'tf_crop_and_resize' && (rois[a][0] !== 0 || rois[a][1] !== 1);
    // NOTE: an axis kept at its length with scale 1 (and the whole roi) is not resampled, as in resizeAll
    if (sizes[a] === x.shape[a] && scales[a] === 1 && !crop) continue;
    const { w, outside } = axisMatrix(plan, x.shape[a], sizes[a], scales[a], rois[a]);
    y = applyAxis(y, a, w, sizes[a]);
    if (outside.some(Boolean)) {
      const inside = Float64Array.from(outside, (o) => (o ? 0 : 1));
      kept.push(
        new Tensor(
          inside,
          x.shape.map((_, i) => (i === a ? sizes[a] : 1)),
        ),
      );
    }
  }
  // outputs outside the crop on any axis are extrapolation_value (their interpolation rows are zero)
  if (!kept.length) return y;
  const inside = kept.reduce((m, k) => mul(m, k));
  return select(greater(inside, 0.5), y, cast(new Tensor(Float64Array.of(plan.extrapolation), []), y.dtype));
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
  return depthToSpaceNchw(x, bs, m, where(c.node));
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
      'antialias',
      'axes',
      'keep_aspect_ratio_policy',
    ],
    valueInputs: [1, 2, 3],
    since: 10,
    run: (ins, c) => [resize(ins, c)],
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
