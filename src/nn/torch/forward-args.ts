// How many positional arguments a module's forward takes, read from its parameter list, so that a call with more is
// refused by name (PyTorch raises TypeError: forward() takes 2 positional arguments but 3 were given) instead of the
// extra ones being dropped by JavaScript.
// NOTE: Function.length stops at the first default (`forward(x, hx = null)` has length 1), so the source's
// parameter list is counted instead; a rest parameter, `arguments` or a source that cannot be read means any count.
import { ValueError } from '../../core/errors.js';

/** The parameter count of each forward function read so far (null: any number of arguments). */
const cache = new WeakMap<(...args: never[]) => unknown, number | null>();

/**
 * The number of top-level parameters in a function's source, or null when it takes any number (rest, arguments,
 * unreadable).
 * NOTE: a count, not names: a transpiler may rename parameters (x becomes x2), so names would mislead.
 */
function parameters(src: string): number | null {
  if (/\barguments\b/.test(src) || /\[native code\]/.test(src)) return null;
  const bare = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (bare) return 1;
  const open = src.indexOf('(');
  if (open < 0) return null;
  const params: string[] = [];
  let depth = 0;
  let start = open + 1;
  let quote: string | null = null;
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' && depth === 0) {
      params.push(src.slice(start, i).trim());
      const list = params.filter((p) => p !== '');
      return list.some((p) => p.startsWith('...')) ? null : list.length;
    } else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      params.push(src.slice(start, i).trim());
      start = i + 1;
    }
  }
  return null; // unbalanced: not a parameter list this reader understands
}

/**
 * Refuses a forward call with more positional arguments than `fwd` declares, naming the module and both counts.
 */
export function checkForwardArgs(who: string, fwd: (...args: never[]) => unknown, got: number): void {
  if (!cache.has(fwd)) cache.set(fwd, parameters(Function.prototype.toString.call(fwd)));
  const n = cache.get(fwd);
  if (n === null || n === undefined || got <= n) return;
  throw new ValueError(
    `${who}: forward() takes ${n} positional argument${n === 1 ? '' : 's'} but ${got} ${got === 1 ? 'was' : 'were'} given`,
  );
}
