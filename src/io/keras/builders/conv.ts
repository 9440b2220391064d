// Builders for convolution, pooling, padding, cropping and upsampling layers, and conv-kernel conversions.
import { Conv1D, Conv2D } from '../../../nn/keras/layers/conv.js';
import {
  Conv2DTranspose,
  DepthwiseConv2D,
  SeparableConv2D,
} from '../../../nn/keras/layers/conv-depthwise-transpose.js';
import {
  AveragePooling1D,
  AveragePooling2D,
  GlobalAveragePooling1D,
  GlobalAveragePooling2D,
  GlobalMaxPooling1D,
  GlobalMaxPooling2D,
  MaxPooling1D,
  MaxPooling2D,
} from '../../../nn/keras/layers/pooling.js';
import {
  Cropping1D,
  Cropping2D,
  UpSampling1D,
  UpSampling2D,
  ZeroPadding1D,
  ZeroPadding2D,
} from '../../../nn/keras/layers/reshaping.js';
import { activationOf } from '../activations.js';
import type { LayerCfg } from '../cfg.js';
import {
  AveragePooling3D,
  Conv3D,
  Cropping3D,
  GlobalAveragePooling3D,
  GlobalMaxPooling3D,
  MaxPooling3D,
  UpSampling3D,
  ZeroPadding3D,
} from '../../../nn/keras/layers/volumetric.js';
import { type NdWeight, flipNd, transposeNd } from '../ndarray.js';
import { type BuildCtx, type WeightConverter, type WeightCtx, defineLayers } from '../registry.js';
import { baseArgs, dataFormat, padPairs, pair, regularizerArgs } from './common.js';

const KERNEL_BIAS_ACTIVITY = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer'] as const;

const padding = (c: LayerCfg, causal = false) =>
  c.oneOf(
    'padding',
    causal ? (['valid', 'same', 'causal'] as const) : (['valid', 'same'] as const),
    'valid',
  ) as 'valid' | 'same' | 'causal';

function convCommon(c: LayerCfg, b: BuildCtx, rank: 1 | 2) {
  const groups = c.int('groups', 1, 1);
  return {
    ...baseArgs(c),
    filters: c.int('filters', undefined, 1),
    kernelSize: rank === 1 ? c.ints('kernel_size', 1, undefined, 1)[0] : pair(c, 'kernel_size', 1),
    strides: rank === 1 ? c.ints('strides', 1, 1, 1)[0] : pair(c, 'strides', 1),
    dilationRate: rank === 1 ? c.ints('dilation_rate', 1, 1, 1)[0] : pair(c, 'dilation_rate', 1),
    padding: padding(c, rank === 1) as 'valid' | 'same' | 'causal',
    dataFormat: dataFormat(c),
    activation: activationOf(c, 'activation', b.ctx),
    useBias: c.bool('use_bias', true),
    groups,
    ...regularizerArgs(c, b, KERNEL_BIAS_ACTIVITY),
  };
}

/** 3-tuples of a 3-D layer. */
const triple = (c: LayerCfg, key: string, def: number): [number, number, number] => {
  const v = c.ints(key, 3, def, 1);
  return [v[0], v[1], v[2]];
};

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Conv kernel conversions, as Keras's `preprocess_weights_for_loading`: Keras 1 layouts (Conv1D stored 4-D,
 * "th"-ordered kernels transposed), Theano kernels flipped spatially (Theano convolved, TensorFlow correlates),
 * and a (3, 2, 0, 1) transpose for kernels stored filters-first.
 */
