// Fuzzing harness for the file readers: run one hostile input with an allocation cap and a hang bound, require a
// clean result or a typed tapegrad error naming the file, and count cases per reader and mutation.
import { TapegradError } from '../../../src/core/errors.js';

/** Typed-array and buffer constructors watched by the allocation cap. */
const CTORS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int8Array',
  'Uint16Array',
  'Int16Array',
  'Uint32Array',
  'Int32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
] as const;

interface Violation {
  ctor: string;
  bytes: number;
  stack: string;
}

let cap = Infinity;
let violations: Violation[] = [];
let peak = 0;
const g = globalThis as unknown as Record<string, unknown>;
const originals = new Map<string, unknown>(CTORS.map((n) => [n, g[n]]));

function requestedBytes(name: string, target: { BYTES_PER_ELEMENT?: number }, args: unknown[]): number {
  const per = name.endsWith('Buffer') ? 1 : (target.BYTES_PER_ELEMENT ?? 1);
  const a = args[0];
  if (typeof a === 'number') return a * per;
  if (
    a instanceof ArrayBuffer ||
    (typeof SharedArrayBuffer !== 'undefined' && a instanceof SharedArrayBuffer)
  )
    return 0;
  if (
    a !== null &&
    typeof a === 'object' &&
    'length' in a &&
    typeof (a as { length: unknown }).length === 'number'
  )
    return (a as { length: number }).length * per;
  return 0;
}

/**
 * Install proxies over the global typed-array constructors that record (and refuse) any allocation above the current
 * cap. Instances keep the original prototypes, so `instanceof` works on both sides. Code that captured a constructor
 * before installation (fflate, Node internals) is not watched.
 */
function install(): void {
  for (const n of CTORS) {
    const orig = originals.get(n) as (new (...a: unknown[]) => object) & { BYTES_PER_ELEMENT?: number };
    if (!orig) continue;
    const proxy: unknown = new Proxy(orig, {
      construct(target, args, newTarget) {
        const bytes = requestedBytes(n, target, args);
        if (bytes > peak) peak = bytes;
        if (bytes > cap) {
          violations.push({ ctor: n, bytes, stack: new Error().stack ?? '' });
          throw new RangeError(
            `fuzz allocation cap: new ${n} of ${bytes} bytes is above the cap of ${cap} bytes`,
          );
        }
        return Reflect.construct(target, args, newTarget === proxy ? target : newTarget);
      },
    });
    g[n] = proxy;
  }
}

function uninstall(): void {
  for (const n of CTORS) g[n] = originals.get(n);
}

/** Counts of cases per mutation for one reader. */
export class FuzzStats {
  readonly rows = new Map<string, { cases: number; accepted: number; refused: number }>();
  maxMs = 0;
  maxAlloc = 0;
  constructor(readonly reader: string) {
    ALL.push(this);
  }
  add(mutation: string, accepted: boolean): void {
    const r = this.rows.get(mutation) ?? { cases: 0, accepted: 0, refused: 0 };
    r.cases++;
    if (accepted) r.accepted++;
    else r.refused++;
    this.rows.set(mutation, r);
  }
  get total(): number {
    let n = 0;
    for (const r of this.rows.values()) n += r.cases;
    return n;
  }
  /** One line per mutation, for the test output and docs/reliability.md. */
  report(): string {
    const lines = [
      `[reliability] fuzz ${this.reader}: ${this.total} cases, slowest ${this.maxMs.toFixed(0)} ms, largest allocation ${fmt(this.maxAlloc)}`,
    ];
    for (const [m, r] of [...this.rows].sort(([a], [b]) => (a < b ? -1 : 1)))
      lines.push(
        `    ${m.padEnd(34)} ${String(r.cases).padStart(6)} cases  ${String(r.accepted).padStart(6)} accepted  ${String(r.refused).padStart(6)} refused`,
      );
    return lines.join('\n');
  }
}
const ALL: FuzzStats[] = [];

