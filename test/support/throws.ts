// Assertions on thrown errors shared by the tests of misuse: the class, that it is a tapegrad error, and the message.
import { expect } from 'vitest';
import * as tg from '../../src/index.js';

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Assert `f` throws an instance of `cls` (a TapegradError) whose message matches `msg` (a string must match exactly). */
export function throwsTyped(f: () => unknown, cls: new (...a: any[]) => Error, msg: string | RegExp): void {
  const err = caught(f);
  expect(err, 'expected a throw').toBeInstanceOf(cls);
  expect(err).toBeInstanceOf(tg.TapegradError);
  if (typeof msg === 'string') expect((err as Error).message).toBe(msg);
  else expect((err as Error).message).toMatch(msg);
}

/** Assert `fn` throws an instance of `cls` whose message contains every fragment. */
export function throwsA(cls: new (...a: never[]) => Error, fn: () => unknown, fragments: string[]): void {
  const err = caught(fn);
  expect(err, 'expected an error').toBeInstanceOf(cls);
  for (const f of fragments) expect((err as Error).message).toContain(f);
}
