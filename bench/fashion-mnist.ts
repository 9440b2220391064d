// (5) The Fashion-MNIST slot: one training epoch of the seed CNN (28×28×1 input) in tapegrad when the data set
// is installed at /usr/share/datasets/fashion-mnist (standard idx files, optionally gzipped), else "not run".
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { setBackend } from '../src/backend/kernels.js';
import { setNumThreads } from '../src/backend/threads.js';
import { Tensor } from '../src/core/tensor.js';
import { tapegradCnn } from './models/tapegrad.js';
import { cnnParamShapes, initParams } from './lib/specs.js';
import type { Row, SuiteOptions } from './suites.js';

export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

function readIdx(base: string): Uint8Array | null {
  for (const name of [base, `${base}.gz`]) {
    const p = join(FASHION_DIR, name);
    if (existsSync(p)) {
      const raw = new Uint8Array(readFileSync(p));
      return name.endsWith('.gz') ? gunzipSync(raw) : raw;
    }
  }
  return null;
}

/** Seconds for one epoch over the 60,000 training images at batch 32, or "not run". */
export async function fashionMnist(o: SuiteOptions): Promise<Row[]> {
  const row: Row = {
    workload: 'Fashion-MNIST seed CNN epoch (60k images, batch 32)',
    unit: 's',
    higherIsBetter: false,
    cells: {},
  };
  const imgs = readIdx('train-images-idx3-ubyte');
  const labs = readIdx('train-labels-idx1-ubyte');
  if (!imgs || !labs || o.quick) {
    row.cells['tapegrad-wasm'] = 'not run';
    return [row];
  }
  const dv = new DataView(imgs.buffer, imgs.byteOffset);
  const [n, h, w] = [dv.getUint32(4), dv.getUint32(8), dv.getUint32(12)];
  const B = 32;
  const shapes = cnnParamShapes(h, w, 1);
  setBackend('wasm');
  setNumThreads(o.threads);
  const x0 = new Float32Array(B * h * w);
  const model = tapegradCnn(initParams(shapes, 51), shapes, x0, new Int32Array(B), B, [h, w, 1]);
  const t0 = performance.now();
  for (let s = 0; s + B <= n; s += B) {
    const x = new Float32Array(B * h * w);
    for (let i = 0; i < x.length; i++) x[i] = imgs[16 + s * h * w + i] / 255;
    const y = Int32Array.from(labs.subarray(8 + s, 8 + s + B));
    model.train(new Tensor(x, [B, h, w, 1]), new Tensor(y, [B]));
  }
  row.cells['tapegrad-wasm'] = (performance.now() - t0) / 1000;
  return [row];
}
