// tg.nn.ParameterList / tg.nn.ParameterDict: PyTorch's parameter names (`plist.0`, `pdict.alpha`) in stateDict and
// namedParameters, checked against the names PyTorch 1.13 gives the same module tree (modules3-data.ts), loading,
// training, and the list/dict operations and their errors.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';
import { FIX } from './modules3-data.js';

/** The module tree of gen.py's Holder, built the same way. */
class Holder extends tg.nn.Module {
  lin = new tg.nn.Linear(2, 2);
  plist = new tg.nn.ParameterList([tg.nn.Parameter(tg.zeros([2])), tg.zeros([3])]);
  pdict = new tg.nn.ParameterDict({ alpha: tg.nn.Parameter(tg.zeros([1])) });
  bil = new tg.nn.Bilinear(2, 3, 4);
  bag = new tg.nn.EmbeddingBag(5, 2);
  constructor() {
    super();
    this.plist.append(tg.zeros([1]));
    this.pdict.set('beta_x', tg.zeros([2]));
  }
  forward(x: tg.Tensor): tg.Tensor {
    return x;
  }
}

describe('ParameterList / ParameterDict names', () => {
  it("stateDict and namedParameters give PyTorch 1.13's names, in its order", () => {
    const h = new Holder();
    expect(Object.keys(h.stateDict())).toEqual(FIX.state_dict_names);
    expect(h.namedParameters().map(([n]) => n)).toEqual(FIX.parameter_names);
    expect(h.plist.at(1).shape).toEqual([3]);
    expect(h.plist.at(1).requiresGrad).toBe(true); // a plain tensor became a Parameter
  });
  it('loadStateDict fills the tensors under those names; an optimizer step trains them', () => {
    const h = new Holder();
    const sd = h.stateDict();
    sd['plist.2'] = tg.tensor([5]);
    sd['pdict.beta_x'] = tg.tensor([1, 2]);
    h.loadStateDict(sd);
    expect(h.plist.at(-1).toArray()).toEqual([5]);
    expect(h.pdict.get('beta_x').toArray()).toEqual([1, 2]);
    const p = h.pdict.get('alpha');
    tg.sum(tg.mul(p, 3)).backward();
    new tg.SGD(h.parameters(), { lr: 0.5 }).step();
    expect(h.pdict.get('alpha').toArray()).toEqual([-1.5]);
  });
});

describe('ParameterList', () => {
  it('indexes, replaces, extends and iterates as a list; names follow positions', () => {
    const l = new tg.nn.ParameterList();
    expect(l.length).toBe(0);
    l.extend([tg.ones([1]), tg.ones([2])]).append(tg.ones([3]));
    expect([...l].map((t) => t.shape[0])).toEqual([1, 2, 3]);
    l.set(-1, tg.zeros([4]));
    expect(l.at(2).shape).toEqual([4]);
    expect(l.namedParameters().map(([n, t]) => [n, t.shape[0]])).toEqual([
      ['0', 1],
      ['1', 2],
      ['2', 4],
    ]);
    // an op's output is cut from the tape, so the parameter is a leaf
    const y = tg.mul(tg.ones([2]).requireGrad(true), 2);
    expect(l.append(y).at(3).isLeaf).toBe(true);
  });
  it('refuses what PyTorch refuses, and non-tensors by name', () => {
    const l = new tg.nn.ParameterList([tg.ones([1])]);
    throwsA(tg.ValueError, () => l.at(1), ['index 1 is out of range']);
    throwsA(tg.ValueError, () => l.extend(tg.ones([2]) as never), [
      'extend should be called with an iterable',
    ]);
    throwsA(tg.ValueError, () => l.append(3 as never), [
      'must be a Tensor (a ParameterList/ParameterDict holds tensors only)',
    ]);
    throwsA(tg.ValueError, () => l.forward(), ['should not be called']);
  });
});

describe('ParameterDict', () => {
  it('keeps insertion order, pops and clears; names follow keys', () => {
    const d = new tg.nn.ParameterDict([
      ['b', tg.ones([1])],
      ['a', tg.ones([2])],
    ]);
    expect(d.keys()).toEqual(['b', 'a']);
    expect(Object.keys(d.stateDict())).toEqual(['b', 'a']);
    expect(d.pop('b').shape).toEqual([1]);
    expect(Object.keys(d.stateDict())).toEqual(['a']);
    d.update(new Map([['c', tg.ones([3])]]));
    expect([...d]).toEqual(['a', 'c']);
    expect(d.has('c')).toBe(true);
    d.clear();
    expect(d.length).toBe(0);
    expect(d.namedParameters()).toEqual([]);
  });
  it('refuses bad keys and values', () => {
    const d = new tg.nn.ParameterDict();
    throwsA(tg.ValueError, () => d.set('a.b', tg.ones([1])), ['parameter name can\'t contain "."']);
    throwsA(tg.ValueError, () => d.set('training', tg.ones([1])), ["attribute 'training' already exists"]);
    throwsA(tg.ValueError, () => d.get('x'), ['no parameter named "x"']);
    throwsA(tg.ValueError, () => d.set('x', [1] as never), ['must be a Tensor']);
  });
});
