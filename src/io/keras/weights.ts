// Stored weights → model weights: pair stored layers with model layers, convert per class, check shapes, report.
import { writeValues } from '../../core/tensor.js';
import { Functional } from '../../nn/keras/functional.js';
import type { Layer, Weight } from '../../nn/layer.js';
import { Model, Sequential } from '../../nn/keras/model.js';
import { InputLayer } from '../../nn/keras/layers/input.js';
import { Bidirectional, TimeDistributed } from '../../nn/keras/layers/wrappers.js';
import type { KerasLayerWeights } from './types.js';
import { isJsonObject } from '../safe-json.js';
import type { BuiltModel } from './build-model.js';
import type { JsonObject } from './cfg.js';
import type { KerasContext } from './context.js';
import { KerasFunctional } from './models.js';
import type { NdWeight } from './ndarray.js';
import { builtinEntry } from './registry.js';
import type { LayerRow, WeightRow } from './report.js';

/** Keras 1 and TF.js short weight names → the Keras 2 names the layers use. */
const NAME_ALIASES: Record<string, string> = {
  W: 'kernel',
  b: 'bias',
  U: 'recurrent_kernel',
  running_mean: 'moving_mean',
  running_std: 'moving_variance',
};

/** Canonical short name of a stored weight (`dense_1/kernel:0` → kernel, `dense_1_W` → kernel), or null for `vars/0`. */
export function canonicalWeightName(name: string, layerName: string): string | null {
  let n = name.replace(/:\d+$/, '').split('/').pop() ?? name;
  if (n.startsWith(`${layerName}_`)) n = n.slice(layerName.length + 1);
  if (/^\d+$/.test(n)) return null;
  return (Object.hasOwn(NAME_ALIASES, n) ? NAME_ALIASES[n] : undefined) ?? n;
}

const shortOf = (path: string): string => path.split('.').pop() ?? path;
const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]): string => `(${s.join(', ')}${s.length === 1 ? ',' : ''})`;

export interface AssignOptions {
  /** Pair stored layers with model layers by name only (default: by name when every name matches, else by position as Keras does). */
  byName?: boolean;
}

/** How the file names layer groups: legacy HDF5 / TF.js by layer name, Keras 3 by snake_case class name + counter. */
type Naming = 'legacy' | 'keras3';

/** Keras 3's `to_snake_case` (Conv2D → conv2d, BatchNormalization → batch_normalization). */
export function kerasSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/**
 * The names Keras 3 gives a container's layers in `model.weights.h5`: the snake_case class name, with `_1`, `_2`...
 * for repeats (not the layer's own name, which Keras 3 considers unstable).
 */
function keras3Names(all: Layer[], built: BuiltModel): Map<Layer, string> {
  const used = new Map<string, number>();
  const out = new Map<Layer, string>();
  for (const l of all) {
    const base = kerasSnakeCase(built.specs.get(l)?.fileClassName ?? l.className);
    const k = used.get(base);
    used.set(base, k === undefined ? 0 : k + 1);
    out.set(l, k === undefined ? base : `${base}_${k + 1}`);
  }
  return out;
}

/** Every layer of a container in Keras order (including layers without weights). */
function allLayers(m: Layer): Layer[] {
  return m instanceof KerasFunctional && m.layerOrder.length
    ? m.layerOrder
    : m instanceof Sequential || m instanceof Functional
      ? m.layers
      : m.children().map(([, l]) => l);
}

/** The model's own layers that hold weights, in Keras order. */
function weightedLayers(m: Layer): Layer[] {
  return allLayers(m).filter((l) => !(l instanceof InputLayer) && l.weights.length > 0);
}

const isModel = (l: Layer): boolean => l instanceof Model;

/**
 * Pair the stored weights with a built model's. Returns one row per layer, the problems found (missing,
 * unexpected, or mis-shaped weights, layers without a stored counterpart), and `apply`, which copies the matching
 * weights in. NOTE: nothing is written before `apply`, so a refused strict load leaves the model as it was.
 */
export function assignWeights(
  built: BuiltModel,
  stored: KerasLayerWeights[],
  ctx: KerasContext,
  opts: AssignOptions & { format?: string } = {},
): { rows: LayerRow[]; problems: string[]; apply: () => void } {
  const rows: LayerRow[] = [];
  const problems: string[] = [];
  const writes: Run['writes'] = [];
  const toNd = (l: KerasLayerWeights): NdWeight[] =>
    l.weights.map((w) => ({ name: w.name, shape: [...w.shape], data: w.data, notes: [], from: [w.path] }));
  const naming: Naming = opts.format === 'keras3' || opts.format === 'keras3-weights' ? 'keras3' : 'legacy';
  const run: Run = { built, ctx, opts, rows, problems, naming, writes };
  pairLayers(
    built.model,
    stored.filter((l) => l.weights.length > 0).map((l) => ({ name: l.name, weights: toNd(l) })),
    run,
    '',
  );
  return {
    rows,
    problems,
    apply: () => {
      for (const [w, data] of writes) writeValues(w.value, data);
    },
  };
}

