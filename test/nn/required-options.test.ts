// Options a layer cannot do without (Keras's required arguments): leaving one out is a ValueError naming the layer and
// the option, not a bare TypeError or a silent default (Activation became linear, DepthwiseConv2D a 1×1 kernel).
// And SpatialDropout1D is its own class, as in Keras's summary.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

beforeEach(() => tg.resetLayerNames());

const make = tg.layers as unknown as Record<string, (a?: unknown) => tg.Layer>;

describe('required options', () => {
  const cases: [string, Record<string, unknown> | undefined, string, string][] = [
    ['dense', undefined, 'Dense', 'units'],
    ['dense', {}, 'Dense', 'units'],
    ['activation', {}, 'Activation', 'activation'],
    ['dropout', {}, 'Dropout', 'rate'],
    ['alphaDropout', {}, 'AlphaDropout', 'rate'],
    ['spatialDropout1d', {}, 'SpatialDropout1D', 'rate'],
    ['spatialDropout2d', {}, 'SpatialDropout2D', 'rate'],
    ['reshape', {}, 'Reshape', 'targetShape'],
    ['permute', {}, 'Permute', 'dims'],
    ['repeatVector', {}, 'RepeatVector', 'n'],
    ['depthwiseConv2d', {}, 'DepthwiseConv2D', 'kernelSize'],
    ['separableConv2d', { filters: 2 }, 'SeparableConv2D', 'kernelSize'],
    ['conv2dTranspose', { kernelSize: 2 }, 'Conv2DTranspose', 'filters'],
    ['conv2dTranspose', { filters: 2 }, 'Conv2DTranspose', 'kernelSize'],
    ['conv3d', { filters: 2 }, 'Conv3D', 'kernelSize'],
  ];
  for (const [factory, args, cls, key] of cases)
    it(`${factory}(${args ? JSON.stringify(args) : ''}) names ${key}`, () => {
      expect(() => make[factory](args)).toThrow(new tg.ValueError(`${cls}: the option '${key}' is required`));
    });

  it('a name given is in the message too', () => {
    expect(() => tg.layers.reshape({ name: 'to_image' } as never)).toThrow(
      new tg.ValueError("to_image (Reshape): the option 'targetShape' is required"),
    );
  });
  it('the options given still build the layer', () => {
    expect(tg.layers.activation({ activation: 'relu' }).apply(tg.tensor([-1, 2], [1, 2]))).toBeInstanceOf(
      tg.Tensor,
    );
    expect(tg.layers.depthwiseConv2d({ kernelSize: 3 }).apply(tg.zeros([1, 4, 4, 2]))).toBeInstanceOf(
      tg.Tensor,
    );
  });
});

describe('SpatialDropout1D', () => {
  it('is its own class: summary row, default name, className, and rank-3 input', () => {
    const sd = tg.layers.spatialDropout1d({ rate: 0.2, inputShape: [5, 3] });
    expect(sd.className).toBe('SpatialDropout1D');
    expect(sd).toBeInstanceOf(tg.SpatialDropout);
    const m = tg.sequential({ layers: [sd] });
    expect(m.summary({ print: false })).toContain('spatial_dropout1d (SpatialDropout1D)');
    expect(() => sd.apply(tg.zeros([2, 5, 3, 1]))).toThrow(
      /spatial_dropout1d \(SpatialDropout1D\): expected input of rank 3/,
    );
    // Keras's SpatialDropout1D has no data_format
    expect(() => tg.layers.spatialDropout1d({ rate: 0.2, dataFormat: 'channelsFirst' } as never)).toThrow(
      /SpatialDropout1D: unknown option 'dataFormat'/,
    );
    expect(tg.layers.spatialDropout2d({ rate: 0.2 }).className).toBe('SpatialDropout2D');
  });
});
