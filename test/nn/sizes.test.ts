// Zero or negative sizes (kernel sizes, strides, dilations, units, filters, pool sizes) are refused by name, in the
// API and in Keras configs; and a channels-first input to a channels-last conv gets a layout hint.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

describe('the API refuses zero and negative sizes, naming the layer and the option', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'conv2d kernelSize 0',
      () => tg.layers.conv2d({ filters: 2, kernelSize: 0 }),
      /Conv2D: kernelSize must be a positive integer/,
    ],
    [
      'conv2d kernelSize [0, 0]',
      () => tg.layers.conv2d({ filters: 2, kernelSize: [0, 0] }),
      /Conv2D: kernelSize .*got \[0,0\]/,
    ],
    [
      'conv2d kernelSize [3, -1]',
      () => tg.layers.conv2d({ filters: 2, kernelSize: [3, -1] }),
      /Conv2D: kernelSize/,
    ],
    [
      'conv2d strides 0',
      () => tg.layers.conv2d({ filters: 2, kernelSize: 3, strides: 0 }),
      /Conv2D: strides must be/,
    ],
    [
      'conv2d dilationRate [1, 0]',
      () => tg.layers.conv2d({ filters: 2, kernelSize: 3, dilationRate: [1, 0] }),
      /Conv2D: dilationRate/,
    ],
    [
      'conv2d filters 0',
      () => tg.layers.conv2d({ filters: 0, kernelSize: 3 }),
      /Conv2D: filters must be a positive integer/,
    ],
    [
      'conv2d groups 0',
      () => tg.layers.conv2d({ filters: 2, kernelSize: 3, groups: 0 }),
      /Conv2D: groups must be/,
    ],
    [
      'conv2d without kernelSize',
      () => tg.layers.conv2d({ filters: 2 } as tg.ConvArgs),
      /Conv2D: kernelSize is required/,
    ],
    ['conv1d kernelSize -2', () => tg.layers.conv1d({ filters: 2, kernelSize: -2 }), /Conv1D: kernelSize/],
    [
      'conv1d strides 0',
      () => tg.layers.conv1d({ filters: 2, kernelSize: 2, strides: 0 }),
      /Conv1D: strides/,
    ],
    ['dense units 0', () => tg.layers.dense({ units: 0 }), /Dense: units must be a positive integer/],
    ['dense units -3', () => tg.layers.dense({ units: -3 }), /Dense: units/],
    ['lstm units 0', () => tg.layers.lstm({ units: 0 }), /LSTM: units/],
    [
      'maxPooling2d poolSize 0',
      () => tg.layers.maxPooling2d({ poolSize: 0 }),
      /MaxPooling2D: poolSize must be/,
    ],
    [
      'maxPooling2d poolSize [2, 0]',
      () => tg.layers.maxPooling2d({ poolSize: [2, 0] }),
      /MaxPooling2D: poolSize/,
    ],
    [
      'averagePooling2d strides -1',
      () => tg.layers.averagePooling2d({ strides: -1 }),
      /AveragePooling2D: strides/,
    ],
    ['maxPooling1d poolSize 0', () => tg.layers.maxPooling1d({ poolSize: 0 }), /MaxPooling1D: poolSize/],
    [
      'depthwiseConv2d kernelSize 0',
      () => tg.layers.depthwiseConv2d({ kernelSize: 0 }),
      /DepthwiseConv2D: kernelSize/,
    ],
    [
      'separableConv2d strides 0',
      () => tg.layers.separableConv2d({ filters: 1, kernelSize: 1, strides: 0 }),
      /SeparableConv2D: strides/,
    ],
    [
      'conv2dTranspose kernelSize [0, 0]',
      () => tg.layers.conv2dTranspose({ filters: 1, kernelSize: [0, 0] }),
      /Conv2DTranspose: kernelSize/,
    ],
    [
      'embedding outputDim 0',
      () => tg.layers.embedding({ inputDim: 3, outputDim: 0 }),
      /Embedding: outputDim/,
    ],
  ];
  for (const [what, make, msg] of cases)
    it(what, () => {
      expect(make).toThrow(tg.ValueError);
      expect(make).toThrow(msg);
    });
});

