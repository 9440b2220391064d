// safetensors: files assembled by hand from the format spec (independent of our writer), round trips, and corrupt
// headers/offsets.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../src/core/tensor.js';
import {
  FormatError,
  encodeSafetensors,
  loadSafetensors,
  parseSafetensors,
  saveSafetensors,
} from '../../src/io/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'tg-st-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Assemble a safetensors file: u64 LE header length, header JSON text, data bytes. */
function assemble(header: string, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function bytesOf(fill: (dv: DataView) => void, n: number): Uint8Array {
  const b = new Uint8Array(n);
  fill(new DataView(b.buffer));
  return b;
}

describe('parseSafetensors on hand-assembled files', () => {
  it('decodes F32, F64, F16, BF16, I64, I32, U8 and BOOL tensors and the metadata', () => {
    const data = bytesOf((dv) => {
      dv.setFloat32(0, 1.5, true);
      dv.setFloat32(4, -2, true);
      dv.setFloat64(8, Math.PI, true);
      dv.setUint16(16, 0x3c00, true); // f16 1.0
      dv.setUint16(18, 0x7bff, true); // f16 65504 (max)
      dv.setUint16(20, 0x3fc0, true); // bf16 1.5
      dv.setBigInt64(22, -7n, true);
      dv.setInt32(30, 123456, true);
      dv.setUint8(34, 250);
      dv.setUint8(35, 1);
      dv.setUint8(36, 0);
    }, 37);
    const header = JSON.stringify({
      __metadata__: { format: 'pt', note: 'hand made' },
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F64', shape: [], data_offsets: [8, 16] },
      c: { dtype: 'F16', shape: [1, 2], data_offsets: [16, 20] },
      d: { dtype: 'BF16', shape: [1], data_offsets: [20, 22] },
      e: { dtype: 'I64', shape: [1], data_offsets: [22, 30] },
      f: { dtype: 'I32', shape: [1], data_offsets: [30, 34] },
      g: { dtype: 'U8', shape: [1], data_offsets: [34, 35] },
      h: { dtype: 'BOOL', shape: [2], data_offsets: [35, 37] },
    });
    const st = parseSafetensors(assemble(header + '   ', data), 'hand.safetensors');
    const got = Object.fromEntries(
      [...st.tensors].map(([k, t]) => [k, [t.dtype, t.shape, Array.from(t.data)]]),
    );
    expect(got).toEqual({
      a: ['float32', [2], [1.5, -2]],
      b: ['float64', [], [Math.PI]],
      c: ['float32', [1, 2], [1, 65504]],
      d: ['float32', [1], [1.5]],
      e: ['int32', [1], [-7]],
      f: ['int32', [1], [123456]],
      g: ['int32', [1], [250]],
      h: ['int32', [2], [1, 0]],
    });
    expect(Object.fromEntries(st.metadata)).toEqual({ format: 'pt', note: 'hand made' });
  });

  const okHeader = (offsets: [number, number][], dtype = 'F32') =>
    JSON.stringify(
      Object.fromEntries(
        offsets.map((o, i) => [`t${i}`, { dtype, shape: [(o[1] - o[0]) / 4], data_offsets: o }]),
      ),
    );

  it.each([
    [
      'overlap',
      okHeader([
        [0, 8],
        [4, 12],
      ]),
      12,
      /overlaps the tensor before it/,
    ],
    [
      'hole',
      okHeader([
        [0, 4],
        [8, 12],
      ]),
      12,
      /data bytes 4..8 belong to no tensor/,
    ],
    ['trailing', okHeader([[0, 4]]), 8, /4 trailing data bytes belong to no tensor/],
    ['past end', okHeader([[0, 16]]), 8, /run past the 8 data bytes/],
    [
      'size mismatch',
      '{"t": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}',
      8,
      /needs 12 bytes but data_offsets span 8/,
    ],
    [
      'huge shape',
      '{"t": {"dtype": "F32", "shape": [1048576, 1048576], "data_offsets": [0, 8]}}',
      8,
      /needs 4398046511104 bytes/,
    ],
    [
      'bad dtype',
      '{"t": {"dtype": "F8_E4M3", "shape": [1], "data_offsets": [0, 1]}}',
      1,
      /dtype "F8_E4M3" is not supported/,
    ],
    [
      'negative offset',
      '{"t": {"dtype": "U8", "shape": [1], "data_offsets": [-1, 0]}}',
      1,
      /two non-negative integers/,
    ],
    ['not an object', '[1, 2]', 0, /does not start with '\{'/],
    ['metadata not strings', '{"__metadata__": {"a": 1}}', 0, /__metadata__\['a'\] is not a string/],
  ] as const)('%s is a FormatError naming the field', (_n, header, nData, msg) => {
    expect(() => parseSafetensors(assemble(header, new Uint8Array(nData)), 'bad.st')).toThrow(msg);
  });

  it('truncated files and absurd header lengths are refused before slicing', () => {
    const good = encodeSafetensors({ w: new Tensor(Float32Array.from([1, 2, 3]), [3]) });
    expect(() => parseSafetensors(good.subarray(0, 5), 'x')).toThrow(/truncated safetensors file/);
    expect(() => parseSafetensors(good.subarray(0, 20), 'x')).toThrow(/runs past the end .* \(truncated\)/);
    expect(() => parseSafetensors(good.subarray(0, good.length - 1), 'x')).toThrow(
      /run past the 11 data bytes/,
    );
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => parseSafetensors(huge, 'x')).toThrow(/header length 1099511627776 is above the limit/);
  });

  it('a __proto__ tensor name in a header does not pollute Object.prototype', () => {
    const header =
      '{"__proto__": {"polluted": "yes"}, "w": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}';
    const st = parseSafetensors(assemble(header, new Uint8Array([7])), 'p.st');
    expect([...st.tensors.keys()]).toEqual(['w']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips tensors and metadata through a file with an 8-byte aligned data area', () => {
    const tensors = new Map<string, Tensor>([
      [
        'layer.weight',
        new Tensor(
          Float32Array.from({ length: 12 }, (_, i) => i / 7),
          [3, 4],
        ),
      ],
      ['layer.bias', new Tensor(Float64Array.from([1e-300, -2]), [2])],
      ['step', new Tensor(Int32Array.from([42]), [])],
    ]);
    const p = join(tmp, 'm.safetensors');
    saveSafetensors(p, tensors, { framework: 'tapegrad' });
    const st = loadSafetensors(p);
    for (const [k, t] of tensors) {
      const b = st.tensors.get(k)!;
      expect([b.dtype, b.shape, Array.from(b.data)]).toEqual([t.dtype, t.shape, Array.from(t.data)]);
    }
    expect(st.metadata.get('framework')).toBe('tapegrad');
    const bytes = encodeSafetensors(tensors);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses reserved tensor names', () => {
    expect(() => encodeSafetensors({ __metadata__: new Tensor(Float32Array.from([1]), [1]) })).toThrow(
      FormatError,
    );
  });
});
