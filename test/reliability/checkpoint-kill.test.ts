// Killing a process while it saves a checkpoint (SIGKILL, no cleanup) never leaves a broken checkpoint: the file at
// the target path is always a complete earlier or newer save, and the next save removes the orphaned temp file.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'tg-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const UNITS = 2048; // 2048·2048 + 2048 float32 = 16 MiB per save
const KILLS = 6;

/** Start the save loop; resolves with the child once it reported its first complete save. */
function startWriter(path: string): Promise<{ child: ChildProcess; lastSaved: () => number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(here, 'helpers', 'save-loop.ts'), path, String(UNITS)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let last = 0;
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/saved (\d+)/g)) last = Number(m[1]);
      if (last >= 1) resolve({ child, lastSaved: () => last });
    });
    child.on('exit', (code) => reject(new Error(`writer exited early (${code}): ${err}`)));
  });
}

function model(): tg.Sequential {
  return tg.sequential({ layers: [tg.layers.dense({ units: UNITS, inputShape: [UNITS], name: 'big' })] });
}

describe('kill -9 during a checkpoint save', () => {
  it(`${KILLS} kills (at seeded random moments and while a temp file is open): the checkpoint always loads whole and consistent`, async () => {
    let seed = 20261125;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let midWrite = 0;
    for (let i = 0; i < KILLS; i++) {
      const dir = join(tmp, `run${i}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const path = join(dir, 'ckpt.safetensors');
      const { child, lastSaved } = await startWriter(path);
      // even runs: kill at a random moment; odd runs: kill as soon as a save's temp file appears (mid-write)
      if (i % 2 === 0) await new Promise((r) => setTimeout(r, 5 + rnd() * 150));
      else {
        const t0 = Date.now();
        while (!readdirSync(dir).some((f) => f.endsWith('.tmp')) && Date.now() - t0 < 5000)
          await new Promise((r) => setImmediate(r));
      }
      const exited = new Promise((r) => child.once('close', r)); // 'close': all of its stdout has been read
      child.kill('SIGKILL');
      await exited;
      const reported = lastSaved();
      const temps = readdirSync(dir).filter((f) => f.endsWith('.tmp'));
      if (temps.length) midWrite++;
      // the checkpoint at the target path is one complete save: every value equals its k, which is the last
      // reported save or the one after it (completed, killed before it could print)
      const m = model();
      const r = await tg.loadWeights(m, path);
      expect(r.ok).toBe(true);
      const k = Number(r.metadata.k);
      expect([reported, reported + 1]).toContain(k);
      for (const w of m.getWeights()) {
        const d = w.data;
        let bad = 0;
        for (let j = 0; j < d.length; j++) if (d[j] !== k) bad++;
        expect(bad).toBe(0);
      }
      // the next save in this folder removes the dead writer's temp file
      await tg.saveWeights(m, path);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(existsSync(path)).toBe(true);
    }
    console.log(
      `[reliability] kill-mid-save: ${KILLS} kills, ${midWrite} landed mid-write (temp file left behind)`,
    );
    expect(midWrite).toBeGreaterThan(0);
  });
});
