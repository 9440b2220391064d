// The training-curves example (quick mode) trains, and writes a curves SVG with every epoch plus two PNG grids.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { main } from '../../examples/training-curves/main.js';

it('training-curves example writes curves.svg, filters.png and feature-maps.png', async () => {
  const out = mkdtempSync(join(tmpdir(), 'tg-tc-'));
  const lines: string[] = [];
  const { history, files } = await main({ quick: true, out, log: (s) => lines.push(s) });
  expect(history.epoch.length).toBe(4);
  const loss = history.history.loss;
  expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
  const svg = readFileSync(files[0], 'utf8');
  for (const k of ['loss', 'val_loss', 'accuracy', 'val_accuracy']) {
    const pts = svg.match(new RegExp(`data-series="${k}"[^>]*points="([^"]+)"`))![1].split(' ');
    expect(pts.length).toBe(4);
  }
  for (const f of files.slice(1)) expect(Array.from(readFileSync(f).subarray(1, 4))).toEqual([80, 78, 71]); // "PNG"
  expect(lines[lines.length - 1]).toContain('curves.svg');
});
