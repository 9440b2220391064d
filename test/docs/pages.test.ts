// The docs cannot rot: every code block marked `<!-- code: code/x.ts -->` in docs/guide and docs/questions must
// equal that file (with its import of ../../../src/index.js shown as 'tapegrad'), and every block marked
// `<!-- output: code/x.ts -->` must equal what the file prints when run now. TAPEGRAD_UPDATE_DOCS=1 rewrites them.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dirs = ['docs/guide', 'docs/questions'].map((d) => join(root, d));
const update = process.env.TAPEGRAD_UPDATE_DOCS === '1';
const pages = dirs.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(d, f)),
);
const codeFiles = dirs.flatMap((d) =>
  readdirSync(join(d, 'code'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(d, 'code', f)),
);

/** What a reader sees: the repository-relative import shown as the package name. */
const shown = (src: string) => src.replace(/from '(\.\.\/)+src\/index\.js'/g, "from 'tapegrad'").trimEnd();

/** Marker + the fenced block after it: [whole match, kind, path, language, fence body]. */
const BLOCK = /<!-- (code|output): ([\w./-]+) -->\n```(\w*)\n([\s\S]*?)```/g;

/** Run all programs in one child process (test/docs/run-pages.ts); each output as console.log printed it. */
function runAll(files: string[]): Promise<Record<string, string>> {
  return new Promise((res, rej) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/docs/run-pages.ts'), ...files],
      { cwd: root, timeout: 240_000, maxBuffer: 1 << 26 },
      (err, stdout, stderr) =>
        err ? rej(new Error(`docs programs failed: ${err.message}\n${stderr}`)) : res(JSON.parse(stdout)),
    ),
  );
}

const outputs = new Map<string, string>();
beforeAll(async () => {
  for (const [f, out] of Object.entries(await runAll(codeFiles))) outputs.set(f, out);
}, 300_000);

describe('docs pages', () => {
  it('every code file is shown in some page', () => {
    const text = pages.map((p) => readFileSync(p, 'utf8')).join('\n');
    for (const f of codeFiles)
      expect(text, `${f} is not referenced`).toContain(`<!-- code: code/${f.split('/code/')[1]} -->`);
  });

  for (const page of pages)
    it(`${page.slice(root.length + 1)}: code and output blocks match the files and what they print now`, () => {
      const md = readFileSync(page, 'utf8');
      let updated = md;
      let blocks = 0;
      for (const m of md.matchAll(BLOCK)) {
        blocks++;
        const [whole, kind, rel, lang, body] = m;
        const file = join(dirname(page), rel);
        const want = kind === 'code' ? shown(readFileSync(file, 'utf8')) : outputs.get(file);
        expect(want, `${rel}: no such code file`).toBeDefined();
        if (update)
          updated = updated.replace(whole, () => `<!-- ${kind}: ${rel} -->\n\`\`\`${lang}\n${want}\n\`\`\``);
        else
          expect(
            body.trimEnd(),
            `${page}: the ${kind} block for ${rel} is out of date (run with TAPEGRAD_UPDATE_DOCS=1 to rewrite)`,
          ).toBe(want);
      }
      if (update && updated !== md) writeFileSync(page, updated);
      if (page.includes('/questions/') && !page.endsWith('README.md'))
        expect(blocks, `${page} shows no code`).toBeGreaterThanOrEqual(2);
    });
});
