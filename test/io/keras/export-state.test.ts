// What a saved file says about the model as it is now: a layer frozen (or unfrozen) after import is saved with its
// current `trainable`; and a `.keras` archive whose stored model.weights.h5 lands at an HDF5 user-block offset is
// still read as a zip.
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { sniffContainer } from '../../../src/io/keras/files.js';
import { kerasFixturesDir } from '../fixtures-dir.js';

afterAll(() => tg.closeHdf5Worker());

const HDF5_SIG = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
const sigAt = (b: Uint8Array) => Buffer.from(b).indexOf(Buffer.from(HDF5_SIG));

/** An imported (config-built) Sequential: its layers carry their Keras config with `trainable`. */
const imported = (trainable: boolean) =>
  tg.keras.modelFromJson({
    class_name: 'Sequential',
    keras_version: '2.4.0',
    config: {
      name: 's',
      layers: [
        { class_name: 'Dense', config: { name: 'd0', units: 3, trainable, batch_input_shape: [null, 2] } },
        { class_name: 'Dense', config: { name: 'd1', units: 1 } },
      ],
    },
  });

describe('saveModel writes the current trainable flag', () => {
  for (const format of ['h5', 'keras'] as const)
    it(`an imported layer frozen after import is saved frozen, an unfrozen one unfrozen (.${format})`, async () => {
      const m = imported(true);
      m.layers[0].trainable = false;
      const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format }));
      expect(back.layers.map((l) => l.trainable)).toEqual([false, true]);
      const f = imported(false);
      f.layers[0].trainable = true;
      const back2 = await tg.keras.loadModel(await tg.keras.saveModel(f, null, { format }));
      expect(back2.layers[0].trainable).toBe(true);
    });

  it('the legacy .h5 model_config says trainable: false', async () => {
    const m = imported(true);
    m.layers[0].trainable = false;
    const f = await tg.openHdf5(await tg.keras.saveModel(m, null, { format: 'h5' }));
    const cfg = JSON.parse(f.attrString('/', 'model_config')!);
    expect(cfg.config.layers[0].config.trainable).toBe(false);
  });
});

describe('a .keras archive is a zip first', () => {
  it('sniffContainer: PK\\x03\\x04 wins over an HDF5 signature at offset 512', () => {
    const b = new Uint8Array(1024);
    b.set([0x50, 0x4b, 3, 4]);
    b.set(HDF5_SIG, 512);
    expect(sniffContainer(b)).toBe('zip');
    expect(tg.isHdf5(b)).toBe(false);
    const h = new Uint8Array(1024);
    h.set(HDF5_SIG, 512); // a real user block (not a zip) still counts
    expect(sniffContainer(h)).toBe('hdf5');
  });

  it('a .keras whose stored model.weights.h5 starts at byte 512 loads as a model', async () => {
    const m = tg.sequential({ layers: [tg.layers.dense({ units: 2, inputShape: [3], name: 'd' })] });
    const parts = unzipSync(await tg.keras.saveModel(m, null, { format: 'keras' }));
    const pack = (pad: number) =>
      zipSync({
        'metadata.json': [parts['metadata.json'], { level: 0 }],
        'config.json': [new Uint8Array([...parts['config.json'], ...strToU8(' '.repeat(pad))]), { level: 0 }],
        'model.weights.h5': [parts['model.weights.h5'], { level: 0 }],
      });
    const at = sigAt(pack(0));
    const target = at <= 512 ? 512 : 1024;
    const bytes = pack(target - at);
    expect(sigAt(bytes)).toBe(target);
    const back = await tg.keras.loadModel(bytes);
    const x = tg.randn([2, 3], { rng: new tg.Rng(1) });
    expect(Array.from((back.predict(x) as tg.Tensor).data)).toEqual(
      Array.from((m.predict(x) as tg.Tensor).data),
    );
  });

  const fixtures = kerasFixturesDir();
  it.skipIf(!fixtures)('the dl4j-small-rnn flatten RNN saved as .keras loads back', async () => {
    const m = await tg.keras.loadModel(
      join(fixtures!, 'dl4j-small-rnn', 'simple_flatten_rnn_tf_keras_2_model.h5'),
    );
    const back = await tg.keras.loadModel(await tg.keras.saveModel(m, null, { format: 'keras' }));
    expect(back.getWeights().length).toBe(m.getWeights().length);
  });
  if (!fixtures) it.skip('fixture case skipped: ../shared/keras-fixtures is not present', () => {});
});
