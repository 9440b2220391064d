// A user's layer that keeps state from one call to the next (a running counter, a stored previous input or output,
// a history array) cannot be an ONNX graph, which holds no state: tracing it would write the state of the traced call
// in as a constant (the file then computes one call forever), and the export's own traces would move the state on.
// Such a layer is refused with a LayerStateExportError naming the layer and the property, and the model is left as
// it was found. Layers that only fill a cache on their first call still export (ONNX Runtime Web's outputs equal
// tapegrad's), and stateful Keras RNNs keep their own frozen-state export (export-state.test.ts).
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { LayerStateExportError } from '../../../src/io/onnx/export-layer-state.js';
import { InputValueExportError } from '../../../src/io/onnx/export-values.js';
import { throwsA } from '../../support/throws.js';

ort.env.wasm.numThreads = 1;
const rng = new tg.Rng(17);

/** Keeps its last input and returns the mean of this input and the last one (the input itself on a first call). */
class PrevMean extends tg.nn.Module {
  prev: tg.Tensor | null = null;
  forward(x: tg.Tensor) {
    const y = this.prev ? tg.mul(tg.add(x, this.prev), 0.5) : x;
    this.prev = x.detach();
    return y;
  }
}

/** Scales its input by how many times it was called. */
class Counter extends tg.nn.Module {
  count = 0;
  lin = new tg.nn.Linear(3, 2);
  forward(x: tg.Tensor) {
    this.count++;
    return tg.mul(this.lin.forward(x), this.count);
  }
}

/** A Keras-style layer that records one entry per call in an array (changed in place). */
class Recorder extends tg.Layer {
  static override className = 'Recorder';
  history: number[] = [];
  call(x: tg.LayerIO): tg.LayerIO {
    this.history.push(this.history.length);
    return tg.add(x as tg.Tensor, this.history.length);
  }
}

async function ortRun(bytes: Uint8Array, x: tg.Tensor): Promise<Float32Array> {
  const s = await ort.InferenceSession.create(bytes);
  const r = await s.run({
    [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]),
  });
  return r[s.outputNames[0]].data as Float32Array;
}

