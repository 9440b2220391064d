// tg.onnx.explainNode on pooling nodes: the text follows the node's own attributes (count_include_pad, dilations,
// ceil_mode), and the output shape it states is the one the model computes.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { encodeModel } from '../../../src/io/onnx/proto.js';
import { io as vi } from '../../support/onnx-graph.js';

const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
const int = (name: string, i: number) => ({ name, type: 2, i });

/** A one-node model y = op(x) on NCHW [batch, 1, h, w]. */
function pool(
  opType: string,
  attribute: object[],
  h: number,
  w: number,
): ReturnType<typeof tg.onnx.loadModelSync> {
  const bytes = encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ name: 'p', opType, input: ['x'], output: ['y'], attribute }],
      input: [vi('x', ['N', 1, h, w])],
      output: [vi('y', ['N', 1, 'H', 'W'])],
    },
  });
  return tg.onnx.loadModelSync(bytes);
}

describe('onnx explainNode: pooling attributes', () => {
  it('AveragePool count_include_pad=1 says the padding counts; the default says it does not', () => {
    const attrs = [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])];
    const inc = pool('AveragePool', [...attrs, int('count_include_pad', 1)], 4, 4);
    // corner window on ones: 4 real cells of 9
    expect((inc.predict(tg.ones([1, 1, 4, 4])) as tg.Tensor).data[0]).toBeCloseTo(4 / 9, 6);
    const text = tg.onnx.explainNode(inc, 'p');
    expect(text).toContain('Padded positions count as zeros (countIncludePad true)');
    expect(text).toContain('/ count[i,j]');
    const exc = tg.onnx.explainNode(pool('AveragePool', attrs, 4, 4), 'p');
    expect(exc).toContain('Padded positions are not counted (countIncludePad false)');
  });

  it('MaxPool dilations and ceil_mode reach the explained op', () => {
    const m = pool(
      'MaxPool',
      [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), ints('dilations', [2, 2]), int('ceil_mode', 1)],
      6,
      6,
    );
    const y = m.predict(tg.zeros([1, 1, 6, 6])) as tg.Tensor;
    const text = tg.onnx.explainNode(m, 'p');
    expect(text).toContain(`output [${y.shape}]`);
    expect(text).toContain('X[n, c, i·2+u·2, j·2+v·2]');
    expect(text).toContain('ceilMode → out = ceil((6 + 0 + 0 − ((2−1)·2+1 = 3)) / 2) + 1');
  });
});
