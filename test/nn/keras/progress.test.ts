// fit's progress output as Keras's ProgbarLogger writes it. Keras (2: tf_keras/callbacks.py, 3:
// keras/src/callbacks/callback_list.py) appends the ProgbarLogger to the callback list after the user's callbacks and
// the History, and hands every callback the same logs dict: a user's onBatchEnd runs before the bar is drawn, its
// onEpochEnd before the epoch's line, and a key it adds to the epoch's logs is on that line. The epoch title is
// printed only when fit runs more than one epoch (`if self.verbose and self.epochs > 1`), and Keras's Progbar writes a
// value as `' %.4f' % v` when abs(v) > 1e-3, else `' %.4e' % v` — checked here against Python's own formatting.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as tg from '../../../src/index.js';
import { pyFormat } from '../../../src/nn/keras/progress.js';

function setup() {
  const m = tg.sequential({ name: 'm', layers: [tg.layers.dense({ units: 2, inputShape: [3] })] });
  m.compile({ optimizer: 'sgd', loss: 'mse' });
  return { m, x: tg.randn([10, 3], { rng: new tg.Rng(1) }), y: tg.randn([10, 2], { rng: new tg.Rng(2) }) };
}

const PY = '/usr/bin/python3';
const hasPython = existsSync(PY);
/** Keras's Progbar rule, run by Python: f' {v:.4f}' if abs(v) > 1e-3 else f' {v:.4e}' (without the space). */
const kerasValues = (vs: number[]): string[] =>
  JSON.parse(
    String(
      execFileSync(PY, [
        '-c',
        'import json, sys\nvs = [float(v) for v in json.loads(sys.argv[1])]\nprint(json.dumps([f"{v:.4f}" if abs(v) > 1e-3 else f"{v:.4e}" for v in vs]))',
        // as text Python's float() reads: -0 keeps its sign, NaN and Infinity by name
        JSON.stringify(vs.map((v) => (Object.is(v, -0) ? '-0.0' : String(v)))),
      ]),
    ),
  );

describe('fit progress, in the order of Keras`s callback list', () => {
  it('the epoch line comes after the user`s onEpochEnd and shows the keys it added (and the History keeps)', async () => {
    const { m, x, y } = setup();
    const out: string[] = [];
    const h = await m.fit(x, y, {
      epochs: 2,
      batchSize: 5,
      verbose: 2,
      log: (l) => out.push(l),
      callbacks: {
        onEpochEnd: (e, logs) => {
          out.push(`user onEpochEnd ${e}`);
          logs!.lr = 0.01;
          logs!.tiny = 0;
        },
      },
    });
    expect(out.length).toBe(6);
    expect(out[0]).toBe('Epoch 1/2');
    expect(out[1]).toBe('user onEpochEnd 0');
    expect(out[3]).toBe('Epoch 2/2');
    expect(out[4]).toBe('user onEpochEnd 1');
    for (const [i, line] of [out[2], out[5]].entries()) {
      const loss = h.history.loss[i];
      // loss first (the logs' order), then the added keys; 0 is 0.0000e+00 as Keras writes it
      expect(line).toMatch(
        /^2\/2 - \d+(?:\.\d)?s - \d+ms\/step - loss: \S+ - lr: 0\.0100 - tiny: 0\.0000e\+00$/,
      );
      expect(line).toContain(`loss: ${pyFormat(loss, 4, !(Math.abs(loss) > 1e-3))} -`);
    }
    expect(h.history.lr).toEqual([0.01, 0.01]);
  });

  it('one epoch prints no title (Keras: only when epochs > 1); initialEpoch 1 of 2 prints Epoch 2/2', async () => {
    const { m, x, y } = setup();
    const one: string[] = [];
    await m.fit(x, y, { epochs: 1, batchSize: 5, verbose: 2, log: (l) => one.push(l) });
    expect(one.length).toBe(1);
    expect(one[0]).toMatch(/^2\/2 - /);
    const resumed: string[] = [];
    await m.fit(x, y, { epochs: 2, initialEpoch: 1, batchSize: 5, verbose: 2, log: (l) => resumed.push(l) });
    expect(resumed[0]).toBe('Epoch 2/2');
    expect(resumed.length).toBe(2);
  });

  describe('on a terminal (verbose 1)', () => {
    afterEach(() => vi.restoreAllMocks());
    it('each batch is drawn after the user`s onBatchEnd', async () => {
      const { m, x, y } = setup();
      const writes: string[] = [];
      const stdout = process.stdout as NodeJS.WriteStream & { isTTY?: boolean };
      const wasTTY = stdout.isTTY;
      stdout.isTTY = true;
      vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
        writes.push(String(s));
        return true;
      });
      try {
        await m.fit(x, y, {
          epochs: 1,
          batchSize: 5,
          verbose: 1,
          callbacks: { onBatchEnd: (b) => void process.stdout.write(`user ${b}\n`) },
        });
      } finally {
        stdout.isTTY = wasTTY;
      }
      // the bar's draws start with \r (1/2 [===...] then 2/2), the final line ends the epoch
      const order = writes
        .filter((w) => w.startsWith('user') || /^\r\d\/2 \[/.test(w))
        .map((w) => w.slice(0, 6));
      expect(order).toEqual(['user 0', '\r1/2 [', 'user 1', '\r2/2 [']);
      expect(writes.some((w) => /^\r2\/2 - \d+(?:\.\d)?s - \d+ms\/step - loss: /.test(w))).toBe(true);
    });
  });
});

describe('values as Keras`s Progbar writes them (Python %-formatting)', () => {
  // ties at 4 decimals (1/32, 123456.78125: Python rounds half to even, JS's toFixed away from zero), the 1e-3
  // threshold itself, zero, tiny and huge values, and non-finite ones
  const values = [
    0,
    -0,
    1e-3,
    -1e-3,
    0.0010001,
    0.03125,
    -0.03125,
    0.09375,
    0.5,
    2.5,
    123456.78125,
    1.5e-4,
    2 ** -15,
    2 ** -20,
    1e-300,
    5e-324,
    1e21,
    1e22,
    -3.14159265,
    0.99999,
    0.99995,
    Number.NaN,
    Infinity,
    -Infinity,
  ];
  it.skipIf(!hasPython)('pyFormat with Keras`s rule gives Python`s strings', () => {
    const want = kerasValues(values);
    const got = values.map((v) => pyFormat(v, 4, !(Math.abs(v) > 1e-3)));
    expect(got).toEqual(want);
  });
  if (!hasPython) it.skip(`skipped: ${PY} is not installed (Debian package python3)`, () => {});
});
