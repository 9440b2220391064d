// The ops layer's public face; importing it installs what core's walker needs and the fluent methods.
import { installRuntime, setGradNumericsCheck } from '../core/autodiff.js';
import { registerBackend } from '../backend/kernels.js';
import { jsKernels } from '../backend/js.js';
import '../backend/wasm/node.js'; // registers 'wasm' and makes it the default when build/wasm/kernels.wasm loads
import { add, cast } from './elementwise/builders.js';
import { registerPrims, setForwardNumericsCheck } from './dispatch.js';
import { PRIMS } from './table.js';
import './fluent.js';

registerBackend(jsKernels);
registerPrims(PRIMS);
installRuntime({ add: (a, b) => add(a, b), cast });

/**
 * Anomaly mode: stop at the first non-finite value, naming the forward op (with layer path, call site and
 * input statistics), or in backward the op whose gradient went bad. Off by default (it scans every result).
 */
export function checkNumerics(on = true): void {
  setForwardNumericsCheck(on);
  setGradNumericsCheck(on);
}

export * from './elementwise/builders.js';
export * from './movement/builders.js';
export * from './reduce/builders.js';
export * from './network/builders.js';
export * from './transforms.js';
export * from './random-ops.js';
export * from './composite/conv.js';
export * from './composite/pool.js';
export * from './composite/activations.js';
export * from './composite/losses.js';
export * from './composite/cross-entropy.js';
export { convTranspose2d, convTranspose1d, type ConvTransposeOptions } from './composite/conv-transpose.js';
export { padEdges, type PaddingMode } from './composite/pad-modes.js';
export * from './composite/rnn.js';
export type { Pair, Padding2d } from './composite/window.js';
export type { WindowGeom } from '../core/window-geom.js';
export { run } from './dispatch.js';
export { PRIMS, primNames, type PrimName, type PrimParams } from './table.js';
