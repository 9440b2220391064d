// Adversarial user programs against deterministic release (docs/memory.md): breaking a rule gives an error that
// names the tensor and says the fix that applies to what the program did, never stale values or a bare TypeError.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { wasm } from '../support/backend.js';

const rng = (seed: number) => new tg.Rng(seed);
const errorOf = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
};

/** A Module whose forward keeps intermediates in fields: `pre` and `hidden` only the graph needs, `side` nothing. */
class Stash extends tg.nn.Module {
  fc1 = new tg.nn.Linear(64, 128);
  fc2 = new tg.nn.Linear(128, 8);
  keepIt = false;
  pre: tg.Tensor | null = null;
  hidden: tg.Tensor | null = null;
  forward(x: tg.Tensor) {
    this.pre = this.fc1.forward(x);
    this.hidden = tg.relu(this.keepIt ? tg.keep(this.pre) : this.pre);
    if (this.keepIt) tg.keep(this.hidden);
    return this.fc2.forward(this.hidden);
  }
}

describe('a value a layer kept in a field, read after backward()', () => {
  it('says to keep it with tg.keep (no retainGraph advice), and that advice works', () => {
    const net = new Stash();
    const x = tg.randn([64, 64], { rng: rng(1) });
    const loss = tg.mean(tg.square(net.forward(x)));
    expect(net.hidden!.data.length).toBe(64 * 128); // readable until backward
    loss.backward();
    const e = errorOf(() => net.hidden!.data);
    expect(e).toBeInstanceOf(tg.ReleasedError);
    expect(e.message).toMatch(
      /\[64,128\] float32 tensor made by 'relu' in stash was released after backward\(\)/,
    );
    expect(e.message).toMatch(/only the graph held it .*keep it with tg\.keep\(t\) where it is made/s);
    expect(e.message).not.toMatch(/retainGraph/);
    // as advised: kept where it is made, it stays readable after backward
    net.keepIt = true;
    const y = net.forward(x);
    tg.mean(tg.square(y)).backward();
    expect(net.hidden!.data.every(Number.isFinite)).toBe(true);
    expect(net.pre!.data.length).toBe(64 * 128);
  });

  it('a second backward through the same graph still says retainGraph', () => {
    const net = new Stash();
    const loss = tg.mean(tg.square(net.forward(tg.randn([64, 64], { rng: rng(2) }))));
    loss.backward();
    const e = errorOf(() => loss.backward());
    expect(e).toBeInstanceOf(tg.ReleasedError);
    expect(e.message).toContain(
      'was released after backward() used it; to run backward through the same graph again, call the first one as loss.backward(undefined, { retainGraph: true })',
    );
    expect(e.message).not.toMatch(/only the graph held it/);
  });

  it('a truncated-BPTT loop that carries a field across steps is told to keep it', () => {
    class Cell extends tg.nn.Module {
      fc = new tg.nn.Linear(64, 64);
      h: tg.Tensor | null = null;
      forward(x: tg.Tensor) {
        this.h = tg.tanh(this.h === null ? this.fc.forward(x) : tg.add(this.fc.forward(x), this.h));
        return tg.mul(this.h, 2);
      }
    }
    const cell = new Cell();
    const x = tg.randn([64, 64], { rng: rng(3) });
    tg.sum(cell.forward(x)).backward();
    const e = errorOf(() => cell.forward(x));
    expect(e).toBeInstanceOf(tg.ReleasedError);
    expect(e.message).toMatch(/made by 'tanh' in cell was released after backward\(\).*tg\.keep\(t\)/s);
  });
});

