// Where do the numbers in model.summary() come from? 170, 3,220, 41,088 and a total of 45,768.
import * as tg from '../../../src/index.js';

tg.setSeed(4);
const model = tg.sequential({
  layers: [
    tg.layers.conv2d({ filters: 10, kernelSize: 4, activation: 'relu', inputShape: [28, 28, 1] }),
    tg.layers.maxPooling2d({ poolSize: 2 }),
    tg.layers.conv2d({ filters: 20, kernelSize: 4, activation: 'relu' }),
    tg.layers.maxPooling2d({ poolSize: 2 }),
    tg.layers.flatten(),
    tg.layers.dense({ units: 128, activation: 'relu' }),
    tg.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.summary({ formulas: true, print: console.log });

// The spatial sizes come from 'valid' padding and the pools: 28 → 25 → 12 → 9 → 4, so Flatten gives 4·4·20 = 320.
let shape = [1, 28, 28, 1];
for (const l of model.layers) {
  if (l.className === 'Conv2D' || l.className === 'MaxPooling2D')
    console.log(
      `${l.name}: ${tg
        .explain(l, shape)
        .split('\n')
        .find((s) => s.trim().startsWith('H:'))!
        .trim()}`,
    );
  shape = [...(tg.noGrad(() => l.apply(tg.zeros(shape))) as tg.Tensor).shape];
}