function convKernel(cls: string): WeightConverter {
  return (ws: NdWeight[], w: WeightCtx): NdWeight[] => {
    if (!ws.length || !w.expected.length) return ws;
    let k = ws[0];
    const want = w.expected[0].shape;
    const first = w.cfg.data_format === 'channels_first';
    if (w.ctx.major === 1) {
      if (cls === 'Conv1D' && k.shape.length === 4) {
        // Keras 1.1 stored (filters, input_dim, length, 1); Keras 1.2 (length, 1, input_dim, filters)
        if (!(k.shape[1] === 1 && k.shape[0] === want[0]) && k.shape[3] === 1)
          k = transposeNd(k, [2, 3, 1, 0], 'Keras 1.1 Conv1D kernel (filters, in, length, 1) transposed');
        k = {
          ...k,
          shape: [k.shape[0], k.shape[2], k.shape[3]],
          notes: [...k.notes, 'Keras 1 Conv1D kernel (length, 1, in, filters) squeezed'],
        };
      }
      if (cls === 'Conv2D' && first && k.shape.length === 4)
        k = transposeNd(
          k,
          [2, 3, 1, 0],
          'Keras 1 "th" kernel (filters, in, rows, cols) → (rows, cols, in, filters)',
        );
      if (cls === 'Conv3D' && first && k.shape.length === 5)
        k = transposeNd(k, [2, 3, 4, 1, 0], 'Keras 1 "th" kernel → (d1, d2, d3, in, filters)');
      if (cls === 'Conv2DTranspose' && k.shape.length === 4)
        k = first
          ? transposeNd(k, [2, 3, 0, 1], 'Keras 1 "th" Deconvolution2D kernel transposed')
          : transposeNd(
              k,
              [0, 1, 3, 2],
              'Keras 1 Deconvolution2D kernel: (rows, cols, in, out) → (rows, cols, out, in)',
            );
    }
    if (w.ctx.backend === 'theano' && k.shape.length >= 3)
      k = flipNd(
        k,
        [...Array(k.shape.length - 2).keys()],
        'flipped spatially (Theano kernels are true convolutions)',
      );
    if (k.shape.length === 4 && !same(k.shape, want)) {
      const t = [k.shape[3], k.shape[2], k.shape[0], k.shape[1]];
      if (same(t, want))
        k = transposeNd(
          k,
          [3, 2, 0, 1],
          'kernel (filters, in, rows, cols) transposed to (rows, cols, in, filters)',
        );
    }
    return [k, ...ws.slice(1)];
  };
}

/**
 * Keras 1 "th" SeparableConvolution2D: depthwise (depth_multiplier, in, rows, cols) and pointwise (filters,
 * in·depth_multiplier, 1, 1), which its backend transposed (2, 3, 1, 0) to TensorFlow's (rows, cols, in, dm) and
 * (1, 1, in·dm, filters), the Keras 2 layout.
 */
const separableKernels: WeightConverter = (ws, w) => {
  if (w.ctx.major !== 1 || w.cfg.data_format !== 'channels_first') return ws;
  const t = (k: NdWeight) =>
    k.shape.length === 4
      ? transposeNd(k, [2, 3, 1, 0], 'Keras 1 "th" separable kernel transposed to (rows, cols, in, out)')
      : k;
  return ws.map((k, i) => (i < 2 ? t(k) : k));
};

const pool = (c: LayerCfg, rank: 1 | 2) => {
  const size = rank === 1 ? c.ints('pool_size', 1, 2, 1)[0] : pair(c, 'pool_size', 2);
  const st = c.raw('strides');
  const strides =
    st === null || st === undefined
      ? size
      : rank === 1
        ? c.ints('strides', 1, undefined, 1)[0]
        : pair(c, 'strides', 1);
  return {
    ...baseArgs(c),
    poolSize: size,
    strides,
    padding: padding(c) as 'valid' | 'same',
    dataFormat: dataFormat(c),
  };
};
const pool3 = (c: LayerCfg) => {
  const size = triple(c, 'pool_size', 2);
  const st = c.raw('strides');
  return {
    ...baseArgs(c),
    poolSize: size,
    strides: st === null || st === undefined ? size : triple(c, 'strides', 1),
    padding: padding(c) as 'valid' | 'same',
    dataFormat: dataFormat(c),
  };
};
const glob = (c: LayerCfg) => ({
  ...baseArgs(c),
  dataFormat: dataFormat(c),
  keepdims: c.bool('keepdims', false),
});

