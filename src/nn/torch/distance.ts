// PyTorch's distance modules `nn.CosineSimilarity` and `nn.PairwiseDistance` and their functionals
// `F.cosineSimilarity` / `F.pairwiseDistance` (one implementation: the modules call the functions below), as
// PyTorch 1.13 computes them, compositions of tape ops. TripletMarginLoss measures its distances with
// pairwiseDistanceOf.
import { ShapeError, ValueError, describeValue, fmtShape } from '../../core/errors.js';
import { isFloat } from '../../core/dtype.js';
import { checkOptionsObject } from '../../core/options.js';
import { broadcastShapes, normAxis } from '../../core/shape.js';
import { Tensor } from '../../core/tensor.js';
import {
  abs,
  add,
  cast,
  div,
  greater,
  maximum,
  mul,
  notEqual,
  pow,
  sqrt,
  square,
  sub,
  where,
} from '../../ops/elementwise/builders.js';
import { broadcastTo } from '../../ops/movement/builders.js';
import { max, sum } from '../../ops/reduce/builders.js';
import { Module } from './base.js';
import { functional, show, who } from './functional-args.js';

/**
 * Two float tensors broadcast to one shape, with an error naming both shapes (after `where`, unless '': a module's
 * call adds its name).
 */
export function broadcastPair(
  where: string,
  x1: unknown,
  x2: unknown,
  names = ['x1', 'x2'],
): [Tensor, Tensor] {
  const at = where ? `${where}: ` : '';
  [x1, x2].forEach((x, i) => {
    if (!(x instanceof Tensor))
      throw new ValueError(`${at}${names[i]} must be a Tensor, got ${describeValue(x)}`);
    if (!isFloat(x.dtype))
      throw new ValueError(`${at}${names[i]} must be float32 or float64, got ${x.dtype}`);
  });
  const [a, b] = [x1 as Tensor, x2 as Tensor];
  let shape: number[];
  try {
    shape = broadcastShapes(a.shape, b.shape);
  } catch {
    throw new ShapeError(
      `${at}${names[0]} ${fmtShape(a.shape)} and ${names[1]} ${fmtShape(b.shape)} cannot be broadcast together`,
    );
  }
  const dt = a.dtype === 'float64' || b.dtype === 'float64' ? 'float64' : 'float32';
  return [broadcastTo(cast(a, dt), shape), broadcastTo(cast(b, dt), shape)];
}

/** A number option (finite unless `inf`), named in the error otherwise. */
export function numberOption(where: string, what: string, v: unknown, inf = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (!inf && !Number.isFinite(v)))
    throw new ValueError(`${where}: ${what} must be a ${inf ? '' : 'finite '}number, got ${show(v)}`);
  return v;
}

/** A value that is `v` with a gradient of `onto` (PyTorch's in-place clamp under no_grad). */
const valueOf = (onto: Tensor, v: Tensor): Tensor => add(onto, sub(v, onto).detach());

/**
 * cos(x1, x2) along `dim` as PyTorch 1.13: Σ (x1/‖x1‖)·(x2/‖x2‖) with each ‖x‖ = √max(Σx², eps²).
 * NOTE: as PyTorch, the clamp is applied without recording it (the gradient flows as if unclamped), so a zero vector
 * gives cos 0 and a finite gradient x2/(eps·‖x2‖).
 */
export function cosineSimilarityOf(
  where: string,
  x1: unknown,
  x2: unknown,
  dim: number,
  eps: number,
): Tensor {
  const [a, b] = broadcastPair(where, x1, x2);
  const d = normAxis(dim, a.rank, where);
  const norm = (x: Tensor): Tensor => {
    const s = sum(square(x), [d], true);
    return sqrt(valueOf(s, maximum(s, eps * eps)));
  };
  return sum(mul(div(a, norm(a)), div(b, norm(b))), [d]);
}

/** ‖v‖ₚ along the last axis: 0 counts non-zeros, Infinity is max |v|; a zero norm or element has gradient 0. */
function pNorm(v: Tensor, p: number, keepdim: boolean): Tensor {
  const ax = [v.rank - 1];
  const a = abs(v);
  if (p === Infinity) return max(a, ax, keepdim);
  if (p === 0) return sum(cast(notEqual(v, 0), v.dtype), ax, keepdim);
  if (p === 1) return sum(a, ax, keepdim);
  // where guards keep 0^(p−1) and √0 out of the gradient (PyTorch's norm backward gives 0 there)
  const nz = greater(a, 0);
  const powered = p === 2 ? square(v) : where(nz, pow(where(nz, a, 1), p), 0);
  const s = sum(powered, ax, keepdim);
  const pos = greater(s, 0);
  const safe = where(pos, s, 1);
  return where(pos, p === 2 ? sqrt(safe) : pow(safe, 1 / p), 0);
}

/**
 * ‖x1 − x2 + eps‖ₚ over the last axis of the broadcast inputs (PyTorch 1.13's pairwise_distance), any p ≥ 0 or
 * Infinity.
 * NOTE: a negative p (PyTorch's reciprocal "norms") and 0-d inputs are refused by name.
 */
