// Options objects of the training API: an object (not null, an array or a number) with known keys only.
import { ValueError, describeValue } from '../core/errors.js';
import { checkOptions } from '../core/options.js';

/**
 * Throws a ValueError naming `where` unless `opts` is an object whose keys are all in `known`. `undefined` passes
 * when `required` is false (a default applies); `null` is refused, as layers refuse it.
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
