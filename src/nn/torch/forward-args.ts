// How many positional arguments a module's forward takes, read from its parameter list, so that a call with more is
// refused by name (PyTorch raises TypeError: forward() takes 2 positional arguments but 3 were given) instead of the
// extra ones being dropped by JavaScript, and a call with none at all likewise (PyTorch: forward() missing 1 required
// positional argument: 'input') instead of forward reading undefined.
// NOTE: a TypeScript optional parameter (`mask?: Tensor`) has no default once compiled, so the source cannot tell
// `forward(x, mask?)` from `forward(x, mask)`: only a call with no argument at all is refused as missing some (with the
// parameters before the first default named); a call with some is left to forward (TypeScript checks it at compile
// time, and an op given undefined names it).
// NOTE: Function.length stops at the first default (`forward(x, hx = null)` has length 1), so the source's
// parameter list is counted instead; a rest parameter, `arguments` or a source that cannot be read means any count.
import { ValueError } from '../../core/errors.js';

/** A forward's parameters: how many, and the names of the leading ones without a default (the required ones). */
interface Params {
  count: number;
  required: string[];
}
/** The parameters of each forward function read so far (null: any number of arguments, none required). */
const cache = new WeakMap<(...args: never[]) => unknown, Params | null>();

/**
 * The top-level parameters in a function's source, or null when it takes any number (rest, arguments, unreadable).
 * NOTE: the count decides; the names only label a message (a transpiler may rename a parameter, x becoming x2).
 */
function parameters(src: string): Params | null {
  if (/\barguments\b/.test(src) || /\[native code\]/.test(src)) return null;
  const bare = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (bare) return { count: 1, required: [bare[1]] };
  const open = src.indexOf('(');
  if (open < 0) return null;
  let count = 0; // parameters closed so far
  const required: string[] = []; // names of the leading parameters without a default
  let defaulted = false; // a parameter with a default was seen: the ones after it are not required either
  let text = ''; // the significant characters of the current one (outside comments)
  let hasDefault = false; // the current one has a top-level `=` (destructuring braces hold theirs deeper)
  let depth = 0;
  let quote: string | null = null;
  let prev = '('; // the last significant character (a '/' after an operator starts a regex literal)
  const close = (): boolean => {
    if (text.startsWith('...')) return false;
    if (text !== '') {
      count++;
      if (!defaulted && !hasDefault) required.push(text);
      else defaulted = true;
    }
    text = '';
    hasDefault = false;
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
    if (c === '=' && depth === 0) hasDefault = true;
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' && depth === 0) {
      text = text.slice(0, -1);
      return close() ? { count, required } : null;
    } else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      text = text.slice(0, -1);
      if (!close()) return null;
    }
  }
  return null; // unbalanced: not a parameter list this reader understands
}

/**
 * Refuses a forward call with more positional arguments than `fwd` declares, naming the module and both counts, or
 * with none at all where it has required (no default) parameters, naming them as PyTorch's TypeError.
 */
export function checkForwardArgs(who: string, fwd: (...args: never[]) => unknown, got: number): void {
  if (!cache.has(fwd)) cache.set(fwd, parameters(Function.prototype.toString.call(fwd)));
  const p = cache.get(fwd);
  if (p === null || p === undefined) return;
  const n = p.count;
  if (got > n)
    throw new ValueError(
      `${who}: forward() takes ${n} positional argument${n === 1 ? '' : 's'} but ${got} ${got === 1 ? 'was' : 'were'} given`,
    );
  const missing = got === 0 ? p.required : [];
  if (!missing.length) return;
  const names = missing.map((m) => `'${m}'`);
  const list =
    names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  throw new ValueError(
    `${who}: forward() missing ${missing.length} required positional argument${missing.length === 1 ? '' : 's'}: ${list}`,
  );
}
