// Bad ONNX files and unsupported content: clear, typed errors naming what is wrong (operator, node, attribute,
// opset, element type), and a fuzz test: random byte corruption only ever ends in a TapegradError, never a hang.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { encodeModel } from '../../../src/io/onnx/proto.js';
import { io as vi } from '../../support/onnx-graph.js';
import { localFixtures } from '../fixtures-dir.js';

/** A one-node model y = op(x) with the given attributes. */
function oneNode(opType: string, attribute: object[] = [], opset = 13, extra: object = {}): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: 'g',
      node: [{ name: 'the_node', opType, input: ['x'], output: ['y'], attribute, ...extra }],
      input: [vi('x', ['batch', 4])],
      output: [vi('y', ['batch', 4])],
    },
  });
}

describe('refusals name what is wrong', () => {
  it('an unsupported operator: its name, the node and the supported list', () => {
    expect(() => tg.onnx.loadModelSync(oneNode('NonMaxSuppression'))).toThrow(
      /onnx node 'the_node' \(NonMaxSuppression\): operator NonMaxSuppression is not supported \(supported: Abs, Acos, .*Add, .*Conv, .*LSTM/,
    );
    expect(() => tg.onnx.loadModelSync(oneNode('NonMaxSuppression'))).toThrow(tg.OnnxUnsupportedError);
  });
  it('an unsupported attribute and an unsupported attribute value', () => {
    expect(() => tg.onnx.loadModelSync(oneNode('Relu', [{ name: 'bogus', type: 2, i: 1 }]))).toThrow(
      /node 'the_node' \(Relu\): attribute 'bogus' is not supported \(Relu supports: no attributes\)/,
    );
    const gelu = tg.onnx.loadModelSync(
      oneNode('Gelu', [{ name: 'approximate', type: 3, s: new TextEncoder().encode('cubic') }], 20),
    );
    expect(() => gelu.predict(tg.zeros([1, 4]))).toThrow(
      /\(Gelu\): approximate='cubic' is not supported \(supported: 'none', 'tanh'\)/,
    );
  });
  it('an unsupported opset, domain and element type', () => {
    expect(() => tg.onnx.loadModelSync(oneNode('Relu', [], 99))).toThrow(
      /opset 99 of the default ONNX domain is not supported \(supported: opset 1–21\)/,
    );
    expect(() => tg.onnx.loadModelSync(oneNode('Relu', [], 13, { domain: 'com.microsoft' }))).toThrow(
      /node 'the_node' \(Relu\) is in domain 'com.microsoft'; only the default ONNX domain is supported/,
    );
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [{ opType: 'Relu', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 8 } } }],
        output: [vi('y', [4])],
      },
    });
    expect(() => tg.onnx.loadModelSync(bytes)).toThrow(
      /'x' has element type STRING, which is not supported \(supported: FLOAT, DOUBLE, FLOAT16, BFLOAT16,/,
    );
  });
  it('graph errors: a name read before it is defined, an output nobody computes', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [{ name: 'n0', opType: 'Relu', input: ['nope'], output: ['y'] }],
        input: [vi('x', [4])],
        output: [vi('y', [4])],
      },
    });
    expect(() => tg.onnx.loadModelSync(bytes)).toThrow(
      /node 'n0' \(Relu\) reads 'nope', which no earlier node, input or initializer defines/,
    );
  });
  it('not an ONNX file, an empty file, a missing file', () => {
    expect(() => tg.onnx.loadModelSync(new TextEncoder().encode('{"hello": 1}'), { name: 'x.onnx' })).toThrow(
      tg.FormatError,
    );
    expect(() => tg.onnx.loadModelSync(new Uint8Array(0), { name: 'empty.onnx' })).toThrow(
      /empty.onnx: the file has no graph/,
    );
    expect(() => tg.onnx.loadModelSync('/nonexistent/m.onnx')).toThrow(/cannot open \(ENOENT\)/);
  });
  it('a hostile ConstantOfShape stops at maxTensorBytes', () => {
    const bytes = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [{ name: 'big', opType: 'ConstantOfShape', input: ['s'], output: ['y'] }],
        initializer: [{ name: 's', dims: [2], dataType: 7, int64Data: [1000, 1000] }],
        output: [vi('y', [1000, 1000])],
      },
    });
    const m = tg.onnx.loadModelSync(bytes, { maxTensorBytes: 1 << 20 });
    expect(() => m.apply([], { training: false })).toThrow(
      /big \(ConstantOfShape\): .*a float32 tensor of 1000000 elements .* is above the limit/,
    );
  });

  it('a hostile Range or Pad is refused before it builds anything', () => {
    const scalar = (name: string, v: number) => ({ name, dims: [], dataType: 1, floatData: [v] });
    const range = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [{ name: 'r', opType: 'Range', input: ['a', 'b', 'c'], output: ['y'] }],
        initializer: [scalar('a', 0), scalar('b', 1e7), scalar('c', 1)],
        output: [vi('y', [4])],
      },
    });
    const m = tg.onnx.loadModelSync(range, { maxTensorBytes: 1 << 20 });
    expect(() => m.apply([], { training: false })).toThrow(/r \(Range\): .*above the limit/);
    const pad = encodeModel({
      irVersion: 8,
      opsetImport: [{ version: 13 }],
      graph: {
        node: [
          {
            name: 'p',
            opType: 'Pad',
            input: ['x', 'pads'],
            output: ['y'],
            attribute: [{ name: 'mode', type: 3, s: new TextEncoder().encode('edge') }],
          },
        ],
        initializer: [{ name: 'pads', dims: [4], dataType: 7, int64Data: [0, 1e9, 0, 1e9] }],
        input: [vi('x', [2, 4])],
        output: [vi('y', [2, 4])],
      },
    });
    expect(() => tg.onnx.loadModelSync(pad, { maxTensorBytes: 1 << 20 }).predict(tg.ones([2, 4]))).toThrow(
      /p \(Pad\): .*above the limit/,
    );
  });
});

describe('fuzz: corrupted files', () => {
  it('random byte corruption ends in a model or a TapegradError, never another error', () => {
    const good = readFileSync(join(localFixtures, 'onnx', 'mlp.onnx'));
    const rng = new tg.Rng(7);
    const kinds: Record<string, number> = {};
    for (let i = 0; i < 300; i++) {
      const b = Uint8Array.from(good);
      const n = 1 + Math.floor(rng.next() * 4);
      for (let k = 0; k < n; k++) b[Math.floor(rng.next() * b.length)] = Math.floor(rng.next() * 256);
      const cut = i % 5 === 0 ? b.subarray(0, Math.floor(rng.next() * b.length)) : b;
      try {
        const m = tg.onnx.loadModelSync(cut, { name: `fuzz${i}.onnx`, maxTensorBytes: 1 << 24 });
        m.predict(tg.ones([2, 6]));
        kinds.ok = (kinds.ok ?? 0) + 1;
      } catch (e) {
        if (!(e instanceof tg.TapegradError))
          throw new Error(`case ${i}: ${(e as Error).name}: ${(e as Error).message}`);
        kinds[(e as Error).name] = (kinds[(e as Error).name] ?? 0) + 1;
      }
    }
    expect(kinds.FormatError).toBeGreaterThan(10);
  });
});
