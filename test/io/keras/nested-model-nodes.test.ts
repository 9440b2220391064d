// Node indices of nested models (a model used as a layer of a functional model): Keras 1/2 and TF.js number a
// nested model's calls from 1 (its node 0 is the one it got when it was built on its own Input), Keras 3 numbers
// `keras_history` from 0 but `input_layers`/`output_layers` of a nested Functional from 1. Checked against real
// @tensorflow/tfjs-layers (files it writes, predictions it makes) and against configs written as Keras writes them.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { compare } from './fixtures.js';
import {
  expectSamePredictions,
  randomInput,
  randomizeWeights,
  tf,
  tfl,
  tfjsLoad,
  useCpu,
} from './tfjs-reference.js';

const dirs: string[] = [];
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  tg.closeHdf5Worker();
});

/** What tfjs-layers' own `model.save` writes (its getConfig numbering), captured in memory. */
async function tfjsSave(m: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let got: tf.io.ModelArtifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      got = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return got!;
}

/** Write TF.js artifacts as model.json + one shard and load them with tapegrad. */
async function loadTfjsFiles(a: tf.io.ModelArtifacts): Promise<tg.Model> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-nested-'));
  dirs.push(dir);
  const json = {
    format: 'layers-model',
    generatedBy: a.generatedBy,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['w.bin'], weights: a.weightSpecs }],
  };
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  writeFileSync(join(dir, 'w.bin'), new Uint8Array(a.weightData as ArrayBuffer));
  const m = await tg.keras.loadModel(join(dir, 'model.json'));
  expect(m.loadReport.ok).toBe(true);
  return m;
}

/** Give every TF.js weight deterministic random values (variances positive). */
function randomizeTfjs(m: tfl.LayersModel, seed: number): void {
  m.setWeights(
    m.weights.map((w, i) => {
      const v = randomInput([w.shape.reduce((p: number, q) => p * (q ?? 1), 1)], seed + i)
        .data as Float32Array;
      const pos = /variance/.test(w.name);
      return tf.tensor(
        Array.from(v, (x) => (pos ? 0.5 + Math.abs(x) : x)),
        w.shape as number[],
      );
    }),
  );
}

/** The [layer, node, tensor] references a layer's inbound nodes make to `target` (Keras 1/2 / TF.js lists). */
function refsTo(topology: unknown, target: string): number[] {
  const cfg = (topology as { model_config?: unknown }).model_config ?? topology;
  const layers = (cfg as { config: { layers: { inbound_nodes: unknown[][][] }[] } }).config.layers;
  return layers.flatMap((l) =>
    l.inbound_nodes.flatMap((n) => n.filter((r) => r[0] === target).map((r) => r[1] as number)),
  );
}

