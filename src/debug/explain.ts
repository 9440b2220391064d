// `tg.explain(layerOrOp, inputShape, {backward})`: the math of a conv / pool / dense layer or an LSTM step,
// with every shape taken from running the real op on zeros and recording it (so the text cannot drift).
import { fmtShape } from '../core/errors.js';
import { Tensor, zeros } from '../core/tensor.js';
import type { WindowGeom } from '../backend/kernels.js';
import type { Layer } from '../nn/layer.js';
import { Namer, backwardGroups, formatSteps, forwardSteps, type Step } from './explain-render.js';
import { type OpSpec, type Plan, planFor } from './explain-targets.js';
import { captureOps, type OpRecord, recordBackward, type BackwardRecord } from './record.js';

export interface ExplainOptions {
  /** Also run the backward pass and show the recorded vjps (default false). */
  backward?: boolean;
}

const n = (v: number): string => v.toLocaleString('en-US');
const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** Padding arithmetic along one spatial axis, from the geometry the op actually used. */
function axisLine(
  label: string,
  inSize: number,
  k: number,
  s: number,
  d: number,
  before: number,
  out: number,
  padding: string,
  given?: number,
): string {
  const eff = (k - 1) * d + 1;
  // the padding after as given (explicit padding), else the part the windows reach
  const after = given ?? Math.max((out - 1) * s + eff - inSize - before, 0);
  const effText = d === 1 ? `${k}` : `((${k}−1)·${d}+1 = ${eff})`;
  if (padding === 'same') {
    const total = before + after;
    const odd =
      total % 2 === 1
        ? `; odd total: the extra pixel goes at the ${label === 'H' ? 'bottom' : 'end (right)'} (TF/Keras rule)`
        : '';
    return `  ${label}: 'same' → out = ceil(${inSize} / ${s}) = ${out}; padding needed = max((${out}−1)·${s} + ${eff} − ${inSize}, 0) = ${total} → ${before} before, ${after} after${odd}`;
  }
  const used = (out - 1) * s + eff;
  const dropped = inSize + before + after - used;
  const inputs = Math.max(inSize + before - used, 0); // of them, real input positions
  const tail =
    dropped > 0
      ? inputs === dropped
        ? `; the last ${dropped} input position(s) are never covered (stride does not divide evenly)`
        : `; the last ${dropped} position(s) of the padded input${inputs ? ` (${inputs} of them input)` : ''} are never covered (stride does not divide evenly)`
      : '';
  const how =
    padding === 'valid'
      ? 'valid: no padding'
      : padding === 'causal'
        ? `causal: ${before} on the left`
        : before + after === 0
          ? 'no padding'
          : `${before} before, ${after} after`;
  return `  ${label}: out = floor((${inSize} + ${before} + ${after} − ${effText}) / ${s}) + 1 = ${out} (${how})${tail}`;
}

/** `i·s+u·d−p` with the trivial factors left out. */
const idx = (i: string, s: number, u: string, d: number, p: number): string =>
  `${i}${s > 1 ? `·${s}` : ''}+${u}${d > 1 ? `·${d}` : ''}${p ? `−${p}` : ''}`;

function geomOf(ops: OpRecord[], op: string): WindowGeom | null {
  const r = ops.find((o) => o.op === op);
  return r ? (r.params as { geom: WindowGeom }).geom : null;
}

/** ceilMode (PyTorch ceil_mode) along one axis: the output size rounds up, the given padding as it was given. */
function ceilLine(label: string, n: number, k: number, s: number, d: number, pb: number, pa: number): string {
  const eff = (k - 1) * d + 1;
  const effText = d === 1 ? `${k}` : `((${k}−1)·${d}+1 = ${eff})`;
  const up = Math.ceil((n + pb + pa - eff) / s) + 1;
  const drop = (up - 1) * s >= n + pb;
  const out = drop ? up - 1 : up;
  const fits = out === Math.floor((n + pb + pa - eff) / s) + 1;
  return `  ${label}: ceilMode → out = ceil((${n} + ${pb} + ${pa} − ${effText}) / ${s}) + 1 = ${up}${drop ? `, minus 1 (that last window would start past the input and its left padding) = ${out}` : ''}${fits ? ' (as floor would give: every window fits)' : '; the last window hangs past the end and reads only the cells it covers'}`;
}

