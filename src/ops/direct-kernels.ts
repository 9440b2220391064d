// The kernels as an executor that calls them directly on its own buffers sees them (src/io/onnx/executor*.ts):
// the active backend, the JS reference (for calls too small to pay a wasm call's fixed cost) and the inference
// kernels the Kernels interface has no method for. Layers above ops reach the backend only through here.
// NOTE: such an executor bypasses dispatch (no shape rules, no tape, no lifetime frames): it is only for inference
// of a graph whose shapes were checked when it was compiled.
export { kernels as activeKernels } from '../backend/kernels.js';
export type { BinaryOp, Kernels, UnaryOp } from '../backend/kernels.js';
export { jsKernels } from '../backend/js.js';
export {
  channelAffine,
  channelBinary,
  denseRows,
  erfRational,
  layerNorm,
  leakyRelu,
  scalarBinary,
  softmax,
  tanhRational,
} from '../backend/inference-kernels.js';
