// Where a tensor's values live. Usually a plain typed array; on the wasm backend an op's output may instead stay
// resident in the kernels' memory, so the next op reads it in place instead of copying it in and out again.
// NOTE: residency is invisible to users: `tensor.data` first moves the values into a plain array they may keep
// and mutate (the region goes back to the backend); only ops read the resident view (`tensor.raw`) directly.
// A storage can also be released (core/lifetime.ts): its region goes back at once, and any later read throws a
// ReleasedError that says which tensor it was and why it was released — never stale values.
import { type TypedArray, plainCopy } from './dtype.js';
import { ReleasedError } from './errors.js';

/**
 * Why a cell's values are gone, as what can say it: the message is built only when a released value is read.
 * NOTE: a frame releases tens of cells per step; building each message up front (shapes, op names) was string work
 * on the happy path of every training step (issue 12).
 */
export interface ReleaseReason {
  /** The message of the ReleasedError, for the cell `owner` held. */
  message(owner: unknown): string;
}

/** The shared part of a storage: the current view and, while resident, who to give the region back to. */
export interface Cell {
  view: TypedArray;
  /** Set while the view lies in backend memory: copies the values out and frees the region. */
  evict: ((c: Cell) => void) | null;
  /** Set while the view lies in backend memory: frees the region without copying (the values are dead). */
  drop: ((c: Cell) => void) | null;
  /** Why the values are gone (set by `releaseCell`); reading them then throws its message. */
  released: ReleaseReason | null;
  /** What `released.message` is asked about (the tensor the releasing frame knew the cell by). */
  releasedOwner: unknown;
  /** Never released by a lifetime scope: kept by `tg.keep`, layer weights, optimizer and RNN state, hooks. */
  kept: boolean;
  /**
   * 'tape' while only the tape can reach these values (a layer's or a composite's intermediate that no user code
   * ever received): `backward()` releases such cells once it has used them. 'user' once user code received them.
   */
  seen: 'tape' | 'user';
  /** True while an open lifetime frame owns the cell: it is released (or handed on) when the frame ends, so the
   * resident budget never evicts it (a copy out would only be work thrown away). */
  framed: boolean;
  /** The op that made the values (set by lifetime tracking), for error messages when no tape node names it. */
  op: string | null;
  /** The open lifetime frame that owns the cell (null: none); set and read by core/lifetime.ts only. */
  frame: unknown;
  /** Scratch mark of core/lifetime.ts (a frame end's "kept" epoch). */
  mark: number;
  /** `mutationCount()` when the library last wrote these values in place (0: never); see `markMutated`. */
  mutatedAt: number;
}

/** The message a released cell's reads throw. */
export const releasedMessage = (c: Cell): string => c.released!.message(c.releasedOwner);

const EMPTY = new Float32Array(0);

/** A tensor's storage; reshape views and detached tensors share one. */
export class Storage {
  declare readonly cell: Cell; // NOTE: declared, assigned in the constructor (no class-field define step)
  constructor(view: TypedArray, evict: Cell['evict'] = null, drop: Cell['drop'] = null) {
    this.cell = {
      view,
      evict,
      drop,
      released: null,
      releasedOwner: null,
      kept: false,
      seen: 'user',
      framed: false,
      op: null,
      frame: null,
      mark: 0,
      mutatedAt: 0,
    };
  }
  /** The values in place (resident or not): for ops and read-only scans that do not keep the array. */
  get view(): TypedArray {
    const c = this.cell;
    if (c.released !== null) throw new ReleasedError(releasedMessage(c));
    return c.view;
  }
  get resident(): boolean {
    return this.cell.evict !== null;
  }
  get released(): boolean {
    return this.cell.released !== null;
  }
  /** The values as a plain array the caller may keep (moves them out of backend memory first, once). */
  materialize(): TypedArray {
    const c = this.cell;
    if (c.released !== null) throw new ReleasedError(releasedMessage(c));
    if (c.evict) c.evict(c);
    return c.view;
  }
}

/** In-place writes the library has made to values a graph may hold (optimizer steps, setWeights, `data =`). */
let mutations = 0;
/** The number of in-place writes so far: a tape node records it, and backward checks its inputs against it. */
export const mutationCount = (): number => mutations;
/**
 * Mark values as changed in place (PyTorch's version counter): a graph recorded before now that saved them can no
 * longer give the gradient at the values it saw, and backward through it throws (autodiff.ts).
 * NOTE: writes a user makes through `.data` cannot be seen, as PyTorch cannot see writes into a NumPy array.
 */
export function markMutated(s: Storage): void {
  s.cell.mutatedAt = ++mutations;
}

/**
 * Who hears that storages left their last lifetime frame at top level while they may still be resident (the frame
 * handed them on to nobody): the wasm arena then watches their blocks like ones made at top level.
 * NOTE: a list, not one slot: every wasm memory registers its arena, and each ignores storage it does not hold.
 */
const orphanHooks: ((ss: Storage[]) => void)[] = [];
export function onOrphan(hook: (ss: Storage[]) => void): void {
  orphanHooks.push(hook);
}
/** Storages one frame end handed on to top level (core/lifetime.ts); `ss` is not kept. */
export function orphaned(ss: Storage[]): void {
  for (let i = 0; i < orphanHooks.length; i++) orphanHooks[i](ss);
}

/** Release a cell: free its backend region (no copy), drop the array, remember why (about `owner`). */
export function releaseCell(c: Cell, why: ReleaseReason, owner: unknown = null): void {
  if (c.released !== null || c.kept) return;
  if (c.drop) c.drop(c);
  c.evict = null;
  c.drop = null;
  c.view = EMPTY;
  c.released = why;
  c.releasedOwner = owner;
}

/** Move a resident cell's values into a fresh plain array (what an evict callback does before freeing). */
export function copyOut(c: Cell): void {
  c.view = plainCopy(c.view); // a plain (non-shared) array of the same type
  c.evict = null;
  c.drop = null;
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
