// What shape does an Encoder-Decoder LSTM return?
// Encoder: LSTM over 10 steps of 3 features → one vector. RepeatVector copies it 5 times; the decoder LSTM
// (returnSequences: true) keeps the time axis; TimeDistributed(Dense(1)) gives one number per output step.
import * as tg from '../../../src/index.js';

tg.setSeed(2);
const model = tg.sequential({
  layers: [
    tg.layers.lstm({ units: 16, inputShape: [10, 3] }),
    tg.layers.repeatVector({ n: 5 }),
    tg.layers.lstm({ units: 16, returnSequences: true }),
    tg.layers.timeDistributed({ layer: tg.layers.dense({ units: 1 }) }),
  ],
});
model.summary({ print: console.log });
const y = model.predict(tg.zeros([4, 10, 3])) as tg.Tensor;
console.log(`\npredict on [4, 10, 3] → ${tg.fmtShape(y.shape)}: (batch, output steps, values per step)`);

// The usual mistake: the decoder without returnSequences drops the time axis.
const wrong = tg.sequential({
  layers: [
    tg.layers.lstm({ units: 16, inputShape: [10, 3] }),
    tg.layers.repeatVector({ n: 5 }),
    tg.layers.lstm({ units: 16 }),
    tg.layers.dense({ units: 1 }),
  ],
});
console.log(
  `without returnSequences the model returns ${tg.fmtShape((wrong.predict(tg.zeros([4, 10, 3])) as tg.Tensor).shape)}: one value per sequence, not per step`,
);
