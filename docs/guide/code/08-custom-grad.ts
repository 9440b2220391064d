// customGrad: your own gradient for a function, recorded as one tape node, with a check mode.
import * as tg from '../../../src/index.js';

// Gradient clipping inside the graph: the forward is the identity, the backward clips dy to [-1, 1].
const clipGrad = tg.customGrad((x) => ({ value: x, gradFunc: (dy) => [tg.clipByValue(dy, -1, 1)] }), {
  name: 'clipGrad',
});
const x = tg.tensor([1, 2, 3], undefined, { requiresGrad: true });
tg.sum(tg.mul(clipGrad(x), tg.tensor([0.5, 5, -5]))).backward();
console.log('clipped gradient:', Array.from(x.grad!.data));

// With { check: true } the first call compares gradFunc with finite differences.
const wrongSquare = tg.customGrad((v) => ({ value: tg.square(v), gradFunc: (dy) => [dy] }), {
  check: true,
  name: 'square',
});
try {
  wrongSquare(tg.tensor([0.5, 2]));
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
// Returning the wrong number of gradients is caught at backward time.
const pair = tg.customGrad((p, q) => ({ value: tg.add(p, q), gradFunc: (dy) => [dy] }), { name: 'pair' });
try {
  pair(tg.ones([2]).requireGrad(), tg.ones([2]).requireGrad())
    .sum()
    .backward();
} catch (e) {
  console.log(`${(e as Error).name}: ${(e as Error).message}`);
}
