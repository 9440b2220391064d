// TF.js's topology JSON both ways, against real @tensorflow/tfjs-layers 4.22: tapegrad's `model.toJSON()` is what
// TF.js's `tf.models.modelFromJSON` builds the same architecture from, and `tg.models.modelFromJSON` builds the
// same architecture (and, given the weights manifest, the same predictions) from TF.js's own `model.toJSON()`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import type { SummaryRow } from '../../../src/nn/keras/summary.js';
import { expectSamePredictions, randomInput, tf, tfl, uniform, useCpu } from './tfjs-reference.js';

const dirs: string[] = [];
beforeAll(useCpu);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Row {
  name: string;
  cls: string;
  shape: (number | null)[] | (number | null)[][];
  params: number;
}
const one = (s: (number | null)[][]) => (s.length === 1 ? s[0] : s);

/** tapegrad's layers as its summary lists them: name, class, output shape(s), parameter count. */
function tgRows(m: tg.Model): Row[] {
  const rows = (m as unknown as { summaryRows(o: object): SummaryRow[] }).summaryRows({});
  return rows.map((r) => ({
    name: r.layer.name,
    cls: r.layer.className,
    shape: one(r.outputShapes),
    params: r.params,
  }));
}
/** TF.js's layers: the same four things. */
function tfjsRows(m: tfl.LayersModel): Row[] {
  return m.layers.map((l) => ({
    name: l.name,
    cls: l.getClassName(),
    shape: l.outputShape as Row['shape'],
    params: l.countParams(),
  }));
}
/** Expect both models to have the same layers (class, output shape, params), and the same total. */
function expectSameArchitecture(ours: tg.Model, theirs: tfl.LayersModel): void {
  expect(tgRows(ours)).toEqual(tfjsRows(theirs));
  expect(ours.countParams()).toBe(theirs.countParams());
  expect(ours.inputSpecs()?.length).toBe(theirs.inputs.length);
}

type Cfg = Record<string, tg.JsonValue>;
/**
 * Every config key that both tapegrad's topology and TF.js's re-serialization of the model it built from it hold has
 * the same value, layer by layer (and inside wrappers); the layer lists match in class and name.
 * NOTE: not the whole configs: tapegrad leaves out keys at their defaults that TF.js writes out (initializers, ...).
 */
function expectSameLayerConfigs(ours: Cfg, theirs: Cfg, where = 'model'): void {
  expect(theirs.class_name, where).toBe(ours.class_name);
  const a = ours.config as Cfg;
  const b = theirs.config as Cfg;
  for (const k of Object.keys(a).filter((k) => k in b && k !== 'layers' && k !== 'layer'))
    expect(b[k], `${where}: ${k}`).toEqual(a[k]);
  if (Array.isArray(a.layers)) {
    const la = a.layers as Cfg[];
    const lb = b.layers as Cfg[];
    expect(lb.map((l) => (l.config as Cfg).name)).toEqual(la.map((l) => (l.config as Cfg).name));
    la.forEach((l, i) => expectSameLayerConfigs(l, lb[i], `${where}/${String((l.config as Cfg).name)}`));
  }
  if (a.layer) expectSameLayerConfigs(a.layer as Cfg, b.layer as Cfg, `${where}/layer`);
}

/** TF.js models of several layer kinds, built with TF.js's own API; `xs`: input shapes without the batch axis. */
const tfjsModels: { what: string; make: () => tfl.LayersModel; xs: number[][] }[] = [
  {
    what: 'Conv2D, MaxPooling2D, BatchNormalization, Flatten, Dropout, Dense',
    xs: [[8, 8, 3]],
    make: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
          tfl.layers.maxPooling2d({ poolSize: 2 }),
          tfl.layers.batchNormalization(),
          tfl.layers.flatten(),
          tfl.layers.dropout({ rate: 0.3 }),
          tfl.layers.dense({ units: 5, activation: 'softmax' }),
        ],
      }),
  },
  {
    what: 'LSTM, Bidirectional(LSTM), Dense',
    xs: [[5, 3]],
    make: () =>
      tfl.sequential({
        layers: [
          tfl.layers.lstm({ inputShape: [5, 3], units: 4, returnSequences: true }),
          tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 3 }) as tfl.RNN, mergeMode: 'concat' }),
          tfl.layers.dense({ units: 2 }),
        ],
      }),
  },
  {
    what: 'Conv1D, AveragePooling1D, GRU, GlobalAveragePooling1D',
    xs: [[9, 2]],
    make: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv1d({ inputShape: [9, 2], filters: 3, kernelSize: 2, padding: 'same' }),
          tfl.layers.averagePooling1d({ poolSize: 2 }),
          tfl.layers.gru({ units: 3, returnSequences: true }),
          tfl.layers.globalAveragePooling1d(),
        ],
      }),
  },
  {
    what: 'a functional model with two inputs, Add and Concatenate',
    xs: [[6], [6]],
    make: () => {
      const a = tfl.input({ shape: [6], name: 'a' });
      const b = tfl.input({ shape: [6], name: 'b' });
      const da = tfl.layers.dense({ units: 4, activation: 'tanh' }).apply(a) as tfl.SymbolicTensor;
      const db = tfl.layers.dense({ units: 4 }).apply(b) as tfl.SymbolicTensor;
      const sum = tfl.layers.add().apply([da, db]) as tfl.SymbolicTensor;
      const cat = tfl.layers.concatenate().apply([sum, a]) as tfl.SymbolicTensor;
      const out = tfl.layers.dense({ units: 2, activation: 'sigmoid' }).apply(cat) as tfl.SymbolicTensor;
      return tfl.model({ inputs: [a, b], outputs: out });
    },
  },
];

