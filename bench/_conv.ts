import { wasmBackend } from '../src/backend/wasm/node.js';
import { setNumThreads } from '../src/backend/wasm/threads.js';
import { randArray } from './lib/data.js';
import type { WindowGeom } from '../src/backend/kernels.js';
setNumThreads(1);
const geom = (n: number, h: number, w: number, c: number, k: number, p: number, s = 1): WindowGeom => {
  const outH = Math.floor((h + 2 * p - k) / s) + 1, outW = Math.floor((w + 2 * p - k) / s) + 1;
  return { n, h, w, c, kh: k, kw: k, strideH: s, strideW: s, dilationH: 1, dilationW: 1, padTop: p, padLeft: p, outH, outW };
};
const cases: [string, WindowGeom, number][] = [
  ['onnx conv1 same', geom(32, 28, 28, 1, 3, 1), 8],
  ['onnx conv1 valid', geom(32, 28, 28, 1, 3, 0), 8],
  ['seed conv1 same', geom(32, 32, 32, 3, 3, 1), 12],
  ['onnx conv2 dense', geom(32, 14, 14, 8, 3, 0), 8],
];
const k = wasmBackend!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const res = new Map<string, number[]>();
const bufs = cases.map(([name, g, o]) => {
  const x = k.alloc!('float32', g.n * g.h * g.w * g.c)!.view as Float32Array; x.set(randArray(x.length, 1));
  const w = randArray(g.kh * g.kw * g.c * o, 2); const b = randArray(o, 3);
  const out = k.alloc!('float32', g.n * g.outH * g.outW * o)!.view as Float32Array;
  return { x, w, b, out };
});
for (let r = 0; r < 300; r++)
  cases.forEach(([name, g, o], i) => {
    const { x, w, b, out } = bufs[i];
    const t0 = performance.now();
    k.conv2d(x, w, b, g, o, out);
    const t = performance.now() - t0;
    if (r >= 50) (res.get(name) ?? res.set(name, []).get(name)!).push(t);
  });
for (const [name, g, o] of cases) {
  const m = median(res.get(name)!);
  const fl = 2 * g.n * g.outH * g.outW * g.kh * g.kw * g.c * o;
  console.log(`${name.padEnd(20)} ${(m * 1000).toFixed(0).padStart(6)} µs  ${(fl / m / 1e6).toFixed(1)} GFLOP/s`);
}
k.pool.shutdown();
