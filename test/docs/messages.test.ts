// Error messages the docs quote are the ones the library prints, and their advice works when followed as written.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

const memoryMd = readFileSync(new URL('../../docs/memory.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');

describe('docs/memory.md: a second backward through a released graph', () => {
  it('the message names the call to make (options are the second argument), and that call works', () => {
    const run = () => {
      const m = tg.sequential();
      m.add(tg.layers.dense({ units: 16, activation: 'relu', inputShape: [16] }));
      m.add(tg.layers.dense({ units: 16 }));
      const x = tg.randn([8, 16], { rng: new tg.Rng(1) });
      return tg.mean(tg.square(m.apply(x) as tg.Tensor));
    };
    const loss = run();
    loss.backward();
    let msg = '';
    try {
      loss.backward();
    } catch (e) {
      msg = (e as Error).message;
    }
    const advice = 'call the first one as loss.backward(undefined, { retainGraph: true })';
    expect(msg).toContain(
      `was released after backward() used it; to run backward through the same graph again, ${advice}`,
    );
    expect(memoryMd).toContain(`to run backward through the same graph again, ${advice}`);
    // as written: the first backward keeps the graph, the second one runs
    const again = run();
    again.backward(undefined, { retainGraph: true });
    expect(() => again.backward()).not.toThrow();
  });
});
