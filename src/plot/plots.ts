// Training curves as a standalone SVG: `plotHistory(history)` draws loss and every metric per epoch (train
// solid, validation dashed), and the `TrainingCurves` callback rewrites the picture after every epoch of `fit`.
import { writeFileAtomicRaw } from '../core/atomic-write.js';
import { TapegradError, ValueError } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import type { Callback, Logs } from '../train/callbacks.js';
import { escapeXml } from './svg-graph.js';

/** A Keras/TF.js History (`{epoch, history}`) or just the per-epoch series. */
export type HistoryLike = { epoch?: number[]; history: Record<string, number[]> } | Record<string, number[]>;

export interface PlotOptions {
  title?: string;
  /** Size of one panel in pixels (default 420×260). */
  width?: number;
  height?: number;
  /** Log-scale the y axis of the loss panel (default false). */
  logLoss?: boolean;
}
const PLOT_KEYS = ['title', 'width', 'height', 'logLoss'] as const;

/** "Nice" tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    [lo, hi] = [lo - d, hi + d];
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  if (out[out.length - 1] < hi) out.push(+(out[out.length - 1] + step).toPrecision(12));
  return out;
}

const fmt = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(+v.toPrecision(4));
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function seriesOf(h: HistoryLike): { epochs: number[]; series: Record<string, number[]> } {
  const series = (
    'history' in h && typeof h.history === 'object' && !Array.isArray(h.history) ? h.history : h
  ) as Record<string, number[]>;
  const n = Math.max(0, ...Object.values(series).map((v) => v.length));
  const ep =
    'epoch' in h && Array.isArray(h.epoch) && h.epoch.length === n
      ? (h.epoch as number[]).map((e) => e + 1)
      : Array.from({ length: n }, (_, i) => i + 1);
  for (const [k, v] of Object.entries(series))
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number'))
      throw new ValueError(`plotHistory: series '${k}' must be an array of numbers`);
  return { epochs: ep, series };
}

/** Group `loss`/`val_loss`, `acc`/`val_acc`, ... into panels, loss first. */
function panelsOf(series: Record<string, number[]>): string[] {
  const bases = [...new Set(Object.keys(series).map((k) => k.replace(/^val_/, '')))];
  return bases.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
}

/**
 * Plot a training history as one standalone SVG: a panel per quantity (loss, then each metric), x = epoch,
 * train values solid with dots, validation (`val_*`) dashed. No dependencies; open it in any browser.
 */
