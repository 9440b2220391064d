// A small slice of the Fashion-MNIST example (the full run is a script: see docs/performance.md).
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEFAULT_DIR, main } from '../../examples/fashion-mnist/main.js';

it('fashion-mnist example trains on a slice of the real data', async () => {
  // .ci/run installs Debian's dataset-fashion-mnist; without it this test fails loudly rather than skipping.
  expect(
    existsSync(`${DEFAULT_DIR}/train-images-idx3-ubyte.gz`),
    `install dataset-fashion-mnist (${DEFAULT_DIR})`,
  ).toBe(true);
  const r = await main({ quick: true, log: () => {} });
  expect(r.testAccuracy).toBeGreaterThan(0.5);
  expect(r.epochSeconds.length).toBe(1);
}, 180_000);
