// `tg.nn`: the PyTorch-style front end. `Module` and the basic modules (module.ts), normalization, embedding and
// transposed convolutions (layers.ts), the recurrent modules (recurrent.ts).
export {
  AvgPool2d,
  Conv1d,
  Conv2d,
  Dropout,
  Flatten,
  Identity,
  Linear,
  LogSoftmax,
  MaxPool2d,
  Module,
  Parameter,
  ReLU,
  Sequential,
  Sigmoid,
  Softmax,
  Tanh,
  type TorchConvOptions,
} from './module.js';
export {
  BatchNorm1d,
  BatchNorm2d,
  ConvTranspose2d,
  Embedding,
  LayerNorm,
  type BatchNormOptions,
} from './layers.js';
export { GRU, LSTM, RNN, type TorchRNNOptions } from './recurrent.js';
