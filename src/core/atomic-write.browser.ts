// Browser twin of atomic-write.ts: there is no file system to write to; callers keep the bytes instead.

/** Always throws: browsers cannot write paths (keep the bytes, e.g. as a Blob download). */
export function writeFileAtomicRaw(
  path: string,
  _chunks: Uint8Array | string | (Uint8Array | string)[],
): void {
  throw new Error(
    `write ${path}: browsers have no file system; keep the bytes instead (e.g. as a Blob download)`,
  );
}
