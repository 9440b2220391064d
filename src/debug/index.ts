// Public exports of src/debug: explain, trace, reference functions, custom gradients, layout converters, plots.
export { explain, type ExplainOptions } from './explain.js';
export type { OpSpec } from './explain-targets.js';
export { trace, Trace, type TraceRow, type TraceSource } from './trace.js';
export { captureOps, recordBackward, type OpRecord, type BackwardRecord } from './record.js';
export { flopsOf, bytesOf } from './cost.js';
export {
  customGrad,
  checkCustomGrads,
  type CustomGradResult,
  type CustomGradOptions,
} from './custom-grad.js';
export * as layouts from './layouts.js';
export { toReferenceFn, type ReferenceFnOptions } from './reference-fn.js';
export {
  plotHistory,
  niceTicks,
  TrainingCurves,
  type HistoryLike,
  type PlotOptions,
  type TrainingCurvesOptions,
} from './plots.js';
export { imageGrid, filterImages, featureMaps, encodePng, crc32, type GridOptions } from './image-grid.js';
export type { GraphNodeSpec, GraphEdgeSpec } from './svg-graph.js';