describe('a layer that keeps state between calls is refused by name', () => {
  it('a stored previous input (fixed batch: traced before as the sample itself, silently wrong)', () => {
    const m = new PrevMean();
    const x = tg.randn([2, 3], { rng });
    throwsA(LayerStateExportError, () => tg.onnx.exportModel(m, { sampleInput: x, dynamicBatch: false }), [
      `layer '${m.name}' (PrevMean) keeps state between calls`,
      `its property 'prev' (a float32 tensor [2,3] → a float32 tensor [2,3])`,
      'An ONNX graph holds no state',
      'cannot be exported to ONNX',
    ]);
    expect(m.prev).toBe(null); // as found: the export's calls are undone
    // already called: the state it holds stays that very tensor
    tg.noGrad(() => m.forward(x));
    const held = m.prev;
    expect(() => tg.onnx.exportModel(m, { sampleInput: x })).toThrow(LayerStateExportError);
    expect(m.prev).toBe(held);
  });

  it('a call counter (a number, which would be baked into a Mul), inside a Sequential-free Module', () => {
    const m = new Counter();
    throwsA(LayerStateExportError, () => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }) }), [
      `layer '${m.name}' (Counter)`,
      `property 'count' (1 → 2)`,
    ]);
    expect(m.count).toBe(0);
  });

  it('a Keras-style layer in a Sequential that appends to an array in place', () => {
    const rec = new Recorder({});
    const m = tg.sequential();
    m.add(tg.layers.dense({ units: 3, inputShape: [4] }));
    m.add(rec);
    const before = [...rec.history];
    throwsA(LayerStateExportError, () => tg.onnx.exportModel(m, { batchSize: 2 }), [
      `layer '${rec.name}' (Recorder)`,
      `property 'history' (an array of `, // one more entry per call (building the model may call it too)
    ]);
    expect(rec.history).toEqual(before);
    expect((m.predict(tg.zeros([1, 4])) as tg.Tensor).shape).toEqual([1, 3]); // still usable
  });

  it('state in a closure is no property, nor randomness: the trace on other input values refuses them', () => {
    let calls = 0;
    class Closure extends tg.nn.Module {
      forward(x: tg.Tensor) {
        calls++;
        return tg.add(x, tg.full([3], calls));
      }
    }
    expect(() => tg.onnx.exportModel(new Closure(), { sampleInput: tg.randn([2, 3], { rng }) })).toThrow(
      InputValueExportError,
    );
    // random numbers drawn at inference are refused the same way, and the message says so
    class Noisy extends tg.nn.Module {
      forward(x: tg.Tensor) {
        return tg.add(x, tg.randn(x.shape));
      }
    }
    throwsA(
      InputValueExportError,
      () => tg.onnx.exportModel(new Noisy(), { sampleInput: tg.randn([2, 3], { rng }) }),
      ["gives primitive 'add' (input 1) a [2,3] constant", 'draws random numbers when not training'],
    );
  });

  it('a cache filled on the first call is no state: the model exports and ORT follows tapegrad', async () => {
    class Cached extends tg.nn.Module {
      scale: tg.Tensor | null = null;
      lin = new tg.nn.Linear(3, 2);
      forward(x: tg.Tensor) {
        this.scale ??= tg.full([2], 1.5);
        return tg.mul(this.lin.forward(x), this.scale);
      }
    }
    const m = new Cached();
    const bytes = tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }) });
    for (const n of [1, 3]) {
      const x = tg.randn([n, 3], { rng });
      const want = tg.noGrad(() => m.forward(x)).data;
      const got = await ortRun(bytes, x);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++)
        expect(Math.abs(got[i] - want[i])).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i])));
    }
  });
});

describe('state held in a tensor changed in place', () => {
  it('a count tensor incremented through .data (the trace would write its last value as a Constant)', () => {
    class TensorCount extends tg.nn.Module {
      count = tg.zeros([1]);
      forward(x: tg.Tensor) {
        this.count.data[0] += 1;
        return tg.mul(x, this.count);
      }
    }
    const m = new TensorCount();
    const held = m.count;
    throwsA(LayerStateExportError, () => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }) }), [
      `layer '${m.name}' (TensorCount)`,
      `property 'count' (a float32 tensor [1] whose values changed in place)`,
    ]);
    expect(m.count).toBe(held);
    expect(Array.from(m.count.data)).toEqual([0]);
  });

  it('a big state tensor (more than 65,536 values: compared by a hash, not copied) changed in place', () => {
    class BigState extends tg.nn.Module {
      acc = tg.zeros([70000]);
      forward(x: tg.Tensor) {
        this.acc.data[69999] += 1; // one value, at the end
        return tg.add(x, tg.sum(tg.slice(this.acc, [69997], [3])));
      }
    }
    throwsA(
      LayerStateExportError,
      () => tg.onnx.exportModel(new BigState(), { sampleInput: tg.randn([2, 3], { rng }) }),
      [`property 'acc' (a float32 tensor [70000] whose values changed in place)`],
    );
  });
});

describe('state in a plain object property', () => {
  it('a { count } object changed in place is named and put back', () => {
    class ObjCount extends tg.nn.Module {
      stats = { calls: 0 };
      forward(x: tg.Tensor) {
        this.stats.calls++;
        return tg.mul(x, this.stats.calls);
      }
    }
    const m = new ObjCount();
    throwsA(LayerStateExportError, () => tg.onnx.exportModel(m, { sampleInput: tg.randn([2, 3], { rng }) }), [
      `property 'stats' (Object whose entries changed in place)`,
    ]);
    expect(m.stats).toEqual({ calls: 0 });
  });
});