describe('nested models in files written by tfjs-layers (Keras 2 numbering)', () => {
  it('a nested Sequential called twice (shared), its second call also a model output', async () => {
    const inner = tfl.sequential({
      name: 'inner',
      layers: [
        tfl.layers.dense({ units: 3, inputShape: [3], activation: 'tanh', name: 'inner_dense' }),
        tfl.layers.batchNormalization({ name: 'inner_bn' }),
      ],
    });
    const x = tfl.input({ shape: [3], name: 'x' });
    const pre = tfl.layers.dense({ units: 3, name: 'pre' }).apply(x) as tfl.SymbolicTensor;
    const first = inner.apply(x) as tfl.SymbolicTensor;
    const second = inner.apply(pre) as tfl.SymbolicTensor;
    const sum = tfl.layers.add({ name: 'sum' }).apply([first, second]) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, name: 'out' }).apply(sum) as tfl.SymbolicTensor;
    const tm = tfl.model({ inputs: x, outputs: [out, second], name: 'outer' });
    randomizeTfjs(tm, 3);
    const a = await tfjsSave(tm);
    // tfjs-layers container.ts buildNodeConversionMap: `keptNodes = layer instanceof Container ? 1 : 0`
    expect(refsTo(a.modelTopology, 'inner').sort()).toEqual([1, 2]);
    const m = await loadTfjsFiles(a);
    expectSamePredictions('shared nested Sequential', m, tm, [randomInput([4, 3], 5)]);
  });

  it('a nested functional model inside a functional model', async () => {
    const ix = tfl.input({ shape: [4], name: 'ix' });
    const h = tfl.layers
      .dense({ units: 5, activation: 'relu', name: 'fn_a' })
      .apply(ix) as tfl.SymbolicTensor;
    const o = tfl.layers.dense({ units: 2, name: 'fn_b' }).apply(h) as tfl.SymbolicTensor;
    const innerFn = tfl.model({ inputs: ix, outputs: [o, h], name: 'inner_fn' });
    const x = tfl.input({ shape: [4], name: 'x' });
    const [y, hid] = innerFn.apply(x) as tfl.SymbolicTensor[];
    const cat = tfl.layers.concatenate({ name: 'cat' }).apply([y, hid]) as tfl.SymbolicTensor;
    const tm = tfl.model({ inputs: x, outputs: [cat, y], name: 'outer_fn' });
    randomizeTfjs(tm, 11);
    const a = await tfjsSave(tm);
    expect(refsTo(a.modelTopology, 'inner_fn')).toEqual([1, 1]);
    const m = await loadTfjsFiles(a);
    expectSamePredictions('nested functional', m, tm, [randomInput([3, 4], 6)]);
  });

  it('a functional model inside a Sequential', async () => {
    const ix = tfl.input({ shape: [3], name: 'seq_ix' });
    const h = tfl.layers
      .dense({ units: 4, activation: 'tanh', name: 'sfn_a' })
      .apply(ix) as tfl.SymbolicTensor;
    const innerFn = tfl.model({ inputs: ix, outputs: h, name: 'seq_inner_fn' });
    const tm = tfl.sequential({
      name: 'seq_outer',
      layers: [innerFn, tfl.layers.dense({ units: 2, name: 'seq_out' })],
    });
    randomizeTfjs(tm, 17);
    const m = await loadTfjsFiles(await tfjsSave(tm));
    expectSamePredictions('functional in Sequential', m, tm, [randomInput([3, 3], 7)]);
  });
});

/** A layer anywhere in a model (nested models searched). */
function layerNamed(m: tg.Layer, name: string): tg.Layer {
  for (const l of (m as unknown as { layers?: tg.Layer[] }).layers ?? []) {
    if (l.name === name) return l;
    const inner = (l as unknown as { layers?: tg.Layer[] }).layers ? layerNamed(l, name) : null;
    if (inner) return inner;
  }
  return null as unknown as tg.Layer;
}

// Weights of the three Dense layers of the hand-made configs below (kernel [in, out] row-major, bias)
const W = {
  pre: { k: [0.5, -1, 2, 0.25], b: [0.1, -0.2] },
  id: { k: [1, 0.5, -0.5, 2], b: [0, 0.3] },
  fd: { k: [-1, 0.75, 0.5, 1], b: [0.2, 0] },
};
const dense = (x: number[], w: { k: number[]; b: number[] }): number[] =>
  [0, 1].map((j) => w.b[j] + x[0] * w.k[j] + x[1] * w.k[2 + j]);
/** The graph of the configs, computed by hand: first = id(x), second = id(pre(x)), out = fd(first - second). */
function expected(x: number[]): { out: number[]; second: number[] } {
  const first = dense(x, W.id);
  const second = dense(dense(x, W.pre), W.id);
  return { out: dense([first[0] - second[0], first[1] - second[1]], W.fd), second };
}
function setHandWeights(m: tg.Model): void {
  for (const [name, w] of Object.entries(W))
    layerNamed(m, name).setWeights([tg.tensor(w.k, [2, 2]), tg.tensor(w.b, [2])]);
}
function expectHandGraph(m: tg.Model): void {
  setHandWeights(m);
  const xs = [
    [0.3, -1.2],
    [2, 0.5],
  ];
  const [out, second] = m.predict(tg.tensor(xs)) as tg.Tensor[];
  xs.forEach((x, r) => {
    const e = expected(x);
    e.out.forEach((v, j) => expect(out.data[r * 2 + j]).toBeCloseTo(v, 5));
    e.second.forEach((v, j) => expect(second.data[r * 2 + j]).toBeCloseTo(v, 5));
  });
}

