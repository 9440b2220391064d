// Run an ES module source in a fresh Node process (with tsx, so it may import src/*.ts): for what only a new process
// shows, such as environment variables read at import or V8 flags given on the command line.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';

/** `node [nodeArgs] --import tsx --input-type=module -e src` with `env` over this process's environment. */
export function spawnModule(
  src: string,
  opts: { env?: Record<string, string>; nodeArgs?: string[] } = {},
): SpawnSyncReturns<string> {
  return spawnSync(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--import', 'tsx', '--input-type=module', '-e', src],
    { encoding: 'utf8', env: { ...process.env, ...opts.env }, timeout: 30_000 },
  );
}

/** The absolute path of a module under src/, for an import in a spawned module's source. */
export const srcPath = (rel: string): string =>
  JSON.stringify(new URL(`../../src/${rel}`, import.meta.url).pathname);
