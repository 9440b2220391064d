// conv2d / conv1d / depthwiseConv2d and the pools against naive nested loops (test/support/naive-conv.ts),
// their gradients by gradcheck in float64, and float32 results against float64.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tg from '../../src/index.js';
import { expectClose, uniform } from '../support/check.js';
import {
  type Img,
  type PadSpec,
  conv1dNaive,
  conv2dNaive,
  depthwiseNaive,
  globalPoolNaive,
  outLen,
  permute,
  pool2dNaive,
  resolvePadding,
  samePad,
} from '../support/naive-conv.js';

const int = (min: number, max: number) => fc.integer({ min, max });
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const img = (shape: number[], seed: number): Img => ({ data: uniform(size(shape), seed), shape });
const t64 = (x: Img) => tg.tensor(Float64Array.from(x.data), x.shape);
const t32 = (x: Img) => tg.tensor(Float32Array.from(x.data), x.shape);
/** Distinct values (gaps >= 0.01, shuffled) so max pooling has no near-ties for finite differences. */
function distinct(shape: number[], seed: number): Img {
  const n = size(shape);
  const u = uniform(n, seed);
  const order = [...u.keys()].sort((a, b) => u[a] - u[b]);
  const data = new Float64Array(n);
  order.forEach((i, r) => (data[i] = 0.02 * r - 0.01 * n + 0.005 * u[(i + 1) % n]));
  return { data, shape };
}
const grad64 = (f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[], what: string) => {
  const r = tg.gradcheck(f, xs, { mode: 'random', directions: 3 });
  if (!r.ok) expect.fail(`${what}: gradcheck worst ${JSON.stringify(r.worst)} ratio ${r.maxRatio}`);
};

const padArb: fc.Arbitrary<PadSpec> = fc.oneof(
  fc.constant('same' as const),
  fc.constant('valid' as const),
  int(0, 2),
  fc.tuple(int(0, 2), int(0, 2)),
  fc.tuple(fc.tuple(int(0, 2), int(0, 2)), fc.tuple(int(0, 2), int(0, 2))),
);
const convArb = fc.record({
  n: int(1, 2),
  h: int(1, 6),
  w: int(1, 6),
  cg: int(1, 3),
  groups: int(1, 3),
  og: int(1, 2),
  kh: int(1, 3),
  kw: int(1, 3),
  stride: fc.tuple(int(1, 3), int(1, 3)),
  dilation: fc.tuple(int(1, 2), int(1, 2)),
  padding: padArb,
  bias: fc.boolean(),
  nchw: fc.boolean(),
  seed: fc.nat(),
});
type ConvCfg = typeof convArb extends fc.Arbitrary<infer T> ? T : never;

/** tg inputs (in the requested layout) and the naive NHWC result for one conv2d config. */
function conv2dCase(c: ConvCfg) {
  const cin = c.cg * c.groups;
  const o = c.og * c.groups;
  const x = img([c.n, c.h, c.w, cin], c.seed);
  const k = img([c.kh, c.kw, c.cg, o], c.seed + 1);
  const b = c.bias ? uniform(o, c.seed + 2) : null;
  const pads = resolvePadding(c.padding, c.h, c.w, [c.kh, c.kw], c.stride, c.dilation);
  const fits =
    outLen(c.h, c.kh, c.stride[0], c.dilation[0], pads[0]) >= 1 &&
    outLen(c.w, c.kw, c.stride[1], c.dilation[1], pads[1]) >= 1;
  const want = fits
    ? conv2dNaive(x, k, b, { stride: c.stride, dilation: c.dilation, pads, groups: c.groups })
    : null;
  const xs = c.nchw ? permute(x, [0, 3, 1, 2]) : x;
  const ks = c.nchw ? permute(k, [3, 2, 0, 1]) : k;
  const opts: tg.Conv2dOptions = {
    stride: c.stride,
    dilation: c.dilation,
    padding: c.padding,
    groups: c.groups,
    dataFormat: c.nchw ? 'NCHW' : 'NHWC',
  };
  return { xs, ks, b, want: want && c.nchw ? permute(want, [0, 3, 1, 2]) : want, opts };
}

