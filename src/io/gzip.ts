// Transparent gzip: bytes that start with the gzip magic are inflated with an output cap (zip-bomb guard).
// NOTE: fflate's streaming inflater in Node and browsers alike (no node:zlib), so the cap stops a bomb early in both.
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
