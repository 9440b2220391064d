// The LSTM encoder-decoder example runs quick: one forecast has shape (1, 1, 2), the loss falls, and the
// held-out forecast beats the naive last-value baseline.
import { expect, it } from 'vitest';
import { main } from '../../examples/lstm-encoder-decoder/main.js';

it('lstm-encoder-decoder example trains and forecasts', async () => {
  const lines: string[] = [];
  const r = await main({ quick: true, log: (s) => lines.push(s) });
  expect(r.outputShape).toEqual([1, 1, 2]);
  expect(r.losses[r.losses.length - 1]).toBeLessThan(r.losses[0] / 2);
  expect(r.modelMse).toBeLessThan(r.naiveMse);
  const text = lines.join('\n');
  expect(text).toMatch(/time_distributed_?\d* \(TimeDistributed\)\s+\(None, 1, 2\)/);
  expect(text).toMatch(/output shape \(1, 1, 2\)/);
});
