// Entry of the WebAssembly kernel module: every export the JS wrappers (src/backend/wasm/*-kernel*.ts) call.
export { gemmWorkBytes, matmulSlice, matmulDepthSlice, packBPanels, matmulTilePacked } from './gemm';
export { im2col, col2im, poolArgmax, poolMaxGrad, poolMax, avgPool } from './window';
export { convBlockRows, convPackW, convRows } from './conv';
export { convBandOk, convBandRows } from './conv-band';
export { convNchwStage, convRowsNCHW } from './conv-nchw';
export { convFilterBandOk, convFilterBandRows } from './conv-grad-band';
export { convPackWT, convInputRows, convFilterBlockRows, convFilterRows, sumSlices } from './conv-grad';
export { unary, binary, binaryScalar, compare, where, biasAdd } from './elementwise';
export { reduceSum, reduceMax, argmax, firstNonFinite } from './reduce';
export { logSoftmax, logSoftmaxGrad } from './softmax';
export { take, scatterAdd } from './gather';
export { transpose3 } from './transpose';
export { lstmGates, lstmGatesGrad } from './lstm';
export { channelMoments, channelAffine, channelSums } from './channel';

/** First byte the JS side may use as scratch (everything below is the module's static data). */
export function heapBase(): usize {
  return (__heap_base + 63) & ~(<usize>63);
}
