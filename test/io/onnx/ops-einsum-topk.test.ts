// Einsum (ops-einsum.ts), TopK, NonZero and Compress (ops-topk.ts) on one-node models: ONNX's own node tests, every
// output against ONNX Runtime Web on the same file, against naive loops of the documented formulas, gradients by
// gradcheck (float64), and the refusals by name.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';
import { encodeModel } from '../../../src/io/onnx/proto.js';
import { tensorToProto } from '../../../src/io/onnx/tensor-proto.js';
import { hasTestdata, runCase } from './conformance-lib.js';
import {
  DataType,
  type In,
  expectGradcheck,
  expectOrt,
  int,
  oneNode,
  str,
  D,
  F,
  I64,
} from './one-node-lib.js';

const B = DataType.BOOL;
const rng = new tg.Rng(31);
const randn = (shape: number[], dtype: 'float32' | 'float64' = 'float32') => tg.randn(shape, { rng, dtype });
const input = (name: string, shape: number[], type: number = F): In => ({ name, type, shape });
const kConst = (k: number): In => ({ name: 'k', type: I64, value: tg.tensor([k], [1], { dtype: 'int32' }) });

/** A one-node model whose outputs have their own element types (TopK: values and int64 indices). */
function model(op: string, inputs: In[], outTypes: number[], attrs: unknown[] = [], opset = 13): Uint8Array {
  const vi = (name: string, type: number, shape?: number[]) => ({
    name,
    type: {
      tensorType: {
        elemType: type,
        ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}),
      },
    },
  });
  const outs = outTypes.map((_, i) => `y${i}`);
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: `${op}_test`,
      node: [{ name: 'n0', opType: op, input: inputs.map((i) => i!.name), output: outs, attribute: attrs }],
      initializer: inputs.flatMap((i) =>
        i && i.value ? [tensorToProto({ t: i.value, type: i.type }, i.name)] : [],
      ),
      input: inputs.flatMap((i) => (i && !i.value ? [vi(i.name, i.type, i.shape)] : [])),
      output: outs.map((o, i) => vi(o, outTypes[i])),
    },
  } as Parameters<typeof encodeModel>[0]);
}

const ORT_TYPE: Record<number, ort.Tensor.Type> = {
  [F]: 'float32',
  [D]: 'float64',
  [I64]: 'int64',
  [B]: 'bool',
};

/** Every output of tg.onnx (apply) equals ONNX Runtime Web's: shapes, and values within 1e-5 relative. */
async function expectAllOrt(bytes: Uint8Array, inputs: In[], xs: tg.Tensor[]): Promise<void> {
  const sess = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  inputs
    .filter((i) => i && !i.value)
    .forEach((i, k) => {
      const t = ORT_TYPE[i!.type];
      const v = Array.from(xs[k].data);
      const data =
        t === 'int64'
          ? BigInt64Array.from(v, (x) => BigInt(x))
          : t === 'bool'
            ? Uint8Array.from(v)
            : t === 'float64'
              ? Float64Array.from(v)
              : Float32Array.from(v);
      feeds[i!.name] = new ort.Tensor(t, data, [...xs[k].shape]);
    });
  const r = await sess.run(feeds);
  const m = tg.onnx.loadModelSync(bytes);
  const arg = xs.length === 1 ? xs[0] : xs;
  // node by node (apply), and predict (the compiled executor)
  for (const [how, got] of [
    ['apply', tg.noGrad(() => m.apply(arg, { training: false }))],
    // (predict refuses inputs of different batch sizes by design: those run through apply only)
    ...(xs.every((t) => t.shape[0] === xs[0].shape[0]) ? [['predict', m.predict(arg)] as const] : []),
  ] as const) {
    const gs = (Array.isArray(got) ? got : [got]) as tg.Tensor[];
    expectSame(how, gs, sess.outputNames, r);
  }
}

