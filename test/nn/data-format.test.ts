// The dataFormat option of every layer that has one: TF.js's names and Keras's ('channels_first') give the same layer;
// any other value is refused with an error naming the layer, the option and the value (it used to run channels-last).
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

beforeEach(() => tg.resetLayerNames());

type Make = (dataFormat: unknown) => tg.Layer;
/** Each layer with a dataFormat option, and a channels-first input [batch, channels, ...spatial] for it. */
const cases: Record<string, [Make, number[]]> = {
  Conv1D: [(d) => tg.layers.conv1d({ filters: 2, kernelSize: 2, dataFormat: d as never }), [2, 3, 5]],
  Conv2D: [(d) => tg.layers.conv2d({ filters: 2, kernelSize: 2, dataFormat: d as never }), [2, 3, 5, 4]],
  DepthwiseConv2D: [
    (d) => tg.layers.depthwiseConv2d({ kernelSize: 2, dataFormat: d as never }),
    [2, 3, 5, 4],
  ],
  SeparableConv2D: [
    (d) => tg.layers.separableConv2d({ filters: 2, kernelSize: 2, dataFormat: d as never }),
    [2, 3, 5, 4],
  ],
  Conv2DTranspose: [
    (d) => tg.layers.conv2dTranspose({ filters: 2, kernelSize: 2, dataFormat: d as never }),
    [2, 3, 5, 4],
  ],
  Conv3D: [
    (d) => tg.layers.conv3d({ filters: 2, kernelSize: [2, 2, 2], dataFormat: d as never }),
    [2, 3, 4, 3, 3],
  ],
  MaxPooling1D: [(d) => tg.layers.maxPooling1d({ dataFormat: d as never }), [2, 3, 6]],
  AveragePooling1D: [(d) => tg.layers.averagePooling1d({ dataFormat: d as never }), [2, 3, 6]],
  MaxPooling2D: [(d) => tg.layers.maxPooling2d({ dataFormat: d as never }), [2, 3, 6, 4]],
  AveragePooling2D: [(d) => tg.layers.averagePooling2d({ dataFormat: d as never }), [2, 3, 6, 4]],
  MaxPooling3D: [(d) => tg.layers.maxPooling3d({ dataFormat: d as never }), [2, 3, 4, 4, 2]],
  AveragePooling3D: [(d) => tg.layers.averagePooling3d({ dataFormat: d as never }), [2, 3, 4, 4, 2]],
  GlobalMaxPooling1D: [(d) => tg.layers.globalMaxPooling1d({ dataFormat: d as never }), [2, 3, 6]],
  GlobalAveragePooling1D: [(d) => tg.layers.globalAveragePooling1d({ dataFormat: d as never }), [2, 3, 6]],
  GlobalMaxPooling2D: [(d) => tg.layers.globalMaxPooling2d({ dataFormat: d as never }), [2, 3, 6, 4]],
  GlobalAveragePooling2D: [(d) => tg.layers.globalAveragePooling2d({ dataFormat: d as never }), [2, 3, 6, 4]],
  GlobalMaxPooling3D: [(d) => tg.layers.globalMaxPooling3d({ dataFormat: d as never }), [2, 3, 4, 4, 2]],
  GlobalAveragePooling3D: [
    (d) => tg.layers.globalAveragePooling3d({ dataFormat: d as never }),
    [2, 3, 4, 4, 2],
  ],
  Flatten: [(d) => tg.layers.flatten({ dataFormat: d as never }), [2, 3, 2, 2]],
  SpatialDropout2D: [(d) => tg.layers.spatialDropout2d({ rate: 0.5, dataFormat: d as never }), [2, 3, 2, 2]],
  ZeroPadding2D: [(d) => tg.layers.zeroPadding2d({ dataFormat: d as never }), [2, 3, 2, 2]],
  Cropping2D: [(d) => tg.layers.cropping2d({ cropping: 1, dataFormat: d as never }), [2, 3, 4, 4]],
  UpSampling2D: [(d) => tg.layers.upSampling2d({ dataFormat: d as never }), [2, 3, 2, 2]],
  ZeroPadding3D: [(d) => tg.layers.zeroPadding3d({ dataFormat: d as never }), [2, 3, 2, 2, 2]],
  Cropping3D: [(d) => tg.layers.cropping3d({ cropping: 1, dataFormat: d as never }), [2, 3, 4, 4, 4]],
  UpSampling3D: [(d) => tg.layers.upSampling3d({ dataFormat: d as never }), [2, 3, 2, 2, 2]],
};

describe('dataFormat', () => {
  it('the table covers every exported layer class with a dataFormat option', () => {
    const withOption = Object.values(tg)
      .filter(
        (v): v is typeof tg.Layer =>
          typeof v === 'function' && v.prototype instanceof tg.Layer && !!(v as typeof tg.Layer).options,
      )
      .filter((c) => c.options!.includes('dataFormat'))
      .map((c) => c.className);
    expect(withOption.length).toBeGreaterThan(20);
    expect(withOption.filter((c) => !(c in cases))).toEqual([]);
  });

  for (const [cls, [make, shape]] of Object.entries(cases))
    it(`${cls}: 'channels_first' is 'channelsFirst', 'channels_last' is 'channelsLast', 'NCHW' is refused`, () => {
      const x = tg.tensor(
        uniform(
          shape.reduce((a, b) => a * b, 1),
          7,
        ),
        shape,
      );
      const ref = make('channelsFirst');
      const keras = make('channels_first');
      const y = ref.apply(x) as tg.Tensor;
      keras.build(x.shape);
      keras.setWeights(ref.getWeights());
      expect(Array.from((keras.apply(x) as tg.Tensor).data)).toEqual(Array.from(y.data));
      // Keras's channels_last spelling is accepted too
      const last = make('channels_last');
      expect(() => last.apply(x)).not.toThrow();
      if (ref.getConfig().data_format !== undefined)
        expect([keras.getConfig().data_format, last.getConfig().data_format]).toEqual([
          'channels_first',
          'channels_last',
        ]);
      for (const bad of ['NCHW', 'channels-first', 3]) {
        const msg =
          ` \\(${cls}\\): dataFormat must be 'channelsLast' or 'channelsFirst' \\(Keras: 'channels_last', ` +
          `'channels_first'\\), got ${typeof bad === 'string' ? `'${bad}'` : bad}$`;
        expect(() => make(bad)).toThrow(tg.ValueError);
        expect(() => make(bad)).toThrow(new RegExp(`^\\w+${msg}`));
      }
    });

  it('channels_first really is channels first: Conv2D on [1, 3, 8, 8] gives [1, 4, 6, 6] and a kernel for 3 channels', () => {
    const conv = tg.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channels_first' });
    expect((conv.apply(tg.zeros([1, 3, 8, 8])) as tg.Tensor).shape).toEqual([1, 4, 6, 6]);
    expect(conv.getWeights()[0].shape).toEqual([3, 3, 3, 4]);
    const pool = tg.layers.maxPooling2d({ dataFormat: 'channels_first' });
    expect((pool.apply(tg.zeros([1, 3, 8, 8])) as tg.Tensor).shape).toEqual([1, 3, 4, 4]);
  });
});
