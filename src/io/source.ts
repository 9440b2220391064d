// Byte sources: a path or bytes in, bytes plus a display name out, with a size cap checked before reading.
import { FileError } from './errors.js';
import { fmtBytes } from './fmt-bytes.js';
import { baseName, readPathBytes } from './node-fs.js';

/** Where file readers take their input from: a filesystem path, or the file's bytes already in memory. */
export type ByteSource = string | Uint8Array | ArrayBuffer;

export interface LoadedSource {
  bytes: Uint8Array;
  /** Name used in error messages: the file's base name, or the caller-given name, or `<bytes>`. */
  name: string;
  /** The path when the source was a path. */
  path: string | null;
}

/** Default largest file any reader loads (4 GiB). */
export const DEFAULT_MAX_FILE_BYTES = 4 * 1024 ** 3;

/**
 * Load a source into memory. A path is stat-ed first so a file larger than `maxBytes` is refused before any read.
 * @param src a path or bytes
 * @param what the kind of file, for error messages (e.g. 'npy')
 */
export function loadSource(
  src: ByteSource,
  what: string,
  opts: { name?: string; maxBytes?: number } = {},
): LoadedSource {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (typeof src === 'string')
    return { bytes: readPathBytes(src, what, maxBytes), name: opts.name ?? baseName(src), path: src };
  const name = opts.name ?? '<bytes>';
  let bytes: Uint8Array;
  if (src instanceof Uint8Array) bytes = src;
  else if (src instanceof ArrayBuffer) bytes = new Uint8Array(src);
  else
    throw new FileError(`${what}: expected a path string, Uint8Array or ArrayBuffer, got ${describe(src)}`);
  if (bytes.length > maxBytes)
    throw new FileError(
      `${what} ${name}: ${fmtBytes(bytes.length)} is above the limit of ${fmtBytes(maxBytes)}`,
    );
  return { bytes, name, path: null };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** A DataView over exactly the bytes of `u8` (which may be a view into a larger buffer). */
export function viewOf(u8: Uint8Array): DataView {
  return new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
}
