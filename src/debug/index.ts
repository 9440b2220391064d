// Public exports of src/debug (looking inside a computation): explain, trace, op/backward records, cost, reference functions.
export { explain, type ExplainOptions } from './explain.js';
export type { OpSpec } from './explain-targets.js';
export { trace, Trace, type TraceRow, type TraceSource } from './trace.js';
export { captureOps, recordBackward, type OpRecord, type BackwardRecord } from './record.js';
export { flopsOf, bytesOf } from './cost.js';
export { toReferenceFn, type ReferenceFnOptions } from './reference-fn.js';
