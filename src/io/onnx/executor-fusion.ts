// Shared parts of the compiled ONNX executor's rules (executor-steps.ts, executor-network.ts): which kernels small
// steps use, the rational tanh/erf choice, operands read where they are, and the activation a step fuses.
// NOTE: steps on few elements call the JS reference kernels: a wasm call's fixed cost (~2 µs: operand copies,
// the thread pool's handshake) is more than their loops.
import type { TypedArray } from '../../core/dtype.js';
import type { Tensor } from '../../core/tensor.js';
import {
  type BinaryOp,
  type Kernels,
  type UnaryOp,
  erfRational,
  jsKernels,
  leakyRelu,
  tanhRational,
} from '../../ops/direct-kernels.js';
import type { Compiler } from './executor.js';
import { type Val, sizeOfShape } from './executor-memory.js';
import type { OnnxNode } from './model.js';
import { Attrs } from './op-types.js';

/** Elements (per-element steps) and multiply-adds (conv, Gemm, MatMul) below which the JS kernels run. */
export const SMALL_ELEMS = 4096;
export const SMALL_MACS = 16384;

export const UNARY: Record<string, UnaryOp> = {
  Relu: 'relu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Erf: 'erf',
  Exp: 'exp',
  Log: 'log',
  Sqrt: 'sqrt',
  Abs: 'abs',
  Neg: 'neg',
  Floor: 'floor',
  Sign: 'sign',
  Sin: 'sin',
  Cos: 'cos',
};
export const BINARY: Record<string, BinaryOp> = {
  Add: 'add',
  Sub: 'sub',
  Mul: 'mul',
  Div: 'div',
  Pow: 'pow',
  Max: 'maximum',
  Min: 'minimum',
};
export const VIEWS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity', 'Dropout']);

export const attrsOf = (n: OnnxNode): Attrs => new Attrs(n.spec, n.spec.attrs);
export const kernelFor = (small: boolean, k: Kernels): Kernels => (small ? jsKernels : k);
/**
 * out = op(x), where x and out may be one array. NOTE: tanh and erf use the rational forms of inference-kernels.ts at
 * every size: on one thread they run several times faster than the wasm kernels' (measured here, docs/onnx.md).
 */
export function unary(op: UnaryOp, x: TypedArray, out: TypedArray, small: boolean, k: Kernels): void {
  if (op === 'tanh') tanhRational(x, out);
  else if (op === 'erf') erfRational(x, out);
  else kernelFor(small, k).unary(op, x, out);
}
export const sameShape = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);
/** Only the shape of a value is read by windowOf. */
export const shapeOnly = (shape: number[]) => ({ shape, rank: shape.length }) as unknown as Tensor;

/** An operand: a value of the run, or an initializer read where it is at each run (its current values). */
export type Operand = { val: Val; shape: number[] } | { fixed: Tensor; shape: number[] };
export const arrayOf = (o: Operand, a: TypedArray[]): TypedArray => ('val' in o ? a[o.val.id] : o.fixed.raw);

export function operand(c: Compiler, n: OnnxNode, i: number): Operand | null {
  const s = n.slots[i];
  if (!s || s.kind === 'none') return null;
  if (s.kind === 'fixed') return { fixed: s.t, shape: [...s.t.shape] };
  const v = c.val(s.name);
  return { val: v, shape: v.shape };
}
export const isFloat32 = (o: Operand): boolean => ('val' in o ? o.val.dtype : o.fixed.dtype) === 'float32';

/** An activation node that alone reads `name`, applied in place by the step that makes `name`. */
export interface Activation {
  node: OnnxNode;
  output: string;
  apply(x: TypedArray, k: Kernels): void;
}
export function fusedActivation(c: Compiler, name: string): Activation | null {
  const r = c.soleReader(name);
  if (!r || r.slots.length !== 1 || r.spec.outputs.length !== 1 || c.infoOf(name).dtype !== 'float32')
    return null;
  const op = UNARY[r.spec.opType];
  const small = sizeOfShape(c.infoOf(name).shape) < SMALL_ELEMS;
  if (op) return { node: r, output: r.spec.outputs[0], apply: (x, k) => unary(op, x, x, small, k) };
  if (r.spec.opType === 'LeakyRelu') {
    const alpha = attrsOf(r).float('alpha', 0.01);
    return { node: r, output: r.spec.outputs[0], apply: (x) => leakyRelu(x, alpha, x) };
  }
  return null;
}
export function noteFused(c: Compiler, into: OnnxNode, what: string, n: OnnxNode | null | undefined): void {
  if (!n) return;
  c.consumed.add(n);
  c.report.push(`${n.spec.name} (${n.spec.opType}): ${what} ${into.spec.name}`);
}
