// Fuzzing Keras config JSON (model.to_json()) through the reader and the model builder: hostile values and
// deletions at every path, class names that are Object.prototype members, unknown/cyclic inbound layers, duplicate
// layer names, token truncation, bit flips, deep nesting and __proto__/constructor keys.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { keras, readKerasFile } from '../../src/index.js';
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
const stats = new FuzzStats('keras config json');
const proto0 = protoKeys();
const NAME = 'fuzz_config.json';

const dir = kerasFixturesDir();
const fixture = (rel: string) => JSON.parse(readFileSync(join(dir!, rel), 'utf8')) as unknown;
const BASES: unknown[] = dir
  ? [
      fixture('hls4ml-weights-only/KERAS_3layer.json'), // functional (Keras 2 node lists)
      fixture('hls4ml-weights-only/KERAS_conv2d_model.json'), // Sequential, layer list under config
      fixture('hls4ml-weights-only/jetTagger_Conv2D_Small.json'),
      fixture('dl4j-conv1d/conv1d_k2_s1_d1_cf_same_config.json'),
    ]
  : [];

// NOTE: a config has no data to compare sizes with; a model it describes may legitimately be large. The cap is the
// importer's documented build limit (1 GiB per tensor, IMPORT_ALLOCATION_LIMIT), enforced before allocating.
const CAP = 1024 ** 3;
const build = (text: string) => keras.modelFromJson(text, { source: NAME });
const check = (mutation: string, text: string) =>
  fuzzCase(stats, mutation, () => build(text), {
    name: NAME,
    capBytes: CAP,
    hangMs: 10_000,
    after: () => expect(protoKeys()).toBe(proto0),
  });

const HOSTILE: unknown[] = [
  -1,
  0,
  1,
  2 ** 31,
  2 ** 40,
  1e308,
  1.5,
  -0.5,
  '',
  '3',
  'relu',
  null,
  true,
  false,
  [],
  {},
  [null],
  [-1, -1],
  [2 ** 40, 2 ** 40],
  [0, 0, 0],
  Array(64).fill(2),
  'channels_first',
  'same',
  'valid',
  'causal',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  { class_name: 'Dense', config: {} },
  { class_name: '__proto__', config: {} },
  [[['x', 0, 0, {}]]],
];

describe('Keras config JSON under fuzzing', () => {
  it('every base config builds (sanity)', () => {
    expect(BASES.length, 'keras fixtures not found (../shared/keras-fixtures)').toBe(4);
    for (const b of BASES) expect(build(JSON.stringify(b)).countParams()).toBeGreaterThan(0);
  });

  it('a deletion at every path, and a hostile value at random paths', async () => {
    for (const b of BASES)
      for (const p of jsonPaths(b))
        await check('delete-path', JSON.stringify(setAtPath(b, p, undefined, true)));
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.nat(), fc.nat(HOSTILE.length - 1), async (bi, pi, hi) => {
        const ps = jsonPaths(BASES[bi]);
        await check('hostile-value', JSON.stringify(setAtPath(BASES[bi], ps[pi % ps.length], HOSTILE[hi])));
      }),
      { seed: FUZZ_SEED + 60, numRuns: runs(1500) },
    );
  });

  it('prototype-member class names, cyclic and dangling inbound nodes, duplicate layer names', async () => {
    const base = BASES[0] as {
      config: {
        layers: { class_name: string; name: string; config: { name: string }; inbound_nodes: unknown[] }[];
      };
    };
    for (const cls of [
      '__proto__',
      'constructor',
      'toString',
      'hasOwnProperty',
      'prototype',
      'Object',
      'Function',
      'eval',
    ]) {
      const m = structuredClone(base);
      m.config.layers[1].class_name = cls;
      await check('prototype-class-name', JSON.stringify(m));
      const top = structuredClone(base) as unknown as { class_name: string };
      top.class_name = cls;
      await check('prototype-class-name', JSON.stringify(top));
    }
    const layers = base.config.layers;
    const cyc = structuredClone(base);
    cyc.config.layers[1].inbound_nodes = [[[layers[2].name, 0, 0, {}]]];
    cyc.config.layers[2].inbound_nodes = [[[layers[1].name, 0, 0, {}]]];
    await check('cyclic-graph', JSON.stringify(cyc));
    const self = structuredClone(base);
    self.config.layers[1].inbound_nodes = [[[layers[1].name, 0, 0, {}]]];
    await check('cyclic-graph', JSON.stringify(self));
    const dangling = structuredClone(base);
    dangling.config.layers[1].inbound_nodes = [[['nowhere', 0, 0, {}]]];
    await check('dangling-inbound', JSON.stringify(dangling));
    for (const idx of [
      [layers[0].name, 5, 0, {}],
      [layers[0].name, 0, 7, {}],
      [layers[0].name, -1, -1, {}],
    ]) {
      const bad = structuredClone(base);
      bad.config.layers[1].inbound_nodes = [[idx]];
      await check('dangling-inbound', JSON.stringify(bad));
    }
    const dup = structuredClone(base);
    dup.config.layers[2].name = layers[1].name;
    dup.config.layers[2].config.name = layers[1].name;
    await check('duplicate-layer-name', JSON.stringify(dup));
    // a deep chain of nested Sequential models
    let nested: unknown = {
      class_name: 'Dense',
      config: { name: 'd', units: 2, batch_input_shape: [null, 2] },
    };
    for (let i = 0; i < 300; i++)
      nested = { class_name: 'Sequential', config: { name: `s${i}`, layers: [nested] } };
    await check('nested-models', JSON.stringify(nested));
  });

  it('truncation at every token boundary, bit flips, deep nesting and __proto__ keys in the text', async () => {
    const text = JSON.stringify(BASES[1]);
    for (let i = 0; i < text.length; i++)
      if (/[{}[\],:]/.test(text[i])) await check('truncate@token', text.slice(0, i));
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        async (bi, pos) => {
          const t = new TextEncoder().encode(JSON.stringify(BASES[bi]));
          await check('bitflip', new TextDecoder().decode(flipBits(t, pos)));
        },
      ),
      { seed: FUZZ_SEED + 61, numRuns: runs(400) },
    );
    for (const d of [100, 513, 100_000])
      await check(
        'deep-nesting',
        text.replace('"config":', `"deep":${'['.repeat(d)}${']'.repeat(d)},"config":`),
      );
    for (const k of ['__proto__', 'constructor', 'prototype'])
      for (const target of ['{', '"config":{'])
        await check(
          'proto-key',
          text.replace(target, `${target}"${k}":{"polluted":1,"class_name":"Dense","units":3},`),
        );
    expect(stats.total).toBeGreaterThan(2000);
  });

  it('the same configs through readKerasFile (bytes in, KerasFile out)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        async (bi, pos) => {
          const b = flipBits(new TextEncoder().encode(JSON.stringify(BASES[bi])), pos);
          await fuzzCase(stats, 'reader-bitflip', () => readKerasFile(b, { name: NAME }), {
            name: NAME,
            capBytes: 64 * b.length + (1 << 20),
          });
        },
      ),
      { seed: FUZZ_SEED + 62, numRuns: runs(300) },
    );
  });
});
