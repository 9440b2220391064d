// Options that PyTorch has, checked against values PyTorch 1.13 computed in float64 (test/fixtures/torch/
// fidops.json, written by gen_fidops.py beside it): pooling ceil_mode / divisor_override / return_indices,
// conv padding_mode, grouped transposed convolution and cross_entropy's options. Gradients of each new path
// are gradchecked in float64 (they come from the tape: no hand-written backward).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  kind: string;
  name: string;
  inputs: Record<string, Arr>;
  args: Record<string, any>;
  out: Arr;
  indices?: Arr;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/torch/fidops.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const t64 = (a: Arr) => tg.tensor(Float64Array.from(a.data), a.shape);
const cases = (kind: string) => fixture.cases.filter((c) => c.kind === kind);
const gc = (f: (...xs: tg.Tensor[]) => tg.Tensor, xs: tg.Tensor[], what: string) => {
  const r = tg.gradcheck(f, xs, { mode: 'random', directions: 2 });
  if (!r.ok) expect.fail(`${what}: gradcheck worst ${JSON.stringify(r.worst)}`);
};
const check = (y: tg.Tensor, c: Case) => {
  expect(y.shape, c.name).toEqual(c.out.shape);
  expectClose(y.data, c.out.data, { rtol: 1e-10, atol: 1e-12 }, `${c.kind} ${c.name}`);
};
const pool2dOpts = (a: Record<string, any>): tg.Pool2dOptions => ({
  kernelSize: a.kernel_size,
  ...(a.stride !== undefined && { stride: a.stride }),
  ...(a.padding !== undefined && { padding: a.padding }),
  ...(a.dilation !== undefined && { dilation: a.dilation }),
  ...(a.ceil_mode !== undefined && { ceilMode: a.ceil_mode }),
  ...(a.count_include_pad !== undefined && { countIncludePad: a.count_include_pad }),
  ...(a.divisor_override !== undefined && { divisorOverride: a.divisor_override }),
  dataFormat: 'NCHW',
});

