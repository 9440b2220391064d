// In-memory ZIP reading: central directory parsed and checked (names, counts, sizes) before anything is inflated.
import { FormatError } from './errors.js';
import { inflateCapped } from './inflate.js';
import { fmtBytes } from './fmt-bytes.js';
import { viewOf } from './source.js';
import { crc32 } from '../core/crc32.js';

export interface ZipEntry {
  name: string;
  /** Uncompressed size declared by the central directory. */
  size: number;
  compressedSize: number;
  /** 0 stored, 8 deflate. */
  method: number;
  crc32: number;
  /** Offset of the entry's local header. */
  localOffset: number;
}

export interface ZipLimits {
  /** Most entries accepted (default 10,000). */
  maxZipEntries?: number;
  /** Largest sum of declared uncompressed sizes (default 4 GiB). */
  maxZipBytes?: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64_LOC = 0x07064b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
/** Deflate's largest expansion: one 258-byte match per ~2 bits, so under 1032 output bytes per input byte. */
const MAX_DEFLATE_RATIO = 1032;

/** True when the bytes start with a ZIP local-file (`PK\x03\x04`) or empty-archive (`PK\x05\x06`) signature. */
export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6))
  );
}

/**
 * A ZIP archive held in memory. The constructor validates the whole central directory: entry count, unsafe names
 * (`..` segments, absolute or drive paths, NUL, backslashes), duplicates, encryption, compression method, and the sum
 * of declared sizes. `read` inflates one entry into a buffer of exactly its declared size and checks its CRC-32.
 */
export class ZipArchive {
  readonly entries: ZipEntry[] = [];
  private readonly byName = new Map<string, ZipEntry>();

