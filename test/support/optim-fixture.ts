// A fixed 4-row linear regression shared by the optimizer tests that compare with numbers made by PyTorch
// (/tmp script quoted in each test): the same X, y and starting [w..., b] in both, loss = mean((X·w + b − y)²).
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tg from '../../src/index.js';
import { expectClose } from './check.js';
import { type Regression, type RefStep, regressionGrad } from './naive-optimizers.js';

// X = [[0.5, -1.0, 0.25], [1.5, 0.3, -0.7], [-0.2, 0.8, 1.1], [0.9, -0.4, 0.6]], y = [1.0, -0.5, 0.3, 2.0]
export const REG: Regression = {
  N: 4,
  D: 3,
  X: [0.5, -1.0, 0.25, 1.5, 0.3, -0.7, -0.2, 0.8, 1.1, 0.9, -0.4, 0.6],
  y: [1.0, -0.5, 0.3, 2.0],
};
/** w = [0.5, -0.3, 0.8], b = 0.1. */
export const START = [0.5, -0.3, 0.8, 0.1];
export const STEPS = 6;

/** Train w [D] and b [] of `reg` (default REG) with tapegrad's autodiff; [w..., b] after every step. */
export function runTg(
  make: (ps: tg.Tensor[]) => tg.Optimizer,
  dtype: tg.DType,
  steps = STEPS,
  reg: Regression = REG,
): number[][] {
  const { N, D } = reg;
  const X = tg.tensor(reg.X, [N, D], { dtype });
  const y = tg.tensor(reg.y, [N], { dtype });
  const w = tg.tensor(START.slice(0, D), [D], { dtype, requiresGrad: true });
  w.name = 'w';
  const b = tg.tensor(START[D], [], { dtype, requiresGrad: true });
  b.name = 'b';
  const opt = make([w, b]);
  const traj: number[][] = [];
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    tg.mean(tg.square(tg.sub(tg.add(tg.matmul(X, w), b), y))).backward();
    opt.step();
    traj.push([...w.data, ...b.data]);
  }
  return traj;
}

/** The same run with a plain-loop reference step and the hand-derived gradient; `lr` fixed. */
export function runRef(step: RefStep, lr: number, steps = STEPS): number[][] {
  const p = START.slice();
  const traj: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    step(p, regressionGrad(REG, p), t, lr);
    traj.push(p.slice());
  }
  return traj;
}

let counter = 0;
/** TF.js's optimizer and tapegrad's fed the same gradients (float32, cpu backend); compare after every step. */
export function compareWithTfjs(
  makeTf: () => tfc.Optimizer,
  makeTg: () => tg.Optimizer,
  rtol = 2e-5,
  atol = 1e-6,
): void {
  const name = `optim_fixture_${counter++}`;
  const v = tfc.variable(tfc.tensor1d(START), true, name);
  const p = tg.tensor(START, [START.length], { dtype: 'float32', requiresGrad: true });
  p.name = name;
  const oTf = makeTf();
  const oTg = makeTg().setParameters([p]);
  for (let s = 0; s < STEPS; s++) {
    oTf.applyGradients({ [name]: tfc.tensor1d(regressionGrad(REG, Array.from(v.dataSync()))) });
    const g = regressionGrad(REG, Array.from(p.data));
    oTg.applyGradients({ [name]: tg.tensor(g, [g.length], { dtype: 'float32' }) });
    expectClose(p.data, v.dataSync(), { rtol, atol }, `step ${s + 1}`);
  }
  v.dispose();
  oTf.dispose();
}

/** Run a TF.js optimizer alone; its parameters after every step (float32). */
export function runTfjs(makeTf: () => tfc.Optimizer): number[][] {
  const name = `optim_fixture_${counter++}`;
  const v = tfc.variable(tfc.tensor1d(START), true, name);
  const o = makeTf();
  const traj: number[][] = [];
  for (let s = 0; s < STEPS; s++) {
    o.applyGradients({ [name]: tfc.tensor1d(regressionGrad(REG, Array.from(v.dataSync()))) });
    traj.push(Array.from(v.dataSync()));
  }
  v.dispose();
  o.dispose();
  return traj;
}

export { tfc };
