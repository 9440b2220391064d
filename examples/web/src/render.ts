// Drawing helpers: image stacks (filters, feature maps) as enlarged grids, and the live loss/accuracy chart.
import type { ImageStack } from './protocol.js';

/**
 * Draw `stack` as a grid of `cols` columns, each map scaled by `zoom`. Feature maps use grey levels normalised per
 * map; `diverging` (for filters) shows negative weights blue and positive red on one symmetric scale.
 */
export function drawStack(
  canvas: HTMLCanvasElement,
  stack: ImageStack,
  zoom: number,
  cols: number,
  diverging = false,
): void {
  const { h, w, count, data } = stack;
  const gap = 3;
  const rows = Math.ceil(count / cols);
  canvas.width = cols * (w * zoom + gap) - gap;
  canvas.height = rows * (h * zoom + gap) - gap;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const img = new ImageData(w, h);
  const tmp = document.createElement('canvas');
  [tmp.width, tmp.height] = [w, h];
  const tctx = tmp.getContext('2d')!;
  ctx.imageSmoothingEnabled = false;
  const absMax = diverging ? Math.max(1e-8, ...Array.from(data, Math.abs)) : 0;
  for (let k = 0; k < count; k++) {
    const m = data.subarray(k * h * w, (k + 1) * h * w);
    let [lo, hi] = [Infinity, -Infinity];
    for (const v of m) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    for (let p = 0; p < h * w; p++) {
      let rgb: [number, number, number];
      if (diverging) {
        const t = m[p] / absMax; // in [-1, 1]
        rgb = t >= 0 ? [255, 255 * (1 - t), 255 * (1 - t)] : [255 * (1 + t), 255 * (1 + t), 255];
      } else {
        const g = hi > lo ? (255 * (m[p] - lo)) / (hi - lo) : 0;
        rgb = [g, g, g];
      }
      img.data.set([...rgb, 255], p * 4);
    }
    tctx.putImageData(img, 0, 0);
    const [c, r] = [k % cols, Math.floor(k / cols)];
    ctx.drawImage(tmp, c * (w * zoom + gap), r * (h * zoom + gap), w * zoom, h * zoom);
  }
}

export interface Series {
  loss: number[];
  acc: number[];
  test: { step: number; acc: number }[];
}

/** The live chart: training loss (smoothed, left axis) and batch / test accuracy (right axis, 0–1) by step. */
export function drawChart(canvas: HTMLCanvasElement, s: Series): void {
  const ctx = canvas.getContext('2d')!;
  const { width: W, height: H } = canvas;
  const [l, r, t, b] = [46, 46, 14, 26];
  ctx.clearRect(0, 0, W, H);
  ctx.font = '11px system-ui';
  const n = Math.max(10, s.loss.length);
  const ema = (xs: number[], a = 0.1): number[] => {
    let e = xs[0] ?? 0;
    return xs.map((x) => (e = a * x + (1 - a) * e));
  };
  const loss = ema(s.loss);
  const acc = ema(s.acc);
  const maxLoss = Math.max(0.5, ...loss.slice(0, 50), ...loss);
  const X = (i: number): number => l + ((W - l - r) * i) / Math.max(1, n - 1);
  const YL = (v: number): number => t + (H - t - b) * (1 - v / maxLoss);
  const YA = (v: number): number => t + (H - t - b) * (1 - v);
  ctx.strokeStyle = '#e3e7ec';
  ctx.fillStyle = '#6b7682';
  for (let k = 0; k <= 4; k++) {
    const y = t + ((H - t - b) * k) / 4;
    ctx.beginPath();
    ctx.moveTo(l, y);
    ctx.lineTo(W - r, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText((maxLoss * (1 - k / 4)).toFixed(2), l - 4, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText(`${100 - 25 * k}%`, W - r + 4, y + 4);
  }
  ctx.textAlign = 'right';
  ctx.fillText(`step ${s.loss.length}`, W - r, H - 6);
  const path = (ys: number[], Y: (v: number) => number, color: string, width = 2): void => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    ys.forEach((v, i) => (i ? ctx.lineTo(X(i), Y(v)) : ctx.moveTo(X(i), Y(v))));
    ctx.stroke();
    ctx.lineWidth = 1;
  };
  path(loss, YL, '#d9480f');
  path(acc, YA, '#3b82f6');
  ctx.fillStyle = '#1f8a4c';
  for (const p of s.test) {
    ctx.beginPath();
    ctx.arc(X(p.step - 1), YA(p.acc), 3.5, 0, 2 * Math.PI);
    ctx.fill();
  }
  const legend: [string, string][] = [
    ['#d9480f', 'training loss'],
    ['#3b82f6', 'batch accuracy'],
    ['#1f8a4c', 'test accuracy'],
  ];
  ctx.textAlign = 'left';
  legend.forEach(([c, txt], i) => {
    ctx.fillStyle = c;
    ctx.fillRect(l + i * 130, H - 12, 12, 4);
    ctx.fillStyle = '#1d232b';
    ctx.fillText(txt, l + 16 + i * 130, H - 6);
  });
}
