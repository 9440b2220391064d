// Runs ONNX's backend node tests (Debian libonnx-testdata) through tg.onnx and writes the operator table into
// docs/onnx.md and README.md (between the onnx-conformance markers): `npx tsx scripts/onnx-conformance.ts`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { supportedOperators } from '../src/io/onnx/registry.js';
import {
  TABLE_END,
  TABLE_START,
  conformanceTable,
  hasTestdata,
  listCases,
  runCase,
} from '../test/io/onnx/conformance-lib.js';

if (!hasTestdata()) {
  console.error('libonnx-testdata is not installed (apt-get install libonnx-testdata)');
  process.exit(1);
}
const table = conformanceTable(listCases().map(runCase), supportedOperators());
for (const file of ['docs/onnx.md', 'README.md']) {
  const path = join(import.meta.dirname, '..', file);
  const text = readFileSync(path, 'utf8');
  const a = text.indexOf(TABLE_START);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < 0) throw new Error(`${file}: no ${TABLE_START} … ${TABLE_END} block`);
  writeFileSync(path, text.slice(0, a) + table + text.slice(b + TABLE_END.length));
  console.log(`wrote the table into ${file}`);
}
