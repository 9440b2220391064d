// checkNumerics: stop at the first op that turns finite inputs into NaN/Inf, and say where it ran.
import * as tg from '../../../src/index.js';

class LogLayer extends tg.Layer {
  static override className = 'LogLayer';
  call(x: tg.Tensor): tg.Tensor {
    return tg.log(x); // NaN for negative inputs
  }
}
tg.setSeed(0);
const model = tg.sequential({
  layers: [
    tg.layers.dense({ units: 2, inputShape: [2], kernelInitializer: 'ones' }),
    new LogLayer({ name: 'log_layer' }),
  ],
});
model.buildModel([null, 2]);
const bad = tg.tensor([[-1, -2]]);
console.log('without checks:', (model.predict(bad) as tg.Tensor).toString());

tg.checkNumerics(true);
try {
  model.predict(bad);
} catch (e) {
  // the message also names the call site (a file path, left out here)
  console.log(
    `${(e as Error).name}: ${(e as Error).message
      .split('\n')
      .filter((l) => !l.trim().startsWith('called'))
      .join('\n')}`,
  );
}
try {
  tg.sum(tg.sqrt(tg.tensor([0, 4], undefined, { requiresGrad: true }))).backward(); // finite forward, infinite slope at 0
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message.split('\n')[0]}`);
}
tg.checkNumerics(false);