describe('Keras configs with zero or negative sizes are refused, naming the layer and the field', () => {
  const seq = (cls: string, config: Record<string, unknown>, shape: (number | null)[]) => ({
    class_name: 'Sequential',
    config: {
      name: 's',
      layers: [{ class_name: cls, config: { name: 'bad', batch_input_shape: shape, ...config } }],
    },
  });
  const cases: [string, ReturnType<typeof seq>, string][] = [
    [
      'Conv2D kernel_size [0, 0]',
      seq('Conv2D', { filters: 2, kernel_size: [0, 0] }, [null, 5, 5, 1]),
      'kernel_size',
    ],
    [
      'Conv2D strides 0',
      seq('Conv2D', { filters: 2, kernel_size: 3, strides: [0, 1] }, [null, 5, 5, 1]),
      'strides',
    ],
    [
      'Conv2D dilation_rate -1',
      seq('Conv2D', { filters: 2, kernel_size: 3, dilation_rate: -1 }, [null, 5, 5, 1]),
      'dilation_rate',
    ],
    ['Conv2D filters 0', seq('Conv2D', { filters: 0, kernel_size: 3 }, [null, 5, 5, 1]), 'filters'],
    ['Conv1D kernel_size [0]', seq('Conv1D', { filters: 2, kernel_size: [0] }, [null, 5, 1]), 'kernel_size'],
    [
      'MaxPooling2D pool_size [0, 0]',
      seq('MaxPooling2D', { pool_size: [0, 0] }, [null, 5, 5, 1]),
      'pool_size',
    ],
    [
      'AveragePooling1D strides 0',
      seq('AveragePooling1D', { pool_size: 2, strides: 0 }, [null, 5, 1]),
      'strides',
    ],
    ['Dense units 0', seq('Dense', { units: 0 }, [null, 3]), 'units'],
    ['LSTM units -1', seq('LSTM', { units: -1 }, [null, 4, 3]), 'units'],
    [
      'DepthwiseConv2D kernel_size 0',
      seq('DepthwiseConv2D', { kernel_size: 0 }, [null, 5, 5, 1]),
      'kernel_size',
    ],
    [
      'Conv2DTranspose strides [0, 0]',
      seq('Conv2DTranspose', { filters: 1, kernel_size: 2, strides: [0, 0] }, [null, 5, 5, 1]),
      'strides',
    ],
    [
      'Keras 1 Convolution2D nb_row 0',
      seq('Convolution2D', { nb_filter: 2, nb_row: 0, nb_col: 3 }, [null, 5, 5, 1]),
      'kernel_size',
    ],
  ];
  for (const [what, cfg, field] of cases)
    it(what, () => {
      expect(() => tg.keras.modelFromJson(cfg)).toThrow(tg.KerasImportError);
      expect(() => tg.keras.modelFromJson(cfg)).toThrow(
        new RegExp(`layer 'bad' \\(\\w+\\): field '${field}'`),
      );
    });
});

describe('layout hints for Keras-style convolutions', () => {
  it('a channels-first image into a channels-last Conv2D says so and how to fix it', () => {
    const c = tg.layers.conv2d({ filters: 2, kernelSize: 5 });
    expect(() => c.apply(tg.zeros([1, 3, 28, 28]))).toThrow(
      "looks channels-first, but this layer is channels-last [batch, height, width, channels]: tg.transpose(x, [0,2,3,1]) gives [1,28,28,3], or build the layer with dataFormat: 'channelsFirst'",
    );
  });
  it('the opposite mistake (channels-last into channelsFirst) and Conv1D too', () => {
    const c = tg.layers.conv2d({ filters: 2, kernelSize: 5, dataFormat: 'channelsFirst' });
    expect(() => c.apply(tg.zeros([1, 28, 28, 3]))).toThrow(
      /looks channels-last.*tg\.transpose\(x, \[0,3,1,2\]\) gives \[1,3,28,28\]/,
    );
    const c1 = tg.layers.conv1d({ filters: 2, kernelSize: 5 });
    expect(() => c1.apply(tg.zeros([1, 3, 28]))).toThrow(/looks channels-first.*gives \[1,28,3\]/);
  });
  it('no layout hint when the input is simply too small', () => {
    const c = tg.layers.conv2d({ filters: 2, kernelSize: 5 });
    expect(() => c.apply(tg.zeros([1, 3, 3, 8]))).toThrow(/larger than/);
    expect(() => tg.layers.conv2d({ filters: 2, kernelSize: 5 }).apply(tg.zeros([1, 3, 3, 8]))).not.toThrow(
      /looks channels/,
    );
  });
});
