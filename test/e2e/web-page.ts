// Helpers of the examples/web e2e files: serve the built page (web-build.ts), open it in headless Chromium, read the
// page's state (window.tapegradDemo) and the worker's own numbers, drop files, train to a step.
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM, launch } from './chromium.js';
import { serveStatic } from './serve.js';
import { SITE } from './web-build.js';

export { ARTIFACTS, ROOT, SITE } from './web-build.js';

export interface Summary {
  n: number;
  mean: number;
  std: number;
  lo: number;
  hi: number;
  counts: number[];
}

export interface DemoState {
  ready: boolean;
  loading: string;
  status: {
    backend: string;
    wasm: boolean;
    simd: boolean;
    relaxedSimd: boolean;
    threads: number;
    reason?: string;
  };
  running: boolean;
  step: number;
  series: { loss: number[]; acc: number[]; test: { step: number; acc: number; loss: number }[] };
  times: number[];
  batchSizes: number[];
  rateFrom: number;
  rate: { stepsPerSec: number; examplesPerSec: number; steps: number } | null;
  settings: { lr: number; batchSize: number; optimizer: string } | null;
  testLabels: number[];
  evalStep: number;
  preds: number[] | null;
  statsStep: number;
  stats: { name: string; weights: Summary | null; activations: Summary; gradients: Summary | null }[];
  chart: {
    lossTicks: number[];
    stepTicks: number[];
    accTicks: number[];
    lossTop: number;
    steps: number;
    plot: { left: number; right: number; top: number; bottom: number };
  } | null;
  hover: { step: number; loss: number; smooth: number; acc: number } | null;
  predictions: { seed?: number[]; keras?: number[] };
  keras: {
    name: string;
    inputShape: (number | null)[];
    report: string;
    output: number[];
    outputShape: number[];
    inputSource: string;
    takesDigit: boolean;
  } | null;
  saved: { format: string; name: string; bytes: number }[];
  loadedSeed: string | null;
  errors: string[];
  imagesStep: number;
  kernelCheck: { size: number; threads: number; poolJobs: number; maxDiff: number } | null;
}

export interface WorkerState {
  step: number;
  settings: { lr: number; batchSize: number; optimizer: string };
  optimizerRule: string;
  momentum: number | null;
  learningRate: number;
  evalStep: number;
  preds: number[];
  labels: number[];
  evalLoss: number;
  evalAcc: number;
  statsStep: number;
  raw: Record<string, { weights: number[] | null; activations: number[]; gradients: number[] | null }>;
  probe: number[][];
  dense: Record<string, { shape: number[]; values: number[] }>;
}

type Win = { tapegradDemo: DemoState; tapegradWorkerState: (raw?: boolean) => Promise<WorkerState> };

export const demo = (page: Page): Promise<DemoState> =>
  page.evaluate(() => (window as unknown as Win).tapegradDemo);
/** The worker's numbers; `raw` adds the values behind the per-layer statistics (several MB). */
export const workerState = (page: Page, raw = false): Promise<WorkerState> =>
  page.evaluate((r) => (window as unknown as Win).tapegradWorkerState(r), raw);
export const argmax = (v: number[]): number => v.indexOf(Math.max(...v));
export const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

export interface OpenPage {
  page: Page;
  url: string;
  /** Uncaught exceptions on the page. */
  pageErrors: string[];
  /** Paths the page requested (worker and dynamic imports included), in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serve the built page and open it in a fresh headless Chromium (viewport 1280×1400). */
export async function openPage(setup?: (page: Page) => Promise<void>): Promise<OpenPage> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium (.ci/run does)`);
  const s: { server: Server; url: string } = await serveStatic(SITE);
  const browser: { context: BrowserContext; close(): Promise<void> } = await launch();
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  browser.context.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await setup?.(page);
  await page.goto(s.url);
  return {
    page,
    url: s.url,
    pageErrors,
    requests,
    async close() {
      await browser.close();
      s.server.close();
    },
  };
}

export async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as Partial<Win>).tapegradDemo?.ready, null, {
    timeout: 60_000,
  });
}

/** Train (pressing the Train/Resume button) until the page has seen `step` steps, then pause. */
export async function trainTo(page: Page, step: number, pause = true): Promise<void> {
  if (!(await demo(page)).running) await page.click('#train');
  await page.waitForFunction((n) => (window as unknown as Win).tapegradDemo.step >= n, step, {
    timeout: 120_000,
  });
  if (pause) {
    await page.click('#train');
    // Pausing brings the evaluation up to the step the model stopped at.
    await page.waitForFunction(
      () => {
        const s = (window as unknown as Win).tapegradDemo;
        return !s.running && s.evalStep === s.step && s.imagesStep === s.step;
      },
      null,
      { timeout: 60_000 },
    );
  }
}

/** Drop files on the page's drop zone with a real DataTransfer, as a user dragging them from a file manager. */
export async function dropFiles(
  page: Page,
  paths: string[],
  expectError = false,
): Promise<DemoState['keras']> {
  const files = paths.map((p) => ({ name: p.split('/').pop()!, b64: readFileSync(p).toString('base64') }));
  return dropBytes(page, files, expectError);
}

export async function dropBytes(
  page: Page,
  files: { name: string; b64: string }[],
  expectError = false,
): Promise<DemoState['keras']> {
  await page.evaluate(() => {
    const s = (window as unknown as Win).tapegradDemo;
    s.keras = null;
    s.errors = [];
  });
  const dt = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs)
      dt.items.add(new File([Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0))], f.name));
    return dt;
  }, files);
  await page.locator('#drop').dispatchEvent('drop', { dataTransfer: dt });
  await page.waitForFunction(
    () => {
      const s = (window as unknown as Win).tapegradDemo;
      return s.keras !== null || s.errors.length > 0;
    },
    null,
    { timeout: 60_000 },
  );
  const s = await demo(page);
  if (expectError) expect(s.errors.length).toBeGreaterThan(0);
  else expect(s.errors).toEqual([]);
  return s.keras;
}

/** Draw a vertical stroke (a "1") on the pad and wait for the seed model's answer. */
export async function drawOne(page: Page): Promise<number[]> {
  await page.evaluate(() => delete (window as unknown as Win).tapegradDemo.predictions.seed);
  const box = (await page.locator('#pad').boundingBox())!;
  const x = box.x + box.width / 2;
  await page.mouse.move(x, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let i = 1; i <= 12; i++)
    await page.mouse.move(x + i * 0.4, box.y + box.height * (0.15 + (0.7 * i) / 12));
  await page.mouse.up();
  await page.waitForFunction(() => (window as unknown as Win).tapegradDemo.predictions.seed, null, {
    timeout: 30_000,
  });
  return (await demo(page)).predictions.seed!;
}

/** mean, population std and a 16-bin histogram over [min, max], by plain float64 loops (independent of the page). */
export function naiveSummary(v: number[], bins = 16): Summary {
  const n = v.length;
  const m = v.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - m) * (b - m), 0) / n);
  let [lo, hi] = [Infinity, -Infinity];
  for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) {
    let k = 0;
    while (k < bins - 1 && x >= lo + ((k + 1) * (hi - lo)) / bins) k++;
    counts[k]++;
  }
  return { n, mean: m, std, lo, hi, counts };
}
