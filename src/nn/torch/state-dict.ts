// PyTorch's state_dict / load_state_dict over the module tree Module.stateTree gives: the names, the copies, and the
// loader's rules and messages (missing and unexpected keys, size mismatches, strict).
// NOTE: this file knows no Module (base.ts imports it, so importing base.ts back would be a cycle): it reads the
// tree as plain nodes.
import { ValueError, describeValue } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';
import { shapesEqual } from '../../core/shape.js';
import { Tensor, writeValues } from '../../core/tensor.js';

/** Tensors by dotted name (`conv1.weight`), in PyTorch's order. */
export type StateDict = Record<string, Tensor>;
/** What loadStateDict returns: PyTorch's `_IncompatibleKeys(missing_keys, unexpected_keys)`. */
export interface IncompatibleKeys {
  missingKeys: string[];
  unexpectedKeys: string[];
}
/** One module of the tree: its path with a trailing dot ('' for the root), its own state and its children's names. */
export interface StateNode {
  prefix: string;
  /** Parameters, then persistent buffers, by their names in this module. */
  own: [string, Tensor][];
  children: string[];
  /** Own names that load as 0 when the state dict lacks them. */
  defaults: readonly string[];
}

/** A copy of the values, detached (no gradient, no tape). */
const copyOf = (t: Tensor): Tensor => new Tensor(t.data.slice(), t.shape);

/**
 * The state dict of a tree: every node's own state under its prefix, copied.
 * NOTE: a record keeps insertion order for every name that is not an array index; state names hold a dot or a
 * letter, so the order is PyTorch's.
 */
export function stateDictOf(nodes: readonly StateNode[]): StateDict {
  const out: StateDict = {};
  for (const n of nodes) for (const [k, t] of n.own) out[n.prefix + k] = copyOf(t);
  return out;
}

/** PyTorch's shape text in its messages: torch.Size([3, 4]). */
const torchSize = (s: readonly number[]): string => `torch.Size([${s.join(', ')}])`;
const quoted = (keys: string[]): string => keys.map((k) => `"${k}"`).join(', ');

/** One pending copy: the target, and the source tensor (or the number every value takes). */
type Write = { to: Tensor; from: Tensor | number };

/**
 * PyTorch `load_state_dict` on a tree: collect every copy and every complaint first, throw (loading nothing) when
 * there is one, else copy and mark each written tensor as changed in place.
 */
export function loadStateTree(
  owner: string,
  nodes: readonly StateNode[],
  stateDict: unknown,
  opts: unknown,
): IncompatibleKeys {
  const who = `${owner}.loadStateDict`;
  checkOptionsObject(who, opts, ['strict'], { required: true, what: 'options (the 2nd argument)' });
  const strict = (opts as { strict?: unknown }).strict ?? true;
  if (typeof strict !== 'boolean')
    throw new ValueError(`${who}: strict must be true or false, got ${describeValue(strict)}`);
  const sd =
    stateDict instanceof Map
      ? (stateDict as Map<unknown, unknown>)
      : stateDict !== null &&
          typeof stateDict === 'object' &&
          !Array.isArray(stateDict) &&
          !(stateDict instanceof Tensor)
        ? new Map<unknown, unknown>(Object.entries(stateDict))
        : null;
  if (!sd)
    throw new ValueError(`${who}: Expected state_dict to be dict-like, got ${describeValue(stateDict)}.`);
  const keys = [...sd.keys()].filter((k): k is string => typeof k === 'string');
  const missingKeys: string[] = [];
  const unexpectedKeys: string[] = [];
  const errors: string[] = [];
  const writes: Write[] = [];
  for (const n of nodes) {
    const local = new Set<string>();
    for (const [name, t] of n.own) {
      local.add(name);
      const key = n.prefix + name;
      if (!sd.has(key)) {
        if (n.defaults.includes(name)) writes.push({ to: t, from: 0 });
        else missingKeys.push(key);
        continue;
      }
      const v = sd.get(key);
      if (!(v instanceof Tensor)) {
        errors.push(
          `While copying the parameter named "${key}", expected a Tensor from the state dict but received ${describeValue(v)}`,
        );
        continue;
      }
      // NOTE: PyTorch's rule for checkpoints from before 0-dim tensors: a 1-dim value fills a scalar with its first.
      if (t.rank === 0 && v.rank === 1 && v.size > 0) writes.push({ to: t, from: v.data[0] });
      else if (!shapesEqual(v.shape, t.shape))
        errors.push(
          `size mismatch for ${key}: copying a param with shape ${torchSize(v.shape)} from checkpoint, the shape in current model is ${torchSize(t.shape)}.`,
        );
      else writes.push({ to: t, from: v });
    }
    // PyTorch's test: a name under this module's prefix whose first part is none of its state or children.
    for (const key of keys) {
      if (!key.startsWith(n.prefix)) continue;
      const rest = key.slice(n.prefix.length);
      const first = rest.split('.', 1)[0];
      if (!local.has(first) && !local.has(rest) && !n.children.includes(first)) unexpectedKeys.push(key);
    }
  }
  if (strict) {
    if (unexpectedKeys.length) errors.unshift(`Unexpected key(s) in state_dict: ${quoted(unexpectedKeys)}. `);
    if (missingKeys.length) errors.unshift(`Missing key(s) in state_dict: ${quoted(missingKeys)}. `);
  }
  if (errors.length)
    throw new ValueError(`Error(s) in loading state_dict for ${owner}:\n\t${errors.join('\n\t')}`);
  for (const { to, from } of writes) {
    writeValues(to, typeof from === 'number' ? from : from.data);
  }
  return { missingKeys, unexpectedKeys };
}
