// ModelSpec → a tapegrad model: layers from the registry (or user implementations), Sequential or functional graph.
import { type AllocationLimit, withAllocationLimit } from '../../core/dtype.js';
import type { Layer } from '../../nn/layer.js';
import { InputLayer } from '../../nn/keras/layers/input.js';
import { followKeras2Masking, followKeras3Masking } from '../../nn/keras/mask.js';
import type { Model } from '../../nn/keras/model.js';
import type { SymbolicTensor } from '../../nn/symbolic.js';
import { isJsonObject } from '../safe-json.js';
import { type JsonObject, LayerCfg, brief } from './cfg.js';
import { canonicalLayer } from './canonical.js';
import type { KerasContext } from './context.js';
import { CustomLayer } from './custom-layer.js';
import { KerasImportError, type UnknownLayerInfo, UnknownLayerError } from './errors.js';
import { installKeras1Weights } from './keras1-weights.js';
import { importOffsets } from './nested-nodes.js';
import { KerasFunctional, KerasSequential, importedFrom, importedLayers } from './models.js';
import { type BuildCtx, builtinEntry, customImpl } from './registry.js';
import { baseArgs } from './builders/common.js';
import type { LayerSpec, ModelSpec, TensorRef } from './spec.js';
import './builders/index.js';

export interface BuildOptions {
  /** Stored weights per layer name (name, shape), used for custom layers and for unknown-layer messages. */
  fileWeights?: Map<string, { name: string; shape: number[] }[]>;
  /** Batch input shape for a Sequential model whose config records none (batch axis first, null allowed). */
  inputShape?: (number | null)[];
  /** Caps on tensors allocated while building (default {@link IMPORT_ALLOCATION_LIMIT}). */
  allocationLimit?: AllocationLimit;
}

/** Default build limits: 1 GiB per tensor (as the HDF5 reader's per-dataset limit), 4 GiB in total. */
export const IMPORT_ALLOCATION_LIMIT: AllocationLimit = { maxBytes: 1024 ** 3, maxTotalBytes: 4 * 1024 ** 3 };

/** The built model plus what the load report needs about each layer. */
export interface BuiltModel {
  model: Model;
  /** For each built layer: its spec (class, canonical config). */
  specs: Map<Layer, { className: string; fileClassName: string; config: JsonObject }>;
  /** Notes for the report (ignored options, defaults applied). */
  notes: string[];
}

/** Every layer whose class has neither a built-in nor a registered implementation, at any depth. */
export function findUnknownLayers(
  spec: ModelSpec,
  ctx: KerasContext,
  fileWeights?: BuildOptions['fileWeights'],
): UnknownLayerInfo[] {
  const out: UnknownLayerInfo[] = [];
  const visit = (
    l:
      | LayerSpec
      | {
          className: string;
          fileClassName: string;
          name: string;
          config: JsonObject;
          module: string | null;
          registeredName: string | null;
        },
  ): void => {
    if ('model' in l && l.model) return l.model.layers.forEach(visit);
    if (l.className === 'InputLayer') return;
    if (customImpl(l.name, [l.fileClassName, l.className], l.registeredName)) return;
    // NOTE: a Lambda is always "unknown" until registered: its Python code (bytecode or a function name) never runs.
    if (l.className === 'Lambda' || !builtinEntry(l.className)) {
      out.push({
        source: ctx.source,
        layerName: l.name,
        className: l.fileClassName,
        module: l.module,
        registeredName: l.registeredName,
        configKeys: Object.keys(l.config),
        weights: fileWeights?.get(l.name) ?? [],
      });
      return;
    }
    for (const k of ['layer', 'backward_layer']) {
      const inner = l.config[k];
      if (isJsonObject(inner) && typeof inner.class_name === 'string')
        visit({
          className: inner.class_name,
          fileClassName: String(inner.file_class_name ?? inner.class_name),
          name: String((isJsonObject(inner.config) && inner.config.name) || `${l.name}/${k}`),
          config: isJsonObject(inner.config) ? inner.config : {},
          module: null,
          registeredName: typeof inner.registered_name === 'string' ? inner.registered_name : null,
        });
    }
  };
  spec.layers.forEach(visit);
  return out;
}

