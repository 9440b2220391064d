// tg.onnx: load ONNX models as trainable tapegrad models, and save tapegrad models as ONNX.
import { loadModel, loadModelSync } from './load.js';
import { supportedOperators } from './registry.js';
import { exportModel, saveModel } from './export.js';
import { explainNode } from './explain.js';

export const onnx = { loadModel, loadModelSync, saveModel, exportModel, explainNode, supportedOperators };
export { OnnxModel, OnnxNode, type OnnxModelOptions } from './model.js';
export { OnnxUnsupportedError } from './op-types.js';
export type { LoadOnnxOptions } from './load.js';
export type { SaveOnnxOptions } from './export.js';
