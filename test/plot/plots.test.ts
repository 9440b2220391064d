// plotHistory / TrainingCurves (geometry checked against the drawn tick positions) and imageGrid / PNG
// (decoded with node:zlib, CRCs and pixels checked).
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { crc32 } from '../../src/core/crc32.js';

/** Points of the polyline drawn for one series. */
function seriesPoints(svg: string, name: string): [number, number][] {
  const m = svg.match(new RegExp(`data-series="${name}"[^>]*points="([^"]+)"`));
  if (!m) throw new Error(`no series ${name}`);
  return m[1].split(' ').map((p) => p.split(',').map(Number) as [number, number]);
}
/** The y-axis ticks of a panel: [value, pixel y]. */
function yTicks(svg: string, panel: string): [number, number][] {
  const g = svg.split(`<g data-panel="${panel}">`)[1].split('</g>')[0];
  return [...g.matchAll(/<text x="[\d.]+" y="([\d.]+)" text-anchor="end" data-ytick="([-\d.e]+)">/g)].map(
    (m) => [Number(m[2]), Number(m[1]) - 4],
  );
}

describe('plotHistory', () => {
  const history = {
    epoch: [0, 1, 2, 3],
    history: {
      loss: [1.2, 0.8, 0.5, 0.45],
      val_loss: [1.3, 0.9, 0.7, 0.75],
      acc: [0.4, 0.6, 0.75, 0.8],
      val_acc: [0.35, 0.55, 0.7, 0.68],
    },
  };

  it('one panel per quantity, train solid and validation dashed, one point per epoch', () => {
    const svg = tg.plotHistory(history, { title: 'run 1' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect((svg.match(/<g data-panel=/g) ?? []).length).toBe(2);
    expect(svg.indexOf('data-panel="loss"')).toBeLessThan(svg.indexOf('data-panel="acc"'));
    for (const k of ['loss', 'val_loss', 'acc', 'val_acc']) expect(seriesPoints(svg, k).length).toBe(4);
    expect(svg).toMatch(/data-series="val_loss"[^>]*stroke-dasharray/);
    expect(svg).not.toMatch(/data-series="loss"[^>]*stroke-dasharray/);
    expect(svg).toContain('run 1');
  });

  it('every point sits where the axis ticks say its value is (to 0.05 px)', () => {
    const svg = tg.plotHistory(history);
    for (const [panel, keys] of [
      ['loss', ['loss', 'val_loss']],
      ['acc', ['acc', 'val_acc']],
    ] as const) {
      const ticks = yTicks(svg, panel);
      expect(ticks.length).toBeGreaterThan(2);
      const [[v0, p0], [v1, p1]] = [ticks[0], ticks[ticks.length - 1]];
      for (const k of keys) {
        const vals = history.history[k];
        expect(Math.min(...vals)).toBeGreaterThanOrEqual(v0);
        expect(Math.max(...vals)).toBeLessThanOrEqual(v1);
        seriesPoints(svg, k).forEach(([, y], i) =>
          expect(Math.abs(y - (p0 + ((vals[i] - v0) / (v1 - v0)) * (p1 - p0)))).toBeLessThan(0.05),
        );
      }
      const xs = seriesPoints(svg, keys[0]).map(([x]) => x);
      const steps = xs.slice(1).map((x, i) => x - xs[i]);
      steps.forEach((s) => expect(Math.abs(s - steps[0])).toBeLessThan(0.02)); // epochs evenly spaced, increasing
      expect(steps[0]).toBeGreaterThan(0);
    }
  });

  it('niceTicks: steps of 1, 2 or 5 × 10^k covering the range', () => {
    expect(tg.niceTicks(0.13, 0.87)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(tg.niceTicks(3, 47)).toEqual([0, 10, 20, 30, 40, 50]);
    const t = tg.niceTicks(5, 5);
    expect(t[0]).toBeLessThan(5);
    expect(t[t.length - 1]).toBeGreaterThan(5);
  });

  it('plain series objects, one epoch, log-scale loss, and errors', () => {
    const svg = tg.plotHistory({ loss: [0.5] });
    expect(seriesPoints(svg, 'loss').length).toBe(1);
    const log = tg.plotHistory({ loss: [100, 10, 1, 0.1] }, { logLoss: true });
    expect(log).toContain('(log scale)');
    const ys = seriesPoints(log, 'loss').map(([, y]) => y);
    const d = ys.slice(1).map((y, i) => y - ys[i]);
    d.forEach((v) => expect(Math.abs(v - d[0])).toBeLessThan(0.02)); // decades equally spaced
    expect(() => tg.plotHistory({})).toThrow(/no series/);
    expect(() => tg.plotHistory({ loss: ['a'] } as never)).toThrow(/array of numbers/);
  });
});

describe('TrainingCurves callback in fit', () => {
  it('writes the SVG after each epoch with the same numbers fit returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-curves-'));
    const path = join(dir, 'curves.svg');
    const updates: string[] = [];
    const cb = new tg.TrainingCurves({ path, onUpdate: (s) => updates.push(s) });
    const m = new tg.Sequential({
      layers: [new tg.Dense({ units: 4, activation: 'relu', inputShape: [3] }), new tg.Dense({ units: 1 })],
    });
    m.compile({ optimizer: 'adam', loss: 'meanSquaredError', metrics: ['mae'] });
    const x = tg.randn([24, 3], { rng: new tg.Rng(1) });
    const y = tg.randn([24, 1], { rng: new tg.Rng(2) });
    const h = await m.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [cb],
    });
    expect(updates.length).toBe(3);
    expect(existsSync(path)).toBe(true);
    const svg = readFileSync(path, 'utf8');
    expect(svg).toBe(updates[2]);
    expect(cb.history).toEqual(h.history);
    for (const k of ['loss', 'val_loss', 'mae', 'val_mae']) expect(seriesPoints(svg, k).length).toBe(3);
  });
});

