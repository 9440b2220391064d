// Fuzzing the safetensors reader: truncation at every section boundary, bit flips, header-length lies, wrong dtypes,
// hostile shapes and offsets, duplicate names, prototype keys, deep nesting and random bytes.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeSafetensors, parseSafetensors } from '../../src/io/index.js';
import { Tensor } from '../../src/core/tensor.js';
import {
  FUZZ_SEED,
  FuzzStats,
  aroundBoundaries,
  flipBits,
  fuzzCase,
  printFuzzReport,
  protoKeys,
  runs,
} from './helpers/fuzz.js';

afterAll(printFuzzReport);
const stats = new FuzzStats('safetensors');
const proto0 = protoKeys();

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** Assemble a safetensors file from raw entries (independent of the library's writer). */
function assemble(entries: Entry[], meta?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (meta) header.__metadata__ = meta;
  let off = 0;
  for (const e of entries) {
    header[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [off, off + e.bytes.length] };
    off += e.bytes.length;
  }
  return withHeader(JSON.stringify(header), concat(entries.map((e) => e.bytes)));
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A file with this header text and data area; the length field is the text's byte length unless given. */
function withHeader(text: string, data: Uint8Array, lengthField?: bigint): Uint8Array {
  const hb = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + hb.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(hb.length), true);
  out.set(hb, 8);
  out.set(data, 8 + hb.length);
  return out;
}

function split(file: Uint8Array): { header: Record<string, unknown>; data: Uint8Array; hlen: number } {
  const hlen = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + hlen)));
  return { header, data: file.subarray(8 + hlen), hlen };
}

const bytesOf = (n: number, fill: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => fill(i));
const BASES: Uint8Array[] = [
  encodeSafetensors(
    {
      'dense.kernel': new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]),
      'dense.bias': new Tensor(Float32Array.from([0.5, -1]), [2]),
      steps: new Tensor(Int32Array.from([7]), []),
      big: new Tensor(
        Float64Array.from({ length: 12 }, (_, i) => i / 3),
        [3, 4],
      ),
      empty: new Tensor(new Float32Array(0), [0, 5]),
    },
    { format: 'pt', epoch: '3' },
  ),
  assemble([
    { name: 'h', dtype: 'F16', shape: [3], bytes: bytesOf(6, (i) => i * 17) },
    { name: 'bf', dtype: 'BF16', shape: [2], bytes: bytesOf(4, (i) => 0x3f + i) },
    { name: 'i64', dtype: 'I64', shape: [2], bytes: bytesOf(16, (i) => (i % 8 === 0 ? 5 : 0)) },
    { name: 'u8', dtype: 'U8', shape: [2, 2], bytes: bytesOf(4, (i) => 250 + i) },
    { name: 'b', dtype: 'BOOL', shape: [3], bytes: bytesOf(3, (i) => i & 1) },
    { name: 'i8', dtype: 'I8', shape: [1], bytes: bytesOf(1, () => 0x80) },
    { name: 'u64', dtype: 'U64', shape: [1], bytes: bytesOf(8, (i) => (i === 0 ? 9 : 0)) },
  ]),
];

const NAME = 'fuzz.safetensors';
const CAP = (input: Uint8Array) => 8 * input.length + 64 * 1024;

function validate(r: ReturnType<typeof parseSafetensors>): void {
  for (const [k, t] of r.tensors) {
    expect(typeof k).toBe('string');
    expect(t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)).toBe(true);
    expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  }
  for (const v of r.metadata.values()) expect(typeof v).toBe('string');
}

const check = (mutation: string, bytes: Uint8Array) =>
  fuzzCase(stats, mutation, () => parseSafetensors(bytes, NAME), {
    name: NAME,
    capBytes: CAP(bytes),
    validate,
    after: () => expect(protoKeys()).toBe(proto0),
  });

const HOSTILE_DTYPES: unknown[] = [
  'F8_E4M3',
  'F8_E5M2',
  'f32',
  'FLOAT',
  '',
  'C64',
  'STRING',
  1,
  null,
  ['F32'],
  {},
  'I64',
  'BOOL',
  'U8',
  'F16',
  'F64',
];
const HOSTILE_SHAPES: unknown[] = [
  [-1],
  [2 ** 40],
  [2 ** 31, 2 ** 31],
  [2 ** 53],
  [2 ** 53 + 2],
  [1.5],
  ['3'],
  null,
  5,
  [[2]],
  [0],
  [],
  Array(100).fill(1),
  [2 ** 20, 2 ** 20, 2 ** 20],
  [1e308],
  [Number.MAX_SAFE_INTEGER, 2],
  [-0],
  ['__proto__'],
];
const hostileOffsets = (b: number, e: number): unknown[] => [
  [e, b],
  [0, 2 ** 40],
  [-8, 0],
  [0.5, 4],
  [b, e + 1],
  [Math.max(0, b - 1), e],
  [2 ** 53, 2 ** 53 + 4],
  'x',
  [0],
  [0, 0, 0],
  [b, b],
  [b, 2 ** 64],
  null,
  [String(b), String(e)],
];

