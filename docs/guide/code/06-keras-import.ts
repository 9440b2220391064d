// Keras files in and out: save a model as Keras .h5, inspect the file, load it back with a load report.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tg from '../../../src/index.js';

tg.setSeed(0);
const model = tg.sequential({
  layers: [
    tg.layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    tg.layers.flatten(),
    tg.layers.dense({ units: 2, activation: 'softmax' }),
  ],
});
const path = join(mkdtempSync(join(tmpdir(), 'keras-')), 'model.h5');
await tg.keras.saveModel(model, path); // legacy HDF5, readable by Keras; '.keras' writes a Keras 3 archive

console.log(tg.keras.formatInspect(await tg.keras.inspect(path)));
const loaded = await tg.keras.loadModel(path);
console.log(`\n${tg.keras.formatReport(loaded.loadReport)}`);

const x = tg.randn([3, 6, 6, 1]);
const diff = tg
  .sub(model.predict(x) as tg.Tensor, loaded.predict(x) as tg.Tensor)
  .abs()
  .max()
  .item();
console.log(`\nsame predictions after the round trip: ${diff === 0}`);
console.log(tg.explain(loaded.layers[0], [1, 6, 6, 1]).split('\n')[0]);
