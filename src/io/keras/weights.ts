// Stored weights → model weights: pair stored layers with model layers, convert per class, check shapes, report.
import { Functional } from '../../nn/functional.js';
import type { Layer, Weight } from '../../nn/layer.js';
import { Model, Sequential } from '../../nn/model.js';
import { InputLayer } from '../../nn/layers/input.js';
import { Bidirectional, TimeDistributed } from '../../nn/layers/wrappers.js';
import type { KerasLayerWeights } from '../keras-types.js';
import { isJsonObject } from '../safe-json.js';
import type { BuiltModel } from './build-model.js';
import type { JsonObject } from './cfg.js';
import type { KerasContext } from './context.js';
import { KerasFunctional } from './models.js';
import type { NdWeight } from './ndarray.js';
import { builtinEntry } from './registry.js';
import type { LayerRow, WeightRow } from './report.js';

/** Keras 1 and TF.js short weight names → the Keras 2 names the layers use. */
const NAME_ALIASES: Record<string, string> = { W: 'kernel', b: 'bias', U: 'recurrent_kernel', running_mean: 'moving_mean', running_std: 'moving_variance' };

/** Canonical short name of a stored weight (`dense_1/kernel:0` → kernel, `dense_1_W` → kernel), or null for `vars/0`. */
export function canonicalWeightName(name: string, layerName: string): string | null {
  let n = name.replace(/:\d+$/, '').split('/').pop() ?? name;
  if (n.startsWith(`${layerName}_`)) n = n.slice(layerName.length + 1);
  if (/^\d+$/.test(n)) return null;
  return NAME_ALIASES[n] ?? n;
}

const shortOf = (path: string): string => path.split('.').pop() ?? path;
const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

export interface AssignOptions {
  /** Pair stored layers with model layers by name only (default: by name when every name matches, else by position as Keras does). */
  byName?: boolean;
}

/** The model's own layers that hold weights, in Keras order. */
function weightedLayers(m: Layer): Layer[] {
  const list = m instanceof KerasFunctional && m.layerOrder.length ? m.layerOrder : m instanceof Sequential || m instanceof Functional ? m.layers : m.children().map(([, l]) => l);
  return list.filter((l) => !(l instanceof InputLayer) && l.weights.length > 0);
}

const isModel = (l: Layer): boolean => l instanceof Model;

/**
 * Assign the stored weights to a built model. Returns one row per layer and the problems found (missing,
 * unexpected, or mis-shaped weights, layers without a stored counterpart); matching weights are copied in.
 */
export function assignWeights(built: BuiltModel, stored: KerasLayerWeights[], ctx: KerasContext, opts: AssignOptions = {}): { rows: LayerRow[]; problems: string[] } {
  const rows: LayerRow[] = [];
  const problems: string[] = [];
  const toNd = (l: KerasLayerWeights): NdWeight[] => l.weights.map((w) => ({ name: w.name, shape: [...w.shape], data: w.data, notes: [], from: [w.path] }));
  pairLayers(weightedLayers(built.model), stored.filter((l) => l.weights.length > 0).map((l) => ({ name: l.name, weights: toNd(l) })), built, ctx, opts, rows, problems, '');
  return { rows, problems };
}

interface StoredGroup {
  name: string;
  weights: NdWeight[];
}

function pairLayers(units: Layer[], groups: StoredGroup[], built: BuiltModel, ctx: KerasContext, opts: AssignOptions, rows: LayerRow[], problems: string[], where: string): void {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const allNamed = units.every((u) => byName.has(u.name));
  const positional = !allNamed && !opts.byName && units.length === groups.length;
  const used = new Set<StoredGroup>();
  units.forEach((u, i) => {
    const g = positional ? groups[i] : byName.get(u.name);
    const cls = built.specs.get(u)?.fileClassName ?? u.className;
    if (!g) {
      rows.push({ layer: u.name, className: cls, fileLayer: null, matchedBy: null, weights: u.namedWeights().map(([n, w]) => missingRow(n, w)) });
      problems.push(`layer '${where}${u.name}' (${cls}) has ${u.weights.length} weight${u.weights.length > 1 ? 's' : ''} but the file has no layer '${u.name}'${groups.length ? ` (stored layers: ${groups.map((x) => x.name).join(', ')})` : ''}`);
      return;
    }
    used.add(g);
    const how = positional && g.name !== u.name ? 'position' : 'name';
    matchUnit(u, g, how, built, ctx, opts, rows, problems, where);
  });
  for (const g of groups) {
    if (used.has(g)) continue;
    rows.push({ layer: null, className: null, fileLayer: g.name, matchedBy: null, weights: g.weights.map((w) => unexpectedRow(w)) });
    problems.push(`stored layer '${where}${g.name}' (${g.weights.length} weight${g.weights.length > 1 ? 's' : ''}) matches no layer of the model`);
  }
}

