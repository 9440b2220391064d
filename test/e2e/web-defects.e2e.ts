// The defects of issue 17, each driven in headless Chromium: what shows while loading, the training speed as a moving
// average, test accuracy as a number, the draw pad forgetting a replaced Keras model, panels that fit at 1280 px, the
// chart's ticks, titles, hover values and height, compressed transfers, and Pause/Resume/Reset.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kerasFixturesDir } from '../io/fixtures-dir.js';
import {
  ARTIFACTS,
  ROOT,
  SITE,
  demo,
  drawOne,
  dropBytes,
  dropFiles,
  type OpenPage,
  openPage,
  trainTo,
  waitReady,
  workerState,
} from './web-page.js';

let opened: OpenPage;
let page: Page;
/** Released when the test has looked at the page before the digits arrive. */
let releaseDigits: () => void;
const digitsHeld = new Promise<void>((r) => (releaseDigits = r));
/** The worker's softmax outputs on 10 test digits before any training. */
let initialProbe: number[][];

/** {1, 2, 5}·10ᵏ */
const isNice = (step: number): boolean => {
  const m = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
  return [1, 2, 5].some((x) => Math.abs(m - x) < 1e-9);
};

describe('examples/web: the defects of issue 17', () => {
  beforeAll(async () => {
    opened = await openPage(async (p) => {
      // Hold the digits back, so the page stays in its loading state until the first test has looked at it.
      await p.context().route('**/digits.bin.gz', async (route) => {
        await digitsHeld;
        await route.continue();
      });
    });
    page = opened.page;
  });
  afterAll(async () => {
    releaseDigits?.();
    await opened?.close();
  });

  it('says what is loading before the page is ready, in every panel', async () => {
    await page.waitForFunction(
      () =>
        (window as unknown as { tapegradDemo: { loading: string } }).tapegradDemo.loading ===
        'downloading the digits',
      null,
      { timeout: 60_000 },
    );
    const texts = await page.locator('.loading').allTextContents();
    // chart, test grid, dense views, layer statistics, explain, summary
    expect(texts.length).toBe(6);
    for (const t of texts) expect(t).toBe('downloading the digits…');
    expect(await page.locator('#train').isDisabled()).toBe(true);
    releaseDigits();
    await waitReady(page);
    expect(await page.locator('.loading').count()).toBe(0);
    expect(await page.locator('#summary').textContent()).toContain('Total params: 26,794');
    initialProbe = (await workerState(page)).probe;
  });

  it('ships the digits gzipped and loads under 1 MB compressed before a Keras file is dropped', async () => {
    const digits = opened.requests.filter((r) => r.includes('digits'));
    expect(digits).toEqual(['/digits.bin.gz']);
    const gz = readFileSync(join(SITE, 'digits.bin.gz'));
    const raw = gunzipSync(gz);
    // 12-byte header + 3,500 digits × (784 pixels + 1 label)
    expect(raw.length).toBe(12 + 3500 * 785);
    expect(gz.length).toBeLessThan(raw.length / 4);
    // Every file the page asked for (worker, wasm, digits…), at what gzip makes of it (what a server sends).
    const files = [...new Set(opened.requests)].map((r) => (r === '/' ? '/index.html' : r));
    const sizes = files.map((f) => gzipSync(readFileSync(join(SITE, f)), { level: 9 }).length);
    const total = sizes.reduce((a, b) => a + b, 0);
    // Chromium has relaxed SIMD: initWasm fetched the fused build (kernels-fma.wasm) and not the plain one.
    const wasms = files.filter((f) => f.endsWith('.wasm'));
    expect(wasms).toHaveLength(1);
    expect(wasms[0]).toMatch(/kernels-fma[^/]*\.wasm$/);
    expect(files.filter((f) => /hdf5|h5wasm/i.test(f))).toEqual([]); // HDF5 reader only on a Keras drop
    expect(total, files.map((f, i) => `${f} ${sizes[i]}`).join('\n')).toBeLessThan(1_000_000);
    // The README's first command is the production build (the dev server ships a 10 MB unbundled page).
    const readme = readFileSync(join(ROOT, 'examples/web/README.md'), 'utf8');
    const firstViteCommand = readme.split('\n').find((l) => l.includes('npx vite'))!;
    expect(firstViteCommand).toMatch(/^npx vite build examples\/web && npx vite preview examples\/web/);
    expect(statSync(join(SITE, 'index.html')).isFile()).toBe(true);
  });

  it('shows steps/s and examples/s as a moving average over the last 20 steps of the worker clock', async () => {
    await trainTo(page, 60, false);
    const s = await demo(page);
    const last = s.times.length - 1;
    const first = Math.max(s.rateFrom, last - 20);
    expect(last - first).toBe(20);
    const dt = (s.times[last] - s.times[first]) / 1000;
    const rate = 20 / dt;
    expect(s.rate!.stepsPerSec).toBeCloseTo(rate, 6);
    const examples = s.batchSizes.slice(first + 1, last + 1).reduce((a, b) => a + b, 0) / dt;
    expect(s.rate!.examplesPerSec).toBeCloseTo(examples, 6);
    expect(examples).toBeCloseTo(32 * rate, 6); // batch size 32 throughout
    // The average lies between the slowest and the fastest single step of the window.
    const single = s.times.slice(first + 1, last + 1).map((t, i) => 1000 / (t - s.times[first + i]));
    expect(rate).toBeGreaterThanOrEqual(Math.min(...single) - 1e-9);
    expect(rate).toBeLessThanOrEqual(Math.max(...single) + 1e-9);
    // The header shows the numbers of the state at some step ≥ 60 (training goes on while we read).
    const shown = Number(await page.locator('#rate').textContent());
    expect(shown).toBeGreaterThan(0);
    expect(Number((await page.locator('#examples-rate').textContent())!.replace(/,/g, ''))).toBeGreaterThan(
      0,
    );
  });

  it('after Pause the button reads Resume; the test accuracy is a number equal to the worker’s evaluation', async () => {
    await page.click('#train'); // pause
    expect(await page.locator('#train').textContent()).toBe('Resume');
    await page.waitForFunction(() => {
      const s = (window as unknown as { tapegradDemo: { step: number; evalStep: number } }).tapegradDemo;
      return s.evalStep === s.step;
    });
    const w = await workerState(page);
    const right = w.preds.filter((p, i) => p === w.labels[i]).length;
    expect(w.evalStep).toBe(w.step);
    expect(w.evalAcc).toBeCloseTo(right / w.labels.length, 9);
    expect(await page.locator('#test-acc').textContent()).toBe(
      `${((100 * right) / w.labels.length).toFixed(1)}%`,
    );
    expect(await page.locator('#val-loss').textContent()).toBe(w.evalLoss.toFixed(3));
    await page.click('#train');
    expect(await page.locator('#train').textContent()).toBe('Pause');
    await trainTo(page, w.step + 30);
    expect(await page.locator('#train').textContent()).toBe('Resume');
  });

  it('chart: ticks at 1-2-5 values, step ticks, values on hover; the chart fills its card once bars appear', async () => {
    await drawOne(page);
    const s = await demo(page);
    const c = s.chart!;
    const step = (t: number[]): number => t[1] - t[0];
    for (const t of [c.lossTicks, c.stepTicks]) {
      expect(t[0]).toBe(0);
      expect(isNice(step(t))).toBe(true);
      t.forEach((v, i) => expect(v).toBeCloseTo(i * step(t), 9));
    }
    expect(c.lossTicks.at(-1)).toBeGreaterThanOrEqual(Math.max(...s.series.loss));
    expect(c.stepTicks.at(-1)).toBeLessThanOrEqual(s.step);
    // Hover over step k: the tooltip shows that step's training loss.
    const k = Math.round(s.step / 2);
    const box = (await page.locator('#chart').boundingBox())!;
    const x = c.plot.left + ((c.plot.right - c.plot.left) * k) / c.steps;
    await page.mouse.move(box.x + x, box.y + (c.plot.top + c.plot.bottom) / 2);
    await expect.poll(() => page.locator('#chart-tip').isVisible()).toBe(true);
    const hover = (await demo(page)).hover!;
    expect(hover.step).toBe(k);
    const tip = (await page.locator('#chart-tip').textContent())!;
    expect(tip).toContain(`step ${k}`);
    expect(tip).toContain(`training loss ${s.series.loss[k - 1].toFixed(4)}`);
    await page.mouse.move(0, 0);
    // The probability bars made the draw card taller; the chart card has no empty band at its bottom.
    const gap = await page.evaluate(() => {
      const card = document.getElementById('chart-card')!.getBoundingClientRect();
      const controls = document.getElementById('chart-card')!.lastElementChild!.getBoundingClientRect();
      const draw = document.getElementById('bars-seed')!.closest('section')!.getBoundingClientRect();
      return { bottom: card.bottom - controls.bottom, sameHeight: Math.abs(card.height - draw.height) };
    });
    expect(gap.bottom).toBeLessThan(20);
    expect(gap.sameHeight).toBeLessThan(1);
    await page.locator('#chart-card').screenshot({ path: join(ARTIFACTS, 'web-chart.png') });
  });

  it('model.summary() and explain fit their panels at 1280 px (no clipped column)', async () => {
    await page.selectOption('#explain-layer', 'conv2d_1');
    await expect.poll(() => page.locator('#explain').textContent()).toContain("Conv2D 'conv2d_1'");
    for (const id of ['summary', 'explain']) {
      const [scroll, client] = await page.evaluate((i) => {
        const el = document.getElementById(i)!;
        return [el.scrollWidth, el.clientWidth];
      }, id);
      expect(scroll, `#${id} overflows`).toBeLessThanOrEqual(client);
    }
    expect(await page.locator('#summary').textContent()).toMatch(/Param #/);
    // Nothing on the page is wider than the window.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  });

  it('forgets the previous Keras model’s answer to the drawn digit after a bad file or a second model', async () => {
    const fx = kerasFixturesDir();
    if (!fx) throw new Error('../shared/keras-fixtures is missing');
    const mlp = join(fx, 'keras3-mnist-mlp', 'Digit_Recognition_MLP.keras');
    const hasKeras = async (): Promise<boolean> =>
      (await demo(page)).predictions.keras !== undefined ||
      (await page.locator('#bars-keras .bar').count()) > 0 ||
      ((await page.locator('#prediction').textContent()) ?? '').includes('Keras model says');
    await dropFiles(page, [mlp]);
    await page.waitForFunction(
      () =>
        (window as unknown as { tapegradDemo: { predictions: { keras?: number[] } } }).tapegradDemo
          .predictions.keras,
    );
    expect(await page.locator('#bars-keras .bar').count()).toBe(10);
    // A bad file: the error shows and the old model's bars go.
    await dropBytes(
      page,
      [{ name: 'broken.h5', b64: Buffer.from('not an HDF5 file').toString('base64') }],
      true,
    );
    expect(await page.locator('#keras-out .error').textContent()).toMatch(/broken\.h5/);
    expect(await hasKeras()).toBe(false);
    expect(await page.locator('#prediction').textContent()).toContain('seed CNN says');
    // A model that does not take digits replaces one that did.
    await dropFiles(page, [mlp]);
    await page.waitForFunction(
      () =>
        (window as unknown as { tapegradDemo: { predictions: { keras?: number[] } } }).tapegradDemo
          .predictions.keras,
    );
    const rnn = join(fx, 'tfjs-ux-simplernn');
    const r = await dropFiles(page, [join(rnn, 'model.json'), join(rnn, 'group1-shard1of1.bin')]);
    expect(r!.takesDigit).toBe(false);
    expect(await hasKeras()).toBe(false);
    expect(opened.pageErrors).toEqual([]);
  });

  it('Reset starts over from the same initial weights; the button reads Train again', async () => {
    expect((await workerState(page)).step).toBeGreaterThan(0);
    await page.click('#reset');
    await page.waitForFunction(
      () =>
        (window as unknown as { tapegradDemo: { step: number; series: { loss: number[] } } }).tapegradDemo
          .step === 0,
    );
    const s = await demo(page);
    expect(s.series.loss).toEqual([]);
    expect(s.series.test).toEqual([]);
    expect(await page.locator('#train').textContent()).toBe('Train');
    expect(await page.locator('#test-acc').textContent()).toBe('–');
    const w = await workerState(page);
    expect(w.step).toBe(0);
    // The same seed gives the same untrained model as when the page loaded.
    w.probe.forEach((row, i) => row.forEach((p, j) => expect(p).toBeCloseTo(initialProbe[i][j], 6)));
    await trainTo(page, 3);
    const again = await demo(page);
    expect(again.series.loss[0]).toBeGreaterThan(1.9); // ≈ ln 10 = 2.303 for an untrained model
    expect(again.series.loss[0]).toBeLessThan(2.7);
    expect(opened.pageErrors).toEqual([]);
  });
});
