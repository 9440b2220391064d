// Checkpoints: a model's named weights (and optionally its optimizer's state) in one safetensors file, written
// atomically; loading compares names and shapes first and reports every mismatch before anything is written.
import { checkOptions } from '../core/options.js';
import { LOAD_CHECKPOINT_OPTIONS, SAVE_CHECKPOINT_OPTIONS } from './option-keys.js';
import { ValueError, fmtShape } from '../core/errors.js';
import { Tensor, writeValues } from '../core/tensor.js';
import { Rng } from '../core/random.js';
import type { Layer } from '../nn/layer.js';
import type { Optimizer } from '../train/optim/optimizer.js';
import { FileError, FormatError } from './errors.js';
import { baseName } from './node-fs.js';
import { loadSafetensors, saveSafetensors } from './safetensors.js';

/** Prefix of optimizer-state tensors inside a checkpoint: `optimizer/adam/dense.kernel/m`. */
export const OPTIMIZER_PREFIX = 'optimizer/';
/** Name of the saved random-generator state (float64 [5]: 4 state words and the cached normal sample). */
export const RNG_KEY = 'rng/state';
/** Metadata keys tapegrad writes; user metadata may not start with this. */
const RESERVED = 'tapegrad.';
const FORMAT = 'tapegrad-checkpoint';
const FORMAT_VERSION = '1';
const VERSION = '0.1.0';

export interface SaveCheckpointOptions {
  /** Optimizer whose state (`getState()`) is saved too; default: the compiled model's optimizer; `null` skips it. */
  optimizer?: Optimizer | null;
  /** Extra string metadata stored in the safetensors header (keys may not start with `tapegrad.`). */
  metadata?: Record<string, string>;
  /** A generator whose state is saved too (e.g. `tg.globalRng`, which fit uses to shuffle), for exact resumes. */
  rng?: Rng | null;
}

export interface LoadCheckpointOptions {
  /**
   * Optimizer to restore (`setState`). Default: the compiled model's optimizer when the file holds optimizer state;
   * `null` ignores the file's optimizer state.
   */
  optimizer?: Optimizer | null;
  /** Throw one CheckpointMismatchError listing every problem, loading nothing (default true). */
  strict?: boolean;
  /** Largest file accepted (default 4 GiB). */
  maxBytes?: number;
  /** A generator to restore from the file's saved state (an error, or a problem, when the file has none). */
  rng?: Rng | null;
}

/** A name present on both sides with different shapes. */
export interface ShapeMismatch {
  name: string;
  /** Shape in the model (or optimizer). */
  expected: number[];
  /** Shape in the file. */
  found: number[];
}

/** How one group of tensors (weights or optimizer state) compares with the file. */
export interface MatchReport {
  /** Same name and shape: loaded (unless a strict load failed). */
  matched: string[];
  /** In the model/optimizer but not in the file. */
  missing: string[];
  /** In the file but not in the model/optimizer. */
  unexpected: string[];
  shapeMismatch: ShapeMismatch[];
  /** Matched tensors whose values changed dtype on load, e.g. `dense.kernel: float64 → float32`. */
  converted: string[];
}

export interface CheckpointReport {
  path: string;
  weights: MatchReport;
  /** Null when no optimizer state was compared (none given and none in the file, or `optimizer: null`). */
  optimizer: MatchReport | null;
  /** The header metadata: tapegrad's `tapegrad.*` keys and the user's. */
  metadata: Record<string, string>;
  /** True when nothing is missing, unexpected or mismatched. */
  ok: boolean;
  /** Number of problems (missing + unexpected + shape mismatches, over weights and optimizer). */
  problems: number;
  /** 'restored' when `rng` was given and the file held its state, 'missing' when it did not, else null. */
  rng: 'restored' | 'missing' | null;
}

/** A checkpoint that does not fit the model or optimizer; `report` lists every problem. Nothing was loaded. */
export class CheckpointMismatchError extends ValueError {
  constructor(
    message: string,
    readonly report: CheckpointReport,
  ) {
    super(message);
  }
}

type CompiledLike = { compiled?: { optimizer: Optimizer } | null };

function compiledOptimizer(model: Layer): Optimizer | null {
  return (model as Layer & CompiledLike).compiled?.optimizer ?? null;
}

