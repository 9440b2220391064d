// The README's main job (examples/cifar-cnn) in quick mode: it trains on real MNIST digits and learns.
import { expect, it } from 'vitest';
import { main } from '../../examples/cifar-cnn/main.js';

it('seed CNN example trains on MNIST digits and beats chance', async () => {
  const lines: string[] = [];
  const r = await main({ quick: true, log: (l) => lines.push(l) });
  const loss = r.history.history.loss;
  expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
  expect(r.testAccuracy).toBeGreaterThan(0.3); // chance is 0.1; two quick epochs on 480 digits
  const text = lines.join('\n');
  expect(text).toContain('(None, 7, 7, 8)');
  expect(text).toContain('(392+1)·64 = 25,152');
}, 120_000);
