// Public exports of src/nn: layers, models, the TF.js-style factories and the PyTorch-style aliases.
import { Sequential } from './model.js';
import type { Layer, LayerArgs } from './layer.js';

export * from './layer.js';
export * from './initializers.js';
export * from './activations.js';
export { SymbolicTensor } from './symbolic.js';
export { Model, Sequential } from './model.js';
export { Functional, model } from './functional.js';
export { InputLayer, input } from './layers/input.js';
export * from './layers/core.js';
export * from './layers/conv.js';
export * from './layers/pooling.js';
export * from './layers/conv-extra.js';
export * from './layers/reshaping.js';
export * from './layers/normalization.js';
export * from './layers/embedding.js';
export * from './layers/noise.js';
export * from './layers/merge.js';
export * from './layers/advanced-activations.js';
export { RNNBase, type RNNArgs, type StepFn } from './layers/recurrent.js';
export * from './layers/recurrent-layers.js';
export * from './layers/wrappers.js';
export * from './layers/volumetric.js';
export * from './layers/masking-regularization.js';
export { layers } from './layers-api.js';
export type { CompileArgs, FitArgs, History } from './fit.js';
export type { SummaryOptions } from './summary.js';
export * as nn from './torch-extra.js'; // torch-extra.ts re-exports torch.ts
export { Module, Parameter } from './torch.js';

/** TF.js `tf.sequential({layers})`. */
export const sequential = (args: LayerArgs & { layers?: Layer[] } = {}): Sequential => new Sequential(args);
