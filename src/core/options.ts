// Options checking: one rule for every options object, unknown keys are refused with the list of known keys.
import { ValueError, describeValue } from './errors.js';

/**
 * Throws a ValueError when `opts` has a key not in `known`, naming the caller, the key and the known keys.
 * `undefined` and `null` options are accepted (nothing to check).
 */
export function checkOptions(where: string, opts: object | undefined, known: readonly string[]): void {
  if (opts === undefined || opts === null) return;
  // NOTE: for-in, not Object.keys (no array per call: zeros and ones check theirs in every vjp)
  for (const key in opts) {
    if (!known.includes(key) && Object.prototype.hasOwnProperty.call(opts, key)) {
      throw new ValueError(`${where}: unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
}

/**
 * `checkOptions`, and first that `opts` is an object at all (not null, an array, a number or a boolean such as
 * PyTorch's positional `bias=False`): a ValueError naming `where` and the known keys. `undefined` passes unless
 * `required` (a default applies).
 */
export function checkOptionsObject(
  where: string,
  opts: unknown,
  known: readonly string[],
  { required = false, what = 'options' }: { required?: boolean; what?: string } = {},
): void {
  if (opts === undefined && !required) return;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
    throw new ValueError(
      `${where}: ${what} must be an object { ${known.join(', ')} }, got ${describeValue(opts)}`,
    );
  checkOptions(where, opts, known);
}
