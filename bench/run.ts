// `npm run bench [-- --quick] [-- --all] [-- --only=cnn,sgemm,conv,lstm,fashion] [-- --threads=N]`: every workload in
// tapegrad (wasm, and js for reference), tfjs-core (cpu and wasm backends) and ConvNetJS, in one process.
// Prints a table of absolute numbers and ratios and writes JSON to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { wasmBackend } from '../src/backend/wasm-node.js';
import { fashionMnist } from './fashion-mnist.js';
import {
  type Cell,
  FRAMEWORKS,
  type Framework,
  type Row,
  type SuiteOptions,
  conv,
  lstm,
  seedCnn,
  sgemm,
} from './suites.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const all = args.includes('--all');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice(7)
  .split(',');
const threads = Number(args.find((a) => a.startsWith('--threads='))?.slice(10)) || availableParallelism();
const SUITES: [string, (o: SuiteOptions) => Promise<Row[]>][] = [
  ['cnn', seedCnn],
  ['sgemm', sgemm],
  ['conv', conv],
  ['lstm', lstm],
  ['fashion', fashionMnist],
];
const QUICK = new Set(['cnn', 'sgemm', 'lstm', 'fashion']);

function fmt(c: Cell | undefined): string {
  if (c === undefined) return '';
  if (typeof c === 'string') return c;
  return c >= 100 ? c.toFixed(0) : c >= 10 ? c.toFixed(1) : c.toFixed(2);
}

/** How many times better tapegrad-wasm is than fw (>1 = tapegrad faster). */
function ratio(r: Row, fw: Framework): string {
  const a = r.cells['tapegrad-wasm'];
  const b = r.cells[fw];
  if (typeof a !== 'number' || typeof b !== 'number') return '';
  return `${(r.higherIsBetter ? a / b : b / a).toFixed(2)}×`;
}

function table(rows: Row[]): string {
  const cols = FRAMEWORKS.filter((f) => rows.some((r) => r.cells[f] !== undefined));
  const vs = (['tfjs-wasm', 'tfjs-cpu', 'convnetjs'] as const).filter((f) => cols.includes(f));
  const head = ['workload', 'unit', ...cols, ...vs.map((f) => `tg-wasm vs ${f}`)];
  const body = rows.map((r) => [
    r.workload,
    r.unit,
    ...cols.map((f) => fmt(r.cells[f])),
    ...vs.map((f) => ratio(r, f)),
  ]);
  const lines = [head, head.map(() => '---'), ...body].map((l) => `| ${l.join(' | ')} |`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  if (!wasmBackend) throw new Error('bench: the wasm backend did not load; run `npm run build:wasm` first');
  const o: SuiteOptions = { quick, threads, all };
  const rows: Row[] = [];
  const t0 = performance.now();
  for (const [name, suite] of SUITES) {
    if (only && !only.includes(name)) continue;
    if (quick && !QUICK.has(name)) continue;
    process.stderr.write(`${name}...\n`);
    rows.push(...(await suite(o)));
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const out = table(rows);
  console.log(
    `\ntapegrad benchmarks (${quick ? 'quick' : 'full'}), ${new Date().toISOString()}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tapegrad threads ${threads}`,
  );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other processes on the machine slow every column)`,
  );
  console.log(
    `cells: time per call in the fastest Benchmark.js cycle (deferred; one event-loop turn after every call, for every framework)`,
  );
  console.log(
    `ratios: how many times faster tapegrad-wasm is (>1 = tapegrad wins); n/a = the framework has no such kernel; skipped = needs --all\n`,
  );
  console.log(out);
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const json = JSON.stringify(
    { date: new Date().toISOString(), quick, all, threads, machine, loadavg: loadavg(), rows },
    null,
    2,
  );
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  writeFileSync(new URL(`./results/${quick ? 'quick-' : ''}${stamp}.json`, import.meta.url), json);
  writeFileSync(new URL(`./results/latest${quick ? '-quick' : ''}.json`, import.meta.url), json);
}

await main();
