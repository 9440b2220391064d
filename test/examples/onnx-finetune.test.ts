// examples/onnx-finetune in quick mode: the PyTorch CNN (trained on digits 0–4) learns the unseen digits 5–9 by
// fine-tuning its last layer, and the exported file gives the same outputs in ONNX Runtime Web.
import { expect, it } from 'vitest';
import { main } from '../../examples/onnx-finetune/main.js';

it('onnx-finetune: fine-tuning the last layer teaches the unseen digits; ONNX Runtime Web agrees', async () => {
  const lines: string[] = [];
  const r = await main({ quick: true, log: (l) => lines.push(l) });
  expect(r.before.unseen).toBe(0); // PyTorch never saw 5–9
  expect(r.after.unseen).toBeGreaterThan(0.3); // chance is 0.1
  expect(r.after.all).toBeGreaterThan(r.before.all);
  expect(r.ortMaxRelDiff).toBeLessThan(1e-5);
  expect(lines.join('\n')).toContain('trainable: fc2.weight [10,16], fc2.bias [10]');
}, 180_000);
