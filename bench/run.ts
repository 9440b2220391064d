// `npm run bench [-- --quick] [-- --only=cnn-train,sgemm,...] [-- --frameworks=tapegrad,pytorch] [-- --threads=N]`:
// every (workload, framework) cell of bench/workloads.ts in its own child process (bench/worker.ts; PyTorch via
// bench/torch_bench.py where `python3 -c "import torch"` works (or /usr/bin/python3's)), then the cell table and issue 12's targets table.
// JSON goes to bench/results/ (or --out=FILE). `--tiny` runs a handful of steps per cell (what CI's test runs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Cell, cellTable, configTable, targetTable, targets } from './lib/report.js';
import type { CellResult } from './worker.js';
import { type FrameworkId, WARMUP_MS, WORKLOADS, firstStepsProcesses, loopOptions } from './workloads.js';
import { quantile } from './lib/measure.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const mode = args.includes('--tiny') ? 'tiny' : args.includes('--quick') ? 'quick' : 'full';
const only = opt('only')?.split(',');
const fwOnly = opt('frameworks')?.split(',');
const threads = Number(opt('threads')) || availableParallelism();
const log = (s: string): void => void process.stderr.write(`${s}\n`);

/** `--only=cnn` selects cnn-train, cnn-infer and cnn-fit; `--only=sgemm-1024` one workload. */
const selected = WORKLOADS.filter((w) => !only || only.some((o) => w.id === o || w.id.startsWith(`${o}-`)));
if (only && !selected.length)
  throw new Error(
    `bench: --only=${only.join(',')} matches no workload (${WORKLOADS.map((w) => w.id).join(', ')})`,
  );

/**
 * The first python that imports torch: $TAPEGRAD_BENCH_PYTHON, python3 on the PATH, then Debian's /usr/bin/python3.
 * NOTE: a pyenv or venv python3 first on the PATH does not see Debian's python3-torch, so the system one is tried too.
 */
function findTorchPython(): string | null {
  const candidates = [process.env.TAPEGRAD_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => !!p,
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
    if (r.status === 0) return py;
  }
  return null;
}
const wantTorch =
  selected.some((w) => w.frameworks.includes('pytorch')) && (!fwOnly || fwOnly.includes('pytorch'));
const python = wantTorch ? findTorchPython() : null;