function expectSame(
  how: string,
  gs: tg.Tensor[],
  names: readonly string[],
  r: ort.InferenceSession.OnnxValueMapType,
): void {
  names.forEach((name, o) => {
    const want = r[name];
    expect(gs[o].shape, `${how} output ${o}`).toEqual([...want.dims]);
    const w = Array.from(want.data as ArrayLike<number | bigint>, Number);
    const g = Array.from(gs[o].data);
    w.forEach((v, i) => {
      if (!(Math.abs(g[i] - v) <= 1e-5 + 1e-5 * Math.abs(v)))
        expect.fail(`${how} output ${o} [${i}]: ${g[i]} vs ONNX Runtime ${v}`);
    });
  });
}

const einsumInputs = (shapes: number[][], type: number = F): In[] =>
  shapes.map((s, i) => input(`x${i}`, s, type));

describe.skipIf(!hasTestdata())('ONNX backend node tests (libonnx-testdata)', () => {
  it.each([
    'test_einsum_batch_diagonal',
    'test_einsum_batch_matmul',
    'test_einsum_inner_prod',
    'test_einsum_sum',
    'test_einsum_transpose',
    'test_top_k',
    'test_top_k_negative_axis',
    'test_top_k_smallest',
    'test_nonzero_example',
    'test_compress_0',
    'test_compress_1',
    'test_compress_default_axis',
    'test_compress_negative_axis',
  ])('%s passes', (test) => {
    const r = runCase(test);
    expect(r.status, r.detail).toBe('passed');
  });
});

describe('Einsum against ONNX Runtime Web', () => {
  it.each([
    [
      'ij,jk->ik',
      [
        [3, 4],
        [4, 5],
      ],
    ],
    [
      'ij,jk',
      [
        [3, 4],
        [4, 5],
      ],
    ],
    [
      'bij,bjk->bik',
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
    ],
    [
      'bhqd,bhkd->bhqk',
      [
        [2, 3, 4, 5],
        [2, 3, 6, 5],
      ],
    ],
    ['ij->ji', [[3, 4]]],
    ['ijk->kij', [[2, 3, 4]]],
    ['ii->i', [[4, 4]]],
    ['ii', [[4, 4]]],
    ['bii->b', [[2, 3, 3]]],
    ['ij->i', [[3, 4]]],
    ['ij->', [[3, 4]]],
    ['i,j->ij', [[3], [4]]],
    ['i,i', [[5], [5]]],
    [
      'ij,ij->ij',
      [
        [3, 4],
        [3, 4],
      ],
    ],
    [
      'ij,ij->',
      [
        [3, 4],
        [3, 4],
      ],
    ],
    [
      'ij,jk,kl->il',
      [
        [2, 3],
        [3, 4],
        [4, 5],
      ],
    ],
    [
      'bn,anm,bm->ba',
      [
        [2, 3],
        [4, 3, 5],
        [2, 5],
      ],
    ],
    [
      '...ij,...jk->...ik',
      [
        [2, 3, 4],
        [2, 4, 5],
      ],
    ],
    [
      '...ij,...jk->...ik',
      [
        [2, 1, 3, 4],
        [1, 5, 4, 2],
      ],
    ],
    ['...ii->...i', [[2, 3, 3]]],
    ['i...->...', [[3, 2, 4]]],
    [
      ' ij , jk -> ki ',
      [
        [3, 4],
        [4, 2],
      ],
    ],
  ] as const)('%s on %j', async (eq, shapes) => {
    const xs = shapes.map((s) => randn([...s]));
    await expectOrt(
      {
        op: 'Einsum',
        inputs: einsumInputs(shapes.map((s) => [...s])),
        attrs: [str('equation', eq)],
        opset: 12,
      },
      xs,
    );
  });
  it('ellipses of different ranks broadcast like numpy (against broadcastTo + batched matmul)', () => {
    const a = randn([2, 1, 3, 4]);
    const b = randn([5, 4, 2]);
    const s = {
      op: 'Einsum',
      inputs: einsumInputs([
        [2, 1, 3, 4],
        [5, 4, 2],
      ]),
      attrs: [str('equation', '...ij,...jk->...ik')],
      opset: 12,
    };
    const y = tg.onnx.loadModelSync(oneNode(s)).apply([a, b], { training: false }) as tg.Tensor;
    const want = tg.matmul(tg.broadcastTo(a, [2, 5, 3, 4]), tg.broadcastTo(b, [2, 5, 4, 2]));
    expect(y.shape).toEqual([2, 5, 3, 2]);
    Array.from(want.data).forEach((w, i) => expect(y.data[i]).toBeCloseTo(w, 5));
  });
  it('int64 inputs stay exact integers', async () => {
    const a = tg.tensor([1, -2, 3, 4, 5, -6], [2, 3], { dtype: 'int32' });
    const b = tg.tensor([7, 8, -9, 10, 11, 12], [3, 2], { dtype: 'int32' });
    await expectOrt(
      {
        op: 'Einsum',
        inputs: einsumInputs(
          [
            [2, 3],
            [3, 2],
          ],
          I64,
        ),
        attrs: [str('equation', 'ij,jk->ik')],
        opset: 12,
      },
      [a, b],
    );
  });
  it('a naive loop of the formula: y[b,i,k] = Σ_j x[b,i,j]·w[b,j,k] and the trace Σ_i x[i,i]', () => {
    const x = randn([2, 3, 4], 'float64');
    const w = randn([2, 4, 5], 'float64');
    const m = tg.onnx.loadModelSync(
      oneNode({
        op: 'Einsum',
        inputs: einsumInputs(
          [
            [2, 3, 4],
            [2, 4, 5],
          ],
          D,
        ),
        attrs: [str('equation', 'bij,bjk->bik')],
        opset: 12,
      }),
    );
    const y = m.apply([x, w], { training: false }) as tg.Tensor;
    for (let b = 0; b < 2; b++)
      for (let i = 0; i < 3; i++)
        for (let k = 0; k < 5; k++) {
          let s = 0;
          for (let j = 0; j < 4; j++) s += x.data[b * 12 + i * 4 + j] * w.data[b * 20 + j * 5 + k];
          expect(y.data[b * 15 + i * 5 + k]).toBeCloseTo(s, 12);
        }
    const sq = randn([4, 4], 'float64');
    const tr = tg.onnx.loadModelSync(
      oneNode({ op: 'Einsum', inputs: einsumInputs([[4, 4]], D), attrs: [str('equation', 'ii')], opset: 12 }),
    );
    const t = tr.apply(sq, { training: false }) as tg.Tensor;
    expect(t.shape).toEqual([]);
    expect(t.data[0]).toBeCloseTo(sq.data[0] + sq.data[5] + sq.data[10] + sq.data[15], 12);
  });
});

