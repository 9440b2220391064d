// The one atomic file write every writer uses (io's npy/safetensors/checkpoints/Keras saves, debug's plots, the CLI):
// a temp file in the target's folder, fsync, rename; on failure the old file stays and the temp file is removed.
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The temp name of one write of `path`: `.<name>.<pid>.<hex>.tmp` beside it. */
const tempName = (path: string): string =>
  join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);

/**
 * Write `chunks` to `path` so that readers see either the old file or the complete new one, never a partial write:
 * the bytes go to a temporary file in the same folder (same filesystem, so the rename is atomic), are fsync-ed, and
 * the temp file is renamed over `path`. On any failure the temp file is removed and the original error (with its
 * `code`, e.g. ENOSPC) is rethrown for the caller to name; temp files of earlier writes of `path` whose process was
 * killed are removed first.
 * NOTE: a symlink at `path` is replaced by the new file, not written through (as rename(2) does).
 */
export function writeFileAtomicRaw(
  path: string,
  chunks: Uint8Array | string | (Uint8Array | string)[],
): void {
  const parts = (Array.isArray(chunks) ? chunks : [chunks]).map((c) =>
    typeof c === 'string' ? new TextEncoder().encode(c) : c,
  );
  removeOrphanTemps(path);
  const dir = dirname(path);
  const tmp = tempName(path);
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
    throw e;
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

/** Remove temp files an earlier write of `path` left behind when its process was killed (its pid is gone). */
function removeOrphanTemps(path: string): void {
  const dir = dirname(path);
  const base = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^\\.${base}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return; // the folder does not exist: the write itself will report that
  }
  for (const n of names) {
    const m = re.exec(n);
    if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    try {
      unlinkSync(join(dir, n));
    } catch {
      // someone else removed it first
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
