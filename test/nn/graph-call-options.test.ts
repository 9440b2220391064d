// Options fixed when a layer is applied in a graph, as Keras/TF.js wire them: symbolic initialState becomes graph
// inputs (the seq2seq decoder), an explicit `training` wins over the model's mode, and a nested model as the
// first layer of a Sequential builds it from its own declared input.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';

const data = (t: tg.Tensor | tg.Tensor[]) => Array.from((t as tg.Tensor).data);

describe('initialState given as an option to a symbolic call', () => {
  const encoderDecoder = (optionForm: boolean) => {
    tg.setSeed(11);
    const encIn = tg.input({ shape: [5, 3] });
    const [, h, c] = tg.layers.lstm({ units: 4, returnState: true }).apply(encIn) as tg.SymbolicTensor[];
    const decIn = tg.input({ shape: [6, 2] });
    const dec = tg.layers.lstm({ units: 4, returnSequences: true });
    const out = (
      optionForm ? dec.apply(decIn, { initialState: [h, c] }) : dec.apply([decIn, h, c])
    ) as tg.SymbolicTensor;
    return { m: tg.model({ inputs: [encIn, decIn], outputs: out }), out };
  };

  it('wires the encoder states as inputs of the decoder node, as the list form does', () => {
    const { m, out } = encoderDecoder(true);
    expect(out.shape).toEqual([null, 6, 4]);
    expect(out.node!.inputs.length).toBe(3);
    expect(out.node!.kwargs.initialState).toBeUndefined();
    const list = encoderDecoder(false).m;
    list.setWeights(m.getWeights());
    const x = [tg.randn([3, 5, 3]), tg.randn([3, 6, 2])];
    const y = m.predict(x) as tg.Tensor;
    expect(y.shape).toEqual([3, 6, 4]);
    expectClose(data(y), data(list.predict(x)), { rtol: 1e-6, atol: 1e-7 });
    // the states matter: other encoder inputs change the decoder's output
    const y2 = m.predict([tg.randn([3, 5, 3]), x[1]]) as tg.Tensor;
    expect(data(y2)).not.toEqual(data(y));
  });

  it('a single symbolic state works for GRU; giving states both ways is refused', () => {
    const encIn = tg.input({ shape: [4, 2] });
    const [, h] = tg.layers.gru({ units: 3, returnState: true }).apply(encIn) as tg.SymbolicTensor[];
    const decIn = tg.input({ shape: [4, 2] });
    const out = tg.layers.gru({ units: 3 }).apply(decIn, { initialState: h }) as tg.SymbolicTensor;
    expect(out.node!.inputs.length).toBe(2);
    const m = tg.model({ inputs: [encIn, decIn], outputs: out });
    expect((m.predict([tg.randn([2, 4, 2]), tg.randn([2, 4, 2])]) as tg.Tensor).shape).toEqual([2, 3]);
    expect(() => tg.layers.gru({ units: 3 }).apply([decIn, h], { initialState: [h] })).toThrow(tg.ValueError);
  });
});

describe('training fixed at call time', () => {
  it('dropout applied with training: true stays on in predict (Monte Carlo dropout)', () => {
    const i = tg.input({ shape: [100] });
    const o = tg.layers.dropout({ rate: 0.5 }).apply(i, { training: true }) as tg.SymbolicTensor;
    const y = data(tg.model({ inputs: i, outputs: o }).predict(tg.ones([1, 100])));
    const zeros = y.filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(10);
    expect(zeros).toBeLessThan(90);
    for (const v of y) expect([0, 2]).toContain(v);
  });
  it('training: false stays off when the model runs in training mode; unset follows the model', () => {
    const i = tg.input({ shape: [100] });
    const off = tg.layers.dropout({ rate: 0.5 }).apply(i, { training: false }) as tg.SymbolicTensor;
    const follow = tg.layers.dropout({ rate: 0.5 }).apply(i) as tg.SymbolicTensor;
    const m = tg.model({ inputs: i, outputs: [off, follow] });
    const [a, b] = m.apply(tg.ones([1, 100]), { training: true }) as tg.Tensor[];
    expect(data(a)).toEqual(new Array(100).fill(1));
    expect(data(b).some((v) => v === 0)).toBe(true);
  });
});

describe('a nested model as the first layer of a Sequential', () => {
  it('a nested Sequential with an input shape builds the outer model (compile, summary)', () => {
    const base = tg.sequential({
      layers: [tg.layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [8, 8, 3] })],
    });
    const m = tg.sequential({ layers: [base, tg.layers.flatten(), tg.layers.dense({ units: 2 })] });
    m.compile({ optimizer: 'adam', loss: 'mse' });
    expect(m.isBuilt()).toBe(true);
    expect(m.countParams()).toBe(4 * 27 + 4 + 6 * 6 * 4 * 2 + 2);
    expect(m.summary({ print: false })).toContain('(None, 2)');
  });
  it('a nested functional model works the same way', () => {
    const i = tg.input({ shape: [5] });
    const inner = tg.model({
      inputs: i,
      outputs: tg.layers.dense({ units: 3 }).apply(i) as tg.SymbolicTensor,
    });
    const m = tg.sequential({ layers: [inner, tg.layers.dense({ units: 1 })] });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    expect(m.countParams()).toBe(5 * 3 + 3 + 3 + 1);
    expect((m.predict(tg.ones([2, 5])) as tg.Tensor).shape).toEqual([2, 1]);
  });
});
