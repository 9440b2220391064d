// A first taste of tapegrad: gradients of a small function, checked against finite differences.
import * as tg from '../../src/index.js';

const f = (x: tg.Tensor, w: tg.Tensor) => tg.sum(tg.tanh(tg.matmul(x, w)));
const x = tg.randn([4, 3], { dtype: 'float64' });
const w = tg.randn([3, 2], { dtype: 'float64' });
const { value, grads } = tg.valueAndGrads(f)(x, w);
console.log('f(x, w) =', value.item());
console.log('df/dw =', grads[1].toArray());
const check = tg.gradcheck(f, [x, w]);
console.log(
  `gradcheck: ${check.ok ? 'ok' : 'FAILED'} (${check.checks} entries, max |error| ${check.maxAbsError.toExponential(2)})`,
);
