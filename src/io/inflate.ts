// Capped streaming inflation (gzip members and raw deflate) with fflate, the same code in Node and in browsers:
// the compressed bytes are fed in small slices and inflation stops as soon as the output passes its cap, so a bomb
// costs time and memory bounded by the cap, never by what it would inflate to.
import { Gunzip, Inflate } from 'fflate';
import { FormatError } from './errors.js';
import { fmtBytes } from './fmt-bytes.js';

/** Compressed bytes fed per step: one step of deflate yields at most ~1032× this (about 4 MiB). */
const STEP = 4096;

class OverCap extends Error {
  constructor(readonly cap: number) {
    super('over cap');
  }
}

export interface InflateCaps {
  /** Most output bytes accepted. */
  maxBytes: number;
  /**
   * A tighter cap computed from the first output bytes (e.g. a header that says how much data follows), called once
   * `headBytes` bytes are out (or at the end, with fewer); it may throw a FormatError to refuse the data.
   */
  capFromHead?: { headBytes: number; cap: (head: Uint8Array) => number };
  /** The reason printed when the cap is passed (default: 'refused'). */
  why?: string;
}

/**
 * Inflate `raw` (a gzip stream, possibly several members, or raw deflate) into one array, refusing it with a
 * FormatError that names `name` as soon as the output passes the cap.
 */
export function inflateCapped(
  raw: Uint8Array,
  kind: 'gzip' | 'deflate',
  name: string,
  caps: InflateCaps,
): Uint8Array {
  let cap = caps.maxBytes;
  const head = caps.capFromHead;
  let headDone = !head;
  const parts: Uint8Array[] = [];
  let total = 0;
  const applyHead = () => {
    headDone = true;
    cap = Math.min(cap, head!.cap(concat(parts, total)));
    if (total > cap) throw new OverCap(cap);
  };
  const onData = (chunk: Uint8Array) => {
    total += chunk.length;
    if (total > cap) throw new OverCap(cap);
    parts.push(chunk);
    if (!headDone && total >= head!.headBytes) applyHead();
  };
  const s = kind === 'gzip' ? new Gunzip(onData) : new Inflate(onData);
  try {
    if (raw.length === 0) s.push(raw, true);
    for (let off = 0; off < raw.length; off += STEP)
      s.push(raw.subarray(off, off + STEP), off + STEP >= raw.length);
    if (!headDone) applyHead();
  } catch (e) {
    if (e instanceof OverCap)
      throw new FormatError(
        `${name}: ${kind} data inflates to more than ${fmtBytes(e.cap)} (${caps.why ?? 'refused'})`,
      );
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${name}: corrupt ${kind} data (${(e as Error).message})`);
  }
  return concat(parts, total);
}

/**
 * The first `n` output bytes of `raw` (fewer when it inflates to less), inflating no further: a peek at a header.
 * Throws a FormatError naming `name` when those bytes cannot be inflated.
 */
export function inflateHead(raw: Uint8Array, kind: 'gzip' | 'deflate', name: string, n: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const done = new OverCap(n);
  const s =
    kind === 'gzip'
      ? new Gunzip((c) => {
          parts.push(c);
          total += c.length;
          if (total >= n) throw done;
        })
      : new Inflate((c) => {
          parts.push(c);
          total += c.length;
          if (total >= n) throw done;
        });
  try {
    for (let off = 0; off < raw.length; off += STEP)
      s.push(raw.subarray(off, off + STEP), off + STEP >= raw.length);
  } catch (e) {
    if (e !== done) throw new FormatError(`${name}: corrupt ${kind} data (${(e as Error).message})`);
  }
  return concat(parts, total).subarray(0, n);
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