/** The message of an UnknownLayerError: every unknown layer with its class, config keys and weights. */
export function unknownLayersMessage(list: UnknownLayerInfo[]): string {
  const lines = list.map((u) => {
    const ws = u.weights.length
      ? u.weights.map((w) => `${w.name} [${w.shape.join(', ')}]`).join(', ')
      : 'none';
    const reg =
      u.registeredName && u.registeredName !== u.className
        ? ` (registered as '${u.registeredName}'${u.module ? ` in ${u.module}` : ''})`
        : u.module && !u.module.startsWith('keras')
          ? ` (module ${u.module})`
          : '';
    const lambda =
      u.className === 'Lambda'
        ? ' (holds Python code, which tapegrad never runs: register it by layer name)'
        : '';
    return `  - layer '${u.layerName}': class '${u.className}'${lambda}${reg}; config keys: ${u.configKeys.join(', ') || 'none'}; weights: ${ws}`;
  });
  const first = list[0];
  return (
    `${first.source}: ${list.length} layer${list.length > 1 ? 's have classes' : ' has a class'} tapegrad does not implement:\n${lines.join('\n')}\n` +
    `Register an implementation with keras.registerLayer('${first.className}', (inputs, weights, config) => output) ` +
    `(or by layer name, e.g. '${first.layerName}'); keras.layerSkeleton(error.layers[0]) prints a TypeScript starting point.`
  );
}

/** Build the tapegrad model for a spec. Throws UnknownLayerError (listing all of them) before building anything. */
export function buildModel(spec: ModelSpec, ctx: KerasContext, opts: BuildOptions = {}): BuiltModel {
  const unknown = findUnknownLayers(spec, ctx, opts.fileWeights);
  if (unknown.length) throw new UnknownLayerError(unknownLayersMessage(unknown), unknown);
  const specs: BuiltModel['specs'] = new Map();
  const notes: string[] = [];
  const b: BuildCtx = {
    ctx,
    warn: (m) => notes.push(m),
    fileWeights: (n) => opts.fileWeights?.get(n) ?? [],
    nested: (entry, key, parent) => {
      const c = canonicalLayer(entry, ctx, `${parent.where.layer}/${key}`);
      return buildLayer({ ...c, inbound: [] }, ctx, b, specs, notes, false);
    },
  };
  // NOTE: a config can describe any size of weights and activations, so building it runs under allocation limits.
  const model = withAllocationLimit(
    opts.allocationLimit ?? IMPORT_ALLOCATION_LIMIT,
    `${ctx.source}: building model '${spec.name}'`,
    () => buildSpec(spec, ctx, b, specs, notes, opts.inputShape ?? null, true),
  );
  importedFrom.set(model, ctx);
  if (ctx.major === 1) installKeras1Weights(model, specs, ctx);
  return { model, specs, notes };
}

/**
 * Build one layer. `declaresInput` is true only for the first layer of a Sequential: Keras ignores the
 * `batch_input_shape` that other layers may carry (stale copies are common in saved configs).
 */
