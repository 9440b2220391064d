// Weight and activity regularizers (TF.js `tf.regularizers`, Keras `keras.regularizers`): penalties added to the
// training loss. A layer registers its regularizers here; fit/evaluate add the penalties (nn/keras/batch-logs.ts).
import { ValueError, describeValue } from '../core/errors.js';
import { checkOptionsObject } from '../core/options.js';
import { keep } from '../core/lifetime.js';
import { Tensor, tensor } from '../core/tensor.js';
import { abs, add, div, minimum, mul, rsqrt } from '../ops/elementwise/builders.js';
import { matmul } from '../ops/network/builders.js';
import { sum } from '../ops/reduce/builders.js';
import { type Layer, type Weight, installPenalties, layersUnder } from './layer.js';

/** Which Keras class a regularizer was made as: Keras 3 files name L1 and L2 apart from L1L2. */
export type RegularizerKind = 'L1' | 'L2' | 'L1L2' | 'OrthogonalRegularizer';

/** A penalty on a tensor: `l1·Σ|x| + l2·Σx²` (Keras's formula; its L2 has no 1/2). */
export class Regularizer {
  constructor(
    readonly l1: number,
    readonly l2: number,
    readonly kind: RegularizerKind = 'L1L2',
  ) {
    for (const [k, v] of [
      ['l1', l1],
      ['l2', l2],
    ] as const)
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        throw new ValueError(
          `regularizer: ${k} must be a non-negative finite number, got ${typeof v === 'number' ? v : `${describeValue(v)}${typeof v === 'string' ? ` '${v}'` : ''}`}`,
        );
  }
  /** The penalty of `x`, a scalar, differentiable (TF.js `Regularizer.apply`). */
  apply(x: Tensor): Tensor {
    // NOTE: a factor of 0 adds no term (TF.js does the same), so l2 alone costs one pass over the weight.
    // NOTE: the L1 term's gradient at an element equal to 0 is 0 (sign(0), as TF and PyTorch); TF.js's is −l1 (its Abs
    // gradient is step(x, −1)), so a zero-initialized bias under L1 takes its first step differently there.
    let p: Tensor | null = null;
    if (this.l1) p = mul(sum(abs(x)), this.l1);
    if (this.l2) {
      const q = mul(sum(mul(x, x)), this.l2);
      p = p ? add(p, q) : q;
    }
    return p ?? mul(sum(x), 0);
  }
  /** TF.js/Keras 2 config: `{l1, l2}` (OrthogonalRegularizer: `{factor, mode}`). */
  getConfig(): Record<string, number | string> {
    return { l1: this.l1, l2: this.l2 };
  }
}

/**
 * Keras 3's `OrthogonalRegularizer` (also tf.keras ≥ 2.10): with the rows (mode 'rows') or columns ('columns') of a
 * rank-2 weight l2-normalized (`x · min(rsqrt(Σx²), 1/ε)`, ε = 1e-7, Keras `ops.normalize`), the penalty is
 * `factor · 0.5 · Σ|P − diag(P)| / (s(s−1)/2)` where P is their Gram matrix (s×s): factor times the mean |cosine| over
 * the pairs of distinct rows (columns). Source: keras/src/regularizers/regularizers.py `OrthogonalRegularizer.__call__`.
 * NOTE: an all-zero row has a zero normalized row (as Keras) but a NaN gradient (rsqrt at 0, as TF's), as in Keras.
 */
