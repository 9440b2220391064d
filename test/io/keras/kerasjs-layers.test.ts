// Every keras-js layer case (309, computed by Keras 2.1): the model built from its Keras config by the importer,
// its weights set in Keras get_weights() order, its prediction compared with Keras's.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { type CaseShapes, type Json, caseConfig } from './kerasjs-cases.js';
import { compare, fixture } from './fixtures.js';

interface Arr {
  data: number[];
  shape: number[];
}
interface Case {
  input?: Arr;
  inputs?: Arr[];
  weights?: Arr[];
  expected: Arr;
}

const root = fixture('kerasjs-layers-k2/');
const descriptions = JSON.parse(readFileSync(join(root, 'cases.json'), 'utf8')) as Record<
  string,
  { description?: string }
>;

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? jsonFiles(p) : f.endsWith('.json') ? [p] : [];
  });
}
const files = [join(root, 'activations.json'), ...jsonFiles(join(root, 'layers'))];
const cases: [string, Case][] = files.flatMap((f) =>
  Object.entries(JSON.parse(readFileSync(f, 'utf8')) as Record<string, Case>),
);

// NOTE: the fixture's numbers are rounded to 6 decimals while Keras computed `expected` from unrounded values, so
// the check is relative 1e-4 with an absolute floor of 1e-5 (20× the rounding step).
const RTOL = 1e-4;
const ATOL = 1e-5;

describe('keras-js layer cases (Keras 2.1 outputs)', () => {
  it('has all 309 cases', () => {
    expect(cases.length).toBe(309);
  });
  it('Cropping2D.5 stores the input cropped by 1 on every side (its heading says 4)', () => {
    const c = cases.find(([id]) => id === 'convolutional.Cropping2D.5')![1];
    const [h, w, ch] = c.input!.shape;
    const want: number[] = [];
    for (let i = 1; i < h - 1; i++)
      for (let j = 1; j < w - 1; j++)
        for (let k = 0; k < ch; k++) want.push(c.input!.data[(i * w + j) * ch + k]);
    expect(compare(c.expected.data, want, 0, 2e-6).ok).toBe(true);
  });
  for (const [id, c] of cases) {
    it(id, () => {
      const input = c.input ?? c.inputs![0];
      const shapes: CaseShapes = {
        input: input.shape,
        expected: c.expected.shape,
        weights: (c.weights ?? []).map((w) => w.shape),
      };
      const { config, stateful } = caseConfig(id, descriptions[id]?.description ?? '', shapes);
      const model = tg.keras.modelFromJson(config as Record<string, unknown>);
      const ws = (c.weights ?? []).map((w) => tg.tensor(w.data, w.shape));
      model.setWeights(ws);
      const x = tg.tensor(input.data, [1, ...input.shape]);
      let y = model.predict(x) as tg.Tensor;
      if (stateful) y = model.predict(x) as tg.Tensor;
      expect(y.shape).toEqual([1, ...c.expected.shape]);
      const r = compare(y.data, c.expected.data, RTOL, ATOL);
      expect(r.ok, `${id}: ${r.worst}`).toBe(true);
    });
  }
});

export type { Json };