describe('a tensor returned where the scan of a result does not look', () => {
  it('the message says what hid it (a #private field, a getter, a closure, a WeakMap), not just "return it"', () => {
    class Box {
      #t: tg.Tensor;
      constructor(t: tg.Tensor) {
        this.#t = t;
      }
      get t() {
        return this.#t;
      }
    }
    const x = tg.randn([64, 64], { rng: rng(8) });
    const key = {};
    const cases: [string, () => tg.Tensor][] = [];
    const box = tg.noGrad(() => new Box(tg.relu(x)));
    cases.push(['an instance of Box \\(its #private fields\\)', () => box.t]);
    const withGetter = tg.noGrad(() => {
      const y = tg.relu(x);
      return {
        get y() {
          return y;
        },
      };
    });
    cases.push(["a getter 'y'", () => withGetter.y]);
    const closure = tg.noGrad(() => {
      const y = tg.relu(x);
      return [() => y];
    });
    cases.push(['a function \\(its closure\\)', () => closure[0]()]);
    const weak = tg.noGrad(() => ({ w: new WeakMap([[key, tg.relu(x)]]) }));
    cases.push(['a WeakMap', () => weak.w.get(key)!]);
    for (const [what, get] of cases) {
      const e = errorOf(() => get().data);
      expect(e, what).toBeInstanceOf(tg.ReleasedError);
      expect(e.message, what).toMatch(
        new RegExp(
          `^a \\[64,64\\] float32 tensor made by 'relu' was released when tg\\.noGrad ended; return it .*NOTE: what it returned holds ${what}, which is not searched for returned tensors`,
          's',
        ),
      );
    }
    // what the scan does see stays readable, and a result with nothing hidden gets no such note
    const plain = tg.noGrad(() => ({ y: tg.relu(x), list: [tg.exp(x)] }));
    expect(plain.y.data.length).toBe(64 * 64);
    let lost: tg.Tensor | null = null;
    tg.noGrad(() => {
      lost = tg.relu(x);
      return { y: tg.exp(x) };
    });
    expect(errorOf(() => lost!.data).message).not.toMatch(/NOTE/);
  });
});

describe('async functions where a synchronous one is needed', () => {
  it('an async Module forward is refused by name when it returns, and nothing it made is released', async () => {
    let before: tg.Tensor | null = null;
    let after: Promise<number> | null = null;
    class AsyncNet extends tg.nn.Module {
      fc = new tg.nn.Linear(64, 64);
      async forward(x: tg.Tensor) {
        before = this.fc.forward(x);
        await null;
        return tg.relu(before);
      }
    }
    const net = new AsyncNet();
    const x = tg.randn([64, 64], { rng: rng(4) });
    const e = errorOf(() => {
      after = (net.forward(x) as unknown as Promise<tg.Tensor>).then((y) => tg.sum(y).item());
    });
    expect(e).toBeInstanceOf(tg.ValueError);
    expect(e.message).toMatch(
      /^the call of layer 'async_net(_\d+)?' returned a Promise: a layer's call \(a tg\.nn\.Module's forward\) must be synchronous.*Await outside the call/s,
    );
    expect(after).toBeNull();
    // a frame that throws releases nothing: the value made before the await stays readable
    expect(before!.released).toBe(false);
    expect(before!.data.length).toBe(64 * 64);
  });

  it('an async Keras layer call is refused the same way', () => {
    class Slow extends tg.Layer {
      call(x: tg.Tensor): tg.Tensor {
        return (async () => tg.relu(x))() as unknown as tg.Tensor;
      }
    }
    const e = errorOf(() => new Slow({ name: 'slow' }).apply(tg.randn([4, 64], { rng: rng(5) })));
    expect(e).toBeInstanceOf(tg.ValueError);
    expect(e.message).toMatch(/^the call of layer 'slow' returned a Promise/);
  });

  it('an async f given to a gradient call is refused by name, and says why', () => {
    const x = tg.randn([64, 64], { rng: rng(6) });
    const f = async (a: tg.Tensor) => {
      const y = tg.matmul(a, a);
      await null;
      return tg.sum(y);
    };
    for (const [api, call] of [
      ['tg.valueAndGrads', () => tg.valueAndGrads(f as never)(x)],
      ['tg.grad', () => tg.grad(f as never)(x)],
      ['tg.grads', () => tg.grads(f as never)(x)],
    ] as const) {
      const e = errorOf(call);
      expect(e, api).toBeInstanceOf(tg.GradError);
      expect(e.message, api).toContain(`${api}: f returned a Promise; f must be synchronous`);
    }
    // a missing return is still a GradError, not a TypeError
    expect(() => tg.grad((() => undefined) as never)(x)).toThrow(/f must return a Tensor, got undefined/);
  });
});

