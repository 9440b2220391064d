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
import { GHOST_MIN, type Ghosted, Ghosts } from './ghosts.js';

const ALIGN = 64;
/** Blocks from this size made outside any lifetime frame are watched (death-watch.ts). NOTE: 256 KiB, the 256²
 * matmul product: smaller blocks are found in the free list often enough, and each watched one costs a mapping. */
const WATCH_MIN = 256 * 1024;
const PAGE = 65536;
const up = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

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

/** Blocks held back from reuse while a worker the pool gave up on may still write them (Arena.quarantineLive). */
interface Quarantine {
  /** Pointers of the blocks live when it began. */
  live: Set<number>;
  /** The freed ones since: pointer, bytes, pointer, bytes, ... */
  held: number[];
  /** Whether such a worker may still be running (ThreadPool.stuckWorkers() > 0). */
  busy: () => boolean;
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
  // The free list: blocks [fPtr[i], fPtr[i] + fSize[i]) for i < nFree, sorted by pointer, coalesced.
  // NOTE: two number arrays and a count, not an array of pairs: inserts and removals write in place and never
  // shrink an array (a shorter `length` trims its backing store, and the next insert allocates another), and a
  // new free block is no new pair; every kernel call frees its temporary blocks here (issue 12).
  private readonly fPtr: number[] = [];
  private readonly fSize: number[] = [];
  private nFree = 0;
  private readonly sizes = new Map<number, number>(); // every live block
  private readonly cells = new Map<number, Cell>(); // resident blocks, oldest first
  // NOTE: plain arrays with a count, not Sets and not `length = 0`: a Set's clear() drops its table and the next
  // add() makes a new one, and `length = 0` drops an array's backing store the same way (the next push allocates
  // ~180 bytes), twice per op. Entries past the count are stale numbers; both are searched only when a block is
  // evicted or reclaimed (issue 12).
  private readonly pinned: number[] = []; // the current kernel call's arrays
  private nPinned = 0;
  private readonly held: number[] = []; // the current op's inputs and output
  private nHeld = 0;
  private residentBytes = 0;
  private largest = 0;
  /** How many of the largest block seen the limit always allows (tests set 0 to force eviction). */
  stretch = 3;
  private counts = { evicted: 0, finalized: 0, reclaimed: 0 };
  /**
   * Frees the block of a resident storage that was collected; held value: the block's pointer.
   * NOTE: a number, not the cell: V8 keeps an unregistered registration's held value alive until the next full
   * collection (the dead record sits in the old generation and scavenges treat it as a root), so a held cell kept
   * every evicted storage's copy (each `tensor.data` of a resident gradient) alive for hundreds of steps of a
   * synchronous loop: ~140 KiB of RSS a step and fresh pages to fault in (issue 12). A pointer is enough: every
   * other path that frees a resident block unregisters it first (`evictCell`, `dropCell`, `forget`), so a callback
   * that runs finds its own cell at `ptr`.
   */
  private readonly registry: FinalizationRegistry<number> | null;
  private readonly deaths: DeathWatch | null = DeathWatch.supported ? new DeathWatch() : null;
  /** Watched resident blocks by pointer (with their cell: a pointer is reused once its block is freed). */
  private readonly watched = new Map<number, { w: Watch; cell: Cell }>();
  /** Which watched blocks carry a ghost, and when (ghosts.ts). */
  private readonly ghosts = new Ghosts();
  /** `adopt`'s scratch list of the storages it watches (emptied after each call). */
  private readonly adopting: (Storage & { token?: object } & Ghosted)[] = [];
  /**
   * Blocks live when the thread pool gave up on a worker inside a chunk (`quarantineLive`): one freed meanwhile is
   * held (pointer, bytes in `held`), never handed out, until `busy()` turns false. Null unless a worker is stuck.
   */
  private quarantine: Quarantine | null = null;

  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly base: number,
    private readonly limit: number,
  ) {
    this.top = up(base);
    this.registry =
      typeof FinalizationRegistry === 'function'
        ? new FinalizationRegistry<number>((ptr) => {
            // the tensor died while resident: nothing to copy, just free the block
            const c = this.cells.get(ptr);
            if (c !== undefined && c.evict) {
              c.evict = null;
              c.drop = null;
              this.counts.finalized++;
              this.dropResident(ptr);
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
    if (this.quarantine !== null) this.settleQuarantine();
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
    if (this.quarantine !== null && this.heldBack(ptr, bytes)) return;
    const P = this.fPtr;
    const S = this.fSize;
    const n = this.nFree;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (P[mid] < ptr) lo = mid + 1;
      else hi = mid;
    }
    // coalescing grows a neighbour's entry in place; only a block with no free neighbour adds an entry
    const prev = lo > 0 && P[lo - 1] + S[lo - 1] === ptr;
    const next = lo < n && P[lo] === ptr + bytes;
    let at = -1; // the freed block's entry once merged, or -1 when it has none yet
    if (prev && next) {
      S[lo - 1] += bytes + S[lo];
      this.removeFree(lo);
      at = lo - 1;
    } else if (prev) {
      S[lo - 1] += bytes;
      at = lo - 1;
    } else if (next) {
      P[lo] = ptr;
      S[lo] += bytes;
      at = lo;
    }
    const start = at >= 0 ? P[at] : ptr; // the merged free block
    const size = at >= 0 ? S[at] : bytes;
    if (start + size === this.top) {
      this.top = start; // the free space at the top goes back to the bump pointer
      if (at >= 0) this.removeFree(at);
    } else if (at < 0) this.insertFree(lo, ptr, bytes);
  }
  /**
   * Hold every block live now until `busy()` is false: a worker the pool gave up on may still be inside a chunk
   * and write any block its job was handed (output, scratch; the caller has returned by then and may free them).
   * NOTE: every live block, not the job's own: the pool sees only numbers, and a stuck worker is rare enough
   * that holding a few more blocks for a while costs nothing. Kept blocks still die with their tensors as
   * before; only their memory waits. Blocks allocated later are not held (the worker has no pointer to them).
   */
  quarantineLive(busy: () => boolean): void {
    const q = (this.quarantine ??= { live: new Set(), held: [], busy });
    q.busy = busy;
    for (const p of this.sizes.keys()) q.live.add(p);
  }

  /** Bytes of freed blocks held back by the quarantine (tests). */
  quarantinedBytes(): number {
    const h = this.quarantine?.held ?? [];
    let n = 0;
    for (let i = 1; i < h.length; i += 2) n += h[i];
    return n;
  }

  /** Whether the freed block [ptr, ptr + bytes) is held back (a stuck worker may write it); lifts a stale quarantine. */
  private heldBack(ptr: number, bytes: number): boolean {
    const q = this.settleQuarantine();
    if (q === null || !q.live.has(ptr)) return false;
    q.held.push(ptr, bytes);
    return true;
  }

  /** Once no stuck worker is left, free the held blocks and end the quarantine; the quarantine still on, or null. */
  private settleQuarantine(): Quarantine | null {
    const q = this.quarantine;
    if (q === null || q.busy()) return q;
    this.quarantine = null;
    for (let i = 0; i < q.held.length; i += 2) {
      this.sizes.set(q.held[i], q.held[i + 1]);
      this.free(q.held[i]);
    }
    return null;
  }

  /** Remove free entry i, shifting the tail down. */
  private removeFree(i: number): void {
    const P = this.fPtr;
    const S = this.fSize;
    const n = --this.nFree;
    for (let j = i; j < n; j++) {
      P[j] = P[j + 1];
      S[j] = S[j + 1];
    }
  }
  /** Insert the free block [ptr, ptr + bytes) as entry i, shifting the tail up. */
  private insertFree(i: number, ptr: number, bytes: number): void {
    const P = this.fPtr;
    const S = this.fSize;
    for (let j = this.nFree++; j > i; j--) {
      P[j] = P[j - 1];
      S[j] = S[j - 1];
    }
    P[i] = ptr;
    S[i] = bytes;
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
    const s: Storage & { token?: object } & Ghosted = new Storage(view, this.evictCell, this.dropCell);
    const w = watch ? this.deaths!.watch(s, bytes) : null;
    // NOTE: a big block also carries an untouched ArrayBuffer of its size (mapped, never written, so it costs no
    // RAM): V8 sees only the small view object otherwise, and would collect too rarely for finalizers (or the
    // watch) to free such blocks before the limit forces copies. Below GHOST_MIN only a resizable buffer is
    // sure to be mapped rather than taken from malloc's heap (where calloc would write it).
    if (bytes >= GHOST_MIN || w !== null) this.ghosts.give(s, bytes);
    if (w !== null) this.watched.set(ptr, { w, cell: s.cell });
    this.cells.set(ptr, s.cell);
    this.residentBytes += up(bytes);
    this.registry?.register(s, ptr, s.cell);
    return s;
  }

  /**
   * Watch the resident blocks one lifetime frame handed on to top level (the graph a differentiable result keeps,
   * a layer's output made in a loop without noGrad) as one group: once their tensors are collected they are freed
   * with no copy. NOTE: any size (they die together); only blocks from WATCH_MIN carry a ghost, as in `resident`.
   */
  adopt(ss: Storage[]): void {
    if (this.deaths === null) return;
    this.ghosts.settle(this.isResident);
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
          if (size >= WATCH_MIN) this.ghosts.adopt(mine[i], ptr, c, size);
          this.watched.set(ptr, { w, cell: c });
        }
    }
    mine.length = 0;
  }

  /** Whether the block at `ptr` is still this cell's (resident, not freed). */
  private readonly isResident = (ptr: number, c: Cell): boolean => this.cells.get(ptr) === c;

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
    this.pinned[this.nPinned++] = ptr;
  }
  unpinAll(): void {
    this.nPinned = 0;
  }
  /** Whether the current kernel call or op uses the block at `ptr` (pinned or held). */
  private inUse(ptr: number): boolean {
    for (let i = 0; i < this.nPinned; i++) if (this.pinned[i] === ptr) return true;
    for (let i = 0; i < this.nHeld; i++) if (this.held[i] === ptr) return true;
    return false;
  }
  /** Keep these storages resident until `unhold` (an op's inputs and output while its forward runs). */
  hold(ss: Storage[]): void {
    for (let i = 0; i < ss.length; i++) {
      const s = ss[i];
      if (s.resident && this.cells.get(s.view.byteOffset) === s.cell)
        this.held[this.nHeld++] = s.view.byteOffset;
    }
  }
  unhold(): void {
    this.nHeld = 0;
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
    // NOTE: a watched block is a top-level one, which no frame releases: a tape-only one is backward()'s to free
    if (c.seen === 'tape' && this.watched.has(ptr)) this.ghosts.freedByBackward();
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
      if (this.inUse(ptr)) continue;
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
      if (this.inUse(ptr) || c.framed) continue;
      this.counts.evicted++;
      c.evict?.(c);
      return true;
    }
    return false;
  }

  /** Best fit from the free list, or -1. */
  private fromFreeList(need: number): number {
    const S = this.fSize;
    let best = -1;
    for (let i = 0; i < this.nFree; i++) {
      const sz = S[i];
      if (sz >= need && (best < 0 || sz < S[best])) best = i;
    }
    if (best >= 0) {
      const p = this.fPtr[best];
      if (S[best] === need) this.removeFree(best);
      else {
        this.fPtr[best] += need; // shrink the entry in place
        S[best] -= need;
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
