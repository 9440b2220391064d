// Runs ONNX's backend node tests (Debian's libonnx-testdata: model.onnx + test_data_set_*/input_*.pb, output_*.pb)
// through tg.onnx and classifies each: passed, refused (a clear unsupported error), or failed (wrong values/shapes,
// or any other error). Used by conformance.test.ts and scripts/onnx-conformance.ts (the docs table).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../../src/index.js';
import { DataType, decodeModel, decodeTensor } from '../../../src/io/onnx/proto.js';
import { tensorFromProto } from '../../../src/io/onnx/tensor-proto.js';
import { OnnxUnsupportedError } from '../../../src/io/onnx/op-types.js';

export const TESTDATA = '/usr/share/libonnx-testdata/data/node';
export const hasTestdata = (): boolean => existsSync(TESTDATA);

export interface CaseResult {
  test: string;
  /** The operator the test exercises (the op of its single node; `(expanded)` tests have several). */
  op: string;
  status: 'passed' | 'refused' | 'failed' | 'random' | 'baddata';
  detail?: string;
}

/** float32 1e-3 relative + 1e-5 absolute (ONNX's backend tests use rtol 1e-3 too); integers exactly. */
function compare(got: tg.Tensor, want: tg.Tensor): string | null {
  if (got.shape.length !== want.shape.length || got.shape.some((d, i) => d !== want.shape[i]))
    return `shape [${got.shape}] vs expected [${want.shape}]`;
  const g = got.raw;
  const w = want.raw;
  for (let i = 0; i < w.length; i++) {
    const a = g[i];
    const b = w[i];
    if (Number.isNaN(b) ? !Number.isNaN(a) : !(Math.abs(a - b) <= 1e-5 + 1e-3 * Math.abs(b)) && a !== b)
      return `value ${i}: ${a} vs expected ${b}`;
  }
  return null;
}

/** The operator a test targets: its single node's op_type, else the name with "(expanded)". */
function opOf(dir: string, test: string): string {
  if (test.endsWith('_expanded')) return '(expanded)';
  try {
    const g = decodeModel(readFileSync(join(dir, 'model.onnx'))).graph;
    const ops = [...new Set((g?.node ?? []).map((n) => n.opType))];
    return ops.length === 1 ? ops[0] : '(multi-node)';
  } catch {
    return '(unreadable)';
  }
}

/**
 * Tests whose expected outputs come from numpy's random generator (dropout masks in training mode): no other
 * generator can reproduce them, so they are reported as random, not run.
 */
export const RANDOM_TESTS = new Set([
  'test_training_dropout',
  'test_training_dropout_default',
  'test_training_dropout_mask',
  'test_training_dropout_default_mask',
]);

const SHAPE = 'input shape differs from the model';
/**
 * Tests whose data contradicts the operator as ONNX now defines it, by test: the CastLike BFLOAT16 tests feed
 * `like` as shape [1] where the model declares [3, 4] (runtimes that check input shapes reject them), and
 * FLOAT_to_BFLOAT16 expects truncated values (ONNX < 1.14 generated it with a 16-bit shift; ONNX ≥ 1.14 and ONNX
 * Runtime round to nearest even, as tapegrad). Reported with the reason, not run.
 */
export const BAD_DATA_TESTS = new Map([
  ['test_castlike_BFLOAT16_to_FLOAT', SHAPE],
  ['test_castlike_BFLOAT16_to_FLOAT_expanded', SHAPE],
  ['test_castlike_FLOAT_to_BFLOAT16', SHAPE],
  ['test_castlike_FLOAT_to_BFLOAT16_expanded', SHAPE],
  ['test_cast_FLOAT_to_BFLOAT16', 'expects truncation, not rounding'],
]);

/** The declared element types of the model's graph inputs and outputs. */
function ioTypes(dir: string): { input: number[]; output: number[] } {
  const g = decodeModel(readFileSync(join(dir, 'model.onnx'))).graph;
  const init = new Set((g?.initializer ?? []).map((t) => t.name));
  const types = (vs: { name: string; type: { tensorType: { elemType: number } | null } | null }[]) =>
    vs.map((v) => v.type?.tensorType?.elemType ?? 0);
  return {
    input: types((g?.input ?? []).filter((v) => !init.has(v.name))),
    output: types(g?.output ?? []),
  };
}