describe('safetensors reader under fuzzing', () => {
  it('truncation at every section boundary (length field, header, each tensor span) and ±1', async () => {
    for (const base of BASES) {
      const { header, hlen } = split(base);
      const offs = [0, 4, 8, 8 + hlen];
      for (const [k, v] of Object.entries(header))
        if (k !== '__metadata__')
          offs.push(...(v as { data_offsets: number[] }).data_offsets.map((o) => 8 + hlen + o));
      for (const cut of aroundBoundaries(offs, base.length))
        await check('truncate@boundary', base.subarray(0, cut));
    }
  });

  it('random truncation and random bit flips (anywhere, and inside the header)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(BASES.length - 1), fc.nat(), async (bi, cut) => {
        const b = BASES[bi];
        await check('truncate@random', b.subarray(0, cut % b.length));
      }),
      { seed: FUZZ_SEED, numRuns: runs(300) },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.array(fc.nat(), { minLength: 1, maxLength: 16 }),
        fc.boolean(),
        async (bi, pos, inHeader) => {
          const b = BASES[bi];
          const hl = 8 + split(b).hlen;
          const flipped = inHeader
            ? flipBits(
                b,
                pos.map((p) => p % (hl * 8)),
              )
            : flipBits(b, pos);
          await check(inHeader ? 'bitflip@header' : 'bitflip', flipped);
        },
      ),
      { seed: FUZZ_SEED + 1, numRuns: runs(1500) },
    );
  });

  it('header length field lies (0, ±1, past the end, 2^32, 2^40, 2^63, 2^64-1, just over the 100 MB limit)', async () => {
    for (const base of BASES) {
      const { hlen } = split(base);
      for (const v of [
        0n,
        1n,
        7n,
        BigInt(hlen - 1),
        BigInt(hlen + 1),
        BigInt(base.length),
        2n ** 31n,
        2n ** 32n + BigInt(hlen),
        2n ** 40n,
        2n ** 63n,
        2n ** 64n - 1n,
        100_000_001n,
      ]) {
        const b = base.slice();
        new DataView(b.buffer).setBigUint64(0, v, true);
        await check('header-length', b);
      }
    }
  });

  it('wrong dtypes, hostile shapes and offsets in any entry', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat(BASES.length - 1),
        fc.nat(),
        fc.constantFrom('dtype', 'shape', 'data_offsets'),
        fc.nat(),
        async (bi, ei, field, vi) => {
          const { header, data } = split(BASES[bi]);
          const keys = Object.keys(header).filter((k) => k !== '__metadata__');
          const key = keys[ei % keys.length];
          const entry = { ...(header[key] as Record<string, unknown>) };
          const [b, e] = entry.data_offsets as number[];
          const pool =
            field === 'dtype' ? HOSTILE_DTYPES : field === 'shape' ? HOSTILE_SHAPES : hostileOffsets(b, e);
          entry[field] = pool[vi % pool.length];
          await check(`wrong-${field}`, withHeader(JSON.stringify({ ...header, [key]: entry }), data));
        },
      ),
      { seed: FUZZ_SEED + 2, numRuns: runs(600) },
    );
  });

  it('duplicate names, __proto__/constructor/prototype keys, deep nesting, bad metadata', async () => {
    const base = BASES[0];
    const { header, data } = split(base);
    const text = JSON.stringify(header);
    const first = Object.keys(header).find((k) => k !== '__metadata__')!;
    const entry = JSON.stringify(header[first]);
    const variants: [string, string][] = [
      ['duplicate-name', text.replace(/}$/, `,${JSON.stringify(first)}:${entry}}`)],
      [
        'duplicate-name',
        text.replace(/}$/, `,${JSON.stringify(first)}:{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`),
      ],
      ['duplicate-name', text.replace(/}$/, `,"__metadata__":{"x":"y"}}`)],
      ...['__proto__', 'constructor', 'prototype'].flatMap((k): [string, string][] => [
        ['proto-key', text.replace(/}$/, `,"${k}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}`)],
        ['proto-key', text.replace(/}$/, `,"${k}":{"polluted":"yes","toString":"x"}}`)],
        ['proto-key', text.replace('"__metadata__":{', `"__metadata__":{"${k}":"x",`)],
        ['proto-key', `{"${k}":{"__proto__":{"polluted":1}},` + text.slice(1)],
      ]),
      ...[20, 17, 100, 10_000, 100_000].map((d): [string, string] => [
        'deep-nesting',
        text.replace('"__metadata__":{', `"__metadata__":{"deep":${'['.repeat(d)}${']'.repeat(d)},`),
      ]),
      ['deep-nesting', '{"a":' + '{"a":'.repeat(5000) + '1' + '}'.repeat(5001)],
      ['bad-metadata', text.replace('"__metadata__":{', '"__metadata__":{"n":3,')],
      ['bad-metadata', text.replace(/"__metadata__":\{[^}]*\}/, '"__metadata__":["a"]')],
      ['bad-metadata', text.replace(/"__metadata__":\{[^}]*\}/, '"__metadata__":null')],
      ['not-an-object', '[1,2,3]'],
      ['not-an-object', 'null'],
      ['not-an-object', '"x"'],
      ['not-json', text.slice(0, -1)],
      ['not-json', text + 'garbage'],
      ['not-json', '{' + '"a":1,'.repeat(3) + '}'],
      ['not-json', '\u0000'.repeat(16)],
    ];
    for (const [m, t] of variants) await check(m, withHeader(t, data));
    // holes, overlaps and trailing bytes in the data area
    await check('data-area', withHeader(text, concat([data, new Uint8Array(4)])));
    await check('data-area', withHeader(text, data.subarray(4)));
    await check('data-area', concat([base, new Uint8Array(1)]));
  });

  it('random JSON headers and random whole files', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.json({ depthSize: 'medium' }),
        fc.uint8Array({ maxLength: 64 }),
        async (json, data) => {
          await check('random-json-header', withHeader(json, data));
        },
      ),
      { seed: FUZZ_SEED + 3, numRuns: runs(500) },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 256 }), async (b) => check('random-bytes', b)),
      { seed: FUZZ_SEED + 4, numRuns: runs(300) },
    );
    expect(stats.total).toBeGreaterThan(3000);
  });
});