describe('escapes, interleaved async loops and a forced-eviction arena against the JS reference', () => {
  afterEach(() => {
    tg.setBackend('wasm');
    wasm().arena.stretch = 3;
    wasm().arena.poison = false;
    tg.setMemoryBudget(256);
  });

  it('tensors escaping a grads call through a Map, a closure, a promise and a generator throw by name', async () => {
    const m = new Map<string, tg.Tensor>();
    let clos: (() => tg.Tensor) | null = null;
    let prom: Promise<tg.Tensor> | null = null;
    let gen: Generator<tg.Tensor> | null = null;
    tg.grad((a: tg.Tensor) => {
      const y = tg.matmul(a, a);
      m.set('k', tg.exp(y));
      const z = tg.neg(y);
      clos = () => z;
      prom = Promise.resolve(tg.abs(y));
      gen = (function* () {
        yield y;
        yield tg.tanh(y); // runs after the call: reads y
      })();
      gen.next();
      return tg.sum(tg.tanh(y));
    })(tg.randn([64, 64], { rng: rng(7) }));
    const fix = /was released when tg\.grad ended; return it from the function given to tg\.grad/;
    expect(() => m.get('k')!.data).toThrow(fix);
    expect(() => clos!().data).toThrow(fix);
    expect(() => gen!.next()).toThrow(/made by 'matmul' was released when tg\.grad ended/);
    const p = await prom!;
    expect(() => tg.reshape(p, [-1])).toThrow(/made by 'abs' was released/);
    expect(() => p.detach().item()).toThrow(tg.ReleasedError);
  });

  it('two async training loops interleaved at every await, on an arena that evicts at once, match the JS reference', async () => {
    const loop = async (seed: number, log: number[]) => {
      const net = new tg.nn.Sequential(
        new tg.nn.Linear(64, 128),
        new tg.nn.Tanh(),
        new tg.nn.Linear(128, 64),
      );
      const r = rng(seed);
      for (const p of net.parameters()) p.data.set(tg.randn(p.shape, { std: 0.1, rng: r }).data);
      const opt = new tg.Adam(net.parameters(), { lr: 0.01 });
      const x = tg.randn([64, 64], { rng: r });
      const held: tg.Tensor[] = [];
      for (let i = 0; i < 6; i++) {
        opt.zeroGrad();
        const y = net.forward(x);
        held.push(tg.matmul(x, x)); // top-level blocks the arena must evict, not overwrite
        await null;
        const loss = tg.mean(tg.square(tg.sub(y, x)));
        await tg.ready();
        loss.backward();
        opt.step();
        log.push(loss.item(), y.data[0]);
      }
      for (const h of held) log.push(tg.sum(h).item());
    };
    const run = async () => {
      const a: number[] = [];
      const b: number[] = [];
      await Promise.all([loop(10, a), loop(11, b)]);
      return [...a, ...b];
    };
    tg.setBackend('js');
    const ref = await run();
    tg.setBackend('wasm');
    wasm().arena.stretch = 0; // the budget alone decides: every top-level block past it is evicted
    wasm().arena.poison = true; // a block read before it is written holds NaN
    tg.setMemoryBudget(0.0001);
    const evicted = tg.memory().evicted;
    const got = await run();
    expect(tg.memory().evicted).toBeGreaterThan(evicted);
    expect(got.length).toBe(ref.length);
    got.forEach((v, i) =>
      expect(Math.abs(v - ref[i]), `value ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(ref[i]))),
    );
  });
});