/** TF.js's artifacts of a model (topology, weight specs, weight bytes), as its `model.save` hands them over. */
async function tfjsArtifacts(m: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let got: tf.io.ModelArtifacts | null = null;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      got = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return got!;
}

/** Give every TF.js weight random values (variances positive), so no weight stays at its initializer's value. */
function randomizeTfjs(m: tfl.LayersModel, seed: number): void {
  m.setWeights(
    m.weights.map((w, i) => {
      const shape = w.shape as number[]; // a variable's shape is fully known
      const n = shape.reduce((a, b) => a * b, 1);
      const positive = /variance/.test(w.name);
      return tf.tensor(uniform(n, seed + i, positive ? 0.5 : -0.6, positive ? 1.5 : 0.6), shape);
    }),
  );
}

describe('tg.models.modelFromJSON reads TF.js model.toJSON()', () => {
  for (const [i, c] of tfjsModels.entries())
    it(`${c.what}: the same architecture, and with the weights manifest the same predictions`, async () => {
      const theirs = c.make();
      const json = theirs.toJSON() as string;
      expect(typeof json).toBe('string');
      // the string and the object form (toJSON(null, false)) give the same model
      for (const arg of [json, theirs.toJSON(null, false) as tg.JsonValue as Record<string, tg.JsonValue>]) {
        const ours = await tg.models.modelFromJSON(arg);
        expectSameArchitecture(ours, theirs);
        // and tapegrad writes the configs back with the values TF.js wrote
        expectSameLayerConfigs(ours.toJSON(null, false) as Cfg, theirs.toJSON(null, false) as Cfg);
      }
      // the weights TF.js saves, given as a manifest whose shard is in the pathPrefix folder
      randomizeTfjs(theirs, 100 * i);
      const a = await tfjsArtifacts(theirs);
      const dir = mkdtempSync(join(tmpdir(), 'tg-model-json-'));
      dirs.push(dir);
      writeFileSync(join(dir, 'weights.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      const ours = await tg.models.modelFromJSON({
        modelTopology: a.modelTopology as Record<string, tg.JsonValue>,
        weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs as unknown as tg.JsonValue[] }],
        pathPrefix: dir,
      });
      expect(ours.loadReport.ok).toBe(true);
      const xs = c.xs.map((s, k) => randomInput([3, ...s], 7 + k));
      expectSamePredictions(c.what, ours, theirs, xs);
    });

  it('a Keras {model_config} wrapper is read as TF.js reads it', async () => {
    const theirs = tfjsModels[0].make();
    const ours = await tg.models.modelFromJSON({ model_config: theirs.toJSON(null, false) as tg.JsonValue });
    expectSameArchitecture(ours, theirs);
  });
});

/** tapegrad models built with tapegrad's TF.js-style API. */
const tgModels: { what: string; make: () => tg.Model }[] = [
  {
    what: 'Conv2D, MaxPooling2D, BatchNormalization, Flatten, Dropout, Dense',
    make: () =>
      tg.sequential({
        layers: [
          tg.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
          tg.layers.maxPooling2d({ poolSize: 2 }),
          tg.layers.batchNormalization(),
          tg.layers.flatten(),
          tg.layers.dropout({ rate: 0.3 }),
          tg.layers.dense({
            units: 5,
            activation: 'softmax',
            kernelRegularizer: tg.regularizers.l2({ l2: 0.1 }),
          }),
        ],
      }),
  },
  {
    what: 'LSTM, Bidirectional(LSTM), Dense',
    make: () =>
      tg.sequential({
        layers: [
          tg.layers.lstm({ inputShape: [5, 3], units: 4, returnSequences: true }),
          tg.layers.bidirectional({ layer: tg.layers.lstm({ units: 3 }), mergeMode: 'concat' }),
          tg.layers.dense({ units: 2 }),
        ],
      }),
  },
  {
    what: 'a functional model with two inputs, Add and Concatenate',
    make: () => {
      const a = tg.input({ shape: [6], name: 'a' });
      const b = tg.input({ shape: [6], name: 'b' });
      const da = tg.layers.dense({ units: 4, activation: 'tanh' }).apply(a) as tg.SymbolicTensor;
      const db = tg.layers.dense({ units: 4 }).apply(b) as tg.SymbolicTensor;
      const sum = tg.layers.add().apply([da, db]) as tg.SymbolicTensor;
      const cat = tg.layers.concatenate().apply([sum, a]) as tg.SymbolicTensor;
      const out = tg.layers.dense({ units: 2, activation: 'sigmoid' }).apply(cat) as tg.SymbolicTensor;
      return tg.model({ inputs: [a, b], outputs: out });
    },
  },
];