/** Decode our PNG with node:zlib: chunks, CRCs, and the RGB pixels. */
function decodePng(png: Uint8Array) {
  expect(Array.from(png.slice(0, 8))).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let p = 8;
  let width = 0,
    height = 0;
  const idat: Uint8Array[] = [];
  const types: string[] = [];
  while (p < png.length) {
    const len = dv.getUint32(p);
    const type = String.fromCharCode(...png.slice(p + 4, p + 8));
    const data = png.slice(p + 8, p + 8 + len);
    expect(dv.getUint32(p + 8 + len)).toBe(zlib.crc32(png.slice(p + 4, p + 8 + len)));
    types.push(type);
    if (type === 'IHDR') {
      width = dv.getUint32(p + 8);
      height = dv.getUint32(p + 12);
      expect(Array.from(data.slice(8))).toEqual([8, 2, 0, 0, 0]);
    }
    if (type === 'IDAT') idat.push(data);
    p += 12 + len;
  }
  expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    expect(raw[y * (width * 3 + 1)]).toBe(0);
    rgb.set(raw.subarray(y * (width * 3 + 1) + 1, (y + 1) * (width * 3 + 1)), y * width * 3);
  }
  return { width, height, rgb };
}

describe('imageGrid and the PNG encoder', () => {
  it('one gray tile, no gap: values scaled min..max to 0..255', () => {
    const png = tg.imageGrid(
      [
        tg.tensor([
          [0, 1],
          [2, 3],
        ]),
      ],
      { scale: 1, gap: 0 },
    );
    const { width, height, rgb } = decodePng(png);
    expect([width, height]).toEqual([2, 2]);
    expect(Array.from(rgb)).toEqual([0, 0, 0, 85, 85, 85, 170, 170, 170, 255, 255, 255]);
  });

  it('layout: columns, gaps and upscaling; global normalisation', () => {
    const a = tg.tensor([[0]]);
    const b = tg.tensor([[10]]);
    const c = tg.tensor([[5]]);
    const { width, height, rgb } = decodePng(
      tg.imageGrid([a, b, c], { columns: 2, scale: 3, gap: 1, normalize: 'global', background: 7 }),
    );
    expect([width, height]).toEqual([2 * 3 + 3, 2 * 3 + 3]);
    const at = (x: number, y: number) => rgb[(y * width + x) * 3];
    expect(at(0, 0)).toBe(7); // gap
    expect([at(1, 1), at(3, 3)]).toEqual([0, 0]); // tile a (3x3 block from (1,1))
    expect(at(5, 2)).toBe(255); // tile b, top right
    expect(at(2, 6)).toBe(128); // tile c: 5 of 0..10
    expect(at(6, 6)).toBe(7); // empty fourth cell
  });

  it('RGB tiles keep their channels; SVG output has one rect per pixel', () => {
    const img = tg.tensor([
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
    ]); // [1,2,3]
    const { rgb } = decodePng(tg.imageGrid([img], { scale: 1, gap: 0 }));
    expect(Array.from(rgb)).toEqual([255, 0, 0, 0, 255, 0]);
    const svg = tg.imageGrid([img, img], { format: 'svg', scale: 2 });
    expect((svg.match(/<rect x=/g) ?? []).length).toBe(4);
    expect(svg).toContain('fill="rgb(255,0,0)"');
  });

  it('filterImages (Keras and PyTorch layouts agree) and featureMaps', () => {
    const k = tg.tensor(
      Array.from({ length: 2 * 2 * 2 * 3 }, (_, i) => i),
      [2, 2, 2, 3],
    ); // HWIO, 2 in, 3 out
    const f = tg.filterImages(k);
    expect(f.length).toBe(6);
    expect(f[1].toArray()).toEqual([
      [3, 9],
      [15, 21],
    ]); // filter 0, input channel 1: k[u,v,1,0]
    const t = tg.filterImages(tg.layouts.kerasToTorchConv(k), { layout: 'torch' });
    t.forEach((img, i) => expect(Array.from(img.data)).toEqual(Array.from(f[i].data)));
    const rgb = tg.filterImages(tg.zeros([3, 3, 3, 4]));
    expect(rgb.map((r) => r.shape)).toEqual(Array(4).fill([3, 3, 3]));
    const maps = tg.featureMaps(
      tg.tensor([
        [
          [
            [1, 2],
            [3, 4],
          ],
        ],
      ]),
    ); // [1,1,2,2]: h=1, w=2, c=2
    expect(maps.map((m) => Array.from(m.data))).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(() => tg.featureMaps(tg.zeros([2, 3, 3, 1]))).toThrow(/one sample/);
    expect(() => tg.imageGrid([tg.zeros([2, 2, 2])])).toThrow(/expected \[h,w\] \(gray\) or \[h,w,3\]/);
  });

  it('CRC-32 matches node:zlib', () => {
    const bytes = new TextEncoder().encode('tapegrad IHDR');
    expect(crc32(bytes)).toBe(zlib.crc32(bytes));
  });
});

