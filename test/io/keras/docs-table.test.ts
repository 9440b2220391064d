// docs/keras-import.md's status table names every Keras class the importer implements, and claims no class
// as supported that the importer does not build.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const doc = readFileSync(new URL('../../../docs/keras-import.md', import.meta.url), 'utf8');
const table = doc.slice(doc.indexOf('## Layer and option status'));
const rows = table
  .split('\n')
  .filter((l) => l.startsWith('| ') && !l.startsWith('| Keras class') && !l.startsWith('|---'));
/** Class names in a row's first cell: "MaxPooling1D / 2D / 3D (MaxPool*)" → MaxPooling1D, MaxPooling2D, MaxPooling3D. */
function classesOf(cell: string): string[] {
  const out: string[] = [];
  for (const part of cell.replace(/\(.*?\)/g, '').split(',')) {
    const [head, ...rest] = part
      .trim()
      .split(' / ')
      .map((s) => s.trim());
    if (!head) continue;
    out.push(head.split(' ')[0]);
    const stem = head.replace(/\dD$/, '');
    for (const r of rest) out.push(/^\dD$/.test(r) ? `${stem}${r}` : r.split(' ')[0]);
  }
  return out;
}

describe('docs/keras-import.md layer table', () => {
  const listed = new Map<string, string>();
  for (const r of rows) {
    const cells = r.split('|').map((c) => c.trim());
    for (const c of classesOf(cells[1])) listed.set(c, cells[2]);
  }
  it('lists every implemented class', () => {
    // CuDNNLSTM / CuDNNGRU appear as aliases in the LSTM and GRU rows
    const missing = tg.keras
      .supportedLayers()
      .filter((c) => !listed.has(c) && c !== 'CuDNNLSTM' && c !== 'CuDNNGRU');
    expect(missing).toEqual([]);
  });
  it('marks as supported only classes the importer builds', () => {
    const claimed = [...listed]
      .filter(([, s]) => s !== 'no')
      .map(([c]) => c)
      .filter((c) => !['Sequential', 'Model', 'Functional', 'InputLayer'].includes(c));
    expect(claimed.filter((c) => !tg.keras.supportedLayers().includes(c))).toEqual([]);
  });
});
