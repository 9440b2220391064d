// tg.nn's loss modules against PyTorch 1.13 in float64: values and input gradients of every case below, computed at
// test time by Debian's python3-torch (test/nn/torch/torch_losses.py), skipped with a message when it is missing.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { type Arr, close, labels, probs, softmaxRows, wave } from './loss-data.js';

const nn = tg.nn;
const PY = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./torch_losses.py', import.meta.url));
const hasTorch = spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

interface Case {
  name: string;
  loss: keyof typeof tg.nn;
  /** PyTorch's keyword arguments (weight and pos_weight as arrays). */
  kw: Record<string, unknown>;
  input: Arr;
  target: Arr;
  /** Class-index target (int64 in PyTorch, int32 here). */
  long?: boolean;
  /** Compare values only (the gradient is where PyTorch's hand-written BCE backward differs, see BCELoss). */
  valuesOnly?: boolean;
}
interface Ref {
  shape: number[];
  value: (number | string)[];
  cot: number[];
  grad: (number | string)[];
}

const CASES: Case[] = [
  // CrossEntropyLoss: class indices, [N, C] and [N, C, d1, d2], weights, ignore, smoothing, every reduction
  {
    name: 'CE default',
    loss: 'CrossEntropyLoss',
    kw: {},
    input: wave([4, 5], 1),
    target: labels([4], [0, 4, 2, 2]),
    long: true,
  },
  {
    name: 'CE sum',
    loss: 'CrossEntropyLoss',
    kw: { reduction: 'sum' },
    input: wave([4, 5], 2),
    target: labels([4], [1, 3, 0, 4]),
    long: true,
  },
  {
    name: 'CE none',
    loss: 'CrossEntropyLoss',
    kw: { reduction: 'none' },
    input: wave([4, 5], 3),
    target: labels([4], [1, 3, 0, 4]),
    long: true,
  },
  {
    name: 'CE weight, ignore -100',
    loss: 'CrossEntropyLoss',
    kw: { weight: { shape: [5], data: [0.5, 2, 1, 0.25, 3] } },
    input: wave([5, 5], 4),
    target: labels([5], [1, -100, 4, 0, 1]),
    long: true,
  },
  {
    name: 'CE weight, ignoreIndex 2, smoothing 0.2',
    loss: 'CrossEntropyLoss',
    kw: { weight: { shape: [4], data: [0.5, 2, 1, 0.25] }, ignore_index: 2, label_smoothing: 0.2 },
    input: wave([5, 4], 5),
    target: labels([5], [1, 2, 3, 0, 2]),
    long: true,
  },
  {
    name: 'CE smoothing 0.3, none',
    loss: 'CrossEntropyLoss',
    kw: { label_smoothing: 0.3, reduction: 'none', ignore_index: 1 },
    input: wave([4, 3], 6),
    target: labels([4], [1, 2, 0, 2]),
    long: true,
  },
  {
    name: 'CE [N, C, d1, d2], weight, smoothing, ignore',
    loss: 'CrossEntropyLoss',
    kw: { weight: { shape: [3], data: [1.5, 0.5, 1] }, label_smoothing: 0.1, ignore_index: 0 },
    input: wave([2, 3, 2, 2], 7),
    target: labels([2, 2, 2], [0, 1, 2, 2, 1, 0, 1, 2]),
    long: true,
  },
  {
    name: 'CE [N, C, d1] none',
    loss: 'CrossEntropyLoss',
    kw: { reduction: 'none' },
    input: wave([2, 3, 4], 8),
    target: labels([2, 4], [0, 1, 2, 2, 1, 0, 1, 2]),
    long: true,
  },
  {
    name: 'CE probabilities, weight, smoothing',
    loss: 'CrossEntropyLoss',
    kw: { weight: { shape: [4], data: [0.5, 2, 1, 0.25] }, label_smoothing: 0.25 },
    input: wave([3, 4], 9),
    target: softmaxRows([3, 4], 10),
  },
  {
    name: 'CE probabilities [N, C, d1], none',
    loss: 'CrossEntropyLoss',
    kw: { reduction: 'none' },
    input: wave([2, 3, 2], 11),
    target: softmaxRows([2, 3, 2], 12),
  },
  {
    name: 'CE unbatched index',
    loss: 'CrossEntropyLoss',
    kw: {},
    input: wave([5], 13),
    target: labels([], [3]),
    long: true,
  },
  {
    name: 'CE unbatched index, none',
    loss: 'CrossEntropyLoss',
    kw: { reduction: 'none', label_smoothing: 0.1 },
    input: wave([5], 14),
    target: labels([], [0]),
    long: true,
  },
  {
    name: 'CE unbatched probabilities',
    loss: 'CrossEntropyLoss',
    kw: {},
    input: wave([4], 15),
    target: { shape: [4], data: softmaxRows([1, 4], 16).data },
  },
  // NLLLoss on arbitrary (not normalised) inputs
  {
    name: 'NLL default',
    loss: 'NLLLoss',
    kw: {},
    input: wave([4, 5], 17),
    target: labels([4], [0, 4, 2, 2]),
    long: true,
  },
  {
    name: 'NLL weight, ignore',
    loss: 'NLLLoss',
    kw: { weight: { shape: [5], data: [0.5, 2, 1, 0.25, 3] }, ignore_index: 4 },
    input: wave([5, 5], 18),
    target: labels([5], [1, 4, 4, 0, 3]),
    long: true,
  },
  {
    name: 'NLL sum',
    loss: 'NLLLoss',
    kw: { reduction: 'sum', ignore_index: 0 },
    input: wave([3, 4], 19),
    target: labels([3], [0, 3, 1]),
    long: true,
  },
  {
    name: 'NLL [N, C, d1] none, weight',
    loss: 'NLLLoss',
    kw: { reduction: 'none', weight: { shape: [3], data: [1.5, 0.5, 1] } },
    input: wave([2, 3, 3], 20),
    target: labels([2, 3], [0, 1, 2, 2, -100, 0]),
    long: true,
  },
  {
    name: 'NLL unbatched, none',
    loss: 'NLLLoss',
    kw: { reduction: 'none' },
    input: wave([4], 21),
    target: labels([], [2]),
    long: true,
  },
  // elementwise losses, broadcasting a target of another shape as PyTorch does
  { name: 'MSE', loss: 'MSELoss', kw: {}, input: wave([3, 4], 22), target: wave([3, 4], 23) },
  {
    name: 'MSE sum, broadcast target',
    loss: 'MSELoss',
    kw: { reduction: 'sum' },
    input: wave([2, 3], 24),
    target: wave([3], 25),
  },
  {
    name: 'MSE none',
    loss: 'MSELoss',
    kw: { reduction: 'none' },
    input: wave([2, 3], 26),
    target: wave([2, 3], 27),
  },
  {
    name: 'L1 with ties',
    loss: 'L1Loss',
    kw: {},
    input: { shape: [2, 3], data: [1, -2, 0.5, 3, 0, -1] },
    target: { shape: [2, 3], data: [1, -1, 0.5, 2, 0, 1] },
  },
  {
    name: 'L1 none',
    loss: 'L1Loss',
    kw: { reduction: 'none' },
    input: wave([2, 3], 28),
    target: wave([2, 3], 29),
  },
  {
    name: 'SmoothL1 beta 0.5',
    loss: 'SmoothL1Loss',
    kw: { beta: 0.5 },
    input: wave([3, 4], 30),
    target: wave([3, 4], 31, 0.5),
  },
  {
    name: 'SmoothL1 default, none',
    loss: 'SmoothL1Loss',
    kw: { reduction: 'none' },
    input: wave([3, 4], 32),
    target: wave([3, 4], 33, 0.5),
  },
  {
    name: 'SmoothL1 beta 0 (L1)',
    loss: 'SmoothL1Loss',
    kw: { beta: 0, reduction: 'sum' },
    input: wave([2, 3], 34),
    target: wave([2, 3], 35),
  },
  {
    name: 'Huber delta 0.7',
    loss: 'HuberLoss',
    kw: { delta: 0.7 },
    input: wave([3, 4], 36),
    target: wave([3, 4], 37, 0.5),
  },
  {
    name: 'Huber default, none',
    loss: 'HuberLoss',
    kw: { reduction: 'none' },
    input: wave([3, 4], 38, 2),
    target: wave([3, 4], 39),
  },
  // binary losses
  { name: 'BCE', loss: 'BCELoss', kw: {}, input: probs([3, 4], 40), target: probs([3, 4], 41) },
  {
    name: 'BCE weight [3] broadcast, none',
    loss: 'BCELoss',
    kw: { weight: { shape: [3], data: [0.5, 2, 1] }, reduction: 'none' },
    input: probs([2, 3], 42),
    target: { shape: [2, 3], data: [0, 1, 1, 0, 0.5, 1] },
  },
  {
    name: 'BCE at 0 and 1 (logs clamped at -100)',
    loss: 'BCELoss',
    kw: { reduction: 'none' },
    input: { shape: [6], data: [0, 1, 0, 1, 1e-50, 0.5] },
    target: { shape: [6], data: [1, 0, 0, 1, 0.5, 0.25] },
    valuesOnly: true,
  },
  {
    name: 'BCEWithLogits',
    loss: 'BCEWithLogitsLoss',
    kw: {},
    input: wave([3, 4], 43, 3),
    target: probs([3, 4], 44),
  },
  {
    name: 'BCEWithLogits pos_weight, weight, none',
    loss: 'BCEWithLogitsLoss',
    kw: {
      pos_weight: { shape: [3], data: [3, 0.5, 1] },
      weight: { shape: [2, 1], data: [2, 0.5] },
      reduction: 'none',
    },
    input: { shape: [2, 3], data: [-30, 30, 0, 2.5, -4, 12] },
    target: { shape: [2, 3], data: [1, 0, 0.5, 1, 0, 0.25] },
  },
  {
    name: 'BCEWithLogits pos_weight, sum',
    loss: 'BCEWithLogitsLoss',
    kw: { pos_weight: { shape: [4], data: [3, 0.5, 1, 2] }, reduction: 'sum' },
    input: wave([3, 4], 45, 2),
    target: probs([3, 4], 46),
  },
  // KLDivLoss on log-probabilities, targets with zeros
  {
    name: 'KLDiv batchmean, zero targets',
    loss: 'KLDivLoss',
    kw: { reduction: 'batchmean' },
    input: wave([3, 4], 47),
    target: { shape: [3, 4], data: [0.1, 0.2, 0.3, 0.4, 0, 0.5, 0.5, 0, 1, 0, 0, 0] },
  },
  { name: 'KLDiv mean', loss: 'KLDivLoss', kw: {}, input: wave([3, 4], 48), target: softmaxRows([3, 4], 49) },
  {
    name: 'KLDiv sum',
    loss: 'KLDivLoss',
    kw: { reduction: 'sum' },
    input: wave([2, 3], 50),
    target: softmaxRows([2, 3], 51),
  },
  {
    name: 'KLDiv logTarget, none',
    loss: 'KLDivLoss',
    kw: { log_target: true, reduction: 'none' },
    input: wave([2, 3], 52),
    target: wave([2, 3], 53),
  },
];