/**
 * A functional model as tf.keras 2.x writes it (`model.to_json()` / the .h5 `model_config`): a nested Sequential
 * 'inner' (built on an Input, so its config lists the InputLayer) called twice, and a nested functional 'fn' called
 * once. tf.keras functional.py get_network_config numbers their calls from 1 (`kept_nodes = 1 if
 * _should_skip_first_node(layer) else 0`, where _should_skip_first_node is true for a Functional whose first layer is
 * an InputLayer, which a Sequential built on an input is); `first` is the node index of the first call.
 */
function keras2Config(first: number): Record<string, unknown> {
  const dense = (name: string) => ({
    class_name: 'Dense',
    config: { name, trainable: true, dtype: 'float32', units: 2, activation: 'linear', use_bias: true },
  });
  const input = (name: string) => ({
    class_name: 'InputLayer',
    config: { batch_input_shape: [null, 2], dtype: 'float32', sparse: false, ragged: false, name },
  });
  return {
    class_name: 'Functional',
    keras_version: '2.9.0',
    backend: 'tensorflow',
    config: {
      name: 'outer',
      layers: [
        { ...input('x'), name: 'x', inbound_nodes: [] },
        { ...dense('pre'), name: 'pre', inbound_nodes: [[['x', 0, 0, {}]]] },
        {
          class_name: 'Sequential',
          config: { name: 'inner', layers: [input('inner_in'), dense('id')] },
          name: 'inner',
          inbound_nodes: [[['x', 0, 0, {}]], [['pre', 0, 0, {}]]],
        },
        {
          class_name: 'Subtract',
          config: { name: 'sub', trainable: true, dtype: 'float32' },
          name: 'sub',
          inbound_nodes: [
            [
              ['inner', first, 0, {}],
              ['inner', first + 1, 0, {}],
            ],
          ],
        },
        {
          class_name: 'Functional',
          config: {
            name: 'fn',
            layers: [
              { ...input('fn_in'), name: 'fn_in', inbound_nodes: [] },
              { ...dense('fd'), name: 'fd', inbound_nodes: [[['fn_in', 0, 0, {}]]] },
            ],
            input_layers: [['fn_in', 0, 0]],
            output_layers: [['fd', 0, 0]],
          },
          name: 'fn',
          inbound_nodes: [[['sub', 0, 0, {}]]],
        },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [
        ['fn', first, 0],
        ['inner', first + 1, 0],
      ],
    },
  };
}

/**
 * The same graph as Keras 3 writes it (`.keras` config.json): `keras_history` in `inbound_nodes` is the call's own
 * index from 0 for every layer (functional.py serialize_node), while `output_layers` counts a nested Functional's
 * calls from 1 and a nested Sequential's from 0 (get_config: `kept_nodes = 1` only if the layer is a Functional;
 * functional_from_config get_tensor: `node_index -= 1` only for a Functional). Here both nested models are
 * Functional ('inner' too), so the output `['inner', 2, 0]` is its second call.
 */
function keras3Config(endpointFirst: number): Record<string, unknown> {
  const kt = (layer: string, node: number) => ({
    class_name: '__keras_tensor__',
    config: { shape: [null, 2], dtype: 'float32', keras_history: [layer, node, 0] },
  });
  const k = (cls: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    module: 'keras.layers',
    class_name: cls,
    config,
    registered_name: null,
    ...extra,
  });
  const input = (name: string) =>
    k(
      'InputLayer',
      { batch_shape: [null, 2], dtype: 'float32', sparse: false, name },
      { name, inbound_nodes: [] },
    );
  const dense = (name: string, from: unknown) =>
    k(
      'Dense',
      { name, trainable: true, units: 2, activation: 'linear', use_bias: true },
      { name, inbound_nodes: [{ args: [from], kwargs: {} }] },
    );
  const functional = (name: string, inLayer: string, d: string, calls: unknown[]) => ({
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    registered_name: 'Functional',
    name,
    config: {
      name,
      trainable: true,
      layers: [input(inLayer), dense(d, kt(inLayer, 0))],
      input_layers: [inLayer, 0, 0],
      output_layers: [d, 0, 0],
    },
    inbound_nodes: calls.map((c) => ({ args: [c], kwargs: {} })),
  });
  return {
    module: 'keras.src.models.functional',
    class_name: 'Functional',
    registered_name: 'Functional',
    keras_version: '3.8.0',
    config: {
      name: 'outer',
      trainable: true,
      layers: [
        input('x'),
        dense('pre', kt('x', 0)),
        functional('inner', 'inner_in', 'id', [kt('x', 0), kt('pre', 0)]),
        k(
          'Subtract',
          { name: 'sub' },
          { name: 'sub', inbound_nodes: [{ args: [[kt('inner', 0), kt('inner', 1)]], kwargs: {} }] },
        ),
        functional('fn', 'fn_in', 'fd', [kt('sub', 0)]),
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [
        ['fn', endpointFirst, 0],
        ['inner', endpointFirst + 1, 0],
      ],
    },
  };
}

describe('nested models in configs as Keras writes them', () => {
  it('Keras 2 (.h5 / to_json): calls of a nested Sequential and a nested functional model count from 1', () => {
    expectHandGraph(tg.keras.modelFromJson(keras2Config(1)));
  });
  it('Keras 3 (.keras): keras_history from 0, output_layers of a nested Functional from 1', () => {
    expectHandGraph(tg.keras.modelFromJson(keras3Config(1)));
  });
  it("tapegrad's older files (every nested call counted from 0) still load the same graph", () => {
    expectHandGraph(tg.keras.modelFromJson(keras2Config(0)));
    expectHandGraph(tg.keras.modelFromJson(keras3Config(0)));
  });
});

/** A tapegrad model with a nested Sequential (no declared input shape) called twice and a nested functional model. */
function codeBuilt(): tg.Model {
  const inner = tg.sequential({
    name: 'inner',
    layers: [
      tg.layers.dense({ units: 3, activation: 'tanh', name: 'inner_dense' }),
      tg.layers.batchNormalization({ name: 'inner_bn' }),
    ],
  });
  const fx = tg.input({ shape: [3], name: 'fn_in' });
  const fh = tg.layers.dense({ units: 4, activation: 'relu', name: 'fn_a' }).apply(fx) as tg.SymbolicTensor;
  const fo = tg.layers.dense({ units: 2, name: 'fn_b' }).apply(fh) as tg.SymbolicTensor;
  const fn = tg.model({ inputs: fx, outputs: [fo, fh], name: 'fn' });
  const x = tg.input({ shape: [3], name: 'x' });
  const pre = tg.layers.dense({ units: 3, name: 'pre' }).apply(x) as tg.SymbolicTensor;
  const first = inner.apply(x) as tg.SymbolicTensor;
  const second = inner.apply(pre) as tg.SymbolicTensor;
  const sum = tg.layers.add({ name: 'sum' }).apply([first, second]) as tg.SymbolicTensor;
  const [y, h] = fn.apply(sum) as tg.SymbolicTensor[];
  const m = tg.model({ inputs: x, outputs: [y, second, h], name: 'outer' });
  randomizeWeights(m, 21);
  return m;
}

/** Every [layer, node] reference to `target` in a config: inbound (lists or keras_history) and endpoints. */
function nodeRefs(cfg: Record<string, unknown>, target: string): { inbound: number[]; endpoints: number[] } {
  const c = cfg.config as { layers: { inbound_nodes: unknown[] }[]; output_layers: unknown[][] };
  const inbound: number[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      if (v[0] === target && typeof v[1] === 'number') inbound.push(v[1]);
      else v.forEach(walk);
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  c.layers.forEach((l) => walk(l.inbound_nodes));
  const endpoints = c.output_layers.filter((r) => r[0] === target).map((r) => r[1] as number);
  return { inbound: inbound.sort(), endpoints };
}

function expectSameOutputs(what: string, a: tg.Model, b: tg.Model, x: tg.Tensor): void {
  const list = (y: tg.Tensor | tg.Tensor[]): tg.Tensor[] => (Array.isArray(y) ? y : [y]);
  const ya = list(a.predict(x));
  const yb = list(b.predict(x));
  expect(yb.length).toBe(ya.length);
  ya.forEach((t, i) => {
    const c = compare(yb[i].data as ArrayLike<number>, t.data as ArrayLike<number>, 1e-6, 1e-7);
    if (!c.ok) throw new Error(`${what}: output ${i} differs: ${c.worst}`);
  });
}

describe('files tapegrad writes number nested calls as their format does', () => {
  const x = randomInput([4, 3], 31);

  it('.h5: from 1 in inbound_nodes and output_layers (Keras 2), and it reads them back', async () => {
    const m = codeBuilt();
    const bytes = await tg.keras.saveModel(m, null, { format: 'h5' });
    const f = await tg.openHdf5(bytes);
    const cfg = JSON.parse(f.attrString('/', 'model_config')!);
    expect(nodeRefs(cfg, 'inner')).toEqual({ inbound: [1, 2], endpoints: [2] });
    expect(nodeRefs(cfg, 'fn')).toEqual({ inbound: [], endpoints: [1, 1] });
    // the nested Sequential declared no input shape: it is written with the one it is called on (so Keras builds it
    // on an Input and numbers its calls from 1, as the file says)
    const inner = cfg.config.layers.find((l: { name: string }) => l.name === 'inner');
    expect(inner.config.layers[0].config.batch_input_shape).toEqual([null, 3]);
    expectSameOutputs('.h5 read-back', m, await tg.keras.loadModel(bytes), x);
  });

  it('.keras: keras_history from 0, output_layers from 1 for a nested Functional and 0 for a Sequential', async () => {
    const m = codeBuilt();
    const bytes = await tg.keras.saveModel(m, null, { format: 'keras' });
    const cfg = JSON.parse(strFromU8(unzipSync(bytes)['config.json']));
    expect(nodeRefs(cfg, 'inner')).toEqual({ inbound: [0, 1], endpoints: [1] });
    expect(nodeRefs(cfg, 'fn')).toEqual({ inbound: [], endpoints: [1, 1] });
    expectSameOutputs('.keras read-back', m, await tg.keras.loadModel(bytes), x);
  });

  it('TF.js model.json: TF.js loads it and predicts the same, and tapegrad reads it back', async () => {
    const m = codeBuilt();
    const a = tg.keras.toTfjsArtifacts(m);
    expect(nodeRefs(a.modelTopology as Record<string, unknown>, 'inner')).toEqual({
      inbound: [1, 2],
      endpoints: [2],
    });
    expectSamePredictions('tapegrad → TF.js', m, await tfjsLoad(a), [x]);
    const dir = mkdtempSync(join(tmpdir(), 'tg-nested-'));
    dirs.push(dir);
    const path = join(dir, 'model.json');
    await tg.keras.saveModel(m, path);
    expect(JSON.parse(readFileSync(path, 'utf8')).modelTopology.config.layers.length).toBe(5);
    const back = await tg.keras.loadModel(path);
    expect(back.loadReport.ok).toBe(true);
    expectSameOutputs('model.json read-back', m, back, x);
  });

  it('a functional model inside a Sequential: .h5, .keras and TF.js', async () => {
    const fx = tg.input({ shape: [3], name: 'sfn_in' });
    const fh = tg.layers
      .dense({ units: 4, activation: 'tanh', name: 'sfn_a' })
      .apply(fx) as tg.SymbolicTensor;
    const fn = tg.model({ inputs: fx, outputs: fh, name: 'sfn' });
    const m = tg.sequential({ name: 'seq', layers: [fn, tg.layers.dense({ units: 2, name: 'seq_out' })] });
    m.buildModel([null, 3]);
    randomizeWeights(m, 41);
    for (const format of ['h5', 'keras'] as const)
      expectSameOutputs(
        format,
        m,
        await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format })),
        x,
      );
    expectSamePredictions('Sequential(functional) → TF.js', m, await tfjsLoad(tg.keras.toTfjsArtifacts(m)), [
      x,
    ]);
  });
});
