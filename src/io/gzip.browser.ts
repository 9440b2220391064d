// Browser twin of gzip.ts: the same transparent gzip with an output cap, inflating with fflate instead of node:zlib.
import { Gunzip } from 'fflate';
import { FormatError } from './errors.js';
import { fmtBytes } from './source.js';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

class TooLarge extends Error {}

/** Inflate gzip bytes (or return non-gzip bytes unchanged), refusing output above `maxBytes` (default 2 GiB). */
export function maybeGunzip(b: Uint8Array, name: string, maxBytes = 2 * 1024 ** 3): Uint8Array {
  if (!isGzip(b)) return b;
  const parts: Uint8Array[] = [];
  let total = 0;
  // NOTE: the input is fed in slices so a zip bomb is stopped once its output passes the cap, not after inflating it.
  const g = new Gunzip((chunk) => {
    total += chunk.length;
    if (total > maxBytes) throw new TooLarge();
    parts.push(chunk);
  });
  const STEP = 1 << 16;
  try {
    for (let off = 0; off < b.length; off += STEP)
      g.push(b.subarray(off, off + STEP), off + STEP >= b.length);
  } catch (e) {
    if (e instanceof TooLarge)
      throw new FormatError(`${name}: gzip data inflates to more than ${fmtBytes(maxBytes)} (refused)`);
    throw new FormatError(`${name}: corrupt gzip data (${(e as Error).message})`);
  }
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
