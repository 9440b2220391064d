// Browser twin of gzip.ts: the same transparent gzip with an output cap, inflating with fflate instead of node:zlib.
// NOTE: fflate's streaming inflater does not check the gzip trailer (CRC-32, length); node:zlib in gzip.ts does.
import { type InflateCaps, inflateCapped } from './inflate.js';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * Inflate gzip bytes (or return non-gzip bytes unchanged), refusing output above `maxBytes` (default 2 GiB) or above
 * the tighter cap `caps.capFromHead` computes from the first output bytes.
 */
export function maybeGunzip(
  b: Uint8Array,
  name: string,
  maxBytes = 2 * 1024 ** 3,
  caps: Omit<InflateCaps, 'maxBytes'> = {},
): Uint8Array {
  if (!isGzip(b)) return b;
  return inflateCapped(b, 'gzip', name, { ...caps, maxBytes });
}
