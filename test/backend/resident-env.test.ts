// TAPEGRAD_RESIDENT_MB, the resident budget read at import (docs/memory.md "The budget"): a value that is not a
// positive number of MiB is refused by name, not ignored in favour of the 256 MiB default.
import { describe, expect, it } from 'vitest';
import { installWasmBackend } from '../../src/backend/wasm/node.js';
import { spawnModule, srcPath } from '../support/spawn-module.js';

describe('TAPEGRAD_RESIDENT_MB', () => {
  it('refuses what is not a positive number of MiB, naming it and the value', () => {
    const before = process.env.TAPEGRAD_RESIDENT_MB;
    try {
      for (const bad of ['64MB', 'lots', '0', '-8', 'Infinity']) {
        process.env.TAPEGRAD_RESIDENT_MB = bad;
        // NOTE: read: null returns before any backend is registered, after the variable was checked
        expect(() => installWasmBackend(() => null)).toThrow(
          `TAPEGRAD_RESIDENT_MB: expected a positive number of MiB (the resident budget, default 256), got '${bad}'`,
        );
      }
      for (const ok of ['', ' ', '64', '0.5']) {
        process.env.TAPEGRAD_RESIDENT_MB = ok;
        expect(installWasmBackend(() => null)).toBeNull();
      }
    } finally {
      if (before === undefined) delete process.env.TAPEGRAD_RESIDENT_MB;
      else process.env.TAPEGRAD_RESIDENT_MB = before;
    }
  });

  it('a valid value is the budget tg.memory() reports', () => {
    const r = spawnModule(
      `const tg = await import(${srcPath('index.ts')}); console.log(tg.getBackend(), tg.memory().budgetBytes);`,
      { env: { TAPEGRAD_RESIDENT_MB: '0.5' } },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(`wasm ${0.5 * 1024 * 1024}`);
  });
});
