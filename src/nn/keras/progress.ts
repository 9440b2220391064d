// The Keras-style progress bar of fit: one updating line on a terminal, plain lines otherwise.
const fmt = (logs: Record<string, number>): string =>
  Object.entries(logs)
    .map(([k, v]) => ` - ${k}: ${Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(3)}`)
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
  start(title: string): void {
    this.t0 = Date.now();
    if (this.enabled) this.out(title, false);
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
