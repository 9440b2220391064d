// How does the gradient flow back through batch normalization?
// Keras BatchNormalization in training mode on a channels-last batch [4, 3, 3, 2]: 2 channels, m = 4·3·3 = 36 values each.
import * as tg from '../../../src/index.js';

tg.setSeed(2);
const bn = tg.layers.batchNormalization({ dtype: 'float64' }); // ε = 0.001, γ = 1 and β = 0 to start
const x = tg.randn([4, 3, 3, 2], { dtype: 'float64' }).requireGrad();
bn.apply(x); // build, then set γ and β so they show in the formulas
bn.setWeights([
  tg.tensor([1.5, 0.5], [2], { dtype: 'float64' }), // γ
  tg.tensor([0.1, -0.2], [2], { dtype: 'float64' }), // β
  tg.zeros([2], { dtype: 'float64' }), // moving mean (inference only)
  tg.ones([2], { dtype: 'float64' }), // moving variance (inference only)
]);
bn.gamma!.requireGrad(); // so backward() also fills γ's and β's .grad
bn.beta!.requireGrad();
const y = bn.apply(x, { training: true }) as tg.Tensor; // normalized with this batch's own mean and variance
const dO = tg.randn([4, 3, 3, 2], { dtype: 'float64' }); // some upstream gradient dE/dy
y.backward(dO);

// What the tape recorded: the statistics and the affine line, two primitives, and the ops on [C] vectors between
const ops: string[] = [];
const seen = new Set<tg.Tensor>();
const walk = (t: tg.Tensor): void => {
  if (!t.node || seen.has(t)) return;
  seen.add(t);
  t.node.inputs.forEach(walk);
  ops.push(`${t.node.op} → ${tg.fmtShape(t.shape)}`);
};
walk(y);
console.log(`recorded forward (${ops.length} ops):\n  ${ops.join('\n  ')}`);

// The textbook formulas, by hand, channel by channel: x̂ = (x − μ)/√(σ² + ε),
//   dβ = Σ dO,  dγ = Σ dO·x̂,  dx = γ/√(σ² + ε) · (dO − mean(dO) − x̂·mean(dO·x̂))
const X = x.data;
const G = dO.data;
const [gamma] = bn.getWeights().map((w) => w.data);
let worst = 0;
const dGamma: number[] = [];
const dBeta: number[] = [];
for (let c = 0; c < 2; c++) {
  const idx = Array.from({ length: 36 }, (_, i) => 2 * i + c);
  const mean = (f: (i: number) => number) => idx.reduce((s, i) => s + f(i), 0) / 36;
  const mu = mean((i) => X[i]);
  const rstd = 1 / Math.sqrt(mean((i) => (X[i] - mu) ** 2) + 0.001);
  const xh = (i: number) => (X[i] - mu) * rstd;
  const [mG, mGx] = [mean((i) => G[i]), mean((i) => G[i] * xh(i))];
  for (const i of idx)
    worst = Math.max(worst, Math.abs(gamma[c] * rstd * (G[i] - mG - xh(i) * mGx) - x.grad!.data[i]));
  dGamma.push(36 * mGx);
  dBeta.push(36 * mG);
}
const [gGamma, gBeta] = [bn.gamma!.grad!.data, bn.beta!.grad!.data];
const close = (a: ArrayLike<number>, b: number[]) => b.every((v, i) => Math.abs(v - a[i]) < 1e-9);
console.log(`\ndx from the tape: ${tg.fmtShape(x.grad!.shape)}; the formula agrees: ${worst < 1e-9}`);
console.log(`dγ = Σ dO·x̂ agrees: ${close(gGamma, dGamma)}; dβ = Σ dO agrees: ${close(gBeta, dBeta)}`);
// and both against finite differences, through the same layer
const f = (xx: tg.Tensor) => tg.sum(tg.mul(bn.apply(xx, { training: true }) as tg.Tensor, dO));
console.log(`gradcheck (finite differences, float64): ${tg.gradcheck(f, [x]).ok}`);
