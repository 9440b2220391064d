import * as tg from '../src/index.js';
import { yieldToEventLoop } from '../src/core/storage.js';
import { LSTM, LSTM_PARAM_SHAPES, initParams } from './lib/specs.js';
import { randArray } from './lib/timer.js';
const { samples: N, steps: T, features: F, out: O, units: U, dense: D } = LSTM;
const init = initParams(LSTM_PARAM_SHAPES, 43);
const m = tg.sequential({ layers: [
  tg.layers.lstm({ units: U, activation: 'relu', inputShape: [T, F] }), tg.layers.repeatVector({ n: T }),
  tg.layers.lstm({ units: U, activation: 'relu', returnSequences: true }),
  tg.layers.timeDistributed({ layer: tg.layers.dense({ units: D, activation: 'relu' }) }),
  tg.layers.timeDistributed({ layer: tg.layers.dense({ units: O }) })] });
m.setWeights(init.map((p, i) => new tg.Tensor(Float32Array.from(p), LSTM_PARAM_SHAPES[i])));
const x = new tg.Tensor(randArray(N * T * F, 41), [N, T, F]);
const y = new tg.Tensor(randArray(N * T * O, 42), [N, T, O]);
const params = m.parameters();
const n = Number(process.argv[2] ?? 60);
const ts: number[] = [];
for (let i = 0; i < n; i++) {
  const t0 = performance.now();
  const { value, grads } = tg.valueAndGrads(() => tg.mseLoss(m.apply(x) as tg.Tensor, y))(...params);
  params.forEach((p, k) => { const d = p.data; const g = grads[k].data; for (let j = 0; j < d.length; j++) d[j] -= 0.001 * g[j]; });
  value.item();
  ts.push(performance.now() - t0);
  await yieldToEventLoop();
}
console.log(ts.map((t) => t.toFixed(0)).join(' '));
