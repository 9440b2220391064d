// Keras 1 layer configs → Keras 2 names and arguments (what Keras 2's legacy interfaces did on load).
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { type CfgWhere, type JsonObject, brief } from './cfg.js';
import { KerasImportError } from './errors.js';

/** Keras 1 class names that were renamed in Keras 2. */
const CLASS_RENAMES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  AtrousConvolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  AtrousConvolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  Deconvolution2D: 'Conv2DTranspose',
  SeparableConvolution2D: 'SeparableConv2D',
  TimeDistributedDense: 'Dense',
};

/** Keras 1 argument → Keras 2 argument, for every class (the same renames were used across classes). */
const ARG_RENAMES: Record<string, string> = {
  output_dim: 'units',
  nb_filter: 'filters',
  filter_length: 'kernel_size',
  subsample_length: 'strides',
  subsample: 'strides',
  border_mode: 'padding',
  dim_ordering: 'data_format',
  atrous_rate: 'dilation_rate',
  inner_activation: 'recurrent_activation',
  dropout_W: 'dropout',
  dropout_U: 'recurrent_dropout',
  pool_length: 'pool_size',
  stride: 'strides',
  bias: 'use_bias',
  init: 'kernel_initializer',
  inner_init: 'recurrent_initializer',
  W_regularizer: 'kernel_regularizer',
  U_regularizer: 'recurrent_regularizer',
  b_regularizer: 'bias_regularizer',
  W_constraint: 'kernel_constraint',
  U_constraint: 'recurrent_constraint',
  b_constraint: 'bias_constraint',
  sigma: 'stddev',
  beta_init: 'beta_initializer',
  gamma_init: 'gamma_initializer',
};

/** Keras 1 names of its L1/L2 regularizer (1.0/1.1 WeightRegularizer and ActivityRegularizer, 1.2 L1L2Regularizer). */
const KERAS1_L1L2 = new Set(['WeightRegularizer', 'ActivityRegularizer', 'L1L2Regularizer']);

/**
 * A Keras 1 regularizer config `{name, l1, l2}` in Keras 2's form `{class_name: 'L1L2', config: {l1, l2}}`; any other
 * Keras 1 regularizer keeps its name as class_name (the builder then notes it as not applied).
 */
function keras1Regularizer(v: JsonValue): JsonValue {
  if (!isJsonObject(v) || typeof v.name !== 'string' || 'class_name' in v) return v;
  const { name, ...rest } = v;
  if (!KERAS1_L1L2.has(name)) return { class_name: name, config: rest };
  return { class_name: 'L1L2', config: { l1: rest.l1 ?? 0, l2: rest.l2 ?? 0 } };
}

const SINGLE_AXIS_CLASSES = new Set(['MaxPooling1D', 'AveragePooling1D', 'UpSampling1D']);

/**
 * Convert one Keras 1 layer (class name + config) to its Keras 2 form. Unknown classes pass through unchanged (they
 * may be registered custom layers). Arguments that change what the layer computes and that Keras 2 dropped
 * (`mode` of BatchNormalization other than 0, `border_mode='full'`) are refused with a clear error.
 */
