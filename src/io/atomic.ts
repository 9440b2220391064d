// Atomic file writes for the io layer: core's one write path (temp file, fsync, rename) with a FileError that names
// the path and the reason.
import { writeFileAtomicRaw } from '../core/atomic-write.js';
import { FileError } from './errors.js';

/**
 * Write `chunks` to `path` so that readers see either the old file or the complete new one, never a partial write
 * (see core/atomic-write.ts). On any failure the old file is intact, no temp file is left, and a FileError names the
 * path and the reason (e.g. ENOSPC: the disk is full).
 * @param what who writes, for the message (e.g. 'saveModel'); default 'write'
 */
export function writeFileAtomic(
  path: string,
  chunks: Uint8Array | string | (Uint8Array | string)[],
  what = 'write',
): void {
  try {
    writeFileAtomicRaw(path, chunks);
  } catch (e) {
    throw new FileError(`${what}: cannot write ${path} (${describeWriteError(e)})`);
  }
}

/** `ENOSPC: no space left on the device` style reasons for the common write failures. */
export function describeWriteError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOSPC: 'no space left on the device; the previous file, if any, is unchanged',
    EDQUOT: 'disk quota exceeded; the previous file, if any, is unchanged',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'the folder does not exist',
    EISDIR: 'a folder is in the way',
    ENOTDIR: 'a part of the path is not a folder',
    EROFS: 'read-only file system',
  };
  if (code) return why[code] ? `${code}: ${why[code]}` : code;
  return (e as Error)?.message ?? String(e);
}
