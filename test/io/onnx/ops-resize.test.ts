// ONNX Resize (nearest, linear) / Upsample / DepthToSpace / SpaceToDepth (ops-resize.ts) on one-node models: PyTorch's
// F.interpolate numbers for the Resize forms its exporter writes, ONNX Runtime Web on the same file for every
// coordinate transform and nearest mode, gradients by gradcheck, and the refused modes by name.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';
import {
  type In,
  type OneNode,
  expectGradcheck,
  expectOrt,
  int,
  oneNode,
  runTg,
  str,
  D,
  F,
  I64,
  konst,
} from './one-node-lib.js';

const rng = new tg.Rng(17);
const x = (shape: number[], type: number = D): In => ({ name: 'x', type, shape });
const scales = (v: number[]) => konst('scales', v, F);
const sizes = (v: number[]) => konst('sizes', v, I64);
/** Resize (opset 13: X, roi, scales, sizes) of a [1, 2, 3, 4] input by scales or to sizes. */
const resize = (
  by: { scales: number[] } | { sizes: number[] },
  mode: string,
  ct: string,
  nm = 'round_prefer_floor',
  type: number = D,
): OneNode => ({
  op: 'Resize',
  inputs: [
    x([1, 2, 3, 4], type),
    null,
    'scales' in by ? scales(by.scales) : null,
    'sizes' in by ? sizes(by.sizes) : null,
  ],
  attrs: [
    str('mode', mode),
    str('coordinate_transformation_mode', ct),
    ...(mode === 'nearest' ? [str('nearest_mode', nm)] : []),
  ],
});
const COORDS = ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric', 'tf_half_pixel_for_nn'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];
const BY = [
  { scales: [1, 1, 2, 1.5] },
  { scales: [1, 1, 0.7, 0.6] },
  { sizes: [1, 2, 5, 7] },
  { sizes: [1, 2, 2, 3] },
];

describe('Resize against PyTorch F.interpolate (the forms torch.onnx writes)', () => {
  // /usr/bin/python3 -c 'import torch, torch.nn.functional as F; x = (torch.arange(12, dtype=torch.float64)**1.5)
  //   .reshape(1, 1, 3, 4); print(F.interpolate(x, size=(5, 7), mode=..., align_corners=...).flatten().tolist())'
  const input = tg.tensor(
    Array.from({ length: 12 }, (_, i) => i ** 1.5),
    [1, 1, 3, 4],
    { dtype: 'float64' },
  );
  const cases: [string, string, string, number[], number[]][] = [
    [
      'bilinear, align_corners=False',
      'linear',
      'pytorch_half_pixel',
      [1, 1, 5, 7],
      [
        0.0, 0.357142857143, 0.928571428571, 1.914213562373, 2.997550360315, 4.350536244864, 5.196152422707,
        3.2, 3.868619983928, 4.938411958214, 6.323983806263, 7.786543333747, 9.472236743506, 10.525795124605,
        8.0, 9.135835674107, 10.953172752678, 12.938639172099, 14.970032793896, 17.154787491469,
        18.520259177452, 16.776450198782, 18.167766540288, 20.393872686698, 22.762288649345, 25.169968911093,
        27.710189450313, 29.297827287326, 22.62741699797, 24.189053784409, 26.687672642712, 29.311388300842,
        31.969926322557, 34.747124089543, 36.482872693909,
      ],
    ],
    [
      'bilinear, align_corners=True',
      'linear',
      'align_corners',
      [1, 1, 5, 7],
      [
        0.0, 0.5, 1.0, 1.914213562373, 2.828427124746, 4.012289773726, 5.196152422707, 4.0, 5.045084971875,
        6.090169943749, 7.426426367236, 8.762682790723, 10.310444295401, 11.858205800079, 8.0, 9.590169943749,
        11.180339887499, 12.938639172099, 14.696938456699, 16.608598817076, 18.520259177452, 15.313708498985,
        17.201939221367, 19.090169943749, 21.12501373647, 23.159857529191, 25.330711732436, 27.501565935681,
        22.62741699797, 24.813708498985, 27.0, 29.311388300842, 31.622776601684, 34.052824647797,
        36.482872693909,
      ],
    ],
    [
      'nearest (asymmetric, floor)',
      'nearest',
      'asymmetric',
      [1, 1, 5, 7],
      [
        0.0, 0.0, 1.0, 1.0, 2.828427124746, 2.828427124746, 5.196152422707, 0.0, 0.0, 1.0, 1.0,
        2.828427124746, 2.828427124746, 5.196152422707, 8.0, 8.0, 11.180339887499, 11.180339887499,
        14.696938456699, 14.696938456699, 18.520259177452, 8.0, 8.0, 11.180339887499, 11.180339887499,
        14.696938456699, 14.696938456699, 18.520259177452, 22.62741699797, 22.62741699797, 27.0, 27.0,
        31.622776601684, 31.622776601684, 36.482872693909,
      ],
    ],
    [
      'bilinear downsampling, align_corners=False',
      'linear',
      'pytorch_half_pixel',
      [1, 1, 2, 3],
      [2.257514161979, 4.670319964805, 8.071908419117, 19.64964978571, 25.218201018656, 31.225402273236],
    ],
  ];
  it.each(cases)('%s', (_what, mode, ct, size, want) => {
    const s: OneNode = {
      op: 'Resize',
      inputs: [x([1, 1, 3, 4]), null, null, sizes(size)],
      attrs: [str('mode', mode), str('coordinate_transformation_mode', ct), str('nearest_mode', 'floor')],
    };
    const got = runTg(oneNode(s), [input]);
    expect(got.shape).toEqual(size);
    got.data.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-9));
    // and the same through predict's inference plan
    const m = tg.onnx.loadModelSync(oneNode(s));
    m.useInferencePlan = true;
    expect(Array.from((m.predict(input) as tg.Tensor).data)).toEqual(Array.from(got.data));
  });
});

