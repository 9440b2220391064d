// Imports flow one way: core ← backend ← ops ← train ← plot ← nn ← debug ← io ← cli; backend is reached only
// through ops (type-only imports are free: they vanish at compile time). And no import cycles among src/ files.
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
/**
 * Import cycles that remain, each with its reason. The list is exact: a cycle not listed fails, and so does a
 * listed one that is gone (take it off).
 */
const KNOWN_CYCLES: Record<string, string> = {};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}
const layerOf = (rel: string): string => (rel.includes('/') ? rel.split('/')[0] : rel.replace(/\.ts$/, ''));

/** The relative specifiers a source imports at run time: `import type` and all-`type` brace lists vanish. */
function valueSpecifiers(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^(?:import|export)(?!\s+type\b)([^'";]*?)from\s+['"](\.[^'"]+)['"]/gm)) {
    const names = /^\s*\{([^}]*)\}\s*$/.exec(m[1]);
    const allTypes =
      names !== null &&
      names[1]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
        .every((s) => s.startsWith('type '));
    if (!allTypes) out.push(m[2]);
  }
  for (const m of src.matchAll(/^import\s+['"](\.[^'"]+)['"]/gm)) out.push(m[1]);
  return out;
}
/** The src/ files a file imports at run time. */
function valueImports(file: string): string[] {
  return valueSpecifiers(readFileSync(file, 'utf8'))
    .map((spec) => relative(SRC, join(file, '..', spec)).replace(/\.js$/, '.ts'))
    .filter((t) => !t.startsWith('..'));
}

/** Strongly connected components with more than one file (Tarjan), each as sorted paths joined by ' ↔ '. */
function importCycles(graph: Map<string, string[]>): string[] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) cycles.push(scc.sort().join(' ↔ '));
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles.sort();
}

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

  it('src/ has no import cycles (value imports) beyond the known ones', () => {
    const graph = new Map(files(SRC).map((f) => [relative(SRC, f), valueImports(f)]));
    expect(importCycles(graph)).toEqual(Object.keys(KNOWN_CYCLES).sort());
  });

  it('the cycle detector finds a cycle, and only through value imports', () => {
    const g = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(importCycles(g)).toEqual(['a.ts ↔ b.ts ↔ c.ts']);
    const src = [
      "import type { A } from './a.js';",
      "import { type B, type C } from './b.js';",
      "import { type D, e } from './e.js';",
      "import './f.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
    ].join('\n');
    expect(valueSpecifiers(src).sort()).toEqual(['./e.js', './f.js', './g.js']);
  });
});
