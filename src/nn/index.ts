// Public exports of src/nn: layers, models, the TF.js-style factories and the PyTorch-style aliases.
import { Sequential } from './keras/model.js';
import type { Layer, LayerArgs } from './layer.js';

export * from './layer.js';
export * from './initializers.js';
export * from './activations.js';
export { SymbolicTensor } from './symbolic.js';
export { Model, Sequential } from './keras/model.js';
export { Functional, model } from './keras/functional.js';
export { InputLayer, input } from './keras/layers/input.js';
export * from './keras/layers/core.js';
export * from './keras/layers/conv.js';
export * from './keras/layers/pooling.js';
export * from './keras/layers/conv-depthwise-transpose.js';
export { type Conv2dTransposeGeometry, conv2dTranspose } from '../ops/composite/conv-transpose.js';
export * from './keras/layers/reshaping.js';
export * from './keras/layers/normalization.js';
export * from './keras/layers/embedding.js';
export * from './keras/layers/noise.js';
export * from './keras/layers/merge.js';
export * from './keras/layers/advanced-activations.js';
export { RNNBase, type RNNArgs, type StepFn } from './keras/layers/rnn-base.js';
export * from './keras/layers/rnn-cells.js';
export * from './keras/layers/wrappers.js';
export * from './keras/layers/volumetric.js';
export * from './keras/layers/masking-regularization.js';
export { layers } from './keras/layers-api.js';
export type { CompileArgs, FitArgs, History } from './keras/fit.js';
export type { SummaryOptions } from './keras/summary.js';
export * as nn from './torch/index.js';
export { Module, Parameter } from './torch/module.js';

/** TF.js `tf.sequential({layers})`. */
export const sequential = (args: LayerArgs & { layers?: Layer[] } = {}): Sequential => new Sequential(args);