  constructor(
    private readonly bytes: Uint8Array,
    /** File name for error messages. */
    readonly name: string,
    limits: ZipLimits = {},
  ) {
    const maxEntries = limits.maxZipEntries ?? 10_000;
    const maxTotal = limits.maxZipBytes ?? 4 * 1024 ** 3;
    const dv = viewOf(bytes);
    const n = bytes.length;
    let eocd = -1;
    for (let p = n - 22; p >= 0 && p >= n - 22 - 65535; p--) {
      if (dv.getUint32(p, true) === SIG_EOCD) {
        eocd = p;
        break;
      }
    }
    if (eocd < 0)
      throw new FormatError(`${name}: not a ZIP archive or truncated (no end-of-central-directory record)`);
    if (dv.getUint16(eocd + 4, true) !== 0 || dv.getUint16(eocd + 6, true) !== 0)
      throw new FormatError(`${name}: multi-disk ZIP archives are not supported`);
    let count = dv.getUint16(eocd + 10, true);
    let cdSize = dv.getUint32(eocd + 12, true);
    let cdOff = dv.getUint32(eocd + 16, true);
    if (eocd >= 20 && dv.getUint32(eocd - 20, true) === SIG_EOCD64_LOC) {
      const z = this.u64(dv, eocd - 12, 'zip64 locator offset');
      if (z + 56 > n || dv.getUint32(z, true) !== SIG_EOCD64)
        throw new FormatError(`${name}: zip64 end-of-central-directory record missing or out of range`);
      count = this.u64(dv, z + 32, 'zip64 entry count');
      cdSize = this.u64(dv, z + 40, 'zip64 central directory size');
      cdOff = this.u64(dv, z + 48, 'zip64 central directory offset');
    }
    if (count > maxEntries)
      throw new FormatError(`${name}: ${count} entries, above the limit of ${maxEntries}`);
    if (cdOff + cdSize > n)
      throw new FormatError(
        `${name}: central directory (offset ${cdOff}, ${cdSize} bytes) lies beyond the ${n}-byte file`,
      );
    let p = cdOff;
    let total = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > n || dv.getUint32(p, true) !== SIG_CENTRAL)
        throw new FormatError(`${name}: central directory entry ${i} is truncated or corrupt`);
      const flags = dv.getUint16(p + 8, true);
      const method = dv.getUint16(p + 10, true);
      const crc32 = dv.getUint32(p + 16, true);
      let compressedSize = dv.getUint32(p + 20, true);
      let size = dv.getUint32(p + 24, true);
      const nameLen = dv.getUint16(p + 28, true);
      const extraLen = dv.getUint16(p + 30, true);
      const commentLen = dv.getUint16(p + 32, true);
      let localOffset = dv.getUint32(p + 42, true);
      const end = p + 46 + nameLen + extraLen + commentLen;
      if (end > n) throw new FormatError(`${name}: central directory entry ${i} is truncated`);
      const entryName = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
      // zip64 extra field (id 1): 8-byte values for each 32-bit field that is 0xFFFFFFFF, in this order.
      let q = p + 46 + nameLen;
      const qEnd = q + extraLen;
      while (q + 4 <= qEnd) {
        const id = dv.getUint16(q, true);
        const len = dv.getUint16(q + 2, true);
        if (id === 1) {
          let r = q + 4;
          const take = (what: string): number => {
            if (r + 8 > q + 4 + len)
              throw new FormatError(`${name}: entry '${entryName}' has a short zip64 field`);
            const v = this.u64(dv, r, what);
            r += 8;
            return v;
          };
          if (size === 0xffffffff) size = take('size');
          if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
          if (localOffset === 0xffffffff) localOffset = take('offset');
        }
        q += 4 + len;
      }
      checkEntryName(name, entryName);
      if (flags & 1) throw new FormatError(`${name}: entry '${entryName}' is encrypted`);
      if (method !== 0 && method !== 8)
        throw new FormatError(
          `${name}: entry '${entryName}' uses compression method ${method} (only stored and deflate)`,
        );
      if (this.byName.has(entryName)) throw new FormatError(`${name}: entry '${entryName}' appears twice`);
      // NOTE: read() allocates the declared size, so it must be one the stored bytes can really produce.
      if (method === 0 ? size !== compressedSize : size > compressedSize * MAX_DEFLATE_RATIO + 1024)
        throw new FormatError(
          `${name}: entry '${entryName}' declares ${size} bytes from ${compressedSize} ${method === 0 ? 'stored' : 'compressed'} bytes, which ${method === 0 ? 'differ' : 'deflate cannot produce'} (corrupt or zip bomb)`,
        );
      total += size;
      if (total > maxTotal)
        throw new FormatError(
          `${name}: entries declare more than ${fmtBytes(maxTotal)} uncompressed (zip bomb guard)`,
        );
      if (localOffset + 30 > n)
        throw new FormatError(`${name}: entry '${entryName}' starts beyond the end of the file`);
      const e: ZipEntry = { name: entryName, size, compressedSize, method, crc32, localOffset };
      this.entries.push(e);
      this.byName.set(entryName, e);
      p = end;
    }
  }

  private u64(dv: DataView, off: number, what: string): number {
    if (off + 8 > dv.byteLength)
      throw new FormatError(`${this.name}: ${what} lies beyond the end of the file`);
    const v = dv.getBigUint64(off, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`${this.name}: ${what} ${v} is too large`);
    return Number(v);
  }

  /** True when the archive has an entry with this exact name. */
  has(entryName: string): boolean {
    return this.byName.has(entryName);
  }

  /**
   * The uncompressed bytes of one entry (size and CRC-32 checked), refused before inflating when its declared size
   * is above `maxBytes`, and while inflating as soon as its output passes the declared size.
   */
  read(entryName: string, maxBytes = Infinity): Uint8Array {
    const e = this.byName.get(entryName);
    if (!e) throw new FormatError(`${this.name}: no entry '${entryName}'`);
    if (e.size > maxBytes)
      throw new FormatError(
        `${this.name}: entry '${e.name}' is ${fmtBytes(e.size)} uncompressed, above the limit of ${fmtBytes(maxBytes)} for it (refused before inflating)`,
      );
    const dv = viewOf(this.bytes);
    const lo = e.localOffset;
    if (dv.getUint32(lo, true) !== SIG_LOCAL)
      throw new FormatError(`${this.name}: entry '${e.name}' has no local header`);
    const start = lo + 30 + dv.getUint16(lo + 26, true) + dv.getUint16(lo + 28, true);
    if (start + e.compressedSize > this.bytes.length)
      throw new FormatError(
        `${this.name}: entry '${e.name}' needs ${e.compressedSize} bytes past offset ${start}, file is truncated`,
      );
    const raw = this.bytes.subarray(start, start + e.compressedSize);
    let out: Uint8Array;
    if (e.method === 0) {
      if (e.compressedSize !== e.size)
        throw new FormatError(
          `${this.name}: stored entry '${e.name}' has size ${e.size} but ${e.compressedSize} stored bytes`,
        );
      out = raw;
    } else {
      // NOTE: streamed with a cap of the declared size, so a lying header cannot make us inflate (or allocate) more.
      out = inflateCapped(raw, 'deflate', `${this.name}: entry '${e.name}'`, {
        maxBytes: e.size,
        why: 'more than its declared size; corrupt or zip bomb',
      });
      if (out.length !== e.size)
        throw new FormatError(
          `${this.name}: entry '${e.name}' inflates to ${out.length} bytes but declares ${e.size} (corrupt)`,
        );
    }
    if (crc32(out) !== e.crc32)
      throw new FormatError(`${this.name}: entry '${e.name}' fails its CRC-32 check (corrupt)`);
    return out;
  }
}

/** Reject entry names that could escape an extraction folder or be ambiguous. */
function checkEntryName(file: string, n: string): void {
  const bad =
    n.length === 0 ||
    n.includes('\0') ||
    n.includes('\\') ||
    n.startsWith('/') ||
    /^[A-Za-z]:/.test(n) ||
    n.split('/').some((seg) => seg === '..');
  if (bad) throw new FormatError(`${file}: unsafe entry name '${n}' (absolute, '..' or backslash path)`);
}
