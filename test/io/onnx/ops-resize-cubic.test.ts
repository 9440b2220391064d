// ONNX Resize's cubic mode, tf_crop_and_resize, and the opset-18/19 attributes (antialias, axes,
// keep_aspect_ratio_policy, half_pixel_symmetric) (ops-resize.ts, resize-axis.ts): ONNX Runtime Web on the same
// file, PyTorch's F.interpolate bicubic numbers, gradients by gradcheck, and refusals by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';
import {
  type In,
  type OneNode,
  expectGradcheck,
  expectOrt,
  flt,
  int,
  ints,
  oneNode,
  runTg,
  str,
  D,
  F,
  I64,
  konst,
} from './one-node-lib.js';

const rng = new tg.Rng(23);
const x = (shape: number[], type: number = D): In => ({ name: 'x', type, shape });
type By = { scales: number[] } | { sizes: number[] };
type Attr = NonNullable<OneNode['attrs']>[number];
/** Resize of a [1, 2, 4, 5] input (X, roi, scales, sizes) by scales or to sizes. */
const resize = (
  by: By,
  attrs: Attr[],
  o: { type?: number; opset?: number; roi?: number[] } = {},
): OneNode => ({
  op: 'Resize',
  inputs: [
    x([1, 2, 4, 5], o.type ?? D),
    o.roi ? konst('roi', o.roi, F) : null,
    'scales' in by ? konst('scales', by.scales, F) : null,
    'sizes' in by ? konst('sizes', by.sizes, I64) : null,
  ],
  attrs,
  opset: o.opset ?? 13,
});
const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const BY: By[] = [
  { scales: [1, 1, 2, 1.5] },
  { scales: [1, 1, 0.5, 0.8] },
  { sizes: [1, 2, 7, 3] },
  { sizes: [1, 2, 3, 9] },
];

describe('cubic against ONNX Runtime Web', () => {
  const v = tg.randn([1, 2, 4, 5], { rng });
  // NOTE: align_corners by scales whose product with the length is fractional (5·1.5) is left out, as in
  // ops-resize.test.ts: ONNX's reference divides by length·scale − 1, ONNX Runtime by the floored length − 1
  it.each(COORDS)('%s, default and A = -0.5 with exclude_outside', async (ct) => {
    for (const by of ct === 'align_corners' ? BY.slice(1) : BY) {
      const base = [str('mode', 'cubic'), str('coordinate_transformation_mode', ct)];
      await expectOrt(resize(by, base, { type: F }), [v]);
      await expectOrt(
        resize(by, [...base, flt('cubic_coeff_a', -0.5), int('exclude_outside', 1)], { type: F }),
        [v],
      );
    }
  });
});

describe('tf_crop_and_resize against ONNX Runtime Web', () => {
  const v = tg.randn([1, 2, 4, 5], { rng });
  const roi = [0, 0, 0.2, -0.3, 1, 1, 0.9, 1.2]; // the W crop reaches past both edges: extrapolation there
  it.each(['nearest', 'linear', 'cubic'])('%s, with and without extrapolation_value', async (mode) => {
    for (const by of [BY[2], BY[3], { sizes: [1, 2, 1, 1] }])
      for (const extra of [[], [flt('extrapolation_value', -7.5)]])
        await expectOrt(
          resize(
            by,
            [str('mode', mode), str('coordinate_transformation_mode', 'tf_crop_and_resize'), ...extra],
            {
              type: F,
              roi,
            },
          ),
          [v],
        );
  });
});

