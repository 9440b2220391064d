// Scalar functions of the JS reference kernels (js.ts) that are more than one Math call.

/** erf to ~1e-14: Taylor series near 0, Lentz continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 100; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  let f = ax;
  let C = ax;
  let D = 0;
  for (let i = 1; i < 200; i++) {
    const a = i / 2;
    D = ax + a * D;
    D = D === 0 ? 1e-300 : 1 / D;
    C = ax + a / C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/**
 * log(1 + eˣ) in float64: x + log1p(e⁻ˣ) for x > 0, else log1p(eˣ), so neither branch overflows and a very negative
 * x keeps its tiny value (softplus(−40) = 4.25e-18, not 0). NaN stays NaN.
 */
export function softplus(v: number): number {
  return v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
}

/** aᵇ in wrapping int32 arithmetic (PyTorch's integer pow), b ≥ 0 by squaring; b < 0 as Math.pow truncated (0, ±1). */
export function intPow(a: number, b: number): number {
  if (b < 0) return Math.pow(a, b) | 0;
  let r = 1;
  let base = a | 0;
  for (let e = b; e > 0; e = Math.floor(e / 2)) {
    if (e & 1) r = Math.imul(r, base);
    base = Math.imul(base, base);
  }
  return r;
}