function buildLayer(
  l: LayerSpec,
  ctx: KerasContext,
  b: BuildCtx,
  specs: BuiltModel['specs'],
  notes: string[],
  declaresInput = false,
): Layer {
  if (l.model) {
    const m = buildSpec(l.model, ctx, b, specs, notes, null, false);
    (m as KerasSequential | KerasFunctional).nested = true;
    return m;
  }
  const own: JsonObject = { ...l.config };
  if (!declaresInput) {
    delete own.batch_input_shape;
    if (l.className === 'Embedding') delete own.input_length;
  }
  const cfg = new LayerCfg(own, { source: ctx.source, layer: l.name, className: l.fileClassName });
  const impl = customImpl(l.name, [l.fileClassName, l.className], l.registeredName);
  let layer: Layer;
  if (impl && typeof impl === 'object' && 'layer' in impl) layer = impl.layer({ ...l.config }, baseArgs(cfg));
  else if (impl) layer = new CustomLayer(l.name, l.fileClassName, l.config, impl, b.fileWeights(l.name), cfg);
  else {
    const entry = builtinEntry(l.className);
    if (!entry)
      throw new UnknownLayerError(
        unknownLayersMessage([
          {
            source: ctx.source,
            layerName: l.name,
            className: l.fileClassName,
            module: l.module,
            registeredName: l.registeredName,
            configKeys: Object.keys(l.config),
            weights: b.fileWeights(l.name),
          },
        ]),
        [],
      );
    layer = withSource(`${ctx.source}: layer '${l.name}' (${l.fileClassName})`, ctx.source, () =>
      entry.build(cfg, b),
    );
    // Keras 3 drops a mask at a layer that cannot use it (with a warning) where Keras 2 refuses it; merges and
    // BatchNormalization use masks by version (mask.ts)
    if (ctx.major === 3) followKeras3Masking(layer, b.warn, ctx.version);
    else if (ctx.major === 2 && !ctx.tfjs) followKeras2Masking(layer, ctx.version);
    // NOTE: a key the builder did not read and that is not documented as inert would be silently ignored: refuse it.
    const unread = cfg.unreadKeys();
    if (unread.length)
      throw new KerasImportError(
        `${cfg.prefix}: unknown option${unread.length > 1 ? 's' : ''} ${unread.map((k) => `'${k}'`).join(', ')} ` +
          `(known: ${cfg.readKeys().join(', ')}; ignored as inert: see docs/keras-import.md)`,
      );
  }
  specs.set(layer, { className: l.className, fileClassName: l.fileClassName, config: l.config });
  importedLayers.set(layer, { className: l.className, config: l.config });
  return layer;
}

/** Run `f`; an error whose message does not yet name the file gets `where` prefixed, so every error names it. */
function withSource<T>(where: string, source: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(source)) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

function buildSpec(
  spec: ModelSpec,
  ctx: KerasContext,
  b: BuildCtx,
  specs: BuiltModel['specs'],
  notes: string[],
  inputShape: (number | null)[] | null,
  top: boolean,
): Model {
  if (spec.kind === 'sequential') {
    const layers = spec.layers.map((l, i) => buildLayer(l, ctx, b, specs, notes, i === 0));
    const shape = spec.batchInputShape ?? inputShape;
    const m = new KerasSequential({ name: spec.name, layers, ...(shape ? { batchInputShape: shape } : {}) });
    if (shape) withSource(`${ctx.source}: model '${spec.name}'`, ctx.source, () => m.buildModel(shape));
    // NOTE: a nested model as the first layer brings its own input shape (Keras and TF.js build from it)
    else if (!(spec.layers[0]?.model && m.ensureBuilt()) && top)
      notes.push(
        `model '${spec.name}': the config records no input shape; the model builds on its first call (or pass inputShape)`,
      );
    return m;
  }
  return buildFunctional(spec, ctx, b, specs, notes);
}

/**
 * The call keyword arguments of one inbound node. `training: true/false` stays the node's own (Monte Carlo dropout,
 * `BatchNormalization(training=True)`, a base model called with `training=False`: it wins over the model's mode at
 * run time); null values are the defaults. Anything else changes what the call computes: refused by name, except
 * on a registered (custom) layer, whose function sees only the config (listed in the load report).
 */
function callKwargs(
  kwargs: JsonObject,
  layer: Layer,
  where: string,
): { kwargs: { training?: boolean }; ignored: string[] } {
  const out: { training?: boolean } = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(kwargs)) {
    if (v === null) continue;
    if (k === 'training' && typeof v === 'boolean') out.training = v;
    else if (layer instanceof CustomLayer) ignored.push(k);
    else if (k === 'mask')
      throw new KerasImportError(
        `${where}: a mask passed explicitly in the call (mask = ${brief(v)}) is not supported; tapegrad's masks come from Masking and Embedding(mask_zero=True) layers`,
      );
    else
      throw new KerasImportError(
        `${where}: call keyword argument '${k}' = ${brief(v)} is not supported (supported: training = true/false; null values)`,
      );
  }
  return { kwargs: out, ignored };
}

