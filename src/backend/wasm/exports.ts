// The exports of build/wasm/kernels.wasm as the JS wrapper sees them, and the op codes its kernels take.
import type { BinaryOp, CompareOp, ConvActivation, UnaryOp } from '../kernels.js';
import type { GateActivation } from '../lstm.js';

/** The exports of build/wasm/kernels.wasm (pointers are byte offsets into the shared memory). */
export interface WasmExports {
  heapBase(): number;
  gemmWorkBytes(): number;
  matmulDepthSlice(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    k0: number,
    k1: number,
    work: number,
  ): void;
  matmulSlice(
    a: number,
    b: number,
    c: number,
    batchA: number,
    batchB: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    transB: number,
    b0: number,
    b1: number,
    m0: number,
    m1: number,
    j0: number,
    j1: number,
    work: number,
  ): void;
  packBPanels(b: number, transB: number, k: number, n: number, dst: number, j0: number, j1: number): void;
  matmulTilePacked(
    a: number,
    pre: number,
    c: number,
    m: number,
    n: number,
    k: number,
    transA: number,
    m0: number,
    m1: number,
    j0: number,
    j1: number,
    work: number,
  ): void;
  im2col(x: number, g: number, out: number, r0: number, r1: number): void;
  col2im(cols: number, g: number, out: number, n0: number, n1: number): void;
  poolArgmax(x: number, g: number, out: number, n0: number, n1: number): void;
  poolMaxGrad(x: number, g: number, dy: number, dx: number, n0: number, n1: number): void;
  avgPool(x: number, g: number, divs: number, nDiv: number, out: number, n0: number, n1: number): void;
  convBlockRows(k: number): number;
  convPackW(w: number, k: number, o: number, dst: number): void;
  convRows(
    x: number,
    g: number,
    wp: number,
    bias: number,
    hasBias: number,
    act: number,
    out: number,
    o: number,
    r0: number,
    r1: number,
    work: number,
  ): void;
  convBandOk(g: number, bytes: number): number;
  convBandRows(
    x: number,
    g: number,
    wp: number,
    bias: number,
    hasBias: number,
    act: number,
    out: number,
    o: number,
    r0: number,
    r1: number,
    workBytes: number,
    work: number,
  ): void;
  convNchwStage(g: number, o: number, workBytes: number): number;
  convRowsNCHW(
    x: number,
    g: number,
    wp: number,
    bias: number,
    hasBias: number,
    act: number,
    out: number,
    o: number,
    r0: number,
    r1: number,
    stage: number,
    workBytes: number,
    work: number,
  ): void;
  convFilterBandOk(g: number, bytes: number): number;
  convFilterBandRows(
    x: number,
    g: number,
    gr: number,
    o: number,
    r0: number,
    r1: number,
    dst: number,
    workBytes: number,
    work: number,
  ): void;
  convPackWT(w: number, k: number, o: number, dst: number): void;
  convInputRows(
    g: number,
    geom: number,
    wtp: number,
    out: number,
    o: number,
    n0: number,
    n1: number,
    work: number,
  ): void;
  convFilterBlockRows(k: number): number;
  convFilterRows(
    x: number,
    geom: number,
    g: number,
    o: number,
    r0: number,
    r1: number,
    dst: number,
    work: number,
  ): void;
  sumSlices(parts: number, n: number, len: number, out: number): void;
  poolMax(x: number, g: number, out: number, n0: number, n1: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(op: number, a: number, b: number, out: number, n: number): void;
  binaryScalar(op: number, a: number, sBits: number, first: number, out: number, n: number): void;
  compare(op: number, a: number, b: number, out: number, n: number): void;
  where(cond: number, condInt: number, a: number, b: number, out: number, n: number): void;
  biasAdd(x: number, b: number, out: number, rows: number, cols: number): void;
  reduceSum(x: number, outer: number, mid: number, inner: number, out: number, acc: number): void;
  reduceMax(x: number, outer: number, mid: number, inner: number, out: number): void;
  firstNonFinite(x: number, n: number): number;
  logSoftmax(x: number, outer: number, mid: number, inner: number, out: number): void;
  logSoftmaxGrad(g: number, y: number, outer: number, mid: number, inner: number, out: number): void;
  argmax(x: number, outer: number, mid: number, inner: number, out: number): void;
  take(x: number, idx: number, out: number, n: number): void;
  scatterAdd(g: number, idx: number, out: number, n: number, size: number): void;
  channelMoments(
    x: number,
    outer: number,
    C: number,
    inner: number,
    out: number,
    acc: number,
    c0: number,
    c1: number,
  ): void;
  channelAffine(
    x: number,
    m: number,
    s: number,
    b: number,
    C: number,
    inner: number,
    out: number,
    u0: number,
    u1: number,
  ): void;
  channelSums(
    a: number,
    x: number,
    m: number,
    outer: number,
    C: number,
    inner: number,
    out: number,
    acc: number,
    c0: number,
    c1: number,
  ): void;
  transpose3(x: number, out: number, R: number, C: number, b0: number, b1: number): void;
  lstmGates(
    act: number,
    rec: number,
    z: number,
    c: number,
    out: number,
    H: number,
    r0: number,
    r1: number,
  ): void;
  lstmGatesGrad(
    act: number,
    rec: number,
    g: number,
    z: number,
    c: number,
    out: number,
    H: number,
    r0: number,
    r1: number,
  ): void;
}

/** Activation codes of the fused LSTM kernels (asm/lstm.ts). */
/** Activation codes of the fused conv epilogue (asm/conv.ts: epilogue). */
export const CONV_ACT: Record<ConvActivation, number> = { linear: 0, relu: 1 };
export const GATE_ACT: Record<GateActivation, number> = { sigmoid: 0, tanh: 1, relu: 2, linear: 3 };

export const UNARY: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  abs: 4,
  sign: 5,
  relu: 6,
  sigmoid: 7,
  tanh: 8,
  sin: 9,
  cos: 10,
  erf: 11,
  floor: 12,
  log1p: 13,
  expm1: 14,
  softplus: 15,
};
export const BINARY: Record<BinaryOp, number> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  reluGrad: 7,
};
export const COMPARE: Record<CompareOp, number> = { eq: 0, ne: 1, gt: 2, ge: 3, lt: 4, le: 5 };
