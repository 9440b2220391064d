// Synchronous news that a storage has died, for loops that never yield to the event loop (issue 12).
// Finalizers only run between tasks, so a synchronous loop that drops a 16 MiB product every step used to leave
// each one resident until the budget forced a copy out: every step touched 16 MiB of memory never used before.
// A WeakRef can say sooner, with two catches the design works around:
// - a WeakRef made during a job, and every deref() that finds its target, keep the target alive until the job
//   ends. So the refs are made ahead, in an earlier job: a watched storage holds a token made then, and the arena
//   keeps only the token's ref. A ref that reads empty means the storage that held the token was collected.
// - asking too early pins a dead-but-uncollected token for the rest of the job. So a token is asked once at most,
//   and only after a collection has run since its block was allocated: a canary (a token nobody holds, armed as
//   each group of watched blocks closes) tells that when its own ref reads empty.
// NOTE: tokens and canaries come from one batch, so they age alike (a scavenge frees both while they are young,
// only a full collection once both are old). A token found alive is simply left to the budget and finalizers,
// as before; a job that runs out of tokens does the same until the next job refills them. Groups grow as a job's
// tokens run low, so a long synchronous loop spreads them over more memory before it runs out.

/** What the arena keeps of a watched storage: its token's ref, and the canary number it was handed out under.
 * NOTE: never the token itself; the storage must be its only holder. */
export interface Watch {
  ref: WeakRef<object>;
  born: number;
  /** Canaries that must be armed after this group before one of them dead settles it (0 for top-level blocks). */
  later: number;
}
/** A token nobody holds, armed as a group closes: read empty, it says a collection has run since `born`. */
interface Canary {
  ref: WeakRef<object>;
  born: number;
  /** When it was armed (performance.now()). */
  at: number;
}

/** How many canaries are armed after one before it is read. */
const LAG = 2;
/**
 * And how many ms must pass. NOTE: V8's incremental marking of the seed CNN's loops takes 20–40 ms of wall time; a
 * PGD loop arms ~3 canaries a 9 ms step, so two arms later most canaries were read before the collection that
 * would free them had finished, found alive and wasted, and its groups waited ~31 steps while the budget filled.
 */
const LAG_MS = 50;
/**
 * How many more canaries must follow a group of `watchAll` before it is asked (`later`). NOTE: a frame's graph
 * dies a step after it is handed on, while a loop that builds graphs keeps V8's incremental marking busy: with
 * none, the seed CNN's saliency loop found ~1 group in 100 alive when asked (left to the budget); with 6, none
 * in 1,500 steps (session 18).
 */
const ADOPTED_LATER = 6;
/** The most tokens a refill makes. */
const MAX_BATCH = 32768;
/**
 * A group closes (and a canary is armed) once this many bytes are watched in it while at least half the job's
 * tokens are left (a block ≥ 1 MiB is a group); twice as many each time what is left halves again, up to
 * MAX_GROUP_BYTES. NOTE: 4,096 tokens at 1 MiB a group covered ~6,600 products of a 256² matmul (~3 s of a
 * synchronous loop); growing groups cover ~14 GiB of blocks (~55,000 such products) before the job runs out.
 */
const ARM_BYTES = 1024 * 1024;
const MAX_GROUP_BYTES = 32 * 1024 * 1024;

export class DeathWatch {
  private readonly tokens: object[] = [];
  private readonly refs: WeakRef<object>[] = [];
  /** Armed canaries not read yet, oldest first. */
  private readonly canaries: Canary[] = [];
  /** How many canaries have been armed (the current one is number `armed`). */
  private armed = 0;
  /** Blocks handed out under a canary numbered below this have seen a collection since. */
  private settled = 0;
  private refillQueued = false;
  /** This job has run out of tokens (the next refill makes twice as many). */
  private ranOut = false;
  /** The open group: its token (held here until the next canary closes it) and what its blocks are watched by. */
  private group: { token: object; w: Watch } | null = null;
  /** Bytes watched in the open group, and how many it takes. */
  private sinceArm = 0;
  private groupBytes = ARM_BYTES;

  /**
   * `batch`: tokens made per job (~60 bytes each); blocks past it go unwatched until the next job refills, which
   * then makes twice as many (up to MAX_BATCH). NOTE: 16,384 at start-up cost ~12 ms (4,096: ~3): a synchronous
   * loop that hands a graph on to top level every step (a saliency loop: two tokens a step) ran out of 4,096 after
   * ~2,000 steps, then copied ~17 blocks out a step; 16,384 last ~8,000 (session 19).
   */
  constructor(private batch = 16384) {
    this.refill();
  }

