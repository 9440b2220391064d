// `tg.nn`: the PyTorch-style front end. `Module` and the basic modules (module.ts), normalization, embedding and
// transposed convolutions (layers.ts), the recurrent modules (recurrent.ts).
export * from './module.js';
export * from './layers.js';
export * from './recurrent.js';
