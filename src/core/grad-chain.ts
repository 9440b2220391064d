// Chains of top-level gradient calls that each stay differentiable. A loop that updates its input with its own
// gradient (adversarial steps, activation maximization, style transfer) while f reads a model's weights makes every
// gradient a differentiable function of the one before, so each step's graph stays alive as long as the loop runs
// (PyTorch with create_graph=True does the same). Such a chain is said once, by name, with the fix.
import { fmtShape } from './errors.js';
import type { Tensor } from './tensor.js';

/** How many differentiable top-level gradients lead to a gradient, itself included (1: none before it). */
const generation = new WeakMap<Tensor, number>();
/** The chain length at which the warning is given (once per process). */
export const CHAIN_WARN_AT = 8;
/** Tensors made before the call that the search visits at most (the chain's history is never walked whole). */
const OUTSIDE_VISITS = 256;
let warned = false;

/**
 * A top-level gradient call recorded its backward pass (automatically): mark its differentiable gradients with
 * their place in a chain (one more than the deepest marked gradient f's value reaches) and warn once at
 * CHAIN_WARN_AT. `start`: the first tensor id made by the call.
 */
export function noteChain(value: Tensor, grads: Tensor[], start: number, api: string): void {
  const gen = 1 + deepestBefore(value, start);
  let first: Tensor | null = null;
  for (const g of grads)
    if (g.requiresGrad) {
      generation.set(g, gen);
      first ??= g;
    }
  if (first === null || gen < CHAIN_WARN_AT || warned) return;
  warned = true;
  console.warn(
    `${api}: this gradient (${fmtShape(first.shape)}) is number ${gen} in a chain of differentiable gradients. ` +
      `Each call's result stays differentiable because f reads tensors that require a gradient (a model's weights, ` +
      `or an argument made from an earlier gradient), so every step's graph is kept alive by the next and memory ` +
      `grows with each call. In a loop that updates its input with the gradient (adversarial steps, activation ` +
      `maximization, style transfer), take a plain gradient: ${api}(f, { createGraph: false }). To differentiate ` +
      `through the chain on purpose, pass { createGraph: true }. (Said once; see docs/memory.md.)`,
  );
}

/** The deepest chain mark on the recorded graph of `value`, searching past marked tensors no further. */
function deepestBefore(value: Tensor, start: number): number {
  const seen = new Set<Tensor>();
  const queue = [value];
  let deepest = 0;
  let outside = 0;
  for (let i = 0; i < queue.length; i++) {
    const t = queue[i];
    const mark = generation.get(t);
    if (mark !== undefined) {
      if (mark > deepest) deepest = mark;
      continue;
    }
    if (t.id < start && ++outside > OUTSIDE_VISITS) break;
    if (t.node === null) continue;
    for (const x of t.node.inputs)
      if (x.requiresGrad && !seen.has(x)) {
        seen.add(x);
        queue.push(x);
      }
  }
  return deepest;
}

/** Tests: give the once-per-process warning again. */
export function resetChainWarning(): void {
  warned = false;
}
