// Browser twin of atomic.ts: there is no file system to write to; the encoders give the bytes to save instead.
import { FileError } from './errors.js';

/** Always throws: browsers cannot write paths (use encodeNpy / encodeSafetensors and save the bytes as a Blob). */
export function writeFileAtomic(path: string, _chunks: Uint8Array | Uint8Array[]): void {
  throw new FileError(
    `write ${path}: browsers have no file system; use the encoder (encodeNpy, encodeSafetensors) and save its bytes, ` +
      'e.g. as a Blob download',
  );
}
