// Fuzzing the TF.js model.json + shards reader: hostile values at every JSON path, truncation at every JSON token
// boundary, bit flips, inconsistent shard sizes (short, long, missing, swapped), duplicate weight names, deep
// nesting, __proto__/constructor keys, and shard paths that try to leave the model folder.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type KerasFile, readKerasFile } from '../../src/io/index.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';
import {
  FUZZ_SEED,
  FuzzStats,
  flipBits,
  fuzzCase,
  printFuzzReport,
  jsonPaths,
  protoKeys,
  runs,
  setAtPath,
} from './helpers/fuzz.js';

afterAll(printFuzzReport);
const stats = new FuzzStats('tfjs model.json + shards');
const proto0 = protoKeys();
const NAME = 'fuzz-model.json';
const enc = (s: string) => new TextEncoder().encode(s);
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

const MODEL = {
  format: 'layers-model',
  generatedBy: 'keras v2.2.4',
  convertedBy: 'fuzz',
  modelTopology: {
    keras_version: '2.2.4',
    backend: 'tensorflow',
    model_config: {
      class_name: 'Sequential',
      config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'dense', units: 4 } }] },
    },
  },
  weightsManifest: [
    {
      paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
      weights: [
        { name: 'dense/kernel', shape: [3, 4], dtype: 'float32' },
        { name: 'dense/bias', shape: [4], dtype: 'float32' },
        { name: 'emb/idx', shape: [2], dtype: 'int32' },
        { name: 'flag', shape: [3], dtype: 'bool' },
      ],
    },
    {
      paths: ['group2-shard1of1.bin'],
      weights: [
        {
          name: 'q/kernel',
          shape: [2, 2],
          dtype: 'float32',
          quantization: { dtype: 'uint8', scale: 0.1, min: -1 },
        },
        { name: 'h/kernel', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
        { name: 'p/kernel', shape: [2], dtype: 'int32', quantization: { dtype: 'uint16', scale: 2, min: 0 } },
      ],
    },
  ],
};
// group 1: 48 + 16 + 8 + 3 = 75 bytes over two shards; group 2: 4 + 6 + 4 = 14 bytes
const G1 = bytes(75, 1);
const SHARDS: Record<string, Uint8Array> = {
  'group1-shard1of2.bin': G1.subarray(0, 40),
  'group1-shard2of2.bin': G1.subarray(40),
  'group2-shard1of1.bin': bytes(14, 2),
};