/** The padding after an axis that the windows reach into (the given padding plus any ceilMode extra). */
const afterOf = (len: number, k: number, s: number, d: number, before: number, out: number): number =>
  Math.max((out - 1) * s + (k - 1) * d + 1 - len - before, 0);

/** [before, after] per axis ([H, W]) of the padding the caller gave ('same': as the op resolved it). */
function givenPads(padding: string, rank: 1 | 2, g: WindowGeom): number[][] {
  const resolved = () => [
    [g.padTop, afterOf(g.h, g.kh, g.strideH, g.dilationH, g.padTop, g.outH)],
    [g.padLeft, afterOf(g.w, g.kw, g.strideW, g.dilationW, g.padLeft, g.outW)],
  ];
  if (padding === 'valid')
    return [
      [0, 0],
      [0, 0],
    ];
  const v = /^[[\d]/.test(padding) ? (JSON.parse(padding) as unknown) : null;
  if (typeof v === 'number') return [rank === 2 ? [v, v] : [0, 0], [v, v]];
  if (!Array.isArray(v) || v.length !== 2) return resolved(); // 'same' (and anything else): as the op resolved it
  const [a, b] = v as (number | number[])[];
  return typeof a === 'number'
    ? [
        [a, a],
        [b as number, b as number],
      ]
    : [a, b as number[]];
}

/** Spatial axes of a window geometry (conv1d runs as 2-D with height 1: only W is shown). */
function sizeLines(g: WindowGeom, rank: 1 | 2, padding: string, ceil = false): string[] {
  const lines: string[] = [];
  const explicit = !['same', 'valid', 'causal'].includes(padding);
  const [ph, pw] = ceil || explicit ? givenPads(padding, rank, g) : [];
  if (rank === 2)
    lines.push(
      ceil
        ? ceilLine('H', g.h, g.kh, g.strideH, g.dilationH, ph[0], ph[1])
        : axisLine('H', g.h, g.kh, g.strideH, g.dilationH, g.padTop, g.outH, padding, ph?.[1]),
    );
  const label = rank === 2 ? 'W' : 'length';
  lines.push(
    ceil
      ? ceilLine(label, g.w, g.kw, g.strideW, g.dilationW, pw[0], pw[1])
      : axisLine(label, g.w, g.kw, g.strideW, g.dilationW, g.padLeft, g.outW, padding, pw?.[1]),
  );
  return lines;
}

/** What the padding of a conv holds, per PyTorch padding_mode. */
const PAD_MODE_TEXT: Record<string, string> = {
  zeros: 'Positions outside the input read 0 (zero padding).',
  reflect:
    "Positions outside the input read the input mirrored at its edge (paddingMode 'reflect', the edge not repeated).",
  replicate: "Positions outside the input read the nearest edge value (paddingMode 'replicate').",
  circular: "Positions outside the input wrap around to the other side (paddingMode 'circular').",
};

/** `Y[…] = act(Z[…])` for a layer's activation (softmax over the last axis), or nothing when it has none. */
function actLines(act: string | undefined, lhs: string): string[] {
  if (!act) return [];
  return act === 'softmax'
    ? [`  ${lhs} = softmax(Z) over the last axis   (the layer's activation)`]
    : [`  ${lhs} = ${act}(Z), elementwise   (the layer's activation)`];
}

function convSection(plan: Plan, ops: OpRecord[], y: Tensor): string[] {
  const c = plan.conv!;
  const rec = geomOf(ops, 'im2col')!;
  // NOTE: a non-zero paddingMode pads the input with slices and concats, then runs a valid conv: show the geometry
  // on the real input with the padding it got (PyTorch puts an odd pixel after, as samePads does).
  const tH = rec.h - (c.rank === 2 ? plan.inputShape[c.channelsFirst ? 2 : 1] : 1);
  const tW = rec.w - plan.inputShape[c.channelsFirst ? plan.inputShape.length - 1 : c.rank];
  const g =
    c.paddingMode === 'zeros'
      ? rec
      : { ...rec, h: rec.h - tH, w: rec.w - tW, padTop: Math.floor(tH / 2), padLeft: Math.floor(tW / 2) };
  const W = plan.params[0][0];
  const cg = c.inChannels / c.groups;
  const spatial = c.rank === 2 ? [g.kh, g.kw] : [g.kw];
  const fmt = c.rank === 2 ? (c.channelsFirst ? 'N,C,H,W' : 'N,H,W,C') : c.channelsFirst ? 'N,C,L' : 'N,L,C';
  const per = [...spatial, cg];
  const lines = [
    `${plan.title} on input ${fmtShape(plan.inputShape)} (${c.channelsFirst ? 'channels-first' : 'channels-last'}: ${fmt})`,
    `  ${c.filters} filters, each ${per.join('×')} (${spatial.join('·')} window × ${cg} input channel${cg > 1 ? 's' : ''}${c.groups > 1 ? ` of its group; groups=${c.groups}` : ': every filter spans all input channels'})`,
    `  kernel W ${fmtShape(W.shape)} (${c.layout})${c.useBias ? `, bias b [${c.filters}]` : ', no bias'}; output ${fmtShape(y.shape)}: one channel per filter (${c.filters}), not ${c.filters}×${c.inChannels}`,
    '',
    'Math (a cross-correlation, as in Keras, TF and PyTorch: the kernel is not flipped):',
  ];
  const [sh, sw, dh, dw] = [g.strideH, g.strideW, g.dilationH, g.dilationW];
  const cSum = c.groups > 1 ? `Σ_{c in the group of o (${cg} channels)}` : `Σ_{c<${cg}}`;
  const bias = c.useBias ? 'b[o] + ' : '';
  const lhs = (ix: string) => `${c.activation ? 'Z' : 'Y'}[n,${ix}]`;
  const cf = c.channelsFirst;
  const wIdx = (sp: string) => (c.layout.startsWith('O') ? `W[o,c,${sp}]` : `W[${sp},c,o]`);
  if (c.rank === 2) {
    const [hi, wi] = [idx('i', sh, 'u', dh, g.padTop), idx('j', sw, 'v', dw, g.padLeft)];
    const xi = cf ? `X[n, c, ${hi}, ${wi}]` : `X[n, ${hi}, ${wi}, c]`;
    lines.push(
      `  ${lhs(cf ? 'o,i,j' : 'i,j,o')} = ${bias}Σ_{u<${g.kh}} Σ_{v<${g.kw}} ${cSum} ${xi} · ${wIdx('u,v')}`,
    );
  } else {
    const ti = idx('t', sw, 'k', dw, g.padLeft);
    lines.push(
      `  ${lhs(cf ? 'o,t' : 't,o')} = ${bias}Σ_{k<${g.kw}} ${cSum} ${cf ? `X[n, c, ${ti}]` : `X[n, ${ti}, c]`} · ${wIdx('k')}`,
    );
  }
  lines.push(
    ...actLines(c.activation, 'Y'),
    `  The products over all ${cg} input channel${cg > 1 ? 's' : ''} are summed into ONE number per position and filter.`,
    ...(c.paddingMode === 'zeros'
      ? [`  ${PAD_MODE_TEXT.zeros} A true convolution (Theano's conv2d, scipy.signal.convolve) flips the`]
      : [
          `  ${PAD_MODE_TEXT[c.paddingMode] ?? `The padding holds paddingMode '${c.paddingMode}' values.`}`,
          "  A true convolution (Theano's conv2d, scipy.signal.convolve) flips the",
        ]),
    `  kernel: ${wIdx(c.rank === 2 ? `${g.kh - 1}−u,${g.kw - 1}−v` : `${g.kw - 1}−k`)}; convert kernels with tg.layouts.flipKernel.`,
    '',
    `Output size (padding ${c.padding}, stride ${c.rank === 2 ? `${sh}×${sw}` : sw}, dilation ${c.rank === 2 ? `${dh}×${dw}` : dw}):`,
    ...sizeLines(g, c.rank, c.padding),
    '',
    `Parameters: (${spatial.join('·')}·${cg}${c.useBias ? '+1' : ''})·${c.filters} = ${n((prod(per) + (c.useBias ? 1 : 0)) * c.filters)}   [(kernel window · input channels per group${c.useBias ? ' + 1 bias' : ''}) · filters]`,
  );
  return lines;
}

/** The matrix-form summary of a conv backward, read off the recorded vjps (groups = 1). */
function convMatrixForm(ops: OpRecord[], bwd: BackwardRecord, names: Namer, plan: Plan): string[] {
  const col = ops.find((o) => o.op === 'im2col');
  const mm = col && ops.find((o) => o.op === 'matmul' && o.inputs[0] === col.output);
  if (!col || !mm) return [];
  const v = bwd.vjps.get(mm.index);
  const c2i = bwd.ops.find((o) => o.vjpOf === col.index && o.op === 'col2im');
  if (!v || !c2i) return [];
  const [dCols, dWmat] = v.gradIns;
  const dy = v.gradOut;
  const W = plan.params[0][0];
  const X = plan.inputShape;
  const lines = [
    '',
    'In matrix form (the same recorded vjps):',
    `  dY as a matrix: ${names.get(dy)} ${fmtShape(dy.shape)} (rows N·OH·OW, one column per filter)`,
  ];
  if (dWmat)
    lines.push(
      `  dW = colsᵀ · dY     ${fmtShape([col.output.shape[1], col.output.shape[0]])} · ${fmtShape(dy.shape)} → ${fmtShape(dWmat.shape)}, reshaped to W's ${fmtShape(W.shape)}`,
    );
  if (dCols)
    lines.push(
      `  dX = col2im(dY · Wᵀ)  ${fmtShape(dy.shape)} · ${fmtShape([mm.inputs[1].shape[1], mm.inputs[1].shape[0]])} → ${fmtShape(dCols.shape)} → col2im → ${fmtShape(c2i.output.shape)}${fmtShape(c2i.output.shape) !== fmtShape(X) ? ` → ${fmtShape(X)}` : ''}`,
    );
  const bias = plan.params.find(([, s]) => s === 'b');
  if (bias) lines.push(`  db = Σ dY over its ${n(dy.shape[0])} rows → ${fmtShape(bias[0].shape)}`);
  lines.push(
    '  col2im adds every patch gradient back to the input positions it was read from, so each input value collects',
    '  Σ over every filter o and every window that covered it. That is a "full" convolution of dY with the kernel rotated',
    '  180° and its in/out channels swapped: each of the C input-channel slices of dX sums over all output channels.',
  );
  return lines;
}

/** How an average pool divides, worded from its options: [math divisor, one line of text]. */
function avgDivisor(
  p: Plan['pool'] & object,
  g: WindowGeom,
  padded: boolean,
  hangs: boolean,
): [string, string] {
  const count = `${g.kh * g.kw}`;
  if (p.divisorOverride !== null)
    return [
      ` / ${p.divisorOverride}`,
      `  Every window sum is divided by divisorOverride = ${p.divisorOverride}, whatever the window covers; backward: every input of a window receives dY / ${p.divisorOverride}.`,
    ];
  const who =
    p.source === 'keras'
      ? 'Keras'
      : p.source === 'torch'
        ? `countIncludePad ${p.countIncludePad}${p.countIncludePad ? ", tg.nn.AvgPool2d's default as in PyTorch" : ''}`
        : `countIncludePad ${p.countIncludePad}`;
  const extra = hangs ? ', not the cells ceilMode lets a last window hang past it' : '';
  if (!padded && hangs)
    return [
      ' / count[i,j]',
      `  No padding; a last window that ceilMode lets hang past the input averages the cells it covers: count[i,j] = the window's cells inside the input; backward: every input of a window receives dY / count[i,j].`,
    ];
  if (!padded)
    return [
      ` / ${count}`,
      `  No padding: every window holds ${count} inputs; backward: every input of a window receives dY / ${count}.`,
    ];
  if (p.countIncludePad && padded)
    return [
      ' / count[i,j]',
      `  Padded positions count as zeros (${who}): count[i,j] = the window's cells inside the input or its padding${extra}; backward: every input of a window receives dY / count[i,j].`,
    ];
  return [
    ' / count[i,j]',
    `  Padded positions are not counted (${who}): count[i,j] = the window's cells inside the input; backward: every input of a window receives dY / count[i,j].`,
  ];
}

function poolSection(plan: Plan, ops: OpRecord[], y: Tensor): string[] {
  const p = plan.pool!;
  const g = geomOf(ops, p.kind === 'max' ? 'poolArgmax' : 'im2col')!;
  const win = p.rank === 2 ? `${g.kh}×${g.kw}` : `${g.kw}`;
  const lines = [
    `${plan.title} on input ${fmtShape(plan.inputShape)} (${p.channelsFirst ? 'channels-first' : 'channels-last'}); output ${fmtShape(y.shape)}`,
    '',
    'Math (each channel separately: pooling never mixes channels, so the channel count is unchanged):',
  ];
  const given = givenPads(p.padding, p.rank, g);
  const padded = given.flat().some((v) => v > 0);
  const hangs =
    p.ceilMode &&
    (afterOf(g.h, g.kh, g.strideH, g.dilationH, g.padTop, g.outH) > given[0][1] ||
      afterOf(g.w, g.kw, g.strideW, g.dilationW, g.padLeft, g.outW) > given[1][1]);
  const [div, text] =
    p.kind === 'max'
      ? [
          '',
          '  Padded positions never win. Backward: each window sends its gradient to its winning input only (the argmax); the rest get 0.',
        ]
      : avgDivisor(p, g, padded, hangs);
  const op = p.kind === 'max' ? 'max' : 'Σ';
  const [hi, wi] = [
    idx('i', g.strideH, 'u', g.dilationH, g.padTop),
    idx(p.rank === 2 ? 'j' : 't', g.strideW, p.rank === 2 ? 'v' : 'k', g.dilationW, g.padLeft),
  ];
  const [open, close] = p.kind === 'max' ? ['', ''] : ['(', `)${div}`];
  if (p.rank === 2)
    lines.push(
      `  Y[n,${p.channelsFirst ? 'c,i,j' : 'i,j,c'}] = ${open}${op}_{u<${g.kh}, v<${g.kw}} X[n, ${p.channelsFirst ? `c, ${hi}, ${wi}` : `${hi}, ${wi}, c`}]${close}`,
    );
  else
    lines.push(
      `  Y[n,${p.channelsFirst ? 'c,t' : 't,c'}] = ${open}${op}_{k<${g.kw}} X[n, ${p.channelsFirst ? `c, ${wi}` : `${wi}, c`}]${close}`,
    );
  lines.push(
    text,
    '',
    `Output size (window ${win}, stride ${p.rank === 2 ? `${g.strideH}×${g.strideW}` : g.strideW}, padding ${p.padding}${p.ceilMode ? ', ceilMode' : ''}):`,
    ...sizeLines(g, p.rank, p.padding, p.ceilMode),
    '',
    'Parameters: none (0)',
  );
  return lines;
}

function denseSection(plan: Plan, y: Tensor): string[] {
  const d = plan.dense!;
  const W = plan.params[0][0];
  const Y = d.activation ? 'Z' : 'Y';
  return [
    `${plan.title} on input ${fmtShape(plan.inputShape)}; output ${fmtShape(y.shape)}`,
    '',
    'Math:',
    d.transposed
      ? `  ${Y}[n,o] = ${d.useBias ? 'b[o] + ' : ''}Σ_{i<${d.inFeatures}} X[n,i] · W[o,i]   (PyTorch layout: W is [out, in] = ${fmtShape(W.shape)}, Y = X·Wᵀ)`
      : `  ${Y}[n,o] = ${d.useBias ? 'b[o] + ' : ''}Σ_{i<${d.inFeatures}} X[n,i] · W[i,o]   (Keras layout: W is [in, out] = ${fmtShape(W.shape)}; PyTorch's Linear stores Wᵀ)`,
    ...actLines(d.activation, 'Y'),
    '',
    `Parameters: (${n(d.inFeatures)}${d.useBias ? '+1' : ''})·${n(d.units)} = ${n((d.inFeatures + (d.useBias ? 1 : 0)) * d.units)}`,
  ];
}

function denseMatrixForm(ops: OpRecord[], bwd: BackwardRecord, plan: Plan): string[] {
  const mm = ops.find((o) => o.op === 'matmul');
  const v = mm && bwd.vjps.get(mm.index);
  if (!mm || !v) return [];
  const [dX, dW] = v.gradIns;
  const dy = v.gradOut;
  const t = plan.dense!.transposed;
  const lines = ['', 'In matrix form (the same recorded vjps):'];
  if (dW)
    lines.push(
      t
        ? `  dW = dYᵀ · X   ${fmtShape([dy.shape[1], dy.shape[0]])} · ${fmtShape(mm.inputs[0].shape)} → ${fmtShape(dW.shape)}`
        : `  dW = Xᵀ · dY   ${fmtShape([mm.inputs[0].shape[1], mm.inputs[0].shape[0]])} · ${fmtShape(dy.shape)} → ${fmtShape(dW.shape)}`,
    );
  if (dX)
    lines.push(
      `  dX = dY · ${t ? 'W' : 'Wᵀ'}   ${fmtShape(dy.shape)} · ${fmtShape(t ? mm.inputs[1].shape : [mm.inputs[1].shape[1], mm.inputs[1].shape[0]])} → ${fmtShape(dX.shape)}`,
    );
  if (plan.dense!.useBias) lines.push(`  db = Σ_n dY   ${fmtShape(dy.shape)} → [${plan.dense!.units}]`);
  return lines;
}

function lstmSection(plan: Plan, y: Tensor): string[] {
  const { inFeatures: i, units: u, useBias, activation: act, recurrentActivation: rec } = plan.lstm!;
  const layer = plan.title.includes('(Keras layer)');
  return [
    `${plan.title}: x ${fmtShape(plan.inputShape)}, h and c [${plan.inputShape[0]},${u}] → h' ${fmtShape(y.shape)}` +
      (plan.inputShape.length === 3 ? ' (a one-step sequence; h and c start at zero)' : ''),
    '',
    `Math (one time step; a sequence repeats it with the same W, U${useBias ? ', b' : ''}):`,
    useBias
      ? `  z = x·W + h·U + b                    W [${i},${4 * u}], U [${u},${4 * u}], b [${4 * u}] → z [N,${4 * u}], four blocks of ${u}`
      : `  z = x·W + h·U                        W [${i},${4 * u}], U [${u},${4 * u}], no bias (useBias false) → z [N,${4 * u}], four blocks of ${u}`,
    `  i = σ(z[:, 0:u])   f = σ(z[:, u:2u])   g = ${act}(z[:, 2u:3u])   o = σ(z[:, 3u:4u])    (Keras order i, f, c, o; PyTorch: i, f, g, o)`,
    `  c' = f⊙c + i⊙g      h' = o⊙${act}(c')`,
    layer
      ? `  σ is the layer's recurrentActivation, ${rec}; ${act} is its activation.`
      : `  σ is the recurrent activation, ${rec} here (Keras 3, PyTorch; the Keras 2 default was hard_sigmoid).`,
    '',
    useBias
      ? `Parameters: 4·${u}·(${i} + ${u} + 1) = ${n(4 * u * (i + u + 1))}   [4 gates · units · (inputs + units + bias)]`
      : `Parameters: 4·${u}·(${i} + ${u}) = ${n(4 * u * (i + u))}   [4 gates · units · (inputs + units); no bias]`,
  ];
}

/** Gate names for the recorded LSTM step: z, its four slices and the gate activations, c'. */
function lstmNames(ops: OpRecord[], u: number): [Tensor, string][] {
  const out: [Tensor, string][] = [];
  const gates = ['i', 'f', 'g', 'o'];
  for (const r of ops) {
    if (r.op !== 'slice' || r.inputs[0].rank !== 2 || r.inputs[0].shape[1] !== 4 * u) continue;
    const k = Math.round((r.params as { begin: number[] }).begin[1] / u);
    if (!out.some(([t]) => t === r.inputs[0])) out.push([r.inputs[0], 'z']);
    out.push([r.output, `z_${gates[k]}`]);
    const act = ops.find((o) => (o.op === 'sigmoid' || o.op === 'tanh') && o.inputs[0] === r.output);
    if (act) out.push([act.output, gates[k]]);
  }
  const last = ops[ops.length - 1];
  const cNew = last && ops.find((o) => o.op === 'tanh' && o.output === last.inputs[1])?.inputs[0];
  if (cNew) out.push([cNew, "c'"]);
  return out;
}

/**
 * Explain a conv (1-D/2-D), pooling, dense layer or an LSTM step: the formula, output-size and padding
 * arithmetic, the parameter count, and the forward (and with `{backward: true}` the backward) as the
 * primitives that really ran on zeros of `inputShape` (batch first; a shape without batch gets batch 1).
 */
export function explain(
  target: Layer | OpSpec,
  inputShape: readonly number[],
  opts: ExplainOptions = {},
): string {
  const plan = planFor(target, inputShape);
  const x = zeros(plan.inputShape, { requiresGrad: true });
  const { result: y, ops } = captureOps(() => plan.run(x));
  const names = new Namer([
    [x, 'X'],
    ...plan.params,
    ...(plan.kind === 'lstm' ? lstmNames(ops, plan.lstm!.units) : []),
  ]);
  const lines =
    plan.kind === 'conv'
      ? convSection(plan, ops, y)
      : plan.kind === 'pool'
        ? poolSection(plan, ops, y)
        : plan.kind === 'dense'
          ? denseSection(plan, y)
          : lstmSection(plan, y);
  const fwd = forwardSteps(ops, names, plan.kind === 'lstm' ? "h'" : 'Y', y);
  const im = ops.find((o) => o.op === 'im2col');
  if (plan.kind === 'conv' && im) {
    const g = (im.params as { geom: WindowGeom }).geom;
    const k = fwd[im.index - ops[0].index];
    k.note = `rows N·OH·OW = ${g.n}·${g.outH}·${g.outW} = ${n(im.output.shape[0])}; columns kh·kw·C = ${g.kh}·${g.kw}·${g.c} = ${n(im.output.shape[1])}`;
  }
  lines.push('', `Forward, as the ${ops.length} primitives that ran:`, ...formatSteps(fwd));
  if (opts.backward) {
    const bwd = recordBackward(y, ops);
    names.set(
      bwd.vjps.get(ops.findIndex((o) => o.output === y))?.gradOut ?? zeros([]),
      plan.kind === 'lstm' ? "dh'" : 'dY',
    );
    const { groups, accumulations } = backwardGroups(ops, bwd, names);
    lines.push(
      '',
      `Backward, the recorded vjps in the order the walker ran them (seed ${plan.kind === 'lstm' ? "dh'" : 'dY'} = ones ${fmtShape(y.shape)}):`,
    );
    for (const g of groups) {
      const f = g.forward;
      lines.push(
        `  vjp of ${names.get(f.output)} = ${f.op}(${f.inputs.map((t) => names.get(t)).join(', ')}), given ${g.gradOut}:`,
      );
      const steps: Step[] = g.steps;
      if (steps.length) lines.push(...formatSteps(steps, '    '));
      for (const p of g.passes) lines.push(`    ${p}`);
      if (!steps.length && !g.passes.length) lines.push('    (no gradient: a piecewise-constant op)');
    }
    if (accumulations.length)
      lines.push(
        '  accumulating gradients of tensors used more than once:',
        ...formatSteps(accumulations, '    '),
      );
    const leaves = [...plan.params, [x, 'X'] as [Tensor, string]].filter(([t]) => bwd.grads.has(t));
    lines.push(
      '  gradients reaching the inputs and parameters:',
      ...leaves.map(([t, s]) => `    d${s} ${fmtShape(bwd.grads.get(t)!.shape)} (= ${s}'s shape)`),
    );
    if (plan.kind === 'conv' && plan.conv!.groups === 1) lines.push(...convMatrixForm(ops, bwd, names, plan));
    if (plan.kind === 'dense') lines.push(...denseMatrixForm(ops, bwd, plan));
  }
  return lines.join('\n');
}