describe('opset 18 and 19 attributes against ONNX Runtime Web', () => {
  const v = tg.randn([1, 2, 4, 5], { rng });
  const down: By[] = [{ scales: [1, 1, 0.5, 0.8] }, { sizes: [1, 2, 3, 2] }, { scales: [1, 1, 0.75, 0.6] }];
  it.each(['linear', 'cubic'])(
    'antialias, %s downsampling (and upsampling, where it changes nothing)',
    async (mode) => {
      for (const ct of ['half_pixel', 'pytorch_half_pixel', 'asymmetric'])
        for (const by of [...down, BY[0]])
          for (const ex of [0, 1])
            await expectOrt(
              resize(
                by,
                [
                  str('mode', mode),
                  str('coordinate_transformation_mode', ct),
                  int('antialias', 1),
                  int('exclude_outside', ex),
                ],
                {
                  type: F,
                  opset: 18,
                },
              ),
              [v],
            );
    },
  );
  it('axes (scales and sizes of the listed axes only, negative axes too)', async () => {
    for (const mode of ['nearest', 'linear', 'cubic']) {
      await expectOrt(
        resize({ scales: [1.5] }, [str('mode', mode), ints('axes', [-1])], { type: F, opset: 18 }),
        [v],
      );
      await expectOrt(
        resize({ sizes: [3, 7] }, [str('mode', mode), ints('axes', [2, 3])], { type: F, opset: 18 }),
        [v],
      );
    }
  });
  it.each(['not_larger', 'not_smaller', 'stretch'])('keep_aspect_ratio_policy=%s', async (policy) => {
    for (const mode of ['nearest', 'linear', 'cubic'])
      for (const by of [{ sizes: [7, 8] }, { sizes: [3, 9] }])
        await expectOrt(
          resize(by, [str('mode', mode), ints('axes', [2, 3]), str('keep_aspect_ratio_policy', policy)], {
            type: F,
            opset: 18,
          }),
          [v],
        );
  });
  it('half_pixel_symmetric (opset 19)', async () => {
    for (const mode of ['nearest', 'linear', 'cubic'])
      for (const by of BY)
        await expectOrt(
          resize(by, [str('mode', mode), str('coordinate_transformation_mode', 'half_pixel_symmetric')], {
            type: F,
            opset: 19,
          }),
          [v],
        );
  });
});

describe('against PyTorch F.interpolate (bicubic, and antialias=True)', () => {
  // /usr/bin/python3 -c 'import torch, torch.nn.functional as F; x = (torch.arange(12, dtype=torch.float64)**1.5)
  //   .reshape(1, 1, 3, 4); print(F.interpolate(x, size=..., mode=..., align_corners=..., antialias=...)
  //   .flatten().tolist())'
  // PyTorch's bicubic is Keys' kernel with A = -0.75 and edge-repeated neighbours (ONNX's cubic defaults); its
  // antialiased filters drop the neighbours past the edge (exclude_outside=1), bicubic with A = -0.5
  const input = tg.tensor(
    Array.from({ length: 12 }, (_, i) => i ** 1.5),
    [1, 1, 3, 4],
    { dtype: 'float64' },
  );
  const cases: [string, Attr[], number[], number[]][] = [
    [
      'bicubic, align_corners=False',
      [str('mode', 'cubic'), str('coordinate_transformation_mode', 'pytorch_half_pixel')],
      [5, 7],
      [
        -0.846449211625, -0.601056125438, -0.099524504251, 0.721121756973, 1.893498143837, 3.260343491838,
        4.138091297575, 1.876192049832, 2.502750851651, 3.599213925063, 4.909941687631, 6.489298356796,
        8.246632545168, 9.356143316439, 7.684457895637, 8.867416831727, 10.835936742097, 12.878359718981,
        15.078130228494, 17.433750844598, 18.899595571849, 17.124468077444, 18.648404058125, 21.162938174325,
        23.706052816567, 26.370461544596, 29.183398981302, 30.925402400651, 23.586460914489, 25.269756614759,
        28.043519029654, 30.838867074683, 33.7498648892, 36.8081446819, 38.699360239528,
      ],
    ],
    [
      'bicubic, align_corners=True',
      [str('mode', 'cubic'), str('coordinate_transformation_mode', 'align_corners')],
      [5, 7],
      [
        0.0, 0.328584957055, 1.0, 1.785989315689, 2.828427124746, 4.183704816671, 5.196152422707,
        2.62867965644, 3.377052420781, 4.607076808203, 5.795862870805, 7.17588546463, 8.915873935311,
        10.174210782912, 8.0, 9.260488827887, 11.180339887499, 12.878359718981, 14.696938456699,
        16.938279932938, 18.520259177452, 16.063708498985, 17.657771998122, 20.044576808202, 22.111931559117,
        24.272530466562, 26.907986360721, 28.750700943938, 22.62741699797, 24.380323192577, 27.0,
        29.265683948636, 31.622776601684, 34.486209954204, 36.482872693909,
      ],
    ],
    [
      'bilinear, antialias=True (downsampling)',
      [str('mode', 'linear'), int('antialias', 1), int('exclude_outside', 1)],
      [2, 3],
      [3.545288237344, 6.04837316602, 9.318620381284, 18.319783173955, 23.171607377563, 28.405501026861],
    ],
    [
      'bicubic, antialias=True (downsampling)',
      [str('mode', 'cubic'), int('antialias', 1), int('exclude_outside', 1), flt('cubic_coeff_a', -0.5)],
      [2, 3],
      [2.500396360819, 5.075427320376, 8.572810186759, 18.582987153234, 24.006580554029, 29.852368988574],
    ],
  ];
  it.each(cases)('%s', (_what, attrs, size, want) => {
    const s: OneNode = {
      op: 'Resize',
      inputs: [x([1, 1, 3, 4]), null, null, konst('sizes', [1, 1, ...size], I64)],
      attrs,
      opset: 18,
    };
    const got = runTg(oneNode(s), [input]);
    expect(got.shape).toEqual([1, 1, ...size]);
    got.data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-9));
  });
});

