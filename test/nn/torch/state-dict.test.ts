// tg.nn's stateDict / loadStateDict, registerBuffer and namedModules / namedChildren against PyTorch 1.13 (names, order,
// messages and values from Debian's python3-torch in float64, the calls quoted beside them).
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
const f64 = (v: number[], shape = [v.length]) => tg.tensor(v, shape, { dtype: 'float64' });

/**
 * torch: class Net(nn.Module): conv1 = nn.Conv2d(1, 2, 3); bn = nn.BatchNorm2d(2);
 *   register_buffer('mask', ones(2), persistent=False); register_buffer('scale', ones(1));
 *   layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()]); d = nn.ModuleDict({'a': nn.Linear(2, 1)}); alias = conv1
 */
class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 2, 3);
  bn = new nn.BatchNorm2d(2);
  layers = new nn.ModuleList([new nn.Linear(2, 2), new nn.ReLU()]);
  d = new nn.ModuleDict({ a: new nn.Linear(2, 1) });
  alias = this.conv1;
  declare mask: tg.Tensor;
  declare scale: tg.Tensor;
  constructor() {
    super();
    this.registerBuffer('mask', tg.ones([2]), { persistent: false });
    this.registerBuffer('scale', tg.ones([1]));
  }
  forward(x: tg.Tensor): tg.Tensor {
    return x;
  }
}
// torch: list(Net().state_dict().keys())
const TORCH_KEYS = [
  'scale',
  'conv1.weight',
  'conv1.bias',
  'bn.weight',
  'bn.bias',
  'bn.running_mean',
  'bn.running_var',
  'bn.num_batches_tracked',
  'layers.0.weight',
  'layers.0.bias',
  'd.a.weight',
  'd.a.bias',
  'alias.weight',
  'alias.bias',
];

describe('stateDict: PyTorch`s names and order, copies', () => {
  it('parameters and persistent buffers module by module; a module held twice under both names', () => {
    const net = new Net();
    expect(Object.keys(net.stateDict())).toEqual(TORCH_KEYS);
    // torch: [k for k, _ in net.named_modules()] and net.named_children()
    expect(net.namedModules().map(([k]) => k)).toEqual([
      '',
      'conv1',
      'bn',
      'layers',
      'layers.0',
      'layers.1',
      'd',
      'd.a',
    ]);
    expect(net.modules()[0]).toBe(net);
    expect(net.modules()[4]).toBe(net.layers.at(0));
    expect(net.namedChildren().map(([k]) => k)).toEqual(['conv1', 'bn', 'layers', 'd']);
    expect(net.namedModules({ removeDuplicate: false }).map(([k]) => k)).toContain('alias');
    expect(
      net
        .namedModules({ prefix: 'm' })
        .map(([k]) => k)
        .slice(0, 2),
    ).toEqual(['m', 'm.conv1']);
    // torch: [k for k, _ in net.named_buffers()] (the non-persistent mask included)
    expect(net.namedBuffers().map(([k]) => k)).toEqual([
      'mask',
      'scale',
      'bn.running_mean',
      'bn.running_var',
      'bn.num_batches_tracked',
    ]);
    expect(Object.keys(net.stateDict({ prefix: 'model.' }))[1]).toBe('model.conv1.weight');
  });
  it('each module`s own state names, as PyTorch`s', () => {
    // torch: list(m.state_dict().keys()) for each module below
    const keys = (m: tg.nn.Module) => Object.keys(m.stateDict());
    const lstm = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'];
    expect(keys(new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true }))).toEqual(
      ['l0', 'l0_reverse', 'l1', 'l1_reverse'].flatMap((s) => lstm.map((k) => k.replace('l0', s))),
    );
    expect(keys(new nn.GRU(3, 4, { bias: false }))).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(keys(new nn.LayerNorm(3))).toEqual(['weight', 'bias']);
    expect(keys(new nn.Embedding(3, 2))).toEqual(['weight']);
    expect(keys(new nn.BatchNorm1d(2, { affine: false }))).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
    expect(keys(new nn.BatchNorm1d(2, { trackRunningStats: false }))).toEqual(['weight', 'bias']);
    expect(keys(new nn.ConvTranspose2d(1, 2, 3, { bias: false }))).toEqual(['weight']);
  });
  it('the values are detached copies: changing either side leaves the other', () => {
    const lin = new nn.Linear(2, 2);
    const sd = lin.stateDict();
    expect(sd.weight).not.toBe(lin.weight);
    expect(sd.weight.requiresGrad).toBe(false);
    expect(Array.from(sd.weight.data)).toEqual(Array.from(lin.weight.data));
    const before = Array.from(lin.weight.data);
    sd.weight.data[0] = 42;
    expect(Array.from(lin.weight.data)).toEqual(before);
    lin.weight.data[1] = -7;
    expect(sd.weight.data[1]).toBe(before[1]);
    const bn = new nn.BatchNorm1d(2);
    expect(bn.stateDict().num_batches_tracked.dtype).toBe('int32');
  });
  it('keepVars and unknown options are refused by name', () => {
    throwsA(tg.ValueError, () => new nn.Linear(1, 1).stateDict({ keepVars: true } as never), [
      'keepVars is not supported',
      'namedParameters()',
    ]);
    throwsA(tg.ValueError, () => new nn.Linear(1, 1).stateDict({ destination: {} } as never), [
      "'destination'",
    ]);
    throwsA(tg.ValueError, () => new nn.Linear(1, 1).namedModules({ memo: 1 } as never), ["'memo'"]);
  });
});