const validate = (k: KerasFile) => {
  for (const l of k.layers)
    for (const w of l.weights) {
      expect(w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
      expect(w.data.length).toBe(w.shape.reduce((a, b) => a * b, 1));
    }
};
const shardBytes = (s: Record<string, Uint8Array>) => Object.values(s).reduce((a, b) => a + b.length, 0);
const check = (mutation: string, json: Uint8Array, shards: Record<string, Uint8Array> = SHARDS) =>
  fuzzCase(stats, mutation, () => readKerasFile(json, { name: NAME, shards }), {
    name: NAME,
    capBytes: 8 * (json.length + shardBytes(shards)) + 256 * 1024,
    validate,
    after: () => expect(protoKeys()).toBe(proto0),
  });

const deep = (d: number): unknown => (d === 0 ? 1 : [deep(d - 1)]);
const HOSTILE: unknown[] = [
  -1,
  2 ** 40,
  2 ** 53,
  2 ** 64,
  1.5,
  -0.5,
  '3',
  '',
  null,
  true,
  [],
  {},
  [[1]],
  [-1, 4],
  [2 ** 40],
  [2 ** 31, 2 ** 31],
  Array(300).fill(1),
  '../secret.bin',
  '/etc/passwd',
  'http://example.com/w.bin',
  'C:\\w.bin',
  'a\\..\\..\\b',
  '\u0000',
  'float64',
  'string',
  'complex64',
  'uint8',
  'int64',
  'bool',
  { dtype: 'uint8' },
  { dtype: 'uint8', scale: 'x', min: 0 },
  { dtype: 'int4', scale: 1, min: 0 },
  deep(40),
  { __proto__: null, polluted: 1 },
  'x'.repeat(10_000),
];
const PATHS = jsonPaths(MODEL);

describe('TF.js reader under fuzzing', () => {
  it('a hostile value (or a deletion) at every path of model.json', async () => {
    for (const p of PATHS)
      await check('delete-path', enc(JSON.stringify(setAtPath(MODEL, p, undefined, true))));
    await fc.assert(
      fc.asyncProperty(fc.nat(PATHS.length - 1), fc.nat(HOSTILE.length - 1), async (pi, hi) =>
        check('hostile-value', enc(JSON.stringify(setAtPath(MODEL, PATHS[pi], HOSTILE[hi])))),
      ),
      { seed: FUZZ_SEED + 30, numRuns: runs(1200) },
    );
  });

  it('truncation at every JSON token boundary, and bit flips in the text', async () => {
    const text = JSON.stringify(MODEL);
    for (let i = 0; i < text.length; i++)
      if (/[{}[\],:"]/.test(text[i])) await check('truncate@token', enc(text.slice(0, i)));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), async (pos) =>
        check('bitflip', flipBits(enc(text), pos)),
      ),
      { seed: FUZZ_SEED + 31, numRuns: runs(400) },
    );
  });

  it('inconsistent shards: cut at every weight boundary, extended, missing, swapped, empty', async () => {
    const text = enc(JSON.stringify(MODEL));
    for (const key of Object.keys(SHARDS))
      for (let cut = 0; cut <= SHARDS[key].length; cut++) {
        const s = {
          ...SHARDS,
          [key]:
            cut < SHARDS[key].length ? SHARDS[key].subarray(0, cut) : Uint8Array.from([...SHARDS[key], 0]),
        };
        await check(cut < SHARDS[key].length ? 'shard-short' : 'shard-long', text, s);
      }
    for (const key of Object.keys(SHARDS)) {
      const { [key]: _gone, ...rest } = SHARDS;
      await check('shard-missing', text, rest);
      await check('shard-empty', text, { ...SHARDS, [key]: new Uint8Array(0) });
    }
    await check('shard-swapped', text, {
      ...SHARDS,
      'group1-shard1of2.bin': SHARDS['group1-shard2of2.bin'],
      'group1-shard2of2.bin': SHARDS['group1-shard1of2.bin'],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(SHARDS)),
        fc.uint8Array({ maxLength: 100 }),
        async (key, b) => check('shard-random', text, { ...SHARDS, [key]: b }),
      ),
      { seed: FUZZ_SEED + 32, numRuns: runs(300) },
    );
  });

  it('duplicate weight names, __proto__/constructor keys and names, deep nesting', async () => {
    const dup = structuredClone(MODEL);
    dup.weightsManifest[0].weights[1].name = 'dense/kernel';
    dup.weightsManifest[0].weights[1].shape = [3, 4];
    const dupAcross = structuredClone(MODEL);
    dupAcross.weightsManifest[1].weights[0].name = 'dense/kernel';
    await check('duplicate-name', enc(JSON.stringify(dup)), {
      ...SHARDS,
      'group1-shard2of2.bin': bytes(75 + 32 - 40, 3),
    });
    await check('duplicate-name', enc(JSON.stringify(dupAcross)));
    await expect(
      readKerasFile(enc(JSON.stringify(dupAcross)), { name: NAME, shards: SHARDS }),
    ).rejects.toThrow(
      /weightsManifest\[1\]\.weights\[0\]: weight name 'dense\/kernel' is used twice \(also weightsManifest\[0\]\.weights\[0\]\)/,
    );
    const text = JSON.stringify(MODEL);
    for (const k of ['__proto__', 'constructor', 'prototype']) {
      await check(
        'proto-key',
        enc(text.replace('"format"', `"${k}":{"polluted":1,"weightsManifest":[]},"format"`)),
      );
      await check(
        'proto-key',
        enc(text.replace('"modelTopology":{', `"modelTopology":{"${k}":{"polluted":1},`)),
      );
      await check('proto-key', enc(text.replace('"dense/bias"', `"${k}"`)));
      await check('proto-key', enc(text.replace('"group2-shard1of1.bin"', `"${k}"`)), {
        ...SHARDS,
        [k]: SHARDS['group2-shard1of1.bin'],
      });
    }
    for (const d of [100, 511, 513, 5_000, 200_000])
      await check(
        'deep-nesting',
        enc(text.replace('"convertedBy":"fuzz"', `"convertedBy":${'['.repeat(d)}${']'.repeat(d)}`)),
      );
    await check(
      'deep-nesting',
      enc('{"modelTopology":' + '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_001)),
    );
  });

  it('the real TF.js fixture: bit flips and shard truncation', async () => {
    const dir = kerasFixturesDir();
    expect(dir, 'keras fixtures not found (../shared/keras-fixtures)').not.toBeNull();
    const json = new Uint8Array(readFileSync(join(dir!, 'tfjs-ux-simplernn', 'model.json')));
    const shard = new Uint8Array(readFileSync(join(dir!, 'tfjs-ux-simplernn', 'group1-shard1of1.bin')));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), fc.nat(), async (pos, cut) => {
        await check('fixture-bitflip', flipBits(json, pos), { 'group1-shard1of1.bin': shard });
        await check('fixture-shard-truncate', json, {
          'group1-shard1of1.bin': shard.subarray(0, cut % shard.length),
        });
      }),
      { seed: FUZZ_SEED + 33, numRuns: runs(150) },
    );
    expect(stats.total).toBeGreaterThan(2500);
  });
});

describe('TF.js shard paths on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'tg-tfjs-fuzz-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('never read outside the model folder, and nothing is written anywhere', async () => {
    const modelDir = join(root, 'model');
    mkdirSync(modelDir);
    writeFileSync(join(root, 'secret.bin'), bytes(75, 9));
    for (const [k, v] of Object.entries(SHARDS)) writeFileSync(join(modelDir, k), v);
    const path = join(modelDir, 'model.json');
    writeFileSync(path, JSON.stringify(MODEL));
    const before = [readdirSync(root).sort(), readdirSync(modelDir).sort()];
    const evil = [
      '../secret.bin',
      join(root, 'secret.bin'),
      'file:///etc/passwd',
      'http://example.com/x.bin',
      'sub/../../secret.bin',
      '..\\secret.bin',
      'C:/secret.bin',
      '.',
      '',
    ];
    for (const p of evil) {
      const m = structuredClone(MODEL);
      m.weightsManifest[0].paths = [p, 'group1-shard2of2.bin'];
      writeFileSync(path, JSON.stringify(m));
      // the error names model.json's manifest entry, or (for '' and '.') the folder the path resolves to
      await fuzzCase(stats, 'shard-path-escape', () => readKerasFile(path), {
        name: 'model',
        capBytes: 1 << 20,
      });
      await expect(readKerasFile(path)).rejects.toThrow(
        /must be relative|not a regular file|cannot open|shard/,
      );
    }
    expect([readdirSync(root).sort(), readdirSync(modelDir).sort()]).toEqual(before);
  });
});
