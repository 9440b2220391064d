// SpatialDropout2D and 3D take the ranks Keras's InputSpec(ndim=4 / 5) allows, and a SpatialDropout3D file imports
// as a SpatialDropout3D (one keep decision per sample and channel over three spatial axes); a Keras 3 AlphaDropout
// with its `noise_shape` key imports.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

beforeEach(() => tg.resetLayerNames());

const seqCfg = (layer: Record<string, unknown>, shape: number[], version = '2.15.0') => ({
  class_name: 'Sequential',
  keras_version: version,
  config: {
    name: 's',
    layers: [
      { class_name: 'InputLayer', config: { name: 'in', batch_input_shape: [null, ...shape] } },
      layer,
    ],
  },
});

describe('SpatialDropout ranks', () => {
  it('SpatialDropout2D refuses rank 3 and 5, naming the layer', () => {
    const sd = tg.layers.spatialDropout2d({ rate: 0.5, name: 'sd2' });
    expect(() => sd.apply(tg.ones([2, 3, 4]), { training: true })).toThrow(
      /sd2 \(SpatialDropout2D\): expected input of rank 4/,
    );
    expect(() => sd.apply(tg.ones([1, 2, 2, 2, 3]), { training: true })).toThrow(/rank 4/);
  });

  it('SpatialDropout3D shares the mask over the three spatial axes (channels last and first)', () => {
    tg.setSeed(3);
    const sd = tg.layers.spatialDropout3d({ rate: 0.5, name: 'sd3' });
    expect(sd.className).toBe('SpatialDropout3D');
    const y = (sd.apply(tg.ones([4, 2, 3, 2, 6]), { training: true }) as tg.Tensor).data;
    // per sample and channel: every spatial position holds the same value, 0 or 1/(1-rate)
    let zeros = 0;
    for (let n = 0; n < 4; n++)
      for (let c = 0; c < 6; c++) {
        const first = y[n * 72 + c];
        expect([0, 2]).toContain(first);
        if (first === 0) zeros++;
        for (let s = 0; s < 12; s++) expect(y[n * 72 + s * 6 + c]).toBe(first);
      }
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(24);
    const cf = tg.layers.spatialDropout3d({ rate: 0.5, dataFormat: 'channelsFirst' });
    const z = (cf.apply(tg.ones([2, 3, 2, 2, 2]), { training: true }) as tg.Tensor).data;
    for (let n = 0; n < 2; n++)
      for (let c = 0; c < 3; c++)
        for (let s = 0; s < 8; s++) expect(z[n * 24 + c * 8 + s]).toBe(z[n * 24 + c * 8]);
    expect(() => sd.apply(tg.ones([2, 3, 4, 5]), { training: true })).toThrow(
      /sd3 \(SpatialDropout3D\): expected input of rank 5/,
    );
  });

  it('a SpatialDropout3D file imports as SpatialDropout3D', () => {
    const m = tg.keras.modelFromJson(
      seqCfg(
        {
          class_name: 'SpatialDropout3D',
          config: { name: 'sd', rate: 0.3, noise_shape: null, data_format: 'channels_last' },
        },
        [2, 2, 2, 3],
      ),
    );
    expect(m.layers.map((l) => l.className)).toContain('SpatialDropout3D');
    expect((m.predict(tg.ones([1, 2, 2, 2, 3])) as tg.Tensor).data).toEqual(new Float32Array(24).fill(1));
  });

  it('a Keras 3 AlphaDropout with noise_shape imports (null: the full shape; a size: shared decisions)', () => {
    const full = tg.keras.modelFromJson(
      seqCfg(
        { class_name: 'AlphaDropout', config: { name: 'a', rate: 0.2, noise_shape: null, seed: null } },
        [4],
        '3.8.0',
      ),
    );
    expect((full.predict(tg.ones([2, 4])) as tg.Tensor).data).toEqual(new Float32Array(8).fill(1));
    const shared = tg.keras.modelFromJson(
      seqCfg(
        { class_name: 'AlphaDropout', config: { name: 'a', rate: 0.5, noise_shape: [null, 1], seed: null } },
        [6],
        '3.8.0',
      ),
    );
    const a = shared.layers.find((l) => l.className === 'AlphaDropout')!;
    tg.setSeed(5);
    const y = (a.apply(tg.ones([8, 6]), { training: true }) as tg.Tensor).data;
    for (let n = 0; n < 8; n++) for (let f = 1; f < 6; f++) expect(y[n * 6 + f]).toBe(y[n * 6]);
  });
});