export class OrthogonalRegularizer extends Regularizer {
  constructor(
    readonly factor: number,
    readonly mode: 'rows' | 'columns',
  ) {
    super(0, 0, 'OrthogonalRegularizer');
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 0)
      throw new ValueError(
        `regularizers.orthogonalRegularizer: factor must be a non-negative finite number, got ${typeof factor === 'number' ? factor : describeValue(factor)}`,
      );
    if (mode !== 'rows' && mode !== 'columns')
      throw new ValueError(
        `regularizers.orthogonalRegularizer: mode must be 'rows' or 'columns', got ${typeof mode === 'string' ? `'${mode}'` : describeValue(mode)}`,
      );
  }
  override apply(x: Tensor): Tensor {
    // as Keras: rank 2 only (a Dense or Embedding weight; conv kernels are refused there too)
    if (x.rank !== 2)
      throw new ValueError(
        `OrthogonalRegularizer: the weight must have rank 2 (as Keras), got shape [${x.shape.join(', ')}]`,
      );
    const rows = this.mode === 'rows';
    const s = x.shape[rows ? 0 : 1];
    // NOTE: Keras divides by s(s−1)/2 = 0 for a single row (column) and returns NaN; refused here instead
    if (s < 2)
      throw new ValueError(
        `OrthogonalRegularizer: mode '${this.mode}' needs at least 2 ${this.mode} to compare, the weight has shape [${x.shape.join(', ')}]`,
      );
    const unit = mul(x, minimum(rsqrt(sum(mul(x, x), rows ? 1 : 0, true)), 1e7));
    const gram = rows ? matmul(unit, unit, { transB: true }) : matmul(unit, unit, { transA: true });
    const off = new Float64Array(s * s).fill(1);
    for (let i = 0; i < s; i++) off[i * s + i] = 0;
    const offDiag = mul(gram, tensor(off, [s, s], { dtype: x.dtype }));
    return mul(sum(abs(offDiag)), (this.factor * 0.5) / ((s * (s - 1)) / 2));
  }
  /** Keras's config: `{factor, mode}`. */
  override getConfig(): Record<string, number | string> {
    return { factor: this.factor, mode: this.mode };
  }
}

const L1_ARGS = ['l1'];
const L2_ARGS = ['l2'];
const L1L2_ARGS = ['l1', 'l2'];
const arg = (v: number | undefined, def: number): number => (v === undefined || v === null ? def : v);

/** TF.js `tf.regularizers.l1({l1})`: l1·Σ|x| (default l1 = 0.01). */
export function l1(config?: { l1?: number }): Regularizer {
  checkOptionsObject('regularizers.l1', config, L1_ARGS);
  return new Regularizer(arg(config?.l1, 0.01), 0, 'L1');
}
/** TF.js `tf.regularizers.l2({l2})`: l2·Σx² (default l2 = 0.01). */
export function l2(config?: { l2?: number }): Regularizer {
  checkOptionsObject('regularizers.l2', config, L2_ARGS);
  return new Regularizer(0, arg(config?.l2, 0.01), 'L2');
}
/** TF.js `tf.regularizers.l1l2({l1, l2})`: both terms (each defaults to 0.01, as TF.js). */
export function l1l2(config?: { l1?: number; l2?: number }): Regularizer {
  checkOptionsObject('regularizers.l1l2', config, L1L2_ARGS);
  return new Regularizer(arg(config?.l1, 0.01), arg(config?.l2, 0.01), 'L1L2');
}

const ORTHO_ARGS = ['factor', 'mode'];
/**
 * Keras's `keras.regularizers.OrthogonalRegularizer(factor=0.01, mode='rows')` (TF.js has none): penalizes the mean
 * |cosine| between the weight's rows (or columns). A rank-2 weight only (Dense kernel, Embedding).
 */
export function orthogonalRegularizer(config?: {
  factor?: number;
  mode?: 'rows' | 'columns';
}): OrthogonalRegularizer {
  checkOptionsObject('regularizers.orthogonalRegularizer', config, ORTHO_ARGS);
  return new OrthogonalRegularizer(arg(config?.factor, 0.01), config?.mode ?? 'rows');
}

/** TF.js `tf.regularizers`: `tg.regularizers.l2({l2: 1e-4})`; plus Keras's orthogonalRegularizer. */
export const regularizers = { l1, l2, l1l2, orthogonalRegularizer };

/**
 * A layer's regularizer option: a Regularizer, a Keras/TF.js shorthand string (defaults 0.01), TF.js's serialized
 * `{className: 'L1L2', config}`, or null.
 */
