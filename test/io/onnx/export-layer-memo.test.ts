// Layers that write a property on every call without keeping state are not refused by the export's state check
// (export-layer-state.ts): a memoized input shape (a fresh array or plain object of the same contents each call), a
// tensor kept for inspection (an attention map) or rebuilt each call (a mask) that the next call does not read. They
// export and ONNX Runtime Web follows tapegrad at other batch sizes (roundTrips: batch 1 and 3, the file imported
// back, onnx.checker). A layer that reads what the last call stored stays refused. A tg.nn module in train mode
// (BatchNorm2d, Dropout) exports its eval-mode computation, as torch.onnx.export's default TrainingMode.EVAL, and is
// left in train mode with its running statistics untouched.
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { LayerStateExportError } from '../../../src/io/onnx/export-layer-state.js';
import { throwsA } from '../../support/throws.js';
import { type Case, roundTrips } from './export-roundtrip-lib.js';

ort.env.wasm.numThreads = 1;
const rng = new tg.Rng(23);

/** Remembers the shape of its last input (a new array each call) and a plain object describing it. */
class ShapeMemo extends tg.nn.Module {
  lin = new tg.nn.Linear(3, 2);
  lastShape: number[] = [];
  spec: { shape: number[]; dtype: string } | null = null;
  forward(x: tg.Tensor) {
    this.lastShape = [...x.shape];
    this.spec = { shape: [...x.shape], dtype: x.dtype };
    return this.lin.forward(x);
  }
}

/** Keeps its softmax weights for inspection (a new tensor each call, never read by the next one). */
class KeepsAttention extends tg.nn.Module {
  q = new tg.nn.Linear(4, 4);
  attn: tg.Tensor | null = null;
  forward(x: tg.Tensor) {
    const scores = tg.matmul(this.q.forward(x), tg.transpose(x, [0, 2, 1]));
    this.attn = tg.keep(tg.softmax(scores, -1)); // kept: still readable after the call
    return tg.matmul(this.attn, x);
  }
}

/** Rebuilds a constant mask every call and stores it on itself before using it (not kept: released after the call). */
class RebuiltMask extends tg.nn.Module {
  lin = new tg.nn.Linear(3, 3);
  mask: tg.Tensor | null = null;
  forward(x: tg.Tensor) {
    this.mask = tg.tensor([1, 0, 1]);
    return tg.mul(this.lin.forward(x), this.mask);
  }
}

/** Keeps each head's attention map in a fresh array every call (a list of kept tensors). */
class KeepsMaps extends tg.nn.Module {
  q = new tg.nn.Linear(4, 4);
  maps: tg.Tensor[] = [];
  forward(x: tg.Tensor) {
    const a = tg.softmax(tg.matmul(this.q.forward(x), tg.transpose(x, [0, 2, 1])), -1);
    const b = tg.softmax(tg.matmul(x, tg.transpose(x, [0, 2, 1])), -1);
    this.maps = [tg.keep(a), tg.keep(b)];
    return tg.add(tg.matmul(a, x), tg.matmul(b, x));
  }
}

const cases: Case[] = [
  ['attention maps kept in a fresh array', () => new KeepsMaps(), [{ shape: [5, 4] }]],
  ['a memoized input shape (array and plain object)', () => new ShapeMemo(), [{ shape: [3] }]],
  ['an attention map kept for inspection', () => new KeepsAttention(), [{ shape: [5, 4] }]],
  ['a mask rebuilt and stored on every call', () => new RebuiltMask(), [{ shape: [3] }]],
];
roundTrips('properties written on every call with what the last call held are no state', cases);

describe('what the next call reads is still state', () => {
  it('a stored previous output read by the next call is refused, even with the same numbers each time', () => {
    /** Adds what it returned last time (zeros at first). */
    class Feedback extends tg.nn.Module {
      prev: tg.Tensor | null = null;
      forward(x: tg.Tensor) {
        const y = tg.add(x, this.prev ?? tg.zerosLike(x));
        this.prev = tg.keep(tg.mul(y, 0).detach());
        return y;
      }
    }
    const m = new Feedback();
    throwsA(
      LayerStateExportError,
      () => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }), dynamicBatch: false }),
      [`layer '${m.name}' (Feedback) keeps state between calls`, "property 'prev'"],
    );
  });

  it('a fresh array holding a tensor that the next call reads is refused', () => {
    class Past extends tg.nn.Module {
      past: tg.Tensor[] = [];
      forward(x: tg.Tensor) {
        const y = this.past.length ? tg.add(x, this.past[0]) : x;
        this.past = [tg.keep(tg.mul(x, 0))];
        return y;
      }
    }
    const m = new Past();
    throwsA(
      LayerStateExportError,
      () => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }), dynamicBatch: false }),
      [`layer '${m.name}' (Past) keeps state between calls`, "property 'past'"],
    );
  });

  it('a memoized shape list that grows each call is refused', () => {
    class Shapes extends tg.nn.Module {
      seen: number[][] = [];
      forward(x: tg.Tensor) {
        this.seen = [...this.seen, [...x.shape]];
        return tg.mul(x, 2);
      }
    }
    throwsA(
      LayerStateExportError,
      () => tg.onnx.exportModel(new Shapes(), { sampleInput: tg.randn([2, 3]) }),
      ["property 'seen' (an array of 1 → an array of 2)"],
    );
  });
});

describe('a tg.nn module in train mode exports its eval-mode computation', () => {
  it('Conv2d → BatchNorm2d → Dropout: ORT equals the module in eval mode; train mode and running stats are kept', async () => {
    class Net extends tg.nn.Module {
      c = new tg.nn.Conv2d(3, 4, 3);
      bn = new tg.nn.BatchNorm2d(4);
      d = new tg.nn.Dropout(0.5);
      forward(x: tg.Tensor) {
        return this.d.forward(this.bn.forward(this.c.forward(x)));
      }
    }
    const m = new Net();
    // non-trivial running statistics from a few training steps
    for (let i = 0; i < 3; i++) tg.noGrad(() => m.forward(tg.randn([4, 3, 6, 6], { rng })));
    const mean = Float32Array.from(m.bn.runningMean!.data);
    const tracked = m.bn.numBatchesTracked;
    expect(m.training).toBe(true);
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3, 6, 6], { rng }) });
    expect(m.training).toBe(true);
    expect(m.bn.training).toBe(true);
    expect(Array.from(m.bn.runningMean!.data)).toEqual(Array.from(mean));
    expect(m.bn.numBatchesTracked).toBe(tracked);
    const s = await ort.InferenceSession.create(bytes);
    const x = tg.randn([3, 3, 6, 6], { rng });
    const got = (
      await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) })
    )[s.outputNames[0]].data as Float32Array;
    m.eval();
    const want = tg.noGrad(() => m.forward(x)).data;
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++)
      expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i])));
  });
});
