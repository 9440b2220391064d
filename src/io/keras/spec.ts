// Model configs of every Keras version (Sequential lists, Keras 2 node lists, Keras 3 keras_history args) → ModelSpec.
import type { JsonValue } from '../safe-json.js';
import { isJsonObject } from '../safe-json.js';
import { type JsonObject, brief } from './cfg.js';
import { type CanonicalLayer, canonicalLayer, isModelClass } from './canonical.js';
import type { KerasContext } from './context.js';
import { KerasImportError } from './errors.js';

/** One tensor of a functional graph: output `tensor` of the `node`-th call of layer `layer`. */
export interface TensorRef {
  layer: string;
  node: number;
  tensor: number;
}

/** One call of a layer: its input tensors (a list when the layer took a list) and call kwargs. */
export interface InboundNode {
  inputs: TensorRef[];
  /** True when the layer was called with a list of tensors (merge layers), false for a single tensor. */
  list: boolean;
  kwargs: JsonObject;
  /** Written as Keras 3 `{args, kwargs}` (which numbers nested models' calls its own way: nested-nodes.ts). */
  keras3?: true;
}

export interface LayerSpec extends CanonicalLayer {
  /** Calls of this layer in a functional model, in order (empty in a Sequential). */
  inbound: InboundNode[];
  /** Set when the entry is itself a model (nested Sequential / Functional). */
  model?: ModelSpec;
}

export interface ModelSpec {
  kind: 'sequential' | 'functional';
  className: string;
  name: string;
  layers: LayerSpec[];
  /** Functional: model inputs and outputs. */
  inputs: TensorRef[];
  outputs: TensorRef[];
  /** Functional: whether the model takes/returns a single tensor rather than a list. */
  singleInput: boolean;
  singleOutput: boolean;
  /** Sequential: the batch input shape, from the first layer, an InputLayer entry, or build_input_shape. */
  batchInputShape: (number | null)[] | null;
}

const MAX_LAYERS = 100_000;

/**
 * Turn a model config (`{class_name, config}`) into a ModelSpec. Accepts Keras 1 and 2.0/2.1 Sequential configs
 * (a bare layer list), Keras 2.2+ `{name, layers}`, functional `input_layers`/`output_layers` with Keras 1/2
 * node lists or Keras 3 `{args, kwargs}` nodes, and nested models at any depth.
 */
export function parseModelConfig(modelConfig: JsonValue, ctx: KerasContext, depth = 0): ModelSpec {
  if (depth > 64) throw new KerasImportError(`${ctx.source}: models nest more than 64 levels deep`);
  if (!isJsonObject(modelConfig))
    throw new KerasImportError(`${ctx.source}: model config is not an object (got ${brief(modelConfig)})`);
  const cls = modelConfig.class_name;
  if (typeof cls !== 'string') throw new KerasImportError(`${ctx.source}: model config has no class_name`);
  if (!isModelClass(cls))
    throw new KerasImportError(
      `${ctx.source}: model config class '${cls}' is not a model (expected Sequential, Model or Functional)`,
    );
  const inner = modelConfig.config;
  const layerList = Array.isArray(inner) ? inner : isJsonObject(inner) ? inner.layers : undefined;
  if (!Array.isArray(layerList))
    throw new KerasImportError(`${ctx.source}: ${cls} config has no layer list (config.layers)`);
  if (layerList.length > MAX_LAYERS)
    throw new KerasImportError(
      `${ctx.source}: ${cls} config lists ${layerList.length} layers, above the limit of ${MAX_LAYERS}`,
    );
  const name =
    isJsonObject(inner) && typeof inner.name === 'string'
      ? inner.name
      : typeof modelConfig.name === 'string'
        ? modelConfig.name
        : cls.toLowerCase();
  if (cls === 'Sequential')
    return parseSequential(name, layerList, isJsonObject(inner) ? inner : {}, ctx, depth);
  return parseFunctional(cls, name, layerList, isJsonObject(inner) ? inner : {}, ctx, depth);
}

