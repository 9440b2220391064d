// Transparent gzip: bytes that start with the gzip magic are inflated with an output cap (zip-bomb guard).
import { gunzipSync } from 'node:zlib';
import { FormatError } from './errors.js';
import { fmtBytes } from './source.js';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/** Inflate gzip bytes (or return non-gzip bytes unchanged), refusing output above `maxBytes` (default 2 GiB). */
export function maybeGunzip(b: Uint8Array, name: string, maxBytes = 2 * 1024 ** 3): Uint8Array {
  if (!isGzip(b)) return b;
  try {
    return new Uint8Array(gunzipSync(b, { maxOutputLength: maxBytes }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new FormatError(`${name}: gzip data inflates to more than ${fmtBytes(maxBytes)} (refused)`);
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}
