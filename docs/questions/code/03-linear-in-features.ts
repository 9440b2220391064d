// What goes into nn.Linear(in_features, ...) after convolutions and pooling? (Why 4·7·7?)
import * as tg from '../../../src/index.js';

tg.setSeed(3);
class Net extends tg.nn.Module {
  conv1 = new tg.nn.Conv2d(1, 4, 3, { padding: 1 }); // 28×28 → 28×28 (padding 1 keeps the size)
  pool = new tg.nn.MaxPool2d(2); // halves: 28 → 14, then 14 → 7
  conv2 = new tg.nn.Conv2d(4, 4, 3, { padding: 1 });
  fc = new tg.nn.Linear(4 * 7 * 7, 10); // 4 channels × 7 × 7 = 196 features after flattening
  forward(x: tg.Tensor): tg.Tensor {
    let h = this.pool.forward(tg.relu(this.conv1.forward(x)));
    h = this.pool.forward(tg.relu(this.conv2.forward(h)));
    return this.fc.forward(tg.reshape(h, [h.shape[0], -1]));
  }
}
const net = new Net();
net.summary({ inputShape: [1, 28, 28], formulas: true, print: console.log });

// The arithmetic, read from the ops that actually ran (each line of explain shows its own):
for (const [layer, shape] of [
  [net.conv1, [1, 1, 28, 28]],
  [net.pool, [1, 4, 28, 28]],
  [net.conv2, [1, 4, 14, 14]],
  [net.pool, [1, 4, 14, 14]],
] as const)
  console.log(
    tg
      .explain(layer, shape)
      .split('\n')
      .find((l) => l.trim().startsWith('H:'))!
      .trim(),
  );

// With a wrong in_features the error says what the input really had:
try {
  new tg.nn.Linear(28 * 28, 10).forward(tg.zeros([1, 196]));
} catch (e) {
  console.log(`\n${(e as Error).message}`);
}
