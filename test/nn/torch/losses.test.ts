// tg.nn's loss modules: numbers pasted from PyTorch 1.13 in float64 (Debian's python3-torch, the calls quoted beside
// them; they run without Python), gradcheck on two losses, buffers, warnings and the refusals with PyTorch's words.
// The broad comparison with PyTorch at test time is losses-torch.test.ts.
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { type Arr, close, probs, wave } from './loss-data.js';

const nn = tg.nn;

describe('tg.nn losses: numbers pasted from PyTorch 1.13 (they run without Python)', () => {
  const f64 = (v: number[], shape: number[]) => tg.tensor(v, shape, { dtype: 'float64' });
  const near = (got: ArrayLike<number>, want: number[]) => close(got, want, 'value');
  it('CrossEntropyLoss with weight, ignoreIndex and labelSmoothing: the weighted mean and its gradient', () => {
    // torch: x = tensor([[0.1, 1.2, -0.7], [2.0, -1.0, 0.3], [0.5, 0.5, 0.5], [-1.5, 0.2, 0.9]]);
    //   nn.CrossEntropyLoss(weight=tensor([0.5, 2, 1]), ignore_index=2, label_smoothing=0.2)(x, tensor([1, 2, 0, 1]))
    //   → 0.8269521958342991; .backward() → x.grad below
    const x = f64([0.1, 1.2, -0.7, 2.0, -1.0, 0.3, 0.5, 0.5, 0.5, -1.5, 0.2, 0.9], [4, 3]).requireGrad(true);
    const ce = new nn.CrossEntropyLoss({
      weight: f64([0.5, 2, 1], [3]),
      ignoreIndex: 2,
      labelSmoothing: 0.2,
    });
    const y = ce.forward(x, tg.tensor([1, 2, 0, 1], [4], { dtype: 'int32' }));
    near(y.data, [0.8269521958342991]);
    y.backward();
    near(
      x.grad!.data,
      [
        0.08407297114906316, -0.1103629400680785, 0.026289968919015406, 0, 0, 0, -0.04938271604938271,
        0.01728395061728395, 0.03209876543209877, 0.015876842776087276, -0.25772842462492085,
        0.24185158184883362,
      ],
    );
  });
  it('BCEWithLogitsLoss with posWeight (per class), reduction none', () => {
    // torch: nn.BCEWithLogitsLoss(pos_weight=tensor([3, 0.5]), reduction='none')(x, tensor([[1, 0], [0.25, 1]]))
    //   with x = tensor([[-2, 0.5], [1.5, 4]]); .sum().backward()
    const x = f64([-2, 0.5, 1.5, 4], [2, 2]).requireGrad(true);
    const y = new nn.BCEWithLogitsLoss({ posWeight: f64([3, 0.5], [2]), reduction: 'none' }).forward(
      x,
      f64([1, 0, 0.25, 1], [2, 2]),
    );
    near(y.data, [6.3807840331289185, 0.9740769841801067, 1.4271199169741287, 0.00907496395890489]);
    tg.sum(y).backward();
    near(x.grad!.data, [-2.6423912339336475, 0.6224593312018546, 0.4763617142904655, -0.008993104981045774]);
  });
  it("KLDivLoss 'batchmean' with zero targets (xlogy: 0 there)", () => {
    // torch: nn.KLDivLoss(reduction='batchmean')(x, tensor([[0.2, 0.8, 0], [0.5, 0, 0.5]])) with
    //   x = tensor([[-1.2, -0.4, -2.0], [-0.1, -3, -1]]) → -0.041774802049066556; x.grad = -target / 2
    const x = f64([-1.2, -0.4, -2.0, -0.1, -3, -1], [2, 3]).requireGrad(true);
    const y = new nn.KLDivLoss({ reduction: 'batchmean' }).forward(
      x,
      f64([0.2, 0.8, 0, 0.5, 0, 0.5], [2, 3]),
    );
    near(y.data, [-0.041774802049066556]);
    y.backward();
    near(x.grad!.data, [-0.1, -0.4, -0, -0.25, -0, -0.25]);
  });
  it('NLLLoss on [N, C, d1] with class weights, reduction none', () => {
    // torch: nn.NLLLoss(weight=tensor([1.5, 0.5, 1]), reduction='none')(x, tensor([[2, 0]])) with
    //   x = tensor([[[0.3, -1.0], [1.2, 0.4], [-0.5, 2.0]]]) → [[0.5, 1.5]]; .sum().backward()
    const x = f64([0.3, -1.0, 1.2, 0.4, -0.5, 2.0], [1, 3, 2]).requireGrad(true);
    const y = new nn.NLLLoss({ weight: f64([1.5, 0.5, 1], [3]), reduction: 'none' }).forward(
      x,
      tg.tensor([2, 0], [1, 2], { dtype: 'int32' }),
    );
    expect(y.shape).toEqual([1, 2]);
    near(y.data, [0.5, 1.5]);
    tg.sum(y).backward();
    near(x.grad!.data, [0, -1.5, 0, 0, -1, 0]);
  });
});