export type RegularizerSpec =
  | Regularizer
  | 'l1'
  | 'l2'
  | 'l1l2'
  | 'l1_l2'
  | 'L1L2'
  | 'orthogonal_regularizer'
  | { className: 'L1L2'; config?: { l1?: number; l2?: number } }
  | null;

/** String shorthands: Keras's 'l1', 'l2', 'l1_l2' and TF.js's 'l1l2' / 'L1L2' (factors 0.01, as both). */
const NAMED: Record<string, () => Regularizer> = {
  l1: () => l1(),
  l2: () => l2(),
  l1l2: () => l1l2(),
  l1_l2: () => l1l2(),
  L1L2: () => l1l2(),
  // Keras 3 `regularizers.get('orthogonal_regularizer')`: factor 0.01, mode 'rows'
  orthogonal_regularizer: () => orthogonalRegularizer(),
};

/**
 * TF.js's serialized form `{className: 'L1L2', config: {l1?, l2?}}` (what its `getRegularizer` deserializes; TF.js
 * registers no other class), as `l1l2(config)`: a factor left out is 0.01, as TF.js's L1L2. Null when `spec` is not one.
 */
function fromTfjsConfig(spec: unknown, where: string): Regularizer | null {
  if (spec === null || typeof spec !== 'object' || !('className' in spec)) return null;
  const { className, config, ...rest } = spec as { className: unknown; config?: unknown };
  if (className !== 'L1L2' || Object.keys(rest).length)
    throw new ValueError(
      `${where}: a serialized regularizer must be {className: 'L1L2', config: {l1, l2}} (the only class TF.js has), got ${JSON.stringify(spec).slice(0, 80)}`,
    );
  try {
    return l1l2((config ?? {}) as { l1?: number; l2?: number });
  } catch (e) {
    throw new ValueError(`${where}: ${(e as Error).message}`);
  }
}

/** Resolve a layer's regularizer option; the error names the layer and the option. */
export function getRegularizer(spec: unknown, where: string): Regularizer | null {
  if (spec === undefined || spec === null) return null;
  if (spec instanceof Regularizer) return spec;
  if (typeof spec === 'string' && Object.hasOwn(NAMED, spec)) return NAMED[spec]();
  const fromConfig = fromTfjsConfig(spec, where);
  if (fromConfig) return fromConfig;
  throw new ValueError(
    `${where}: expected a regularizer (tg.regularizers.l1/l2/l1l2(...)), TF.js's {className: 'L1L2', config} or one of ` +
      `${Object.keys(NAMED)
        .map((k) => `'${k}'`)
        .join(', ')}, got ${typeof spec === 'string' ? `'${spec}'` : describeValue(spec)}`,
  );
}

/** The regularizer options of layers, the Keras config key of each, and the weight each one penalizes. */
export const REGULARIZER_OPTIONS = {
  kernelRegularizer: { key: 'kernel_regularizer', weight: 'kernel' },
  biasRegularizer: { key: 'bias_regularizer', weight: 'bias' },
  recurrentRegularizer: { key: 'recurrent_regularizer', weight: 'recurrent_kernel' },
  embeddingsRegularizer: { key: 'embeddings_regularizer', weight: 'embeddings' },
  depthwiseRegularizer: { key: 'depthwise_regularizer', weight: 'depthwise_kernel' },
  pointwiseRegularizer: { key: 'pointwise_regularizer', weight: 'pointwise_kernel' },
  gammaRegularizer: { key: 'gamma_regularizer', weight: 'gamma' },
  betaRegularizer: { key: 'beta_regularizer', weight: 'beta' },
  alphaRegularizer: { key: 'alpha_regularizer', weight: 'alpha' },
  activityRegularizer: { key: 'activity_regularizer', weight: null },
} as const;
export type RegularizerOption = keyof typeof REGULARIZER_OPTIONS;
/** Layer options for regularizers (the args of a layer that takes some of them). */
export type RegularizerArgs<K extends RegularizerOption> = { [P in K]?: RegularizerSpec };

