// The pure per-parameter update rule every optimizer is made of (MLX `apply_single`, optax `{init, update}`).
import { ValueError } from '../../core/errors.js';
import { noGrad } from '../../core/tape.js';
import type { Tensor } from '../../core/tensor.js';
import { add, mul } from '../../ops/elementwise/builders.js';
import type { LearningRate } from '../schedules.js';

/** Per-parameter optimizer state: named slots (`m`, `v`, `momentum`, ...), each shaped like the parameter. */
export type SlotState = Record<string, Tensor>;

/**
 * Whose published equations a rule follows where the libraries differ (epsilon inside/outside the square root,
 * learning rate inside/outside the momentum buffer). Each rule documents what the three names mean for it;
 * 'tfjs' always equals one of the other two (or a documented fix of it).
 */
export type Convention = 'pytorch' | 'keras' | 'tfjs';

/** Hyperparameters every rule has; `lr` may be a schedule and may be changed between steps. */
export interface BaseHyper {
  lr: LearningRate;
  /** L2 penalty added to the gradient: g ← g + wd·p (PyTorch `weight_decay`; decoupled in AdamW). */
  weightDecay: number;
  convention: Convention;
}

/**
 * A pure update rule: tensors in, tensors out, no mutation. Call `update` under `noGrad`.
 * `step` is the 1-based index of the update being applied to this parameter (t in Adam's bias correction);
 * `iteration` is the number of updates the optimizer has already applied (default `step - 1`), where the learning
 * rate's schedule is read.
 */
export interface UpdateRule<S extends SlotState = SlotState, H extends BaseHyper = BaseHyper> {
  /** Short lower-case name, the prefix of state keys (`adam/dense.kernel/m`). */
  readonly name: string;
  /** Hyperparameters, read at every update (so `lr` can be changed between steps). */
  hp: H;
  init(param: Tensor): S;
  update(g: Tensor, param: Tensor, state: S, step: number, iteration?: number): { param: Tensor; state: S };
  /**
   * True when every element of the new parameter and slots depends only on the same element of g, param and each
   * slot (and on hp and step), every slot shaped like its parameter: the optimizer may then run the rule once over
   * all parameters laid end to end (PyTorch's foreach; multi-tensor.ts). Leave unset for any other rule.
   */
  readonly elementwise?: boolean;
}

/** g + wd·p when wd ≠ 0 (L2 regularisation folded into the gradient). */
export const withL2 = (g: Tensor, p: Tensor, wd: number): Tensor => (wd ? add(g, mul(p, wd)) : g);

/** Throw a ValueError unless `v` is a finite number in [lo, hi], with either end open when asked. */
export function checkHyper(
  op: string,
  name: string,
  v: number,
  lo: number,
  hi = Infinity,
  openLo = false,
  openHi = false,
): void {
  const ok =
    typeof v === 'number' && Number.isFinite(v) && (openLo ? v > lo : v >= lo) && (openHi ? v < hi : v <= hi);
  const range = `${openLo ? '(' : '['}${lo}, ${hi}${openHi || hi === Infinity ? ')' : ']'}`;
  if (!ok) throw new ValueError(`${op}: ${name} must be a number in ${range}, got ${v}`);
}

/** Validate a learning rate given as a number (schedules are checked when evaluated). */
export function checkLr(op: string, lr: LearningRate): void {
  if (typeof lr === 'number') checkHyper(op, 'learning rate', lr, 0);
  else if (
    typeof lr !== 'function' &&
    (typeof lr !== 'object' || lr === null || typeof lr.valueAt !== 'function')
  )
    throw new ValueError(
      `${op}: learning rate must be a number, a (step) => number function or an object with valueAt(step), got ${String(lr)}`,
    );
}

export function checkConvention(op: string, c: string): Convention {
  if (c !== 'pytorch' && c !== 'keras' && c !== 'tfjs')
    throw new ValueError(`${op}: convention must be 'pytorch', 'keras' or 'tfjs', got '${c}'`);
  return c;
}

/** The rule with `init` and `update` run under `noGrad`, so calling it directly never records on the tape. */
export function pureRule<S extends SlotState, H extends BaseHyper>(r: UpdateRule<S, H>): UpdateRule<S, H> {
  const { init, update } = r;
  // NOTE: `hp` stays the same object, so changing the learning rate through the returned rule still works.
  return {
    ...r,
    init: (p) => noGrad(() => init(p)),
    update: (g, p, s, t, it) => noGrad(() => update(g, p, s, t, it ?? t - 1)),
  };
}
