// The views of issue 17 in headless Chromium, each screenshotted (test-artifacts/web-*.png) and checked against the
// worker's own numbers: test-digit grid and confusion matrix, validation and smoothed loss, training controls,
// per-layer statistics and dense-layer views, and saving the trained model then loading it back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDigits } from '../../examples/web/digits-plugin.js';
import * as tg from '../../src/index.js';
import {
  ARTIFACTS,
  demo,
  naiveSummary,
  type OpenPage,
  openPage,
  trainTo,
  waitReady,
  type WorkerState,
  workerState,
} from './web-page.js';

let opened: OpenPage;
let page: Page;
let w: WorkerState;
const shot = (sel: string, name: string) =>
  page.locator(sel).screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });

/** Confusion counts by plain loops: m[t][p]. */
function counts(labels: number[], preds: number[]): number[][] {
  const m = Array.from({ length: 10 }, () => Array<number>(10).fill(0));
  labels.forEach((t, i) => m[t][preds[i]]++);
  return m;
}

/** The first 10 test digits of digits.bin as the page's worker sees them: [10, 28, 28, 1] in [0, 1]. */
function probeDigits(): tg.Tensor {
  const b = makeDigits();
  const nTrain = new DataView(b.buffer, b.byteOffset).getUint32(4, true);
  const px = Float32Array.from(b.subarray(12 + nTrain * 784, 12 + (nTrain + 10) * 784), (v) => v / 255);
  return tg.tensor(px, [10, 28, 28, 1]);
}

function expectProbe(actual: number[][], expected: number[][], tol = 1e-5): void {
  actual.forEach((row, i) =>
    row.forEach((v, j) => expect(Math.abs(v - expected[i][j]), `probe[${i}][${j}]`).toBeLessThan(tol)),
  );
}

