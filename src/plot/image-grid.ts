// Pictures of conv filters and feature maps: `imageGrid(images)` tiles grayscale or RGB images into one PNG
// (a minimal encoder: 8-bit RGB, filter 0, zlib via fflate) or an SVG of rects.
import { zlibSync } from 'fflate';
import { ShapeError, ValueError, fmtShape } from '../core/errors.js';
import { checkOptions } from '../core/options.js';
import { Tensor } from '../core/tensor.js';
import { crc32 } from '../core/crc32.js';

/** One image: [h, w] grayscale or [h, w, 3] RGB values (any range; scaled to 0..255 per tile or globally). */
export interface GridOptions {
  /** Tiles per row (default: ceil(√n)). */
  columns?: number;
  /** Pixels per value (default: enough for tiles of about 48px, at least 1). */
  scale?: number;
  /** Pixels between tiles (default 2). */
  gap?: number;
  /** 'tile' scales each tile to its own min..max (default); 'global' uses one range for all. */
  normalize?: 'tile' | 'global';
  format?: 'png' | 'svg';
  /** Background / gap colour, 0..255 gray (default 128). */
  background?: number;
}
const GRID_KEYS = ['columns', 'scale', 'gap', 'normalize', 'format', 'background'] as const;

/** A string option that must be one of `allowed` (undefined: the default). */
function oneOf(where: string, key: string, v: unknown, allowed: readonly string[]): void {
  if (v !== undefined && !allowed.includes(v as string))
    throw new ValueError(
      `${where}: ${key} must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got ${JSON.stringify(v)}`,
    );
}

/** Encode 8-bit RGB pixels (row-major, 3 bytes a pixel) as a PNG file. */
export function encodePng(rgb: Uint8Array, width: number, height: number): Uint8Array {
  if (rgb.length !== width * height * 3)
    throw new ShapeError(
      `encodePng: ${rgb.length} bytes for ${width}x${height} RGB (needs ${width * height * 3})`,
    );
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++)
    raw.set(rgb.subarray(y * width * 3, (y + 1) * width * 3), y * (1 + width * 3) + 1); // filter byte 0
  const chunks: [string, Uint8Array][] = [];
  const ihdr = new Uint8Array(13);
  const dv = new DataView(ihdr.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type 2 (RGB), deflate, filter 0, no interlace
  chunks.push(['IHDR', ihdr], ['IDAT', zlibSync(raw, { level: 6 })], ['IEND', new Uint8Array(0)]);
  const size = 8 + chunks.reduce((a, [, d]) => a + 12 + d.length, 0);
  const out = new Uint8Array(size);
  out.set([137, 80, 78, 71, 13, 10, 26, 10]);
  const o = new DataView(out.buffer);
  let p = 8;
  for (const [type, data] of chunks) {
    o.setUint32(p, data.length);
    for (let i = 0; i < 4; i++) out[p + 4 + i] = type.charCodeAt(i);
    out.set(data, p + 8);
    o.setUint32(p + 8 + data.length, crc32(out, p + 4, p + 8 + data.length));
    p += 12 + data.length;
  }
  return out;
}

interface Tile {
  h: number;
  w: number;
  rgb: boolean;
  data: ArrayLike<number>;
}

function toTiles(images: Tensor | Tensor[]): Tile[] {
  // NOTE: a single rank-3 tensor is read as a batch [n,h,w] of gray images; pass [img] for one RGB image.
  const list: Tensor[] = images instanceof Tensor ? (images.rank === 2 ? [images] : unstack(images)) : images;
  if (!list.length) throw new ValueError('imageGrid: no images');
  return list.map((t, i) => {
    if (!(t instanceof Tensor))
      throw new ValueError(`imageGrid: image ${i} is ${typeof t}, expected a Tensor`);
    if (t.rank === 2) return { h: t.shape[0], w: t.shape[1], rgb: false, data: t.data };
    if (t.rank === 3 && (t.shape[2] === 3 || t.shape[2] === 1))
      return { h: t.shape[0], w: t.shape[1], rgb: t.shape[2] === 3, data: t.data };
    throw new ShapeError(
      `imageGrid: image ${i} has shape ${fmtShape(t.shape)}; expected [h,w] (gray) or [h,w,3] (RGB), or a batch [n,h,w] / [n,h,w,1|3]`,
    );
  });
}

/** A batch [n, ...] split into n images. */
function unstack(t: Tensor): Tensor[] {
  if (t.rank < 3)
    throw new ShapeError(
      `imageGrid: a single tensor must be a batch [n,h,w] or [n,h,w,c], got ${fmtShape(t.shape)}`,
    );
  const per = t.size / t.shape[0];
  return Array.from(
    { length: t.shape[0] },
    (_, i) => new Tensor(t.data.slice(i * per, (i + 1) * per), t.shape.slice(1)),
  );
}

