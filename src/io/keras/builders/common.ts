// Shared pieces of the class builders: base layer arguments, data formats, pairs/triples and regularizers from configs.
import type { DType } from '../../../core/dtype.js';
import type { LayerArgs } from '../../../nn/layer.js';
import {
  OrthogonalRegularizer,
  REGULARIZER_OPTIONS,
  Regularizer,
  type RegularizerArgs,
  type RegularizerKind,
  type RegularizerOption,
  getRegularizer,
  tfKerasActivity,
} from '../../../nn/regularizers.js';
import { isJsonObject } from '../../safe-json.js';
import { type LayerCfg, brief } from '../cfg.js';
import type { BuildCtx } from '../registry.js';

export type DataFormat = 'channelsLast' | 'channelsFirst';

/** name, trainable, dtype and batch_input_shape of any layer. */
export function baseArgs(c: LayerCfg): LayerArgs {
  const args: LayerArgs = { name: c.where.layer, trainable: c.bool('trainable', true) };
  const shape = c.shape('batch_input_shape');
  if (shape) args.batchInputShape = shape;
  const dt = dtypeOf(c);
  if (dt) args.dtype = dt;
  return args;
}

/** float64 layers stay float64; every other floating dtype computes in float32. */
export function dtypeOf(c: LayerCfg): DType | undefined {
  const d = c.raw('dtype');
  if (d === 'float64') return 'float64';
  if (d === 'int32' || d === 'int64' || d === 'int16' || d === 'int8' || d === 'uint8' || d === 'bool')
    return 'int32';
  return undefined;
}

/** Keras data_format (Keras 1 dim_ordering was renamed before this point). */
export function dataFormat(c: LayerCfg): DataFormat {
  return c.oneOf('data_format', ['channels_last', 'channels_first'], 'channels_last') === 'channels_first'
    ? 'channelsFirst'
    : 'channelsLast';
}

/** A number or [a, b], each at least `min` (sizes, strides and dilations are positive; paddings may be 0). */
export function pair(c: LayerCfg, key: string, def: number | number[], min = 1): [number, number] {
  const v = c.ints(key, 2, def, min);
  return [v[0], v[1]];
}

/** [[a, b], [c, d]] padding/cropping pairs for `n` spatial axes from an int, n ints, or n pairs. */
export function padPairs(c: LayerCfg, key: string, n: number, def: number): [number, number][] {
  const v = c.raw(key);
  const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (v === undefined || v === null) return Array.from({ length: n }, () => [def, def]);
  if (ok(v)) return Array.from({ length: n }, () => [v, v]);
  if (Array.isArray(v)) {
    if (n === 1 && v.length === 2 && v.every(ok)) return [[v[0] as number, v[1] as number]];
    if (v.length === n && v.every(ok)) return (v as number[]).map((p) => [p, p]);
    if (v.length === n && v.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok)))
      return (v as number[][]).map((p) => [p[0], p[1]]);
  }
  return c.fail(key, `expected an int, ${n} ints or ${n} pairs of ints, got ${JSON.stringify(v)}`);
}

/** Keras regularizer classes tapegrad applies, and the factors each config may hold (missing ones are 0, as Keras). */
const REGULARIZER_CLASSES: Record<string, { kind: RegularizerKind; keys: readonly string[] }> = {
  L1L2: { kind: 'L1L2', keys: ['l1', 'l2'] },
  L1: { kind: 'L1', keys: ['l1'] },
  L2: { kind: 'L2', keys: ['l2'] },
  // Keras 3 / tf.keras ≥ 2.10: {factor, mode} (defaults 0.01, 'rows', as Keras)
  OrthogonalRegularizer: { kind: 'OrthogonalRegularizer', keys: ['factor', 'mode'] },
};
/** Keras 3's module of its own regularizers (custom ones name their own module). */
const KERAS_REGULARIZER_MODULES = [
  undefined,
  null,
  'keras.regularizers',
  'keras.src.regularizers.regularizers',
];

