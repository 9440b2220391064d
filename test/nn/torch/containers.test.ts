// tg.nn.ModuleList, ModuleDict and Sequential's list methods against PyTorch 1.13 (names, shapes and messages from
// Debian's python3-torch, the calls quoted beside them).
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;

/**
 * torch: blocks = ModuleList([Linear(2, 2)]); blocks.append(Linear(2, 3)); blocks.insert(0, Linear(4, 2));
 *   blocks.extend([ReLU(), Linear(3, 1)]); heads = ModuleDict({'cls': Linear(3, 5)}); heads['box'] = Linear(3, 4);
 *   seq = Sequential(Linear(1, 1)); seq.append(ReLU()); seq.insert(-1, Linear(1, 2))
 */
class M extends nn.Module {
  blocks = new nn.ModuleList([new nn.Linear(2, 2)]);
  heads = new nn.ModuleDict({ cls: new nn.Linear(3, 5) });
  seq = new nn.Sequential(new nn.Linear(1, 1));
  constructor() {
    super();
    this.blocks.append(new nn.Linear(2, 3)).insert(0, new nn.Linear(4, 2));
    this.blocks.extend([new nn.ReLU(), new nn.Linear(3, 1)]);
    this.heads.set('box', new nn.Linear(3, 4));
    this.seq.append(new nn.ReLU()).insert(-1, new nn.Linear(1, 2));
  }
  forward(x: tg.Tensor): tg.Tensor {
    return x;
  }
}

describe('containers: PyTorch`s names', () => {
  it('state dict names and shapes, and named_modules, after append / insert / extend / set', () => {
    const m = new M();
    // torch: [(k, list(v.shape)) for k, v in m.state_dict().items()]
    expect(Object.entries(m.stateDict()).map(([k, v]) => [k, v.shape])).toEqual([
      ['blocks.0.weight', [2, 4]],
      ['blocks.0.bias', [2]],
      ['blocks.1.weight', [2, 2]],
      ['blocks.1.bias', [2]],
      ['blocks.2.weight', [3, 2]],
      ['blocks.2.bias', [3]],
      ['blocks.4.weight', [1, 3]],
      ['blocks.4.bias', [1]],
      ['heads.cls.weight', [5, 3]],
      ['heads.cls.bias', [5]],
      ['heads.box.weight', [4, 3]],
      ['heads.box.bias', [4]],
      ['seq.0.weight', [1, 1]],
      ['seq.0.bias', [1]],
      ['seq.1.weight', [2, 1]],
      ['seq.1.bias', [2]],
    ]);
    // torch: [k for k, _ in m.named_modules()]
    expect(m.namedModules().map(([k]) => k)).toEqual([
      '',
      'blocks',
      'blocks.0',
      'blocks.1',
      'blocks.2',
      'blocks.3',
      'blocks.4',
      'heads',
      'heads.cls',
      'heads.box',
      'seq',
      'seq.0',
      'seq.1',
      'seq.2',
    ]);
    expect(m.namedParameters().map(([k]) => k)).toEqual(Object.keys(m.stateDict()));
    // torch: m.seq(ones(3, 1)).shape → (3, 2); [type(x) for x in m.seq] → Linear, Linear, ReLU; len 3, 5; keys
    expect(m.seq.forward(tg.ones([3, 1])).shape).toEqual([3, 2]);
    expect([...m.seq].map((l) => l.className)).toEqual(['Linear', 'Linear', 'ReLU']);
    expect(m.seq.at(-1).className).toBe('ReLU');
    expect([m.seq.length, m.blocks.length, m.heads.length]).toEqual([3, 5, 2]);
    expect(m.heads.keys()).toEqual(['cls', 'box']);
    // torch: iter(heads) gives the keys
    expect([...m.heads]).toEqual(['cls', 'box']);
    // torch: p = m.blocks.pop(1) → Linear(2, 2); the blocks after it move up: blocks.0, blocks.1, blocks.3
    const p = m.blocks.pop(1) as tg.nn.Linear;
    expect(p.inFeatures).toBe(2);
    expect(Object.keys(m.stateDict()).filter((k) => k.startsWith('blocks'))).toEqual([
      'blocks.0.weight',
      'blocks.0.bias',
      'blocks.1.weight',
      'blocks.1.bias',
      'blocks.3.weight',
      'blocks.3.bias',
    ]);
  });
  it('a module list in a plain module trains: parameters follow appends, train/eval reach the members', () => {
    const m = new M();
    const n = m.parameters().length;
    m.blocks.append(new nn.Linear(1, 1));
    expect(m.parameters().length).toBe(n + 2);
    m.eval();
    expect([...m.blocks].every((b) => !b.training)).toBe(true);
    expect(m.heads.values().every((b) => !b.training)).toBe(true);
    m.heads.set('cls', new nn.Identity());
    expect(m.heads.entries().map(([k, v]) => [k, v.className])).toEqual([
      ['cls', 'Identity'],
      ['box', 'Linear'],
    ]);
  });
});

