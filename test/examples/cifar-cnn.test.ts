// The README's main job (examples/cifar-cnn) in quick mode: it trains on real MNIST digits and learns.
import { expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { main, seedNetwork as exampleNetwork } from '../../examples/cifar-cnn/main.js';
import { seedNetwork } from '../support/seed-network.js';

it('the example writes out the same network the tests and scripts use (test/support/seed-network.ts)', () => {
  const summary = (m: tg.Sequential) => {
    m.buildModel([null, 28, 28, 1]);
    // layer names carry a global counter (conv2d, conv2d_2, ...): compare types, shapes and counts
    return m
      .summary({ print: false })
      .replace(/^\w+? \(/gm, '(')
      .replace(/ +/g, ' ');
  };
  expect(summary(exampleNetwork())).toBe(summary(seedNetwork()));
});

it('seed CNN example trains on MNIST digits and beats chance', async () => {
  const lines: string[] = [];
  const r = await main({ quick: true, log: (l) => lines.push(l) });
  const loss = r.history.history.loss;
  expect(loss[loss.length - 1]).toBeLessThan(loss[0]);
  expect(r.testAccuracy).toBeGreaterThan(0.3); // chance is 0.1; two quick epochs on 480 digits
  const text = lines.join('\n');
  expect(text).toContain('(None, 7, 7, 8)');
  expect(text).toContain('(392+1)·64 = 25,152');
}, 120_000);

it('given a CIFAR-10 binary folder it trains on 32×32×3 images', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'cifar-'));
  // records: 1 label byte + 3072 pixel bytes (R, G, B planes); class 0 bright red, class 1 bright blue
  const batch = (n: number, seed: number) => {
    const b = new Uint8Array(n * 3073);
    for (let i = 0; i < n; i++) {
      const label = (i + seed) % 2;
      b[i * 3073] = label;
      for (let p = 0; p < 1024; p++)
        b[i * 3073 + 1 + (label === 0 ? 0 : 2048) + p] = 200 + ((p * 7 + i) % 50);
    }
    return b;
  };
  writeFileSync(join(dir, 'data_batch_1.bin'), batch(64, 0));
  writeFileSync(join(dir, 'test_batch.bin'), batch(32, 1));
  const lines: string[] = [];
  const r = await main({ cifarDir: dir, epochs: 3, log: (l) => lines.push(l) });
  expect(lines.join('\n')).toContain('CIFAR-10: 64 training and 32 test images of 32×32×3');
  expect(lines.join('\n')).toContain('(None, 8, 8, 8)');
  expect(r.testAccuracy).toBeGreaterThan(0.9);
}, 120_000);