describe('plot options are checked like every other options object', () => {
  it('unknown keys are refused by name with the known ones; enumerated values are checked', () => {
    const h = { loss: [1, 0.5] };
    expect(() => new tg.TrainingCurves({ file: 'typo.svg' } as never)).toThrow(
      /TrainingCurves: unknown option 'file' \(known: title, width, height, logLoss, path, onUpdate\)/,
    );
    expect(() => tg.plotHistory(h, { foo: 1 } as never)).toThrow(/plotHistory: unknown option 'foo'/);
    const img = tg.zeros([2, 2]);
    expect(() => tg.imageGrid(img, { foo: 1 } as never)).toThrow(
      /imageGrid: unknown option 'foo' \(known: columns, scale, gap, normalize, format, background\)/,
    );
    expect(() => tg.imageGrid(img, { format: 'jpg' } as never)).toThrow(
      /imageGrid: format must be 'png' or 'svg'/,
    );
    expect(() => tg.imageGrid(img, { normalize: 'all' } as never)).toThrow(
      /normalize must be 'tile' or 'global'/,
    );
    const k = tg.zeros([3, 3, 1, 2]);
    expect(() => tg.filterImages(k, { layout: 'tf' } as never)).toThrow(/layout must be 'keras' or 'torch'/);
    expect(() => tg.filterImages(k, { channelsFirst: true } as never)).toThrow(
      /filterImages: unknown option/,
    );
    expect(() => tg.featureMaps(tg.zeros([1, 2, 2, 1]), { layout: 'torch' } as never)).toThrow(
      /featureMaps: unknown option 'layout'/,
    );
    // the known ones still work
    expect(new tg.TrainingCurves({ title: 't' }).svg).toBeTypeOf('function');
    expect(tg.imageGrid(img, { format: 'svg', normalize: 'global' })).toMatch(/^<svg/);
  });
});
