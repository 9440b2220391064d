// JSON parsing for untrusted files: size and nesting limits, and keys that could pollute prototypes are dropped.
import { FormatError } from './errors.js';
import { fmtBytes } from './fmt-bytes.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface SafeJsonOptions {
  /** Deepest allowed nesting of arrays/objects (default 512). */
  maxDepth?: number;
  /** Longest allowed text in UTF-16 code units (default 512 Mi). */
  maxLength?: number;
}

// NOTE: JSON.parse itself defines `__proto__` as an own property, but code that later copies or merges parsed
// objects can still reach Object.prototype through it; dropping these keys at parse time removes that risk.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Parse JSON text from a file. Refuses text above `maxLength`, nesting deeper than `maxDepth` (checked by a linear
 * scan before parsing, so no stack overflow), and drops `__proto__` / `constructor` / `prototype` keys.
 * @param where names the file and field for error messages, e.g. `model.h5: attribute model_config`
 */
export function parseJsonSafe(text: string, where: string, opts: SafeJsonOptions = {}): JsonValue {
  const maxDepth = opts.maxDepth ?? 512;
  const maxLength = opts.maxLength ?? 512 * 1024 * 1024;
  if (text.length > maxLength)
    throw new FormatError(
      `${where}: JSON text of ${fmtBytes(text.length)} is above the limit of ${fmtBytes(maxLength)}`,
    );
  const depth = maxNesting(text, maxDepth);
  if (depth > maxDepth)
    throw new FormatError(`${where}: JSON nests deeper than the limit of ${maxDepth} levels`);
  try {
    return JSON.parse(text, (key, value) => (FORBIDDEN_KEYS.has(key) ? undefined : value)) as JsonValue;
  } catch (e) {
    throw new FormatError(`${where}: not valid JSON (${(e as Error).message})`);
  }
}

/** Decode UTF-8 bytes (a leading BOM is skipped) and parse them with {@link parseJsonSafe}. */
export function parseJsonBytes(bytes: Uint8Array, where: string, opts: SafeJsonOptions = {}): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FormatError(`${where}: not valid UTF-8 text`);
  }
  return parseJsonSafe(text, where, opts);
}

/** Nesting depth of brackets outside string literals, stopping early once it passes `limit`. */
function maxNesting(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** True for a plain JSON object (not null, not an array). */
export function isJsonObject(v: unknown): v is { [key: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
