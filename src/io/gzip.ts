// Transparent gzip: bytes that start with the gzip magic are inflated with an output cap (zip-bomb guard).
import { gunzipSync } from 'node:zlib';
import { FormatError } from './errors.js';
import { type InflateCaps, inflateHead } from './inflate.js';
import { fmtBytes } from './fmt-bytes.js';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Inflate gzip bytes (or return non-gzip bytes unchanged), refusing output above `maxBytes` (default 2 GiB) or above
 * the tighter cap `caps.capFromHead` computes from the first output bytes (inflated alone first, with fflate).
 * NOTE: node:zlib stops at the cap (maxOutputLength) and checks every member's CRC-32 and length.
 */
export function maybeGunzip(
  b: Uint8Array,
  name: string,
  maxBytes = 2 * 1024 ** 3,
  caps: Omit<InflateCaps, 'maxBytes'> = {},
): Uint8Array {
  if (!isGzip(b)) return b;
  let cap = maxBytes;
  if (caps.capFromHead)
    cap = Math.min(cap, caps.capFromHead.cap(inflateHead(b, 'gzip', name, caps.capFromHead.headBytes)));
  try {
    return new Uint8Array(gunzipSync(b, { maxOutputLength: Math.max(cap, 1) }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
      throw new FormatError(
        `${name}: gzip data inflates to more than ${fmtBytes(cap)} (${caps.why ?? 'refused'})`,
      );
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
}
