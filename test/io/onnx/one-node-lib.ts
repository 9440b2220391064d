// One-node ONNX models for operator tests: graph inputs of any element type, constant inputs as initializers, run
// through tg.onnx (with a gradient check in float64) and through ONNX Runtime Web on the same bytes.
import * as ort from 'onnxruntime-web';
import { expect } from 'vitest';
import * as tg from '../../../src/index.js';
import { DataType, encodeModel } from '../../../src/io/onnx/proto.js';
import { tensorToProto } from '../../../src/io/onnx/tensor-proto.js';

ort.env.wasm.numThreads = 1;

export { DataType };
export const ints = (name: string, v: number[]) => ({ name, type: 7, ints: v });
export const int = (name: string, i: number) => ({ name, type: 2, i });
export const flt = (name: string, f: number) => ({ name, type: 1, f });
export const str = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });
type Attr =
  ReturnType<typeof ints> | ReturnType<typeof int> | ReturnType<typeof flt> | ReturnType<typeof str>;

/** A node input: a graph input (`x`) of an element type and shape, or a constant (an initializer). */
export type In =
  | { name: string; type: number; shape: number[]; value?: undefined }
  | { name: string; type: number; value: tg.Tensor }
  | null;

/** The element types the operator tests use most. */
export const D = DataType.DOUBLE;
export const F = DataType.FLOAT;
export const I64 = DataType.INT64;
/** A constant input (an initializer) of element type `type` (default INT64, held as int32; else float32 values). */
export const konst = (name: string, v: number[], type: number = I64, shape = [v.length]): In => ({
  name,
  type,
  value: tg.tensor(v, shape, { dtype: type === I64 ? 'int32' : 'float32' }),
});

export interface OneNode {
  op: string;
  inputs: In[];
  attrs?: Attr[];
  opset?: number;
  outputs?: number;
  /** The output element type (default: the first input's). */
  outType?: number;
}

const valueInfo = (name: string, type: number, shape?: number[]) => ({
  name,
  type: {
    tensorType: { elemType: type, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) },
  },
});

/** The model file of one node `op` (outputs y0, y1, ...). */
export function oneNode(s: OneNode): Uint8Array {
  const outs = Array.from({ length: s.outputs ?? 1 }, (_, i) => `y${i}`);
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: s.opset ?? 13 }],
    graph: {
      name: `${s.op}_test`,
      node: [
        {
          name: 'n0',
          opType: s.op,
          input: s.inputs.map((i) => i?.name ?? ''),
          output: outs,
          attribute: s.attrs ?? [],
        },
      ],
      initializer: s.inputs.flatMap((i) =>
        i && i.value ? [tensorToProto({ t: i.value, type: i.type }, i.name)] : [],
      ),
      input: s.inputs.flatMap((i) => (i && !i.value ? [valueInfo(i.name, i.type, i.shape)] : [])),
      output: outs.map((o) => valueInfo(o, s.outType ?? s.inputs.find((i) => i)!.type)),
    },
  });
}

/** The node's first output through tg.onnx for the graph inputs xs (in input order). */
export function runTg(bytes: Uint8Array, xs: tg.Tensor[]): tg.Tensor {
  const m = tg.onnx.loadModelSync(bytes);
  return tg.noGrad(() => m.apply(xs.length === 1 ? xs[0] : xs, { training: false })) as tg.Tensor;
}

const ORT_TYPE: Record<number, ort.Tensor.Type> = {
  [DataType.FLOAT]: 'float32',
  [DataType.DOUBLE]: 'float64',
  [DataType.INT64]: 'int64',
  [DataType.INT32]: 'int32',
  [DataType.BOOL]: 'bool',
};

/** The node's first output through ONNX Runtime Web, as numbers. */
export async function runOrt(
  bytes: Uint8Array,
  s: OneNode,
  xs: tg.Tensor[],
): Promise<{ dims: number[]; data: number[] }> {
  const sess = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  let k = 0;
  for (const i of s.inputs) {
    if (!i || i.value) continue;
    const x = xs[k++];
    const t = ORT_TYPE[i.type];
    const data =
      t === 'int64'
        ? BigInt64Array.from(Array.from(x.data, (v) => BigInt(v)))
        : t === 'float64'
          ? Float64Array.from(x.data)
          : t === 'int32'
            ? Int32Array.from(x.data)
            : t === 'bool'
              ? Uint8Array.from(x.data)
              : Float32Array.from(x.data);
    feeds[i.name] = new ort.Tensor(t, data, [...x.shape]);
  }
  const r = await sess.run(feeds);
  const y = r[sess.outputNames[0]];
  return { dims: [...y.dims], data: Array.from(y.data as ArrayLike<number | bigint>, Number) };
}

/** tg.onnx gives ONNX Runtime Web's output: the shape, and values within 1e-5 + 1e-5·|want| (NaN where NaN). */
export async function expectOrt(s: OneNode, xs: tg.Tensor[]): Promise<void> {
  const bytes = oneNode(s);
  const want = await runOrt(bytes, s, xs);
  // node by node (apply), and predict (the compiled executor, which runs these nodes as themselves)
  const m = tg.onnx.loadModelSync(bytes);
  // (predict refuses non-finite inputs, and inputs of different batch sizes, by design: those run through apply only)
  const finite =
    xs.every((t) => Array.from(t.data).every(Number.isFinite)) &&
    xs.every((t) => t.shape[0] === xs[0].shape[0]);
  const viaPredict = finite
    ? [['predict', m.predict(xs.length === 1 ? xs[0] : xs) as tg.Tensor] as const]
    : [];
  for (const [how, got] of [['apply', runTg(bytes, xs)] as const, ...viaPredict]) {
    expect(got.shape, `${s.op} ${how}`).toEqual(want.dims);
    const g = Array.from(got.data);
    want.data.forEach((w, i) => {
      if (Number.isNaN(w)) expect(g[i], `${s.op} ${how} [${i}]`).toBeNaN();
      else if (!(Math.abs(g[i] - w) <= 1e-5 + 1e-5 * Math.abs(w)) && g[i] !== w)
        expect.fail(`${s.op} ${how} [${i}]: ${g[i]} vs ONNX Runtime ${w}`);
    });
  }
}

/** gradcheck (float64) of the node's output with respect to its graph inputs (all DOUBLE). */
export function expectGradcheck(s: OneNode, xs: tg.Tensor[]): void {
  const m = tg.onnx.loadModelSync(oneNode(s));
  const f = (...ts: tg.Tensor[]) => m.apply(ts.length === 1 ? ts[0] : ts, { training: false }) as tg.Tensor;
  const res = tg.gradcheck(
    f,
    xs.map((x) => tg.cast(x, 'float64')),
    { eps: 1e-6, atol: 1e-6, rtol: 1e-5 },
  );
  if (!res.ok) expect.fail(`${s.op} gradcheck: ${JSON.stringify(res.worst)} (ratio ${res.maxRatio})`);
  expect(res.checks).toBeGreaterThan(0);
}
