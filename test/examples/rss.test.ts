// A CI slice of scripts/examples-rss.ts: the README's main job (quick mode) in its own process stays within the
// examples' peak-RSS bound (issue 12: ≤ 512 MiB); the full runs are the script's job (docs/performance.md).
import { expect, it } from 'vitest';
import { RSS_BOUND_MIB, exampleRss } from '../../scripts/examples-rss.js';

it(`the seed CNN example (quick) peaks under ${RSS_BOUND_MIB} MiB of RSS in its own process`, () => {
  const r = exampleRss('cifar-cnn', true);
  expect(r.why, 'the example failed').toBeUndefined();
  expect(r.mib!).toBeGreaterThan(10); // it ran and reported
  expect(r.mib!).toBeLessThan(RSS_BOUND_MIB);
}, 240_000);