describe('conv2d', () => {
  it('equals a naive cross-correlation (NHWC and NCHW, stride, padding, dilation, groups)', () => {
    fc.assert(
      fc.property(convArb, (c) => {
        const { xs, ks, b, want, opts } = conv2dCase(c);
        const run = () => tg.conv2d(t64(xs), t64(ks), b ? tg.tensor(b) : null, opts);
        if (!want) return void expect(run).toThrow(tg.ValueError);
        const y = run();
        expect(y.shape).toEqual(want.shape);
        expectClose(y.data, want.data, { rtol: 1e-12, atol: 1e-12 }, JSON.stringify(c));
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it("'same' keeps ceil(size/stride) outputs and puts the odd pad at the end", () => {
    expect(samePad(5, 2, 1, 1)).toEqual([0, 1]);
    const y = tg.conv2d(tg.ones([1, 5, 7, 2]), tg.ones([2, 3, 2, 4]), null, {
      padding: 'same',
      stride: [2, 3],
    });
    expect(y.shape).toEqual([1, 3, 3, 4]);
    // window (0,0) covers rows 0-1 (pad 0 before, 1 after for 5/2) and columns -1..1: 2·2·2 real ones
    expect(y.data[0]).toBe(8);
  });

  it('gradients w.r.t. input, kernel and bias pass gradcheck (float64)', () => {
    fc.assert(
      fc.property(convArb, (c) => {
        const { xs, ks, b, want, opts } = conv2dCase({ ...c, bias: true });
        fc.pre(want !== null);
        grad64((x, k, bb) => tg.conv2d(x, k, bb, opts), [t64(xs), t64(ks), tg.tensor(b!)], JSON.stringify(c));
      }),
      { seed: 12, numRuns: 40 },
    );
  });

  it('float32 matches float64 within float32 precision', () => {
    fc.assert(
      fc.property(convArb, (c) => {
        const { xs, ks, want, opts } = conv2dCase({ ...c, bias: false });
        fc.pre(want !== null);
        const y32 = tg.conv2d(t32(xs), t32(ks), null, opts);
        expect(y32.dtype).toBe('float32');
        const scale = Math.sqrt(c.kh * c.kw * c.cg);
        expectClose(y32.data, want!.data, { rtol: 1e-5, atol: 2e-7 * scale }, JSON.stringify(c));
      }),
      { seed: 13, numRuns: 50 },
    );
  });
});

const conv1dArb = fc.record({
  n: int(1, 2),
  w: int(1, 8),
  cg: int(1, 3),
  groups: int(1, 2),
  og: int(1, 2),
  k: int(1, 4),
  stride: int(1, 3),
  dilation: int(1, 3),
  padding: fc.oneof(
    fc.constantFrom('same' as const, 'valid' as const, 'causal' as const),
    int(0, 2),
    fc.tuple(int(0, 3), int(0, 3)),
  ),
  ncw: fc.boolean(),
  seed: fc.nat(),
});
type Conv1dCfg = typeof conv1dArb extends fc.Arbitrary<infer T> ? T : never;
function conv1dCase(c: Conv1dCfg) {
  const cin = c.cg * c.groups;
  const o = c.og * c.groups;
  const x = img([c.n, c.w, cin], c.seed);
  const k = img([c.k, c.cg, o], c.seed + 1);
  const b = uniform(o, c.seed + 2);
  const p = c.padding;
  const pads: [number, number] =
    p === 'causal'
      ? [(c.k - 1) * c.dilation, 0]
      : p === 'same'
        ? samePad(c.w, c.k, c.stride, c.dilation)
        : p === 'valid'
          ? [0, 0]
          : typeof p === 'number'
            ? [p, p]
            : p;
  const want =
    outLen(c.w, c.k, c.stride, c.dilation, pads) >= 1
      ? conv1dNaive(x, k, b, c.stride, c.dilation, pads, c.groups)
      : null;
  const opts: tg.Conv1dOptions = {
    stride: c.stride,
    dilation: c.dilation,
    padding: p,
    groups: c.groups,
    dataFormat: c.ncw ? 'NCW' : 'NWC',
  };
  return {
    xs: c.ncw ? permute(x, [0, 2, 1]) : x,
    ks: c.ncw ? permute(k, [2, 1, 0]) : k,
    b,
    opts,
    want: want && c.ncw ? permute(want, [0, 2, 1]) : want,
  };
}

describe('conv1d', () => {
  it("equals a naive 1-D cross-correlation (NWC/NCW, 'causal', 'same', dilation, stride, groups)", () => {
    fc.assert(
      fc.property(conv1dArb, (c) => {
        const { xs, ks, b, opts, want } = conv1dCase(c);
        const run = () => tg.conv1d(t64(xs), t64(ks), tg.tensor(b), opts);
        if (!want) return void expect(run).toThrow(tg.ValueError);
        const y = run();
        expect(y.shape).toEqual(want.shape);
        expectClose(y.data, want.data, { rtol: 1e-12, atol: 1e-12 }, JSON.stringify(c));
      }),
      { seed: 21, numRuns: 150 },
    );
  });

  it("'causal' output at t never depends on inputs after t", () => {
    const x = img([1, 6, 1], 3);
    const k = img([3, 1, 1], 4);
    const y0 = tg.conv1d(t64(x), t64(k), null, { padding: 'causal', dilation: 2 });
    x.data[4] += 1;
    const y1 = tg.conv1d(t64(x), t64(k), null, { padding: 'causal', dilation: 2 });
    expect(y0.shape).toEqual([1, 6, 1]);
    expect(Array.from(y1.data.slice(0, 4))).toEqual(Array.from(y0.data.slice(0, 4)));
    expect(y1.data[4]).not.toBe(y0.data[4]);
  });

  it('gradients pass gradcheck (float64)', () => {
    fc.assert(
      fc.property(conv1dArb, (c) => {
        const { xs, ks, b, opts, want } = conv1dCase(c);
        fc.pre(want !== null);
        grad64((x, k, bb) => tg.conv1d(x, k, bb, opts), [t64(xs), t64(ks), tg.tensor(b)], JSON.stringify(c));
      }),
      { seed: 22, numRuns: 30 },
    );
  });
});

const dwArb = fc.record({
  n: int(1, 2),
  h: int(2, 6),
  w: int(2, 6),
  c: int(1, 3),
  m: int(1, 2),
  kh: int(1, 3),
  kw: int(1, 3),
  stride: fc.tuple(int(1, 2), int(1, 2)),
  dilation: fc.tuple(int(1, 2), int(1, 2)),
  padding: fc.constantFrom('same' as const, 'valid' as const, 1),
  nchw: fc.boolean(),
  seed: fc.nat(),
});
describe('depthwiseConv2d', () => {
  it('equals a naive per-channel convolution (NHWC and NCHW inputs), float64 and float32, with gradients', () => {
    fc.assert(
      fc.property(dwArb, (c) => {
        const x = img([c.n, c.h, c.w, c.c], c.seed);
        const k = img([c.kh, c.kw, c.c, c.m], c.seed + 1);
        const pads = resolvePadding(c.padding, c.h, c.w, [c.kh, c.kw], c.stride, c.dilation);
        fc.pre(
          outLen(c.h, c.kh, c.stride[0], c.dilation[0], pads[0]) >= 1 &&
            outLen(c.w, c.kw, c.stride[1], c.dilation[1], pads[1]) >= 1,
        );
        const want = depthwiseNaive(x, k, { stride: c.stride, dilation: c.dilation, pads });
        const opts = {
          stride: c.stride,
          dilation: c.dilation,
          padding: c.padding,
          dataFormat: c.nchw ? 'NCHW' : 'NHWC',
        };
        const xs = c.nchw ? permute(x, [0, 3, 1, 2]) : x;
        const wantL = c.nchw ? permute(want, [0, 3, 1, 2]) : want;
        const y = tg.depthwiseConv2d(t64(xs), t64(k), null, opts);
        expect(y.shape).toEqual(wantL.shape);
        expectClose(y.data, wantL.data, { rtol: 1e-12, atol: 1e-12 }, JSON.stringify(c));
        expectClose(
          tg.depthwiseConv2d(t32(xs), t32(k), null, opts).data,
          wantL.data,
          { rtol: 1e-5, atol: 1e-6 },
          `float32 ${JSON.stringify(c)}`,
        );
        grad64((a, b) => tg.depthwiseConv2d(a, b, null, opts), [t64(xs), t64(k)], JSON.stringify(c));
      }),
      { seed: 31, numRuns: 40 },
    );
  });
});

const poolArb = fc.record({
  n: int(1, 2),
  h: int(1, 6),
  w: int(1, 6),
  c: int(1, 3),
  k: fc.tuple(int(1, 3), int(1, 3)),
  stride: fc.option(fc.tuple(int(1, 3), int(1, 3)), { nil: undefined }),
  padding: fc.oneof(fc.constantFrom('same' as const, 'valid' as const), int(0, 2)),
  countIncludePad: fc.boolean(),
  nchw: fc.boolean(),
  seed: fc.nat(),
});
type PoolCfg = typeof poolArb extends fc.Arbitrary<infer T> ? T : never;
function poolCase(c: PoolCfg, kind: 'max' | 'avg') {
  const s = c.stride ?? c.k;
  // NOTE: a numeric pad is kept below the window so no window lies entirely in the padding.
  const padding = typeof c.padding === 'number' ? Math.min(c.padding, c.k[0] - 1, c.k[1] - 1) : c.padding;
  const pads = resolvePadding(padding, c.h, c.w, c.k, s, [1, 1]);
  const fits = outLen(c.h, c.k[0], s[0], 1, pads[0]) >= 1 && outLen(c.w, c.k[1], s[1], 1, pads[1]) >= 1;
  const x = kind === 'max' ? distinct([c.n, c.h, c.w, c.c], c.seed) : img([c.n, c.h, c.w, c.c], c.seed);
  const want = fits ? pool2dNaive(x, kind, c.k, s, pads, c.countIncludePad) : null;
  const opts: tg.AvgPool2dOptions = {
    kernelSize: c.k,
    stride: c.stride,
    padding,
    ...(kind === 'avg' && { countIncludePad: c.countIncludePad }),
    dataFormat: c.nchw ? 'NCHW' : 'NHWC',
  };
  return {
    xs: c.nchw ? permute(x, [0, 3, 1, 2]) : x,
    opts,
    want: want && c.nchw ? permute(want, [0, 3, 1, 2]) : want,
  };
}

describe.each([
  ['maxPool2d', 'max', tg.maxPool2d],
  ['avgPool2d', 'avg', tg.avgPool2d],
] as const)('%s', (name, kind, pool) => {
  it('equals naive window loops (same/valid/numeric padding, strides, NHWC/NCHW), float64 and float32', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const { xs, opts, want } = poolCase(c, kind);
        if (!want) return void expect(() => pool(t64(xs), opts)).toThrow(tg.ValueError);
        const y = pool(t64(xs), opts);
        expect(y.shape).toEqual(want.shape);
        expectClose(y.data, want.data, { rtol: 1e-12, atol: 1e-12 }, `${name} ${JSON.stringify(c)}`);
        expectClose(
          pool(t32(xs), opts).data,
          want.data,
          { rtol: 1e-6, atol: 1e-6 },
          `${name} float32 ${JSON.stringify(c)}`,
        );
      }),
      { seed: 41, numRuns: 150 },
    );
  });

  it('gradient passes gradcheck (float64)', () => {
    fc.assert(
      fc.property(poolArb, (c) => {
        const { xs, opts, want } = poolCase(c, kind);
        fc.pre(want !== null);
        grad64((x) => pool(x, opts), [t64(xs)], `${name} ${JSON.stringify(c)}`);
      }),
      { seed: 42, numRuns: 40 },
    );
  });
});

describe('average pooling and padding', () => {
  it("'same' excludes padding from the average (Keras); countIncludePad divides by the full window", () => {
    const x = tg.ones([1, 3, 3, 1], { dtype: 'float64' });
    expect(Array.from(tg.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 'same' }).data)).toEqual(
      Array(9).fill(1),
    );
    const inc = Array.from(
      tg.avgPool2d(x, { kernelSize: 3, stride: 1, padding: 'same', countIncludePad: true }).data,
    );
    expect(inc.map((v) => Math.round(v * 9))).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4]);
  });
});

