// `tg.optim`: PyTorch's `torch.optim` spelling of tapegrad's optimizers (aliases of the same classes) and the
// PyTorch-style schedulers as `tg.optim.lrScheduler` (alias `tg.optim.lr_scheduler`, the same namespace), so
// `new tg.optim.Adam(params, { lr })` and `new tg.optim.lrScheduler.StepLR(opt, { stepSize: 30 })` work, types too.
export { Optimizer } from '../optim/optimizer.js';
export { SGD } from '../optim/sgd.js';
export { Adam, AdamW } from '../optim/adam.js';
export { RMSprop } from '../optim/rmsprop.js';
export { Adagrad } from '../optim/adagrad.js';
export { Adadelta } from '../optim/adadelta.js';
export { Adamax } from '../optim/adamax.js';
export { Nadam as NAdam } from '../optim/nadam.js';
export * as lrScheduler from './index.js';
export * as lr_scheduler from './index.js';