export function keras1ToKeras2(
  className: string,
  config: JsonObject,
  where: CfgWhere,
): { className: string; config: JsonObject } {
  const fail = (key: string, msg: string): never => {
    throw new KerasImportError(
      `${where.source}: layer '${where.layer}' (${className}, Keras 1): field '${key}': ${msg}`,
    );
  };
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(config)) {
    if (k === 'nb_row' || k === 'nb_col' || k === 'kernel_dim1' || k === 'kernel_dim2' || k === 'kernel_dim3')
      continue;
    if (k === 'forget_bias_init') {
      out.unit_forget_bias = v === 'one';
      continue;
    }
    if (k === 'mode' && className === 'BatchNormalization') {
      if (v !== 0 && v !== 1 && v !== 2 && v !== null)
        fail(k, `mode ${brief(v)} is not a Keras 1 BatchNormalization mode (0, 1 or 2)`);
      // NOTE: modes 1 (per sample) and 2 (batch statistics at test time too) have no Keras 2 class: nn/keras/layers/keras1.ts.
      if (v === 1 || v === 2) out.mode = v;
      continue;
    }
    if (k === 'p' && /Dropout/.test(className)) {
      out.rate = v;
      continue;
    }
    if (k === 'consume_less') {
      out.implementation = v === 'mem' ? 1 : v === 'gpu' ? 2 : 0;
      continue;
    }
    // NOTE: Keras 1's input_dtype is the dtype of the model input a layer creates, not of its weights (an int32
    // Embedding input keeps float32 embeddings); only an InputLayer takes it as its dtype.
    if (k === 'input_dtype' && className === 'InputLayer') {
      out.dtype = v;
      continue;
    }
    // NOTE: Keras 1 Embedding dropout drops whole rows of the table in training (Keras 2 has no such option).
    if (k === 'dropout' && className === 'Embedding') {
      if (v !== 0 && v !== null) out.dropout = v;
      continue;
    }
    // NOTE: output_dim means units everywhere in Keras 1 except Embedding, which kept the name in Keras 2.
    if (k === 'output_dim' && className === 'Embedding') {
      out.output_dim = v;
      continue;
    }
    if (k === 'length' && className === 'UpSampling1D') {
      out.size = v;
      continue;
    }
    // NOTE: Keras 2's legacy interface renamed Embedding's W_regularizer to embeddings_regularizer.
    if (k === 'W_regularizer' && className === 'Embedding') {
      out.embeddings_regularizer = keras1Regularizer(v);
      continue;
    }
    const nk = (Object.hasOwn(ARG_RENAMES, k) ? ARG_RENAMES[k] : undefined) ?? k;
    out[nk] = /_regularizer$/.test(nk) ? keras1Regularizer(v) : v;
  }
  let cls = (Object.hasOwn(CLASS_RENAMES, className) ? CLASS_RENAMES[className] : undefined) ?? className;
  // kernel sizes split over several fields
  if ('nb_row' in config || 'nb_col' in config)
    out.kernel_size = [config.nb_row ?? null, config.nb_col ?? null];
  if ('kernel_dim1' in config)
    out.kernel_size = [config.kernel_dim1 ?? null, config.kernel_dim2 ?? null, config.kernel_dim3 ?? null];
  if (SINGLE_AXIS_CLASSES.has(cls) || cls === 'Conv1D') {
    for (const k of ['pool_size', 'strides', 'kernel_size', 'dilation_rate'])
      if (typeof out[k] === 'number') out[k] = [out[k] as number];
  }
  if (out.padding === 'full') fail('border_mode', "'full' convolution is not supported (Keras 2 dropped it)");
  if ('data_format' in out) out.data_format = dimOrdering(out.data_format, fail);
  // Keras 1 gave some inputs as input_dim / input_length instead of batch_input_shape.
  if (!('batch_input_shape' in out) && typeof config.input_dim === 'number') {
    const len = config.input_length;
    const seq = /RNN|LSTM|GRU|Conv1D|Convolution1D|Embedding/.test(className);
    out.batch_input_shape =
      className === 'Embedding'
        ? [null, (len as number | null) ?? null]
        : seq
          ? [null, (len as number | null) ?? null, config.input_dim]
          : [null, config.input_dim];
  }
  if (cls === 'ZeroPadding2D' || cls === 'ZeroPadding1D')
    out.padding = keras1Padding(config.padding, cls, fail);
  if (cls === 'Merge') return mergeToKeras2(out, where, fail);
  if (cls === 'BatchNormalization' && 'mode' in out) cls = 'Keras1BatchNormalization';
  if (cls === 'Embedding' && 'dropout' in out) cls = 'Keras1Embedding';
  if (cls === 'TimeDistributed' || cls === 'Bidirectional') {
    const inner = out.layer;
    if (isJsonObject(inner) && typeof inner.class_name === 'string' && isJsonObject(inner.config)) {
      const conv = keras1ToKeras2(inner.class_name, inner.config, {
        ...where,
        layer: `${where.layer}/${String(inner.config.name ?? 'layer')}`,
      });
      out.layer = { ...inner, class_name: conv.className, config: conv.config };
    }
  }
  if (className === 'AtrousConvolution1D' || className === 'AtrousConvolution2D')
    cls = className === 'AtrousConvolution1D' ? 'Conv1D' : 'Conv2D';
  if (className === 'Deconvolution2D') delete out.output_shape;
  return { className: cls, config: out };
}

function dimOrdering(v: JsonValue, fail: (k: string, m: string) => never): JsonValue {
  if (v === 'th' || v === 'channels_first') return 'channels_first';
  if (v === 'tf' || v === 'channels_last' || v === 'default' || v === null) return 'channels_last';
  return fail('dim_ordering', `${brief(v)} is not 'th' or 'tf'`);
}

/** Keras 1 ZeroPadding: int, tuple, 4-tuple (top, bottom, left, right), or a dict of named pads. */
function keras1Padding(
  p: JsonValue | undefined,
  cls: string,
  fail: (k: string, m: string) => never,
): JsonValue {
  if (p === undefined) return cls === 'ZeroPadding1D' ? 1 : [1, 1];
  if (isJsonObject(p)) {
    const g = (k: string): number => (typeof p[k] === 'number' ? (p[k] as number) : 0);
    if (cls === 'ZeroPadding1D') return [g('left_pad'), g('right_pad')];
    return [
      [g('top_pad'), g('bottom_pad')],
      [g('left_pad'), g('right_pad')],
    ];
  }
  if (Array.isArray(p) && p.length === 4 && cls === 'ZeroPadding2D')
    return [
      [p[0], p[1]],
      [p[2], p[3]],
    ];
  if (typeof p === 'number' || Array.isArray(p)) return p;
  return fail('padding', `expected an int, a tuple or a dict of pads, got ${brief(p)}`);
}

/** The Keras 1 `Merge` layer becomes the matching Keras 2 merge layer. */
function mergeToKeras2(
  c: JsonObject,
  where: CfgWhere,
  fail: (k: string, m: string) => never,
): { className: string; config: JsonObject } {
  const mode = c.mode ?? 'sum';
  const base: JsonObject = { name: c.name ?? where.layer, trainable: c.trainable ?? true };
  if (Array.isArray(c.layers) && c.layers.length)
    fail(
      'layers',
      'a Merge of branch models (Sequential-of-Sequentials) is not supported; re-save the model as a functional Model',
    );
  switch (mode) {
    case 'sum':
      return { className: 'Add', config: base };
    case 'mul':
      return { className: 'Multiply', config: base };
    case 'ave':
      return { className: 'Average', config: base };
    case 'max':
      return { className: 'Maximum', config: base };
    case 'concat':
      return { className: 'Concatenate', config: { ...base, axis: c.concat_axis ?? -1 } };
    case 'dot':
      return { className: 'Dot', config: { ...base, axes: c.dot_axes ?? -1, normalize: false } };
    case 'cos':
      return { className: 'Keras1CosineMerge', config: { ...base, dot_axes: c.dot_axes ?? -1 } };
    default:
      return fail(
        'mode',
        `merge mode ${brief(mode)} is not supported (supported: sum, mul, ave, max, concat, dot, cos)`,
      );
  }
}
