// THE primitive table: every primitive tapegrad records, each row holding shape rule, forward and vjp.
// Adding a primitive = one row in a family file + one kernel in src/backend. The type below makes a
// missing row a compile error, and test/ops/primitives.test.ts gradchecks every row it finds here.
import type { PrimTable } from './prim.js';
import { type ElementwiseParams, elementwise } from './elementwise/rows.js';
import { type ReduceParams, reduce } from './reduce/rows.js';
import { type MovementParams, movement } from './movement/rows.js';
import { type NnParams, nnPrims } from './network/rows.js';
import { type RnnParams, rnnPrims } from './rnn/rows.js';
import { type NormParams, normPrims } from './norm/rows.js';

export type PrimParams = ElementwiseParams &
  ReduceParams &
  MovementParams &
  NnParams &
  RnnParams &
  NormParams;
export type PrimName = keyof PrimParams;

export const PRIMS: PrimTable<PrimParams> = {
  ...elementwise,
  ...reduce,
  ...movement,
  ...nnPrims,
  ...rnnPrims,
  ...normPrims,
};

export const primNames = (): PrimName[] => Object.keys(PRIMS) as PrimName[];