describe('gradients (gradcheck, float64)', () => {
  const v = () => [tg.randn([1, 2, 4, 5], { rng, dtype: 'float64' })];
  it('cubic up and down, with exclude_outside; antialiased linear and cubic', () => {
    for (const by of [BY[0], BY[1]]) {
      expectGradcheck(resize(by, [str('mode', 'cubic'), int('exclude_outside', 1)]), v());
      expectGradcheck(
        resize(by, [str('mode', 'cubic'), str('coordinate_transformation_mode', 'align_corners')]),
        v(),
      );
      for (const mode of ['linear', 'cubic'])
        expectGradcheck(resize(by, [str('mode', mode), int('antialias', 1)], { opset: 18 }), v());
    }
  });
  it('tf_crop_and_resize with extrapolation, axes', () => {
    const crop = [str('coordinate_transformation_mode', 'tf_crop_and_resize'), flt('extrapolation_value', 2)];
    for (const mode of ['linear', 'cubic'])
      expectGradcheck(
        resize(BY[2], [str('mode', mode), ...crop], { roi: [0, 0, 0.2, -0.3, 1, 1, 0.9, 1.2] }),
        v(),
      );
    expectGradcheck(
      resize({ sizes: [3, 7] }, [str('mode', 'cubic'), ints('axes', [2, 3])], { opset: 18 }),
      v(),
    );
  });
});

describe('refusals and errors by name', () => {
  const v = tg.randn([1, 2, 4, 5], { rng });
  const fails = (s: OneNode, type: new (...a: never[]) => Error, msg: RegExp) => {
    let err: unknown = null;
    try {
      runTg(oneNode(s), [v]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(msg);
  };
  it('attributes of later opsets, unknown policies, bad roi and axes, cubic on integers', () => {
    fails(
      resize(BY[1], [str('mode', 'linear'), int('antialias', 1)], { type: F }),
      OnnxUnsupportedError,
      /'n0' \(Resize\): attribute 'antialias' at opset 13 \(it was added in opset 18\) is not supported/,
    );
    fails(
      resize(BY[1], [ints('axes', [2, 3])], { type: F, opset: 17 }),
      OnnxUnsupportedError,
      /attribute 'axes' at opset 17 \(it was added in opset 18\)/,
    );
    fails(
      resize(BY[1], [str('coordinate_transformation_mode', 'half_pixel_symmetric')], { type: F, opset: 18 }),
      OnnxUnsupportedError,
      /coordinate_transformation_mode='half_pixel_symmetric' at opset 18 is not supported/,
    );
    fails(
      resize({ sizes: [3, 3] }, [ints('axes', [2, 3]), str('keep_aspect_ratio_policy', 'fit')], {
        type: F,
        opset: 18,
      }),
      OnnxUnsupportedError,
      /keep_aspect_ratio_policy='fit' is not supported \(supported: stretch, not_larger, not_smaller\)/,
    );
    fails(
      resize(BY[2], [str('coordinate_transformation_mode', 'tf_crop_and_resize')], { type: F, roi: [0, 1] }),
      tg.ValueError,
      /tf_crop_and_resize needs roi of 8 values \(starts, then ends\), got \[0,1\]/,
    );
    fails(
      resize({ sizes: [3, 3] }, [ints('axes', [2, -2])], { type: F, opset: 18 }),
      tg.ValueError,
      /axes \[2,-2\] must be distinct axes of the rank-4 input/,
    );
    fails(
      resize({ scales: [2] }, [ints('axes', [2, 3])], { type: F, opset: 18 }),
      tg.ShapeError,
      /scales needs 2 values for input \[1,2,4,5\] and axes \[2,3\], got \[2\]/,
    );
    fails(
      resize(BY[1], [str('mode', 'cubic'), int('exclude_outside', 2)], { type: F }),
      tg.ValueError,
      /exclude_outside must be 0 or 1, got 2/,
    );
    const xi = tg.tensor(
      Array.from({ length: 40 }, (_, i) => i),
      [1, 2, 4, 5],
      { dtype: 'int32' },
    );
    let err: unknown = null;
    try {
      runTg(oneNode(resize(BY[0], [str('mode', 'cubic')], { type: I64 })), [xi]);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(
      /mode='cubic' \(half_pixel\) on an integer input is not supported/,
    );
  });
});
