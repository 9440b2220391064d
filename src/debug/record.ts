// Recording what really runs: forward ops through the `onOp` listener, backward ops grouped by the
// forward op whose vjp produced them (by wrapping each recorded node's vjp for the duration of one walk).
import { ValueError, fmtShape } from '../core/errors.js';
import { backwardPass } from '../core/autodiff.js';
import { currentScope, onOp } from '../core/tape.js';
import { Tensor, ones } from '../core/tensor.js';

/** One op as it ran. `inputs`/`output` are the real tensors (kept so callers can follow the dataflow). */
export interface OpRecord {
  /** Position in the recording, from 0. */
  index: number;
  op: string;
  inputs: Tensor[];
  output: Tensor;
  params: unknown;
  /** Layer scope at the time the op ran (e.g. `sequential/conv2d`), '' outside any layer. */
  scope: string;
  phase: 'forward' | 'backward';
  /** Backward ops: the index of the forward op whose vjp ran them (-1 = the walker accumulating a fan-out). */
  vjpOf?: number;
}

/** Run `fn`, returning its result and every op it dispatched, in order. */
export function captureOps<T>(
  fn: () => T,
  phase: OpRecord['phase'] = 'forward',
  into: OpRecord[] = [],
): { result: T; ops: OpRecord[] } {
  const start = into.length;
  const off = onOp((e) => {
    into.push({
      index: into.length,
      op: e.op,
      inputs: e.inputs,
      output: e.out,
      params: e.params,
      scope: currentScope(),
      phase,
    });
  });
  let result: T;
  try {
    result = fn();
  } finally {
    off();
  }
  return { result, ops: into.slice(start) };
}

/** A backward walk split by the forward op whose vjp did the work. */
export interface BackwardRecord {
  /** All backward ops in the order they ran (their `vjpOf` names the forward op). */
  ops: OpRecord[];
  /** For each forward op index: the gradient it received (dOutput) and what its vjp returned per input. */
  vjps: Map<number, { gradOut: Tensor; gradIns: (Tensor | null)[] }>;
  /** Forward op indices in the order the walker called their vjps. */
  order: number[];
  /** Leaf gradients the walk produced (keyed by the leaf tensor). */
  grads: Map<Tensor, Tensor>;
}

/**
 * Pull `seed` (ones by default) back from `output` through the tape, recording which ops each forward
 * op's vjp ran. `forward` is the recording of the forward pass that produced `output`.
 */
export function recordBackward(output: Tensor, forward: OpRecord[], seed?: Tensor): BackwardRecord {
  if (!output.requiresGrad)
    throw new ValueError(
      `recordBackward: the output ${fmtShape(output.shape)} is not on the tape (no input required a gradient)`,
    );
  const byNode = new Map<object, number>();
  for (const r of forward) if (r.output.node) byNode.set(r.output.node, r.index);
  const vjps: BackwardRecord['vjps'] = new Map();
  const order: number[] = [];
  const restore: (() => void)[] = [];
  let current = -1;
  for (const [node, idx] of byNode) {
    const n = node as NonNullable<Tensor['node']>;
    // NOTE: a node's vjp may be a method of its class (core/tape.ts): call it on the node, and on restore drop the
    // wrapper rather than pin the method as an own property.
    const own = Object.prototype.hasOwnProperty.call(n, 'vjp');
    const orig = n.vjp;
    n.vjp = (g: Tensor) => {
      const prev = current;
      current = idx;
      order.push(idx);
      try {
        const gradIns = orig.call(n, g);
        vjps.set(idx, { gradOut: g, gradIns });
        return gradIns;
      } finally {
        current = prev;
      }
    };
    restore.push(() => {
      if (own) n.vjp = orig;
      else delete (n as { vjp?: unknown }).vjp;
    });
  }
  const ops: OpRecord[] = [];
  const base = forward.length;
  let grads: Map<Tensor, Tensor>;
  const off = onOp((e) => {
    ops.push({
      index: base + ops.length,
      op: e.op,
      inputs: e.inputs,
      output: e.out,
      params: e.params,
      scope: currentScope(),
      phase: 'backward',
      vjpOf: current,
    });
  });
  try {
    grads = backwardPass([output], [seed ?? ones(output.shape, { dtype: output.dtype })]);
  } finally {
    off();
    restore.forEach((f) => f());
  }
  return { ops, vjps, order, grads };
}