/**
 * A regularizer config value of a Keras / TF.js file as a Regularizer: null when absent, or (with a note in the load
 * report) when its class is not one tapegrad applies (a custom class). A malformed value of a
 * known class is an error naming the layer and the field.
 */
export function regularizerOf(c: LayerCfg, b: BuildCtx, key: string): Regularizer | null {
  const v = c.raw(key);
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') {
    try {
      return getRegularizer(v, key);
    } catch {
      return c.fail(
        key,
        `unknown regularizer ${brief(v)} (known: 'l1', 'l2', 'l1_l2', 'l1l2', or a config object)`,
      );
    }
  }
  if (!isJsonObject(v) || typeof v.class_name !== 'string')
    return c.fail(key, `expected a regularizer config {class_name, config}, got ${brief(v)}`);
  const cls = v.class_name;
  const known = Object.hasOwn(REGULARIZER_CLASSES, cls) ? REGULARIZER_CLASSES[cls] : undefined;
  if (!known || !KERAS_REGULARIZER_MODULES.includes(v.module as string | null | undefined)) {
    // NOTE: inference does not need it, so the model loads; the report says fine-tuning trains without it.
    b.warn(
      `${c.prefix}: ${key} ${cls} is not applied (tapegrad applies L1, L2, L1L2 and OrthogonalRegularizer): training this model adds no penalty for it`,
    );
    return null;
  }
  const cfg = v.config ?? {};
  if (!isJsonObject(cfg)) return c.fail(key, `expected a config object, got ${brief(cfg)}`);
  const f: Record<string, number> = { l1: 0, l2: 0 };
  for (const [k, x] of Object.entries(cfg)) {
    if (!known.keys.includes(k))
      c.fail(key, `${cls} has no argument '${k}' (known: ${known.keys.join(', ')})`);
    if (k === 'mode') {
      if (x !== 'rows' && x !== 'columns')
        c.fail(key, `${cls} mode must be 'rows' or 'columns', got ${brief(x)}`);
      continue;
    }
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
      c.fail(key, `${cls} ${k} must be a non-negative number, got ${brief(x)}`);
    f[k] = x as number;
  }
  if (known.kind === 'OrthogonalRegularizer')
    return new OrthogonalRegularizer(
      f.factor ?? 0.01,
      (cfg.mode as 'rows' | 'columns' | undefined) ?? 'rows',
    );
  return new Regularizer(f.l1, f.l2, known.kind);
}

/**
 * Whether the file was written by tf.keras (`2.2.4-tf` … `2.15`), whose activity penalties are divided by the batch
 * size (nn/regularizers.ts); Keras 3, standalone Keras 1.2–2.3 and TF.js files are not.
 */
export const isTfKeras = (b: BuildCtx): boolean =>
  b.ctx.major === 2 && /-tf$|^2\.([4-9]|1\d)\b/.test(b.ctx.version ?? '');

/**
 * The regularizer options of a layer class (`names`: the ones it takes) from its config; any other `*_regularizer`
 * key that is set (BatchNormalization's gamma_regularizer, ...) is noted in the load report as not applied.
 */
export function regularizerArgs<K extends RegularizerOption>(
  c: LayerCfg,
  b: BuildCtx,
  names: readonly K[],
): RegularizerArgs<K> {
  const out: RegularizerArgs<K> = {};
  for (const n of names) {
    const r = regularizerOf(c, b, REGULARIZER_OPTIONS[n].key);
    if (r) out[n] = n === 'activityRegularizer' && isTfKeras(b) ? tfKerasActivity(r) : r;
  }
  noteUnappliedRegularizers(c, b);
  return out;
}

/** Note every set `*_regularizer` key the builder did not read: tapegrad's layer has no such penalty. */
export function noteUnappliedRegularizers(c: LayerCfg, b: BuildCtx): void {
  const read = new Set(c.readKeys());
  for (const [k, v] of Object.entries(c.cfg))
    if (/_regularizer$/.test(k) && v !== null && !read.has(k)) {
      c.touch(k);
      b.warn(
        `${c.prefix}: ${k} is not applied (tapegrad's ${c.where.className} has no such penalty): training this model adds no penalty for it`,
      );
    }
}
