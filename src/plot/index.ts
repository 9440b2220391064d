// Public exports of src/plot (pictures): training curves (SVG), image grids and their PNG encoder, graph SVG types.
export {
  plotHistory,
  niceTicks,
  TrainingCurves,
  type HistoryLike,
  type PlotOptions,
  type TrainingCurvesOptions,
} from './plots.js';
export { imageGrid, filterImages, featureMaps, type GridOptions } from './image-grid.js';
export type { GraphNodeSpec, GraphEdgeSpec } from './svg-graph.js';
