// The CI-sized slice of scripts/soak.ts: ~15 s of seed-CNN training (fit + checkpoint saves) in a fresh process with
// --expose-gc; after warm-up, heap, RSS and ArrayBuffer memory must not grow beyond small bounds.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { SoakResult } from '../../scripts/soak.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'tg-soak-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const MiB = 1024 ** 2;

describe('soak (CI slice)', () => {
  it('heap, RSS and ArrayBuffers stay flat over ~15 s of training after warm-up', () => {
    const out = join(tmp, 'soak.json');
    const args = ['--expose-gc', '--import', 'tsx', join(root, 'scripts', 'soak.ts')];
    args.push(
      '--steps',
      '100000',
      '--seconds',
      '15',
      '--batch',
      '16',
      '--sample-every',
      '4',
      '--warmup',
      '40',
      '--checkpoint-every',
      '25',
      '--json',
      out,
    );
    // the script's own pass/fail bounds are looser; this test applies the ones below to the JSON it writes
    args.push('--max-heap-mib', '1024', '--max-rss-mib', '4096');
    const child = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 90_000 });
    expect(child.status, child.stderr + child.stdout).toBe(0);
    const r = JSON.parse(readFileSync(out, 'utf8')) as SoakResult;
    console.log(
      child.stdout
        .trim()
        .split('\n')
        .map((l) => `[reliability] ${l}`)
        .join('\n'),
    );
    expect(r.gcExposed).toBe(true);
    expect(r.steps).toBeGreaterThanOrEqual(64);
    expect(r.checkpoints).toBeGreaterThanOrEqual(3);
    // a leaked batch graph is ~1.5 MiB of activations per step, so a leak of any step's tape shows at once;
    // the heap bound catches leaks above ~30 KiB of JS objects per step over this run
    expect(r.growth.heapUsed).toBeLessThan(4 * MiB);
    expect(r.growth.arrayBuffers).toBeLessThan(64 * MiB);
    expect(r.growth.rss).toBeLessThan(96 * MiB);
    // training happened: the loss went down
    const losses = r.samples.map((s) => s.loss);
    const q = Math.max(1, Math.floor(losses.length / 4));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(losses.slice(-q))).toBeLessThan(mean(losses.slice(0, q)));
  });
});
