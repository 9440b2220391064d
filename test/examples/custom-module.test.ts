// The custom-module example trains (quick mode): the loss falls and the bars are told apart.
import { expect, it } from 'vitest';
import { main } from '../../examples/custom-module/main.js';

it('custom-module example learns', () => {
  const lines: string[] = [];
  const r = main({ quick: true, log: (s) => lines.push(s) });
  expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0]);
  expect(r.accuracy).toBeGreaterThan(0.8);
  expect(lines.join('\n')).toMatch(/Total params: [\d,]+/);
});