export function pairwiseDistanceOf(
  where: string,
  x1: unknown,
  x2: unknown,
  p: number,
  eps: number,
  keepdim: boolean,
  names?: string[],
): Tensor {
  const [a, b] = broadcastPair(where, x1, x2, names);
  if (a.rank === 0)
    throw new ShapeError(
      `${where}: the inputs must have at least one dimension (vectors along the last), got 0-d`,
    );
  return pNorm(add(sub(a, b), eps), p, keepdim);
}

/** The p of a distance: a number ≥ 0 or Infinity. */
export function distanceP(where: string, v: unknown): number {
  const p = numberOption(where, 'p', v, true);
  if (p < 0)
    throw new ValueError(
      `${where}: p must be >= 0 (or Infinity), got ${p}; negative p is not supported by tapegrad`,
    );
  return p;
}

function boolOption(where: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new ValueError(`${where}: ${what} must be true or false, got ${show(v)}`);
  return v;
}

export interface CosineSimilarityOptions {
  /** The axis of the vectors (default 1). */
  dim?: number;
  /** The smallest norm (default 1e-8). */
  eps?: number;
}
const COS_KEYS = ['dim', 'eps'] as const;
function cosOptions(where: string, opts: unknown): { dim: number; eps: number } {
  checkOptionsObject(where, opts, [...COS_KEYS, ...(where.startsWith('nn.') ? [] : ['name'])], {
    required: true,
  });
  const o = opts as CosineSimilarityOptions;
  const dim = o.dim ?? 1;
  if (!Number.isInteger(dim)) throw new ValueError(`${where}: dim must be an integer, got ${show(dim)}`);
  return { dim, eps: numberOption(where, 'eps', o.eps ?? 1e-8) };
}

export interface PairwiseDistanceOptions {
  /** The norm degree (default 2): a number ≥ 0 or Infinity. */
  p?: number;
  /** Added to the difference (default 1e-6). */
  eps?: number;
  /** Keep the reduced last axis as size 1 (default false). */
  keepdim?: boolean;
}
const PD_KEYS = ['p', 'eps', 'keepdim'] as const;
function pdOptions(where: string, opts: unknown): Required<PairwiseDistanceOptions> {
  checkOptionsObject(where, opts, [...PD_KEYS, ...(where.startsWith('nn.') ? [] : ['name'])], {
    required: true,
  });
  const o = opts as PairwiseDistanceOptions;
  return {
    p: distanceP(where, o.p ?? 2),
    eps: numberOption(where, 'eps', o.eps ?? 1e-6),
    keepdim: boolOption(where, 'keepdim', o.keepdim ?? false),
  };
}

/** PyTorch `F.cosine_similarity(x1, x2, dim=1, eps=1e-8)`. */
export const cosineSimilarity = functional(
  'cosineSimilarity',
  ['x1', 'x2', 'options'],
  (x1: Tensor, x2: Tensor, opts: CosineSimilarityOptions = {}): Tensor => {
    const w = who('cosineSimilarity');
    const { dim, eps } = cosOptions(w, opts);
    return cosineSimilarityOf(w, x1, x2, dim, eps);
  },
);

/** PyTorch `F.pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False)`. */
export const pairwiseDistance = functional(
  'pairwiseDistance',
  ['x1', 'x2', 'options'],
  (x1: Tensor, x2: Tensor, opts: PairwiseDistanceOptions = {}): Tensor => {
    const w = who('pairwiseDistance');
    const { p, eps, keepdim } = pdOptions(w, opts);
    return pairwiseDistanceOf(w, x1, x2, p, eps, keepdim);
  },
);

/** PyTorch `nn.CosineSimilarity({ dim = 1, eps = 1e-8 })`: forward(x1, x2) is cos along dim, inputs broadcast. */
export class CosineSimilarity extends Module {
  static override className = 'CosineSimilarity';
  readonly dim: number;
  readonly eps: number;
  constructor(opts: CosineSimilarityOptions & { name?: string } = {}) {
    super((opts as { name?: string } | null)?.name);
    ({ dim: this.dim, eps: this.eps } = cosOptions('CosineSimilarity', opts));
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return cosineSimilarityOf(`${this.name} (CosineSimilarity)`, x1, x2, this.dim, this.eps);
  }
}

/**
 * PyTorch `nn.PairwiseDistance({ p = 2, eps = 1e-6, keepdim = false })`: forward(x1, x2) is ‖x1 − x2 + eps‖ₚ over the
 * last axis, inputs broadcast.
 */
export class PairwiseDistance extends Module {
  static override className = 'PairwiseDistance';
  readonly p: number;
  readonly eps: number;
  readonly keepdim: boolean;
  constructor(opts: PairwiseDistanceOptions & { name?: string } = {}) {
    super((opts as { name?: string } | null)?.name);
    ({ p: this.p, eps: this.eps, keepdim: this.keepdim } = pdOptions('PairwiseDistance', opts));
  }
  forward(x1: Tensor, x2: Tensor): Tensor {
    return pairwiseDistanceOf(`${this.name} (PairwiseDistance)`, x1, x2, this.p, this.eps, this.keepdim);
  }
}
