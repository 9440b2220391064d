// The max pools of the PyTorch wing stay exportable to ONNX (the exporter traces tape ops): nn.AdaptiveMaxPool1d/2d
// (each cell's argmax and value from gather, argmax, equal, where and sum; cells of unequal size padded with -inf)
// and nn.MaxPool1d, exported, run in ONNX Runtime Web at batch 1 and 3 and checked against the module
// (export-roundtrip-lib.ts).
import * as tg from '../../../src/index.js';
import { type Case, roundTrips } from '../../io/onnx/export-roundtrip-lib.js';

const nn = tg.nn;
const cases: Case[] = [
  [
    'nn.AdaptiveMaxPool2d to [3, 2] (unequal cells) and 2',
    () =>
      new nn.Sequential(
        new nn.Conv2d(2, 3, 3),
        new nn.AdaptiveMaxPool2d([3, 2]),
        new nn.AdaptiveMaxPool2d(2),
      ),
    [{ shape: [2, 9, 8] }],
  ],
  [
    'nn.AdaptiveMaxPool1d to 4 and nn.MaxPool1d(2, 1, 1)',
    () => new nn.Sequential(new nn.Conv1d(2, 3, 3), new nn.AdaptiveMaxPool1d(4), new nn.MaxPool1d(2, 1, 1)),
    [{ shape: [2, 11] }],
  ],
];
roundTrips('max pools of tg.nn exported to ONNX', cases);
