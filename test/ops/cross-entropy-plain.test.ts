// crossEntropy's plain case (every label kept, no class weights, no smoothing) skips the all-ones mask: its loss
// and gradient must be bit-identical to the general weighted path, which runs the mask (weights of ones).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { uniform } from '../support/check.js';

const cases: [tg.Tensor['dtype'], number[], 'mean' | 'sum' | 'none'][] = [
  ['float32', [32, 10], 'mean'],
  ['float64', [7, 3], 'mean'],
  ['float32', [5, 4, 3], 'sum'],
  ['float32', [6, 5], 'none'],
];

describe('crossEntropy without a mask', () => {
  it.each(cases)(
    '%s %j %s: same loss and gradient bits as the weighted path with weights of ones',
    (dt, s, red) => {
      const n = s.reduce((a, b) => a * b, 1);
      const logits = tg.tensor(uniform(n, 11, -4, 4), s, { dtype: dt });
      const rows = n / s[1];
      const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7 + 3) % s[1]);
      const lab = tg.tensor(labels, [s[0], ...s.slice(2)], { dtype: 'int32' });
      const ones = tg.ones([s[1]], { dtype: dt });
      const loss = (w?: tg.Tensor) => (x: tg.Tensor) => {
        const l = tg.crossEntropy(x, lab, { reduction: red, ...(w && { weight: w }) });
        return red === 'none' ? tg.sum(l) : l;
      };
      const plain = tg.valueAndGrad(loss())(logits);
      const weighted = tg.valueAndGrad(loss(ones))(logits);
      expect(Array.from(plain.value.data)).toEqual(Array.from(weighted.value.data));
      expect(Array.from(plain.grad.data)).toEqual(Array.from(weighted.grad.data));
      // and both are right: Σ over positions of logΣexp − the label's logit (class axis 1), as the reduction says
      const x = logits.data;
      const [b, c] = s;
      const inner = rows / b;
      let total = 0;
      for (let i = 0; i < b; i++)
        for (let j = 0; j < inner; j++) {
          const at = (k: number) => x[(i * c + k) * inner + j];
          let mx = -Infinity;
          for (let k = 0; k < c; k++) mx = Math.max(mx, at(k));
          let se = 0;
          for (let k = 0; k < c; k++) se += Math.exp(at(k) - mx);
          total += mx + Math.log(se) - at(labels[i * inner + j]);
        }
      const want = red === 'mean' ? total / rows : total;
      expect(plain.value.item()).toBeCloseTo(want, dt === 'float64' ? 10 : 4);
    },
  );
});
