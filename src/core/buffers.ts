// Recycled storage for large float32 tensors. A fresh multi-megabyte typed array costs a page fault per 4 KiB on
// its first write (a 151 MB im2col matrix: ~90 ms, seven times the copy itself), so once the garbage collector
// has dropped a large tensor its ArrayBuffer is handed to the next tensor of the same size instead.
// NOTE: tensors stay garbage collected (no dispose): a FinalizationRegistry returns a buffer when its array dies.
// Finalizers run between event-loop tasks, so loops that yield (fit does, per batch) recycle; a synchronous loop
// simply allocates as before. A buffer some other view might still reach is never reused: the arrays handed out
// mark their buffer as escaped whenever `.buffer` or `.subarray()` exposes it.

/** Arrays of at least this many elements (1 MiB of float32) are recycled; smaller ones are cheap to allocate. */
export const RECYCLE_MIN = 1 << 18;
/** At most this many bytes wait in the free lists; beyond it, returned buffers are left to the collector. */
const MAX_FREE_BYTES = 1 << 30;

const free = new Map<number, ArrayBuffer[]>();
let freeBytes = 0;
const escaped = new WeakSet<ArrayBufferLike>();
/** Counters for tests and benchmarks: buffers reused, freshly allocated, and returned by the collector. */
export const recycleStats = { reused: 0, fresh: 0, returned: 0 };

const registry =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<ArrayBuffer>((buf) => {
        recycleStats.returned++;
        if (escaped.has(buf) || freeBytes + buf.byteLength > MAX_FREE_BYTES) return;
        const list = free.get(buf.byteLength);
        if (list) list.push(buf);
        else free.set(buf.byteLength, [buf]);
        freeBytes += buf.byteLength;
      })
    : null;

/** A Float32Array whose buffer may be recycled; exposing the buffer to other views opts it out. */
class RecycledFloat32Array extends Float32Array {
  // NOTE: derived arrays (slice, map, subarray views) are plain Float32Arrays.
  static get [Symbol.species](): Float32ArrayConstructor {
    return Float32Array;
  }
  override get buffer(): ArrayBuffer {
    const b = super.buffer;
    escaped.add(b);
    return b;
  }
  override subarray(begin?: number, end?: number): Float32Array<ArrayBuffer> {
    escaped.add(super.buffer);
    return super.subarray(begin, end) as Float32Array<ArrayBuffer>;
  }
}

/** A zero-filled float32 array of n elements, on a recycled buffer when one of that size is free. */
export function allocFloat32(n: number): Float32Array {
  if (!registry || n < RECYCLE_MIN) return new Float32Array(n);
  const bytes = n * 4;
  let buf = free.get(bytes)?.pop();
  if (buf) {
    freeBytes -= bytes;
    recycleStats.reused++;
    new Uint8Array(buf).fill(0);
  } else {
    recycleStats.fresh++;
    buf = new ArrayBuffer(bytes);
  }
  const a = new RecycledFloat32Array(buf);
  registry.register(a, buf); // the registry holds the buffer, never the array
  return a;
}

/** Bytes waiting in the free lists. */
export const recycledBytes = (): number => freeBytes;

/**
 * Resolve after the event loop has run other tasks (where finalizers run, returning dead tensors' buffers).
 * NOTE: a MessageChannel round trip where setImmediate is missing (browsers clamp nested setTimeout to 4 ms).
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((r) => setImmediate(r));
  if (typeof MessageChannel === 'function')
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(null);
    });
  return new Promise((r) => setTimeout(r, 0));
}
