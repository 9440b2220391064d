// End to end in headless Chromium: the examples/web page, built with Vite from the package build (dist/), trains the
// seed CNN in a worker on the wasm backend, predicts a drawn digit, and runs dropped Keras files exactly as Node does.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { kerasFixturesDir } from '../io/fixtures-dir.js';
import {
  ARTIFACTS,
  SITE,
  argmax,
  demo,
  drawOne,
  dropFiles,
  mean,
  type DemoState,
  type OpenPage,
  openPage,
  waitReady,
} from './web-page.js';

const SCREENSHOT = join(ARTIFACTS, 'web-e2e.png');

/** What Node computes for the same file and input: tg.keras.loadModel(path).predict(x). */
async function nodePrediction(modelPath: string, x: tg.Tensor): Promise<number[]> {
  const m = await tg.keras.loadModel(modelPath);
  return Array.from((m.predict(x) as tg.Tensor).toFlatArray());
}

/** The page's probe input for a model without an .npy: x[i] = sin(0.1·i). */
const probe = (shape: number[]): tg.Tensor =>
  tg.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(0.1 * i)),
    shape,
  );

function expectClose(actual: number[], expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) =>
    expect(Math.abs(v - expected[i]), `element ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(
      tol * (1 + Math.abs(expected[i])),
    ),
  );
}

let opened: OpenPage;
let page: Page;
let pageErrors: string[];

describe('examples/web in headless Chromium', () => {
  beforeAll(async () => {
    opened = await openPage();
    ({ page, pageErrors } = opened);
  });

  afterAll(async () => {
    if (page) await page.screenshot({ path: SCREENSHOT, fullPage: true }).catch(() => undefined);
    await opened?.close();
  });

  it('loads on the wasm SIMD backend with the seed model summary; tapegrad runs only in the worker', async () => {
    await waitReady(page);
    const s = await demo(page);
    expect(s.status).toMatchObject({ backend: 'wasm', wasm: true, simd: true, relaxedSimd: true });
    // initWasm ran in the worker, so the kernels get a pool of Web Workers: min(4, cores) threads.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(s.status.threads).toBe(Math.min(4, cores));
    // A 384×384 matmul is split over the pool and matches the JS reference kernels.
    await page.waitForFunction(
      () => (window as unknown as { tapegradDemo: DemoState }).tapegradDemo.kernelCheck,
      null,
      {
        timeout: 30_000,
      },
    );
    const k = (await demo(page)).kernelCheck!;
    expect(k.maxDiff).toBeLessThan(1e-3);
    if (k.threads > 1) expect(k.poolJobs).toBeGreaterThan(0);
    expect(await page.locator('#backend').textContent()).toContain('backend: wasm (SIMD');
    // (3·3·1+1)·12 + (3·3·12+1)·8 + (7·7·8+1)·64 + (64+1)·10 = 120 + 872 + 25,152 + 650
    const summary = await page.locator('#summary').textContent();
    expect(summary).toContain('Total params: 26,794');
    expect(summary).toMatch(/conv2d \(Conv2D\)\s+\(None, 28, 28, 12\)/);
    // The page's own script holds no tapegrad code: training cannot block the UI thread.
    const assets = readdirSync(join(SITE, 'assets'));
    const read = (prefix: string) =>
      readFileSync(
        join(
          SITE,
          'assets',
          assets.find((f) => f.startsWith(prefix) && f.endsWith('.js'))!,
        ),
        'utf8',
      );
    expect(read('index-')).not.toContain('sparseCategoricalCrossentropy');
    expect(read('worker-')).toContain('sparseCategoricalCrossentropy');
    expect(assets.some((f) => f.endsWith('.wasm'))).toBe(true);
  });

  it('explains a chosen conv layer (im2col → matmul → add bias, forward and backward) with its shapes', async () => {
    await expect
      .poll(() => page.locator('#explain').textContent(), { timeout: 30_000 })
      .toContain("Conv2D 'conv2d'");
    await page.selectOption('#explain-layer', 'conv2d_1');
    await expect
      .poll(() => page.locator('#explain').textContent(), { timeout: 30_000 })
      .toContain("Conv2D 'conv2d_1'");
    const text = (await page.locator('#explain').textContent())!;
    // conv2d_1 sees a training batch of 32 pooled maps 14×14×12: im2col rows 32·14·14 = 6,272, columns 3·3·12 = 108.
    expect(text).toContain('[32,14,14,12]');
    expect(text).toMatch(/im2col\(X\)\s+\[32,14,14,12\] → \[6272,108\]/);
    expect(text).toMatch(/matmul\(cols, Wmat\)\s+\[6272,108\] · \[108,8\] → \[6272,8\]/);
    expect(text).toMatch(/add\(M, B\)/);
    expect(text).toContain('Backward');
  });

  it('trains: the loss falls from about ln 10 and the filters and feature maps are redrawn', async () => {
    await page.click('#train');
    await page.waitForFunction(
      () => (window as unknown as { tapegradDemo: DemoState }).tapegradDemo.step >= 150,
      null,
      { timeout: 240_000 },
    );
    const s = await demo(page);
    // The page's training speed (moving average of the last 20 steps), kept for examples/web/README.md's numbers.
    writeFileSync(
      join(ARTIFACTS, 'web-speed.json'),
      JSON.stringify({ step: s.step, ...s.rate, threads: s.status.threads, backend: s.status.backend }),
    );
    expect(s.rate!.examplesPerSec).toBeCloseTo(32 * s.rate!.stepsPerSec, 6);
    // An untrained 10-class softmax predicts about 1/10 everywhere: cross-entropy ≈ ln 10 = 2.303.
    expect(mean(s.series.loss.slice(0, 5))).toBeGreaterThan(1.9);
    expect(mean(s.series.loss.slice(0, 5))).toBeLessThan(2.7);
    expect(mean(s.series.loss.slice(-20))).toBeLessThan(0.6 * mean(s.series.loss.slice(0, 20)));
    expect(s.series.test.length).toBeGreaterThan(0);
    expect(s.imagesStep).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 300_000);

  it('predicts a digit drawn on the pad', async () => {
    const p = await drawOne(page);
    expect(p).toHaveLength(10);
    expect(mean(p) * 10).toBeCloseTo(1, 4); // softmax probabilities sum to 1
    // A single vertical stroke is a 1 to a model trained for 150+ steps on MNIST.
    expect(argmax(p)).toBe(1);
    expect(await page.locator('#prediction').textContent()).toContain('seed CNN says 1');
  });

  it('runs a dropped Keras HDF5 model on a dropped .npy exactly as Node does, and as Keras did', async () => {
    const dir = join(kerasFixturesDir() ?? '', 'dl4j-cnn-batchnorm');
    if (!existsSync(dir))
      throw new Error(`Keras fixture folder ${dir} is missing (../shared/keras-fixtures)`);
    const r = (await dropFiles(page, [join(dir, 'cnn_batch_norm.h5'), join(dir, 'input.npy')]))!;
    expect(r.inputSource).toBe('input.npy [5,10,10,3]');
    expect(r.report).toContain('conv2d_1');
    expect(await page.locator('#keras-report').textContent()).toContain('Load report for cnn_batch_norm.h5');
    const x = tg.readNpy(join(dir, 'input.npy'));
    const node = await nodePrediction(join(dir, 'cnn_batch_norm.h5'), tg.tensor(x.data, x.shape));
    expectClose(r.output, node, 1e-5);
    const keras = tg.readNpy(join(dir, 'predictions.npy'));
    expectClose(r.output, Array.from(keras.data), 1e-4);
  });

  it('runs a dropped Keras 3 .keras model on the probe input as Node does, and asks it about the drawn digit', async () => {
    const file = join(kerasFixturesDir() ?? '', 'keras3-mnist-mlp', 'Digit_Recognition_MLP.keras');
    const r = (await dropFiles(page, [file]))!;
    expect(r.takesDigit).toBe(true);
    expect(r.outputShape).toEqual([1, 10]);
    expectClose(r.output, await nodePrediction(file, probe([1, 28, 28])), 1e-5);
    await page.waitForFunction(
      () => (window as unknown as { tapegradDemo: DemoState }).tapegradDemo.predictions.keras,
      null,
      { timeout: 30_000 },
    );
    const k = (await demo(page)).predictions.keras!;
    expect(mean(k) * 10).toBeCloseTo(1, 4);
    expect(await page.locator('#prediction').textContent()).toContain('Keras model says');
  });

  it('runs a dropped TF.js model.json with its shard as Node does', async () => {
    const dir = join(kerasFixturesDir() ?? '', 'tfjs-ux-simplernn');
    const r = (await dropFiles(page, [join(dir, 'model.json'), join(dir, 'group1-shard1of1.bin')]))!;
    expect(r.report).toContain('All weights matched');
    expectClose(r.output, await nodePrediction(join(dir, 'model.json'), probe([1, 25, 5])), 1e-5);
  });

  it('runs a dropped architecture .json with its weights .h5 as Node does', async () => {
    const dir = join(kerasFixturesDir() ?? '', 'dl4j-activations');
    const [config, weights] = [join(dir, 'ReLU_0_config.json'), join(dir, 'ReLU_0_weights.h5')];
    const r = (await dropFiles(page, [config, weights]))!;
    expect(r.name).toBe('ReLU_0_config.json + ReLU_0_weights.h5');
    const shape = [1, ...r.inputShape.slice(1).map((d) => d ?? 1)];
    const m = await tg.keras.loadModel({ config, weights });
    expectClose(r.output, Array.from((m.predict(probe(shape)) as tg.Tensor).toFlatArray()), 1e-5);
  });

  it('saves a screenshot of the page as a test artifact', async () => {
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const png = readFileSync(SCREENSHOT);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(pageErrors).toEqual([]);
  });
});