describe('gradients (gradcheck, float64)', () => {
  it.each([
    [
      'bij,bjk->bik',
      [
        [2, 3, 4],
        [2, 4, 2],
      ],
    ],
    [
      'bhqd,bhkd->bhqk',
      [
        [1, 2, 3, 2],
        [1, 2, 2, 2],
      ],
    ],
    ['ii->i', [[3, 3]]],
    ['i,j->ij', [[3], [2]]],
    [
      'ij,jk,kl->il',
      [
        [2, 3],
        [3, 2],
        [2, 2],
      ],
    ],
    [
      '...ij,...jk->...ik',
      [
        [2, 1, 2, 3],
        [3, 3, 2],
      ],
    ],
  ] as const)('Einsum %s', (eq, shapes) => {
    expectGradcheck(
      {
        op: 'Einsum',
        inputs: einsumInputs(
          shapes.map((s) => [...s]),
          D,
        ),
        attrs: [str('equation', eq)],
        opset: 12,
      },
      shapes.map((s) => randn([...s], 'float64')),
    );
  });
  it.each([
    [1, 1],
    [0, 0],
  ])('TopK values (axis %i, largest %i)', (axis, largest) => {
    // distinct values, far apart compared with eps, so the selection does not change under the perturbation
    const v = tg.tensor([0.3, -1.2, 2.5, 0.9, -0.4, 1.7, -2.2, 0.1, 3.1, -0.8, 1.1, 0.6], [3, 4], {
      dtype: 'float64',
    });
    expectGradcheck(
      {
        op: 'TopK',
        inputs: [input('x', [3, 4], D), kConst(2)],
        attrs: [int('axis', axis), int('largest', largest)],
        opset: 11,
      },
      [v],
    );
  });
});

