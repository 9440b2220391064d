// Weight initializers with Keras's names and defaults (fan computed Keras's way for conv kernels).
import { ValueError } from '../core/errors.js';
import type { DType } from '../core/dtype.js';
import { type Rng, globalRng, rand, randn, truncatedNormal } from '../core/random.js';
import { type Shape, sizeOf } from '../core/shape.js';
import { type Tensor, full } from '../core/tensor.js';

export type Initializer = (shape: Shape, dtype: DType, rng?: Rng) => Tensor;
export type InitializerSpec = string | Initializer | { className: string; config?: Record<string, any> };

/** Keras fans: dense [in, out]; conv kernels [...spatial, in, out] multiply by the receptive field. */
export function fans(shape: Shape): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const rf = sizeOf(shape.slice(0, -2));
  return [shape[shape.length - 2] * rf, shape[shape.length - 1] * rf];
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
/** Keras VarianceScaling: the parent of glorot/he/lecun. */
export function varianceScaling(
  scale: number,
  mode: Mode,
  distribution: 'uniform' | 'truncatedNormal' | 'normal',
): Initializer {
  return (shape, dtype, rng) => {
    const [fi, fo] = fans(shape);
    const n = mode === 'fanIn' ? fi : mode === 'fanOut' ? fo : (fi + fo) / 2;
    const v = scale / Math.max(1, n);
    if (distribution === 'uniform') {
      const lim = Math.sqrt(3 * v);
      return rand(shape, { low: -lim, high: lim, dtype, rng });
    }
    // NOTE: 0.8796… is the std of a unit normal truncated at ±2 (Keras divides by it).
    if (distribution === 'truncatedNormal')
      return truncatedNormal(shape, { std: Math.sqrt(v) / 0.87962566103423978, dtype, rng });
    return randn(shape, { std: Math.sqrt(v), dtype, rng });
  };
}

/** Orthogonal matrix (Keras recurrent default): QR of a normal matrix via modified Gram-Schmidt. */
export function orthogonal(gain = 1): Initializer {
  return (shape, dtype, rng = globalRng) => {
    const rows = sizeOf(shape.slice(0, -1));
    const cols = shape[shape.length - 1];
    const [n, m] = rows < cols ? [cols, rows] : [rows, cols]; // orthonormal columns of an n×m matrix, n ≥ m
    const a = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => rng.normal()));
    for (let j = 0; j < m; j++) {
      for (let k = 0; k < j; k++) {
        let d = 0;
        for (let i = 0; i < n; i++) d += a[j][i] * a[k][i];
        for (let i = 0; i < n; i++) a[j][i] -= d * a[k][i];
      }
      const norm = Math.hypot(...a[j]) || 1;
      for (let i = 0; i < n; i++) a[j][i] /= norm;
    }
    const t = full(shape, 0, { dtype });
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) t.data[r * cols + c] = gain * (rows < cols ? a[r][c] : a[c][r]);
    return t;
  };
}

const constant =
  (v: number): Initializer =>
  (shape, dtype) =>
    full(shape, v, { dtype });

const NAMED: Record<string, () => Initializer> = {
  zeros: () => constant(0),
  ones: () => constant(1),
  glorotUniform: () => varianceScaling(1, 'fanAvg', 'uniform'),
  glorotNormal: () => varianceScaling(1, 'fanAvg', 'truncatedNormal'),
  heUniform: () => varianceScaling(2, 'fanIn', 'uniform'),
  heNormal: () => varianceScaling(2, 'fanIn', 'truncatedNormal'),
  lecunUniform: () => varianceScaling(1, 'fanIn', 'uniform'),
  lecunNormal: () => varianceScaling(1, 'fanIn', 'truncatedNormal'),
  orthogonal: () => orthogonal(),
  randomNormal: () => (shape, dtype, rng) => randn(shape, { std: 0.05, dtype, rng }),
  randomUniform: () => (shape, dtype, rng) => rand(shape, { low: -0.05, high: 0.05, dtype, rng }),
  truncatedNormal: () => (shape, dtype, rng) => truncatedNormal(shape, { std: 0.05, dtype, rng }),
};

const camel = (s: string): string =>
  s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^[A-Z]/, (c) => c.toLowerCase());

/** Resolve 'glorot_uniform', 'glorotUniform', {className: 'VarianceScaling', config} or a function. */
export function getInitializer(spec: InitializerSpec): Initializer {
  if (typeof spec === 'function') return spec;
  if (typeof spec === 'string') {
    const key = camel(spec);
    const f = Object.hasOwn(NAMED, key) ? NAMED[key] : undefined;
    if (!f)
      throw new ValueError(`initializer: unknown name '${spec}' (known: ${Object.keys(NAMED).join(', ')})`);
    return f();
  }
  const cfg = spec.config ?? {};
  switch (camel(spec.className)) {
    case 'constant':
      return constant(cfg.value ?? 0);
    case 'varianceScaling': {
      const mode = camel(cfg.mode ?? 'fan_in') as Mode;
      const dist = camel(
        cfg.distribution === 'normal' ? 'truncated_normal' : (cfg.distribution ?? 'truncated_normal'),
      );
      return varianceScaling(cfg.scale ?? 1, mode, dist as 'uniform' | 'truncatedNormal' | 'normal');
    }
    case 'randomNormal':
      return (shape, dtype, rng) =>
        randn(shape, { mean: cfg.mean ?? 0, std: cfg.stddev ?? 0.05, dtype, rng });
    case 'randomUniform':
      return (shape, dtype, rng) =>
        rand(shape, { low: cfg.minval ?? -0.05, high: cfg.maxval ?? 0.05, dtype, rng });
    case 'truncatedNormal':
      return (shape, dtype, rng) =>
        truncatedNormal(shape, { mean: cfg.mean ?? 0, std: cfg.stddev ?? 0.05, dtype, rng });
    case 'orthogonal':
      return orthogonal(cfg.gain ?? 1);
    default:
      return getInitializer(spec.className);
  }
}
