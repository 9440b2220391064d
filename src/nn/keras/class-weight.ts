// fit's classWeight and sampleWeight (TF.js `standardizeClassWeights` / `standardizeWeights` / `computeWeightedLoss`,
// Keras `class_weight` / `sample_weight`): each sample's loss is multiplied by a weight (its class's weight, or the
// weight given for the sample) and the batch's loss is Σ wᵢ·lossᵢ / batchSize. TF.js: `tfc.mean(mul(loss, w))`; Keras 3
// and tf.keras 2: reduction "sum_over_batch_size". Metrics are not weighted (TF.js computes them on the plain batch;
// Keras weights only its `weighted_metrics`), nor is the validation loss (TF.js and Keras evaluate the validation data
// without class weights). evaluate's sampleWeight weights its loss the same way.
// NOTE: not Σ w·loss / Σ w (PyTorch `CrossEntropyLoss(weight=...)`), nor standalone Keras ≤ 2.3's Σ w·loss / #(w ≠ 0).
//
// How: a built-in loss is the mean of per-sample values that each hold the same number of elements, so the samples
// that share a weight v (a class, for classWeight) are run through the loss together and Σ w·loss / n is
// Σ_v v · (n_v / n) · loss(samples with weight v).
// NOTE: one loss call per distinct weight in the batch: a few for classWeight, up to the batch size for a sampleWeight
// of all-different values (slower, same numbers). A loss function of the user's must return one value per sample
// ([batch], as TF.js's and Keras's custom losses), which is multiplied by the weights and averaged.
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { Tensor, tensor } from '../../core/tensor.js';
import { add, mul } from '../../ops/elementwise/builders.js';
import { reshape } from '../../ops/movement/builders.js';
import { gather } from '../../ops/network/builders.js';
import { mean, sum } from '../../ops/reduce/builders.js';
import type { LossFn } from '../../train/index.js';
import type { ValidRows } from './masked-loss.js';

/** TF.js `ClassWeight`: class index → weight of that class's samples in the loss. */
export type ClassWeight = { [classIndex: number]: number };
/** TF.js `ClassWeightMap`: output name → its ClassWeight (a model with several outputs). */
export type ClassWeightMap = { [outputName: string]: ClassWeight };

/** fit's and trainOnBatch's weighting options. */
export interface LossWeightArgs {
  /**
   * Weight of each class in the loss (TF.js, Keras `class_weight`): `{0: 1, 1: 5}`; for several outputs, one map per
   * output (an array, null for none) or `{outputName: map}`.
   */
  classWeight?: ClassWeight | (ClassWeight | null)[] | ClassWeightMap;
  /**
   * Weight of each sample in the loss (Keras `sample_weight`; TF.js refuses it): a [batch] tensor, used for every
   * output, or one per output (null for none).
   */
  sampleWeight?: Tensor | (Tensor | null)[];
}

/** One output's weights: one per sample, and (classWeight) the classes given, checked against the output's width. */
export interface OutputWeights {
  w: Float64Array;
  classes: number[] | null;
  /** classWeight on a loss of VALUE_LOSSES (its one-unit targets are rounded to classes, unbounded). */
  valueLoss?: boolean;
  /** How the option is named in messages: `classWeight`, `classWeight[1]`, `sampleWeight`, ... */
  option: string;
}
/** Per output of the model: its weights, or null when its samples are not weighted. */
export type LossWeights = (OutputWeights | null)[];

/**
 * Built-in losses whose targets may be values, not classes: with one output unit, the class of a sample is its
 * rounded target, any integer (classWeight on ordinal targets, Keras 3), so the output's width bounds no class key.
 */
const VALUE_LOSSES = new Set([
  'meanSquaredError',
  'meanAbsoluteError',
  'meanAbsolutePercentageError',
  'meanSquaredLogarithmicError',
  'huber',
  'logcosh',
  'poisson',
  'cosineSimilarity',
]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor);

