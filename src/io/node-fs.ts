// The file-system and path helpers the io readers use, in one place: browser builds swap in node-fs.browser.ts.
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readSync,
  readdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { FileError } from './errors.js';
import { fmtBytes } from './source.js';

/**
 * Read a whole regular file, refusing it (before any read) when it is larger than `maxBytes`.
 * @param what the kind of file, for error messages (e.g. 'npy')
 */
export function readPathBytes(path: string, what: string, maxBytes: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new FileError(
      `${what} ${path}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new FileError(`${what} ${path}: not a regular file`);
    if (st.size > maxBytes)
      throw new FileError(
        `${what} ${path}: file is ${fmtBytes(st.size)}, above the limit of ${fmtBytes(maxBytes)}`,
      );
    const bytes = new Uint8Array(st.size);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== bytes.length)
      throw new FileError(`${what} ${path}: file shrank while reading (${off} of ${st.size} bytes)`);
    return bytes;
  } finally {
    closeSync(fd);
  }
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

/** Write a whole file (throws when it cannot). */
export const writeFileBytes = (p: string, bytes: Uint8Array): void => writeFileSync(p, bytes);