describe('containers: lookups and refusals with PyTorch`s words', () => {
  it('ModuleList / Sequential indices', () => {
    const l = new nn.ModuleList([new nn.ReLU(), new nn.Tanh()]);
    expect(l.get(-2)).toBe(l.at(0));
    // torch: ModuleList([Linear(1, 1)])[3] → IndexError: index 3 is out of range; Sequential(ReLU())[-2] likewise
    throwsA(tg.ValueError, () => l.at(3), ['ModuleList', 'index 3 is out of range']);
    throwsA(tg.ValueError, () => new nn.Sequential(new nn.ReLU()).at(-2), [
      'Sequential',
      'index -2 is out of range',
    ]);
    throwsA(tg.ValueError, () => l.at(0.5), ['index must be an integer', '0.5']);
    // torch: Sequential.insert → IndexError: Index out of range: 5
    throwsA(tg.ValueError, () => l.insert(5, new nn.ReLU()), ['Index out of range: 5']);
    // torch: ModuleList([3]) → TypeError: int is not a Module subclass
    throwsA(tg.ValueError, () => new nn.ModuleList([3 as never]), [
      'ModuleList',
      'element 0 must be a Module',
      'got 3',
    ]);
    throwsA(tg.ValueError, () => l.append({} as never), ['must be a Module', 'an object']);
    throwsA(tg.ValueError, () => l.extend(3 as never), ['extend should be called with an iterable']);
    l.set(1, new nn.Sigmoid());
    expect(l.at(1).className).toBe('Sigmoid');
    // torch: ModuleList()(x) → NotImplementedError: Module [ModuleList] is missing the required "forward" function
    throwsA(tg.ValueError, () => l.forward(), [
      'Module [ModuleList] is missing the required "forward" function',
    ]);
  });
  it('ModuleDict keys', () => {
    const d = new nn.ModuleDict(
      new Map<string, tg.Layer>([
        ['2', new nn.ReLU()],
        ['1', new nn.Tanh()],
      ]),
    );
    expect(d.keys()).toEqual(['2', '1']);
    expect(new nn.ModuleDict([['x', new nn.ReLU()]]).has('x')).toBe(true);
    // torch: ModuleDict({'a.b': ReLU()}) → KeyError: module name can't contain ".", got: a.b; d['b'] → KeyError: 'b'
    throwsA(tg.ValueError, () => d.set('a.b', new nn.ReLU()), [`module name can't contain ".", got: a.b`]);
    throwsA(tg.ValueError, () => d.set('', new nn.ReLU()), [`module name can't be empty string ""`]);
    throwsA(tg.ValueError, () => d.get('b'), ['ModuleDict', 'no module named "b"', 'keys: 2, 1']);
    throwsA(tg.ValueError, () => d.update([['a', new nn.ReLU(), 3]] as never), ['element #0', 'length 3']);
    throwsA(tg.ValueError, () => new nn.ModuleDict({ a: 3 as never }), [
      `the value for 'a' must be a Module`,
    ]);
    expect(d.pop('2').className).toBe('ReLU');
    d.clear();
    expect(d.length).toBe(0);
  });
});