function matchUnit(u: Layer, g: StoredGroup, how: 'name' | 'position', built: BuiltModel, ctx: KerasContext, opts: AssignOptions, rows: LayerRow[], problems: string[], where: string): void {
  if (isModel(u)) {
    const inner = weightedLayers(u);
    pairLayers(inner, splitNested(u, inner, g), built, ctx, opts, rows, problems, `${where}${u.name}/`);
    return;
  }
  const spec = built.specs.get(u);
  const expected = u.namedWeights().map(([n, w]) => ({ name: shortOf(n), path: n, w }));
  let ws = g.weights;
  try {
    ws = convert(u, spec?.className ?? u.className, spec?.config ?? {}, ws, ctx);
  } catch (e) {
    problems.push(`layer '${where}${u.name}': cannot convert the stored weights (${(e as Error).message})`);
  }
  const row: LayerRow = { layer: u.name, className: spec?.fileClassName ?? u.className, fileLayer: g.name, matchedBy: how, weights: [] };
  rows.push(row);
  const pairs = pairWeights(expected.map((e) => e.name), ws, g.name);
  pairs.forEach(([ei, fi]) => {
    const e = ei === null ? null : expected[ei];
    const f = fi === null ? null : ws[fi];
    if (e && f) {
      const ok = sameShape(e.w.value.shape, f.shape);
      row.weights.push({ status: ok ? 'matched' : 'shape mismatch', expected: { name: e.name, shape: [...e.w.value.shape] }, found: { name: f.name, shape: f.shape, path: f.from.join(', ') }, notes: f.notes });
      if (ok) e.w.value.data.set(f.data);
      else problems.push(`layer '${where}${u.name}' (${row.className}): weight '${e.path}' expects shape ${fmt(e.w.value.shape)} but the stored '${f.name}' has shape ${fmt(f.shape)}`);
    } else if (e) {
      row.weights.push(missingRow(e.path, e.w));
      problems.push(`layer '${where}${u.name}' (${row.className}): weight '${e.path}' ${fmt(e.w.value.shape)} is missing from the stored layer '${g.name}'`);
    } else if (f) {
      row.weights.push(unexpectedRow(f));
      problems.push(`layer '${where}${u.name}' (${row.className}): stored weight '${f.name}' ${fmt(f.shape)} is unexpected (the layer has ${expected.length} weight${expected.length === 1 ? '' : 's'}: ${expected.map((x) => x.name).join(', ') || 'none'})`);
    }
  });
}

/**
 * Pair expected names with stored weights. Keras loads a layer's weights by position; names are used to put
 * them in order when they name the same set in a different order, and to pair what they can when counts differ.
 */
function pairWeights(expected: string[], stored: NdWeight[], layerName: string): [number | null, number | null][] {
  const names = stored.map((w) => canonicalWeightName(w.name, layerName));
  const unique = (xs: (string | null)[]) => xs.every((x) => x !== null) && new Set(xs).size === xs.length;
  if (expected.length === stored.length) {
    if (unique(names) && unique(expected) && expected.every((e) => names.includes(e))) return expected.map((e, i) => [i, names.indexOf(e)]);
    return expected.map((_, i) => [i, i]);
  }
  const out: [number | null, number | null][] = [];
  const usedF = new Set<number>();
  const named = unique(expected) && names.some((n) => n !== null && expected.includes(n));
  expected.forEach((e, i) => {
    const fi = named ? names.findIndex((n, j) => n === e && !usedF.has(j)) : i < stored.length ? i : -1;
    if (fi >= 0) usedF.add(fi);
    out.push([i, fi >= 0 ? fi : null]);
  });
  stored.forEach((_, j) => {
    if (!usedF.has(j)) out.push([null, j]);
  });
  return out;
}

