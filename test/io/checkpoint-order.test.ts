// The same architecture built twice in one process gets other layer names (dense_2 ...); loading still works,
// by position, when the saved weights' count and shapes fit exactly; anything else stays a mismatch.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const mk = (units = 3) => {
  const m = tg.sequential({
    layers: [tg.layers.dense({ units, inputShape: [2] }), tg.layers.dense({ units: 1 })],
  });
  m.compile({ optimizer: tg.train.adam(0.01), loss: 'mse' });
  return m;
};

it('a rebuilt model (other layer names) loads weights and optimizer state by position', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ck-')), 'm.safetensors');
  const a = mk();
  const b = mk();
  const x = tg.randn([8, 2]);
  const y = tg.randn([8, 1]);
  await a.fit(x, y, { epochs: 2, verbose: 0, shuffle: false });
  await tg.saveCheckpoint(path, a);
  expect(a.layers[0].name).not.toBe(b.layers[0].name);
  const r = await tg.loadCheckpoint(path, b);
  expect(r.ok).toBe(true);
  expect(Array.from((b.predict(x) as tg.Tensor).data)).toEqual(Array.from((a.predict(x) as tg.Tensor).data));
  // the optimizer continues identically: one more epoch on both gives the same weights
  await a.fit(x, y, { epochs: 1, verbose: 0, shuffle: false });
  await b.fit(x, y, { epochs: 1, verbose: 0, shuffle: false });
  expect(b.getWeights().map((w) => Array.from(w.data))).toEqual(
    a.getWeights().map((w) => Array.from(w.data)),
  );
  // a different architecture still lists every mismatch
  await expect(tg.loadCheckpoint(path, mk(4))).rejects.toThrow(/does not fit/);
});