export function runCase(test: string): CaseResult {
  const dir = join(TESTDATA, test);
  const op = opOf(dir, test);
  if (RANDOM_TESTS.has(test)) return { test, op, status: 'random' };
  if (BAD_DATA_TESTS.has(test)) return { test, op, status: 'baddata', detail: BAD_DATA_TESTS.get(test) };
  try {
    const declared = ioTypes(dir);
    const m = tg.onnx.loadModelSync(join(dir, 'model.onnx'));
    const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set_'));
    for (const s of sets) {
      const read = (prefix: string) =>
        readdirSync(join(dir, s))
          .filter((f) => f.startsWith(prefix))
          .sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)))
          .map((f, i) => {
            const p = decodeTensor(readFileSync(join(dir, s, f)));
            // numpy has no bfloat16: ONNX's generator stores BFLOAT16 values as their bits in a UINT16 tensor
            const type = (prefix === 'input_' ? declared.input : declared.output)[i];
            if (type === DataType.BFLOAT16 && p.dataType === DataType.UINT16) p.dataType = DataType.BFLOAT16;
            return tensorFromProto(p, `${test}/${s}/${f}`).t;
          });
      const xs = read('input_');
      const want = read('output_');
      const ys = tg.noGrad(() => m.apply(xs.length === 1 ? xs[0] : xs, { training: false })) as
        tg.Tensor | tg.Tensor[];
      const got = Array.isArray(ys) ? ys : [ys];
      for (let i = 0; i < want.length; i++) {
        const diff = got[i] ? compare(got[i], want[i]) : 'missing output';
        if (diff) return { test, op, status: 'failed', detail: `${s} output ${i}: ${diff}` };
      }
    }
    return { test, op, status: 'passed' };
  } catch (e) {
    const msg = (e as Error).message;
    const refused =
      e instanceof OnnxUnsupportedError || (e instanceof tg.FormatError && /not supported/.test(msg));
    return {
      test,
      op,
      status: refused ? 'refused' : 'failed',
      detail: `${(e as Error).name}: ${msg.slice(0, 300)}`,
    };
  }
}

export const listCases = (): string[] =>
  readdirSync(TESTDATA)
    .filter((t) => t.startsWith('test_'))
    .sort();

export const TABLE_START = '<!-- onnx-conformance:start -->';
export const TABLE_END = '<!-- onnx-conformance:end -->';

/** The markdown table (operator → passed / total) over every test of every operator tapegrad claims. */
export function conformanceTable(results: CaseResult[], claimed: readonly string[]): string {
  const rows = claimed.map((op) => {
    const rs = results.filter((r) => r.op === op);
    const passed = rs.filter((r) => r.status === 'passed').length;
    const notes = rs
      .filter((r) => r.status !== 'passed')
      .map((r) => {
        const why =
          r.status === 'random' ? 'numpy RNG' : r.status === 'baddata' ? `bad data: ${r.detail}` : 'refused';
        return `${r.test.replace(/^test_/, '')} (${why})`;
      });
    return `| ${op} | ${passed} / ${rs.length} | ${notes.join(', ')} |`;
  });
  const passed = results.filter((r) => claimed.includes(r.op) && r.status === 'passed').length;
  const total = results.filter((r) => claimed.includes(r.op)).length;
  return [
    TABLE_START,
    `ONNX ${'backend node tests'} (Debian libonnx-testdata): ${passed} of ${total} tests of the ${claimed.length} supported operators pass; the others are refused by name (or, marked numpy RNG, expect numpy's random dropout masks; or, marked bad data, contradict the model or today's operator).`,
    '',
    '| operator | passed / tests | not passed |',
    '|---|---|---|',
    ...rows,
    TABLE_END,
  ].join('\n');
}
