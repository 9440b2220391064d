// A small CNN, Keras style: layers know their input shape only once built, summary() shows the arithmetic.
import * as tg from '../../../src/index.js';

tg.setSeed(0);
const model = tg.sequential({
  layers: [
    tg.layers.conv2d({
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      inputShape: [28, 28, 1],
    }),
    tg.layers.maxPooling2d({ poolSize: 2 }),
    tg.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
    tg.layers.maxPooling2d({ poolSize: 2 }),
    tg.layers.flatten(),
    tg.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.summary({ formulas: true, print: console.log });
const probs = model.predict(tg.zeros([2, 28, 28, 1])) as tg.Tensor;
console.log(
  `predict [2,28,28,1] → ${tg.fmtShape(probs.shape)}; each row sums to ${probs
    .sum(1)
    .toArray()
    .map((v: number) => v.toFixed(3))}`,
);

// The same network, PyTorch style: a Module with forward(), NCHW layout, explicit in_features.
class Net extends tg.nn.Module {
  conv1 = new tg.nn.Conv2d(1, 8, 3, { padding: 1 });
  conv2 = new tg.nn.Conv2d(8, 16, 3);
  pool = new tg.nn.MaxPool2d(2);
  fc = new tg.nn.Linear(16 * 6 * 6, 10);
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.conv1.forward(x)));
    h = this.pool.forward(tg.relu(this.conv2.forward(h)));
    return this.fc.forward(tg.reshape(h, [h.shape[0], -1]));
  }
}
const net = new Net();
console.log(
  `Module output: ${tg.fmtShape(net.forward(tg.zeros([2, 1, 28, 28])).shape)}, parameters: ${net.countParams().toLocaleString('en-US')}`,
);