  /** WeakRef is in every engine tapegrad supports; without it nothing is watched. */
  static get supported(): boolean {
    return typeof WeakRef === 'function';
  }

  /**
   * Read the canaries with at least LAG armed after them, oldest first: one collected means a collection
   * has run since it was armed. NOTE: a canary found alive is pinned until the job ends, so each is read once
   * and dropped; the lag lets a collection that started at one allocation finish before its canaries are read
   * (V8 marks incrementally: a canary armed while marking runs may be marked through the pool, and survive it).
   */
  poll(): void {
    const q = this.canaries;
    if (q.length === 0) return;
    const now = performance.now();
    while (q.length > 0 && this.armed - q[0].born >= LAG && now - q[0].at >= LAG_MS) {
      const c = q.shift()!;
      if (c.ref.deref() !== undefined) break;
      this.settled = c.born;
    }
  }

  /**
   * Give `holder` (a block of `bytes`) the current group's token (as `holder.token`); null when this job has used
   * all its tokens. Once a group holds its bytes (ARM_BYTES, more as tokens run low), a canary is armed and a new
   * group opened. NOTE: blocks of one group share a token, so each is freed only once all of them are dead: one
   * token per block ≥ 1 MiB, one per four of 256 KiB (a token per small block would need 16,384 made ahead, ~20 ms).
   */
  watch(holder: { token?: object }, bytes: number): Watch | null {
    if (this.group === null || this.sinceArm >= this.groupBytes) {
      this.group = null; // NOTE: the closed group's token is held by its storages alone from here on
      if (this.tokens.length < 2) {
        if (!this.ranOut) this.batch = Math.min(2 * this.batch, MAX_BATCH); // once per job that runs out
        this.ranOut = true;
        this.queueRefill();
        return null;
      }
      this.tokens.pop(); // the canary's token: now nobody holds it
      this.armed++;
      this.canaries.push({ ref: this.refs.pop()!, born: this.armed, at: performance.now() });
      this.group = { token: this.tokens.pop()!, w: { ref: this.refs.pop()!, born: this.armed, later: 0 } };
      this.sinceArm = 0;
      // doubled for each halving of the tokens left below half the batch (a group opens only while the last refill's
      // batch is current: a job that ran out doubles it, then opens none until the refill)
      this.groupBytes = ARM_BYTES;
      for (let left = 2 * Math.max(1, this.tokens.length); left < this.batch; left *= 2)
        this.groupBytes = Math.min(2 * this.groupBytes, MAX_GROUP_BYTES);
      if (this.tokens.length < this.batch / 2) this.queueRefill();
    }
    this.sinceArm += bytes;
    holder.token = this.group.token;
    return this.group.w;
  }

  /**
   * Give all of `holders` one new group's token (blocks that die together: the graph one lifetime frame handed on
   * to top level), and close that group at once; null when this job has used all its tokens.
   * NOTE: two tokens a call however many blocks (the group's and its canary), and a group never mixes two calls'
   * blocks, so one step's graph is never held back by the next step's.
   */
  watchAll(holders: { token?: object }[], bytes: number): Watch | null {
    this.group = null;
    this.sinceArm = 0;
    const w = this.watch(holders[0], bytes);
    if (w === null) return null;
    for (let i = 1; i < holders.length; i++) holders[i].token = holders[0].token;
    this.group = null; // closed: the next watch opens a new group
    w.later = ADOPTED_LATER;
    return w;
  }

  /** True when a collection has run since `w` was handed out: asking its ref now cannot pin a dead token. */
  settledFor(w: Watch): boolean {
    return w.born + w.later < this.settled;
  }

  /** Make tokens and refs; only refs made in an earlier job can be read without pinning their tokens. */
  private refill(): void {
    this.refillQueued = false;
    this.ranOut = false;
    while (this.tokens.length < this.batch) {
      const t = {};
      this.tokens.push(t);
      this.refs.push(new WeakRef(t));
    }
  }

  private queueRefill(): void {
    if (this.refillQueued) return;
    this.refillQueued = true;
    // NOTE: a microtask runs once the current job's code is done, and the refs it makes are free from the job
    // after that; a synchronous loop keeps using what is left (or nothing) until then.
    queueMicrotask(() => this.refill());
  }
}
