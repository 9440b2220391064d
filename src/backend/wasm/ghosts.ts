// Ghosts: an untouched ArrayBuffer the size of a resident block, carried by the block's storage. V8 sees only the
// small view object of a block in the kernels' memory; its ghost (mapped, never written, so it costs no RAM) makes
// V8 count the block as external memory and collect soon enough for finalizers and the death watch to free it
// (arena.ts). Each ghost costs a mapping, and V8 runs a full collection for every ~64 MiB of them.
//
// The saved values of a graph that a top-level result keeps (tape-only blocks, `cell.seen === 'tape'`) need a
// ghost only if no `backward()` frees them. In a PyTorch-style loop backward does, every step: the seed CNN as a
// `tg.nn.Module` made ~6.4 MiB of such ghosts a step, and V8 collected every ~5 steps (1.9 ms a step of a 16 ms step
// in collections, and more in unmapping) for blocks backward had already freed. So once backward has freed one,
// later tape-only blocks get a slot instead of a ghost, filled only if the block outlives a later backward that
// freed others (its graph is not the one being trained: an evaluation without noGrad) or if the blocks waiting
// pass DEFER_MAX_BYTES (a loop that stopped calling backward).
import type { Cell } from '../../core/storage.js';

/** Resizable ArrayBuffers are mapped by the engine, not malloc: an untouched one costs no RAM at any size. */
type ResizableCtor = new (bytes: number, o: { maxByteLength: number }) => ArrayBuffer;
const resizable = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
/** Blocks from this size (above glibc's largest mmap threshold) can carry a plain ArrayBuffer as their ghost. */
export const GHOST_MIN = 33 * 1024 * 1024;
/** Tape-only blocks waiting for a ghost, in bytes, past which all of them get one. */
const DEFER_MAX_BYTES = 64 * 1024 * 1024;

/** A deferred ghost: filled (or not) after the storage that carries it was made. */
interface Slot {
  buf: ArrayBuffer | null;
}
/** What a storage carries: its ghost, or the slot of a deferred one. */
export type Ghosted = { ghost?: ArrayBuffer | Slot };

export class Ghosts {
  /** Ghost buffers made so far (tests). */
  made = 0;
  /** Whether tape-only blocks get slots: true once backward() has freed a watched one. */
  private defer = false;
  /** Calls of `settle` so far, and the count when backward() last freed a watched tape-only block (-1: never). */
  private epoch = 0;
  private freedAt = -1;
  // Blocks waiting in slots: parallel arrays (pointer, cell, size, slot, the epoch they were deferred in).
  private readonly ptrs: number[] = [];
  private readonly cells: Cell[] = [];
  private readonly sizes: number[] = [];
  private readonly slots: Slot[] = [];
  private readonly born: number[] = [];
  private n = 0;

  /** Give `s` a ghost of `bytes` now (nothing if it has one). */
  give(s: Ghosted, bytes: number): void {
    if (s.ghost !== undefined) return;
    const g = this.buffer(bytes);
    if (g !== null) s.ghost = g;
  }

  /** A watched block handed on to top level: a ghost now, or a slot if it is tape-only and backward frees those. */
  adopt(s: Ghosted, ptr: number, c: Cell, bytes: number): void {
    if (!this.defer || c.seen !== 'tape' || s.ghost !== undefined) return this.give(s, bytes);
    const slot: Slot = { buf: null };
    s.ghost = slot;
    const i = this.n++;
    this.ptrs[i] = ptr;
    this.cells[i] = c;
    this.sizes[i] = bytes;
    this.slots[i] = slot;
    this.born[i] = this.epoch;
  }

  /** backward() freed a watched tape-only block (the arena's release of one, not a collection). */
  freedByBackward(): void {
    this.defer = true;
    this.freedAt = this.epoch;
  }

  /**
   * Before a frame end hands blocks on: forget the waiting blocks that are gone (`live(ptr, cell)` false), fill the
   * slots of those that outlived a backward that freed others, and all of them past DEFER_MAX_BYTES.
   */
  settle(live: (ptr: number, c: Cell) => boolean): void {
    this.epoch++;
    if (this.n === 0) return;
    let kept = 0;
    let bytes = 0;
    for (let i = 0; i < this.n; i++) {
      if (!live(this.ptrs[i], this.cells[i])) continue;
      if (this.born[i] < this.freedAt) {
        this.slots[i].buf = this.buffer(this.sizes[i]);
        continue;
      }
      this.move(i, kept++);
      bytes += this.sizes[i];
    }
    if (bytes >= DEFER_MAX_BYTES) {
      for (let i = 0; i < kept; i++) this.slots[i].buf = this.buffer(this.sizes[i]);
      kept = 0;
    }
    for (let i = kept; i < this.n; i++) {
      this.cells[i] = null as unknown as Cell; // NOTE: drop references past the count (cells of freed blocks)
      this.slots[i] = null as unknown as Slot;
    }
    this.n = kept;
  }

  /** An untouched ArrayBuffer of `bytes`, or null where none is sure to be mapped rather than malloc'd. */
  private buffer(bytes: number): ArrayBuffer | null {
    if (!resizable && bytes < GHOST_MIN) return null;
    this.made++;
    return resizable
      ? new (ArrayBuffer as ResizableCtor)(bytes, { maxByteLength: bytes })
      : new ArrayBuffer(bytes);
  }

  private move(from: number, to: number): void {
    if (from === to) return;
    this.ptrs[to] = this.ptrs[from];
    this.cells[to] = this.cells[from];
    this.sizes[to] = this.sizes[from];
    this.slots[to] = this.slots[from];
    this.born[to] = this.born[from];
  }
}
