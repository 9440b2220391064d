// A fresh seed CNN training model on the wasm backend (bench/models/tapegrad.ts: valueAndGrads + plain SGD, batch
// 32), for the scripts that study a fresh process's first steps; and the seed CNN as PyTorch users write it. NOTE: importing this loads the library; a script
// that must run something first (an optimized probe loop) imports it dynamically after that.
import * as tg from '../../src/index.js';
import { tapegradCnn } from '../models/tapegrad.js';
import { randArray, randLabels } from './data.js';
import { SEED_CNN, initParams, specParamShapes } from './specs.js';

/** The wasm backend on `threads` threads, ready, and a new seed CNN model on a fixed random batch. */
export async function freshSeedCnn(threads: number): Promise<ReturnType<typeof tapegradCnn>> {
  tg.setBackend('wasm');
  tg.setNumThreads(threads);
  await tg.ready();
  const shapes = specParamShapes(SEED_CNN);
  const { h, w, c, classes } = SEED_CNN;
  return tapegradCnn(
    initParams(shapes, 13),
    shapes,
    randArray(32 * h * w * c, 113),
    randLabels(32, classes, 213),
    32,
  );
}

/** The seed CNN (specs.ts SEED_CNN) as PyTorch users write it: a `tg.nn.Module` on NCHW images. */
export class TorchSeedCnn extends tg.nn.Module {
  conv1 = new tg.nn.Conv2d(3, 12, 3, { padding: 1 });
  conv2 = new tg.nn.Conv2d(12, 8, 3, { padding: 1 });
  pool = new tg.nn.MaxPool2d(2);
  fc1 = new tg.nn.Linear(8 * 8 * 8, 64);
  fc2 = new tg.nn.Linear(64, 10);
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.conv1.forward(x)));
    h = this.pool.forward(tg.relu(this.conv2.forward(h)));
    return this.fc2.forward(tg.relu(this.fc1.forward(tg.reshape(h, [h.shape[0], -1]))));
  }
}

/**
 * A TorchSeedCnn (seed 1) with `tg.SGD` on a fixed random NCHW batch of 32: `step()` is
 * `opt.zeroGrad(); crossEntropy(net.forward(x), y).backward(); opt.step()` and returns the loss.
 */
export function torchSeedCnn(): { net: TorchSeedCnn; x: tg.Tensor; step: () => number } {
  tg.setSeed(1);
  const net = new TorchSeedCnn();
  const opt = new tg.SGD(net.namedParameters(), { lr: 0.01 });
  const x = new tg.Tensor(randArray(32 * 3 * 32 * 32, 113), [32, 3, 32, 32]);
  const y = new tg.Tensor(randLabels(32, 10, 213), [32]);
  const step = (): number => {
    opt.zeroGrad();
    const loss = tg.crossEntropy(net.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
  return { net, x, step };
}
