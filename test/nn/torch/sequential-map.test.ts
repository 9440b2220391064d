// tg.nn.Sequential(Map) (PyTorch's Sequential(OrderedDict(...))): the names are the children's names, so state-dict
// keys equal PyTorch 1.13's for the same OrderedDict (printed by Debian's python3-torch, the call quoted below), and
// the modules are still reached by position.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;

/**
 * torch: m = nn.Sequential(OrderedDict([('conv1', nn.Conv2d(1, 4, 3)), ('bn', nn.BatchNorm2d(4)),
 *   ('relu1', nn.ReLU()), ('fc', nn.Flatten())])); list(m.state_dict())
 *   → ['conv1.weight', 'conv1.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var',
 *      'bn.num_batches_tracked']; after m.append(nn.Linear(2, 2)) the new keys are '4.weight', '4.bias'
 */
const KEYS = [
  'conv1.weight',
  'conv1.bias',
  'bn.weight',
  'bn.bias',
  'bn.running_mean',
  'bn.running_var',
  'bn.num_batches_tracked',
];
const make = () =>
  new nn.Sequential(
    new Map<string, tg.Layer>([
      ['conv1', new nn.Conv2d(1, 4, 3)],
      ['bn', new nn.BatchNorm2d(4)],
      ['relu1', new nn.ReLU()],
      ['fc', new nn.Flatten()],
    ]),
  );

describe('tg.nn.Sequential(Map)', () => {
  it("names the children by the Map keys: state-dict keys equal PyTorch's; positions still index", () => {
    const m = make();
    expect(Object.keys(m.stateDict())).toEqual(KEYS);
    expect(m.namedChildren().map(([k]) => k)).toEqual(['conv1', 'bn', 'relu1', 'fc']);
    expect(m.at(0)).toBeInstanceOf(nn.Conv2d);
    expect(m.at(-1)).toBeInstanceOf(nn.Flatten);
    expect(m.length).toBe(4);
    m.append(new nn.Linear(2, 2));
    expect(Object.keys(m.stateDict()).slice(-2)).toEqual(['4.weight', '4.bias']);
  });

  it('runs the modules in order and loads a state dict by those names', () => {
    const m = make();
    const x = tg.randn([2, 1, 5, 5]);
    const conv = m.at(0) as InstanceType<typeof nn.Conv2d>;
    const bn = m.at(1) as InstanceType<typeof nn.BatchNorm2d>;
    const want = tg.reshape(tg.relu(bn.forward(conv.forward(x))), [2, 36]);
    bn.runningMean!.data.fill(0);
    bn.runningVar!.data.fill(1);
    (bn as unknown as { numBatchesTracked: number }).numBatchesTracked = 0;
    expect(Array.from(m.forward(x).data)).toEqual(Array.from(want.data));
    const other = make();
    other.loadStateDict(m.stateDict());
    expect(Array.from((other.at(0) as typeof conv).weight.data)).toEqual(Array.from(conv.weight.data));
  });

  it('refuses bad names and values by name, and a Map beside other arguments', () => {
    throwsA(tg.ValueError, () => new nn.Sequential(new Map([['a.b', new nn.ReLU()]])), [
      'Sequential: module name can\'t contain ".", got: a.b',
    ]);
    throwsA(tg.ValueError, () => new nn.Sequential(new Map([['relu', 3 as never]])), [
      "Sequential: the module 'relu' must be a Module, got 3",
    ]);
    throwsA(tg.ValueError, () => new nn.Sequential(new nn.ReLU(), new Map() as never), [
      'argument 1 must be a Module, got a Map',
    ]);
  });
});
