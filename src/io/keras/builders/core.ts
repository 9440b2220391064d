// Builders for core, activation, noise, normalization, embedding and merge layers.
import {
  Activation,
  Dense,
  Dropout,
  Flatten,
  Permute,
  RepeatVector,
  Reshape,
  SpatialDropout,
  SpatialDropout1D,
  SpatialDropout3D,
} from '../../../nn/keras/layers/core.js';
import {
  ELU,
  LeakyReLU,
  PReLU,
  ReLU,
  Softmax,
  ThresholdedReLU,
} from '../../../nn/keras/layers/advanced-activations.js';
import { Embedding } from '../../../nn/keras/layers/embedding.js';
import {
  Add,
  Average,
  Concatenate,
  Dot,
  Maximum,
  Minimum,
  Multiply,
  Subtract,
} from '../../../nn/keras/layers/merge.js';
import { GaussianDropout, GaussianNoise } from '../../../nn/keras/layers/noise.js';
import { BatchNormalization, LayerNormalization } from '../../../nn/keras/layers/normalization.js';
import { activationOf } from '../activations.js';
import type { LayerCfg } from '../cfg.js';
import { KerasImportError } from '../errors.js';
import {
  ActivityRegularization,
  AlphaDropout,
  Masking,
} from '../../../nn/keras/layers/masking-regularization.js';
import { regularizersOf, tfKerasActivity } from '../../../nn/regularizers.js';
import { defineLayers } from '../registry.js';
import { baseArgs, dataFormat, isTfKeras, regularizerArgs } from './common.js';

/** Dropout-like rates: Keras 2 `rate` (Keras 1 `p` was renamed earlier). */
const rate = (c: LayerCfg): number => {
  const r = c.num('rate', 0);
  if (!(r >= 0 && r < 1)) c.fail('rate', `must be in [0, 1), got ${r}`);
  return r;
};

/** One axis (BatchNormalization may store `axis` as a one-element list). */
function singleAxis(c: LayerCfg, def: number): number {
  const v = c.raw('axis');
  if (v === undefined || v === null) return def;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (Array.isArray(v) && v.length === 1 && typeof v[0] === 'number' && Number.isInteger(v[0])) return v[0];
  return c.fail('axis', `expected one integer axis, got ${JSON.stringify(v)}`);
}

const refuseLambda = (c: LayerCfg): never => {
  const fn = c.raw('function');
  const ftype = c.raw('function_type');
  const what =
    ftype === 'lambda' || (Array.isArray(fn) && typeof fn[0] === 'string')
      ? 'Python bytecode (a marshalled lambda)'
      : `a Python function reference (${JSON.stringify(fn)})`;
  throw new KerasImportError(
    `${c.prefix}: a Lambda layer holds ${what}, which tapegrad never runs. ` +
      `Register an implementation by layer name: keras.registerLayer('${c.where.layer}', (x, weights, config) => ...), then load again.`,
  );
};