describe('loadStateDict', () => {
  it('loads a PyTorch state dict: the eval-mode output is PyTorch`s', () => {
    // torch: manual_seed(0); Net = fc: Linear(3, 2), bn: BatchNorm1d(2); two train-mode calls on randn(4, 3); eval();
    //   bn.weight = [1.5, -0.5], bn.bias = [0.25, 0.1]; net.state_dict() below; net(tensor([[0.5, -1, 2], [1, 0.25, -0.5]]))
    class Small extends nn.Module {
      fc = new nn.Linear(3, 2, { dtype: 'float64' });
      bn = new nn.BatchNorm1d(2, { dtype: 'float64' });
      forward(x: tg.Tensor): tg.Tensor {
        return this.bn.forward(this.fc.forward(x));
      }
    }
    const m = new Small().eval();
    const res = m.loadStateDict(
      new Map([
        [
          'fc.weight',
          f64(
            [
              0.5427704542528101, 0.23996970930833816, -0.046900537438113156, 0.48583757737745076,
              0.16745942958373372, 0.3361886278485809,
            ],
            [2, 3],
          ),
        ],
        ['fc.bias', f64([-0.3711136225274598, -0.17192610627289664])],
        ['bn.weight', f64([1.5, -0.5])],
        ['bn.bias', f64([0.25, 0.1])],
        ['bn.running_mean', f64([-0.09938134712841917, -0.06311847731725614])],
        ['bn.running_var', f64([0.858216270114506, 0.9067111309103544])],
        ['bn.num_batches_tracked', tg.tensor(2, [], { dtype: 'int32' })],
      ]),
    );
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(m.bn.numBatchesTracked).toBe(2);
    const y = m.forward(f64([0.5, -1, 2, 1, 0.25, -0.5], [2, 3]));
    const want = [-0.29099096532121443, -0.23554725759474174, 0.8239620339617068, -0.03169264481294375];
    want.forEach((v, i) => expect(y.data[i]).toBeCloseTo(v, 13));
  });
  it('round trip between two models; float64 values cast into float32 weights', () => {
    tg.setSeed(1);
    const a = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    const b = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const x = tg.randn([2, 3]);
    expect(Array.from(b.forward(x).data)).toEqual(Array.from(a.forward(x).data));
    b.loadStateDict(
      {
        '0.weight': f64(
          Array.from({ length: 12 }, (_, i) => i / 3),
          [4, 3],
        ),
      },
      { strict: false },
    );
    expect(b.at(0)).toBeInstanceOf(nn.Linear);
    expect((b.at(0) as tg.nn.Linear).weight.dtype).toBe('float32');
    expect((b.at(0) as tg.nn.Linear).weight.data[1]).toBe(Math.fround(1 / 3));
  });
  it('strict: PyTorch`s message (missing, unexpected, size mismatches) and nothing loaded', () => {
    const net = new Net();
    const sd = net.stateDict();
    sd.extra = tg.zeros([1]);
    sd['conv1.weight.x'] = tg.zeros([1]); // under a parameter: PyTorch does not report it
    sd['layers.5.weight'] = tg.zeros([1]);
    sd['layers.1.weight'] = tg.zeros([1]);
    delete sd.scale;
    sd['conv1.weight'] = tg.zeros([3]);
    sd['bn.weight'] = tg.zeros([5]);
    sd['d.a.bias'] = tg.full([1], 9);
    const bias = Array.from(net.d.get('a').weights[1].value.data);
    // torch: net.load_state_dict(sd) (the same changes) → RuntimeError:
    let err: unknown;
    try {
      net.loadStateDict(sd);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(tg.ValueError);
    expect((err as Error).message).toBe(
      'Error(s) in loading state_dict for Net:\n\tMissing key(s) in state_dict: "scale". \n\tUnexpected key(s) in state_dict: "extra", "layers.5.weight", "layers.1.weight". \n\tsize mismatch for conv1.weight: copying a param with shape torch.Size([3]) from checkpoint, the shape in current model is torch.Size([2, 1, 3, 3]).\n\tsize mismatch for bn.weight: copying a param with shape torch.Size([5]) from checkpoint, the shape in current model is torch.Size([2]).',
    );
    expect(Array.from(net.d.get('a').weights[1].value.data)).toEqual(bias);
    // size mismatches throw with strict false too; without them the lists come back (torch: _IncompatibleKeys(...))
    throwsA(tg.ValueError, () => net.loadStateDict(sd, { strict: false }), [
      'size mismatch for conv1.weight',
    ]);
    delete sd['conv1.weight'];
    delete sd['bn.weight'];
    expect(net.loadStateDict(sd, { strict: false })).toEqual({
      missingKeys: ['scale', 'conv1.weight', 'bn.weight'],
      unexpectedKeys: ['extra', 'layers.5.weight', 'layers.1.weight'],
    });
    expect(Array.from(net.d.get('a').weights[1].value.data)).toEqual([9]);
  });
  it('a value that is no tensor, a non-dict, bad options', () => {
    // torch: net.load_state_dict({'conv1.weight': 3}, strict=False) → RuntimeError: ... While copying the parameter
    //   named "conv1.weight", expected torch.Tensor or Tensor-like object from checkpoint but received <class 'int'>
    throwsA(tg.ValueError, () => new Net().loadStateDict({ 'conv1.weight': 3 } as never, { strict: false }), [
      'Error(s) in loading state_dict for Net:\n\tWhile copying the parameter named "conv1.weight"',
      'but received a number',
    ]);
    throwsA(tg.ValueError, () => new Net().loadStateDict([] as never), [
      'Expected state_dict to be dict-like, got an array',
    ]);
    throwsA(tg.ValueError, () => new Net().loadStateDict({}, { strict: 1 } as never), [
      'strict must be true or false',
    ]);
    throwsA(tg.ValueError, () => new Net().loadStateDict({}, { assign: true } as never), ["'assign'"]);
  });
  it('a missing num_batches_tracked loads 0 (PyTorch, for a dict without version metadata); [1] fills a scalar', () => {
    // torch: m = nn.BatchNorm1d(2); sd = dict(m.state_dict()); del sd['num_batches_tracked']; m.load_state_dict(sd)
    //   → <All keys matched successfully>, num_batches_tracked 0
    const bn = new nn.BatchNorm1d(2);
    bn.numBatchesTracked = 5;
    const sd = bn.stateDict();
    delete sd.num_batches_tracked;
    expect(bn.loadStateDict(sd)).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(bn.numBatchesTracked).toBe(0);
    // torch (_load_from_state_dict): a 1-dim value for a 0-dim parameter gives its first element
    bn.loadStateDict({ ...sd, num_batches_tracked: tg.tensor([7], [1], { dtype: 'int32' }) });
    expect(bn.numBatchesTracked).toBe(7);
  });
  it('through safetensors: saveSafetensors takes the record, loadStateDict the Map a reader gives', () => {
    tg.setSeed(2);
    const a = new Net();
    const b = new Net();
    const bytes = tg.encodeSafetensors(a.stateDict());
    expect(b.loadStateDict(tg.parseSafetensors(bytes).tensors)).toEqual({
      missingKeys: [],
      unexpectedKeys: [],
    });
    expect(Array.from(b.conv1.weight.data)).toEqual(Array.from(a.conv1.weight.data));
  });
  it('marks what it writes as changed in place: a graph recorded before cannot backpropagate', () => {
    const lin = new nn.Linear(2, 2);
    const y = tg.sum(lin.forward(tg.ones([1, 2])));
    lin.loadStateDict(new nn.Linear(2, 2).stateDict());
    throwsA(tg.GradError, () => y.backward(), ['changed in place']);
  });
  it('a Keras-wing layer inside a Module goes by its weight names', () => {
    class Mixed extends nn.Module {
      dense = tg.layers.dense({ units: 2, inputShape: [3] });
      forward(x: tg.Tensor): tg.Tensor {
        return this.dense.apply(x) as tg.Tensor;
      }
    }
    const a = new Mixed();
    a.forward(tg.ones([1, 3]));
    expect(Object.keys(a.stateDict())).toEqual(['dense.kernel', 'dense.bias']);
    const b = new Mixed();
    b.forward(tg.ones([1, 3]));
    expect(b.loadStateDict(a.stateDict())).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(Array.from(b.dense.weights[0].value.data)).toEqual(Array.from(a.dense.weights[0].value.data));
  });
});

describe('registerBuffer', () => {
  it('persistent buffers are state, non-persistent ones only buffers; null registers a name without a value', () => {
    const net = new Net();
    expect(net.mask).toBeInstanceOf(tg.Tensor);
    expect('mask' in net.stateDict()).toBe(false);
    net.registerBuffer('later', null);
    expect(Object.keys(net.stateDict())).not.toContain('later');
    (net as unknown as { later: tg.Tensor }).later = tg.zeros([2]);
    expect(Object.keys(net.stateDict()).slice(0, 2)).toEqual(['scale', 'later']); // registration order, as PyTorch
    // re-registering replaces the tensor and the persistence
    net.registerBuffer('mask', tg.zeros([3]));
    expect(net.stateDict().mask.shape).toEqual([3]);
    expect(net.parameters()).not.toContain(net.mask);
    net.loadStateDict({ ...net.stateDict(), scale: tg.tensor([4]) });
    expect(Array.from(net.scale.data)).toEqual([4]);
  });
  it('refuses bad names and values with PyTorch`s words', () => {
    const net = new Net();
    // torch: KeyError: buffer name can't contain "." / attribute 'conv1' already exists / buffer name can't be
    //   empty string "" / TypeError: cannot assign 'int' object to buffer 'q' (torch Tensor or None required)
    throwsA(tg.ValueError, () => net.registerBuffer('a.b', tg.ones([1])), [`buffer name can't contain "."`]);
    throwsA(tg.ValueError, () => net.registerBuffer('conv1', tg.ones([1])), [
      `attribute 'conv1' already exists`,
    ]);
    throwsA(tg.ValueError, () => net.registerBuffer('forward', tg.ones([1])), [
      `attribute 'forward' already exists`,
    ]);
    throwsA(tg.ValueError, () => net.registerBuffer('', tg.ones([1])), [
      `buffer name can't be empty string ""`,
    ]);
    throwsA(tg.ValueError, () => net.registerBuffer('q', 3 as never), [
      `cannot assign a number to buffer 'q'`,
    ]);
    throwsA(tg.ValueError, () => net.registerBuffer('q', tg.ones([1]), { persistent: 'no' } as never), [
      'persistent must be true or false',
    ]);
  });
});
