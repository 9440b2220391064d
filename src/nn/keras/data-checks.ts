// Checks of the data given to a model's entry points (fit, evaluate, predict) before any layer runs: how many
// inputs, their shapes against what the model was built for, and NaN/Inf named by tensor, sample and feature; and of
// their numeric options (batch size, epochs, validation split).
import { ShapeError, ValueError, fmtShape } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';
import { firstNonFinite } from '../../ops/finite.js';
import type { ShapeWithBatch } from '../layer.js';

/** `[2, 5]`: the multi-index of flat element `flat` within one sample of `shape` (batch axis first). */
function featureIndex(shape: readonly number[], flat: number): number[] {
  const inner = shape.slice(1);
  const idx = new Array<number>(inner.length);
  let r = flat;
  for (let a = inner.length - 1; a >= 0; a--) {
    idx[a] = r % inner[a];
    r = Math.floor(r / inner[a]);
  }
  return idx;
}

/**
 * Throw a ValueError naming the first NaN or ±Inf in `t`: which tensor (`label`, e.g. `x` or `y[1]`), which sample
 * (row of axis 0) and which feature (index within the sample). One pass over the values; int tensors are skipped.
 * @param where the entry point, e.g. `model.fit`
 */
export function assertFiniteData(t: Tensor, label: string, where: string): void {
  const i = firstNonFinite(t);
  if (i < 0) return;
  const v = t.data[i];
  const kind = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  const per = t.rank === 0 ? 1 : t.size / t.shape[0];
  const sample = t.rank === 0 ? null : Math.floor(i / per);
  const feat = t.rank <= 1 ? '' : `, feature ${fmtShape(featureIndex(t.shape, i % per))}`;
  const at = sample === null ? 'the scalar' : `sample ${sample}${feat}`;
  throw new ValueError(
    `${where}: ${label} has ${kind} at ${at} (${label} has shape ${fmtShape(t.shape)}); the data itself is not finite, so no training or prediction on it means anything: clean or impute it first`,
  );
}

/**
 * Check the inputs of a model entry point before any layer runs: the count (one tensor per model input) and each
 * tensor's shape against the one the model declares (batch axis first; null = any); all share one batch size.
 * @param specs the model's input shapes, or null entries where a shape is not known
 */
export function assertModelInputs(
  xs: unknown[],
  specs: (ShapeWithBatch | null)[] | null,
  model: string,
  where: string,
): void {
  xs.forEach((t, i) => {
    if (!(t instanceof Tensor))
      throw new ValueError(
        `${where}: input ${i} of model '${model}' is ${t === null ? 'null' : typeof t === 'object' ? ((t as object).constructor?.name ?? 'an object') : typeof t}, not a Tensor`,
      );
  });
  const ts = xs as Tensor[];
  if (specs && ts.length !== specs.length)
    throw new ValueError(
      `${where}: model '${model}' takes ${specs.length} input${specs.length === 1 ? '' : 's'} but ${ts.length} ${ts.length === 1 ? 'was' : 'were'} given (shapes ${ts.map((t) => fmtShape(t.shape)).join(', ')})`,
    );
  ts.forEach((t, i) => {
    const s = specs?.[i];
    const name = ts.length === 1 ? 'the input' : `input ${i}`;
    if (t.rank === 0)
      throw new ShapeError(`${where}: ${name} of model '${model}' is a scalar; inputs are [batch, ...]`);
    if (!s) return;
    const ok = t.rank === s.length && s.every((d, j) => j === 0 || d === null || d === t.shape[j]);
    if (ok) return;
    // NOTE: a layout hint only when the input is exactly the other layout's permutation of the expected shape.
    const [, a, b, c] = t.shape;
    const hint =
      t.rank === s.length - 1
        ? ' — is the batch axis missing? (inputs are [batch, ...])'
        : t.rank === 4 && s.length === 4 && a === s[3] && b === s[1] && c === s[2]
          ? ' — channels first? the model expects channels last [batch, height, width, channels]'
          : t.rank === 4 && s.length === 4 && c === s[1] && a === s[2] && b === s[3]
            ? ' — channels last? the model expects channels first [batch, channels, height, width]'
            : '';
    throw new ShapeError(
      `${where}: ${name} of model '${model}' must have shape ${fmtShape(s.map((d) => d ?? -1))} (-1 = any), got ${fmtShape(t.shape)}${hint}`,
    );
  });
  const n = ts[0]?.shape[0];
  if (ts.some((t) => t.shape[0] !== n))
    throw new ShapeError(
      `${where}: every input needs the same batch size on axis 0; got ${ts.map((t) => fmtShape(t.shape)).join(', ')}`,
    );
}

/**
 * An integer option of an entry point (TF.js `checkBatchSize`): a ValueError naming the option and the value unless it
 * is an integer ≥ `min`. Returns the value.
 */
export function checkIntOption(where: string, name: string, v: unknown, min: 0 | 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new ValueError(
      `${where}: ${name} must be a ${min ? 'positive' : 'non-negative'} integer, got ${typeof v === 'string' ? `'${v}'` : String(v)}`,
    );
  return v;
}

/** fit's numeric options: batchSize > 0, epochs and initialEpoch ≥ 0 (integers), validationSplit in [0, 1), verbose. */
export function checkFitOptions(
  where: string,
  o: {
    batchSize?: unknown;
    epochs?: unknown;
    initialEpoch?: unknown;
    validationSplit?: unknown;
    verbose?: unknown;
  },
): void {
  if (o.batchSize !== undefined) checkIntOption(where, 'batchSize', o.batchSize, 1);
  if (o.epochs !== undefined) checkIntOption(where, 'epochs', o.epochs, 0);
  if (o.initialEpoch !== undefined) checkIntOption(where, 'initialEpoch', o.initialEpoch, 0);
  const vs = o.validationSplit;
  if (vs !== undefined && !(typeof vs === 'number' && vs >= 0 && vs < 1))
    throw new ValueError(`${where}: validationSplit must be a number in [0, 1), got ${String(vs)}`);
  if (o.verbose !== undefined && o.verbose !== 0 && o.verbose !== 1 && o.verbose !== 2)
    throw new ValueError(
      `${where}: verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got ${String(o.verbose)}`,
    );
}
