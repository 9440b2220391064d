// The draw pad: strokes on a 280×280 canvas, turned into an MNIST-style 28×28 digit (20×20 box, centred by mass).

/** Attach drawing to `canvas`; `onDigit` gets the 28×28 pixels (in [0, 1]) after each stroke segment. */
export function drawPad(
  canvas: HTMLCanvasElement,
  onDigit: (pixels: Float32Array) => void,
): { clear(): void } {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
  };
  clear();
  let last: [number, number] | null = null;
  let pending = false;
  const at = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * canvas.width) / r.width,
      ((e.clientY - r.top) * canvas.height) / r.height,
    ];
  };
  const emit = (): void => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const px = toDigit(canvas);
      if (px) onDigit(px);
    });
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    last = at(e);
    line(last, last);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return;
    const p = at(e);
    line(last, p);
    last = p;
    emit();
  });
  const up = (): void => {
    if (last) emit();
    last = null;
  };
  canvas.addEventListener('pointerup', up);
  canvas.addEventListener('pointercancel', up);
  function line(a: [number, number], b: [number, number]): void {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = canvas.width / 14;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
  }
  return { clear };
}

/** MNIST preprocessing: crop the ink, fit it in 20×20 keeping the aspect, place it so its centre of mass is at (14, 14). */
export function toDigit(canvas: HTMLCanvasElement): Float32Array | null {
  const { width: W, height: H } = canvas;
  const src = canvas.getContext('2d')!.getImageData(0, 0, W, H).data;
  let [x0, y0, x1, y1] = [W, H, -1, -1];
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (src[(y * W + x) * 4] > 20)
        [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  if (x1 < 0) return null;
  const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
  const s = 20 / Math.max(bw, bh);
  const [sw, sh] = [Math.max(1, Math.round(bw * s)), Math.max(1, Math.round(bh * s))];
  const small = document.createElement('canvas');
  [small.width, small.height] = [sw, sh];
  const sc = small.getContext('2d')!;
  sc.imageSmoothingQuality = 'high';
  sc.drawImage(canvas, x0, y0, bw, bh, 0, 0, sw, sh);
  const p = sc.getImageData(0, 0, sw, sh).data;
  let [m, cx, cy] = [0, 0, 0];
  for (let y = 0; y < sh; y++)
    for (let x = 0; x < sw; x++) {
      const v = p[(y * sw + x) * 4] / 255;
      [m, cx, cy] = [m + v, cx + v * x, cy + v * y];
    }
  const [ox, oy] = [Math.round(13.5 - cx / m), Math.round(13.5 - cy / m)];
  const out = new Float32Array(784);
  for (let y = 0; y < sh; y++)
    for (let x = 0; x < sw; x++) {
      const [tx, ty] = [x + ox, y + oy];
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = p[(y * sw + x) * 4] / 255;
    }
  return out;
}
