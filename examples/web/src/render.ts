// Drawing helpers: image stacks (filters, feature maps, dense kernels) as enlarged grids.
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
