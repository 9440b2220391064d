// The PyTorch-style learning-rate schedulers (torch.optim.lr_scheduler, 1.13 semantics): the members of the
// `tg.optim.lrScheduler` namespace (alias `tg.optim.lr_scheduler`).
export { LRScheduler, SchedulerBase, type StateDict } from './base.js';
export {
  ConstantLR,
  ExponentialLR,
  LinearLR,
  MultiStepLR,
  PolynomialLR,
  StepLR,
  type ConstantLROptions,
  type ExponentialLROptions,
  type LinearLROptions,
  type MultiStepLROptions,
  type PolynomialLROptions,
  type StepLROptions,
} from './decay.js';
export { LambdaLR, MultiplicativeLR, type LambdaLROptions } from './lambda.js';
export {
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  type CosineAnnealingLROptions,
  type CosineAnnealingWarmRestartsOptions,
} from './cosine.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { CyclicLR, type CyclicLROptions } from './cyclic.js';
export { ChainedScheduler, SequentialLR, type SequentialLROptions } from './compose.js';
export { ReduceLROnPlateau, type TorchReduceLROnPlateauOptions } from './plateau.js';