function layerSpecOf(
  entry: JsonValue,
  ctx: KerasContext,
  index: number,
  depth: number,
  functional: boolean,
): LayerSpec {
  const c = canonicalLayer(entry, ctx, `layer #${index}`);
  const spec: LayerSpec = { ...c, inbound: [] };
  if (isModelClass(c.fileClassName) || isModelClass(c.className)) {
    const fileCls = c.fileClassName === 'Model' ? 'Functional' : c.fileClassName;
    spec.model = parseModelConfig(
      {
        class_name: fileCls === 'Functional' ? 'Model' : fileCls,
        config: (entry as JsonObject).config ?? null,
      },
      ctx,
      depth + 1,
    );
    spec.className = spec.model.kind === 'sequential' ? 'Sequential' : 'Functional';
  }
  if (functional) {
    const nodes = (entry as JsonObject).inbound_nodes ?? [];
    if (!Array.isArray(nodes))
      throw new KerasImportError(
        `${ctx.source}: layer '${c.name}' (${c.fileClassName}): field 'inbound_nodes' is not a list`,
      );
    spec.inbound = nodes.map((n, i) => parseNode(n, ctx, c.name, i));
  }
  return spec;
}

function parseSequential(
  name: string,
  list: JsonValue[],
  inner: JsonObject,
  ctx: KerasContext,
  depth: number,
): ModelSpec {
  const all = list.map((e, i) => layerSpecOf(e, ctx, i, depth, false));
  let batchInputShape: (number | null)[] | null = null;
  const layers: LayerSpec[] = [];
  for (const l of all) {
    if (l.className === 'InputLayer') {
      if (layers.length)
        throw new KerasImportError(
          `${ctx.source}: Sequential '${name}': InputLayer '${l.name}' is not the first layer`,
        );
      batchInputShape = shapeOf(l.config.batch_input_shape, ctx, l.name);
      continue;
    }
    layers.push(l);
  }
  if (!batchInputShape && layers.length)
    batchInputShape = shapeOf(layers[0].config.batch_input_shape, ctx, layers[0].name);
  if (!batchInputShape && Array.isArray(inner.build_input_shape))
    batchInputShape = shapeOf(inner.build_input_shape, ctx, name);
  return {
    kind: 'sequential',
    className: 'Sequential',
    name,
    layers,
    inputs: [],
    outputs: [],
    singleInput: true,
    singleOutput: true,
    batchInputShape,
  };
}

function shapeOf(v: JsonValue | undefined, ctx: KerasContext, layer: string): (number | null)[] | null {
  if (v === undefined || v === null) return null;
  if (
    !Array.isArray(v) ||
    v.some((d) => d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d < 0))
  )
    throw new KerasImportError(
      `${ctx.source}: layer '${layer}': field 'batch_input_shape': expected a list of non-negative integers or nulls, got ${brief(v)}`,
    );
  return v as (number | null)[];
}

function parseFunctional(
  cls: string,
  name: string,
  list: JsonValue[],
  inner: JsonObject,
  ctx: KerasContext,
  depth: number,
): ModelSpec {
  const layers = list.map((e, i) => layerSpecOf(e, ctx, i, depth, true));
  const seen = new Set<string>();
  for (const l of layers) {
    if (seen.has(l.name))
      throw new KerasImportError(`${ctx.source}: model '${name}': two layers are named '${l.name}'`);
    seen.add(l.name);
  }
  const ins = parseEndpoints(inner.input_layers, ctx, name, 'input_layers');
  const outs = parseEndpoints(inner.output_layers, ctx, name, 'output_layers');
  for (const [what, refs] of [
    ['input_layers', ins.refs],
    ['output_layers', outs.refs],
  ] as const)
    for (const r of refs)
      if (!seen.has(r.layer))
        throw new KerasImportError(
          `${ctx.source}: model '${name}': ${what} names layer '${r.layer}', which is not in the layer list`,
        );
  return {
    kind: 'functional',
    className: cls === 'Model' ? 'Functional' : cls,
    name,
    layers,
    inputs: ins.refs,
    outputs: outs.refs,
    singleInput: ins.single,
    singleOutput: outs.single,
    batchInputShape: null,
  };
}

