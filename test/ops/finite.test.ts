// firstNonFinite / allFinite (src/ops/finite.ts): one backend sum proves a tensor finite, a scan finds the first NaN
// or ±Inf; against a plain loop, on both backends, for plain arrays over several 1 MiB chunks and for resident op
// outputs, and where finite values sum to Infinity. The optimizer's refusal of a non-finite update names its index.
import { afterEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { allFinite, firstNonFinite } from '../../src/ops/finite.js';

afterEach(() => tg.setBackend('wasm'));

/** The first non-finite index by a plain loop. */
const naive = (d: ArrayLike<number>): number => {
  for (let i = 0; i < d.length; i++) if (!Number.isFinite(d[i])) return i;
  return -1;
};

describe.each(['js', 'wasm'] as const)('firstNonFinite (%s backend)', (backend) => {
  it('finds NaN, Infinity and -Infinity anywhere in a plain array, chunks apart, and nothing in finite data', () => {
    tg.setBackend(backend);
    const n = (1 << 18) * 2 + 1000; // three chunks of the sum
    for (const at of [-1, 0, 5, (1 << 18) - 1, 1 << 18, n - 1])
      for (const bad of [NaN, Infinity, -Infinity]) {
        const d = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
        if (at >= 0) d[at] = bad;
        const t = tg.tensor(d, [n]);
        expect(firstNonFinite(t)).toBe(naive(d));
        expect(allFinite(t)).toBe(at < 0);
      }
  });

  it('a resident op output is checked where it lies, and a NaN in it is found', () => {
    tg.setBackend(backend);
    const x = tg.rand([300, 1000], { rng: new tg.Rng(3) });
    const y = tg.noGrad(() => tg.mul(x, 2)); // returned from the frame: it stays where the kernel wrote it
    expect(y.storage.resident).toBe(backend === 'wasm');
    expect(firstNonFinite(y)).toBe(-1);
    const bad = tg.noGrad(() => tg.div(tg.sub(x, x), tg.sub(x, x))); // 0/0 everywhere
    expect(firstNonFinite(bad)).toBe(0);
  });

  it('finite values whose sum overflows are finite; float64 and int32 are checked too', () => {
    tg.setBackend(backend);
    expect(firstNonFinite(tg.tensor([3e38, 3e38, 3e38]))).toBe(-1); // Σ = Inf in float32, every value finite
    expect(firstNonFinite(tg.tensor([1, 2, NaN], [3], { dtype: 'float64' }))).toBe(2);
    expect(firstNonFinite(tg.tensor([1, 2, 3], [3], { dtype: 'int32' }))).toBe(-1);
    expect(firstNonFinite(tg.tensor([], [0]))).toBe(-1);
  });
});

describe('optimizer update check', () => {
  it('a non-finite update of a large float32 parameter is refused with its index; nothing is written', () => {
    const w = tg.rand([64, 64], { rng: new tg.Rng(1) });
    w.name = 'w';
    const before = Array.from(w.data);
    const g = w.data.slice().fill(0.5);
    g[1234] = Infinity;
    const opt = new tg.SGD([w], { lr: 0.1 });
    expect(() => opt.applyGradients({ w: tg.tensor(g, [64, 64]) })).toThrow(
      /parameter 'w' non-finite at index 1234/,
    );
    expect(Array.from(w.data)).toEqual(before);
    const data = w.data;
    opt.applyGradients({ w: tg.tensor(g.fill(0.5), [64, 64]) });
    expect(w.data).toBe(data); // written into the parameter's own array
    expect(w.data[7]).toBeCloseTo(before[7] - 0.05, 6);
  });
});
