// PyTorch's foreach ("multi-tensor apply") for elementwise rules: the parameters of one update laid end to end, the
// rule run once over the flat tensors, the new values split back by offset.
// NOTE: an elementwise rule computes every element from the same element of g, p and each slot (and the step's
// scalars), so laying tensors end to end changes no result, bit for bit (tested against the per-parameter update);
// what it changes is the op count: the seed CNN's SGD step dispatched 4 ops per parameter (the learning rate
// broadcast, a product, a difference, the finite check), Adam ~12, and each dispatched op is paid in JavaScript
// (issue 12: a trainOnBatch step lost ~0.27 ms of its ~4 to the optimizer against a hand-written loop).
import { Tensor } from '../../core/tensor.js';
import { concat, reshape } from '../../ops/movement/builders.js';
import type { SlotState } from './rule.js';

/** Tensors laid end to end as one 1-D tensor: a reshape view of each that is not 1-D, then one concat. */
export function flatConcat(ts: readonly Tensor[]): Tensor {
  return concat(
    ts.map((t) => (t.rank === 1 ? t : reshape(t, [t.size]))),
    0,
  );
}

/** The state of an elementwise rule over a list of parameters, each slot laid end to end in their order. */
export interface FlatState<E> {
  /** Whose state it is, in order (the optimizer's entries). */
  owners: readonly E[];
  /** Where each owner's values start in every flat tensor (it has its parameter's size there). */
  offsets: number[];
  slots: SlotState;
}

/**
 * Lay the per-parameter slots of `owners` end to end, or null when they cannot be (the owners disagree on the slot
 * names, or a slot is not shaped like its parameter: a rule that is not elementwise after all).
 */
export function flatten<E extends { param: Tensor; state: SlotState }>(
  owners: readonly E[],
): FlatState<E> | null {
  const names = Object.keys(owners[0].state);
  const offsets: number[] = [];
  let off = 0;
  for (const e of owners) {
    const keys = Object.keys(e.state);
    if (keys.length !== names.length || keys.some((k) => !names.includes(k))) return null;
    if (keys.some((k) => e.state[k].size !== e.param.size || e.state[k].dtype !== e.param.dtype)) return null;
    offsets.push(off);
    off += e.param.size;
  }
  const slots: SlotState = {};
  for (const k of names) slots[k] = flatConcat(owners.map((e) => e.state[k]));
  return { owners, offsets, slots };
}

/** Owner i's part of every flat slot, as tensors shaped like its parameter (copies). */
export function slotsOf<E extends { param: Tensor }>(f: FlatState<E>, i: number): SlotState {
  const out: SlotState = {};
  const lo = f.offsets[i];
  const n = f.owners[i].param.size;
  for (const [k, t] of Object.entries(f.slots))
    out[k] = new Tensor(t.data.slice(lo, lo + n), f.owners[i].param.shape);
  return out;
}

/** Which owner holds flat index j (offsets ascending). */
export function ownerAt(f: FlatState<unknown>, j: number): number {
  let i = 0;
  while (i + 1 < f.offsets.length && f.offsets[i + 1] <= j) i++;
  return i;
}
