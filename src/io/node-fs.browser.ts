// Browser twin of node-fs.ts: there is no file system, so every path-taking reader says to pass the bytes instead.
import { FileError } from './errors.js';

const noFs = (what: string, path: string): FileError =>
  new FileError(
    `${what} ${path}: reading a path needs Node's file system, which browsers do not have; pass the file's bytes ` +
      `instead (a Uint8Array or ArrayBuffer, e.g. from fetch(url).then((r) => r.arrayBuffer()) or a dropped File's arrayBuffer())`,
  );

/** Always throws: browsers cannot read paths. */
export function readPathBytes(path: string, what: string, _maxBytes: number): Uint8Array {
  throw noFs(what, path);
}

/** Always throws: a file beside another one can only be read from a file system. */
export function resolveInside(file: string, rel: string, _where: string): string {
  throw noFs('file', `${rel} (beside ${file})`);
}

/** The last segment of a `/`- or `\`-separated path. */
export const baseName = (p: string): string => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** Always throws: browsers cannot look at paths. */
export const pathExists = (p: string): boolean => {
  throw noFs('file', p);
};

/** `dir` and `name` joined with `/`. */
export const joinPath = (dir: string, name: string): string =>
  dir.endsWith('/') ? dir + name : `${dir}/${name}`;

/** True for `/x`, `\x` or `C:\x`. */
export const isAbsolutePath = (p: string): boolean => /^([\\/]|[a-zA-Z]:[\\/])/.test(p);

/** Always throws: a file beside another one can only be read from a file system. */
export const resolveBeside = (file: string, rel: string): string => {
  throw noFs('file', `${rel} (beside ${file})`);
};

/** The folder part of a `/`-separated path. */
export const dirName = (p: string): string => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) || '/' : '.');

/** Always throws: browsers have no folders to list. */
export const listDir = (dir: string): string[] => {
  throw noFs('folder', dir);
};

/** Always throws: browsers have no files to delete. */
export const removeFile = (p: string): void => {
  throw noFs('file', p);
};