describe('Resize and Upsample against ONNX Runtime Web', () => {
  const v = tg.randn([1, 2, 3, 4], { rng });
  // NOTE: align_corners with scales [0.7, 0.6] (3·0.7 and 4·0.6 fractional) is left out: ONNX's reference (and its
  // test_resize_downsample_scales_linear_align_corners) divides by length·scale − 1, ONNX Runtime by ⌊length·scale⌋ − 1
  const by = (ct: string) => (ct === 'align_corners' ? BY.filter((b) => b !== BY[1]) : BY);
  it.each(COORDS)('linear, %s, by scales and sizes (up and down)', async (ct) => {
    for (const b of by(ct)) await expectOrt(resize(b, 'linear', ct, undefined, F), [v]);
  });
  it.each(COORDS)('nearest, %s, every nearest_mode', async (ct) => {
    for (const nm of NEAREST) for (const b of by(ct)) await expectOrt(resize(b, 'nearest', ct, nm, F), [v]);
  });
  it('opset 11 (roi and scales as empty tensors), and Upsample (opset 9) nearest and linear', async () => {
    const s11: OneNode = {
      op: 'Resize',
      inputs: [
        x([1, 2, 3, 4], F),
        konst('roi', [], F, [0]),
        konst('scales', [], F, [0]),
        sizes([1, 2, 4, 9]),
      ],
      attrs: [str('mode', 'linear'), str('coordinate_transformation_mode', 'align_corners')],
      opset: 11,
    };
    await expectOrt(s11, [v]);
    for (const mode of ['nearest', 'linear'])
      await expectOrt(
        {
          op: 'Upsample',
          inputs: [x([1, 2, 3, 4], F), scales([1, 1, 2, 3])],
          attrs: [str('mode', mode)],
          opset: 9,
        },
        [v],
      );
  });
  it('DepthToSpace (DCR, CRD) and SpaceToDepth', async () => {
    const d = tg.randn([2, 8, 2, 3], { rng });
    for (const mode of ['DCR', 'CRD'])
      await expectOrt(
        { op: 'DepthToSpace', inputs: [x([2, 8, 2, 3], F)], attrs: [int('blocksize', 2), str('mode', mode)] },
        [d],
      );
    await expectOrt({ op: 'SpaceToDepth', inputs: [x([2, 2, 4, 6], F)], attrs: [int('blocksize', 2)] }, [
      tg.randn([2, 2, 4, 6], { rng }),
    ]);
  });
});

describe('gradients (gradcheck, float64)', () => {
  it.each(COORDS)('Resize linear %s, up and down', (ct) => {
    for (const by of [BY[0], BY[3]])
      expectGradcheck(resize(by, 'linear', ct), [tg.randn([1, 2, 3, 4], { rng, dtype: 'float64' })]);
  });
  it('Resize nearest, Upsample linear, DepthToSpace, SpaceToDepth', () => {
    const v = tg.randn([1, 2, 3, 4], { rng, dtype: 'float64' });
    expectGradcheck(resize(BY[0], 'nearest', 'half_pixel'), [v]);
    expectGradcheck(
      {
        op: 'Upsample',
        inputs: [x([1, 2, 3, 4]), scales([1, 1, 2, 2])],
        attrs: [str('mode', 'linear')],
        opset: 9,
      },
      [v],
    );
    expectGradcheck(
      { op: 'DepthToSpace', inputs: [x([1, 4, 2, 3])], attrs: [int('blocksize', 2), str('mode', 'CRD')] },
      [tg.randn([1, 4, 2, 3], { rng, dtype: 'float64' })],
    );
    expectGradcheck({ op: 'SpaceToDepth', inputs: [x([1, 1, 4, 2])], attrs: [int('blocksize', 2)] }, [
      tg.randn([1, 1, 4, 2], { rng, dtype: 'float64' }),
    ]);
  });
});

describe('refusals by name', () => {
  const v = tg.randn([1, 2, 3, 4], { rng });
  const refuses = (s: OneNode, msg: RegExp) => {
    let err: unknown = null;
    try {
      runTg(oneNode(s), [v]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OnnxUnsupportedError);
    expect((err as Error).message).toMatch(msg);
  };
  it('nearest modes, nearest downsampling in Upsample and Resize-10 (the rest: ops-resize-cubic.test.ts)', () => {
    refuses(
      resize(BY[0], 'nearest', 'half_pixel', 'round_half_down', F),
      /nearest_mode='round_half_down' is not supported/,
    );
    refuses(
      { op: 'Upsample', inputs: [x([1, 2, 3, 4], F), scales([1, 1, 0.5, 1])], opset: 9 },
      /'n0' \(Upsample\): nearest downsampling/,
    );
    refuses(
      { op: 'Resize', inputs: [x([1, 2, 3, 4], F), scales([1, 1, 0.5, 1])], opset: 10 },
      /'n0' \(Resize\): nearest downsampling/,
    );
    refuses(
      {
        op: 'Resize',
        inputs: [x([1, 2, 3, 4], F), scales([1, 1, 2, 2])],
        attrs: [str('coordinate_transformation_mode', 'align_corners')],
        opset: 10,
      },
      /attribute 'coordinate_transformation_mode' at opset 10 \(it was added in opset 11\) is not supported/,
    );
    refuses(
      { op: 'DepthToSpace', inputs: [x([1, 2, 3, 4], F)], attrs: [int('blocksize', 1), str('mode', 'XYZ')] },
      /mode='XYZ' is not supported/,
    );
  });
});
