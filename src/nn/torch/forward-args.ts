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
  let count = 0; // parameters closed so far
  let text = ''; // the significant characters of the current one (outside comments)
  let depth = 0;
  let quote: string | null = null;
  let prev = '('; // the last significant character (a '/' after an operator starts a regex literal)
  const close = (): boolean => {
    if (text.startsWith('...')) return false;
    if (text !== '') count++;
    text = '';
    return true;
  };
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    // comments hold no parameters: `forward(x /* , y */)`, `forward(x, // a) note`
    if (c === '/' && (src[i + 1] === '/' || src[i + 1] === '*')) {
      const end = src[i + 1] === '/' ? src.indexOf('\n', i) : src.indexOf('*/', i + 2) + 1;
      if (end <= 0) return null;
      i = end;
      continue;
    }
    if (/\s/.test(c)) continue;
    text += c;
    // a regex literal in a default (`r = /[)]/`): skipped to its closing slash, classes and escapes included
    if (c === '/' && /[=(,:[!&|?{};>+\-*%<~^]/.test(prev)) {
      let cls = false;
      for (i++; i < src.length && (cls || src[i] !== '/'); i++) {
        if (src[i] === '\\') i++;
        else if (src[i] === '[') cls = true;
        else if (src[i] === ']') cls = false;
      }
      prev = '/';
      continue;
    }
    prev = c;
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' && depth === 0) {
      text = text.slice(0, -1);
      return close() ? count : null;
    } else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      text = text.slice(0, -1);
      if (!close()) return null;
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
