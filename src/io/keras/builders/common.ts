// Shared pieces of the class builders: base layer arguments, data formats, and pairs/triples from configs.
import type { DType } from '../../../core/dtype.js';
import type { LayerArgs } from '../../../nn/layer.js';
import type { LayerCfg } from '../cfg.js';

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
