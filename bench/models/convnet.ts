// The seed CNN in ConvNetJS (one sample at a time; a batch is 32 accumulated samples per SGD update).
import convnetjs from 'convnetjs';
import { CNN } from '../lib/specs.js';

export function convnetCnn(images: Float32Array, labels: Int32Array, batch: number) {
  const net = new convnetjs.Net();
  net.makeLayers([
    { type: 'input', out_sx: CNN.w, out_sy: CNN.h, out_depth: CNN.c },
    { type: 'conv', sx: 3, filters: CNN.c1, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'conv', sx: 3, filters: CNN.c2, stride: 1, pad: 1, activation: 'relu' },
    { type: 'pool', sx: 2, stride: 2 },
    { type: 'fc', num_neurons: CNN.hidden, activation: 'relu' },
    { type: 'softmax', num_classes: CNN.classes },
  ]);
  const trainer = new convnetjs.Trainer(net, {
    method: 'sgd',
    learning_rate: CNN.lr,
    momentum: 0,
    batch_size: batch,
    l2_decay: 0,
  });
  const px = CNN.h * CNN.w * CNN.c;
  // NOTE: ConvNetJS volumes are [x][y][depth] with depth fastest, the same memory order as one NHWC image.
  const vols = Array.from({ length: batch }, (_, i) => {
    const v = new convnetjs.Vol(CNN.w, CNN.h, CNN.c, 0);
    v.w.set(images.subarray(i * px, (i + 1) * px));
    return v;
  });
  return {
    train(): number {
      let loss = 0;
      for (let i = 0; i < batch; i++) loss = trainer.train(vols[i], labels[i]).loss;
      return loss;
    },
    infer(): void {
      for (let i = 0; i < batch; i++) net.forward(vols[i], false);
    },
  };
}
