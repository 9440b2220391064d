// Show the math: explain() one layer, trace() a whole function.
import * as tg from '../../../src/index.js';

tg.setSeed(0);
// The worked example: a (16,16,12) input and 8 filters of (3,3,12).
const conv = tg.layers.conv2d({ filters: 8, kernelSize: 3 });
console.log(tg.explain(conv, [16, 16, 12], { backward: true }));

// trace: every primitive a call runs, with shapes, FLOPs, bytes and the layer it ran in.
const model = tg.sequential({
  layers: [conv, tg.layers.maxPooling2d({ poolSize: 2 }), tg.layers.flatten(), tg.layers.dense({ units: 4 })],
});
model.buildModel([null, 16, 16, 12]);
const t = tg.trace((x) => model.apply(x) as tg.Tensor, tg.zeros([1, 16, 16, 12]));
console.log(`\n${t.toString()}`);
console.log(`\ntoDot() starts: ${t.toDot().split('\n')[0]}  toSvg() starts: ${t.toSvg().slice(0, 40)}`);
