// Where the shared Keras fixtures are (../shared/keras-fixtures beside the repository); a clear failure when absent.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../../../shared/keras-fixtures/', import.meta.url));

/** Absolute path of a file under keras-fixtures; throws (failing the test) when the fixtures are missing. */
export function fixture(rel = ''): string {
  if (!existsSync(`${dir}README.md`))
    throw new Error(
      'Keras fixtures not found: the Keras import tests need ../shared/keras-fixtures next to the repository',
    );
  return dir + rel;
}

/** |got − want| ≤ rtol·|want| + atol for every element; returns the worst offender for the message. */
export function compare(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
): { ok: boolean; worst: string } {
  if (got.length !== want.length) return { ok: false, worst: `length ${got.length} vs ${want.length}` };
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    const ratio = err / (rtol * Math.abs(want[i]) + atol);
    if (!(ratio <= worstRatio)) {
      worstRatio = ratio;
      worst = i;
    }
  }
  const ok = worstRatio <= 1;
  return {
    ok,
    worst:
      worst < 0
        ? 'none'
        : `index ${worst}: got ${got[worst]}, want ${want[worst]} (${worstRatio.toFixed(2)}× the tolerance)`,
  };
}
