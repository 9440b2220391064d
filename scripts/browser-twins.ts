// esbuild plugin for the browser build: swap each `X.ts` that has a sibling `X.browser.ts` for that twin, and
// refuse static Node built-in imports (naming the importer) so a Node-only module can never slip into the bundle.
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import type { Plugin } from 'esbuild';

const BUILTINS = new Set(builtinModules);
const isBuiltin = (p: string): boolean =>
  p.startsWith('node:') || BUILTINS.has(p) || BUILTINS.has(p.split('/')[0]);

/** The `.ts` file an import like `./x.js` names, or null when it is not a relative TypeScript import. */
function sourceOf(importer: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = resolve(dirname(importer), spec);
  const ts = base.replace(/\.js$/, '.ts');
  return existsSync(ts) ? ts : null;
}

/**
 * True when the npm package holding `importer` declares `"browser": { "<builtin>": false }` (as protobufjs does for
 * the `fs` it only tries inside a try/catch): bundlers give such a package an empty module in browsers.
 */
function packageStubsBuiltin(importer: string, builtin: string): boolean {
  if (!importer.includes('/node_modules/')) return false;
  for (let dir = dirname(importer); dir.includes('/node_modules/'); dir = dirname(dir)) {
    const pj = resolve(dir, 'package.json');
    if (!existsSync(pj)) continue;
    const browser = (JSON.parse(readFileSync(pj, 'utf8')) as { browser?: unknown }).browser;
    return (
      !!browser && typeof browser === 'object' && (browser as Record<string, unknown>)[builtin] === false
    );
  }
  return false;
}

/** The browser twin of a source file (`X.browser.ts` beside `X.ts`), or null. */
export function twinOf(file: string): string | null {
  const twin = file.replace(/\.ts$/, '.browser.ts');
  return twin !== file && existsSync(twin) ? twin : null;
}

export interface TwinRecord {
  /** Source files replaced by their twins in this build (repo-relative). */
  replaced: Set<string>;
  /** Node built-ins reached only through a dynamic `import()` and replaced by a module that throws. */
  dynamicNode: Set<string>;
}

/**
 * The plugin. `record` collects what was swapped (the bundle test checks it). Dynamic `import('node:x')` calls
 * resolve to a module whose evaluation throws, so the promise rejects with a clear message in browsers.
 */
export function browserTwins(
  root: string,
  record: TwinRecord = { replaced: new Set(), dynamicNode: new Set() },
): Plugin {
  return {
    name: 'tapegrad-browser-twins',
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (isBuiltin(args.path)) {
          const who = relative(root, args.importer);
          if (packageStubsBuiltin(args.importer, args.path))
            return { path: args.path, namespace: 'browser-empty' };
          if (args.kind === 'dynamic-import') {
            record.dynamicNode.add(`${who} → ${args.path}`);
            return { path: args.path, namespace: 'node-unavailable' };
          }
          return {
            errors: [
              {
                text: `${who} imports the Node built-in '${args.path}': the browser build cannot include it. Move the Node-only code into a module with a ${'`*.browser.ts`'} twin (see src/browser.ts).`,
              },
            ],
          };
        }
        const src = sourceOf(args.importer, args.path);
        if (!src || src.endsWith('.browser.ts')) return undefined;
        const twin = twinOf(src);
        if (!twin) return undefined;
        record.replaced.add(relative(root, src));
        return { path: twin };
      });
      build.onLoad({ filter: /.*/, namespace: 'browser-empty' }, () => ({
        contents: 'module.exports = {};',
        loader: 'js',
      }));
      build.onLoad({ filter: /.*/, namespace: 'node-unavailable' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`tapegrad: '${args.path}' is a Node built-in and is not available in browsers`)});`,
        loader: 'js',
      }));
    },
  };
}