describe('1-D pools', () => {
  const arb = fc.record({
    n: int(1, 2),
    w: int(1, 8),
    c: int(1, 3),
    k: int(1, 3),
    stride: fc.option(int(1, 3), { nil: undefined }),
    padding: fc.constantFrom('same' as const, 'valid' as const, 0, 1),
    kind: fc.constantFrom('max' as const, 'avg' as const),
    ncw: fc.boolean(),
    seed: fc.nat(),
  });
  it('maxPool1d/avgPool1d equal naive loops and pass gradcheck', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const s = c.stride ?? c.k;
        const padding = typeof c.padding === 'number' ? Math.min(c.padding, c.k - 1) : c.padding;
        const pw =
          padding === 'same'
            ? samePad(c.w, c.k, s, 1)
            : padding === 'valid'
              ? ([0, 0] as [number, number])
              : ([padding, padding] as [number, number]);
        fc.pre(outLen(c.w, c.k, s, 1, pw) >= 1);
        const x = c.kind === 'max' ? distinct([c.n, 1, c.w, c.c], c.seed) : img([c.n, 1, c.w, c.c], c.seed);
        const want2 = pool2dNaive(x, c.kind, [1, c.k], [1, s], [[0, 0], pw]);
        const want = { data: want2.data, shape: [c.n, want2.shape[2], c.c] };
        const x3 = { data: x.data, shape: [c.n, c.w, c.c] };
        const xs = c.ncw ? permute(x3, [0, 2, 1]) : x3;
        const wantL = c.ncw ? permute(want, [0, 2, 1]) : want;
        const pool = c.kind === 'max' ? tg.maxPool1d : tg.avgPool1d;
        const opts: tg.Pool1dOptions = {
          kernelSize: c.k,
          stride: c.stride,
          padding,
          dataFormat: c.ncw ? 'NCW' : 'NWC',
        };
        const y = pool(t64(xs), opts);
        expect(y.shape).toEqual(wantL.shape);
        expectClose(y.data, wantL.data, { rtol: 1e-12, atol: 1e-12 }, JSON.stringify(c));
        grad64((a) => pool(a, opts), [t64(xs)], JSON.stringify(c));
      }),
      { seed: 51, numRuns: 60 },
    );
  });
});