/** Run one process of a cell and parse its BENCH_RESULT line (or say why there is none). */
function spawnCell(workload: string, fw: FrameworkId, extra: string[]): CellResult | { failed: string } {
  const flags = [mode === 'full' ? '' : `--${mode}`, ...extra].filter(Boolean);
  const cmd =
    fw === 'pytorch'
      ? [python, [fileURLToPath(new URL('./torch_bench.py', import.meta.url)), workload, ...flags]]
      : [
          process.execPath,
          ['--import', 'tsx', 'bench/worker.ts', workload, fw, ...flags, `--threads=${threads}`],
        ];
  const r = spawnSync(cmd[0] as string, cmd[1] as string[], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30 * 60_000,
    // NOTE: Debian's torch calls the system BLAS (OpenBLAS with libopenblas0-pthread): give it the same thread count.
    env: { ...process.env, OPENBLAS_NUM_THREADS: String(threads) },
    maxBuffer: 64 * 2 ** 20,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (r.status === 0 && line) return JSON.parse(line.slice(13)) as CellResult;
  const why = r.error
    ? r.error.message
    : (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' / ');
  return { failed: why };
}

/**
 * Run one cell: its synchronous loop in a child process and, where the workload has a yielding loop, that loop of
 * another fresh model in a second child process (NOTE: not after the first loop in the same process, whose seconds
 * of steps would have warmed the second loop's code up: see measureYielding).
 */
function runCell(workload: string, fw: FrameworkId): Cell {
  const t0 = performance.now();
  const failed = (why: string): Cell => {
    log(`  ${workload} ${fw}: FAILED (${why})`);
    return { workload, framework: fw, missing: `failed: ${why.slice(0, 160)}` };
  };
  const c = spawnCell(workload, fw, []);
  if ('failed' in c) return failed(c.failed);
  const w = WORKLOADS.find((x) => x.id === workload);
  if (c.m && fw !== 'pytorch' && w && loopOptions(w, mode).yielding) {
    const y = spawnCell(workload, fw, ['--loop=yielding']);
    if ('failed' in y) return failed(`yielding loop: ${y.failed}`);
    if (!y.yielding) return failed(`yielding loop: no result (${y.na ?? 'none'})`);
    c.m.yielding = y.yielding;
    c.rssPeakMiB = Math.max(c.rssPeakMiB, y.rssPeakMiB); // the cell's peak: a user may run either loop
  }
  const procs = c.m && w ? firstStepsProcesses(w, fw, mode) : 1;
  if (c.m && procs > 1) {
    // more fresh processes of the synchronous loop, for the median of their steps 5–10 / steady ratios, each beside a
    // fresh process of the yielding loop, for the median of the sync/yielding ratios of process pairs
    // NOTE: the pairs run yielding-first and sync-first in turn, so neither loop always takes the later minute
    const runs = [c.m.from5th];
    const pairs = c.m.yielding ? [c.m.yielding.median / c.m.sync.median] : [];
    const extra = (i: number, loop: string): CellResult | null => {
      const f = spawnCell(workload, fw, [`--loop=${loop}`]);
      // NOTE: a failed extra process costs its ratio only (the median then says of how many), not the cell
      if ('failed' in f || (!f.m && !f.yielding)) {
        log(
          `  ${workload} ${fw}: extra process ${i + 1} (${loop}) FAILED (${'failed' in f ? f.failed : (f.na ?? 'no result')})`,
        );
        return null;
      }
      c.rssPeakMiB = Math.max(c.rssPeakMiB, f.rssPeakMiB);
      return f;
    };
    const withYielding = pairs.length > 0; // the cell has a yielding loop
    for (let i = 1; i < procs; i++) {
      let y = withYielding && i % 2 === 1 ? extra(i, 'first-yielding') : null;
      const f = extra(i, 'first');
      if (withYielding && i % 2 === 0) y = extra(i, 'first-yielding');
      if (f?.m) runs.push(f.m.from5th);
      if (f?.m && y?.yielding) pairs.push(y.yielding.median / f.m.sync.median);
    }
    c.m.from5thRuns = runs;
    c.m.from5th = quantile(runs, 0.5);
    if (pairs.length > 1) c.m.syncYieldRuns = pairs;
    log(
      `  ${workload} ${fw}: steps 5–10 / steady in ${runs.length} fresh processes: ${runs.map((r) => r.toFixed(2)).join(', ')}; sync/yielding in ${pairs.length} pairs: ${pairs.map((r) => r.toFixed(2)).join(', ')}`,
    );
  }
  const s = c.m?.sync ?? c.pair?.a;
  const second = c.pair
    ? `interleaved with it: ${c.pair.b.median.toFixed(2)} ms (p90 ${c.pair.b.p90.toFixed(2)})`
    : `yielding ${c.m?.yielding?.median.toFixed(2) ?? '–'} ms`;
  log(
    `  ${workload} ${fw}: ${c.na || !s ? `n/a (${c.na})` : `sync median ${s.median.toFixed(2)} ms (p90 ${s.p90.toFixed(2)}, n=${s.n}), ${second}, peak RSS ${c.rssPeakMiB.toFixed(0)} MiB`} [${((performance.now() - t0) / 1000).toFixed(0)} s]`,
  );
  return c;
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const started = new Date().toISOString();
  const torch = python !== null;
  const cells: Cell[] = [];
  for (const w of selected) {
    log(`${w.id}...`);
    for (const fw of w.frameworks) {
      if (fwOnly && !fwOnly.includes(fw)) continue;
      if (mode !== 'full' && w.fullOnly?.includes(fw))
        cells.push({ workload: w.id, framework: fw, missing: 'full run only' });
      else if (fw === 'pytorch' && !torch)
        cells.push({
          workload: w.id,
          framework: fw,
          missing: 'not run: python3 cannot import torch (Debian: python3-torch)',
        });
      else cells.push(runCell(w.id, fw));
    }
  }
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  const used = [...new Set(cells.map((c) => c.framework))];
  const tg = targets(cells);
  console.log(
    `\ntapegrad benchmarks (${mode}), ${started} to ${new Date().toISOString()}, ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, tapegrad threads ${threads}; PyTorch ${python ? `found (${python})` : wantTorch ? 'not installed' : 'not selected'}`,
  );
  const builds = [...new Set(cells.flatMap((c) => ('kernels' in c && c.kernels ? [c.kernels] : [])))];
  console.log(`tapegrad's kernel build: ${builds.join(', ') || 'none reported'}`);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (other processes on the machine slow every column)`,
  );
  console.log(
    `each cell is its own process: a fresh model timed step by step in a plain synchronous loop (first 5 steps; then the steady median and p90 of the steps after the warm-up window of ${WARMUP_MS / 1000} s); in a second process, another fresh model in a loop that awaits setImmediate after every step (times include that turn; the same warm-up window); peak RSS = the larger process maxRSS\n`,
  );
  console.log(configTable(used));
  console.log(`\n${cellTable(cells)}\n`);
  console.log(targetTable(tg));
  console.log(`\n(${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const json = JSON.stringify({
    date: new Date().toISOString(), // when the run ended
    started,
    mode,
    threads,
    torch,
    machine,
    kernels: builds,
    loadavg: loadavg(),
    cells,
    targets: tg,
  });
  const out = opt('out');
  if (out) writeFileSync(out, json);
  else {
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    writeFileSync(
      new URL(`./results/${mode === 'full' ? '' : `${mode}-`}${stamp}.json`, import.meta.url),
      json,
    );
    writeFileSync(
      new URL(`./results/latest${mode === 'full' ? '' : `-${mode}`}.json`, import.meta.url),
      json,
    );
  }
}

await main();
