// The seed CNN (conv 3×3×12 'same' + relu → maxpool 2 → conv 3×3×8 'same' + relu → maxpool 2 → dense 64 + relu →
// dense 10), shared by tests and scripts (soak, fit-rss) so none of them imports an example.
// NOTE: examples/cifar-cnn/main.ts writes the same network out for its readers; test/examples/cifar-cnn.test.ts
// checks that the two summaries agree.
import * as tg from '../../src/index.js';

export function seedNetwork(): tg.Sequential {
  return tg.sequential({
    name: 'seed_cnn',
    layers: [
      tg.layers.conv2d({ filters: 12, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tg.layers.maxPooling2d({ poolSize: 2 }),
      tg.layers.flatten(),
      tg.layers.dense({ units: 64, activation: 'relu' }),
      tg.layers.dense({ units: 10 }),
    ],
  });
}
