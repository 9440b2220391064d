// Memory management for the wasm backend: one allocator over the shared kernel memory for both resident tensor
// storage (op outputs that stay in wasm memory) and a call's temporary blocks (plain arrays copied in and out).
// A resident region is freed when its tensor is collected (FinalizationRegistry), when its values are read out
// (`tensor.data`), or when it is evicted (copied out to a plain array, oldest first) to stay under the limit.
// NOTE: finalizers only run between event-loop tasks. In a synchronous loop a big block made outside any lifetime
// frame is watched instead (death-watch.ts): once a collection has run, a dead one is freed before the arena grows
// or evicts; what the watch cannot tell is evicted (copied out) as before, and memory stays bounded either way.
import type { DType, TypedArray } from '../../core/dtype.js';
import { frameOpen } from '../../core/lifetime.js';
import { type Cell, Storage, copyOut } from '../../core/storage.js';
import { DeathWatch, type Watch } from './death-watch.js';

const ALIGN = 64;
/** Blocks from this size (above glibc's largest mmap threshold) carry a same-sized ghost ArrayBuffer. */
const GHOST_MIN = 33 * 1024 * 1024;
/** Blocks from this size made outside any lifetime frame are watched (death-watch.ts). NOTE: 256 KiB, the 256²
 * matmul product: smaller blocks are found in the free list often enough, and each watched one costs a mapping. */
const WATCH_MIN = 256 * 1024;
/** Resizable ArrayBuffers are mapped by the engine, not malloc: an untouched one costs no RAM at any size. */
type ResizableCtor = new (bytes: number, o: { maxByteLength: number }) => ArrayBuffer;
const resizable = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
const PAGE = 65536;
const up = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

interface Held {
  ptr: number;
  cell: Cell;
}

export interface ArenaStats {
  residentBytes: number;
  /** Bytes between the arena's base and its current top (what the wasm memory holds for it). */
  spanBytes: number;
  resident: number;
  evicted: number;
  finalized: number;
  /** Blocks freed because their watched storage was found collected (synchronous loops). */
  reclaimed: number;
}

