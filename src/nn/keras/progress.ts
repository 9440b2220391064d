// The Keras-style progress bar of fit: one updating line on a terminal, plain lines otherwise.
// NOTE: as Keras's ProgbarLogger, which Keras (2 and 3) appends to the callback list after the user's callbacks and the
// History: fit draws a batch after the callbacks' onBatchEnd and writes an epoch's line after their onEpochEnd, so the
// line shows the keys a callback added to the epoch's logs. (TF.js puts tfjs-node's ProgbarLogger before the user's
// callbacks.) The numbers are written as Keras's Progbar writes them (`%.4f` above 1e-3, else `%.4e`).

/** Python's `'%.{digits}f' % v` or `'%.{digits}e' % v`: exact ties round half to even (JS rounds them away from 0). */
export function pyFormat(v: number, digits: number, exp: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  // NOTE: a double of 1e21 or more is an integer, which toFixed would write in exponent form
  if (!exp && Math.abs(v) >= 1e21) return `${BigInt(v)}.${'0'.repeat(digits)}`;
  let s = exp ? v.toExponential(digits) : v.toFixed(digits);
  // toFixed and toExponential drop the sign of -0 (Python keeps it)
  if (Object.is(v, -0)) s = `-${s}`;
  // the decimal value to 100 digits (exact for any double above 1e-3), to find an exact tie: a 5, then zeros
  const [mant, e] = (exp ? v.toExponential(100) : v.toFixed(100)).split('e');
  const point = mant.indexOf('.');
  const cut = point + 1 + digits;
  if (/^50*$/.test(mant.slice(cut))) {
    const kept = digits ? mant.slice(0, cut) : mant.slice(0, point);
    if (Number(kept[kept.length - 1]) % 2 === 0) s = exp ? `${kept}e${e}` : kept;
  }
  if (!exp) return s;
  // Python writes the exponent with a sign and at least two digits
  const [m, x] = s.split('e');
  return `${m}e${x[0]}${x.slice(1).padStart(2, '0')}`;
}

/** One value as Keras's Progbar writes it: ` %.4f` when |v| > 1e-3, else ` %.4e` (so 0 is 0.0000e+00). */
const num = (v: number): string => pyFormat(v, 4, !(Math.abs(v) > 1e-3));
const fmt = (logs: Record<string, number>): string =>
  Object.entries(logs)
    .map(([k, v]) => ` - ${k}: ${num(v)}`)
    .join('');
const secs = (ms: number): string =>
  ms >= 10_000 ? `${Math.round(ms / 1000)}s` : `${(ms / 1000).toFixed(1)}s`;

export class ProgressBar {
  private t0 = 0;
  private lastDraw = 0;
  private readonly tty: boolean;
  private readonly out: (line: string, sameLine: boolean) => void;
  private readonly enabled: boolean;
  /** verbose 0: silent; 1: a bar updated per batch on a terminal (plain lines otherwise); 2: one line per epoch. */
  constructor(
    private steps: number,
    verbose: 0 | 1 | 2,
    log?: (line: string, sameLine: boolean) => void,
  ) {
    this.enabled = verbose !== 0;
    // NOTE: `globalThis.process` so the bar also works in browsers, where lines go to console.log.
    const stdout = globalThis.process?.stdout;
    this.tty = verbose === 1 && !log && Boolean(stdout?.isTTY);
    this.out =
      log ??
      (stdout
        ? (line, same) => (same ? stdout.write(`\r${line}\x1b[K`) : stdout.write(`${line}\n`))
        : (line) => console.log(line));
  }
  /** Start an epoch (0-based `epoch` of `epochs`); its title only when fit runs more than one (as Keras). */
  start(epoch: number, epochs: number): void {
    this.t0 = Date.now();
    if (this.enabled && epochs > 1) this.out(`Epoch ${epoch + 1}/${epochs}`, false);
  }
  update(step: number, logs: Record<string, number>): void {
    if (!this.enabled || !this.tty) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && step < this.steps) return;
    this.lastDraw = now;
    const width = 30;
    const done = Math.round((width * step) / this.steps);
    const bar =
      '='.repeat(Math.max(0, done - 1)) +
      (done ? (step === this.steps ? '=' : '>') : '') +
      '.'.repeat(width - done);
    const eta = ((now - this.t0) / step) * (this.steps - step);
    this.out(
      `${String(step).padStart(String(this.steps).length)}/${this.steps} [${bar}] - ETA: ${secs(eta)}${fmt(logs)}`,
      true,
    );
  }
  end(logs: Record<string, number>): void {
    if (!this.enabled) return;
    const ms = Date.now() - this.t0;
    const line = `${this.steps}/${this.steps} - ${secs(ms)} - ${Math.round(ms / this.steps)}ms/step${fmt(logs)}`;
    if (this.tty) {
      this.out(line, true);
      this.out('', false);
    } else this.out(line, false);
  }
}
