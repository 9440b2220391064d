// An LSTM encoder-decoder forecaster (the seed model): windows of 6 steps of a 2-feature series
// (two noisy sines) predict the next step. Keras-style: tg.sequential + compile + fit.
// Run: npx tsx examples/lstm-encoder-decoder/main.ts [--quick]   (or TAPEGRAD_QUICK=1)
import * as tg from '../../src/index.js';

const WINDOW = 6;
const FEATURES = 2;

/** A two-feature series of length n: sin with period 20 and a half-amplitude cosine with period 13, plus noise. */
export function makeSeries(n: number, rng: tg.Rng, noise = 0.05): Float32Array {
  const s = new Float32Array(n * FEATURES);
  for (let t = 0; t < n; t++) {
    s[t * FEATURES] = Math.sin((2 * Math.PI * t) / 20) + noise * rng.normal();
    s[t * FEATURES + 1] = 0.5 * Math.cos((2 * Math.PI * t) / 13) + noise * rng.normal();
  }
  return s;
}

/** Sliding windows: x [m, 6, 2] (steps t..t+5) and y [m, 1, 2] (step t+6), for t in [from, to). */
export function windows(series: Float32Array, from: number, to: number): { x: tg.Tensor; y: tg.Tensor } {
  const m = to - from;
  const x = new Float32Array(m * WINDOW * FEATURES);
  const y = new Float32Array(m * FEATURES);
  for (let i = 0; i < m; i++) {
    const t = from + i;
    x.set(series.subarray(t * FEATURES, (t + WINDOW) * FEATURES), i * WINDOW * FEATURES);
    y.set(series.subarray((t + WINDOW) * FEATURES, (t + WINDOW + 1) * FEATURES), i * FEATURES);
  }
  return { x: new tg.Tensor(x, [m, WINDOW, FEATURES]), y: new tg.Tensor(y, [m, 1, FEATURES]) };
}

/** The seed model: LSTM(200, relu) → RepeatVector(1) → LSTM(200, relu, sequences) → TD(Dense(100, relu)) → TD(Dense(2)). */
export function buildModel(units = 200): tg.Sequential {
  return tg.sequential({
    layers: [
      tg.layers.lstm({ units, activation: 'relu', inputShape: [WINDOW, FEATURES] }),
      tg.layers.repeatVector({ n: 1 }),
      tg.layers.lstm({ units, activation: 'relu', returnSequences: true }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 100, activation: 'relu' }) }),
      tg.layers.timeDistributed({ layer: tg.layers.dense({ units: FEATURES }) }),
    ],
  });
}

const mse = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
};

export interface Result {
  outputShape: number[];
  losses: number[];
  modelMse: number;
  naiveMse: number;
}

export async function main(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<Result> {
  const log = opts.log ?? console.log;
  const quick = opts.quick ?? process.env.TAPEGRAD_QUICK === '1';
  tg.setSeed(1);
  const rng = new tg.Rng(1);
  // 81 training windows (the seed's input (81, 6, 2)), then 40 held-out windows further along the series
  const nTrain = 81;
  const nTest = 40;
  const series = makeSeries(nTrain + nTest + WINDOW, rng);
  const train = windows(series, 0, nTrain);
  const test = windows(series, nTrain, nTrain + nTest);
  log(
    `training windows x ${JSON.stringify(train.x.shape)} → y ${JSON.stringify(train.y.shape)}; test windows ${test.x.shape[0]}`,
  );

  // NOTE: quick mode keeps the architecture with 32 units (and a larger step), to finish in seconds.
  const model = buildModel(quick ? 32 : 200);
  model.summary({ print: log });
  model.compile({ optimizer: quick ? tg.train.adam(0.01) : 'adam', loss: 'mse' });
  const epochs = quick ? 25 : 60;
  const history = await model.fit(train.x, train.y, {
    epochs,
    batchSize: 16,
    verbose: 0,
    callbacks: [
      {
        onEpochEnd: (e, logs) =>
          void (
            (e + 1) % (quick ? 5 : 10) === 0 &&
            log(`epoch ${e + 1}/${epochs}: loss ${logs?.loss?.toFixed(5)}`)
          ),
      },
    ],
  });

  const one = model.predict(tg.slice(test.x, [0, 0, 0], [1, WINDOW, FEATURES])) as tg.Tensor;
  log(
    `one forecast: output shape (${one.shape.join(', ')}) = [${Array.from(one.data, (v) => v.toFixed(3)).join(', ')}]`,
  );
  const pred = model.predict(test.x) as tg.Tensor;
  // naive baseline: the next step equals the last step of the window
  const last = tg.slice(test.x, [0, WINDOW - 1, 0], [nTest, 1, FEATURES]);
  const modelMse = mse(pred.data, test.y.data);
  const naiveMse = mse(last.data, test.y.data);
  log(
    `test MSE: model ${modelMse.toFixed(5)} vs naive last-value ${naiveMse.toFixed(5)} (${(naiveMse / modelMse).toFixed(2)}× ${modelMse < naiveMse ? 'better' : 'worse'})`,
  );
  return { outputShape: [...one.shape], losses: history.history.loss, modelMse, naiveMse };
}

if (import.meta.url === `file://${process.argv[1]}`)
  void main({ quick: process.argv.includes('--quick') || process.env.TAPEGRAD_QUICK === '1' });