describe('TopK', () => {
  it.each([
    [[3, 5], 1, 2, 1],
    [[3, 5], -1, 5, 0],
    [[4, 3, 2], 0, 3, 1],
    [[2, 6, 3], 1, 4, 0],
    [[7], 0, 1, 1],
  ])(
    '%j axis %i k %i largest %i against ONNX Runtime Web (both outputs)',
    async (shape, axis, k, largest) => {
      const ins = [input('x', shape), kConst(k)];
      const bytes = model(
        'TopK',
        ins,
        [F, I64],
        [int('axis', axis), int('largest', largest), int('sorted', 1)],
        11,
      );
      await expectAllOrt(bytes, ins, [randn(shape)]);
    },
  );
  it('ties: the lower index first (ONNX), against a stable sort and ONNX Runtime Web', async () => {
    const x = tg.tensor([2, 1, 2, 3, 1, 3, 0, 2, 0, 0, 0, 0], [2, 6]);
    for (const largest of [1, 0]) {
      const ins = [input('x', [2, 6]), kConst(4)];
      const bytes = model('TopK', ins, [F, I64], [int('largest', largest)], 11);
      await expectAllOrt(bytes, ins, [x]);
      const [vals, idx] = tg.onnx.loadModelSync(bytes).apply(x, { training: false }) as tg.Tensor[];
      for (let r = 0; r < 2; r++) {
        const row = Array.from(x.data.slice(r * 6, r * 6 + 6));
        // Array.prototype.sort is stable: equal values keep their index order
        const order = row.map((_, i) => i).sort((a, b) => (largest ? row[b] - row[a] : row[a] - row[b]));
        expect(Array.from(idx.data.slice(r * 4, r * 4 + 4))).toEqual(order.slice(0, 4));
        expect(Array.from(vals.data.slice(r * 4, r * 4 + 4))).toEqual(order.slice(0, 4).map((i) => row[i]));
      }
    }
  });
  it('int64 data and sorted=0 (ONNX leaves the order open; the sorted order is given)', async () => {
    const ins = [input('x', [2, 5], I64), kConst(3)];
    const x = tg.tensor([5, -3, 9, 9, 0, 4, 4, -1, 8, 2], [2, 5], { dtype: 'int32' });
    await expectAllOrt(model('TopK', ins, [I64, I64], [int('sorted', 1)], 11), ins, [x]);
    const y = tg.onnx.loadModelSync(model('TopK', ins, [I64, I64], [int('sorted', 0)], 11)).apply(x, {
      training: false,
    }) as tg.Tensor[];
    expect(Array.from(y[0].data)).toEqual([9, 9, 5, 8, 4, 4]);
  });
  it('opset 1 (k as an attribute) against ONNX Runtime Web; runs while ops are traced (it reads no values)', async () => {
    const ins = [input('x', [3, 5])];
    const bytes = model('TopK', ins, [F, I64], [int('k', 2), int('axis', 0)], 1);
    await expectAllOrt(bytes, ins, [randn([3, 5])]);
    const m = tg.onnx.loadModelSync(bytes);
    const t = tg.trace((a: tg.Tensor) => m.apply(a, { training: false }) as tg.Tensor[], randn([3, 5]));
    expect(t.toString()).toMatch(/topkIndices/);
  });
  it('refuses by name', () => {
    const load = (attrs: unknown[], k = 2) => {
      const m = tg.onnx.loadModelSync(model('TopK', [input('x', [2, 3]), kConst(k)], [F, I64], attrs, 11));
      return () => m.apply(randn([2, 3]), { training: false });
    };
    expect(load([int('largest', 2)])).toThrow(/'n0' \(TopK\): largest=2 is not supported/);
    expect(load([int('sorted', 3)])).toThrow(/'n0' \(TopK\): sorted=3 is not supported/);
    expect(load([], 4)).toThrow(/'n0' \(TopK\): K=4 must be in 1\.\.3/);
    expect(() => load([int('select', 1)])).toThrow(OnnxUnsupportedError);
    expect(load([int('k', 2)])).toThrow(/'n0' \(TopK\): attribute 'k' at opset 11 is not supported/);
  });
});