describe('pooling options against PyTorch', () => {
  it('ceilMode: a 5×5 input with kernel 2 gives 3×3 (floor mode 2×2)', () => {
    const x = tg.zeros([1, 1, 5, 5]);
    expect(tg.maxPool2d(x, { kernelSize: 2, dataFormat: 'NCHW' }).shape).toEqual([1, 1, 2, 2]);
    expect(tg.maxPool2d(x, { kernelSize: 2, ceilMode: true, dataFormat: 'NCHW' }).shape).toEqual([
      1, 1, 3, 3,
    ]);
    expect(tg.avgPool2d(x, { kernelSize: 2, ceilMode: true, dataFormat: 'NCHW' }).shape).toEqual([
      1, 1, 3, 3,
    ]);
  });
  for (const c of cases('maxPool2d'))
    it(`maxPool2d ${c.name} (functional and nn.MaxPool2d with returnIndices)`, () => {
      const x = t64(c.inputs.x);
      check(tg.maxPool2d(x, pool2dOpts(c.args)), c);
      const a = c.args;
      const m = new tg.nn.MaxPool2d(
        a.kernel_size,
        a.stride,
        a.padding ?? 0,
        a.dilation ?? 1,
        true,
        a.ceil_mode ?? false,
      );
      const [y, idx] = m.forward(x);
      check(y, c);
      expect(idx.dtype).toBe('int32');
      expect(Array.from(idx.data)).toEqual(c.indices!.data);
      gc((z) => tg.maxPool2d(z, pool2dOpts(c.args)), [x], c.name);
    });
  for (const c of cases('avgPool2d'))
    it(`avgPool2d ${c.name} (functional and nn.AvgPool2d)`, () => {
      const x = t64(c.inputs.x);
      const a = c.args;
      // PyTorch's default count_include_pad is true; ours (Keras's) is false.
      const opts = { countIncludePad: true, ...pool2dOpts(a) };
      check(tg.avgPool2d(x, opts), c);
      const m = new tg.nn.AvgPool2d(
        a.kernel_size,
        a.stride,
        a.padding ?? 0,
        a.ceil_mode ?? false,
        a.count_include_pad ?? true,
        a.divisor_override ?? null,
      );
      check(m.forward(x), c);
      gc((z) => tg.avgPool2d(z, opts), [x], c.name);
    });
  for (const kind of ['maxPool1d', 'avgPool1d'] as const)
    for (const c of cases(kind))
      it(`${kind} ${c.name}`, () => {
        const x = t64(c.inputs.x);
        const a = c.args;
        const opts: tg.Pool1dOptions = {
          kernelSize: a.kernel_size,
          ...(a.stride !== undefined && { stride: a.stride }),
          ...(a.padding !== undefined && { padding: a.padding }),
          ...(a.dilation !== undefined && { dilation: a.dilation }),
          ceilMode: a.ceil_mode,
          ...(kind === 'avgPool1d' && { countIncludePad: a.count_include_pad ?? true }),
          dataFormat: 'NCW',
        };
        check(tg[kind](x, opts), c);
        gc((z) => tg[kind](z, opts), [x], c.name);
      });
  it('refuses what PyTorch refuses or what does not apply, by name', () => {
    const x = tg.zeros([1, 4, 4, 1]);
    expect(() => tg.maxPool2d(x, { kernelSize: 2, divisorOverride: 2 } as tg.Pool2dOptions)).toThrow(
      /maxPool2d: unknown option 'divisorOverride' \(known: kernelSize, /,
    );
    expect(() => tg.avgPool2d(x, { kernelSize: 2, divisorOverride: 0 })).toThrow(
      /divisorOverride must be a non-zero/,
    );
    expect(() => tg.maxPool2d(x, { kernelSize: 2, padding: 'same', ceilMode: true })).toThrow(
      /ceilMode applies to explicit padding/,
    );
    expect(() => tg.avgPool1d(tg.zeros([1, 4, 1]), { kernelSize: 2, dilation: 2 })).toThrow(
      /avgPool1d: unknown option 'dilation'/,
    );
  });
});

describe('crossEntropy options against PyTorch', () => {
  const opts = (a: Record<string, any>): tg.CrossEntropyOptions => ({
    ...(a.reduction !== undefined && { reduction: a.reduction }),
    ...(a.ignore_index !== undefined && { ignoreIndex: a.ignore_index }),
    ...(a.label_smoothing !== undefined && { labelSmoothing: a.label_smoothing }),
    ...(a.weight !== undefined && { weight: a.weight }),
  });
  for (const c of cases('crossEntropy'))
    it(c.name, () => {
      const z = t64(c.inputs.logits);
      const probs = c.inputs.labels.shape.length === c.inputs.logits.shape.length;
      const labels = probs
        ? t64(c.inputs.labels)
        : tg.tensor(Int32Array.from(c.inputs.labels.data), c.inputs.labels.shape);
      check(tg.crossEntropy(z, labels, opts(c.args)), c);
      gc((zz) => tg.crossEntropy(zz, labels, opts(c.args)), [z], c.name);
    });
  it('labels as a plain array or an Int32Array', () => {
    const c = cases('crossEntropy').find((k) => k.name === 'weight mean')!;
    const z = t64(c.inputs.logits);
    check(tg.crossEntropy(z, c.inputs.labels.data, opts(c.args)), c);
    check(tg.crossEntropy(z, Int32Array.from(c.inputs.labels.data), opts(c.args)), c);
  });
  it('bad options are refused by name', () => {
    const z = tg.zeros([2, 3]);
    expect(() => tg.crossEntropy(z, [0, 1], { reduce: 'sum' } as never)).toThrow(
      "crossEntropy: unknown option 'reduce' (known: reduction, ignoreIndex, labelSmoothing, weight)",
    );
    expect(() => tg.crossEntropy(z, [0, 1], { reduction: 'avg' as never })).toThrow(/reduction must be/);
    expect(() => tg.crossEntropy(z, [0, 1], { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be/);
    expect(() => tg.crossEntropy(z, [0, 1], { weight: [1, 2] })).toThrow(/weight \[2\] must be \[3\]/);
    expect(() => tg.crossEntropy(z, [0, 3])).toThrow(/label 3 at position 1 is out of range for 3 classes/);
    expect(() => tg.crossEntropy(z, tg.zeros([2, 3]), { ignoreIndex: 0 })).toThrow(
      /ignoreIndex applies to class-index labels/,
    );
    expect(() => tg.crossEntropy(z, [0, 1, 1])).toThrow(
      /labels \[3\] must be \[2\] class indices \(one per row of the logits \[2,3\]\)/,
    );
  });
});

describe('conv paddingMode against PyTorch (nn.Conv2d / nn.Conv1d padding_mode)', () => {
  for (const kind of ['conv2d', 'conv1d'] as const)
    for (const c of cases(kind))
      it(`${kind} ${c.name}`, () => {
        const [x, w, b] = [t64(c.inputs.x), t64(c.inputs.weight), t64(c.inputs.bias)];
        const { padding_mode: paddingMode, ...a } = c.args;
        const opts = { ...a, paddingMode, dataFormat: kind === 'conv2d' ? 'NCHW' : 'NCW' };
        const f = (xx: tg.Tensor, ww: tg.Tensor, bb: tg.Tensor) =>
          kind === 'conv2d'
            ? tg.conv2d(xx, ww, bb, opts as tg.Conv2dOptions)
            : tg.conv1d(xx, ww, bb, opts as tg.Conv1dOptions);
        check(f(x, w, b), c);
        // The module with the same weights, in float64.
        const cin = x.shape[1];
        const m =
          kind === 'conv2d'
            ? new tg.nn.Conv2d(cin, w.shape[0], [w.shape[2], w.shape[3]], {
                ...a,
                paddingMode,
                dtype: 'float64',
              })
            : new tg.nn.Conv1d(cin, w.shape[0], w.shape[2], { ...a, paddingMode, dtype: 'float64' });
        expect(m.weight.dtype).toBe('float64');
        m.weight.data.set(w.data);
        m.bias!.data.set(b.data);
        check(m.forward(x), c);
        gc(f, [x, w, b], c.name);
      });
  it('padEdges: reflect, replicate and circular by hand on [0, 1, 2, 3]', () => {
    const x = tg.tensor([0, 1, 2, 3], [1, 4]);
    const row = (mode: tg.PaddingMode, p: [number, number]) =>
      Array.from(tg.padEdges(x, [[0, 0], p], mode).data);
    expect(row('reflect', [2, 3])).toEqual([2, 1, 0, 1, 2, 3, 2, 1, 0]);
    expect(row('replicate', [2, 1])).toEqual([0, 0, 0, 1, 2, 3, 3]);
    expect(row('circular', [2, 3])).toEqual([2, 3, 0, 1, 2, 3, 0, 1, 2]);
    expect(() =>
      tg.padEdges(
        x,
        [
          [0, 0],
          [4, 0],
        ],
        'reflect',
      ),
    ).toThrow(/reflect padding \(4, 0\) on axis 1 of \[1,4\] must be smaller than the axis size 4/);
    expect(() =>
      tg.conv2d(tg.zeros([1, 4, 4, 1]), tg.zeros([3, 3, 1, 1]), null, { paddingMode: 'mirror' as never }),
    ).toThrow(/conv2d: unknown paddingMode "mirror" \(use 'zeros', 'reflect', 'replicate', 'circular'\)/);
  });
});

describe('transposed convolution against PyTorch (F.conv_transpose2d / 1d, nn.ConvTranspose2d, groups)', () => {
  for (const c of cases('convTranspose2d'))
    it(`convTranspose2d ${c.name}`, () => {
      const [x, w, b] = [t64(c.inputs.x), t64(c.inputs.weight), t64(c.inputs.bias)];
      const a = c.args;
      const opts: tg.ConvTransposeOptions = {
        stride: a.stride,
        ...(a.padding !== undefined && { padding: a.padding }),
        ...(a.output_padding !== undefined && { outputPadding: a.output_padding }),
        ...(a.dilation !== undefined && { dilation: a.dilation }),
        ...(a.groups !== undefined && { groups: a.groups }),
      };
      check(tg.convTranspose2d(x, w, b, opts), c);
      const g = a.groups ?? 1;
      const m = new tg.nn.ConvTranspose2d(x.shape[1], w.shape[1] * g, [w.shape[2], w.shape[3]], {
        ...opts,
        dtype: 'float64',
      });
      expect(m.weight.shape).toEqual(w.shape);
      m.weight.data.set(w.data);
      m.bias!.data.set(b.data);
      check(m.forward(x), c);
      gc((xx, ww, bb) => tg.convTranspose2d(xx, ww, bb, opts), [x, w, b], c.name);
    });
  for (const c of cases('convTranspose1d'))
    it(`convTranspose1d ${c.name}`, () => {
      const [x, w, b] = [t64(c.inputs.x), t64(c.inputs.weight), t64(c.inputs.bias)];
      const a = c.args;
      const opts = {
        stride: a.stride,
        padding: a.padding,
        outputPadding: a.output_padding,
        groups: a.groups,
      };
      check(tg.convTranspose1d(x, w, b, opts), c);
      gc((xx, ww) => tg.convTranspose1d(xx, ww, b, opts), [x, w], c.name);
    });
  it('tg.conv2dTranspose (NHWC, kernel [kh, kw, out/groups, in]) takes groups too', () => {
    const c = cases('convTranspose2d').find((k) => k.name.startsWith('g2 s2 p1 op1'))!;
    const [x, w, b] = [t64(c.inputs.x), t64(c.inputs.weight), t64(c.inputs.bias)];
    const y = tg.conv2dTranspose(tg.transpose(x, [0, 2, 3, 1]), tg.transpose(w, [2, 3, 1, 0]), b, {
      stride: [2, 2],
      dilation: [1, 1],
      padTop: 1,
      padLeft: 1,
      outH: c.out.shape[2],
      outW: c.out.shape[3],
      groups: 2,
    });
    check(tg.transpose(y, [0, 3, 1, 2]), c);
  });
  it('refuses what does not fit, by name', () => {
    const x = tg.zeros([1, 4, 3, 3]);
    expect(() => tg.convTranspose2d(x, tg.zeros([4, 2, 3, 3]), null, { groups: 3 })).toThrow(
      /divisible by groups=3/,
    );
    expect(() =>
      tg.convTranspose2d(x, tg.zeros([4, 2, 3, 3]), null, { stride: 2, outputPadding: 2 }),
    ).toThrow(/outputPadding \[2,2\] must be smaller than either stride/);
    expect(() => new tg.nn.ConvTranspose2d(4, 3, 3, { groups: 2 })).toThrow(
      /must be a positive integer dividing/,
    );
    expect(() => tg.convTranspose2d(x, tg.zeros([4, 2, 3, 3]), null, { output_padding: 1 } as never)).toThrow(
      "convTranspose2d: unknown option 'output_padding' (known: stride, padding, outputPadding, dilation, groups)",
    );
  });
});