/** TF.js `standardizeClassWeights`: one map (or null) per output, from a map, an array of maps or maps by name. */
function perOutput(cw: unknown, names: string[], where: string): [unknown, string][] {
  const n = names.length;
  if (Array.isArray(cw)) {
    if (cw.length !== n)
      throw new ValueError(
        `${where}: classWeight is an array of ${cw.length} maps but the model has ${n} output${n === 1 ? '' : 's'} (${names.join(', ')}); give one map per output (null for none)`,
      );
    return cw.map((m, i) => [m, `classWeight[${i}]`]);
  }
  if (!isPlainObject(cw))
    throw new ValueError(
      `${where}: classWeight must be a map {classIndex: weight} (or one per output), got ${describeValue(cw)}`,
    );
  const vals = Object.values(cw);
  // TF.js: an object whose values are objects maps output names to maps
  if (vals.length && vals.every((v) => isPlainObject(v) || v === null)) {
    for (const k of Object.keys(cw))
      if (!names.includes(k))
        throw new ValueError(
          `${where}: classWeight has a map for '${k}', which is not an output of the model (outputs: ${names.join(', ')})`,
        );
    return names.map((name) => [cw[name] ?? null, `classWeight['${name}']`]);
  }
  if (n > 1)
    throw new ValueError(
      `${where}: the model has ${n} outputs, so classWeight must be an array of ${n} maps or an object with keys ${names.join(', ')}; got ${JSON.stringify(cw).slice(0, 80)}`,
    );
  return [[cw, 'classWeight']];
}

/** A class map's entries, checked: keys are class indices (integers ≥ 0), weights finite numbers ≥ 0. */
function classMap(m: unknown, option: string, where: string): Map<number, number> {
  if (!isPlainObject(m))
    throw new ValueError(`${where}: ${option} must be a map {classIndex: weight}, got ${describeValue(m)}`);
  const out = new Map<number, number>();
  for (const [k, v] of Object.entries(m)) {
    if (!/^(0|[1-9]\d*)$/.test(k))
      throw new ValueError(
        `${where}: ${option} has the key '${k}', which is not a class index (an integer ≥ 0)`,
      );
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ValueError(
        `${where}: ${option} gives class ${k} the weight ${typeof v === 'number' ? v : describeValue(v)}; a class weight must be a finite number ≥ 0`,
      );
    out.set(Number(k), v);
  }
  return out;
}

/**
 * Each sample's class, as TF.js `standardizeWeights` reads it from the targets: a class index ([batch] or
 * [batch, 1]), or the argmax of a one-hot row ([batch, classes]).
 * NOTE: an index is rounded (Keras 3 `np.round`); TF.js looks the value up as it is, so a soft label such as 0.9
 * fails there.
 */
function classOf(y: Tensor, output: string, option: string, where: string): Int32Array {
  const [n, c] = y.shape;
  if (y.rank > 2 || y.rank === 0 || c === 0)
    throw new ShapeError(
      `${where}: ${option} needs targets with one class per sample (class indices [batch] or [batch, 1], or one-hot ` +
        `rows [batch, classes]); the targets of output ${output} have shape ${fmtShape(y.shape)} (TF.js and Keras ` +
        'do not weight classes of sequence targets either; use sampleWeight for per-sample weights)',
    );
  const d = y.data;
  const cls = new Int32Array(n);
  if (y.rank === 1 || c === 1) for (let i = 0; i < n; i++) cls[i] = Math.round(d[i]);
  else
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let j = 1; j < c; j++) if (d[i * c + j] > d[i * c + best]) best = j;
      cls[i] = best;
    }
  return cls;
}

/**
 * One output's sample weights from its class map: every class in the targets must have a weight.
 * NOTE: as TF.js (and tf.keras 2, which wants every class 0..C-1); Keras 3 gives a class without a weight 1.
 */