describe('NonZero and Compress against ONNX Runtime Web', () => {
  it.each([
    [[2, 3], F],
    [[2, 3, 4], F],
    [[5], I64],
    [[3, 4], B],
  ])('NonZero of %j (type %i)', async (shape, type) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const v = Array.from({ length: n }, (_, i) => (i % 3 === 1 ? 0 : type === B ? 1 : i - 2));
    const ins = [input('x', shape, type)];
    await expectAllOrt(model('NonZero', ins, [I64]), ins, [tg.tensor(v, shape, { dtype: 'int32' })]);
  });
  it('NonZero of all zeros: shape [rank, 0]', async () => {
    const ins = [input('x', [2, 2])];
    await expectAllOrt(model('NonZero', ins, [I64]), ins, [tg.zeros([2, 2])]);
  });
  it.each([
    [[3, 4], 1, [1, 0, 1, 1]],
    [[3, 4], -2, [0, 1]],
    [[3, 4], null, [0, 1, 1, 0, 0, 0, 1]],
    [[2, 3, 2], 2, [0, 0]],
  ])('Compress %j axis %s condition %j', async (shape, axis, cond) => {
    const ins: In[] = [input('x', shape), { name: 'c', type: B, shape: [cond.length] }];
    const bytes = model('Compress', ins, [F], axis === null ? [] : [int('axis', axis)], 11);
    await expectAllOrt(bytes, ins, [randn(shape), tg.tensor(cond, [cond.length], { dtype: 'int32' })]);
  });
  it('Compress passes the gradient to the kept slices (gradcheck) and refuses a too long condition', () => {
    const c: In = { name: 'c', type: B, value: tg.tensor([1, 0, 1], [3], { dtype: 'int32' }) };
    expectGradcheck(
      { op: 'Compress', inputs: [input('x', [3, 2], D), c], attrs: [int('axis', 0)], opset: 11 },
      [randn([3, 2], 'float64')],
    );
    const m = tg.onnx.loadModelSync(
      oneNode({ op: 'Compress', inputs: [input('x', [2, 2]), c], attrs: [int('axis', 0)], opset: 11 }),
    );
    expect(() => m.apply(randn([2, 2]), { training: false })).toThrow(
      /'n0' \(Compress\): condition has 3 values/,
    );
  });
  it('NonZero refuses positions computed from a graph input while ops are traced (export)', () => {
    const m = tg.onnx.loadModelSync(model('NonZero', [input('x', [2, 2])], [I64]));
    expect(() =>
      tg.trace((a: tg.Tensor) => m.apply(a, { training: false }) as tg.Tensor, randn([2, 2])),
    ).toThrow(/'n0' \(NonZero\): X computed from a graph input while ops are traced/);
  });
});

describe('Einsum refusals and errors by name', () => {
  const run = (eq: string, shapes: number[][]) => () =>
    tg.onnx
      .loadModelSync(
        oneNode({ op: 'Einsum', inputs: einsumInputs(shapes), attrs: [str('equation', eq)], opset: 12 }),
      )
      .apply(shapes.length === 1 ? randn(shapes[0]) : shapes.map((s) => randn(s)), { training: false });
  it('names the node and the problem', () => {
    expect(run('...i...->i', [[2, 3]])).toThrow(
      /'n0' \(Einsum\): equation term '\.\.\.i\.\.\.' with two ellipses is not supported/,
    );
    expect(
      run('ij,jk->ik', [
        [2, 3],
        [4, 5],
      ]),
    ).toThrow(/'n0' \(Einsum\): label 'j' has size 3 and 4/);
    expect(run('ij->k', [[2, 3]])).toThrow(/'n0' \(Einsum\): output 'k'/);
    expect(run('ijk->i', [[2, 3]])).toThrow(
      /'n0' \(Einsum\): equation term 'ijk' does not fit an input of rank 2/,
    );
    expect(run('ij,jk->ik', [[2, 3]])).toThrow(
      /'n0' \(Einsum\): equation 'ij,jk->ik' has 2 terms for 1 inputs/,
    );
  });
});
