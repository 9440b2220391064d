// The argument rules shared by `tg.nn.functional`: a function refuses more positional arguments than PyTorch's
// signature has (JavaScript would drop them silently) and a first argument that is no Tensor; inplace=true is
// refused by name; an op's error is prefixed with the functional's name; PyTorch's warnings are shown once per message.
import { TapegradError, ValueError, describeValue } from '../../core/errors.js';
import { Tensor } from '../../core/tensor.js';

/** A value for a message: numbers, booleans and strings as written, other values described. */
export const show = (v: unknown): string =>
  ['number', 'boolean', 'string'].includes(typeof v) ? String(JSON.stringify(v)) : describeValue(v);

/** `nn.functional.<name>`, the prefix of every message of a functional. */
export const who = (name: string): string => `nn.functional.${name}`;

/**
 * A functional `name` whose positional parameters are `params` (PyTorch's, camelCase): more arguments are refused
 * with both counts, as PyTorch's TypeError, and so is a first argument that is no Tensor.
 */
export function functional<A extends unknown[], R>(
  name: string,
  params: readonly string[],
  impl: (...args: A) => R,
): (...args: A) => R {
  const w = who(name);
  return (...args: A): R => {
    if (args.length > params.length)
      throw new ValueError(
        `${w}() takes ${params.length} positional argument${params.length === 1 ? '' : 's'} (${params.join(', ')}) but ${args.length} were given`,
      );
    if (!(args[0] instanceof Tensor))
      throw new ValueError(
        `${w}: ${params[0]} (the 1st argument) must be a Tensor, got ${describeValue(args[0])}`,
      );
    try {
      return impl(...args);
    } catch (e) {
      // an op's error is named after the functional, as a module's after the module
      if (e instanceof TapegradError && !e.message.startsWith(w)) e.message = `${w}: ${e.message}`;
      throw e;
    }
  };
}

/** PyTorch's inplace flag: false only (tapegrad ops do not overwrite their inputs). */
export function noInplace(name: string, inplace: unknown): void {
  if (inplace !== false)
    throw new ValueError(
      `${who(name)}: inplace=${show(inplace)} is not supported (tapegrad ops do not overwrite their inputs); leave it false`,
    );
}

/** A boolean argument, named in the error otherwise. */
export function checkBool(name: string, what: string, v: unknown): boolean {
  if (typeof v !== 'boolean')
    throw new ValueError(`${who(name)}: ${what} must be true or false, got ${show(v)}`);
  return v;
}

/** A Tensor or null argument (weight, bias, running statistics), named in the error otherwise. */
export function tensorOrNull(name: string, what: string, v: unknown): Tensor | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Tensor) return v;
  throw new ValueError(`${who(name)}: ${what} must be a Tensor or null, got ${describeValue(v)}`);
}

/** PyTorch's dropout probability check (p in [0, 1]). */
export function checkP(name: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1))
    throw new ValueError(`${who(name)}: dropout probability has to be between 0 and 1, but got ${show(p)}`);
  return p;
}

const shown = new Set<string>();
/** PyTorch's UserWarning, shown once per message (Python shows a warning once per call site). */
export function warnOnce(message: string): void {
  if (shown.has(message)) return;
  shown.add(message);
  console.warn(`tapegrad: ${message}`);
}
