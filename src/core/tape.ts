// The define-by-run tape: each recorded op links its output to its inputs with a vjp closure.
// Recording happens only when some input requires a gradient and recording is on (not in noGrad).
import { mutationCount } from './storage.js';
import type { Tensor } from './tensor.js';

export interface TapeNode {
  /** Primitive name, e.g. `matmul`. */
  op: string;
  inputs: Tensor[];
  params: unknown;
  /** Pull the output gradient `g` back to one gradient per input (null = no gradient flows). */
  vjp: (g: Tensor) => (Tensor | null)[];
  /** Scope path at record time (layer names), for error messages. */
  scope?: string;
  /** `mutationCount()` at record time: inputs written in place after it cannot be differentiated through. */
  readonly epoch: number;
}

/** What every dispatched op reports to listeners (trace, anomaly mode). */
export interface OpEvent {
  op: string;
  inputs: Tensor[];
  out: Tensor;
  params: unknown;
}

/** What a primitive's vjp rule receives: the recorded call (the node itself is this context). */
export interface RuleCtx<P> {
  ins: Tensor[];
  out: Tensor;
  p: P;
}
/** A primitive's vjp rule: the output gradient and the recorded call → one gradient per input. */
export type VjpRule<P> = (g: Tensor, ctx: RuleCtx<P>) => (Tensor | null)[];

/**
 * The one class of tape node: a primitive's rule applied to the node itself as its context (`ins`, `out`, `p`),
 * or a closure (`record`: identity, customGrad).
 * NOTE: one class, so every node has one shape (the walker's property reads stay monomorphic), and a dispatched op
 * allocates this object alone: no vjp closure and no context object per op (issue 12).
 */
class OpNode<P> implements TapeNode, RuleCtx<P> {
  // NOTE: declared fields assigned in the constructor (no class-field define steps): one per recorded op.
  declare readonly op: string;
  declare readonly inputs: Tensor[];
  declare readonly params: P;
  declare readonly out: Tensor;
  /** `inputs` and `params` under the names vjp rules read (VjpCtx). */
  declare readonly ins: Tensor[];
  declare readonly p: P;
  declare readonly scope: string | undefined;
  declare readonly epoch: number;
  declare private readonly rule: VjpRule<P> | null;
  declare private readonly closure: TapeNode['vjp'] | null;
  constructor(
    op: string,
    inputs: Tensor[],
    params: P,
    out: Tensor,
    rule: VjpRule<P> | null,
    closure: TapeNode['vjp'] | null,
  ) {
    this.op = op;
    this.inputs = inputs;
    this.params = params;
    this.out = out;
    this.ins = inputs;
    this.p = params;
    this.scope = scopePath === '' ? undefined : scopePath;
    this.epoch = mutationCount();
    this.rule = rule;
    this.closure = closure;
  }
  vjp(g: Tensor): (Tensor | null)[] {
    return this.closure !== null ? this.closure(g) : this.rule!(g, this);
  }
}

let recording = true;
const listeners = new Set<(e: OpEvent) => void>();
const scopes: string[] = [];
/** `scopes` joined with '/', kept current by withScope so recording an op builds no string. */
let scopePath = '';

export const isRecording = (): boolean => recording;

/** Run `fn` with recording switched to `on`, restoring the previous state afterwards. */
export function withRecording<T>(on: boolean, fn: () => T): T {
  const prev = recording;
  recording = on;
  try {
    return fn();
  } finally {
    recording = prev;
  }
}

/** Run `fn` without recording anything on the tape (PyTorch `torch.no_grad`). */
export const noGrad = <T>(fn: () => T): T => withRecording(false, fn);
/** Run `fn` with recording on, even inside `noGrad`. */
export const enableGrad = <T>(fn: () => T): T => withRecording(true, fn);

/** Subscribe to every op that runs; returns the unsubscribe function. */
export function onOp(fn: (e: OpEvent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
export const hasOpListeners = (): boolean => listeners.size > 0;
export function emitOp(e: OpEvent): void {
  for (const l of listeners) l(e);
}

/** Name scopes (layers push their names) so errors and traces can say where an op ran. */
export function withScope<T>(name: string, fn: () => T): T {
  scopes.push(name);
  const prev = scopePath;
  scopePath = scopes.join('/');
  try {
    return fn();
  } finally {
    scopes.pop();
    scopePath = prev;
  }
}
export const currentScope = (): string => scopePath;

/** Whether an op on `inputs` is recorded: recording is on and some input requires a gradient. */
export function recordsOn(inputs: Tensor[]): boolean {
  if (!recording) return false;
  for (let i = 0; i < inputs.length; i++) if (inputs[i].requiresGrad) return true;
  return false;
}

/** Record `out` as produced by `op` from `inputs` when the tape should see it. */
export function record(
  out: Tensor,
  op: string,
  inputs: Tensor[],
  params: unknown,
  vjp: TapeNode['vjp'],
): void {
  if (!recordsOn(inputs)) return;
  out.requiresGrad = true;
  out.node = new OpNode(op, inputs, params, out, null, vjp);
}

/** Record a dispatched primitive (the caller has checked `recordsOn`): its vjp is `rule(g, node)`. */
export function recordRule<P>(out: Tensor, op: string, ins: Tensor[], p: P, rule: VjpRule<P>): void {
  out.requiresGrad = true;
  out.node = new OpNode(op, ins, p, out, rule, null);
}
