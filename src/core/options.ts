// Options checking: one rule for every options object, unknown keys are refused with the list of known keys.
import { ValueError } from './errors.js';

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
