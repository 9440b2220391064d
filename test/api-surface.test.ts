// The public face: src/index.ts and the folder barrels list their exports by name (no `export *` of a module),
// leave internals out, and docs/api.md lists every value `import * as tg from 'tapegrad'` gives, folder by folder.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../src/index.js';
import * as ops from '../src/ops/index.js';
import * as train from '../src/train/index.js';
import * as plot from '../src/plot/index.js';
import * as nn from '../src/nn/index.js';
import * as io from '../src/io/index.js';
import * as debug from '../src/debug/index.js';

const SRC = new URL('../src/', import.meta.url).pathname;
const BARRELS: [string, object][] = [
  ['ops', ops],
  ['train', train],
  ['plot', plot],
  ['nn', nn],
  ['io', io],
  ['debug', debug],
];

/** The markdown list docs/api.md must hold: each barrel's names (first barrel that has a name wins), sorted. */
function exportList(): string {
  const seen = new Set<string>();
  const rows = BARRELS.map(([f, m]) => {
    const names = Object.keys(m)
      .filter((k) => !seen.has(k))
      .sort((a, b) => a.localeCompare(b));
    names.forEach((n) => seen.add(n));
    return `- \`src/${f}/index.ts\` (${names.length}): ${names.map((n) => `\`${n}\``).join(', ')}`;
  });
  const own = Object.keys(tg)
    .filter((k) => !seen.has(k))
    .sort((a, b) => a.localeCompare(b));
  return [
    `- \`src/index.ts\`, core and backend (${own.length}): ${own.map((n) => `\`${n}\``).join(', ')}`,
    ...rows,
  ].join('\n');
}

describe('the public face', () => {
  it('docs/api.md lists every exported value, folder by folder', () => {
    const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    const block = /<!-- exports -->\n([\s\S]*?)\n<!-- \/exports -->/.exec(doc)?.[1];
    expect(block, 'docs/api.md: replace the block between <!-- exports --> and <!-- /exports --> with').toBe(
      exportList(),
    );
  });

  it('leaves internals out', () => {
    for (const name of ['run', 'PRIMS', 'primNames', 'backwardPass', 'crc32', 'encodePng', 'installBackward'])
      expect(name in tg, name).toBe(false);
  });

  it('src/index.ts and the barrels name what they export (only whole folder barrels and namespaces use `*`)', () => {
    const barrels = ['index.ts', ...readdirSync(SRC).map((d) => `${d}/index.ts`)].filter((f) => {
      try {
        readFileSync(SRC + f);
        return true;
      } catch {
        return false;
      }
    });
    const bad: string[] = [];
    for (const f of barrels)
      for (const m of readFileSync(SRC + f, 'utf8').matchAll(/^export \*(?! as )\s*from\s*'([^']+)'/gm))
        if (!(f === 'index.ts' && /^\.\/\w+\/index\.js$/.test(m[1])))
          bad.push(`${f}: export * from '${m[1]}'`);
    expect(bad).toEqual([]);
  });
});
