// Peak RSS of every example, each in its own process (issue 12: every example ≤ 512 MiB, Fashion-MNIST included).
// Usage: npx tsx scripts/examples-rss.ts [--quick] [name ...]; exits 1 when one is over the bound.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const RSS_BOUND_MIB = 512;

/** name → arguments after the script (full runs; `--quick` adds the example's own quick flag). */
export const EXAMPLES: Record<string, { script: string; args: string[]; needs?: string }> = {
  'cifar-cnn': { script: 'examples/cifar-cnn/main.ts', args: [] },
  'fashion-mnist': {
    script: 'examples/fashion-mnist/main.ts',
    args: ['--epochs=1'],
    needs: '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz',
  },
  'lstm-encoder-decoder': { script: 'examples/lstm-encoder-decoder/main.ts', args: [] },
  'custom-module': { script: 'examples/custom-module/main.ts', args: [] },
  'training-curves': { script: 'examples/training-curves/main.ts', args: [] },
};

/** Run one example in a child process; its peak RSS in MiB (or null with the reason). */
export function exampleRss(
  name: string,
  quick: boolean,
): { mib: number | null; why?: string; seconds: number } {
  const e = EXAMPLES[name];
  if (e.needs && !existsSync(e.needs)) return { mib: null, why: `missing ${e.needs}`, seconds: 0 };
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      './scripts/rss-report.mjs',
      e.script,
      ...e.args,
      ...(quick ? ['--quick'] : []),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const m = /maxRSS_KiB=(\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m)
    return { mib: null, why: `exit ${r.status}: ${(r.stderr ?? '').slice(-400)}`, seconds };
  return { mib: Number(m[1]) / 1024, seconds };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const names = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  let bad = 0;
  for (const name of names.length ? names : Object.keys(EXAMPLES)) {
    const r = exampleRss(name, quick);
    const cell = r.mib === null ? `not run (${r.why})` : `${r.mib.toFixed(0)} MiB`;
    if (r.mib !== null && r.mib > RSS_BOUND_MIB) bad++;
    console.log(
      `${name.padEnd(22)} ${quick ? 'quick' : 'full '}  peak RSS ${cell}  (${r.seconds.toFixed(0)} s)`,
    );
  }
  if (bad) {
    console.log(`${bad} example(s) over ${RSS_BOUND_MIB} MiB`);
    process.exit(1);
  }
}
