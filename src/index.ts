// tapegrad: `import * as tg from 'tapegrad'`.
export {
  dtypeOf,
  DTYPES,
  isDType,
  isFloat,
  promote,
  type AllocationLimit,
  type DType,
  type TypedArray,
} from './core/dtype.js';
export {
  DTypeError,
  fmtShape,
  GradError,
  NumericsError,
  ReleasedError,
  ShapeError,
  TapegradError,
  ValueError,
} from './core/errors.js';
export { type Shape, sizeOf, broadcastShapes } from './core/shape.js';
export {
  arange,
  full,
  ones,
  onesLike,
  scalar,
  tensor,
  Tensor,
  zeros,
  zerosLike,
  type GradHook,
  type NestedArray,
  type TensorLike,
  type TensorMethods,
  type TensorOptions,
} from './core/tensor.js';
export type { TfjsTensorMethods } from './core/tensor-methods-tfjs.js';
export {
  globalRng,
  rand,
  randint,
  randn,
  Rng,
  setSeed,
  truncatedNormal,
  type RandomOptions,
} from './core/random.js';
export { enableGrad, onOp, withScope, isRecording, type OpEvent, type TapeNode } from './core/tape.js';
export {
  grad,
  grads,
  valueAndGrad,
  valueAndGrads,
  vjp,
  backward,
  type GradOptions,
} from './core/autodiff.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './core/gradcheck.js';
export {
  customGrad,
  checkCustomGrads,
  type CustomGradResult,
  type CustomGradOptions,
} from './core/custom-grad.js';
export * from './ops/index.js';
export {
  setBackend,
  getBackend,
  listBackends,
  registerBackend,
  memory,
  setMemoryBudget,
  type Kernels,
  type BackendMemory,
} from './backend/kernels.js';
export { keep, setRelease, noGradFrame as noGrad } from './core/lifetime.js';
export { setNumThreads, getNumThreads, ready } from './backend/wasm/threads.js';
export * from './nn/index.js';
export * from './train/index.js';
export * from './plot/index.js';
export * from './io/index.js';
export * from './debug/index.js';