function missingRow(path: string, w: Weight): WeightRow {
  return { status: 'missing', expected: { name: shortOf(path), shape: [...w.value.shape] }, found: null, notes: [] };
}
function unexpectedRow(f: NdWeight): WeightRow {
  return { status: 'unexpected', expected: null, found: { name: f.name, shape: f.shape, path: f.from.join(', ') }, notes: f.notes };
}

/** Run the class's conversion (wrappers convert their inner layers' halves). */
function convert(u: Layer, cls: string, cfg: JsonObject, ws: NdWeight[], ctx: KerasContext): NdWeight[] {
  const innerCfg = (): { cls: string; cfg: JsonObject } => {
    const l = cfg.layer;
    return isJsonObject(l) ? { cls: String(l.class_name), cfg: isJsonObject(l.config) ? l.config : {} } : { cls: '', cfg: {} };
  };
  if (u instanceof TimeDistributed) {
    const i = innerCfg();
    return convert(u.layer, i.cls || u.layer.className, i.cfg, ws, ctx);
  }
  if (u instanceof Bidirectional) {
    const i = innerCfg();
    const half = Math.floor(ws.length / 2);
    if (ws.length % 2 !== 0) return ws;
    return [...convert(u.forwardLayer, i.cls, i.cfg, ws.slice(0, half), ctx), ...convert(u.backwardLayer, i.cls, i.cfg, ws.slice(half), ctx)];
  }
  const entry = builtinEntry(cls);
  if (!entry?.convertWeights) return ws;
  const expected = u.namedWeights().map(([n, w]) => ({ name: shortOf(n), shape: [...w.value.shape] }));
  return entry.convertWeights(ws, { ctx, layer: u, cfg, expected });
}

/**
 * Split a nested model's stored weights among its layers: by the layer names inside the weight names when every
 * weight has one (`dense_1/kernel:0`, `layers/dense_1/vars/0`), else in Keras's order for nested models
 * (every layer's trainable weights, then every layer's non-trainable ones).
 */
function splitNested(model: Layer, inner: Layer[], g: StoredGroup): StoredGroup[] {
  const names = new Set(inner.map((l) => l.name));
  const owner = (w: NdWeight): string | null => {
    const parts = w.name.replace(/:\d+$/, '').split('/');
    for (let i = 0; i < parts.length - 1; i++) if (names.has(parts[i])) return parts[i];
    return null;
  };
  const owners = g.weights.map(owner);
  if (owners.every((o) => o !== null)) {
    return inner.map((l) => ({
      name: l.name,
      weights: g.weights.filter((_, i) => owners[i] === l.name).map((w) => ({ ...w, name: stripOwner(w.name, l.name) })),
    }));
  }
  const trainable = inner.map((l) => l.weights.filter((w) => w.trainable).length);
  const frozen = inner.map((l) => l.weights.filter((w) => !w.trainable).length);
  const groups = inner.map((l) => ({ name: l.name, weights: [] as NdWeight[] }));
  let k = 0;
  inner.forEach((_, i) => {
    groups[i].weights.push(...g.weights.slice(k, k + trainable[i]));
    k += trainable[i];
  });
  inner.forEach((_, i) => {
    groups[i].weights.push(...g.weights.slice(k, k + frozen[i]));
    k += frozen[i];
  });
  if (k < g.weights.length) groups.push({ name: `${model.name} (extra)`, weights: g.weights.slice(k) });
  return groups.filter((x) => x.weights.length > 0 || inner.some((l) => l.name === x.name));
}

/** `model_1/dense_1/kernel:0` → `dense_1/kernel:0`; `layers/dense_1/vars/0` → `dense_1/vars/0`. */
function stripOwner(name: string, owner: string): string {
  const parts = name.split('/');
  const i = parts.indexOf(owner);
  return parts.slice(i).join('/');
}
