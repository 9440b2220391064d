// The forward extra-argument check reads forward's parameter list from its source (forward-args.ts): comments and
// regex literals in it are no parameters, so neither a refusal of a call PyTorch accepts nor a count that lets an
// extra argument through; and a forward assigned as a class field (an arrow property) is called, also from a
// container. The classes are made from source text (eval), so the comments reach Function.prototype.toString as a
// user's unbundled code would have them.
// PyTorch: class M(nn.Module): def forward(self, x, y): ... ; M()(a, b) runs, M()(a, b, c) raises TypeError.
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { throwsA } from '../../support/throws.js';

const nn = tg.nn;
type Fwd = (...a: unknown[]) => tg.Tensor;
/** A Module subclass whose class body is `body`, compiled from the text as is. */
const moduleFrom = (body: string): tg.nn.Module =>
  new (new Function('nn', 'tg', `return class M extends nn.Module { ${body} }`)(nn, tg))();
const x = () => tg.ones([2]);

describe('forward parameters counted from the source', () => {
  it('a comment holding a parenthesis, a comma or an apostrophe is no parameter', () => {
    const cases: [string, number][] = [
      ['forward(a, /* (b */ b) { return tg.add(a, b); }', 2],
      ['forward(a, // a) note\n b) { return tg.add(a, b); }', 2],
      ["forward(a, // don't\n b, c = null) { return tg.add(a, b); }", 3],
      ['forward(a /* , b */) { return a; }', 1],
    ];
    for (const [body, n] of cases) {
      const m = moduleFrom(body);
      const args = Array.from({ length: n }, x);
      expect(() => (m.forward as Fwd)(...args), body).not.toThrow();
      throwsA(tg.ValueError, () => (m.forward as Fwd)(...args, x()), [
        `forward() takes ${n} positional argument${n === 1 ? '' : 's'} but ${n + 1} were given`,
      ]);
    }
  });

  it('a regex literal in a default holding a parenthesis or a comma is one default', () => {
    const m = moduleFrom('forward(a, re = /[),]/, b = null) { return b ? tg.add(a, b) : a; }');
    expect(Array.from((m.forward as Fwd)(x(), /x/, x()).data)).toEqual([2, 2]);
    throwsA(tg.ValueError, () => (m.forward as Fwd)(x(), /x/, x(), x()), [
      'forward() takes 3 positional arguments but 4 were given',
    ]);
  });

  it('a forward assigned as a class field (an arrow property) runs, also inside Sequential', () => {
    class Twice extends nn.Module {
      forward = (a: tg.Tensor): tg.Tensor => tg.mul(a, 2);
    }
    expect(Array.from(new Twice().forward(x()).data)).toEqual([2, 2]);
    const seq = new nn.Sequential(new Twice(), new Twice());
    expect(Array.from((seq.forward(x()) as tg.Tensor).data)).toEqual([4, 4]);
  });
});