/** `[name, node, tensor]` or a list of them (Keras 3 writes a single endpoint flat). */
function parseEndpoints(
  v: JsonValue | undefined,
  ctx: KerasContext,
  model: string,
  key: string,
): { refs: TensorRef[]; single: boolean } {
  if (!Array.isArray(v) || v.length === 0)
    throw new KerasImportError(`${ctx.source}: model '${model}': field '${key}' is missing or empty`);
  if (typeof v[0] === 'string') return { refs: [refOf(v, ctx, model, key)], single: true };
  const refs = v.map((e, i) => refOf(e, ctx, model, `${key}[${i}]`));
  // NOTE: Keras 2 always writes a list; a one-element list is a model called with (and returning) one tensor.
  return { refs, single: refs.length === 1 };
}

function refOf(v: JsonValue, ctx: KerasContext, where: string, key: string): TensorRef {
  if (
    !Array.isArray(v) ||
    v.length < 3 ||
    typeof v[0] !== 'string' ||
    !Number.isInteger(v[1]) ||
    !Number.isInteger(v[2]) ||
    (v[1] as number) < 0 ||
    (v[2] as number) < 0
  )
    throw new KerasImportError(
      `${ctx.source}: '${where}': field '${key}': expected [layer_name, node_index, tensor_index], got ${brief(v)}`,
    );
  return { layer: v[0], node: v[1] as number, tensor: v[2] as number };
}

/** One inbound node in any of the three formats. */
function parseNode(n: JsonValue, ctx: KerasContext, layer: string, i: number): InboundNode {
  const key = `inbound_nodes[${i}]`;
  if (isJsonObject(n)) {
    // Keras 3: {args: [...], kwargs: {...}}, tensors as {class_name: '__keras_tensor__', config: {keras_history}}
    const args = Array.isArray(n.args) ? n.args : [];
    const kwargs: JsonObject = {};
    for (const [k, v] of Object.entries(isJsonObject(n.kwargs) ? n.kwargs : {})) {
      if (collectTensors(v).length)
        throw new KerasImportError(
          `${ctx.source}: layer '${layer}': ${key}: a tensor passed as keyword argument '${k}' is not supported`,
        );
      kwargs[k] = v;
    }
    if (args.length === 0)
      throw new KerasImportError(`${ctx.source}: layer '${layer}': ${key} has no input tensors`);
    const first = args[0];
    const list = Array.isArray(first);
    const tensors = args.flatMap((a) => collectTensors(a));
    if (!tensors.length)
      throw new KerasImportError(`${ctx.source}: layer '${layer}': ${key} has no input tensors`);
    return {
      inputs: tensors.map((t, j) => refOf(t, ctx, layer, `${key}.args[${j}].keras_history`)),
      list: list || args.length > 1,
      kwargs,
      keras3: true,
    };
  }
  if (!Array.isArray(n))
    throw new KerasImportError(
      `${ctx.source}: layer '${layer}': ${key}: expected a list or an object, got ${brief(n)}`,
    );
  // Keras 1/2: [[name, node, tensor, kwargs?], ...]
  const inputs: TensorRef[] = [];
  let kwargs: JsonObject = {};
  n.forEach((e, j) => {
    inputs.push(refOf(e, ctx, layer, `${key}[${j}]`));
    const kw = (e as JsonValue[])[3];
    if (isJsonObject(kw)) kwargs = { ...kwargs, ...kw };
  });
  // NOTE: tf.keras 2.x writes MultiHeadAttention's value and key tensors as call kwargs: inputs [query, value, key]
  for (const k of ['value', 'key']) {
    const r = kwargs[k];
    if (!Array.isArray(r) || typeof r[0] !== 'string') continue;
    inputs.push(refOf(r, ctx, layer, `${key} kwargs.${k}`));
    delete kwargs[k];
  }
  if (!inputs.length)
    throw new KerasImportError(`${ctx.source}: layer '${layer}': ${key} has no input tensors`);
  return { inputs, list: inputs.length > 1, kwargs };
}

/** keras_history triples of every Keras 3 tensor inside a value (lists and dicts searched). */
function collectTensors(v: JsonValue, depth = 0): JsonValue[] {
  if (depth > 32) return [];
  if (Array.isArray(v)) return v.flatMap((x) => collectTensors(x, depth + 1));
  if (isJsonObject(v)) {
    if (v.class_name === '__keras_tensor__' && isJsonObject(v.config))
      return [v.config.keras_history ?? null];
    return Object.values(v).flatMap((x) => collectTensors(x, depth + 1));
  }
  return [];
}