describe("model.toJSON() is TF.js's topology JSON", () => {
  for (const c of tgModels)
    it(`${c.what}: real TF.js builds the same architecture from it, and so does tapegrad`, async () => {
      const m = c.make();
      const s = m.toJSON();
      expect(typeof s).toBe('string');
      // the modelTopology that toTfjsArtifacts writes, as a string or (returnString false) the object
      const topology = tg.keras.toTfjsArtifacts(m).modelTopology;
      expect(s).toBe(JSON.stringify(topology));
      expect(m.toJSON(null, false)).toEqual(topology);
      expect(Object.keys(topology).sort()).toEqual(['backend', 'class_name', 'config', 'keras_version']);
      const theirs = await tfl.models.modelFromJSON(JSON.parse(s) as tf.serialization.ConfigDict);
      expectSameArchitecture(m, theirs);
      expectSameLayerConfigs(topology, theirs.toJSON(null, false) as Record<string, tg.JsonValue>);
      const back = await tg.models.modelFromJSON(s);
      expect(tgRows(back)).toEqual(tgRows(m));
      expect(back.toJSON()).toBe(s);
    });

  it('toJSON refuses a returnString that is not a boolean, and a model TF.js cannot load, by name', () => {
    const m = tgModels[0].make();
    expect(() => m.toJSON(null, 'yes' as unknown as boolean)).toThrow(
      /toJSON: returnString .* must be a boolean/,
    );
    const c = tg.sequential({
      name: 'causal',
      layers: [
        tg.layers.conv1d({ inputShape: [5, 2], filters: 2, kernelSize: 2, padding: 'causal', name: 'cc' }),
      ],
    });
    expect(() => c.toJSON()).toThrow(/layer 'cc' \(Conv1D\) has padding 'causal'/);
  });
});

describe('modelFromJSON refuses what it cannot honour, by name', () => {
  const topo = () => tgModels[0].make().toJSON(null, false) as Record<string, tg.JsonValue>;
  it('customObjects, unknown keys, a manifest without a local pathPrefix, an unknown layer class', async () => {
    // a class that is not a tg.Layer cannot run (custom-objects.test.ts tests what customObjects takes)
    await expect(tg.models.modelFromJSON(topo(), { Fancy: class {} })).rejects.toThrow(
      /customObjects\['Fancy'\] must be a tg.Layer subclass/,
    );
    // an empty map is nothing to honour, as in TF.js
    expect((await tg.models.modelFromJSON(topo(), {})).countParams()).toBe(tgModels[0].make().countParams());
    await expect(tg.models.modelFromJSON({ modelTopology: topo(), weights: [] })).rejects.toThrow(
      /unknown key 'weights'/,
    );
    await expect(tg.models.modelFromJSON({ modelTopology: topo(), weightsManifest: [] })).rejects.toThrow(
      /weightsManifest needs pathPrefix/,
    );
    await expect(
      tg.models.modelFromJSON({ modelTopology: topo(), weightsManifest: [], pathPrefix: 'https://x.org/m' }),
    ).rejects.toThrow(/pathPrefix 'https:\/\/x.org\/m' is a URL/);
    await expect(tg.models.modelFromJSON({ modelTopology: topo(), pathPrefix: '/tmp' })).rejects.toThrow(
      /pathPrefix is given without a weightsManifest/,
    );
    await expect(tg.models.modelFromJSON('[1]')).rejects.toThrow(/expected a model topology object/);
    await expect(tg.models.modelFromJSON({ modelTopology: { config: {} } })).rejects.toThrow(
      /holds no model config/,
    );
    const bad = topo();
    const layers = (bad.config as { layers: { class_name: string }[] }).layers;
    layers[1].class_name = 'FancyPool';
    await expect(tg.models.modelFromJSON(bad)).rejects.toThrow(tg.UnknownLayerError);
  });
});