export function plotHistory(history: HistoryLike, opts: PlotOptions = {}): string {
  checkOptions('plotHistory', opts, PLOT_KEYS);
  const { epochs, series } = seriesOf(history);
  const panels = panelsOf(series);
  if (!panels.length)
    throw new ValueError(
      'plotHistory: the history has no series (expected e.g. { loss: [...], val_loss: [...] })',
    );
  const [W, H] = [opts.width ?? 420, opts.height ?? 260];
  const m = { l: 64, r: 16, t: 34, b: 42 };
  const top = opts.title ? 36 : 8;
  const total = { w: W * Math.min(panels.length, 2), h: top + H * Math.ceil(panels.length / 2) };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total.w}" height="${total.h}" viewBox="0 0 ${total.w} ${total.h}" font-family="sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
  ];
  if (opts.title)
    out.push(
      `<text x="${total.w / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(opts.title)}</text>`,
    );
  panels.forEach((base, p) => {
    const ox = (p % 2) * W;
    const oy = top + Math.floor(p / 2) * H;
    const keys = [base, `val_${base}`].filter((k) => series[k]?.length);
    const logY = base === 'loss' && !!opts.logLoss && keys.every((k) => series[k].every((v) => v > 0));
    const tf = (v: number) => (logY ? Math.log10(v) : v);
    const vals = keys.flatMap((k) => series[k].filter(Number.isFinite).map(tf));
    const yt = niceTicks(Math.min(...vals), Math.max(...vals));
    const [y0, y1] = [yt[0], yt[yt.length - 1]];
    const xt =
      epochs.length > 1
        ? niceTicks(epochs[0], epochs[epochs.length - 1], Math.min(8, epochs.length - 1)).filter(
            (e) => Number.isInteger(e) && e >= epochs[0] && e <= epochs[epochs.length - 1],
          )
        : epochs;
    const [x0, x1] =
      epochs.length > 1 ? [epochs[0], epochs[epochs.length - 1]] : [epochs[0] - 1, epochs[0] + 1];
    const px = (e: number) => ox + m.l + ((e - x0) / (x1 - x0)) * (W - m.l - m.r);
    const py = (v: number) => oy + m.t + (1 - (tf(v) - y0) / (y1 - y0)) * (H - m.t - m.b);
    out.push(`<g data-panel="${escapeXml(base)}">`);
    out.push(
      `<text x="${ox + W / 2}" y="${oy + 20}" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(base)}${logY ? ' (log scale)' : ''}</text>`,
    );
    for (const v of yt) {
      const y = oy + m.t + (1 - (v - y0) / (y1 - y0)) * (H - m.t - m.b);
      out.push(
        `<line x1="${ox + m.l}" x2="${ox + W - m.r}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e5e5"/>`,
      );
      out.push(
        `<text x="${ox + m.l - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end" data-ytick="${logY ? 10 ** v : v}">${fmt(logY ? 10 ** v : v)}</text>`,
      );
    }
    for (const e of xt)
      out.push(
        `<text x="${px(e).toFixed(1)}" y="${oy + H - m.b + 16}" text-anchor="middle" data-xtick="${e}">${e}</text>`,
      );
    out.push(`<text x="${ox + W / 2}" y="${oy + H - 8}" text-anchor="middle">epoch</text>`);
    out.push(
      `<rect x="${ox + m.l}" y="${oy + m.t}" width="${W - m.l - m.r}" height="${H - m.t - m.b}" fill="none" stroke="#999"/>`,
    );
    // legend after the lines (drawn on top), in the corner the curves' last values leave free
    const lastHigh = keys.some((k) => {
      const v = series[k][series[k].length - 1];
      return Number.isFinite(v) && (tf(v) - y0) / (y1 - y0) > 0.5;
    });
    const legend: string[] = [];
    const lx = ox + W - m.r - 116;
    const ly0 = lastHigh ? oy + H - m.b - keys.length * 16 - 10 : oy + m.t + 2;
    legend.push(
      `<rect x="${lx}" y="${ly0}" width="112" height="${keys.length * 16 + 6}" fill="white" fill-opacity="0.9"/>`,
    );
    keys.forEach((k, i) => {
      const color = COLORS[(p * 2 + i) % COLORS.length];
      const pts = series[k]
        .map((v, j) => [px(epochs[j]), py(v), v] as const)
        .filter(([, , v]) => Number.isFinite(v));
      const dash = k.startsWith('val_') ? ' stroke-dasharray="6 4"' : '';
      out.push(
        `<polyline data-series="${escapeXml(k)}" fill="none" stroke="${color}" stroke-width="2"${dash} points="${pts.map(([x, y]) => `${x.toFixed(2)},${y.toFixed(2)}`).join(' ')}"/>`,
      );
      for (const [x, y, v] of pts)
        out.push(
          `<circle cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="2.5" fill="${color}"><title>${escapeXml(k)} ${fmt(v)}</title></circle>`,
        );
      const ly = ly0 + 14 + i * 16;
      legend.push(
        `<line x1="${lx + 6}" x2="${lx + 28}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/><text x="${lx + 34}" y="${ly}">${k.startsWith('val_') ? 'validation' : 'train'}</text>`,
      );
    });
    out.push(...legend);
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('\n');
}

export interface TrainingCurvesOptions extends PlotOptions {
  /** File to (re)write after every epoch; omit to keep the picture in memory only (`svg()`). */
  path?: string;
  /** Called with the new SVG after every epoch (e.g. to show it in a page). */
  onUpdate?: (svg: string) => void;
}

/**
 * A `fit` callback that records loss and metrics per epoch and redraws them with `plotHistory`, writing
 * `path` after each epoch so a long run can be watched: `model.fit(x, y, { callbacks: [new TrainingCurves({ path: 'curves.svg' })] })`.
 */
export class TrainingCurves implements Callback {
  readonly history: Record<string, number[]> = {};
  readonly epochs: number[] = [];
  constructor(readonly opts: TrainingCurvesOptions = {}) {
    checkOptions('TrainingCurves', opts, [...PLOT_KEYS, 'path', 'onUpdate']);
  }
  onTrainBegin(): void {
    for (const k of Object.keys(this.history)) delete this.history[k];
    this.epochs.length = 0;
  }
  async onEpochEnd(epoch: number, logs: Logs = {}): Promise<void> {
    this.epochs.push(epoch);
    const n = this.epochs.length;
    for (const [k, v] of Object.entries(logs)) {
      const s = (this.history[k] ??= []);
      while (s.length < n - 1) s.push(NaN); // a metric that appeared late
      s.push(v);
    }
    const svg = this.svg();
    this.opts.onUpdate?.(svg);
    if (this.opts.path) {
      try {
        writeFileAtomicRaw(this.opts.path, svg);
      } catch (e) {
        throw new TapegradError(
          `TrainingCurves: cannot write ${this.opts.path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); the previous picture, if any, is unchanged`,
        );
      }
    }
  }
  /** The current picture. */
  svg(): string {
    const { path: _path, onUpdate: _onUpdate, ...plot } = this.opts;
    return plotHistory(
      { epoch: [...this.epochs], history: this.history },
      { ...plot, title: this.opts.title ?? 'Training curves' },
    );
  }
}
