// The window families of the differential programs (diff-steps.ts): conv2d (grouped, dilated, strided, padded
// every way, NCHW, padding modes, fused relu, depthwise), conv1d and 1-D pools, convTranspose2d, and 2-D pools
// (max with and without indices, average with ceilMode, countIncludePad, divisorOverride; global pools).
import * as tg from '../../src/index.js';
import { type Builder, fmt } from './diff-programs.js';

type Family = (b: Builder) => void;

/** Whether a [n, h, w, c] (or NCHW) value fits a window of effective size ekh × ekw (now and then: never mind). */
const fits = (b: Builder, nchw: boolean, ekh: number, ekw: number) => (s: number[]) =>
  b.rng.chance(0.05) || (s[nchw ? 2 : 1] >= ekh && s[nchw ? 3 : 2] >= ekw);

export const conv: Family = (b) => {
  const r = b.rng;
  const nchw = r.chance(0.3);
  const groups = r.chance(0.3) ? r.int(2, 3) : 1;
  const kmax = b.maxDim > 6 ? 5 : 3;
  const [kh, kw] = [r.int(1, kmax), r.int(1, kmax)];
  const dilation: [number, number] = r.chance(0.7) ? [1, 1] : [r.int(1, 2), r.int(1, 2)];
  const [ekh, ekw] = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
  const [hw, cpg] = [b.maxDim + 2, Math.ceil(b.maxDim / 1.5)];
  const x = b.pickRank(
    4,
    () => {
      const [n, h, w, c] = [b.dim(1, 2), r.int(ekh, ekh + hw), r.int(ekw, ekw + hw), groups * b.dim(1, cpg)];
      return nchw ? [n, c, h, w] : [n, h, w, c];
    },
    (s) => s[nchw ? 1 : 3] % groups === 0 && fits(b, nchw, ekh, ekw)(s),
  );
  const cin = b.vals[x].shape[nchw ? 1 : 3];
  const o = groups * b.dim(1, cpg);
  const w = b.leaf(nchw ? [o, cin / groups, kh, kw] : [kh, kw, cin / groups, o]);
  const bias = r.chance(0.5) ? b.leaf([o]) : null;
  const opts: tg.Conv2dOptions = {
    stride: r.chance(0.5) ? r.int(1, 3) : [r.int(1, 3), r.int(1, 3)],
    ...(dilation.join() !== '1,1' && { dilation }),
    padding: r.pick<tg.Padding2d>([
      'same',
      'valid',
      r.int(0, 2),
      [r.int(0, 2), r.int(0, 2)],
      [
        [r.int(0, 2), r.int(0, 2)],
        [r.int(0, 2), r.int(0, 2)],
      ],
    ]),
    ...(groups > 1 && { groups }),
    ...(nchw && { dataFormat: 'NCHW' }),
    ...(r.chance(0.1) && { paddingMode: r.pick(['reflect', 'replicate', 'circular'] as const) }),
  };
  const args = bias === null ? [x, w] : [x, w, bias];
  if (groups === 1 && !nchw && !opts.paddingMode && r.chance(0.2)) {
    // TF.js tf.fused.conv2d: relu in the conv kernel's epilogue
    const fo = {
      strides: opts.stride!,
      dilations: dilation,
      pad: typeof opts.padding === 'object' ? 'valid' : opts.padding!,
      activation: 'relu' as const,
    };
    b.op(`tg.fused.conv2d({ x: x0, filter: x1, bias: x2 ?? null, ...${fmt(fo)} })`, args, (p, q, c) =>
      tg.fused.conv2d({ x: p, filter: q, bias: c ?? null, ...fo }),
    );
  } else if (groups === 1 && !nchw && r.chance(0.15)) {
    const dw = b.leaf([kh, kw, cin, r.int(1, 2)]);
    const { groups: _, ...o2 } = opts;
    b.op(`tg.depthwiseConv2d(x0, x1, null, ${fmt(o2)})`, [x, dw], (p, q) =>
      tg.depthwiseConv2d(p, q, null, o2),
    );
  } else
    b.op(`tg.conv2d(x0, x1, ${bias === null ? 'null' : 'x2'}, ${fmt(opts)})`, args, (p, q, c) =>
      tg.conv2d(p, q, c ?? null, opts),
    );
};

