// Every recurrent / wrapper case of the keras-js Keras 2 fixtures: load the fixture weights with setWeights
// (Keras order) and match Keras's outputs (stateful cases: the second of two predict calls).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { expectClose } from '../support/check.js';

const root = fileURLToPath(new URL('../../../shared/keras-fixtures/kerasjs-layers-k2/', import.meta.url));
if (!existsSync(root))
  throw new Error(
    'Keras fixtures not found: expected ../shared/keras-fixtures/kerasjs-layers-k2 next to the repository',
  );

interface Arr {
  data: number[];
  shape: number[];
}
interface Case {
  input: Arr;
  weights: Arr[];
  expected: Arr;
}
const descriptions: Record<string, { description?: string }> = JSON.parse(
  readFileSync(`${root}cases.json`, 'utf8'),
);
const load = (file: string): [string, Case][] =>
  Object.entries(JSON.parse(readFileSync(`${root}layers/${file}.json`, 'utf8')));

/** The notebook's `key=value` options from the case description ('' when absent). */
function opt(id: string, key: string): string {
  const d = descriptions[id]?.description ?? '';
  const m = d.match(new RegExp(`(?:^|[ ,])${key}[= ]([^,]+)`));
  return m ? m[1].trim().replace(/'/g, '') : '';
}

// NOTE: Keras 2's hard_sigmoid is clip(0.2x + 0.5, 0, 1); the fixtures were made with it.
const keras2Act = (name: string): tg.ActivationSpec | undefined =>
  name === 'hard_sigmoid' ? (x: tg.Tensor) => tg.hardSigmoid(x, true) : name || undefined;

/** RNN options of class `cls` from a description: Keras 2 defaults (GRU without reset_after). */
function rnnArgs(id: string, cls: string): tg.GRUArgs & tg.LSTMArgs {
  const a: tg.GRUArgs & tg.LSTMArgs = {
    units: Number(opt(id, 'units')),
    activation: keras2Act(opt(id, 'activation')),
    recurrentActivation: keras2Act(opt(id, 'recurrent_activation')),
    useBias: opt(id, 'use_bias') !== 'False',
    returnSequences: opt(id, 'return_sequences') === 'True',
    goBackwards: opt(id, 'go_backwards') === 'True',
    stateful: opt(id, 'stateful') === 'True',
    resetAfter: false,
  };
  // NOTE: each class refuses options it does not have, so drop the gated ones where they do not apply.
  if (cls !== 'GRU') delete a.resetAfter;
  if (cls === 'SimpleRNN') delete a.recurrentActivation;
  return a;
}

const t32 = (a: Arr, batch = true) => tg.tensor(Float32Array.from(a.data), batch ? [1, ...a.shape] : a.shape);

/** Build on the input, load the weights, run (twice for stateful layers) and compare. */
function check(layer: tg.Layer, c: Case, stateful: boolean, id: string): void {
  const x = t32(c.input);
  layer.apply(x);
  layer.setWeights(c.weights.map((w) => t32(w, false)));
  if (stateful) (layer as unknown as { resetStates(): void }).resetStates();
  let y = layer.apply(x) as tg.Tensor;
  if (stateful) y = layer.apply(x) as tg.Tensor;
  expect(y.shape, `${id} output shape`).toEqual([1, ...c.expected.shape]);
  // NOTE: fixture numbers are rounded to 6 decimals, so allow 1e-4 relative plus a few 1e-6 absolute.
  expectClose(y.data, c.expected.data, { rtol: 1e-4, atol: 5e-6 }, id);
}

const classes = { SimpleRNN: tg.SimpleRNN, LSTM: tg.LSTM, GRU: tg.GRU };

describe('recurrent layers match Keras 2 (keras-js fixtures)', () => {
  for (const [name, Ctor] of Object.entries(classes)) {
    const cases = load(`recurrent/${name}`);
    it(`has the ${name} cases`, () => expect(cases.length).toBe(9));
    for (const [id, c] of cases)
      it(`${id}: ${descriptions[id]?.description}`, () => {
        const args = rnnArgs(id, name);
        check(new Ctor(args), c, args.stateful!, id);
      });
  }
});

describe('wrappers match Keras 2 (keras-js fixtures)', () => {
  const bi = load('wrappers/Bidirectional');
  it('has the Bidirectional cases', () => expect(bi.length).toBe(8));
  for (const [id, c] of bi)
    it(`${id}: ${descriptions[id]?.description}`, () => {
      const d = descriptions[id].description!;
      const inner = d.match(/wrap a (\w+) layer/)![1] as keyof typeof classes;
      const layer = new classes[inner](rnnArgs(id, inner));
      check(
        tg.layers.bidirectional({ layer, mergeMode: opt(id, 'merge_mode') as tg.MergeMode }),
        c,
        false,
        id,
      );
    });

  const td = load('wrappers/TimeDistributed');
  it('has the TimeDistributed cases', () => expect(td.length).toBe(2));
  it('wrappers.TimeDistributed.0: Dense(4) on 3 × 6', () => {
    const [id, c] = td.find(([k]) => k.endsWith('.0'))!;
    check(tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 4 }) }), c, false, id);
  });
  it('wrappers.TimeDistributed.1: Conv2D(6, 3×3) on 5 × 4×4×2', () => {
    const [id, c] = td.find(([k]) => k.endsWith('.1'))!;
    check(
      tg.layers.timeDistributed({ layer: tg.layers.conv2d({ filters: 6, kernelSize: 3 }) }),
      c,
      false,
      id,
    );
  });
});
