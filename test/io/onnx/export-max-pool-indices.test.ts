// MaxPool1d/2d with returnIndices exported to ONNX: the trace is take(x, poolArgmax(x)) for the values and
// take(plane-position map, poolArgmax(x)) for the indices, written as MaxPool and a Gather by MaxPool's Indices output.
// Run in ONNX Runtime Web against PyTorch 1.13's values and indices (test/fixtures/max-pool-indices/cases.json, made
// by gen.py beside it: padding, dilation, ceil_mode, ties, -inf) at the fixture's batch, and against tapegrad's own
// forward at batch 1 and 3 (traced at 2), then checked by ONNX's checker. MaxUnpool stays refused by name.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { PY, hasOnnxChecker } from '../../support/onnx-checker.js';

ort.env.wasm.numThreads = 1;
const nn = tg.nn;
const rng = new tg.Rng(7);
type Num = number | 'nan' | '-inf';
interface PoolCase {
  dims: 1 | 2;
  shape: number[];
  x: Num[];
  kernelSize: any;
  stride: any;
  padding: any;
  dilation: any;
  ceilMode: boolean;
  outShape: number[];
  y: Num[];
  idx: number[];
}
const CASES = (
  JSON.parse(
    readFileSync(new URL('../../fixtures/max-pool-indices/cases.json', import.meta.url), 'utf8'),
  ) as { pool: PoolCase[] }
).pool
  // NOTE: batched inputs only (the batch axis is the symbolic one), and no NaN: ONNX Runtime's MaxPool skips NaN
  // (x > max is false), PyTorch's takes it as the maximum
  .filter((c) => c.shape.length === c.dims + 2 && !c.x.includes('nan'));
const num = (v: Num): number => (v === 'nan' ? NaN : v === '-inf' ? -Infinity : v);

const tmp = mkdtempSync(join(tmpdir(), 'tg-onnx-maxpool-indices-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const files: string[] = [];

const moduleOf = (c: PoolCase): tg.nn.Module =>
  c.dims === 2
    ? new nn.MaxPool2d(c.kernelSize, c.stride, c.padding, c.dilation, true, c.ceilMode)
    : new nn.MaxPool1d(c.kernelSize, c.stride, c.padding, c.dilation, true, c.ceilMode);
const feed = (s: ort.InferenceSession, x: tg.Tensor) => ({
  [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
});
/** Small integers (ties in most windows) of shape [n, ...row]. */
const ties = (n: number, row: number[]) => tg.floor(tg.mul(tg.randn([n, ...row], { rng }), 2));

describe('MaxPool with returnIndices exports as MaxPool + a Gather by its Indices output', () => {
  for (const c of CASES)
    it(`${c.dims}-d ${JSON.stringify(c.shape)} k ${JSON.stringify(c.kernelSize)} s ${JSON.stringify(c.stride)} p ${JSON.stringify(c.padding)} d ${JSON.stringify(c.dilation)}${c.ceilMode ? ' ceil' : ''}`, async () => {
      const m = moduleOf(c).eval();
      const row = c.shape.slice(1);
      const bytes = tg.onnx.exportModel(m, { sampleInput: ties(2, row) });
      const path = join(tmp, `pool_${files.length}.onnx`);
      writeFileSync(path, bytes);
      files.push(path);
      const s = await ort.InferenceSession.create(bytes);
      expect(s.outputNames.length).toBe(2);
      // PyTorch 1.13's numbers (float32 holds the fixture's small integers and -inf exactly)
      const x = tg.tensor(c.x.map(num), c.shape);
      const r = await s.run(feed(s, x));
      const [y, idx] = [r[s.outputNames[0]], r[s.outputNames[1]]];
      expect(y.dims).toEqual(c.outShape);
      expect(Array.from(y.data as Float32Array)).toEqual(c.y.map(num));
      expect(idx.type).toBe('int32');
      expect(Array.from(idx.data as Int32Array)).toEqual(c.idx);
      // tapegrad's own forward at batch 1 and 3
      for (const n of [1, 3]) {
        const xn = ties(n, row);
        const [wy, wi] = tg.noGrad(() => m.forward(xn)) as [tg.Tensor, tg.Tensor];
        const got = await s.run(feed(s, xn));
        expect(got[s.outputNames[0]].dims, `batch ${n}`).toEqual(wy.shape);
        expect(Array.from(got[s.outputNames[0]].data as Float32Array), `values at batch ${n}`).toEqual(
          Array.from(wy.data),
        );
        expect(Array.from(got[s.outputNames[1]].data as Int32Array), `indices at batch ${n}`).toEqual(
          Array.from(wi.data),
        );
      }
    });
  it.skipIf(!hasOnnxChecker)(
    'every file passes onnx.checker.check_model(full_check=True) (python3-onnx)',
    () => {
      expect(files.length).toBe(CASES.length);
      const out = execFileSync(PY, [
        '-c',
        'import onnx, sys\nfor p in sys.argv[1:]: onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("checked %d" % (len(sys.argv) - 1))',
        ...files,
      ]);
      expect(String(out).trim()).toBe(`checked ${files.length}`);
    },
  );
  if (!hasOnnxChecker)
    it.skip('skipped: Debian package python3-onnx is not installed (/usr/bin/python3 -c "import onnx" failed)', () => {});
  it("tapegrad's importer refuses MaxPool's Indices output by name", async () => {
    const bytes = tg.onnx.exportModel(new nn.MaxPool2d(2, 2, 0, 1, true).eval(), {
      sampleInput: ties(2, [2, 4, 4]),
    });
    await expect(
      (async () => (await tg.onnx.loadModel(bytes)).predict(ties(1, [2, 4, 4])))(),
    ).rejects.toThrow(/Indices output/);
  });
});

/** Max pooling with indices then max unpooling (the values back at their positions). */
class PoolUnpool extends nn.Module {
  pool = new nn.MaxPool2d(2, 2, 0, 1, true);
  unpool = new nn.MaxUnpool2d(2);
  forward(x: tg.Tensor) {
    const [y, i] = this.pool.forward(x);
    return this.unpool.forward(y, i);
  }
}

describe('MaxUnpool is refused by name', () => {
  // NOTE: its flat output positions are each plane's index plus the plane's offset p·H·W, a constant over the N·C
  // planes (tapegrad has no range op to make it from the run-time batch), and scatterAdd has no ONNX rendering
  it('with a symbolic batch: the per-plane offsets change with the batch', () => {
    expect(() => tg.onnx.exportModel(new PoolUnpool().eval(), { sampleInput: ties(2, [2, 4, 4]) })).toThrow(
      /onnx export \(dynamicBatch\): pool_unpool\w* uses a \[4,1\] constant whose size or values change with the batch.*max_unpool2d/,
    );
  });
  it('at a fixed batch: scatterAdd has no ONNX rendering', () => {
    expect(() =>
      tg.onnx.exportModel(new PoolUnpool().eval(), { sampleInput: ties(2, [2, 4, 4]), dynamicBatch: false }),
    ).toThrow(/primitive 'scatterAdd' has no ONNX rendering/);
  });
});