/** PyTorch's keyword arguments as the module's options object. */
function options(kw: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = {
    ignore_index: 'ignoreIndex',
    label_smoothing: 'labelSmoothing',
    pos_weight: 'posWeight',
    log_target: 'logTarget',
  };
  return Object.fromEntries(
    Object.entries(kw).map(([k, v]) => {
      const a = v as Arr;
      const value =
        k === 'weight' || k === 'pos_weight' ? tg.tensor(a.data, a.shape, { dtype: 'float64' }) : v;
      return [names[k] ?? k, value];
    }),
  );
}
/** The module of a case on its float64 input (requiring grad) and its target. */
function runCase(c: Case): { x: tg.Tensor; y: tg.Tensor } {
  const Cls = nn[c.loss] as unknown as new (o: object) => tg.nn.Module;
  const x = tg.tensor(c.input.data, c.input.shape, { dtype: 'float64' }).requireGrad(true);
  const t = tg.tensor(c.target.data, c.target.shape, { dtype: c.long ? 'int32' : 'float64' });
  return { x, y: new Cls(options(c.kw)).forward(x, t) as tg.Tensor };
}

describe('tg.nn losses against PyTorch 1.13 (python3-torch at test time)', () => {
  if (!hasTorch) {
    it.skip(`skipped: ${PY} with torch is not installed (Debian package python3-torch)`, () => {});
    return;
  }
  // one Python run for every case, on first use
  let refs: Ref[] | Error | null = null;
  const load = (): Ref[] => {
    if (refs === null) {
      const cases = CASES.map((c) => ({
        loss: c.loss,
        kw: c.kw,
        input: c.input,
        target: c.target,
        long: !!c.long,
      }));
      const r = spawnSync(PY, [SCRIPT], { input: JSON.stringify(cases), maxBuffer: 1 << 24 });
      refs =
        r.status === 0
          ? (JSON.parse(String(r.stdout)) as { out: Ref[] }).out
          : new Error(`torch_losses.py failed: ${String(r.stderr)}`);
    }
    if (refs instanceof Error) throw refs;
    return refs;
  };
  afterEach(() => vi.restoreAllMocks());
  CASES.forEach((c, i) =>
    it(`${c.loss}: ${c.name}: value${c.valuesOnly ? '' : ' and input gradient'}`, () => {
      vi.spyOn(console, 'warn').mockImplementation(() => {});
      const ref = load()[i];
      const { x, y } = runCase(c);
      expect(y.shape, 'output shape').toEqual(ref.shape);
      close(y.data, ref.value, 'value');
      if (c.valuesOnly) return;
      // the gradient of sum(loss · cotangent), the cotangent PyTorch used
      tg.sum(tg.mul(y, tg.tensor(ref.cot, y.shape, { dtype: 'float64' }))).backward();
      close(x.grad!.data, ref.grad, 'grad');
    }),
  );
});