/** The model's weights by path name, after checking it is built and the names are unique. */
function namedWeightMap(model: Layer, action: string): Map<string, Tensor> {
  const named = model.namedWeights();
  if (!model.isBuilt()) model.assertBuilt(action);
  const out = new Map<string, Tensor>();
  for (const [name, w] of named) {
    const prev = out.get(name);
    if (prev && prev !== w.value)
      throw new ValueError(
        `${model.name}: two different weights are both named '${name}'; checkpoint names must be unique`,
      );
    out.set(name, w.value);
  }
  return out;
}

/**
 * Save a model's weights (every entry of `model.namedWeights()`, e.g. `conv2d.kernel`, trainable or not) and,
 * optionally, its optimizer state as one safetensors file. The write is atomic (temp file, fsync, rename): a crash
 * mid-save leaves the previous file intact; temp files of earlier killed saves are removed (core/atomic-write.ts).
 * @example await tg.saveCheckpoint('ckpt/model.safetensors', model, { metadata: { epoch: '3' } })
 */
export async function saveCheckpoint(
  path: string | Layer,
  model: Layer | string,
  opts: SaveCheckpointOptions = {},
): Promise<void> {
  checkOptions('saveCheckpoint', opts, SAVE_CHECKPOINT_OPTIONS);
  // NOTE: (path, model) and (model, path) are both accepted, so the argument order never trips anyone.
  if (typeof model === 'string') [path, model] = [model, path as Layer];
  if (typeof path !== 'string' || path.length === 0)
    throw new FileError('saveCheckpoint: path must be a non-empty string');
  const tensors = namedWeightMap(model, 'save a checkpoint');
  const opt = opts.optimizer === undefined ? compiledOptimizer(model) : opts.optimizer;
  const meta: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(opts.metadata ?? {})) {
    if (k.startsWith(RESERVED))
      throw new ValueError(
        `saveCheckpoint: metadata key '${k}' is reserved (keys starting with '${RESERVED}')`,
      );
    if (typeof v !== 'string')
      throw new ValueError(`saveCheckpoint: metadata '${k}' must be a string, got ${typeof v}`);
    meta[k] = v;
  }
  meta[`${RESERVED}format`] = FORMAT;
  meta[`${RESERVED}format_version`] = FORMAT_VERSION;
  meta[`${RESERVED}version`] = VERSION;
  meta[`${RESERVED}model`] = model.name;
  meta[`${RESERVED}model_class`] = model.className;
  meta[`${RESERVED}weight_order`] = JSON.stringify([...tensors.keys()]);
  if (opt) {
    meta[`${RESERVED}optimizer`] = opt.rule.name;
    for (const [k, t] of Object.entries(opt.getState())) {
      if (tensors.has(OPTIMIZER_PREFIX + k))
        throw new ValueError(
          `saveCheckpoint: a weight is named '${OPTIMIZER_PREFIX + k}', which clashes with the optimizer state`,
        );
      tensors.set(OPTIMIZER_PREFIX + k, t);
    }
  }
  if (opts.rng) {
    if (tensors.has(RNG_KEY))
      throw new ValueError(
        `saveCheckpoint: a weight is named '${RNG_KEY}', which clashes with the generator state`,
      );
    tensors.set(RNG_KEY, new Tensor(Float64Array.from(opts.rng.getState()), [5]));
  }
  saveSafetensors(path, tensors, meta);
}

function validRngState(t: Tensor, file: string): boolean {
  try {
    if (t.size !== 5) throw new ValueError(`shape ${fmtShape(t.shape)}, expected [5]`);
    new Rng().setState(t.data);
    return true;
  } catch (e) {
    throw new FormatError(`${file}: ${RNG_KEY} is not a generator state (${(e as Error).message})`);
  }
}

function compare(expected: Map<string, Tensor>, found: Map<string, Tensor>): MatchReport {
  const r: MatchReport = { matched: [], missing: [], unexpected: [], shapeMismatch: [], converted: [] };
  for (const [name, t] of expected) {
    const f = found.get(name);
    if (!f) r.missing.push(name);
    else if (t.shape.length !== f.shape.length || t.shape.some((d, i) => d !== f.shape[i]))
      r.shapeMismatch.push({ name, expected: [...t.shape], found: [...f.shape] });
    else {
      r.matched.push(name);
      if (t.dtype !== f.dtype) r.converted.push(`${name}: ${f.dtype} → ${t.dtype}`);
    }
  }
  for (const name of found.keys()) if (!expected.has(name)) r.unexpected.push(name);
  return r;
}

