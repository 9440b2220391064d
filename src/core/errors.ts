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