defineLayers({
  Conv1D: { build: (c, b) => new Conv1D(convCommon(c, b, 1)), convertWeights: convKernel('Conv1D') },
  Conv2D: {
    build: (c, b) => {
      const a = convCommon(c, b, 2);
      if (a.padding === 'causal') c.fail('padding', "'causal' padding is only for Conv1D");
      return new Conv2D({ ...a, padding: a.padding });
    },
    convertWeights: convKernel('Conv2D'),
  },
  Conv3D: {
    build: (c, b) => {
      if (c.int('groups', 1, 1) !== 1) c.fail('groups', 'grouped 3-D convolution is not supported');
      return new Conv3D({
        ...baseArgs(c),
        filters: c.int('filters', undefined, 1),
        kernelSize: triple(c, 'kernel_size', 1),
        strides: triple(c, 'strides', 1),
        dilationRate: triple(c, 'dilation_rate', 1),
        padding: padding(c) as 'valid' | 'same',
        dataFormat: dataFormat(c),
        activation: activationOf(c, 'activation', b.ctx),
        useBias: c.bool('use_bias', true),
        ...regularizerArgs(c, b, KERNEL_BIAS_ACTIVITY),
      });
    },
    convertWeights: convKernel('Conv3D'),
  },
  Conv2DTranspose: {
    build: (c, b) => {
      const op = c.raw('output_padding');
      return new Conv2DTranspose({
        ...baseArgs(c),
        filters: c.int('filters', undefined, 1),
        kernelSize: pair(c, 'kernel_size', 1),
        strides: pair(c, 'strides', 1),
        padding: padding(c) as 'valid' | 'same',
        outputPadding: op === null || op === undefined ? null : pair(c, 'output_padding', 0, 0),
        dataFormat: dataFormat(c),
        dilationRate: pair(c, 'dilation_rate', 1),
        activation: activationOf(c, 'activation', b.ctx),
        useBias: c.bool('use_bias', true),
        ...regularizerArgs(c, b, KERNEL_BIAS_ACTIVITY),
      });
    },
    convertWeights: convKernel('Conv2DTranspose'),
  },
  DepthwiseConv2D: {
    build: (c, b) =>
      new DepthwiseConv2D({
        ...baseArgs(c),
        kernelSize: pair(c, 'kernel_size', 1),
        strides: pair(c, 'strides', 1),
        padding: padding(c) as 'valid' | 'same',
        depthMultiplier: c.int('depth_multiplier', 1, 1),
        dataFormat: dataFormat(c),
        dilationRate: pair(c, 'dilation_rate', 1),
        activation: activationOf(c, 'activation', b.ctx),
        useBias: c.bool('use_bias', true),
        ...regularizerArgs(c, b, ['depthwiseRegularizer', 'biasRegularizer', 'activityRegularizer']),
      }),
  },
  SeparableConv2D: {
    build: (c, b) =>
      new SeparableConv2D({
        ...baseArgs(c),
        filters: c.int('filters', undefined, 1),
        kernelSize: pair(c, 'kernel_size', 1),
        strides: pair(c, 'strides', 1),
        padding: padding(c) as 'valid' | 'same',
        depthMultiplier: c.int('depth_multiplier', 1, 1),
        dataFormat: dataFormat(c),
        dilationRate: pair(c, 'dilation_rate', 1),
        activation: activationOf(c, 'activation', b.ctx),
        useBias: c.bool('use_bias', true),
        ...regularizerArgs(c, b, [
          'depthwiseRegularizer',
          'pointwiseRegularizer',
          'biasRegularizer',
          'activityRegularizer',
        ]),
      }),
    convertWeights: separableKernels,
  },
  MaxPooling1D: { build: (c) => new MaxPooling1D(pool(c, 1)) },
  AveragePooling1D: { build: (c) => new AveragePooling1D(pool(c, 1)) },
  MaxPooling2D: { build: (c) => new MaxPooling2D(pool(c, 2)) },
  AveragePooling2D: { build: (c) => new AveragePooling2D(pool(c, 2)) },
  MaxPooling3D: { build: (c) => new MaxPooling3D(pool3(c)) },
  AveragePooling3D: { build: (c) => new AveragePooling3D(pool3(c)) },
  GlobalMaxPooling1D: { build: (c) => new GlobalMaxPooling1D(glob(c)) },
  GlobalAveragePooling1D: { build: (c) => new GlobalAveragePooling1D(glob(c)) },
  GlobalMaxPooling2D: { build: (c) => new GlobalMaxPooling2D(glob(c)) },
  GlobalAveragePooling2D: { build: (c) => new GlobalAveragePooling2D(glob(c)) },
  GlobalMaxPooling3D: { build: (c) => new GlobalMaxPooling3D(glob(c)) },
  GlobalAveragePooling3D: { build: (c) => new GlobalAveragePooling3D(glob(c)) },
  ZeroPadding1D: {
    build: (c) => {
      // NOTE: Keras 3 added data_format to ZeroPadding1D; channels_first (padding axis 2) is refused by name (oneOf).
      c.oneOf('data_format', ['channels_last'], 'channels_last');
      return new ZeroPadding1D({ ...baseArgs(c), padding: padPairs(c, 'padding', 1, 1)[0] });
    },
  },
  ZeroPadding2D: {
    build: (c) =>
      new ZeroPadding2D({
        ...baseArgs(c),
        padding: padPairs(c, 'padding', 2, 1) as [[number, number], [number, number]],
        dataFormat: dataFormat(c),
      }),
  },
  ZeroPadding3D: {
    build: (c) =>
      new ZeroPadding3D({ ...baseArgs(c), padding: padPairs(c, 'padding', 3, 1), dataFormat: dataFormat(c) }),
  },
  Cropping1D: {
    build: (c) => {
      c.oneOf('data_format', ['channels_last'], 'channels_last');
      return new Cropping1D({ ...baseArgs(c), cropping: padPairs(c, 'cropping', 1, 1)[0] });
    },
  },
  Cropping2D: {
    build: (c) =>
      new Cropping2D({
        ...baseArgs(c),
        cropping: padPairs(c, 'cropping', 2, 0) as [[number, number], [number, number]],
        dataFormat: dataFormat(c),
      }),
  },
  Cropping3D: {
    build: (c) =>
      new Cropping3D({ ...baseArgs(c), cropping: padPairs(c, 'cropping', 3, 1), dataFormat: dataFormat(c) }),
  },
  UpSampling1D: { build: (c) => new UpSampling1D({ ...baseArgs(c), size: c.ints('size', 1, 2, 1)[0] }) },
  UpSampling2D: {
    build: (c, b) => {
      const interpolation = c.oneOf('interpolation', ['nearest', 'bilinear'] as const, 'nearest');
      // NOTE: before TF 2 (Keras ≤ 2.3, tf.keras 2.2.x), bilinear resizing sampled without half-pixel centres.
      if (interpolation === 'bilinear' && b.ctx.major < 3 && !/^2\.([4-9]|\d\d)/.test(b.ctx.version ?? ''))
        c.fail(
          'interpolation',
          `'bilinear' from Keras ${b.ctx.version ?? '2'} (corner-aligned sampling of TF 1) is not supported; only Keras ≥ 2.4 / 3 (half-pixel centres)`,
        );
      return new UpSampling2D({
        ...baseArgs(c),
        size: pair(c, 'size', 2),
        dataFormat: dataFormat(c),
        interpolation,
      });
    },
  },
  UpSampling3D: {
    build: (c) => new UpSampling3D({ ...baseArgs(c), size: triple(c, 'size', 2), dataFormat: dataFormat(c) }),
  },
});
