// The file-system and path helpers the io readers use, in one place: browser builds swap in node-fs.browser.ts.
import {
  type Stats,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  readdirSync,
  realpathSync,
  statSync,
  unlinkSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { FileError, FormatError } from './errors.js';
import { fmtBytes } from './fmt-bytes.js';

/** What is at `path` when it is not a regular file, in words ('a FIFO (named pipe)', 'a folder', ...). */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Read a whole regular file, refusing it (before any read) when it is larger than `maxBytes`.
 * NOTE: the path is stat-ed before it is opened, and opened non-blocking: opening a FIFO for reading blocks until a
 * writer appears, so a FIFO, device, socket or folder is refused at once instead of hanging.
 * @param what the kind of file, for error messages (e.g. 'npy')
 */
export function readPathBytes(path: string, what: string, maxBytes: number): Uint8Array {
  const fail = (e: unknown) =>
    new FileError(
      `${what} ${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    throw fail(e);
  }
  if (!st.isFile()) throw new FileError(`${what} ${path}: ${kindOf(st)}, not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw fail(e);
  }
  try {
    const fst = fstatSync(fd);
    // NOTE: checked again on the open file: the path may have been swapped between the stat and the open.
    if (!fst.isFile()) throw new FileError(`${what} ${path}: ${kindOf(fst)}, not a regular file`);
    if (fst.size > maxBytes)
      throw new FileError(
        `${what} ${path}: file is ${fmtBytes(fst.size)}, above the limit of ${fmtBytes(maxBytes)}`,
      );
    const bytes = new Uint8Array(fst.size);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== bytes.length)
      throw new FileError(`${what} ${path}: file shrank while reading (${off} of ${fst.size} bytes)`);
    return bytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * The real path of `rel` (a name found inside `file`, e.g. a TF.js shard path) when it lies inside the real folder
 * of `file`; throws a FormatError otherwise. Symlinks are resolved on both sides, so a link (or a linked folder)
 * pointing out of the model's folder is refused; nothing about the outside file (not even its size) is reported.
 * @param where the field that named `rel`, for messages
 */
export function resolveInside(file: string, rel: string, where: string): string {
  let root: string;
  let full: string;
  try {
    root = realpathSync(dirname(file));
  } catch (e) {
    throw new FileError(
      `${where}: cannot resolve the folder of ${file} (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    full = realpathSync(resolve(dirname(file), rel));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FileError(
      `${where}: '${rel}' ${code === 'ENOENT' ? 'does not exist' : `cannot be resolved (${code})`} beside ${basename(file)}`,
    );
  }
  const r = relative(root, full);
  if (r === '' || r.startsWith('..') || isAbsolute(r))
    throw new FormatError(
      `${where}: '${rel}' resolves outside the folder of ${basename(file)} (through a symlink); refused`,
    );
  return full;
}

/** The last segment of a path. */
export const baseName = (p: string): string => basename(p);

/** True when something exists at `p`. */
export const pathExists = (p: string): boolean => existsSync(p);

/** `dir` and `name` joined with the platform separator. */
export const joinPath = (dir: string, name: string): string => join(dir, name);

/** True for an absolute path (POSIX `/x`, or `C:\x` on Windows). */
export const isAbsolutePath = (p: string): boolean => isAbsolute(p);

/** `rel` resolved against the folder holding `file`. */
export const resolveBeside = (file: string, rel: string): string => resolve(dirname(file), rel);

/** The folder part of a path. */
export const dirName = (p: string): string => dirname(p);

/** Names in a folder (throws when it cannot be read). */
export const listDir = (dir: string): string[] => readdirSync(dir);

/** Delete a file (throws when it cannot). */
export const removeFile = (p: string): void => unlinkSync(p);
