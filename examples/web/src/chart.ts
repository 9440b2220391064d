// The live training chart: training loss (raw and smoothed) and validation loss on the left axis, batch and test
// accuracy on the right axis, by step; ticks at round values, axis titles, and the values under the mouse.

export interface Series {
  loss: number[];
  acc: number[];
  /** Evaluations on the test digits: after `step` steps. */
  test: { step: number; acc: number; loss: number }[];
}

/** Where things were drawn, so hovering can map a pixel back to a step (and tests can read the ticks). */
export interface ChartLayout {
  lossTicks: number[];
  stepTicks: number[];
  accTicks: number[];
  lossTop: number;
  steps: number;
  plot: { left: number; right: number; top: number; bottom: number };
}

/** Exponential moving average with weight `a` on the newest value: e ← a·x + (1 − a)·e, starting at x₀. */
export function ema(xs: number[], a = 0.1): number[] {
  let e = xs[0] ?? 0;
  return xs.map((x) => (e = a * x + (1 - a) * e));
}

/** The smallest step of the form {1, 2, 5}·10ᵏ that splits `range` into at most `parts` intervals. */
export function niceStep(range: number, parts: number): number {
  const raw = Math.max(range, 1e-12) / parts;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw * (1 - 1e-9))!;
}

/** Multiples of `step` from 0 to `top` (inclusive), rounded to the step's decimals so they print exactly. */
function ticks(top: number, step: number): number[] {
  const dec = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return Array.from({ length: Math.floor(top / step + 1e-9) + 1 }, (_, i) => +(i * step).toFixed(dec));
}

const fmtTick = (v: number, step: number): string =>
  v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));

const COLORS = { loss: '#d9480f', raw: '#f4b69a', val: '#7c3aed', acc: '#3b82f6', test: '#1f8a4c' };

export function drawChart(canvas: HTMLCanvasElement, s: Series): ChartLayout {
  const dpr = window.devicePixelRatio || 1;
  const [W, H] = [canvas.clientWidth, canvas.clientHeight];
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr))
    [canvas.width, canvas.height] = [Math.round(W * dpr), Math.round(H * dpr)];
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui';
  const plot = { left: 54, right: W - 52, top: 12, bottom: H - 54 };
  const smooth = ema(s.loss);
  const steps = Math.max(10, s.loss.length);
  const maxLoss = Math.max(0.1, ...s.loss, ...s.test.map((p) => p.loss));
  const lossStep = niceStep(maxLoss, 5);
  const lossTop = Math.ceil(maxLoss / lossStep - 1e-9) * lossStep;
  const lossTicks = ticks(lossTop, lossStep);
  const stepStep = Math.max(1, niceStep(steps, 8));
  const stepTicks = ticks(steps, stepStep);
  const accTicks = ticks(1, 0.2);
  const X = (step: number): number => plot.left + ((plot.right - plot.left) * step) / steps;
  const YL = (v: number): number => plot.bottom - ((plot.bottom - plot.top) * v) / lossTop;
  const YA = (v: number): number => plot.bottom - (plot.bottom - plot.top) * v;
  ctx.strokeStyle = '#e3e7ec';
  ctx.fillStyle = '#6b7682';
  ctx.textAlign = 'right';
  for (const v of lossTicks) {
    ctx.beginPath();
    ctx.moveTo(plot.left, YL(v));
    ctx.lineTo(plot.right, YL(v));
    ctx.stroke();
    ctx.fillText(fmtTick(v, lossStep), plot.left - 5, YL(v) + 4);
  }
  ctx.textAlign = 'left';
  for (const v of accTicks) ctx.fillText(`${Math.round(100 * v)}%`, plot.right + 5, YA(v) + 4);
  ctx.textAlign = 'center';
  for (const v of stepTicks) {
    ctx.fillRect(X(v), plot.bottom, 1, 4);
    ctx.fillText(String(v), X(v), plot.bottom + 15);
  }
  // Axis titles.
  ctx.fillStyle = '#1d232b';
  ctx.fillText('step', (plot.left + plot.right) / 2, plot.bottom + 29);
  const vertical = (text: string, x: number, angle: number): void => {
    ctx.save();
    ctx.translate(x, (plot.top + plot.bottom) / 2);
    ctx.rotate(angle);
    ctx.fillText(text, 0, 0);
    ctx.restore();
  };
  vertical('cross-entropy loss', 14, -Math.PI / 2);
  vertical('accuracy', W - 10, Math.PI / 2);
  const path = (ys: [number, number][], color: string, width: number): void => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ys.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    ctx.lineWidth = 1;
  };
  // Step i (1-based) is drawn at x = i.
  path(
    s.loss.map((v, i) => [X(i + 1), YL(v)]),
    COLORS.raw,
    1,
  );
  path(
    s.acc.map((v, i) => [X(i + 1), YA(v)]),
    COLORS.acc,
    1,
  );
  path(
    smooth.map((v, i) => [X(i + 1), YL(v)]),
    COLORS.loss,
    2,
  );
  path(
    s.test.map((p) => [X(p.step), YL(p.loss)]),
    COLORS.val,
    2,
  );
  for (const p of s.test) {
    ctx.fillStyle = COLORS.val;
    ctx.fillRect(X(p.step) - 2.5, YL(p.loss) - 2.5, 5, 5);
    ctx.fillStyle = COLORS.test;
    ctx.beginPath();
    ctx.arc(X(p.step), YA(p.acc), 3.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  const legend: [string, string][] = [
    [COLORS.raw, 'training loss'],
    [COLORS.loss, 'smoothed (EMA 0.1)'],
    [COLORS.val, 'validation loss'],
    [COLORS.acc, 'batch accuracy'],
    [COLORS.test, 'test accuracy'],
  ];
  ctx.textAlign = 'left';
  let x = plot.left;
  for (const [c, txt] of legend) {
    ctx.fillStyle = c;
    ctx.fillRect(x, H - 12, 12, 4);
    ctx.fillStyle = '#1d232b';
    ctx.fillText(txt, x + 16, H - 6);
    x += 28 + ctx.measureText(txt).width;
  }
  return { lossTicks, stepTicks, accTicks, lossTop, steps, plot };
}

/** The values at the step under x (CSS pixels from the canvas's left edge), or null outside the data. */
export function valuesAt(
  layout: ChartLayout,
  s: Series,
  x: number,
): { step: number; loss: number; smooth: number; acc: number; test?: Series['test'][number] } | null {
  const { left, right } = layout.plot;
  const step = Math.round(((x - left) / (right - left)) * layout.steps);
  if (step < 1 || step > s.loss.length) return null;
  // The evaluation nearest to this step (they come every few steps).
  const test = s.test.reduce<Series['test'][number] | undefined>(
    (best, p) => (!best || Math.abs(p.step - step) < Math.abs(best.step - step) ? p : best),
    undefined,
  );
  return { step, loss: s.loss[step - 1], smooth: ema(s.loss)[step - 1], acc: s.acc[step - 1], test };
}
