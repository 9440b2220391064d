// A conv + BatchNormalization network (not one of issue 12's targets; session 25's normalization rows): conv 3×3×32
// with no bias → BatchNormalization → relu → max-pool 2 → conv 3×3×64 → BatchNormalization → relu → max-pool 2 →
// dense 10, on 32×32×3 at batch 32, as Keras users (tg.layers, tf.layers) and PyTorch users (tg.nn; PyTorch itself in
// bench/torch_bench.py) write it. Each framework starts from its own initial weights: only the time compares.
import * as tg from '../../src/index.js';
import { randArray, randLabels } from '../lib/data.js';

export const BN_BATCH = 32;
/** The fixed batch every framework's cell runs on (NHWC values; tg.nn reads the same values as NCHW). */
export const bnImages = (): Float32Array => randArray(BN_BATCH * 32 * 32 * 3, 113);
export const bnLabels = (): Int32Array => randLabels(BN_BATCH, 10, 213);

/** tg.layers: `trainOnBatch` (SGD, training-mode batch statistics) or `predict` (moving statistics). */
export function tapegradLayersBn(train: boolean): () => unknown {
  tg.setSeed(3);
  const m = tg.sequential();
  m.add(
    tg.layers.conv2d({
      inputShape: [32, 32, 3],
      filters: 32,
      kernelSize: 3,
      padding: 'same',
      useBias: false,
    }),
  );
  m.add(tg.layers.batchNormalization());
  m.add(tg.layers.activation({ activation: 'relu' }));
  m.add(tg.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tg.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', useBias: false }));
  m.add(tg.layers.batchNormalization());
  m.add(tg.layers.activation({ activation: 'relu' }));
  m.add(tg.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tg.layers.flatten());
  m.add(tg.layers.dense({ units: 10 }));
  m.compile({ optimizer: tg.train.sgd(0.01), loss: 'sparseCategoricalCrossentropy' });
  const x = new tg.Tensor(bnImages(), [BN_BATCH, 32, 32, 3]);
  const y = new tg.Tensor(bnLabels(), [BN_BATCH]);
  return train ? () => m.trainOnBatch(x, y) : () => (m.predict(x) as tg.Tensor).data;
}

class TorchBnCnn extends tg.nn.Module {
  c1 = new tg.nn.Conv2d(3, 32, 3, { padding: 1, bias: false });
  b1 = new tg.nn.BatchNorm2d(32);
  c2 = new tg.nn.Conv2d(32, 64, 3, { padding: 1, bias: false });
  b2 = new tg.nn.BatchNorm2d(64);
  pool = new tg.nn.MaxPool2d(2);
  fc = new tg.nn.Linear(64 * 8 * 8, 10);
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.b1.forward(this.c1.forward(x))));
    h = this.pool.forward(tg.relu(this.b2.forward(this.c2.forward(h))));
    return this.fc.forward(tg.reshape(h, [h.shape[0], -1]));
  }
}

/** tg.nn on NCHW: `loss.backward()` + `tg.SGD` in train mode, or the forward in eval mode under `tg.noGrad`. */
export function tapegradNnBn(train: boolean): () => unknown {
  tg.setSeed(3);
  const net = new TorchBnCnn();
  const x = new tg.Tensor(bnImages(), [BN_BATCH, 3, 32, 32]);
  if (!train) {
    net.eval();
    return () => tg.noGrad(() => net.forward(x)).data;
  }
  const y = new tg.Tensor(bnLabels(), [BN_BATCH]);
  const opt = new tg.SGD(net.parameters(), { lr: 0.01 });
  return () => {
    opt.zeroGrad();
    const loss = tg.crossEntropy(net.forward(x), y);
    loss.backward();
    opt.step();
    return loss.item();
  };
}
