// loadModel / modelFromJson / loadWeights: read a Keras file, build the model, assign and report the weights.
import { checkOptions } from '../../core/options.js';
import {
  CONTEXT_OPTIONS,
  LOAD_MODEL_OPTIONS,
  LOAD_WEIGHTS_OPTIONS,
  READ_KERAS_OPTIONS,
  pickOptions,
} from '../option-keys.js';
import type { Layer } from '../../nn/layer.js';
import { Model } from '../../nn/keras/model.js';
import { FormatError } from '../errors.js';
import { type ReadKerasOptions, readKerasFile } from './files.js';
import type { KerasFile } from './types.js';
import { type JsonValue, isJsonObject, parseJsonSafe } from '../safe-json.js';
import type { ByteSource } from '../source.js';
import { type BuiltModel, buildModel } from './build-model.js';
import { type ContextOptions, type KerasContext, configContext, makeContext } from './context.js';
import { KerasImportError, WeightMismatchError, WeightsOnlyError } from './errors.js';
import { KerasFunctional, KerasSequential } from './models.js';
import { type LoadReport, formatReport } from './report.js';
import { parseModelConfig } from './spec.js';
import { type AssignOptions, assignWeights } from './weights.js';

/** A model file, or an architecture JSON with a weights-only file. */
/** A model file, or an architecture (path, bytes, or the parsed JSON object) with a weights-only file. */
export type ModelSource = ByteSource | { config: ByteSource | Record<string, unknown>; weights?: ByteSource };

export interface LoadModelOptions extends ReadKerasOptions, ContextOptions, AssignOptions {
  /** Throw on any weight problem (default true); with false, the report lists problems and matching weights load. */
  strict?: boolean;
  /** Batch input shape (null for any size) for a Sequential model whose config records none. */
  inputShape?: (number | null)[];
}

/** A model made by the importer: a normal tapegrad model that also carries its load report. */
export type ImportedModel = (KerasSequential | KerasFunctional) & { loadReport: LoadReport };

/** Read a source (one file, or `{config, weights}`) into one KerasFile. */
export async function readSource(src: ModelSource, opts: ReadKerasOptions = {}): Promise<KerasFile> {
  if (
    typeof src === 'object' &&
    src !== null &&
    !(src instanceof Uint8Array) &&
    !(src instanceof ArrayBuffer) &&
    'config' in src
  ) {
    const raw =
      src.config instanceof Uint8Array || src.config instanceof ArrayBuffer || typeof src.config === 'string';
    const cfg =
      !raw && isJsonObject(src.config as JsonValue)
        ? configFile(src.config as JsonValue)
        : await readKerasFile(src.config as ByteSource, pickOptions(opts, READ_KERAS_OPTIONS));
    if (!cfg.modelConfig)
      throw new KerasImportError(
        `${cfg.source}: given as 'config' but holds no model config (format ${cfg.format})`,
      );
    if (src.weights === undefined) return cfg;
    const w = await readKerasFile(src.weights, pickOptions(opts, READ_KERAS_OPTIONS));
    return {
      ...cfg,
      format: w.format,
      source: `${cfg.source} + ${w.source}`,
      kerasVersion: w.kerasVersion ?? cfg.kerasVersion,
      backend: w.backend ?? cfg.backend,
      layers: w.layers,
    };
  }
  return readKerasFile(src as ByteSource, pickOptions(opts, READ_KERAS_OPTIONS));
}

function configFile(json: JsonValue): KerasFile {
  const o = isJsonObject(json) ? json : {};
  return {
    format: 'keras-json',
    source: '<config>',
    kerasVersion: typeof o.keras_version === 'string' ? o.keras_version : null,
    backend: typeof o.backend === 'string' ? o.backend : null,
    modelConfig: json,
    trainingConfig: null,
    metadata: null,
    layers: [],
  };
}

/**
 * Load a Keras model: legacy HDF5 (Keras 1/2), Keras 3 `.keras`, TF.js `model.json`, or `{config, weights}`.
 * Returns a tapegrad model whose `loadReport` lists every weight expected and found.
 */
export async function loadModel(src: ModelSource, opts: LoadModelOptions = {}): Promise<ImportedModel> {
  checkOptions('keras.loadModel', opts, LOAD_MODEL_OPTIONS);
  const file = await readSource(src, opts);
  if (!file.modelConfig) {
    const hint =
      typeof src === 'string'
        ? `keras.loadModel({ config: 'model.json', weights: '${src}' })`
        : 'keras.loadModel({ config, weights })';
    throw new WeightsOnlyError(
      `${file.source}: a weights-only file (${file.format}) has no architecture; give the architecture too: ${hint}, or load into a model built in code with keras.loadWeights(model, file)`,
      typeof src === 'string' ? src : file.source,
      file.format,
    );
  }
  return modelFromFile(file, opts);
}

/** Build and fill a model from an already-read KerasFile. */
export function modelFromFile(file: KerasFile, opts: LoadModelOptions = {}): ImportedModel {
  const ctx = makeContext(file, opts);
  const spec = parseModelConfig(file.modelConfig!, ctx);
  const fileWeights = new Map(
    file.layers.map((l) => [l.name, l.weights.map((w) => ({ name: w.name, shape: [...w.shape] }))]),
  );
  const inputShape = opts.inputShape ?? inferInputShape(spec, file);
  const built = buildModel(spec, ctx, { fileWeights, ...(inputShape ? { inputShape } : {}) });
  if (!built.model.isBuilt())
    throw new KerasImportError(
      `${file.source}: model '${built.model.name}' records no input shape and none could be inferred; pass { inputShape: [null, ...] }`,
    );
  return finish(built, file, ctx, opts);
}