export const conv1d: Family = (b) => {
  const r = b.rng;
  const ncw = r.chance(0.3);
  const [n, l, c, o, k] = [r.int(1, 2), r.int(1, b.maxDim + 3), r.int(1, 4), r.int(1, 4), r.int(1, 3)];
  const x = b.leaf(ncw ? [n, c, l] : [n, l, c]);
  const w = b.leaf(ncw ? [o, c, k] : [k, c, o]);
  const opts: tg.Conv1dOptions = {
    stride: r.int(1, 2),
    dilation: r.int(1, 2),
    padding: r.pick(['same', 'valid', 'causal', r.int(0, 2)] as const),
    ...(ncw && { dataFormat: 'NCW' }),
  };
  if (r.chance(0.7))
    b.op(`tg.conv1d(x0, x1, null, ${fmt(opts)})`, [x, w], (p, q) => tg.conv1d(p, q, null, opts));
  else {
    const po = {
      kernelSize: k,
      stride: opts.stride,
      padding: r.pick(['valid', 'same'] as const),
      ...(ncw && { dataFormat: 'NCW' }),
    };
    const [name, f] = r.pick([
      ['tg.maxPool1d', tg.maxPool1d],
      ['tg.avgPool1d', tg.avgPool1d],
    ] as const);
    b.op(`${name}(x0, ${fmt(po)})`, [x], (t) => f(t, po));
  }
};

export const convTranspose: Family = (b) => {
  const r = b.rng;
  const groups = r.chance(0.3) ? 2 : 1;
  const x = b.leaf([r.int(1, 2), groups * r.int(1, 2), r.int(1, 4), r.int(1, 4)]);
  const cin = b.vals[x].shape[1];
  const [kh, kw] = [r.int(1, 3), r.int(1, 3)];
  const w = b.leaf([cin, r.int(1, 2), kh, kw]);
  const stride = r.int(1, 2);
  const padding = r.int(0, Math.min(kh, kw) - 1);
  const opts = { stride, padding, outputPadding: r.int(0, stride - 1), groups };
  b.op(`tg.convTranspose2d(x0, x1, null, ${fmt(opts)})`, [x, w], (p, q) =>
    tg.convTranspose2d(p, q, null, opts),
  );
};

export const pool: Family = (b) => {
  const r = b.rng;
  const nchw = r.chance(0.3);
  const hw = b.maxDim + 2;
  const k: [number, number] = [r.int(1, 3), r.int(1, 3)];
  const dilation: [number, number] = r.chance(0.2) ? [r.int(1, 2), r.int(1, 2)] : [1, 1];
  const [ekh, ekw] = [(k[0] - 1) * dilation[0] + 1, (k[1] - 1) * dilation[1] + 1];
  const x = b.pickRank(
    4,
    () => {
      const [n, h, w, c] = [b.dim(1, 2), r.int(ekh, ekh + hw), r.int(ekw, ekw + hw), b.dim(1, b.maxDim)];
      return nchw ? [n, c, h, w] : [n, h, w, c];
    },
    fits(b, nchw, ekh, ekw),
  );
  if (r.chance(0.15)) {
    const keepdims = r.chance(0.5);
    const [name, f] = r.pick([
      ['tg.globalAvgPool', tg.globalAvgPool],
      ['tg.globalMaxPool', tg.globalMaxPool],
    ] as const);
    const o = { keepdims, ...(nchw && { dataFormat: 'NCHW' }) };
    b.op(`${name}(x0, ${fmt(o)})`, [x], (t) => f(t, o));
    return;
  }
  // NOTE: explicit padding at most half the window (PyTorch's rule; more would leave windows of padding only)
  const ph = r.int(0, k[0] >> 1);
  const pw = r.int(0, k[1] >> 1);
  const opts: tg.AvgPool2dOptions = {
    kernelSize: k[0] === k[1] && r.chance(0.5) ? k[0] : k,
    ...(r.chance(0.7) && { stride: r.chance(0.5) ? r.int(1, 3) : [r.int(1, 3), r.int(1, 3)] }),
    padding: r.pick<tg.Padding2d>(['valid', 'same', ph === pw ? ph : [ph, pw], [ph, pw]]),
    ...(nchw && { dataFormat: 'NCHW' }),
  };
  if (opts.padding !== 'same' && r.chance(0.3)) opts.ceilMode = true;
  if (r.chance(0.5)) {
    if (dilation.join() !== '1,1') opts.dilation = dilation;
    if (r.chance(0.3)) {
      const o = opts;
      b.op(`tg.maxPool2dWithIndices(x0, ${fmt(o)}).values`, [x], (t) => tg.maxPool2dWithIndices(t, o).values);
    } else b.op(`tg.maxPool2d(x0, ${fmt(opts)})`, [x], (t) => tg.maxPool2d(t, opts));
  } else {
    if (r.chance(0.3)) opts.countIncludePad = true;
    if (r.chance(0.1)) opts.divisorOverride = r.pick([3, -2]);
    b.op(`tg.avgPool2d(x0, ${fmt(opts)})`, [x], (t) => tg.avgPool2d(t, opts));
  }
};