describe('tg.nn losses: gradients from the tape, checked by gradcheck in float64', () => {
  it('CrossEntropyLoss on [N, C, d1] with weight, smoothing and an ignored position', () => {
    const w = tg.tensor([1.5, 0.5, 1], [3], { dtype: 'float64' });
    const ce = new nn.CrossEntropyLoss({ weight: w, labelSmoothing: 0.15, ignoreIndex: 1 });
    const t = tg.tensor([0, 1, 2, 2, 0, 1], [2, 3], { dtype: 'int32' });
    const x = tg.tensor(wave([2, 3, 3], 60).data, [2, 3, 3], { dtype: 'float64' });
    const r = tg.gradcheck((a) => ce.forward(a, t), [x], { mode: 'full' });
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
  });
  it('BCEWithLogitsLoss with posWeight and weight, and HuberLoss across the threshold', () => {
    const f64 = (a: Arr) => tg.tensor(a.data, a.shape, { dtype: 'float64' });
    const bce = new nn.BCEWithLogitsLoss({
      posWeight: f64({ shape: [4], data: [2, 0.5, 1, 3] }),
      weight: f64(probs([3, 1], 61)),
    });
    const t = f64(probs([3, 4], 62));
    expect(tg.gradcheck((a) => bce.forward(a, t), [f64(wave([3, 4], 63, 3))], { mode: 'full' }).ok).toBe(
      true,
    );
    const huber = new nn.HuberLoss({ delta: 0.6, reduction: 'sum' });
    const u = f64(wave([3, 4], 64, 0.3));
    expect(tg.gradcheck((a) => huber.forward(a, u), [f64(wave([3, 4], 65))], { mode: 'full' }).ok).toBe(true);
  });
});

