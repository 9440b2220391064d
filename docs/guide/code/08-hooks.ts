// Hooks and their timing: forward hooks after the call, backward hooks when the output's gradient is complete.
import * as tg from '../../../src/index.js';

tg.setSeed(0);
const dense = tg.layers.dense({ units: 3 });
const model = tg.sequential({ layers: [tg.layers.dense({ units: 4, inputShape: [2] }), dense] });
model.buildModel([null, 2]);

const log: string[] = [];
dense.registerForwardPreHook(
  (l, x) => void log.push(`forward-pre ${l.name}: input ${tg.fmtShape((x as tg.Tensor).shape)}`),
);
dense.registerForwardHook(
  (l, _x, y) => void log.push(`forward ${l.name}: output ${tg.fmtShape((y as tg.Tensor).shape)}`),
);
dense.registerBackwardHook((l, g) => {
  log.push(
    `backward ${l.name}: gradient of its output ${tg.fmtShape(g.shape)}; kernel.grad is ${dense.kernel.grad ? 'set' : 'not set yet'}`,
  );
});
const x = tg.randn([5, 2]).requireGrad();
x.registerHook((g) => void log.push(`tensor hook on the model input: gradient ${tg.fmtShape(g.shape)}`));

const y = model.apply(x) as tg.Tensor;
log.push('-- forward done, calling backward --');
tg.sum(tg.square(y)).backward();
log.push(`-- backward done: kernel.grad ${tg.fmtShape(dense.kernel.grad!.shape)} --`);
console.log(log.join('\n'));
