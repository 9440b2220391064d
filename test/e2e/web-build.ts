// Global setup of the browser suite: build the package when it is stale, then the examples/web page into
// test-artifacts/web-dist once, for every e2e file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const SITE = join(ARTIFACTS, 'web-dist');

/** Newest modification time of the files under `dir` (recursively) matching `keep`. */
function newest(dir: string, keep: (f: string) => boolean): number {
  return readdirSync(dir).reduce((m, f) => {
    const p = join(dir, f);
    const s = statSync(p);
    return Math.max(m, s.isDirectory() ? newest(p, keep) : keep(p) ? s.mtimeMs : 0);
  }, 0);
}

/** Rebuild the package (npm run build) when dist/ is missing or older than src/ or the wasm kernels. */
function ensurePackageBuild(): void {
  const out = join(ROOT, 'dist', 'browser.js');
  const wasms = ['kernels.wasm', 'kernels-fma.wasm'].map((f) => join(ROOT, 'dist', f));
  const fresh =
    existsSync(out) &&
    wasms.every((w) => existsSync(w)) &&
    statSync(out).mtimeMs >= newest(join(ROOT, 'src'), (f) => f.endsWith('.ts')) &&
    wasms.every((w) => statSync(w).mtimeMs >= newest(join(ROOT, 'asm'), () => true));
  if (fresh) return;
  const r = spawnSync('npm', ['run', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

export default async function setup(): Promise<void> {
  ensurePackageBuild();
  mkdirSync(ARTIFACTS, { recursive: true });
  await build({
    configFile: join(ROOT, 'examples/web/vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: SITE, emptyOutDir: true },
  });
}
