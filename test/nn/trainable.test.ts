// Frozen layers (Keras `trainable`): a weight trains only when it and every layer holding it is trainable. summary()
// counts, trainableWeights, what fit updates (also after a change made after compile), nested frozen models, whose
// BatchNormalization then runs in inference mode, and a wholly frozen model (fit reports the loss, changes nothing).
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

beforeEach(() => tg.resetLayerNames());

const values = (l: tg.Layer): number[][] => l.getWeights().map((w) => Array.from(w.data));
const counts = (m: tg.Model): string[] => m.summary({ print: false }).split('\n').slice(-4, -1);
const data = () =>
  [tg.randn([16, 3], { rng: new tg.Rng(1) }), tg.randn([16, 2], { rng: new tg.Rng(2) })] as const;

describe('trainable: false on a layer inside a model', () => {
  it('the option: summary counts it as non-trainable, the model lists it so, fit leaves it alone', async () => {
    const frozen = tg.layers.dense({ units: 4, inputShape: [3], trainable: false });
    const head = tg.layers.dense({ units: 2 });
    const m = tg.sequential({ layers: [frozen, head] });
    // Keras: Total params: 26, Trainable params: 10, Non-trainable params: 16
    expect(counts(m)).toEqual(['Total params: 26', 'Trainable params: 10', 'Non-trainable params: 16']);
    expect(frozen.trainableWeights).toEqual([]);
    expect(m.trainableWeights.map((w) => w.value)).toEqual([head.kernel, head.bias]);
    expect(m.nonTrainableWeights.map((w) => w.value)).toEqual([frozen.kernel, frozen.bias]);
    expect(m.namedParameters().map(([n]) => n)).toEqual([`${head.name}.kernel`, `${head.name}.bias`]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const [before, headBefore] = [values(frozen), values(head)];
    await m.fit(...data(), { epochs: 2, verbose: 0 });
    expect(values(frozen)).toEqual(before);
    expect(values(head)).not.toEqual(headBefore);
    // no gradient was taken for the frozen weights (nothing piles up on them)
    expect(frozen.kernel.grad).toBeNull();
  });

  it('set after compile: the next fit respects it without recompiling, and unfreezing trains it again', async () => {
    const first = tg.layers.dense({ units: 4, inputShape: [3] });
    const m = tg.sequential({ layers: [first, tg.layers.dense({ units: 2 })] });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    first.trainable = false;
    expect(counts(m)[1]).toBe('Trainable params: 10');
    const before = values(first);
    await m.fit(...data(), { epochs: 1, verbose: 0 });
    expect(values(first)).toEqual(before);
    await m.trainOnBatch(...data());
    expect(values(first)).toEqual(before);
    first.trainable = true;
    await m.fit(...data(), { epochs: 1, verbose: 0 });
    expect(values(first)).not.toEqual(before);
  });

  it('a callback that unfreezes a layer at an epoch start takes effect in that epoch', async () => {
    const first = tg.layers.dense({ units: 4, inputShape: [3], trainable: false });
    const m = tg.sequential({ layers: [first, tg.layers.dense({ units: 2 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    const seen: boolean[] = [];
    const before = values(first);
    await m.fit(...data(), {
      epochs: 2,
      verbose: 0,
      callbacks: [
        {
          onEpochBegin: (e) => void (first.trainable = e === 1),
          onEpochEnd: () =>
            void seen.push(values(first).some((v, i) => v.some((u, j) => u !== before[i][j]))),
        },
      ],
    });
    expect(seen).toEqual([false, true]);
  });

  it('trainable must be a boolean', () => {
    expect(() => tg.layers.dense({ units: 2, name: 'd', trainable: 'no' as never })).toThrow(
      new tg.ValueError('d (Dense): trainable must be true or false, got no'),
    );
  });
});

describe('a frozen base model inside a functional model', () => {
  const build = () => {
    const bn = tg.layers.batchNormalization();
    const base = tg.sequential({
      name: 'base',
      layers: [tg.layers.dense({ units: 4, inputShape: [3] }), bn],
    });
    const inp = tg.input({ shape: [3] });
    const out = tg.layers
      .dense({ units: 2 })
      .apply(base.apply(inp) as tg.SymbolicTensor) as tg.SymbolicTensor;
    const m = tg.model({ inputs: inp, outputs: out });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    return { base, bn, m };
  };

  it('base.trainable = false freezes every weight in it, its layers read false (Keras 2), BatchNormalization runs in inference mode', async () => {
    const { base, bn, m } = build();
    base.trainable = false;
    expect(base.layers.map((l) => l.trainable)).toEqual([false, false]);
    // base: dense 3·4+4 = 16, batch norm 4·4 = 16; head 4·2+2 = 10
    expect(counts(m)).toEqual(['Total params: 42', 'Trainable params: 10', 'Non-trainable params: 32']);
    expect(m.trainableWeights.length).toBe(2);
    const before = values(base);
    await m.fit(...data(), { epochs: 2, verbose: 0 });
    expect(values(base)).toEqual(before); // moving statistics included: BN ran in inference mode
    expect(bn.trainable).toBe(false);
    base.trainable = true;
    expect(base.layers.map((l) => l.trainable)).toEqual([true, true]);
    expect(m.trainableWeights.length).toBe(6);
  });

  it('model.trainable = false: nothing trains; fit still reports the loss', async () => {
    const { m } = build();
    m.trainable = false;
    expect(m.trainableWeights).toEqual([]);
    expect(counts(m)).toEqual(['Total params: 42', 'Trainable params: 0', 'Non-trainable params: 42']);
    const before = values(m);
    const h = await m.fit(...data(), { epochs: 2, verbose: 0 });
    expect(values(m)).toEqual(before);
    expect(h.history.loss[0]).toBe(h.history.loss[1]);
    expect(Number.isFinite(h.history.loss[0])).toBe(true);
  });

  it('trainable: false given to a container constructor freezes what it holds (its layers keep their own flag)', () => {
    const inner = tg.layers.dense({ units: 2, inputShape: [3] });
    const m = tg.sequential({ layers: [inner], trainable: false });
    expect(inner.trainable).toBe(true);
    expect(m.trainableWeights).toEqual([]);
    expect(m.nonTrainableWeights.length).toBe(2);
  });
});
