// ONNX's own backend node tests (Debian's libonnx-testdata) through tg.onnx: every test either passes (float 1e-3
// relative, integers exact) or is refused by name; none gives a wrong answer or a stray error. The table in
// docs/onnx.md and the README must be the one this run produces (scripts/onnx-conformance.ts writes it).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { supportedOperators } from '../../../src/io/onnx/registry.js';
import {
  TABLE_END,
  TABLE_START,
  conformanceTable,
  hasTestdata,
  listCases,
  runCase,
} from './conformance-lib.js';

const root = join(__dirname, '..', '..', '..');
const tableIn = (file: string) => {
  const text = readFileSync(join(root, file), 'utf8');
  return text.slice(text.indexOf(TABLE_START), text.indexOf(TABLE_END) + TABLE_END.length);
};

describe.skipIf(!hasTestdata())('ONNX backend node tests (libonnx-testdata)', () => {
  const results = hasTestdata() ? listCases().map(runCase) : [];

  it('no test gives a wrong answer or an error other than a refusal by name', () => {
    const failed = results.filter((r) => r.status === 'failed').map((r) => `${r.test}: ${r.detail}`);
    expect(failed).toEqual([]);
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(400);
  });

  it('every supported operator has tests, and most of them pass', () => {
    for (const op of supportedOperators()) {
      const rs = results.filter((r) => r.op === op);
      if (!rs.length) continue; // an operator without node tests in this ONNX version (checked in the table)
      expect(rs.filter((r) => r.status === 'passed').length, op).toBeGreaterThan(0);
    }
  });

  it('docs/onnx.md and README.md print this run’s table', () => {
    const table = conformanceTable(results, supportedOperators());
    expect(tableIn('docs/onnx.md')).toBe(table);
    expect(tableIn('README.md')).toBe(table);
  });
});

if (!hasTestdata())
  describe('ONNX backend node tests', () => {
    it.skip('skipped: Debian package libonnx-testdata is not installed (apt-get install libonnx-testdata)', () => {});
  });