interface Run {
  built: BuiltModel;
  ctx: KerasContext;
  opts: AssignOptions;
  rows: LayerRow[];
  problems: string[];
  naming: Naming;
  /** The matched weights and their stored values, written by `apply` once every layer is checked. */
  writes: [Weight, NdWeight['data']][];
}

interface StoredGroup {
  name: string;
  weights: NdWeight[];
}

function pairLayers(container: Layer, stored: StoredGroup[], run: Run, where: string): void {
  const { built, opts, rows, problems } = run;
  const units = weightedLayers(container);
  const groups = run.ctx.tfjs ? tfjsNestedGroups(units, stored) : stored;
  const k3 = run.naming === 'keras3' ? keras3Names(allLayers(container), built) : null;
  const keyOf = (u: Layer): string => k3?.get(u) ?? u.name;
  const byName = new Map(groups.map((g) => [g.name, g]));
  const allNamed = units.every((u) => byName.has(keyOf(u)));
  const positional = !allNamed && !opts.byName && units.length === groups.length;
  const used = new Set<StoredGroup>();
  units.forEach((u, i) => {
    const g = positional ? groups[i] : byName.get(keyOf(u));
    const cls = built.specs.get(u)?.fileClassName ?? u.className;
    if (!g) {
      rows.push({
        layer: u.name,
        className: cls,
        fileLayer: null,
        matchedBy: null,
        weights: u.namedWeights().map(([n, w]) => missingRow(n, w)),
      });
      problems.push(
        `layer '${where}${u.name}' (${cls}) has ${u.weights.length} weight${u.weights.length > 1 ? 's' : ''} but the file has no layer '${keyOf(u)}'${groups.length ? ` (stored layers: ${groups.map((x) => x.name).join(', ')})` : ''}`,
      );
      return;
    }
    used.add(g);
    const how = positional && g.name !== keyOf(u) ? 'position' : 'name';
    matchUnit(u, g, how, run, where);
  });
  for (const g of groups) {
    if (used.has(g)) continue;
    rows.push({
      layer: null,
      className: null,
      fileLayer: g.name,
      matchedBy: null,
      weights: g.weights.map((w) => unexpectedRow(w)),
    });
    problems.push(
      `stored layer '${where}${g.name}' (${g.weights.length} weight${g.weights.length > 1 ? 's' : ''}) matches no layer of the model`,
    );
  }
}