describe('tg.nn losses: module behaviour and refusals', () => {
  afterEach(() => vi.restoreAllMocks());
  const x23 = () => tg.tensor(wave([2, 3], 70).data, [2, 3]);
  it('the weights are buffers, as PyTorch registers them: in stateDict when set', () => {
    // torch: nn.CrossEntropyLoss(weight=ones(3)).state_dict() → {'weight'}; nn.BCEWithLogitsLoss(pos_weight=ones(3))
    //   .state_dict() → {'pos_weight'}; nn.KLDivLoss().state_dict() → {}
    const w = tg.ones([3]);
    const ce = new nn.CrossEntropyLoss({ weight: w });
    expect(Object.keys(ce.stateDict())).toEqual(['weight']);
    expect(ce.weight).toBe(w);
    expect(Object.keys(new nn.BCEWithLogitsLoss({ posWeight: w }).stateDict())).toEqual(['pos_weight']);
    expect(Object.keys(new nn.KLDivLoss().stateDict())).toEqual([]);
    expect(new nn.CrossEntropyLoss().weight).toBe(null);
    expect(new nn.MSELoss().reduction).toBe('mean');
  });
  it('reduction, labelSmoothing, beta, delta and unknown options are refused by name at construction', () => {
    // torch: nn.MSELoss(reduction='avg')(a, b) → ValueError: avg is not a valid value for reduction
    throwsA(tg.ValueError, () => new nn.MSELoss({ reduction: 'avg' as never }), [
      'MSELoss',
      '"avg" is not a valid value for reduction',
    ]);
    throwsA(tg.ValueError, () => new nn.L1Loss({ reduction: 'batchmean' as never }), ['L1Loss', 'batchmean']);
    expect(new nn.KLDivLoss({ reduction: 'batchmean' }).reduction).toBe('batchmean');
    // torch: label_smoothing must be between 0.0 and 1.0. Got: 1.5
    throwsA(tg.ValueError, () => new nn.CrossEntropyLoss({ labelSmoothing: 1.5 }), [
      'label_smoothing must be between 0.0 and 1.0. Got: 1.5',
    ]);
    // torch: smooth_l1_loss does not support negative values for beta. / huber_loss ... non-positive values for delta.
    throwsA(tg.ValueError, () => new nn.SmoothL1Loss({ beta: -1 }), [
      'does not support negative values for beta',
    ]);
    throwsA(tg.ValueError, () => new nn.HuberLoss({ delta: 0 }), [
      'does not support non-positive values for delta',
    ]);
    throwsA(tg.ValueError, () => new nn.CrossEntropyLoss({ ignoreIndex: 1.5 }), ['ignoreIndex', '1.5']);
    throwsA(tg.ValueError, () => new nn.KLDivLoss({ logTarget: 1 as never }), ['logTarget']);
    throwsA(tg.ValueError, () => new nn.MSELoss({ sizeAverage: true } as never), [
      'MSELoss',
      "'sizeAverage'",
    ]);
    throwsA(tg.ValueError, () => new nn.NLLLoss({ weight: [1, 2] as never }), [
      'NLLLoss',
      'weight',
      'a Tensor',
    ]);
    throwsA(tg.ValueError, () => new nn.BCELoss(false as never), ['BCELoss', 'options']);
  });
  it('bad inputs and targets get PyTorch`s words, prefixed with the module', () => {
    // torch: RuntimeError: all elements of input should be between 0 and 1
    throwsA(
      tg.ValueError,
      () => new nn.BCELoss({ name: 'crit' }).forward(tg.tensor([0.5, 1.5]), tg.tensor([1, 1])),
      ['crit (BCELoss): all elements of input should be between 0 and 1', '1.5'],
    );
    // torch: ValueError: Using a target size (torch.Size([1])) that is different to the input size (torch.Size([2]))
    //   is deprecated. Please ensure they have the same size.
    throwsA(tg.ShapeError, () => new nn.BCELoss().forward(tg.tensor([0.5, 0.5]), tg.tensor([1])), [
      'Using a target size (torch.Size([1])) that is different to the input size (torch.Size([2]))',
    ]);
    // torch: ValueError: Target size (torch.Size([1])) must be the same as input size (torch.Size([2]))
    throwsA(tg.ShapeError, () => new nn.BCEWithLogitsLoss().forward(tg.tensor([0.5, 0.5]), tg.tensor([1])), [
      'Target size (torch.Size([1])) must be the same as input size (torch.Size([2]))',
    ]);
    const idx = (v: number[]) => tg.tensor(v, [v.length], { dtype: 'int32' });
    // torch: IndexError: Target 3 is out of bounds.
    throwsA(tg.ValueError, () => new nn.NLLLoss().forward(x23(), idx([0, 3])), [
      'NLLLoss',
      'Target 3 is out of bounds',
    ]);
    // torch: ValueError: Expected input batch_size (2) to match target batch_size (3).
    throwsA(tg.ShapeError, () => new nn.NLLLoss().forward(x23(), idx([0, 1, 1])), [
      'Expected input batch_size (2) to match target batch_size (3).',
    ]);
    // torch: RuntimeError: Expected target size [2, 4], got [2]
    throwsA(tg.ShapeError, () => new nn.NLLLoss().forward(tg.zeros([2, 3, 4]), idx([0, 1])), [
      'Expected target size [2, 4], got [2]',
    ]);
    // torch: weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [4]
    throwsA(tg.ShapeError, () => new nn.NLLLoss({ weight: tg.ones([4]) }).forward(x23(), idx([0, 1])), [
      'weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: [4]',
    ]);
    throwsA(
      tg.ShapeError,
      () => new nn.CrossEntropyLoss({ weight: tg.ones([4]) }).forward(x23(), idx([0, 1])),
      ['CrossEntropyLoss', 'weight', '[4]'],
    );
    throwsA(tg.ValueError, () => new nn.CrossEntropyLoss().forward(x23(), idx([0, 5])), [
      'CrossEntropyLoss',
      'label 5',
    ]);
    throwsA(tg.ShapeError, () => new nn.CrossEntropyLoss().forward(tg.zeros([3]), idx([1, 2])), [
      'unbatched input [3]',
      'a class index (a scalar) or probabilities [3]',
    ]);
    throwsA(tg.ValueError, () => new nn.MSELoss().forward(x23(), [1, 2, 3] as never), [
      'MSELoss',
      'target (the 2nd argument) must be a Tensor, got an array',
    ]);
    throwsA(tg.ValueError, () => new nn.L1Loss().forward(idx([1, 2]), idx([1, 2])), [
      'L1Loss',
      'float32 or float64',
      'int32',
    ]);
  });
  it('an elementwise loss broadcasts a target of another size with PyTorch`s warning, once per module', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const mse = new nn.MSELoss({ reduction: 'none' });
    expect(mse.forward(x23(), tg.tensor([1, 2, 3])).shape).toEqual([2, 3]);
    mse.forward(x23(), tg.tensor([1, 2, 3]));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(
      'Using a target size (torch.Size([3])) that is different to the input size (torch.Size([2, 3])). This will likely lead to incorrect results due to broadcasting.',
    );
    mse.forward(x23(), x23());
    expect(warn).toHaveBeenCalledTimes(1);
  });
  it('criteria run hooks and train a model: the gradient reaches the parameters', () => {
    tg.setSeed(5);
    const lin = new nn.Linear(3, 4, { dtype: 'float64' });
    const ce = new nn.CrossEntropyLoss();
    const seen: number[][] = [];
    ce.registerForwardHook((_m, _x, y) => void seen.push([...(y as tg.Tensor).shape]));
    const x = tg.tensor(wave([2, 3], 71).data, [2, 3], { dtype: 'float64' });
    const loss = ce.forward(lin.forward(x), tg.tensor([3, 0], [2], { dtype: 'int32' }));
    loss.backward();
    expect(seen).toEqual([[]]);
    expect(lin.weight.grad!.shape).toEqual([4, 3]);
    expect(lin.weight.grad!.data.some((v) => v !== 0)).toBe(true);
  });
});
