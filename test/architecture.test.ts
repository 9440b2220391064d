// Imports flow one way: core ← ops ← train ← plot ← nn ← debug ← io ← cli; backend is reached only through ops
// (type-only imports are free: they vanish at compile time).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;
const RANK: Record<string, number> = {
  core: 0,
  backend: 1,
  ops: 2,
  train: 3,
  plot: 4,
  nn: 5,
  debug: 6,
  io: 7,
  cli: 8,
  index: 9,
};
/** Who may import the backend (kernels): ops (dispatch/registration) and the top-level barrel. */
const BACKEND_USERS = new Set(['backend', 'ops', 'index']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const layerOf = (rel: string): string => (rel.includes('/') ? rel.split('/')[0] : rel.replace(/\.ts$/, ''));

describe('architecture', () => {
  it('imports flow one way', () => {
    const bad: string[] = [];
    for (const f of files(SRC)) {
      const from = layerOf(relative(SRC, f));
      const src = readFileSync(f, 'utf8');
      for (const m of src.matchAll(/(?:import|export)(?!\s+type\b)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
        const target = relative(SRC, join(f, '..', m[1]));
        if (target.startsWith('..')) continue;
        const to = layerOf(target);
        if (!(from in RANK) || !(to in RANK)) continue;
        if (RANK[to] > RANK[from]) bad.push(`${relative(SRC, f)} imports ${target}`);
        if (to === 'backend' && !BACKEND_USERS.has(from))
          bad.push(`${relative(SRC, f)} uses the backend directly`);
      }
    }
    expect(bad).toEqual([]);
  });
});