describe('global pools', () => {
  it('globalAvgPool/globalMaxPool equal naive loops (NHWC, NCHW, NWC) and pass gradcheck', () => {
    const arb = fc.record({
      shape: fc.array(int(1, 4), { minLength: 3, maxLength: 4 }),
      first: fc.boolean(),
      keepdims: fc.boolean(),
      seed: fc.nat(),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const x = distinct(c.shape, c.seed); // channels last
        const r = c.shape.length;
        const fmt = c.first ? (r === 4 ? 'NCHW' : 'NCW') : r === 4 ? 'NHWC' : 'NWC';
        const toFirst = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
        const xs = c.first ? permute(x, toFirst) : x;
        for (const [kind, pool] of [
          ['avg', tg.globalAvgPool],
          ['max', tg.globalMaxPool],
        ] as const) {
          const want = globalPoolNaive(x, kind);
          const y = pool(t64(xs), { dataFormat: fmt, keepdims: c.keepdims });
          const keptShape = c.first
            ? [want.shape[0], want.shape[1], ...Array(r - 2).fill(1)]
            : [want.shape[0], ...Array(r - 2).fill(1), want.shape[1]];
          expect(y.shape).toEqual(c.keepdims ? keptShape : want.shape);
          expectClose(y.data, want.data, { rtol: 1e-12, atol: 1e-12 }, `${kind} ${JSON.stringify(c)}`);
          grad64((a) => pool(a, { dataFormat: fmt }), [t64(xs)], `${kind} ${JSON.stringify(c)}`);
        }
      }),
      { seed: 61, numRuns: 40 },
    );
  });
});
