// Typed errors: every failure a user can cause is one of these, with a message that names what is wrong.

/** Base class of every error tapegrad throws on purpose. */
export class TapegradError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes that do not fit an op or layer; the message names the op and both shapes. */
export class ShapeError extends TapegradError {}
/** A bad option or argument value (negative stride, unknown dataFormat, ...). */
export class ValueError extends TapegradError {}
/** Mixed or unsupported dtypes. */
export class DTypeError extends TapegradError {}
/** Autodiff misuse (gradient of a non-scalar without a seed, gradient shape mismatch, ...). */
export class GradError extends TapegradError {}
/** A non-finite value where numerics checks are on. */
export class NumericsError extends TapegradError {}
/** A tensor's values were released (end of a grads call, a layer call or backward) and then read. */
export class ReleasedError extends TapegradError {}

export const fmtShape = (s: readonly number[]): string => `[${s.join(',')}]`;

/** What a value is, for error messages: 'an array', 'null', 'a Float32Array', 'a number'... */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof v}`;
}

/** A value as JSON for an error message (String(v) when it has no JSON form: a cycle, a BigInt). */
export function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
