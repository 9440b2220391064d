// Browser twin of atomic.ts: there is no file system to write to; the encoders give the bytes to save instead.
import { FileError } from './errors.js';

/** Always throws: browsers cannot write paths (use encodeNpy / encodeSafetensors and save the bytes as a Blob). */
export function writeFileAtomic(
  path: string,
  _chunks: Uint8Array | string | (Uint8Array | string)[],
  what = 'write',
): void {
  throw new FileError(
    `${what}: cannot write ${path}: browsers have no file system; use the encoder (encodeNpy, encodeSafetensors) ` +
      'and save its bytes, e.g. as a Blob download',
  );
}

/** The reason of a write failure, for messages. */
export function describeWriteError(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}
