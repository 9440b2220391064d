// One layer entry of any Keras version → canonical form: Keras 2 class name and snake_case Keras 2 arguments.
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { type JsonObject, brief } from './cfg.js';
import type { KerasContext } from './context.js';
import { KerasImportError } from './errors.js';
import { keras1ToKeras2 } from './keras1.js';

/** Class names of tf.keras / Keras 3 / old aliases → the name the importer implements. */
export const CLASS_ALIASES: Record<string, string> = {
  Convolution1D: 'Conv1D',
  Convolution2D: 'Conv2D',
  Convolution3D: 'Conv3D',
  SeparableConvolution1D: 'SeparableConv1D',
  SeparableConvolution2D: 'SeparableConv2D',
  Convolution2DTranspose: 'Conv2DTranspose',
  Deconvolution2D: 'Conv2DTranspose',
  Conv3DTranspose: 'Conv3DTranspose',
  DepthwiseConvolution2D: 'DepthwiseConv2D',
  BatchNormalizationV1: 'BatchNormalization',
  BatchNormalizationV2: 'BatchNormalization',
  SyncBatchNormalization: 'BatchNormalization',
  UnifiedLSTM: 'LSTM',
  UnifiedGRU: 'GRU',
  LSTMV2: 'LSTM',
  GRUV2: 'GRU',
  LSTMV1: 'LSTM',
  GRUV1: 'GRU',
  MaxPool1D: 'MaxPooling1D',
  MaxPool2D: 'MaxPooling2D',
  MaxPool3D: 'MaxPooling3D',
  AvgPool1D: 'AveragePooling1D',
  AvgPool2D: 'AveragePooling2D',
  AvgPool3D: 'AveragePooling3D',
  GlobalMaxPool1D: 'GlobalMaxPooling1D',
  GlobalMaxPool2D: 'GlobalMaxPooling2D',
  GlobalMaxPool3D: 'GlobalMaxPooling3D',
  GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D',
  GlobalAvgPool3D: 'GlobalAveragePooling3D',
  Model: 'Functional',
};

/** The canonical form of one layer entry. */
export interface CanonicalLayer {
  /** Class name the importer looks up (after Keras 1 renames and aliases). */
  className: string;
  /** Class name as the file wrote it. */
  fileClassName: string;
  name: string;
  config: JsonObject;
  module: string | null;
  registeredName: string | null;
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/** True for a class name that denotes a (nested) model. */
export const isModelClass = (cls: string): boolean => MODEL_CLASSES.has(cls);

/**
 * Canonicalise one `{class_name, config, ...}` entry: Keras 1 arguments renamed to Keras 2 (only for Keras 1
 * files), aliases resolved, Keras 3 dtype policies and `batch_shape` flattened, wrapped layers done recursively.
 * @param fallbackName used when the entry has no name (index-based)
 */
export function canonicalLayer(entry: JsonValue, ctx: KerasContext, fallbackName: string): CanonicalLayer {
  if (!isJsonObject(entry))
    throw new KerasImportError(
      `${ctx.source}: layer entry ${fallbackName} is not an object (got ${brief(entry)})`,
    );
  const fileClassName = entry.class_name;
  if (typeof fileClassName !== 'string' || !fileClassName)
    throw new KerasImportError(
      `${ctx.source}: layer entry ${fallbackName} has no class_name (keys: ${Object.keys(entry).join(', ')})`,
    );
  const rawCfg = entry.config ?? {};
  if (!isJsonObject(rawCfg) && !(isModelClass(fileClassName) && Array.isArray(rawCfg)))
    throw new KerasImportError(
      `${ctx.source}: layer '${fallbackName}' (${fileClassName}): field 'config' is not an object (got ${brief(rawCfg)})`,
    );
  const cfgObj: JsonObject = isJsonObject(rawCfg) ? { ...rawCfg } : { layers: rawCfg };
  const name =
    typeof cfgObj.name === 'string'
      ? cfgObj.name
      : typeof entry.name === 'string'
        ? entry.name
        : fallbackName;
  const module = typeof entry.module === 'string' ? entry.module : null;
  const registeredName = typeof entry.registered_name === 'string' ? entry.registered_name : null;
  let className = fileClassName;
  let config = cfgObj;
  if (ctx.major === 1 && !isModelClass(fileClassName))
    ({ className, config } = keras1ToKeras2(fileClassName, cfgObj, {
      source: ctx.source,
      layer: name,
      className: fileClassName,
    }));
  className = (Object.hasOwn(CLASS_ALIASES, className) ? CLASS_ALIASES[className] : undefined) ?? className;
  config = cleanKeras3(config);
  if (className === 'InputLayer' && !('batch_input_shape' in config) && Array.isArray(config.batch_shape))
    config.batch_input_shape = config.batch_shape;
  if (className === 'InputLayer' && !('batch_input_shape' in config) && Array.isArray(config.shape))
    config.batch_input_shape = [null, ...config.shape];
  for (const k of ['layer', 'backward_layer']) {
    const inner = config[k];
    if (isJsonObject(inner)) {
      const c = canonicalLayer(inner, ctx, `${name}/${k}`);
      config[k] = {
        class_name: c.className,
        config: c.config,
        file_class_name: c.fileClassName,
        module: c.module,
        registered_name: c.registeredName,
      };
    }
  }
  return { className, fileClassName, name, config, module, registeredName };
}

/** Keras 3 wraps dtypes in DTypePolicy objects; keep the name. */
function cleanKeras3(config: JsonObject): JsonObject {
  const out: JsonObject = { ...config };
  const d = out.dtype;
  if (isJsonObject(d)) {
    const inner = isJsonObject(d.config) ? d.config : {};
    const n = typeof inner.name === 'string' ? inner.name : typeof d.name === 'string' ? d.name : null;
    out.dtype = n === null ? null : n.startsWith('mixed_') ? 'float32' : n;
  }
  return out;
}