describe('examples/web: the views of issue 17', () => {
  beforeAll(async () => {
    opened = await openPage();
    page = opened.page;
    await waitReady(page);
    await trainTo(page, 60);
    w = await workerState(page, true);
  });
  afterAll(async () => {
    if (page)
      await page.screenshot({ path: join(ARTIFACTS, 'web-views.png'), fullPage: true }).catch(() => {});
    await opened?.close();
  });

  it('a grid of test digits with predicted labels (wrong ones red), confusion matrix and per-class accuracy', async () => {
    expect(w.evalStep).toBe(w.step);
    const s = await demo(page);
    expect(s.evalStep).toBe(w.step);
    const cells = await page.locator('#grid .cell').evaluateAll((els) =>
      els.map((e) => ({
        label: e.querySelector('span')!.textContent,
        wrong: e.classList.contains('wrong'),
      })),
    );
    expect(cells.length).toBe(60);
    cells.forEach((c, i) => {
      expect(c.label, `cell ${i}`).toBe(String(w.preds[i]));
      expect(c.wrong, `cell ${i}`).toBe(w.preds[i] !== w.labels[i]);
    });
    const m = counts(w.labels, w.preds);
    const table = await page
      .locator('#confusion td[data-c]')
      .evaluateAll((els) =>
        els.map((e) => [Number(e.getAttribute('data-r')), Number(e.getAttribute('data-c')), e.textContent]),
      );
    expect(table.length).toBe(100);
    for (const [r, c, txt] of table)
      expect(txt).toBe(m[r as number][c as number] ? String(m[r as number][c as number]) : '');
    const accs = await page.locator('#confusion td.class-acc').allTextContents();
    m.forEach((row, t) => {
      const n = row.reduce((a, b) => a + b, 0);
      expect(accs[t]).toBe(`${((100 * row[t]) / n).toFixed(1)}%`);
    });
    const diag = m.reduce((a, row, t) => a + row[t], 0);
    expect(await page.locator('#test-acc').textContent()).toBe(
      `${((100 * diag) / w.labels.length).toFixed(1)}%`,
    );
    await shot('section:has(#grid)', 'test-digits');
  });

  it('validation loss beside the training loss, smoothed loss, examples/s', async () => {
    const s = await demo(page);
    const last = s.series.test.at(-1)!;
    expect(last.step).toBe(w.evalStep);
    expect(last.loss).toBeCloseTo(w.evalLoss, 9);
    expect(last.acc).toBeCloseTo(w.evalAcc, 9);
    expect(s.series.test.length).toBeGreaterThanOrEqual(2); // steps 25, 50 and the pause
    expect(await page.locator('#val-loss').textContent()).toBe(w.evalLoss.toFixed(3));
    // Smoothed: e₁ = x₁, eᵢ = 0.1·xᵢ + 0.9·eᵢ₋₁, computed here and compared with the chart's hover.
    const k = 40;
    let e = s.series.loss[0];
    for (let i = 1; i < k; i++) e = 0.1 * s.series.loss[i] + 0.9 * e;
    const c = s.chart!;
    const box = (await page.locator('#chart').boundingBox())!;
    await page.mouse.move(box.x + c.plot.left + ((c.plot.right - c.plot.left) * k) / c.steps, box.y + 40);
    await expect.poll(async () => (await demo(page)).hover?.step).toBe(k);
    expect((await demo(page)).hover!.smooth).toBeCloseTo(e, 9);
    expect(await page.locator('#chart-tip').textContent()).toContain(`smoothed ${e.toFixed(4)}`);
    expect(Number((await page.locator('#examples-rate').textContent())!.replace(/,/g, ''))).toBeGreaterThan(
      0,
    );
    await shot('#chart-card', 'losses');
    await page.mouse.move(0, 0);
  });

  it('per-layer statistics of weights, activations and gradients, and the dense layers beside the conv filters', async () => {
    // Statistics come from a training step (every 10th): the last one before the pause.
    expect(w.statsStep).toBe(Math.floor(w.step / 10) * 10);
    expect((await demo(page)).statsStep).toBe(w.statsStep);
    const layers = Object.keys(w.raw);
    expect(layers).toEqual(['conv2d', 'max_pooling2d', 'conv2d_1', 'max_pooling2d_1', 'dense', 'dense_1']);
    for (const name of layers)
      for (const kind of ['weights', 'activations', 'gradients'] as const) {
        const raw = w.raw[name][kind];
        const td = page.locator(`#layer-stats tr[data-layer="${name}"] td[data-kind="${kind}"]`);
        if (!raw) {
          expect(await td.textContent()).toBe('none'); // pooling layers have no kernel
          continue;
        }
        const want = naiveSummary(raw);
        const shown = Number(await td.locator('.mean').textContent());
        const std = Number(await td.locator('.std').textContent());
        // shown to 4 significant digits
        expect(Math.abs(shown - want.mean), `${name} ${kind} mean`).toBeLessThanOrEqual(
          Math.abs(want.mean) * 1e-3,
        );
        expect(Math.abs(std - want.std), `${name} ${kind} std`).toBeLessThanOrEqual(want.std * 1e-3);
        expect(await td.locator('canvas').getAttribute('data-counts'), `${name} ${kind} histogram`).toBe(
          want.counts.join(','),
        );
      }
    // Activations of conv2d on a batch of 32: 32·28·28·12 values.
    expect(w.raw.conv2d.activations.length).toBe(32 * 28 * 28 * 12);
    expect(w.raw.dense.gradients!.length).toBe(392 * 64);
    await shot('section:has(#layer-stats)', 'layer-stats');
    // Dense views: the kernel drawn red where the worker's weight is positive and blue where it is negative.
    expect((await demo(page)).imagesStep).toBe(w.step);
    expect(w.dense.dense_1.shape).toEqual([64, 10]);
    const px = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#dense-views [data-layer="dense_1"] canvas')!;
      return {
        w: c.width,
        h: c.height,
        d: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data),
      };
    });
    expect([px.w, px.h]).toEqual([64 * 4, 10 * 4]);
    const vals = w.dense.dense_1.values;
    const absMax = Math.max(...vals.map(Math.abs));
    let checked = 0;
    for (let i = 0; i < 64; i++)
      for (let o = 0; o < 10; o++) {
        const v = vals[i * 10 + o];
        if (Math.abs(v) < 0.05 * absMax) continue;
        const at = ((o * 4 + 1) * px.w + i * 4 + 1) * 4;
        const [r, b] = [px.d[at], px.d[at + 2]];
        expect(v > 0 ? r > b : b > r, `dense_1 kernel[${i}][${o}] = ${v}`).toBe(true);
        checked++;
      }
    expect(checked).toBeGreaterThan(300);
    expect(
      await page
        .locator('#dense-views [data-layer="dense"] canvas')
        .evaluate((c: HTMLCanvasElement) => [c.width, c.height]),
    ).toEqual([392, 64]);
    await shot('section:has(#dense-views)', 'layers');
  });

  it('learning rate, batch size and optimizer change between two steps, without reloading', async () => {
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 17));
    await page.locator('#lr').fill('0.01');
    await page.locator('#lr').dispatchEvent('change');
    await page.selectOption('#batch', '64');
    await page.selectOption('#optimizer', 'momentum');
    await page.waitForFunction(() => {
      const s = (window as unknown as { tapegradDemo: { settings: { optimizer: string } } }).tapegradDemo
        .settings;
      return s.optimizer === 'momentum';
    });
    const ws = await workerState(page);
    expect(ws.settings).toEqual({ lr: 0.01, batchSize: 64, optimizer: 'momentum' });
    expect([ws.optimizerRule, ws.momentum]).toEqual(['sgd', 0.9]);
    expect(ws.learningRate).toBe(0.01);
    const from = (await demo(page)).step;
    await trainTo(page, from + 10);
    const s = await demo(page);
    expect(s.batchSizes.slice(from)).toEqual(Array(s.step - from).fill(64));
    expect(await page.evaluate(() => (window as unknown as { marker: number }).marker)).toBe(17);
    // A bad value is refused by name and changes nothing.
    await page.locator('#lr').fill('-1');
    await page.locator('#lr').dispatchEvent('change');
    await expect
      .poll(() => page.locator('#settings-note').textContent())
      .toContain('learning rate must be > 0, got -1');
    expect((await workerState(page)).learningRate).toBe(0.01);
    await shot('#controls', 'controls');
    w = await workerState(page);
  });

  it('saves the trained model as .keras, .h5 and safetensors, which Node reads back, and loads each into the page', async () => {
    const files: Record<string, Uint8Array> = {};
    for (const format of ['keras', 'h5', 'safetensors']) {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`[data-save="${format}"]`)]);
      expect(dl.suggestedFilename()).toBe(`seed_cnn-step${w.step}.${format}`);
      const path = join(ARTIFACTS, dl.suggestedFilename());
      await dl.saveAs(path);
      files[format] = readFileSync(path);
    }
    const x = probeDigits();
    const nodeProbe = async (bytes: Uint8Array, name: string): Promise<number[][]> => {
      const m = await tg.keras.loadModel(bytes, { name });
      const v = tg.softmax(m.predict(x) as tg.Tensor, -1).toFlatArray();
      return Array.from({ length: 10 }, (_, i) => Array.from(v.subarray(i * 10, i * 10 + 10)));
    };
    expectProbe(await nodeProbe(files.keras, 'm.keras'), w.probe);
    expectProbe(await nodeProbe(files.h5, 'm.h5'), w.probe);
    const keras = await tg.keras.loadModel(files.keras, { name: 'm.keras' });
    const st = tg.parseSafetensors(files.safetensors);
    const named = keras.namedWeights();
    expect([...st.tensors.keys()].sort()).toEqual(named.map(([n]) => n).sort());
    for (const [n, wt] of named)
      expect(Array.from(st.tensors.get(n)!.toFlatArray())).toEqual(Array.from(wt.value.toFlatArray()));
    // Load each back after a reset: the page's model answers as the saved one.
    for (const format of ['safetensors', 'h5', 'keras']) {
      await page.click('#reset');
      await page.waitForFunction(
        () => (window as unknown as { tapegradDemo: { step: number } }).tapegradDemo.step === 0,
      );
      const name = `seed_cnn-step${w.step}.${format}`;
      await page.setInputFiles('#load-seed', join(ARTIFACTS, name));
      await page.waitForFunction(
        (n) => (window as unknown as { tapegradDemo: { loadedSeed: string } }).tapegradDemo.loadedSeed === n,
        name,
      );
      expectProbe((await workerState(page)).probe, w.probe);
      await page.evaluate(
        () => ((window as unknown as { tapegradDemo: { loadedSeed: null } }).tapegradDemo.loadedSeed = null),
      );
    }
    await shot('#save-card', 'save');
    // A file with other weights is refused by name.
    await page.setInputFiles('#load-seed', {
      name: 'other.safetensors',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from(tg.encodeSafetensors({ 'other.kernel': tg.zeros([2, 2]) })),
    });
    await expect
      .poll(() => page.locator('#save-out').textContent())
      .toMatch(/other\.safetensors has no tensor named conv2d/);
    // Training goes on from the loaded weights.
    await trainTo(page, 5);
    expect(Math.max(...(await demo(page)).series.loss)).toBeLessThan(1.5);
    expect(opened.pageErrors).toEqual([]);
  });
});
