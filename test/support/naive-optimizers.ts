// Independent plain-loop optimizers written from the published update equations (PyTorch docs pseudo-code,
// Keras 3 / TF.js sources), plus a tiny linear-regression problem with its hand-derived gradient.
// Every optimizer here is elementwise: it updates a flat number[] of parameters in place.

export type RefStep = (p: number[], g: number[], t: number, lr: number) => void;

const zeros = (n: number) => new Array<number>(n).fill(0);

/** PyTorch SGD (torch.optim.SGD docs) or Keras 3 SGD (velocity form). */
export function refSGD(
  n: number,
  o: { momentum?: number; dampening?: number; nesterov?: boolean; wd?: number; keras?: boolean } = {},
): RefStep {
  const { momentum: mu = 0, dampening: d = 0, nesterov = false, wd = 0, keras = false } = o;
  const b = zeros(n);
  return (p, g, t, lr) => {
    for (let i = 0; i < n; i++) {
      let gi = g[i] + wd * p[i];
      if (keras) {
        if (mu === 0) {
          p[i] -= lr * gi;
          continue;
        }
        b[i] = mu * b[i] - lr * gi;
        p[i] = nesterov ? p[i] + mu * b[i] - lr * gi : p[i] + b[i];
        continue;
      }
      if (mu !== 0) {
        b[i] = t > 1 ? mu * b[i] + (1 - d) * gi : gi;
        gi = nesterov ? gi + mu * b[i] : b[i];
      }
      p[i] -= lr * gi;
    }
  };
}

/** PyTorch Adam / AdamW (docs algorithm, incl. amsgrad) or Keras 3 Adam (ε-hat form). */
export function refAdam(
  n: number,
  o: {
    b1?: number;
    b2?: number;
    eps?: number;
    wd?: number;
    decoupled?: boolean;
    amsgrad?: boolean;
    keras?: boolean;
  } = {},
): RefStep {
  const { b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0, decoupled = false, amsgrad = false, keras = false } = o;
  const m = zeros(n),
    v = zeros(n),
    vmax = zeros(n);
  return (p, g, t, lr) => {
    for (let i = 0; i < n; i++) {
      let gi = g[i];
      if (decoupled) p[i] = p[i] * (1 - lr * wd);
      else gi += wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * gi;
      v[i] = b2 * v[i] + (1 - b2) * gi * gi;
      const vv = amsgrad ? (vmax[i] = Math.max(vmax[i], v[i])) : v[i];
      if (keras) {
        const alpha = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        p[i] -= (alpha * m[i]) / (Math.sqrt(vv) + eps);
      } else {
        const mh = m[i] / (1 - b1 ** t);
        const vh = vv / (1 - b2 ** t);
        p[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
  };
}

/** PyTorch RMSprop (docs algorithm) or Keras 3 RMSprop (ε inside the root, lr inside the momentum buffer). */
export function refRMSprop(
  n: number,
  o: { rho: number; eps: number; momentum?: number; centered?: boolean; wd?: number; keras?: boolean },
): RefStep {
  const { rho, eps, momentum: mu = 0, centered = false, wd = 0, keras = false } = o;
  const v = zeros(n),
    ga = zeros(n),
    b = zeros(n);
  return (p, g, _t, lr) => {
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * p[i];
      v[i] = rho * v[i] + (1 - rho) * gi * gi;
      let vb = v[i];
      if (centered) {
        ga[i] = rho * ga[i] + (1 - rho) * gi;
        vb = v[i] - ga[i] * ga[i];
      }
      if (keras) {
        const inc = (lr * gi) / Math.sqrt(vb + eps);
        if (mu > 0) {
          b[i] = mu * b[i] + inc;
          p[i] -= b[i];
        } else p[i] -= inc;
      } else {
        const avg = Math.sqrt(vb) + eps;
        if (mu > 0) {
          b[i] = mu * b[i] + gi / avg;
          p[i] -= lr * b[i];
        } else p[i] -= (lr * gi) / avg;
      }
    }
  };
}

/** PyTorch Adagrad (docs algorithm, with lr_decay) or Keras/TF.js Adagrad (ε inside the root). */
export function refAdagrad(
  n: number,
  o: { eps: number; init?: number; lrDecay?: number; wd?: number; keras?: boolean },
): RefStep {
  const { eps, init = 0, lrDecay = 0, wd = 0, keras = false } = o;
  const s = new Array<number>(n).fill(init);
  return (p, g, t, lr) => {
    const clr = lr / (1 + (t - 1) * lrDecay);
    for (let i = 0; i < n; i++) {
      const gi = g[i] + wd * p[i];
      s[i] += gi * gi;
      p[i] -= keras ? (clr * gi) / Math.sqrt(s[i] + eps) : (clr * gi) / (Math.sqrt(s[i]) + eps);
    }
  };
}

/** Linear regression: loss = mean((X·w + b − y)²) over N rows, X [N, D]. */
export interface Regression {
  N: number;
  D: number;
  X: number[];
  y: number[];
}

export function makeRegression(N: number, D: number, rand: () => number): Regression {
  const X = Array.from({ length: N * D }, () => rand() * 2 - 1);
  const y = Array.from({ length: N }, () => rand() * 4 - 2);
  return { N, D, X, y };
}

/** d loss / d [w..., b] for params laid out as [w (D values), b]. */
export function regressionGrad(r: Regression, wb: number[]): number[] {
  const g = zeros(r.D + 1);
  for (let i = 0; i < r.N; i++) {
    let pred = wb[r.D];
    for (let j = 0; j < r.D; j++) pred += r.X[i * r.D + j] * wb[j];
    // d/dθ of (1/N)·res² = (2/N)·res·dpred/dθ
    const c = (2 / r.N) * (pred - r.y[i]);
    for (let j = 0; j < r.D; j++) g[j] += c * r.X[i * r.D + j];
    g[r.D] += c;
  }
  return g;
}
