// Byte counts for error messages, shared by the readers and the file-system layer (node-fs.ts).
/** Human-readable byte count for error messages. */
export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB (${n} bytes)`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB (${n} bytes)`;
}
