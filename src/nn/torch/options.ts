// Options of the PyTorch-style modules: one check for all of them (an object, known keys only, a float dtype
// that the module's weights are then created in).
import type { DType } from '../../core/dtype.js';
import { ValueError } from '../../core/errors.js';
import { checkOptionsObject } from '../../core/options.js';

/**
 * Checks a module's options object and returns its weight dtype (default float32).
 * NOTE: a non-object (PyTorch's positional `bias=False` written as `false`) is refused, not read as "no options".
 */
export function moduleOptions(where: string, opts: unknown, known: readonly string[]): DType {
  checkOptionsObject(where, opts, known, { required: true });
  const dtype = (opts as { dtype?: unknown }).dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new ValueError(`${where}: dtype must be 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  return dtype;
}