function fromClasses(y: Tensor, m: Map<number, number>, output: string, option: string, where: string) {
  const cls = classOf(y, output, option, where);
  const w = new Float64Array(cls.length);
  cls.forEach((k, i) => {
    const v = m.get(k);
    if (v === undefined)
      throw new ValueError(
        `${where}: ${option} has no weight for class ${k} (sample ${i} of output ${output}); as TF.js, it must ` +
          `give a weight to every class in the data (given: ${[...m.keys()].join(', ') || 'none'})`,
      );
    w[i] = v;
  });
  return w;
}

/** One output's sampleWeight tensor, checked: [batch] (or [batch, 1]), finite, ≥ 0. */
function fromSamples(t: unknown, n: number, option: string, where: string): Float64Array {
  if (!(t instanceof Tensor))
    throw new ValueError(
      `${where}: ${option} must be a Tensor of shape [${n}] (one weight per sample), got ${describeValue(t)}`,
    );
  if (!(t.rank === 1 || (t.rank === 2 && t.shape[1] === 1)) || t.shape[0] !== n)
    throw new ShapeError(
      `${where}: ${option} must have shape [${n}] (one weight per sample; temporal weights [batch, time] are not supported), got ${fmtShape(t.shape)}`,
    );
  const w = Float64Array.from(t.data as ArrayLike<number>);
  // NOTE: Keras does not check; a negative weight would turn that sample's loss into one to maximise
  const bad = w.findIndex((v) => !(Number.isFinite(v) && v >= 0));
  if (bad >= 0)
    throw new ValueError(
      `${where}: ${option} has the weight ${w[bad]} at sample ${bad}; a sample weight must be a finite number ≥ 0`,
    );
  return w;
}

/**
 * The weights of every output's samples for fit / trainOnBatch (null when neither option is given), checked before
 * any step: the maps, the classes in the targets, the losses (classWeight needs a classification loss).
 * @param names the outputs' names; @param losses each output's loss
 */
export function lossWeights(
  args: LossWeightArgs,
  ys: Tensor[],
  names: string[],
  losses: LossFn[],
  where: string,
): LossWeights | null {
  const { classWeight: cw, sampleWeight: sw } = args;
  const none = (v: unknown) => v === undefined || v === null || (Array.isArray(v) && v.length === 0);
  if (none(cw) && none(sw)) return null;
  const n = ys[0].shape[0];
  const label = (i: number) => `'${names[i]}'`;
  if (!none(cw) && !none(sw))
    throw new ValueError(
      `${where}: give classWeight or sampleWeight, not both (as Keras: "You cannot class_weight and sample_weight at the same time"); fold the class weights into sampleWeight`,
    );
  if (!none(sw)) {
    if (sw instanceof Tensor)
      return ys.map(() => ({
        w: fromSamples(sw, n, 'sampleWeight', where),
        classes: null,
        option: 'sampleWeight',
      }));
    if (!Array.isArray(sw) || sw.length !== ys.length)
      throw new ValueError(
        `${where}: sampleWeight must be a Tensor [batch] or an array of ${ys.length} (one per output, null for none), got ${describeValue(sw)}${Array.isArray(sw) ? ` of ${sw.length}` : ''}`,
      );
    return sw.map((t, i) =>
      t === null || t === undefined
        ? null
        : { w: fromSamples(t, n, `sampleWeight[${i}]`, where), classes: null, option: `sampleWeight[${i}]` },
    );
  }
  return perOutput(cw, names, where).map(([m, option], i) => {
    if (m === null || m === undefined) return null;
    const map = classMap(m, option, where);
    const loss = losses[losses.length > 1 ? i : 0];
    // as Keras 3 (`class_weight_to_sample_weights`) and TF.js (`standardizeWeights`), whatever the loss: the class is
    // the argmax of a target row, else the (rounded) target; mse on one-hot targets is weighted by class too
    const w = fromClasses(ys[i], map, label(i), option, where);
    return { w, classes: [...map.keys()], option, valueLoss: VALUE_LOSSES.has(loss.name) };
  });
}