function matchUnit(u: Layer, g: StoredGroup, how: 'name' | 'position', run: Run, where: string): void {
  const { built, ctx, rows, problems } = run;
  if (isModel(u)) {
    pairLayers(u, splitNested(u, g, run), run, `${where}${u.name}/`);
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
  const row: LayerRow = {
    layer: u.name,
    className: spec?.fileClassName ?? u.className,
    fileLayer: g.name,
    matchedBy: how,
    weights: [],
  };
  rows.push(row);
  const pairs = pairWeights(
    expected.map((e) => e.name),
    ws,
    g.name,
  );
  pairs.forEach(([ei, fi]) => {
    const e = ei === null ? null : expected[ei];
    const f = fi === null ? null : ws[fi];
    if (e && f) {
      const ok = sameShape(e.w.value.shape, f.shape);
      row.weights.push({
        status: ok ? 'matched' : 'shape mismatch',
        expected: { name: e.name, shape: [...e.w.value.shape] },
        found: { name: f.name, shape: f.shape, path: f.from.join(', ') },
        notes: f.notes,
      });
      if (ok) run.writes.push([e.w, f.data]);
      else
        problems.push(
          `layer '${where}${u.name}' (${row.className}): weight '${e.path}' expects shape ${fmt(e.w.value.shape)} but the stored '${f.name}' has shape ${fmt(f.shape)}`,
        );
    } else if (e) {
      row.weights.push(missingRow(e.path, e.w));
      problems.push(
        `layer '${where}${u.name}' (${row.className}): weight '${e.path}' ${fmt(e.w.value.shape)} is missing from the stored layer '${g.name}'`,
      );
    } else if (f) {
      row.weights.push(unexpectedRow(f));
      problems.push(
        `layer '${where}${u.name}' (${row.className}): stored weight '${f.name}' ${fmt(f.shape)} is unexpected (the layer has ${expected.length} weight${expected.length === 1 ? '' : 's'}: ${expected.map((x) => x.name).join(', ') || 'none'})`,
      );
    }
  });
}

/**
 * Pair expected names with stored weights. Keras loads a layer's weights by position; names are used to put
 * them in order when they name the same set in a different order, and to pair what they can when counts differ.
 */
function pairWeights(
  expected: string[],
  stored: NdWeight[],
  layerName: string,
): [number | null, number | null][] {
  const names = stored.map((w) => canonicalWeightName(w.name, layerName));
  const unique = (xs: (string | null)[]) => xs.every((x) => x !== null) && new Set(xs).size === xs.length;
  if (expected.length === stored.length) {
    if (unique(names) && unique(expected) && expected.every((e) => names.includes(e)))
      return expected.map((e, i) => [i, names.indexOf(e)]);
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
  return {
    status: 'missing',
    expected: { name: shortOf(path), shape: [...w.value.shape] },
    found: null,
    notes: [],
  };
}
function unexpectedRow(f: NdWeight): WeightRow {
  return {
    status: 'unexpected',
    expected: null,
    found: { name: f.name, shape: f.shape, path: f.from.join(', ') },
    notes: f.notes,
  };
}

/** Run the class's conversion (wrappers convert their inner layers' halves). */
function convert(u: Layer, cls: string, cfg: JsonObject, ws: NdWeight[], ctx: KerasContext): NdWeight[] {
  const innerCfg = (): { cls: string; cfg: JsonObject } => {
    const l = cfg.layer;
    return isJsonObject(l)
      ? { cls: String(l.class_name), cfg: isJsonObject(l.config) ? l.config : {} }
      : { cls: '', cfg: {} };
  };
  if (u instanceof TimeDistributed) {
    const i = innerCfg();
    return convert(u.layer, i.cls || u.layer.className, i.cfg, ws, ctx);
  }
  if (u instanceof Bidirectional) {
    const i = innerCfg();
    if (ws.length % 2 !== 0) return ws;
    // NOTE: Keras 3 stores `backward_layer/...` before `forward_layer/...` (alphabetical); legacy files list forward first.
    const fwd = ws.filter((w) => /(^|\/)forward_/.test(w.name));
    const bwd = ws.filter((w) => /(^|\/)backward_/.test(w.name));
    const [f, b] =
      fwd.length * 2 === ws.length && bwd.length === fwd.length
        ? [fwd, bwd]
        : [ws.slice(0, ws.length / 2), ws.slice(ws.length / 2)];
    return [
      ...convert(u.forwardLayer, i.cls, i.cfg, f, ctx),
      ...convert(u.backwardLayer, i.cls, i.cfg, b, ctx),
    ];
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
function splitNested(model: Layer, g: StoredGroup, run: Run): StoredGroup[] {
  const inner = weightedLayers(model);
  if (run.naming === 'keras3') {
    // Keras 3: `layers/<snake_class>[_n]/...` inside the nested model's group
    const groups = new Map<string, NdWeight[]>();
    for (const w of g.weights) {
      const parts = w.name.split('/');
      const i = parts.indexOf('layers');
      const key = i >= 0 && i + 1 < parts.length - 1 ? parts[i + 1] : '';
      groups.set(key, [...(groups.get(key) ?? []), { ...w, name: parts.slice(i + 2).join('/') }]);
    }
    return [...groups].map(([name, weights]) => ({ name, weights }));
  }
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
      weights: g.weights
        .filter((_, i) => owners[i] === l.name)
        .map((w) => ({ ...w, name: stripOwner(w.name, l.name) })),
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
/**
 * NOTE: TF.js names a nested model's weights by its inner layers alone (`inner_dense/kernel`, no model scope), so each
 * nested model without a group of its own gets one gathered from its layers' groups, scoped by the models below it
 * (`deeper/inner_dense/kernel`) as the .h5 layout has them.
 */
function tfjsNestedGroups(units: Layer[], groups: StoredGroup[]): StoredGroup[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const taken = new Set<StoredGroup>();
  const gather = (m: Layer, prefix: string, out: NdWeight[]): NdWeight[] => {
    for (const l of allLayers(m)) {
      const g = isModel(l) ? undefined : byName.get(l.name);
      if (isModel(l)) gather(l, `${prefix}${l.name}/`, out);
      else if (g && !taken.has(g)) {
        taken.add(g);
        out.push(...g.weights.map((w) => ({ ...w, name: `${prefix}${w.name}` })));
      }
    }
    return out;
  };
  const made = units
    .filter((u) => isModel(u) && !byName.has(u.name))
    .map((u) => ({ name: u.name, weights: gather(u, '', []) }))
    .filter((g) => g.weights.length);
  return made.length ? [...groups.filter((g) => !taken.has(g)), ...made] : groups;
}

function stripOwner(name: string, owner: string): string {
  const parts = name.split('/');
  const i = parts.indexOf(owner);
  return parts.slice(i).join('/');
}
