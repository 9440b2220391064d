// Atomic file writes: write a temp file in the target's folder, fsync it, then rename it over the target.
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FileError } from './errors.js';

/**
 * Write `chunks` to `path` so that readers see either the old file or the complete new one, never a partial write:
 * the bytes go to a temporary file in the same folder (same filesystem, so the rename is atomic), are fsync-ed, and
 * the temp file is renamed over `path`. On any failure the temp file is removed and a FileError names the path.
 */
export function writeFileAtomic(path: string, chunks: Uint8Array | Uint8Array[]): void {
  const parts = Array.isArray(chunks) ? chunks : [chunks];
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (const b of parts) {
      let off = 0;
      while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) {
      try {
        closeSync(fd);
      } catch {
        // already failing
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // never created or already renamed
    }
    throw new FileError(`write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  // NOTE: fsync of the folder makes the rename itself durable; not every platform allows opening a folder.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // best effort
  }
}