/** The weights of the samples `idx` (a batch of fit). */
export const weightsAt = (lw: LossWeights, idx: Int32Array): LossWeights =>
  lw.map((o) => o && { ...o, w: Float64Array.from(idx, (i) => o.w[i]) });

/**
 * A classWeight key beyond the output's classes (its width, 2 for one sigmoid unit) is refused before any update.
 * NOTE: TF.js never looks such a key up, so it ignores it; here it is refused as the mistake it usually is (labels
 * counted from 1, a map made for another model).
 */
function checkClasses(o: OutputWeights, yPred: Tensor, output: string, where: string): void {
  const last = yPred.rank >= 2 ? yPred.shape[yPred.rank - 1] : 1;
  const count = last > 1 ? last : 2;
  const out = o.classes!.find((k) => k >= count);
  if (out !== undefined)
    throw new ValueError(
      `${where}: ${o.option} has class ${out}, but output ${output} has ${count} classes (0..${count - 1}; predictions ${fmtShape(yPred.shape)})`,
    );
}

/**
 * One output's weighted loss, Σ wᵢ·lossᵢ / batchSize (see the top of this file).
 * NOTE: weights on an output carrying a mask are refused (Keras multiplies them into the mask's step weights).
 */
export function weightedLoss(
  fn: LossFn,
  builtIn: boolean,
  yTrue: Tensor,
  yPred: Tensor,
  o: OutputWeights,
  rows: ValidRows | null,
  output: string,
  where: string,
): Tensor {
  if (rows)
    throw new ValueError(
      `${where}: ${o.option} on output ${output}, which carries the padding mask made by ${rows.source}, is not supported; end the mask before the output or drop ${o.option}`,
    );
  // (a value loss on one unit reads rounded targets as classes: no width to check them against)
  const oneUnit = yPred.rank < 2 || yPred.shape[yPred.rank - 1] === 1;
  if (o.classes && !(o.valueLoss && oneUnit)) checkClasses(o, yPred, output, where);
  const n = o.w.length;
  const what = `the loss function '${fn.name || 'anonymous'}'`;
  if (!builtIn) {
    const v = fn(yTrue, yPred);
    if (!(v instanceof Tensor) || !(v.rank === 1 || (v.rank === 2 && v.shape[1] === 1)) || v.shape[0] !== n)
      throw new ValueError(
        `${where}: ${o.option} weights each sample's loss, so ${what} must return one value per sample ([${n}], as TF.js's and Keras's losses); it returns ${v instanceof Tensor ? (v.rank === 0 ? 'one number for the batch' : `shape ${fmtShape(v.shape)}`) : describeValue(v)}; or compile with a built-in loss (a name, a tg.losses function, tg.losses.getLoss(name, options)), which are weighted whole`,
      );
    return mean(mul(reshape(v, [n]), tensor(o.w, [n], { dtype: v.dtype })));
  }
  // the samples of each weight, in order of first appearance; weight 0 adds nothing
  const groups = new Map<number, number[]>();
  o.w.forEach((v, i) => {
    if (v !== 0) (groups.get(v) ?? groups.set(v, []).get(v)!).push(i);
  });
  let total: Tensor | null = null;
  const mean_ = (t: Tensor) => (t.rank === 0 ? t : mean(t));
  for (const [v, idx] of groups) {
    // NOTE: one weight for the whole batch runs the loss on the batch itself (all ones: the unweighted loss exactly)
    const l =
      idx.length === n ? mean_(fn(yTrue, yPred)) : mean_(fn(gather(yTrue, idx, 0), gather(yPred, idx, 0)));
    const part = mul(l, (v * idx.length) / n);
    total = total ? add(total, part) : part;
  }
  // every weight 0: loss 0, kept on the tape through an empty gather so backward runs and changes nothing
  return total ?? sum(gather(yPred, [], 0));
}