const fmt = (n: number): string =>
  n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`;

export interface CaseOptions<T> {
  /** File name given to the reader; every error message must mention it. */
  name: string;
  /** Largest single typed-array allocation allowed during the case. */
  capBytes: number;
  /** Longest a case may take before it counts as a hang (generous: this is not a speed test). */
  hangMs?: number;
  /** Checks on a successful result (it must be well formed). */
  validate?: (result: T) => void;
  /** Extra check after every case (e.g. Object.prototype untouched). */
  after?: () => void;
}

/**
 * Run one input through a reader. Passes when the reader returns a result that `validate` accepts, or throws a
 * TapegradError whose message names the file; fails on any other error, on an allocation above `capBytes` (even if
 * the reader caught it), and on a case slower than `hangMs`.
 */
export async function fuzzCase<T>(
  stats: FuzzStats,
  mutation: string,
  run: () => T | Promise<T>,
  o: CaseOptions<T>,
): Promise<void> {
  const hangMs = o.hangMs ?? 5000;
  violations = [];
  peak = 0;
  cap = o.capBytes;
  const t0 = performance.now();
  let result: T | undefined;
  let error: unknown = null;
  install();
  try {
    result = await run();
  } catch (e) {
    error = e;
  } finally {
    uninstall();
    cap = Infinity;
  }
  const ms = performance.now() - t0;
  stats.maxMs = Math.max(stats.maxMs, ms);
  stats.maxAlloc = Math.max(stats.maxAlloc, peak);
  const where = `${stats.reader} / ${mutation} / ${o.name}`;
  if (violations.length)
    throw new Error(
      `${where}: allocation above the cap (${fmt(o.capBytes)}): new ${violations[0].ctor} of ${violations[0].bytes} bytes\n${violations[0].stack}`,
    );
  if (ms > hangMs) throw new Error(`${where}: took ${ms.toFixed(0)} ms (hang bound ${hangMs} ms)`);
  o.after?.();
  if (error === null) {
    o.validate?.(result as T);
    stats.add(mutation, true);
    return;
  }
  if (!(error instanceof TapegradError))
    throw new Error(
      `${where}: untyped ${(error as Error)?.constructor?.name ?? typeof error}: ${(error as Error)?.message ?? String(error)}\n${(error as Error)?.stack ?? ''}`,
    );
  if (!error.message.includes(o.name))
    throw new Error(`${where}: error message does not name the file: ${error.message}`);
  stats.add(mutation, false);
}

/** Print every reader's counts (call from afterAll). */
export function printFuzzReport(): void {
  for (const s of ALL.splice(0)) console.log(s.report());
}

/** A small seeded generator for deterministic enumerations outside fast-check. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Object.prototype keys now; compare after a case to detect prototype pollution. */
export function protoKeys(): string {
  return (
    Object.getOwnPropertyNames(Object.prototype).sort().join(',') +
    '|' +
    JSON.stringify(({} as Record<string, unknown>).polluted ?? null)
  );
}

/** Offsets to truncate at: each boundary and its neighbours, clipped to [0, len). */
export function aroundBoundaries(boundaries: number[], len: number): number[] {
  const s = new Set<number>();
  for (const b of boundaries) for (const d of [-1, 0, 1]) if (b + d >= 0 && b + d < len) s.add(b + d);
  return [...s].sort((a, b) => a - b);
}

/** Flip `bits` random bits of a copy of `b` (positions from fast-check). */
export function flipBits(b: Uint8Array, positions: number[]): Uint8Array {
  const out = b.slice();
  for (const p of positions) {
    const i = p % (out.length * 8);
    out[i >> 3] ^= 1 << (i & 7);
  }
  return out;
}

/** Seeds and run counts shared by every fuzz file (TAPEGRAD_FUZZ_SCALE=10 runs ten times as many cases). */
export const FUZZ_SEED = Number(process.env.TAPEGRAD_FUZZ_SEED ?? 20261125);
export const SCALE = Number(process.env.TAPEGRAD_FUZZ_SCALE ?? 1);
export const runs = (n: number): number => Math.max(1, Math.round(n * SCALE));

/** Every path (list of keys) in a JSON value, the root included. */
export function jsonPaths(v: unknown, pre: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [pre];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...jsonPaths(x, [...pre, i])));
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...jsonPaths(x, [...pre, k]));
  return out;
}

/** A deep copy of `root` with the value at `path` replaced by `value`, or removed when `del`. */
export function setAtPath(root: unknown, path: (string | number)[], value: unknown, del = false): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (!del) o[last] = value;
  else if (Array.isArray(o)) o.splice(Number(last), 1);
  else delete o[last];
  return copy;
}
