// Every Keras-family file in the shared fixtures, read by readKerasFile / openHdf5, against the fixtures' inventory.json
// (written independently with h5py / zipfile / json).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FormatError, closeHdf5Worker, openHdf5, readKerasFile } from '../../src/io/index.js';
import { kerasFixturesDir } from './fixtures-dir.js';

const root = kerasFixturesDir();
if (!root) console.warn('keras-fixtures not found: skipping the fixture inventory tests');

type Rec = Record<string, any>;
const KERAS_KINDS = [
  'keras-full-model-h5',
  'keras-weights-only-h5',
  'keras3-zip',
  'tfjs-layers-model',
  'keras-model-json',
];

function inventories(): { dir: string; file: string; rec: Rec }[] {
  if (!root) return [];
  const out: { dir: string; file: string; rec: Rec }[] = [];
  for (const dir of readdirSync(root).sort()) {
    let inv: Rec;
    try {
      inv = JSON.parse(readFileSync(join(root, dir, 'inventory.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const [file, rec] of Object.entries<Rec>(inv)) out.push({ dir, file, rec });
  }
  return out;
}

const all = inventories();
const kerasFiles = all.filter((x) => KERAS_KINDS.includes(x.rec.kind));
const ioFiles = all.filter((x) => x.rec.kind === 'io-data-h5');

/** Layer class names from a model config: Keras 1/2.0 Sequential lists layers directly, later versions under layers. */
function layerClasses(mc: any): string[] {
  const c = mc?.config;
  const list = Array.isArray(c) ? c : (c?.layers ?? []);
  return list.map((l: any) => l.class_name);
}

const sorted = (o: Record<string, number[]>) =>
  Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

afterAll(() => closeHdf5Worker());

describe.skipIf(!root)('keras fixtures: readKerasFile matches inventory.json', () => {
  it('covers every h5 / .keras / model.json / config json in the fixtures', () => {
    const exts = new Set(kerasFiles.map((x) => x.file.replace(/^.*\./, '')));
    expect(kerasFiles.length).toBeGreaterThan(200);
    expect([...exts].sort()).toEqual(['h5', 'json', 'keras']);
  });

  it.each(kerasFiles.map((x) => [`${x.dir}/${x.file}`, x] as const))(
    '%s',
    async (_label, { dir, file, rec }) => {
      const k = await readKerasFile(join(root!, dir, file));
      const expectFormat: Record<string, string> = {
        'keras-full-model-h5': 'h5-model',
        'keras-weights-only-h5': 'h5-weights',
        'keras3-zip': 'keras3',
        'tfjs-layers-model': 'tfjs',
        'keras-model-json': 'keras-json',
      };
      expect(k.format).toBe(expectFormat[rec.kind]);
      expect(k.kerasVersion).toBe(rec.keras_version ?? rec.metadata?.keras_version ?? null);
      if (rec.kind !== 'keras3-zip') expect(k.backend).toBe(rec.backend ?? null);
      if (rec.model_class) expect((k.modelConfig as any).class_name).toBe(rec.model_class);
      if (rec.layers) expect(layerClasses(k.modelConfig)).toEqual(rec.layers);
      if (rec.layer_names) expect(k.layers.map((l) => l.name)).toEqual(rec.layer_names);
      if (rec.kind === 'keras-model-json') {
        expect(k.layers).toEqual([]);
        return;
      }
      // Every weight we return, keyed like the inventory: HDF5 path (no leading '/') or TF.js manifest name.
      const got: Record<string, number[]> = {};
      for (const l of k.layers)
        for (const w of l.weights) {
          got[rec.kind === 'tfjs-layers-model' ? w.name : w.path.slice(1)] = w.shape;
          expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
          expect(w.dtype).toBe('float32');
        }
      let want: Record<string, number[]> = rec.datasets ?? rec.weights;
      if (rec.kind === 'keras3-zip')
        want = Object.fromEntries(
          Object.entries<number[]>(rec.weights_h5).filter(([p]) => !p.startsWith('optimizer/')),
        );
      expect(sorted(got)).toEqual(sorted(want));
    },
  );
});

describe.skipIf(!root)('keras fixtures: inputs/outputs HDF5 files', () => {
  it.each(ioFiles.map((x) => [`${x.dir}/${x.file}`, x] as const))(
    '%s',
    async (_label, { dir, file, rec }) => {
      const p = join(root!, dir, file);
      const f = await openHdf5(p);
      const got = Object.fromEntries(f.datasetPaths().map((q) => [q.slice(1), f.read(q).shape]));
      expect(sorted(got)).toEqual(sorted(rec.datasets));
      await expect(readKerasFile(p)).rejects.toThrow(/not a Keras model or weights file/);
    },
  );
});

describe.skipIf(!root)('keras fixtures: values', () => {
  it('dl4j-tiny-models conv2d kernels hold the deterministic 0,1,2,... fill in Keras 1 and Keras 2 files', async () => {
    // README: "Several have deterministic weights (e.g. conv kernels filled with 0,1,2,...)".
    const k = await readKerasFile(join(root!, 'dl4j-tiny-models', 'conv2d_tensorflow_2.h5'));
    const w = k.layers.flatMap((l) => l.weights).find((x) => /kernel/.test(x.name))!;
    expect(w.shape).toEqual([3, 3, 5, 6]);
    const arange = Array.from({ length: 270 }, (_, i) => i);
    const sortedVals = Array.from(w.data).sort((a, b) => a - b);
    expect(sortedVals).toEqual(arange);
  });

  it('the same model saved as full model and as weights-only gives identical weights', async () => {
    const a = await readKerasFile(join(root!, 'dl4j-small-rnn', 'simple_rnn_tf_keras_2_model.h5'));
    const b = await readKerasFile(join(root!, 'dl4j-small-rnn', 'simple_rnn_tf_keras_2_weights.h5'));
    expect(a.format).toBe('h5-model');
    expect(b.format).toBe('h5-weights');
    expect(a.layers.map((l) => l.weights.map((w) => [w.name, w.shape, Array.from(w.data)]))).toEqual(
      b.layers.map((l) => l.weights.map((w) => [w.name, w.shape, Array.from(w.data)])),
    );
  });

  it('the tfjs shard is consumed exactly (12,612 bytes = 3,153 float32 values)', async () => {
    const k = await readKerasFile(join(root!, 'tfjs-ux-simplernn', 'model.json'));
    const total = k.layers.flatMap((l) => l.weights).reduce((a, w) => a + w.data.length, 0);
    expect(total * 4).toBe(12612);
    expect(k.layers.map((l) => l.name)).toEqual(['RNN_Input', 'batch_normalization_v1', 'softmax']);
  });

  it('reads from bytes as well as from a path, and rejects a non-Keras file with FormatError', async () => {
    const bytes = readFileSync(join(root!, 'keras3-mnist-mlp', 'Digit_Recognition_MLP.keras'));
    const k = await readKerasFile(new Uint8Array(bytes), { name: 'mlp.keras' });
    expect(k.source).toBe('mlp.keras');
    expect(k.layers.map((l) => [l.name, l.weights.map((w) => w.name)])).toEqual([
      ['flatten', []],
      ['dense', ['vars/0', 'vars/1']],
      ['dense_1', ['vars/0', 'vars/1']],
      ['dense_2', ['vars/0', 'vars/1']],
    ]);
    await expect(readKerasFile(join(root!, 'dl4j-cnn-batchnorm', 'input.npy'))).rejects.toThrow(FormatError);
  });
});