function finish(
  built: BuiltModel,
  file: KerasFile,
  ctx: KerasContext,
  opts: LoadModelOptions,
): ImportedModel {
  const hasWeights = file.layers.some((l) => l.weights.length);
  const { rows, problems, apply } = hasWeights
    ? assignWeights(built, file.layers, ctx, { ...opts, format: file.format })
    : { rows: [], problems: [], apply: () => {} };
  const notes = [...built.notes];
  if (!hasWeights) notes.push('the file holds no weights: the model keeps its initial (random) weights');
  const report = makeReport(file, ctx, built.model, rows, problems, notes);
  if (problems.length && (opts.strict ?? true))
    throw new WeightMismatchError(
      `${file.source}: the stored weights do not fit the model (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nPass { strict: false } to load what matches and inspect model.loadReport.`,
      report,
    );
  apply();
  const m = built.model as ImportedModel;
  Object.defineProperty(m, 'loadReport', {
    value: report,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  return m;
}

function makeReport(
  file: KerasFile,
  ctx: KerasContext,
  model: Model,
  rows: LoadReport['layers'],
  problems: string[],
  notes: string[],
): LoadReport {
  const total = model.countParams();
  const trainable = model.trainableWeights.reduce((a, w) => a + w.value.size, 0);
  const r: LoadReport = {
    source: file.source,
    format: file.format,
    kerasVersion: ctx.version,
    kerasMajor: ctx.major,
    backend: ctx.backend,
    backendFrom: ctx.backendFrom,
    layers: rows,
    problems,
    notes,
    ok: problems.length === 0,
    params: { total, trainable },
  };
  Object.defineProperty(r, 'toString', { value: () => formatReport(r), enumerable: false });
  return r;
}

/** A Sequential without a recorded input shape: infer it from the first layer's stored kernel when that is a Dense. */
function inferInputShape(
  spec: ReturnType<typeof parseModelConfig>,
  file: KerasFile,
): (number | null)[] | null {
  if (spec.kind !== 'sequential' || spec.batchInputShape || !spec.layers.length) return null;
  const first = spec.layers[0];
  const stored = file.layers.find((l) => l.name === first.name);
  if (first.className === 'Dense' && stored?.weights[0]?.shape.length === 2)
    return [null, stored.weights[0].shape[0]];
  return null;
}

/** Build the architecture alone from a model config (JSON text or an object); weights keep their initial values. */
export function modelFromJson(
  json: string | Record<string, unknown>,
  opts: ContextOptions & { inputShape?: (number | null)[]; source?: string } = {},
): KerasSequential | KerasFunctional {
  checkOptions('keras.modelFromJson', opts, [...CONTEXT_OPTIONS, 'inputShape', 'source']);
  let cfg = json as JsonValue;
  if (typeof json === 'string') {
    try {
      cfg = parseJsonSafe(json, opts.source ?? '<json>');
    } catch (e) {
      throw e instanceof FormatError
        ? e
        : new KerasImportError(`${opts.source ?? '<json>'}: ${(e as Error).message}`);
    }
  }
  // TF.js model.json and Keras `{model_config: ...}` wrappers are accepted too.
  if (isJsonObject(cfg) && isJsonObject(cfg.modelTopology))
    cfg = isJsonObject(cfg.modelTopology.model_config) ? cfg.modelTopology.model_config : cfg.modelTopology;
  if (isJsonObject(cfg) && isJsonObject(cfg.model_config)) cfg = cfg.model_config;
  const ctx = configContext(cfg, opts);
  const spec = parseModelConfig(cfg, ctx);
  const built = buildModel(spec, ctx, opts.inputShape ? { inputShape: opts.inputShape } : {});
  return built.model as KerasSequential | KerasFunctional;
}

/**
 * Load stored weights into a model built in code (or imported). Layers pair by name when every name matches,
 * else by position (as Keras's `load_weights`); `{byName: true}` forces names.
 */
export async function loadWeights(
  model: Layer,
  src: ByteSource,
  opts: LoadModelOptions = {},
): Promise<LoadReport> {
  checkOptions('keras.loadWeights', opts, LOAD_WEIGHTS_OPTIONS);
  const file = await readKerasFile(src, pickOptions(opts, READ_KERAS_OPTIONS));
  if (!(model instanceof Model))
    throw new KerasImportError(
      `loadWeights: expected a tapegrad model, got ${(model as object)?.constructor?.name ?? typeof model}`,
    );
  if (!model.isBuilt() && !(model as Model).ensureBuilt())
    throw new KerasImportError(
      `loadWeights: model '${model.name}' is not built yet; build it (model.buildModel([null, ...])) or run it once first`,
    );
  const ctx = makeContext(file, opts);
  const built: BuiltModel = { model, specs: new Map(), notes: [] };
  const { rows, problems, apply } = assignWeights(built, file.layers, ctx, { ...opts, format: file.format });
  const report = makeReport(file, ctx, model, rows, problems, []);
  // NOTE: a refused (strict) load writes nothing: the model keeps every weight it had
  if (problems.length && (opts.strict ?? true))
    throw new WeightMismatchError(
      `${file.source}: the stored weights do not fit model '${model.name}' (${problems.length} problem${problems.length > 1 ? 's' : ''}):\n${problems.map((p) => `  - ${p}`).join('\n')}\nNothing was loaded; pass { strict: false } to load what matches and inspect the report.`,
      report,
    );
  apply();
  return report;
}