defineLayers({
  Dense: {
    build: (c, b) =>
      new Dense({
        ...baseArgs(c),
        units: c.int('units', undefined, 1),
        activation: activationOf(c, 'activation', b.ctx),
        useBias: c.bool('use_bias', true),
        ...regularizerArgs(c, b, ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer']),
      }),
  },
  Activation: {
    build: (c, b) => new Activation({ ...baseArgs(c), activation: activationOf(c, 'activation', b.ctx) }),
  },
  Dropout: {
    build: (c) => {
      const ns = c.shape('noise_shape');
      return new Dropout({ ...baseArgs(c), rate: rate(c), ...(ns ? { noiseShape: ns } : {}) });
    },
  },
  SpatialDropout1D: {
    build: (c) => (c.touch('noise_shape'), new SpatialDropout1D({ ...baseArgs(c), rate: rate(c) })),
  },
  SpatialDropout2D: {
    build: (c) => (
      c.touch('noise_shape'),
      new SpatialDropout({ ...baseArgs(c), rate: rate(c), dataFormat: dataFormat(c) })
    ),
  },
  SpatialDropout3D: {
    build: (c) => (
      c.touch('noise_shape'),
      new SpatialDropout3D({ ...baseArgs(c), rate: rate(c), dataFormat: dataFormat(c) })
    ),
  },
  AlphaDropout: {
    build: (c) => {
      const ns = c.shape('noise_shape');
      return new AlphaDropout({ ...baseArgs(c), rate: rate(c), ...(ns ? { noiseShape: ns } : {}) });
    },
  },
  GaussianDropout: { build: (c) => new GaussianDropout({ ...baseArgs(c), rate: rate(c) }) },
  GaussianNoise: { build: (c) => new GaussianNoise({ ...baseArgs(c), stddev: c.num('stddev', 0) }) },
  ActivityRegularization: {
    build: (c, b) => {
      const l = new ActivityRegularization({ ...baseArgs(c), l1: c.num('l1', 0), l2: c.num('l2', 0) });
      // NOTE: tf.keras divides the penalty by the batch size (nn/regularizers.ts)
      if (isTfKeras(b)) tfKerasActivity(regularizersOf(l).activityRegularizer);
      return l;
    },
  },
  Flatten: { build: (c) => new Flatten({ ...baseArgs(c), dataFormat: dataFormat(c) }) },
  Reshape: {
    build: (c) => {
      const t = c.raw('target_shape');
      if (
        !Array.isArray(t) ||
        t.some((d) => typeof d !== 'number' || !Number.isInteger(d) || (d < 1 && d !== -1))
      )
        c.fail(
          'target_shape',
          `expected a list of positive integers (one may be -1), got ${JSON.stringify(t)}`,
        );
      return new Reshape({ ...baseArgs(c), targetShape: t as number[] });
    },
  },
  Permute: {
    build: (c) => {
      const d = c.raw('dims');
      if (!Array.isArray(d) || d.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1))
        c.fail('dims', `expected a list of 1-based axes, got ${JSON.stringify(d)}`);
      return new Permute({ ...baseArgs(c), dims: d as number[] });
    },
  },
  RepeatVector: { build: (c) => new RepeatVector({ ...baseArgs(c), n: c.int('n', undefined, 1) }) },
  Masking: {
    build: (c) => {
      return new Masking({ ...baseArgs(c), maskValue: c.num('mask_value', 0) });
    },
  },
  Lambda: { build: refuseLambda },
  LeakyReLU: {
    build: (c) => {
      // NOTE: Keras 2 / TF.js call the slope `alpha` (default 0.3); Keras 3 `negative_slope` (default 0.3).
      const s = c.has('negative_slope') ? c.num('negative_slope') : c.num('alpha', 0.3);
      c.touch('alpha', 'negative_slope');
      return new LeakyReLU({ ...baseArgs(c), negativeSlope: s });
    },
  },
  PReLU: {
    build: (c, b) => {
      const regs = regularizerArgs(c, b, ['alphaRegularizer']);
      const s = c.raw('shared_axes');
      if (
        s !== undefined &&
        s !== null &&
        typeof s !== 'number' &&
        !(Array.isArray(s) && s.every((a) => typeof a === 'number'))
      )
        c.fail('shared_axes', `expected null, an axis or a list of axes, got ${JSON.stringify(s)}`);
      return new PReLU({ ...baseArgs(c), ...regs, sharedAxes: (s ?? null) as number | number[] | null });
    },
  },
  ELU: { build: (c) => new ELU({ ...baseArgs(c), alpha: c.num('alpha', 1) }) },
  ReLU: {
    build: (c) =>
      new ReLU({
        ...baseArgs(c),
        maxValue: c.numOrNull('max_value'),
        negativeSlope: c.num('negative_slope', 0),
        threshold: c.num('threshold', 0),
      }),
  },
  ThresholdedReLU: { build: (c) => new ThresholdedReLU({ ...baseArgs(c), theta: c.num('theta', 1) }) },
  Softmax: { build: (c) => new Softmax({ ...baseArgs(c), axis: singleAxis(c, -1) }) },
  Embedding: {
    build: (c, b) => {
      const len = c.raw('input_length');
      const args = baseArgs(c);
      if (!args.batchInputShape && typeof len === 'number') args.batchInputShape = [null, len];
      return new Embedding({
        ...args,
        inputDim: c.int('input_dim', undefined, 1),
        outputDim: c.int('output_dim', undefined, 1),
        maskZero: c.bool('mask_zero', false),
        ...regularizerArgs(c, b, ['embeddingsRegularizer', 'activityRegularizer']),
      });
    },
  },
  BatchNormalization: {
    build: (c, b) => {
      const args = {
        ...baseArgs(c),
        ...regularizerArgs(c, b, ['gammaRegularizer', 'betaRegularizer']),
        axis: singleAxis(c, -1),
        momentum: c.num('momentum', 0.99),
        epsilon: c.num('epsilon', 1e-3),
        center: c.bool('center', true),
        scale: c.bool('scale', true),
      };
      if (!(args.epsilon > 0)) c.fail('epsilon', `must be positive, got ${args.epsilon}`);
      return new BatchNormalization(args);
    },
  },
  LayerNormalization: {
    build: (c, b) => {
      const regs = regularizerArgs(c, b, ['gammaRegularizer', 'betaRegularizer']);
      const a = c.raw('axis');
      const axis =
        a === undefined || a === null
          ? -1
          : typeof a === 'number'
            ? a
            : Array.isArray(a) && a.every((x) => typeof x === 'number')
              ? (a as number[])
              : c.fail('axis', `expected an axis or list of axes, got ${JSON.stringify(a)}`);
      if (c.bool('rms_scaling', false)) c.fail('rms_scaling', 'RMS scaling is not supported');
      return new LayerNormalization({
        ...baseArgs(c),
        ...regs,
        axis,
        epsilon: c.num('epsilon', 1e-3),
        center: c.bool('center', true),
        scale: c.bool('scale', true),
      });
    },
  },
  Add: { build: (c) => new Add(baseArgs(c)) },
  Subtract: { build: (c) => new Subtract(baseArgs(c)) },
  Multiply: { build: (c) => new Multiply(baseArgs(c)) },
  Average: { build: (c) => new Average(baseArgs(c)) },
  Maximum: { build: (c) => new Maximum(baseArgs(c)) },
  Minimum: { build: (c) => new Minimum(baseArgs(c)) },
  Concatenate: { build: (c) => new Concatenate({ ...baseArgs(c), axis: c.int('axis', -1) }) },
  Dot: {
    build: (c) => {
      const a = c.raw('axes');
      const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x);
      let axes: number | [number, number];
      if (isInt(a)) axes = a;
      else if (Array.isArray(a) && a.length === 2 && a.every(isInt)) axes = [a[0] as number, a[1] as number];
      else return c.fail('axes', `expected an axis or a pair of axes, got ${JSON.stringify(a)}`);
      return new Dot({ ...baseArgs(c), axes, normalize: c.bool('normalize', false) });
    },
  },
});
