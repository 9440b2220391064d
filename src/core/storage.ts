// Where a tensor's values live. Usually a plain typed array; on the wasm backend an op's output may instead stay
// resident in the kernels' memory, so the next op reads it in place instead of copying it in and out again.
// NOTE: residency is invisible to users: `tensor.data` first moves the values into a plain array they may keep
// and mutate (the region goes back to the backend); only ops read the resident view (`tensor.raw`) directly.
import type { TypedArray } from './dtype.js';

/** The shared part of a storage: the current view and, while resident, who to give the region back to. */
export interface Cell {
  view: TypedArray;
  /** Set while the view lies in backend memory: copies the values out and frees the region. */
  evict: ((c: Cell) => void) | null;
}

/** A tensor's storage; reshape views and detached tensors share one. */
export class Storage {
  readonly cell: Cell;
  constructor(view: TypedArray, evict: Cell['evict'] = null) {
    this.cell = { view, evict };
  }
  /** The values in place (resident or not): for ops and read-only scans that do not keep the array. */
  get view(): TypedArray {
    return this.cell.view;
  }
  get resident(): boolean {
    return this.cell.evict !== null;
  }
  /** The values as a plain array the caller may keep (moves them out of backend memory first, once). */
  materialize(): TypedArray {
    const c = this.cell;
    if (c.evict) c.evict(c);
    return c.view;
  }
}

/** Move a resident cell's values into a fresh plain array (what an evict callback does before freeing). */
export function copyOut(c: Cell): void {
  c.view = c.view.slice(); // NOTE: slice allocates a plain (non-shared) array of the same type
  c.evict = null;
}

/**
 * Resolve after the event loop has run other tasks: where finalizers run, returning dead tensors' resident memory.
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