/** The regularizer options a layer class takes, for its `static options` and `setupRegularizers`. */
export const regularizerKeys = <K extends RegularizerOption>(...names: K[]): { [P in K]: true } =>
  Object.fromEntries(names.map((n) => [n, true])) as { [P in K]: true };

interface LayerRegularizers {
  /** Option name → regularizer (only those given). */
  byOption: Partial<Record<RegularizerOption, Regularizer>>;
}
const registry = new WeakMap<Layer, LayerRegularizers>();
/** Whether any layer was ever given a regularizer: without one, a training step skips the model walk. */
let anyRegularized = false;

/**
 * Read a layer's regularizer options (`names`: the ones its class takes) at construction: resolve them, remember
 * them for the loss, and hook the activity regularizer on the layer's output.
 */
export function setupRegularizers(
  layer: Layer,
  args: object,
  names: Partial<Record<RegularizerOption, true>>,
): void {
  const a = args as Record<string, unknown>;
  const byOption: LayerRegularizers['byOption'] = {};
  for (const n of Object.keys(names) as RegularizerOption[]) {
    const r = getRegularizer(a[n], `${layer.name} (${layer.className}): ${n}`);
    if (r) byOption[n] = r;
  }
  if (!Object.keys(byOption).length) return;
  registry.set(layer, { byOption });
  anyRegularized = true;
  if (byOption.activityRegularizer) hookActivity(layer, byOption.activityRegularizer);
}

/** The layer's regularizers by option name (empty when none). */
export const regularizersOf = (layer: Layer): Partial<Record<RegularizerOption, Regularizer>> =>
  registry.get(layer)?.byOption ?? {};

/** The Keras config keys of a layer's regularizers (TF.js / Keras 2 form `{class_name: 'L1L2', config}`), for getConfig. */
export function regularizerConfig(layer: Layer): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [opt, r] of Object.entries(regularizersOf(layer)))
    out[REGULARIZER_OPTIONS[opt as RegularizerOption].key] = regularizerToJson(r, false);
  return out;
}

/**
 * A regularizer as a Keras config value: Keras 2 and TF.js `{class_name: 'L1L2', config: {l1, l2}}` (every Keras 2
 * release and TF.js load L1L2; TF.js knows no other class), Keras 3 its own class with module and registered_name.
 */
export function regularizerToJson(r: Regularizer, keras3: boolean): Record<string, unknown> {
  // NOTE: OrthogonalRegularizer keeps its class in both (tf.keras ≥ 2.10 and Keras 3 load it; TF.js has none)
  if (r instanceof OrthogonalRegularizer) {
    const config = { factor: r.factor, mode: r.mode };
    if (!keras3) return { class_name: 'OrthogonalRegularizer', config };
    return {
      module: 'keras.regularizers',
      class_name: 'OrthogonalRegularizer',
      config,
      registered_name: null,
    };
  }
  if (!keras3) return { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } };
  const config = r.kind === 'L1' ? { l1: r.l1 } : r.kind === 'L2' ? { l2: r.l2 } : { l1: r.l1, l2: r.l2 };
  return { module: 'keras.regularizers', class_name: r.kind, config, registered_name: null };
}

// ---- activity regularizers: penalties on a layer's outputs, collected during one forward pass ----

/** One layer output to penalize: the regularizer and the output (kept until the loss is formed). */
export interface ActivityTerm {
  reg: Regularizer;
  output: Tensor;
}
let collecting: ActivityTerm[] | null = null;

/**
 * Run a forward pass and return what it gave with the layer outputs that carry an activity regularizer (fit,
 * evaluate); `addPenalties` turns them into penalties.
 * NOTE: only while collecting: predict and plain calls record nothing.
 */
export function collectActivityLosses<T>(f: () => T): [T, ActivityTerm[]] {
  const prev = collecting;
  const mine: ActivityTerm[] = [];
  collecting = mine;
  try {
    return [f(), mine];
  } finally {
    collecting = prev;
  }
}