const count = (r: MatchReport | null): number =>
  r ? r.missing.length + r.unexpected.length + r.shapeMismatch.length : 0;

function describeProblems(
  r: MatchReport,
  shapes: Map<string, Tensor>,
  file: Map<string, Tensor>,
  what: string,
): string[] {
  const lines: string[] = [];
  for (const n of r.missing)
    lines.push(
      `  ${what}missing ${n} ${fmtShape(shapes.get(n)!.shape)} (in the ${what ? 'optimizer' : 'model'}, not in the file)`,
    );
  for (const n of r.unexpected)
    lines.push(
      `  ${what}unexpected ${n} ${fmtShape(file.get(n)!.shape)} (in the file, not in the ${what ? 'optimizer' : 'model'})`,
    );
  for (const m of r.shapeMismatch)
    lines.push(
      `  ${what}shape mismatch ${m.name}: file ${fmtShape(m.found)}, ${what ? 'optimizer' : 'model'} ${fmtShape(m.expected)}`,
    );
  return lines;
}

/**
 * Load a checkpoint written by {@link saveCheckpoint} (or any safetensors file whose tensor names are the model's
 * weight paths). Names and shapes are compared first; with `strict` (default) any missing, unexpected or
 * mismatched tensor throws ONE {@link CheckpointMismatchError} listing them all and nothing is changed. Without
 * `strict`, matching tensors are loaded and the rest reported. Float dtypes convert to the model's dtype.
 * @returns what matched, what was missing, unexpected or of another shape, and the file's metadata
 */
export async function loadCheckpoint(
  path: string | Layer,
  model: Layer | string,
  opts: LoadCheckpointOptions = {},
): Promise<CheckpointReport> {
  checkOptions('loadCheckpoint', opts, LOAD_CHECKPOINT_OPTIONS);
  // NOTE: (path, model) and (model, path) are both accepted, so the argument order never trips anyone.
  if (typeof model === 'string') [path, model] = [model, path as Layer];
  if (typeof path !== 'string' || path.length === 0)
    throw new FileError('loadCheckpoint: path must be a non-empty string');
  const strict = opts.strict ?? true;
  const expected = namedWeightMap(model, 'load a checkpoint into');
  const st = loadSafetensors(path, { maxBytes: opts.maxBytes });
  const fileWeights = new Map<string, Tensor>();
  const fileOpt = new Map<string, Tensor>();
  for (const [k, t] of st.tensors)
    if (k !== RNG_KEY) (k.startsWith(OPTIMIZER_PREFIX) ? fileOpt : fileWeights).set(k, t);
  const rngState = st.tensors.get(RNG_KEY);
  // validate the saved generator state on a scratch generator, so a bad one fails before anything is loaded
  const rngOk = !!opts.rng && !!rngState && validRngState(rngState, baseName(path));
  const metadata: Record<string, string> = Object.fromEntries(st.metadata);
  renameByOrder(expected, fileWeights, fileOpt, metadata[`${RESERVED}weight_order`]);
  const weights = compare(expected, fileWeights);
  let opt: Optimizer | null = null;
  if (opts.optimizer === undefined) opt = fileOpt.size ? compiledOptimizer(model) : null;
  else opt = opts.optimizer;
  let optReport: MatchReport | null = null;
  let optExpected = new Map<string, Tensor>();
  let optFound = new Map<string, Tensor>();
  if (opt) {
    if (opt.parameters.length === 0)
      throw new ValueError(
        `loadCheckpoint: the ${opt.rule.name} optimizer has no parameters yet; compile the model or call optimizer.setParameters(model.namedParameters()) before loading its state`,
      );
    optExpected = new Map(Object.entries(opt.getState()));
    optFound = new Map([...fileOpt].map(([k, t]) => [k.slice(OPTIMIZER_PREFIX.length), t]));
    optReport = compare(optExpected, optFound);
  }
  const problems = count(weights) + count(optReport) + (opts.rng && !rngOk ? 1 : 0);
  const report: CheckpointReport = {
    path,
    weights,
    optimizer: optReport,
    metadata,
    ok: problems === 0,
    problems,
    rng: opts.rng ? (rngOk ? 'restored' : 'missing') : null,
  };
  if (strict && problems > 0) {
    const lines = [
      ...describeProblems(weights, expected, fileWeights, ''),
      ...(optReport ? describeProblems(optReport, optExpected, optFound, 'optimizer ') : []),
    ];
    if (opts.rng && !rngOk) lines.push(`  missing ${RNG_KEY} (the file was saved without { rng })`);
    const fileRule = metadata[`${RESERVED}optimizer`];
    if (opt && fileRule && fileRule !== opt.rule.name)
      lines.push(`  the file holds ${fileRule} optimizer state but the optimizer given is ${opt.rule.name}`);
    throw new CheckpointMismatchError(
      `${baseName(path)}: checkpoint does not fit ${model.className} '${model.name}' (${problems} problem${problems === 1 ? '' : 's'}; ${weights.matched.length} of ${expected.size} weights match):\n${lines.join('\n')}\nNothing was loaded; pass { strict: false } to load the matching tensors and skip the rest.`,
      report,
    );
  }
  // Optimizer first: setState validates everything before it changes anything, so a failure leaves both untouched.
  if (opt && optReport) {
    const state: Record<string, Tensor> = {};
    const matched = new Set(optReport.matched);
    for (const [k, cur] of optExpected) state[k] = matched.has(k) ? optFound.get(k)! : cur;
    opt.setState(state);
  }
  for (const name of weights.matched) writeValues(expected.get(name)!, fileWeights.get(name)!.data);
  if (rngOk) opts.rng!.setState(rngState!.data);
  return report;
}

