// Child process for the special-file test: tries every path-taking reader on the path given (a FIFO, a device, a
// folder) and prints one JSON line per reader with the error it threw. A reader that blocks never prints: the parent
// kills this process after its timeout and reports which readers answered.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tg from '../../../src/index.js';
import { closeHdf5Worker } from '../../../src/io/hdf5.js';
import { readTfjsModel } from '../../../src/io/tfjs.js';

const target = process.argv[2];
const dir = process.argv[3];
// a model.json whose only shard is the special file (as its base name beside model.json)
const manifest = join(dir, 'model.json');
const json = {
  modelTopology: { class_name: 'Sequential', config: { layers: [] } },
  weightsManifest: [
    { paths: [target.split('/').pop()!], weights: [{ name: 'w', shape: [1], dtype: 'float32' }] },
  ],
};
writeFileSync(manifest, JSON.stringify(json));
const readers: [string, () => unknown][] = [
  ['readNpy', () => tg.readNpy(target)],
  ['loadSafetensors', () => tg.loadSafetensors(target)],
  ['readIdx', () => tg.readIdx(target)],
  ['readCifar10', () => tg.readCifar10(target)],
  [
    'loadCheckpoint',
    () =>
      tg.loadCheckpoint(target, tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [1] })] })),
  ],
  ['keras.loadModel', () => tg.keras.loadModel(target)],
  ['keras.inspect', () => tg.keras.inspect(target)],
  ['tfjs shard', () => readTfjsModel(json, 'model.json', manifest)],
];
for (const [name, read] of readers) {
  let msg = 'no error';
  let typed = false;
  try {
    await read();
  } catch (e) {
    msg = (e as Error).message;
    typed = e instanceof tg.TapegradError;
  }
  process.stdout.write(`${JSON.stringify({ name, msg, typed })}\n`);
}
await closeHdf5Worker();