/**
 * Record each output tensor of the layer's calls for its penalty (a forward hook: Layer.apply runs it outside shape
 * inference and keeps what it is shown).
 * NOTE: the penalty is computed after the forward pass (addPenalties), not here: a value made inside the model's
 * call would be released when the call's lifetime frame ends; the output is kept (`keep`) until then.
 */
function hookActivity(layer: Layer, reg: Regularizer): void {
  layer.registerForwardHook((_l, _x, y) => {
    if (collecting)
      for (const t of Array.isArray(y) ? y : [y])
        if (t instanceof Tensor && t.rank > 0) collecting.push({ reg, output: keep(t) });
  });
}

/** Activity regularizers read from tf.keras files: their penalty is divided by the batch size. */
const perBatch = new WeakSet<Regularizer>();
/** Mark an activity regularizer as tf.keras's, whose penalty is divided by the batch size (the importer does); returns it. */
export function tfKerasActivity<R extends Regularizer | null | undefined>(r: R): R {
  if (r) perBatch.add(r);
  return r;
}

/**
 * An activity penalty: `penalty(output)`, summed over the whole batch.
 * NOTE: as Keras 3 (`Layer.__call__` adds `activity_regularizer(output)`) and standalone Keras 1.2–2.3; tf.keras
 * (2.2.4-tf to 2.15, `_handle_activity_regularization`) divides it by the batch size, and a model imported from a
 * tf.keras file keeps that (`tfKerasActivity`). TF.js refuses to run a layer that has one.
 */
const activityPenalty = (a: ActivityTerm): Tensor =>
  perBatch.has(a.reg) ? div(a.reg.apply(a.output), a.output.shape[0] || 1) : a.reg.apply(a.output);

// ---- weight penalties ----

/**
 * The weight penalties of every regularized weight under `root` (Keras/TF.js `model.losses` without the activity
 * terms), one scalar per weight, differentiable.
 * NOTE: as TF.js and tf.keras, a frozen weight's penalty counts too (it changes the reported loss, not the
 * gradient); Keras 3 counts only trainable weights.
 * NOTE: the recurrent layers' and Bidirectional's penalties count, as Keras; TF.js leaves them out of training (its
 * RNN layer does not pass on its cell's losses, and Bidirectional reads those of its template layer, never built).
 */
export function weightPenalties(root: Layer): Tensor[] {
  if (!anyRegularized) return [];
  const out: Tensor[] = [];
  // NOTE: a layer called several times (shared) adds its weights' penalties once, as Keras; TF.js's
  // `Container.calculateLosses` adds them once per call of the layer in the model.
  for (const l of layersUnder(root)) {
    const regs = registry.get(l)?.byOption;
    if (!regs) continue;
    // own weights only (not a child's): Layer keeps them in its protected ownWeights
    const own = (l as unknown as { ownWeights: Weight[] }).ownWeights;
    for (const [opt, r] of Object.entries(regs)) {
      const w = REGULARIZER_OPTIONS[opt as RegularizerOption].weight;
      const found = w === null ? undefined : own.find((x) => x.name === w);
      if (found) out.push(penaltyOf(r, found.value, `${l.name} (${l.className}): ${opt}`));
    }
  }
  return out;
}

/** `r.apply(x)`, an error from it (OrthogonalRegularizer on a conv kernel) naming the layer and the option. */
function penaltyOf(r: Regularizer, x: Tensor, where: string): Tensor {
  try {
    return r.apply(x);
  } catch (e) {
    if (e instanceof ValueError) throw new ValueError(`${where}: ${e.message}`);
    throw e;
  }
}

installPenalties(weightPenalties);

/** The training loss with the regularization penalties added (weights of `model`, and the activity terms). */
export function addPenalties(model: Layer, loss: Tensor, activity: ActivityTerm[]): Tensor {
  const all = [...weightPenalties(model), ...activity.map(activityPenalty)];
  return all.reduce((a, p) => add(a, p), loss);
}
