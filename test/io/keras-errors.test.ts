// Keras container edge cases built in the test: zips (unsafe names, bombs, CRC), TF.js manifests, hostile JSON,
// synthetic legacy/Keras 3 HDF5 layouts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FormatError,
  closeHdf5Worker,
  parseJsonSafe,
  readKerasFile,
  sniffContainer,
} from '../../src/io/index.js';
import { buildH5 } from './h5-build.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-keras-'));
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await closeHdf5Worker();
});

const config = {
  class_name: 'Sequential',
  config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense' } }] },
};
const f32 = (xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

describe('format detection from bytes', () => {
  it('sniffs HDF5, ZIP, JSON (with BOM and whitespace) and refuses anything else', async () => {
    expect(sniffContainer(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('hdf5');
    expect(sniffContainer(zipSync({ a: strToU8('x') }))).toBe('zip');
    expect(sniffContainer(strToU8('\ufeff \n {"a":1}'))).toBe('json');
    await expect(readKerasFile(strToU8('GIF89a...'), { name: 'pic.h5' })).rejects.toThrow(
      /pic.h5: not a Keras file: neither HDF5, ZIP nor JSON \(first bytes: 47 49 46 38/,
    );
    await expect(readKerasFile(new Uint8Array(0), { name: 'empty' })).rejects.toThrow(/empty file/);
  });
});

describe('Keras 3 .keras zips', () => {
  const good = async () => {
    const weights = await buildH5((f) => {
      const v = f.create_group('layers').create_group('dense').create_group('vars');
      v.create_dataset({ name: '0', data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
      v.create_dataset({ name: '1', data: Float32Array.from([7, 8, 9]), shape: [3] });
    });
    return {
      'config.json': strToU8(JSON.stringify(config)),
      'metadata.json': strToU8('{"keras_version": "3.5.0", "date_saved": "x"}'),
      'model.weights.h5': weights,
    };
  };

  it('reads config, metadata and weights from a zip built in memory', async () => {
    const k = await readKerasFile(zipSync(await good(), { level: 6 }), { name: 'm.keras' });
    expect(k.format).toBe('keras3');
    expect(k.kerasVersion).toBe('3.5.0');
    expect(k.layers).toHaveLength(1);
    expect(k.layers[0].weights.map((w) => [w.name, w.shape, Array.from(w.data)])).toEqual([
      ['vars/0', [2, 3], [1, 2, 3, 4, 5, 6]],
      ['vars/1', [3], [7, 8, 9]],
    ]);
  });

  it.each(['../evil.txt', '/etc/passwd', 'a/../../b', 'C:/x', 'a\\..\\b'])(
    'rejects the unsafe entry name %s',
    async (bad) => {
      const files = { ...(await good()), [bad]: strToU8('x') };
      await expect(readKerasFile(zipSync(files), { name: 'evil.keras' })).rejects.toThrow(
        /evil.keras: unsafe entry name/,
      );
    },
  );

  it('caps the total declared uncompressed size and the entry count (zip bomb guards)', async () => {
    const z = zipSync({ ...(await good()), 'assets/zeros.bin': new Uint8Array(200_000) }, { level: 9 });
    expect(z.length).toBeLessThan(20_000);
    await expect(readKerasFile(z, { name: 'bomb.keras', maxZipBytes: 100_000 })).rejects.toThrow(
      /zip bomb guard/,
    );
    const many: Record<string, Uint8Array> = { ...(await good()) };
    for (let i = 0; i < 50; i++) many[`assets/f${i}`] = strToU8('x');
    await expect(readKerasFile(zipSync(many), { name: 'many.keras', maxZipEntries: 20 })).rejects.toThrow(
      /53 entries, above the limit of 20/,
    );
  });

  it('a central directory that lies about an entry size is caught while inflating (stops at the declared size)', async () => {
    const z = zipSync(await good(), { level: 6 });
    // Find config.json's central-directory record and shrink its declared uncompressed size.
    const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    let p = z.length - 22;
    while (dv.getUint32(p, true) !== 0x06054b50) p--;
    let cd = dv.getUint32(p + 16, true);
    for (;;) {
      const nameLen = dv.getUint16(cd + 28, true);
      const name = new TextDecoder().decode(z.subarray(cd + 46, cd + 46 + nameLen));
      if (name === 'config.json') break;
      cd += 46 + nameLen + dv.getUint16(cd + 30, true) + dv.getUint16(cd + 32, true);
    }
    dv.setUint32(cd + 24, 10, true);
    await expect(readKerasFile(z, { name: 'lie.keras' })).rejects.toThrow(
      /lie.keras: entry 'config.json': deflate data inflates to more than 10 bytes \(more than its declared size/,
    );
  });

  it('truncated zips and zips without config.json are FormatErrors', async () => {
    const z = zipSync(await good());
    await expect(readKerasFile(z.subarray(0, z.length - 30), { name: 't.keras' })).rejects.toThrow(
      FormatError,
    );
    const { 'config.json': _c, ...rest } = await good();
    await expect(readKerasFile(zipSync(rest), { name: 'nc.keras' })).rejects.toThrow(
      /nc.keras: Keras 3 archive has no config.json/,
    );
  });
});

describe('TF.js model.json', () => {
  const manifest = (weights: object[], paths = ['group1-shard1of1.bin']) => ({
    format: 'layers-model',
    generatedBy: 'keras v2.4.0',
    modelTopology: { keras_version: '2.4.0', backend: 'tensorflow', model_config: config },
    weightsManifest: [{ paths, weights }],
  });

  it('resolves shards relative to the json path and splits shards across files', async () => {
    const d = join(tmp, 'tfjs1');
    rmSync(d, { recursive: true, force: true });
    (await import('node:fs')).mkdirSync(d);
    const all = f32([1, 2, 3, 4, 5, 6, 7, 8]);
    writeFileSync(join(d, 's1.bin'), all.subarray(0, 12));
    writeFileSync(join(d, 's2.bin'), all.subarray(12));
    const m = manifest(
      [
        { name: 'dense/kernel', shape: [3, 2], dtype: 'float32' },
        { name: 'dense/bias', shape: [2], dtype: 'float32' },
      ],
      ['s1.bin', 's2.bin'],
    );
    writeFileSync(join(d, 'model.json'), JSON.stringify(m));
    const k = await readKerasFile(join(d, 'model.json'));
    expect(k.format).toBe('tfjs');
    expect(k.kerasVersion).toBe('2.4.0');
    expect(k.layers.map((l) => [l.name, l.weights.map((w) => [w.name, Array.from(w.data)])])).toEqual([
      [
        'dense',
        [
          ['dense/kernel', [1, 2, 3, 4, 5, 6]],
          ['dense/bias', [7, 8]],
        ],
      ],
    ]);
  });

  it('says which weight needs how many bytes when the shards are short, and refuses leftover bytes', async () => {
    const m = manifest([
      { name: 'a/kernel', shape: [2], dtype: 'float32' },
      { name: 'dense/kernel', shape: [32, 32], dtype: 'float32' },
    ]);
    const shards = { 'group1-shard1of1.bin': new Uint8Array(1032) };
    await expect(readKerasFile(strToU8(JSON.stringify(m)), { name: 'model.json', shards })).rejects.toThrow(
      "model.json: weightsManifest[0].weights[1] 'dense/kernel' needs 4096 bytes at offset 8 but the shards hold 1032 bytes",
    );
    const m2 = manifest([{ name: 'a/kernel', shape: [2], dtype: 'float32' }]);
    await expect(
      readKerasFile(strToU8(JSON.stringify(m2)), {
        name: 'model.json',
        shards: { 'group1-shard1of1.bin': new Uint8Array(12) },
      }),
    ).rejects.toThrow(/the shards hold 12 bytes but the weights use 8/);
  });

  it('dequantises uint8 (q·scale + min) and float16 weights', async () => {
    const m = manifest([
      {
        name: 'q/kernel',
        shape: [3],
        dtype: 'float32',
        quantization: { dtype: 'uint8', scale: 0.5, min: -1 },
      },
      { name: 'q/bias', shape: [2], dtype: 'float32', quantization: { dtype: 'float16' } },
    ]);
    // uint8 [0, 2, 255] then float16 [1.0 (0x3c00), -2.5 (0xc100)]
    const shard = new Uint8Array([0, 2, 255, 0x00, 0x3c, 0x00, 0xc1]);
    const k = await readKerasFile(strToU8(JSON.stringify(m)), {
      name: 'model.json',
      shards: new Map([['group1-shard1of1.bin', shard]]),
    });
    const [w1, w2] = k.layers[0].weights;
    expect(Array.from(w1.data)).toEqual([-1, 0, 126.5]);
    expect(Array.from(w2.data)).toEqual([1, -2.5]);
  });

  it('refuses shard paths that leave the model folder, bytes without shards, and bad shapes', async () => {
    for (const p of ['../secret.bin', '/etc/passwd', 'http://x/y.bin']) {
      const d = join(tmp, 'm.json');
      writeFileSync(d, JSON.stringify(manifest([{ name: 'a/b', shape: [1], dtype: 'float32' }], [p])));
      await expect(readKerasFile(d)).rejects.toThrow(/must be relative to model.json/);
    }
    const m = manifest([{ name: 'a/b', shape: [1], dtype: 'float32' }]);
    await expect(readKerasFile(strToU8(JSON.stringify(m)), { name: 'model.json' })).rejects.toThrow(
      /needs the shards option/,
    );
    const bad = manifest([{ name: 'a/b', shape: [2, -1], dtype: 'float32' }]);
    await expect(
      readKerasFile(strToU8(JSON.stringify(bad)), { name: 'model.json', shards: {} }),
    ).rejects.toThrow(/weights\[0\] 'a\/b' shape: dimension 1 is -1/);
    const huge = manifest([{ name: 'a/b', shape: [1048576, 1048576], dtype: 'float32' }]);
    await expect(
      readKerasFile(strToU8(JSON.stringify(huge)), {
        name: 'model.json',
        shards: { 'group1-shard1of1.bin': new Uint8Array(8) },
      }),
    ).rejects.toThrow(/needs 4398046511104 bytes/);
  });
});

describe('hostile JSON', () => {
  it('__proto__ and constructor keys are dropped and never reach Object.prototype', async () => {
    const text =
      '{"modelTopology": {"model_config": {"class_name": "Sequential", "config": [], "__proto__": {"polluted": 1}, "constructor": {"prototype": {"polluted": 2}}}}, "weightsManifest": []}';
    const k = await readKerasFile(strToU8(text), { name: 'model.json' });
    const mc = k.modelConfig as Record<string, unknown>;
    expect(Object.hasOwn(mc, '__proto__')).toBe(false);
    expect(Object.hasOwn(mc, 'constructor')).toBe(false);
    expect(Object.getPrototypeOf(mc)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.assign({}, mc)).not.toHaveProperty('polluted');
  });

  it('deep nesting is refused before parsing (no stack overflow)', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseJsonSafe(deep, 'deep.json')).toThrow(
      /deep.json: JSON nests deeper than the limit of 512 levels/,
    );
    expect(() => parseJsonSafe('{"a": "[[[[[["}', 'str.json', { maxDepth: 2 })).not.toThrow();
    expect(() => parseJsonSafe('{"a": 1,}', 'bad.json')).toThrow(/bad.json: not valid JSON/);
  });
});

describe('synthetic legacy and Keras 3 HDF5 layouts', () => {
  it('reads chunked layer_names0/1 and weight_names, keeps weightless layers, and converts dtypes', async () => {
    const bytes = await buildH5((f) => {
      f.create_attribute('layer_names0', ['d1', 'act']);
      f.create_attribute('layer_names1', ['d2']);
      f.create_attribute('keras_version', '2.0.8');
      f.create_attribute('backend', 'tensorflow');
      const d1 = f.create_group('d1');
      d1.create_attribute('weight_names', ['d1/kernel:0', 'd1/bias:0']);
      d1.create_group('d1');
      (f.get('d1/d1') as any).create_dataset({
        name: 'kernel:0',
        data: Float64Array.from([1, 2]),
        shape: [1, 2],
      });
      (f.get('d1/d1') as any).create_dataset({
        name: 'bias:0',
        data: new BigInt64Array([3n, 4n]),
        shape: [2],
      });
      f.create_group('act').create_attribute('weight_names', new Float64Array(0), [0], '<f8');
      const d2 = f.create_group('d2');
      d2.create_attribute('weight_names0', ['d2/kernel:0']);
      d2.create_group('d2').create_dataset({ name: 'kernel:0', data: Float32Array.from([5]), shape: [1, 1] });
    });
    const k = await readKerasFile(bytes, { name: 'w.h5' });
    expect(k.format).toBe('h5-weights');
    expect([k.kerasVersion, k.backend, k.modelConfig]).toEqual(['2.0.8', 'tensorflow', null]);
    expect(
      k.layers.map((l) => [
        l.name,
        l.weights.map((w) => [w.name, w.dtype, w.sourceDtype, w.shape, Array.from(w.data)]),
      ]),
    ).toEqual([
      [
        'd1',
        [
          ['d1/kernel:0', 'float64', 'float64', [1, 2], [1, 2]],
          ['d1/bias:0', 'int32', 'int64', [2], [3, 4]],
        ],
      ],
      ['act', []],
      ['d2', [['d2/kernel:0', 'float32', 'float32', [1, 1], [5]]]],
    ]);
  });

  it('names the layer and weight when a listed weight dataset is missing', async () => {
    const bytes = await buildH5((f) => {
      f.create_attribute('layer_names', ['d1']);
      f.create_group('d1').create_attribute('weight_names', ['d1/kernel:0']);
    });
    await expect(readKerasFile(bytes, { name: 'broken.h5' })).rejects.toThrow(
      "broken.h5: weight 'd1/kernel:0' of group /d1 is missing (no dataset /d1/d1/kernel:0)",
    );
    const bytes2 = await buildH5((f) => f.create_attribute('layer_names', ['ghost']));
    await expect(readKerasFile(bytes2, { name: 'ghost.h5' })).rejects.toThrow(
      /layer_names lists 'ghost' but there is no group \/ghost/,
    );
  });

  it('Keras 3 weights: vars first, then nested objects, numbers in numeric order', async () => {
    const bytes = await buildH5((f) => {
      const lstm = f.create_group('layers').create_group('lstm');
      lstm.create_group('vars');
      const cv = lstm.create_group('cell').create_group('vars');
      for (const i of [0, 1, 2, 10, 11])
        cv.create_dataset({ name: String(i), data: Float32Array.from([i]), shape: [1] });
      f.create_group('optimizer')
        .create_group('vars')
        .create_dataset({ name: '0', data: Float32Array.from([9]), shape: [1] });
    });
    const k = await readKerasFile(bytes, { name: 'x.weights.h5' });
    expect(k.format).toBe('keras3-weights');
    expect(k.layers.map((l) => [l.name, l.weights.map((w) => w.name)])).toEqual([
      ['lstm', ['cell/vars/0', 'cell/vars/1', 'cell/vars/2', 'cell/vars/10', 'cell/vars/11']],
    ]);
  });
});
