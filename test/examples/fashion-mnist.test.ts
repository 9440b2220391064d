// A small slice of the Fashion-MNIST example (the full run is a script: see docs/performance.md).
// NOTE: the data comes from Debian's dataset-fashion-mnist package; .ci/run installs it so CI runs this test, and a
// fresh machine without it skips with a message naming the package (the README's `npm ci && npm test` must pass).
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { DEFAULT_DIR, main } from '../../examples/fashion-mnist/main.js';

const present = existsSync(`${DEFAULT_DIR}/train-images-idx3-ubyte.gz`);
if (!present)
  console.warn(
    `${DEFAULT_DIR} is absent: skipping the Fashion-MNIST example test (apt-get install dataset-fashion-mnist; .ci/run does)`,
  );

it.skipIf(!present)(
  'fashion-mnist example trains on a slice of the real data',
  async () => {
    const r = await main({ quick: true, log: () => {} });
    expect(r.testAccuracy).toBeGreaterThan(0.5);
    expect(r.epochSeconds.length).toBe(1);
  },
  180_000,
);
