// Locates the shared Keras fixtures (../shared/keras-fixtures beside the repo, as in CI) for the io tests.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Absolute path of the keras-fixtures folder, or null when it is not present. */
export function kerasFixturesDir(): string | null {
  const d = join(repoRoot, '..', 'shared', 'keras-fixtures');
  return existsSync(join(d, 'README.md')) ? d : null;
}

/** Folder of this repository's small test fixtures. */
export const localFixtures = join(repoRoot, 'test', 'fixtures');