export class Arena {
  /**
   * Resident storage above this many bytes in total (or three of the largest block) evicts the oldest first.
   * NOTE: 256 MiB by default (TAPEGRAD_RESIDENT_MB on Node, tg.setMemoryBudget anywhere). Lifetime frames
   * (core/lifetime.ts) release the intermediates of grads calls, layer calls, backward, fit and predict as they
   * end, so the budget only bounds what top-level code leaves for the garbage collector (docs/memory.md).
   */
  residentLimit = 256 * 1024 * 1024;
  /** Outputs smaller than this many elements stay plain arrays (copying them costs less than tracking them). */
  minElements = 2048;
  /** Tests: fill new resident blocks with NaN (float) / -1 (int) to prove every kernel writes all its output. */
  poison = false;
  private top: number;
  private readonly freeList: [number, number][] = []; // [ptr, bytes], sorted by ptr, coalesced
  private readonly sizes = new Map<number, number>(); // every live block
  private readonly cells = new Map<number, Cell>(); // resident blocks, oldest first
  // NOTE: plain arrays emptied by length = 0, not Sets: a Set's clear() drops its table and the next add() makes a
  // new one, twice per op; both hold a handful of pointers and are searched only when a block is evicted (issue 12).
  private readonly pinned: number[] = []; // the current kernel call's arrays
  private readonly held: number[] = []; // the current op's inputs and output
  private residentBytes = 0;
  private largest = 0;
  /** How many of the largest block seen the limit always allows (tests set 0 to force eviction). */
  stretch = 3;
  private counts = { evicted: 0, finalized: 0, reclaimed: 0 };
  private readonly registry: FinalizationRegistry<Held> | null;
  private readonly deaths: DeathWatch | null = DeathWatch.supported ? new DeathWatch() : null;
  /** Watched resident blocks by pointer (with their cell: a pointer is reused once its block is freed). */
  private readonly watched = new Map<number, { w: Watch; cell: Cell }>();
  /** `adopt`'s scratch list of the storages it watches (emptied after each call). */
  private readonly adopting: (Storage & { token?: object })[] = [];

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly base: number,
    private readonly limit: number,
  ) {
    this.top = up(base);
    this.registry =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<Held>((h) => {
            // the tensor died while resident: nothing to copy, just free the block
            if (h.cell.evict && this.cells.get(h.ptr) === h.cell) {
              h.cell.evict = null;
              h.cell.drop = null;
              this.counts.finalized++;
              this.dropResident(h.ptr);
            }
          })
        : null;
  }

  stats(): ArenaStats {
    return {
      residentBytes: this.residentBytes,
      spanBytes: this.top - up(this.base),
      resident: this.cells.size,
      ...this.counts,
    };
  }

  /** A block of at least `bytes`, or -1 when the memory limit is reached even after evicting unpinned storage. */
  alloc(bytes: number): number {
    const need = up(Math.max(bytes, 1));
    for (;;) {
      let p = this.fromFreeList(need);
      // NOTE: before touching memory never used (growing the span) or evicting, free the watched blocks known dead
      if (p < 0 && this.reclaim()) p = this.fromFreeList(need);
      if (p < 0) p = this.bump(need);
      if (p >= 0) return p;
      if (!this.evictOldest()) return -1;
    }
  }

  free(ptr: number): void {
    const bytes = this.sizes.get(ptr);
    if (bytes === undefined) return;
    this.sizes.delete(ptr);
    const fl = this.freeList;
    let lo = 0;
    let hi = fl.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (fl[mid][0] < ptr) lo = mid + 1;
      else hi = mid;
    }
    // NOTE: coalescing grows a neighbour's entry in place; only a block with no free neighbour adds an entry
    // (every kernel call frees its temporary blocks here, so this path allocates as little as it can).
    const prev = lo > 0 && fl[lo - 1][0] + fl[lo - 1][1] === ptr ? fl[lo - 1] : null;
    const next = lo < fl.length && fl[lo][0] === ptr + bytes ? fl[lo] : null;
    const block: [number, number] = prev ?? next ?? [ptr, bytes];
    const at = prev ? lo - 1 : next ? lo : -1; // block's index in the free list, or -1 when it is not in it yet
    if (prev && next) {
      prev[1] += bytes + next[1];
      removeAt(fl, lo);
    } else if (prev) prev[1] += bytes;
    else if (next) {
      next[0] = ptr;
      next[1] += bytes;
    }
    if (block[0] + block[1] === this.top) {
      this.top = block[0]; // the free space at the top goes back to the bump pointer
      if (at >= 0) removeAt(fl, at);
    } else if (at < 0) insertAt(fl, lo, block);
  }

  /**
   * Resident storage for an op output, or null to use a plain array. Not zeroed (every forward writes its whole
   * output); NaN / -1 when poisoned.
   */
  resident(dtype: DType, n: number): Storage | null {
    if (dtype === 'float64' || n < this.minElements) return null;
    const bytes = n * 4;
    // NOTE: the limit stretches to three of the largest block seen, so a loop over one huge intermediate (a
    // 151 MB patch matrix) can allocate the next while finalizers have yet to free the last.
    this.largest = Math.max(this.largest, bytes);
    const limit = Math.max(this.residentLimit, this.stretch * this.largest);
    // NOTE: only blocks no open lifetime frame owns are evicted; a frame's working set may pass the budget (the
    // frame releases it as it ends), so when nothing else is left to evict the block is allocated anyway.
    const watch = bytes >= WATCH_MIN && this.deaths !== null && !frameOpen();
    if (watch) this.deaths!.poll();
    if (this.residentBytes + bytes > limit) this.reclaim();
    while (this.residentBytes + bytes > limit && this.evictOldest());
    const ptr = this.alloc(bytes);
    if (ptr < 0) return null;
    const buf = this.memory.buffer;
    const view: TypedArray = dtype === 'int32' ? new Int32Array(buf, ptr, n) : new Float32Array(buf, ptr, n);
    if (this.poison) view.fill(dtype === 'int32' ? -1 : NaN);
    const s: Storage & { token?: object; ghost?: ArrayBuffer } = new Storage(
      view,
      this.evictCell,
      this.dropCell,
    );
    const w = watch ? this.deaths!.watch(s, bytes) : null;
    // NOTE: a big block also carries an untouched ArrayBuffer of its size (mapped, never written, so it costs no
    // RAM): V8 sees only the small view object otherwise, and would collect too rarely for finalizers (or the
    // watch) to free such blocks before the limit forces copies. Below GHOST_MIN only a resizable buffer is
    // sure to be mapped rather than taken from malloc's heap (where calloc would write it).
    if (bytes >= GHOST_MIN || w !== null) this.ghost(s, bytes);
    if (w !== null) this.watched.set(ptr, { w, cell: s.cell });
    this.cells.set(ptr, s.cell);
    this.residentBytes += up(bytes);
    this.registry?.register(s, { ptr, cell: s.cell }, s.cell);
    return s;
  }

  /**
   * Watch the resident blocks one lifetime frame handed on to top level (the graph a differentiable result keeps,
   * a layer's output made in a loop without noGrad) as one group: once their tensors are collected they are freed
   * with no copy. NOTE: any size (they die together); only blocks from WATCH_MIN carry a ghost, as in `resident`.
   */
  adopt(ss: Storage[]): void {
    if (this.deaths === null) return;
    const mine = this.adopting;
    let bytes = 0;
    for (let i = 0; i < ss.length; i++) {
      const c = ss[i].cell;
      const ptr = c.view.byteOffset;
      if (c.evict === null || this.cells.get(ptr) !== c || this.watched.has(ptr)) continue;
      mine.push(ss[i]);
      bytes += this.sizes.get(ptr) ?? 0;
    }
    if (mine.length > 0) {
      this.deaths.poll();
      const w = this.deaths.watchAll(mine, bytes);
      if (w !== null)
        for (let i = 0; i < mine.length; i++) {
          const c = mine[i].cell;
          const ptr = c.view.byteOffset;
          const size = this.sizes.get(ptr) ?? 0;
          if (size >= WATCH_MIN) this.ghost(mine[i], size);
          this.watched.set(ptr, { w, cell: c });
        }
    }
    mine.length = 0;
  }

  /** Give a big or watched block's storage a ghost of its size (see `resident`). */
  private ghost(s: Storage & { ghost?: ArrayBuffer }, bytes: number): void {
    if (s.ghost !== undefined || !(bytes >= GHOST_MIN || resizable)) return;
    s.ghost = resizable
      ? new (ArrayBuffer as ResizableCtor)(bytes, { maxByteLength: bytes })
      : new ArrayBuffer(bytes);
  }

  /** Give back a resident storage no tensor took. */
  release(s: Storage): void {
    const c = s.cell;
    if (!c.evict) return;
    const ptr = c.view.byteOffset;
    if (this.cells.get(ptr) !== c) return;
    this.forget(ptr, c);
  }

  /** The byte offset of a resident view, or -1 for any other array. */
  ptrOf(a: TypedArray): number {
    const c = this.cells.get(a.byteOffset);
    return c !== undefined && c.view === a ? a.byteOffset : -1;
  }
  pin(ptr: number): void {
    this.pinned.push(ptr);
  }
  unpinAll(): void {
    this.pinned.length = 0;
  }
  /** Keep these storages resident until `unhold` (an op's inputs and output while its forward runs). */
  hold(ss: Storage[]): void {
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      if (s.resident && this.cells.get(s.view.byteOffset) === s.cell) this.held.push(s.view.byteOffset);
    }
  }
  unhold(): void {
    this.held.length = 0;
  }

  /** Copy a resident cell's values out to a plain array and free its block (its `evict` callback). */
  private readonly evictCell = (c: Cell): void => {
    const ptr = c.view.byteOffset;
    copyOut(c);
    this.registry?.unregister(c);
    this.dropResident(ptr);
  };

  /** Free a resident cell's block without copying: its values are dead (`Storage.release`). */
  private readonly dropCell = (c: Cell): void => {
    const ptr = c.view.byteOffset;
    if (this.cells.get(ptr) !== c) return;
    this.registry?.unregister(c);
    this.dropResident(ptr);
  };

  /** Free a resident cell's block whose values nobody can read (no copy): it stops being resident. */
  private forget(ptr: number, c: Cell): void {
    c.evict = null;
    c.drop = null;
    this.registry?.unregister(c);
    this.dropResident(ptr);
  }

  private dropResident(ptr: number): void {
    const bytes = this.sizes.get(ptr) ?? 0;
    this.cells.delete(ptr);
    this.watched.delete(ptr);
    this.residentBytes -= bytes;
    this.free(ptr);
  }

  /**
   * Free the watched blocks whose storage a collection has taken (no copy: nothing can read them). A block asked
   * and found alive is left to the budget and finalizers (asking again could pin a dead token). True if any freed.
   */
  private reclaim(): boolean {
    if (this.watched.size === 0) return false;
    let freed = false;
    for (const [ptr, e] of this.watched) {
      // NOTE: the map is in allocation order (a freed pointer's entry is deleted first), so the first block not
      // settled ends the scan; a kernel call's operands stay out of it whatever the watch says (views in use)
      if (!this.deaths!.settledFor(e.w)) break;
      if (this.pinned.includes(ptr) || this.held.includes(ptr)) continue;
      this.watched.delete(ptr);
      const c = e.cell;
      if (e.w.ref.deref() !== undefined || this.cells.get(ptr) !== c) continue;
      this.counts.reclaimed++;
      this.forget(ptr, c);
      freed = true;
    }
    return freed;
  }

  /** Evict the oldest unpinned resident block; false when there is none. */
  private evictOldest(): boolean {
    for (const [ptr, c] of this.cells) {
      if (this.pinned.includes(ptr) || this.held.includes(ptr) || c.framed) continue;
      this.counts.evicted++;
      c.evict?.(c);
      return true;
    }
    return false;
  }

  /** Best fit from the free list, or -1. */
  private fromFreeList(need: number): number {
    let best = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const sz = this.freeList[i][1];
      if (sz >= need && (best < 0 || sz < this.freeList[best][1])) best = i;
    }
    if (best >= 0) {
      const b = this.freeList[best];
      const p = b[0];
      if (b[1] === need) removeAt(this.freeList, best);
      else {
        b[0] += need; // NOTE: shrink the entry in place (no new pair per allocation)
        b[1] -= need;
      }
      this.sizes.set(p, need);
      return p;
    }
    return -1;
  }

  /** A block at the top (growing the wasm memory); -1 past the limit. */
  private bump(need: number): number {
    const p = this.top;
    if (p + need > this.limit) return -1;
    const have = this.memory.buffer.byteLength;
    if (p + need > have) {
      try {
        this.memory.grow(Math.ceil((p + need - have) / PAGE));
      } catch {
        return -1;
      }
    }
    this.top = p + need;
    this.sizes.set(p, need);
    return p;
  }
}

// NOTE: splice returns a new array of what it removed; these run for every temporary block of every kernel call.
/** Remove a[i], shifting the tail down (splice(i, 1) without its result array). */
function removeAt<T>(a: T[], i: number): void {
  for (let j = i + 1; j < a.length; j++) a[j - 1] = a[j];
  a.length--;
}
/** Insert x at a[i], shifting the tail up (splice(i, 0, x) without its result array). */
function insertAt<T>(a: T[], i: number, x: T): void {
  a.push(x);
  for (let j = a.length - 1; j > i; j--) a[j] = a[j - 1];
  a[i] = x;
}