function buildFunctional(
  spec: ModelSpec,
  ctx: KerasContext,
  b: BuildCtx,
  specs: BuiltModel['specs'],
  notes: string[],
): Model {
  const where = `${ctx.source}: model '${spec.name}'`;
  const layers = new Map<string, Layer>();
  const outputs = new Map<string, SymbolicTensor[]>(); // `${layer}#${node}` → outputs
  for (const l of spec.layers) {
    if (l.className === 'InputLayer') {
      const c = new LayerCfg(l.config, { source: ctx.source, layer: l.name, className: 'InputLayer' });
      const shape = c.shape('batch_input_shape');
      if (!shape) c.fail('batch_input_shape', 'an InputLayer needs a batch_input_shape (or batch_shape)');
      const dt = c.raw('dtype');
      const input = new InputLayer({
        name: l.name,
        batchShape: shape,
        dtype:
          typeof dt === 'string' && /int|bool/.test(dt) ? 'int32' : dt === 'float64' ? 'float64' : 'float32',
      });
      layers.set(l.name, input);
      outputs.set(`${l.name}#0`, [input.output]);
    } else layers.set(l.name, buildLayer(l, ctx, b, specs, notes));
  }
  // NOTE: like Keras's from_config, nodes are processed when their inputs exist, so the layer list order does not matter.
  const pending: { l: LayerSpec; node: number }[] = [];
  for (const l of spec.layers)
    if (l.className !== 'InputLayer') l.inbound.forEach((_, i) => pending.push({ l, node: i }));
  // a nested model's node index in the file → its call index (nested-nodes.ts: per format, older files detected)
  const offsets = importOffsets(spec);
  const callOf = (r: TensorRef, endpoint: boolean): number => {
    const o = offsets.get(r.layer);
    return r.node - (o ? (endpoint ? o.endpoint : o.inbound) : 0);
  };
  const get = (r: TensorRef, endpoint = false): SymbolicTensor | undefined =>
    outputs.get(`${r.layer}#${callOf(r, endpoint)}`)?.[r.tensor];
  let progress = true;
  while (pending.length && progress) {
    progress = false;
    for (let i = 0; i < pending.length; i++) {
      const { l, node } = pending[i];
      if (node > 0 && !outputs.has(`${l.name}#${node - 1}`)) continue;
      const n = l.inbound[node];
      const ins = n.inputs.map((r) => get(r));
      if (ins.some((t) => t === undefined)) continue;
      const layer = layers.get(l.name)!;
      const callKw = callKwargs(
        n.kwargs,
        layer,
        `${where}: layer '${l.name}' (${l.fileClassName}), call ${node}`,
      );
      if (callKw.ignored.length)
        notes.push(
          `layer '${l.name}': call keyword argument${callKw.ignored.length > 1 ? 's' : ''} ${callKw.ignored.join(', ')} not passed to the registered implementation`,
        );
      let out;
      try {
        out = layer.apply(
          n.list ? (ins as SymbolicTensor[]) : ins.length === 1 ? ins[0]! : (ins as SymbolicTensor[]),
          callKw.kwargs,
        );
      } catch (e) {
        if (e instanceof Error)
          e.message = `${where}: layer '${l.name}' (${l.fileClassName}), call ${node}: ${e.message}`;
        throw e;
      }
      outputs.set(
        `${l.name}#${node}`,
        Array.isArray(out) ? (out as SymbolicTensor[]) : [out as SymbolicTensor],
      );
      pending.splice(i, 1);
      i--;
      progress = true;
    }
  }
  if (pending.length) {
    const p = pending[0];
    const missing = p.l.inbound[p.node].inputs
      .filter((r) => !get(r))
      .map((r) => `${r.layer}[${r.node}][${r.tensor}]`);
    throw new KerasImportError(
      `${where}: cannot connect layer '${p.l.name}' (call ${p.node}): its input ${missing.join(', ')} is never produced (a missing layer, a bad index, or a cycle)`,
    );
  }
  const ref = (r: TensorRef, what: string): SymbolicTensor => {
    const t = get(r, true);
    if (!t) throw new KerasImportError(`${where}: ${what} ${r.layer}[${r.node}][${r.tensor}] does not exist`);
    return t;
  };
  const ins = spec.inputs.map((r) => ref(r, 'input'));
  const outs = spec.outputs.map((r) => ref(r, 'output'));
  const m = new KerasFunctional({
    name: spec.name,
    inputs: spec.singleInput ? ins[0] : ins,
    outputs: spec.singleOutput ? outs[0] : outs,
  });
  const used = new Set(m.layers);
  m.layerOrder = spec.layers.map((l) => layers.get(l.name)!).filter((l) => used.has(l));
  return m;
}