/** Conv kernel → one image per (filter, input channel), or one RGB image per filter when there are 3 input channels. */
export function filterImages(
  kernel: Tensor,
  opts: { layout?: 'keras' | 'torch'; rgb?: boolean } = {},
): Tensor[] {
  checkOptions('filterImages', opts, ['layout', 'rgb']);
  oneOf('filterImages', 'layout', opts?.layout, ['keras', 'torch']);
  if (kernel.rank !== 4)
    throw new ShapeError(`filterImages: expected a 2-D conv kernel (4 axes), got ${fmtShape(kernel.shape)}`);
  const torch = opts.layout === 'torch';
  const [kh, kw, cin, cout] = torch
    ? [kernel.shape[2], kernel.shape[3], kernel.shape[1], kernel.shape[0]]
    : kernel.shape;
  const at = (u: number, v: number, c: number, o: number) =>
    kernel.data[torch ? ((o * cin + c) * kh + u) * kw + v : ((u * kw + v) * cin + c) * cout + o];
  const rgb = opts.rgb ?? cin === 3;
  const out: Tensor[] = [];
  for (let o = 0; o < cout; o++) {
    if (rgb) {
      const d = new Float32Array(kh * kw * 3);
      for (let u = 0; u < kh; u++)
        for (let v = 0; v < kw; v++) for (let c = 0; c < 3; c++) d[(u * kw + v) * 3 + c] = at(u, v, c, o);
      out.push(new Tensor(d, [kh, kw, 3]));
    } else
      for (let c = 0; c < cin; c++) {
        const d = new Float32Array(kh * kw);
        for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) d[u * kw + v] = at(u, v, c, o);
        out.push(new Tensor(d, [kh, kw]));
      }
  }
  return out;
}

/** One sample's activations [1,h,w,c] (or [h,w,c]; channels-first with {channelsFirst: true}) → c grayscale maps. */
export function featureMaps(act: Tensor, opts: { channelsFirst?: boolean } = {}): Tensor[] {
  checkOptions('featureMaps', opts, ['channelsFirst']);
  const t =
    act.rank === 4
      ? act.shape[0] === 1
        ? new Tensor(act.data, act.shape.slice(1))
        : null
      : act.rank === 3
        ? act
        : null;
  if (!t)
    throw new ShapeError(
      `featureMaps: expected one sample's activations [1,h,w,c] or [h,w,c], got ${fmtShape(act.shape)}`,
    );
  const [h, w, c] = opts.channelsFirst ? [t.shape[1], t.shape[2], t.shape[0]] : t.shape;
  return Array.from({ length: c }, (_, k) => {
    const d = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) d[i] = t.data[opts.channelsFirst ? k * h * w + i : i * c + k];
    return new Tensor(d, [h, w]);
  });
}

/**
 * Tile images into one picture: PNG bytes (default) or an SVG string. Each tile is scaled to 0..255 by its
 * own min..max (or one global range), upscaled by `scale`, and separated by `gap` pixels of background.
 */
export function imageGrid(images: Tensor | Tensor[], opts: GridOptions & { format: 'svg' }): string;
export function imageGrid(images: Tensor | Tensor[], opts?: GridOptions & { format?: 'png' }): Uint8Array;
export function imageGrid(images: Tensor | Tensor[], opts: GridOptions = {}): Uint8Array | string {
  checkOptions('imageGrid', opts, GRID_KEYS);
  oneOf('imageGrid', 'format', opts?.format, ['png', 'svg']);
  oneOf('imageGrid', 'normalize', opts?.normalize, ['tile', 'global']);
  const tiles = toTiles(images);
  const th = Math.max(...tiles.map((t) => t.h));
  const tw = Math.max(...tiles.map((t) => t.w));
  const cols = opts.columns ?? Math.ceil(Math.sqrt(tiles.length));
  if (!Number.isInteger(cols) || cols < 1)
    throw new ValueError(`imageGrid: columns must be a positive integer, got ${opts.columns}`);
  const rows = Math.ceil(tiles.length / cols);
  const scale = opts.scale ?? Math.max(1, Math.round(48 / Math.max(th, tw)));
  const gap = opts.gap ?? 2;
  const bg = opts.background ?? 128;
  const W = cols * tw * scale + (cols + 1) * gap;
  const H = rows * th * scale + (rows + 1) * gap;
  const range = (d: ArrayLike<number>): [number, number] => {
    let lo = Infinity,
      hi = -Infinity;
    for (let i = 0; i < d.length; i++)
      if (Number.isFinite(d[i])) [lo, hi] = [Math.min(lo, d[i]), Math.max(hi, d[i])];
    return [lo, hi];
  };
  const global = tiles
    .map((t) => range(t.data))
    .reduce((a, r) => [Math.min(a[0], r[0]), Math.max(a[1], r[1])], [Infinity, -Infinity]);
  const px = new Uint8Array(W * H * 3).fill(bg);
  const svgRects: string[] = [];
  tiles.forEach((t, k) => {
    const [lo, hi] = opts.normalize === 'global' ? global : range(t.data);
    const byte = (v: number) =>
      Number.isFinite(v) ? (hi > lo ? Math.round(((v - lo) / (hi - lo)) * 255) : 128) : 0;
    const x0 = gap + (k % cols) * (tw * scale + gap);
    const y0 = gap + Math.floor(k / cols) * (th * scale + gap);
    for (let i = 0; i < t.h; i++)
      for (let j = 0; j < t.w; j++) {
        const c = t.rgb
          ? [0, 1, 2].map((ch) => byte(t.data[(i * t.w + j) * 3 + ch]))
          : [byte(t.data[i * t.w + j])].flatMap((g) => [g, g, g]);
        if (opts.format === 'svg')
          svgRects.push(
            `<rect x="${x0 + j * scale}" y="${y0 + i * scale}" width="${scale}" height="${scale}" fill="rgb(${c.join(',')})"/>`,
          );
        else
          for (let a = 0; a < scale; a++)
            for (let b = 0; b < scale; b++) px.set(c, ((y0 + i * scale + a) * W + x0 + j * scale + b) * 3);
      }
  });
  if (opts.format === 'svg')
    return [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" shape-rendering="crispEdges">`,
      `<rect width="100%" height="100%" fill="rgb(${bg},${bg},${bg})"/>`,
      ...svgRects,
      '</svg>',
    ].join('\n');
  return encodePng(px, W, H);
}
