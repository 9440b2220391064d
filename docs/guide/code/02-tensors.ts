// Tensors and autodiff: create tensors, compute, and differentiate with the tape.
import * as tg from '../../../src/index.js';

// A tensor is a shape, a dtype and a typed array.
const a = tg.tensor([
  [1, 2, 3],
  [4, 5, 6],
]); // float32 by default, shape inferred
const b = tg.ones([3]);
console.log(a.toString());
console.log(`a + b broadcasts ${tg.fmtShape(a.shape)} with ${tg.fmtShape(b.shape)}:`, tg.add(a, b).toArray());
console.log('fluent style:', a.mul(2).sub(1).relu().sum().item());
console.log('float64 when you ask:', tg.tensor([0.1, 0.2], undefined, { dtype: 'float64' }).sum().item());

// Reverse mode, PyTorch style: mark leaves, compute a scalar, call backward().
const w = tg.tensor([0.5, -1, 2], undefined, { requiresGrad: true });
const loss = tg.sum(tg.square(tg.matmul(a, w))); // Σ (a·w)²
loss.backward();
console.log(`loss ${loss.item()}, d loss / d w = ${tg.fmtShape(w.grad!.shape)}`, Array.from(w.grad!.data));

// Functional style, JAX / TF.js: grad(f) is a function.
const f = (x: tg.Tensor) => tg.sum(tg.sin(x));
const x = tg.tensor([0, Math.PI / 2, Math.PI], undefined, { dtype: 'float64' });
console.log(
  'grad of Σ sin x = cos x:',
  Array.from(tg.grad(f)(x).data).map((v) => +v.toFixed(6)),
);
console.log(
  'second derivative −sin x:',
  Array.from(tg.grad((y: tg.Tensor) => tg.sum(tg.grad(f)(y)))(x).data).map((v) => +v.toFixed(6)),
);

// gradcheck compares the tape's gradient with finite differences (use float64).
const r = tg.gradcheck(
  (p: tg.Tensor) => tg.sum(tg.mul(tg.tanh(p), p)),
  [tg.randn([4], { dtype: 'float64', rng: new tg.Rng(0) })],
);
console.log(`gradcheck ok: ${r.ok} (${r.checks} entries checked)`);