/** Save only the weights (no optimizer state): `saveCheckpoint(path, model, { optimizer: null })`. */
export async function saveWeights(
  model: Layer | string,
  path: string | Layer,
  opts: { metadata?: Record<string, string> } = {},
): Promise<void> {
  checkOptions('saveWeights', opts, ['metadata']);
  return saveCheckpoint(model, path, { optimizer: null, metadata: opts.metadata });
}

/** Load only the weights, ignoring any optimizer state in the file. */
export async function loadWeights(
  model: Layer | string,
  path: string | Layer,
  opts: { strict?: boolean; maxBytes?: number } = {},
): Promise<CheckpointReport> {
  checkOptions('loadWeights', opts, ['strict', 'maxBytes']);
  return loadCheckpoint(model, path, { ...opts, optimizer: null });
}

/**
 * A save function for `ModelCheckpoint`: `new tg.callbacks.ModelCheckpoint({ filepath, save: tg.checkpointSaver(model) })`.
 */
export function checkpointSaver(
  model: Layer,
  opts: SaveCheckpointOptions = {},
): (path: string) => Promise<void> {
  checkOptions('checkpointSaver', opts, SAVE_CHECKPOINT_OPTIONS);
  return (path) => saveCheckpoint(path, model, opts);
}

/**
 * NOTE: layer names come from a per-process counter (dense, dense_1, ...), so the same architecture built twice in one
 * process has other names. When no saved name matches but the saved weight order has the model's count and shapes,
 * the file's names are mapped onto the model's by position (optimizer slots follow their parameter).
 */
function renameByOrder(
  expected: Map<string, Tensor>,
  file: Map<string, Tensor>,
  fileOpt: Map<string, Tensor>,
  orderJson: string | undefined,
): void {
  if (!orderJson || [...expected.keys()].some((k) => file.has(k))) return;
  let order: unknown;
  try {
    order = JSON.parse(orderJson);
  } catch {
    return;
  }
  const exp = [...expected];
  if (!Array.isArray(order) || order.length !== exp.length || order.length !== file.size) return;
  const same = (a: readonly number[], b: readonly number[]) =>
    a.length === b.length && a.every((d, i) => d === b[i]);
  if (
    !order.every((n, i) => typeof n === 'string' && file.has(n) && same(file.get(n)!.shape, exp[i][1].shape))
  )
    return;
  const rename = new Map((order as string[]).map((n, i) => [n, exp[i][0]]));
  const renamed = [...file].map(([k, t]) => [rename.get(k)!, t] as const);
  file.clear();
  for (const [k, t] of renamed) file.set(k, t);
  const opt = [...fileOpt].map(([k, t]) => {
    const parts = k.slice(OPTIMIZER_PREFIX.length).split('/');
    if (parts.length >= 3 && rename.has(parts.slice(1, -1).join('/')))
      return [
        OPTIMIZER_PREFIX +
          [parts[0], rename.get(parts.slice(1, -1).join('/')), parts[parts.length - 1]].join('/'),
        t,
      ] as const;
    return [k, t] as const;
  });
  fileOpt.clear();
  for (const [k, t] of opt) fileOpt.set(k, t);
}
