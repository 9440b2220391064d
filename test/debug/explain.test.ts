// explain(): every shape and count in the text is checked against arithmetic done here by hand
// (output sizes, im2col sizes, parameter counts) and against the ops an independent onOp listener sees.
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

/** Output length along one axis, computed independently of src/core/shape.ts. */
function outLen(
  n: number,
  k: number,
  s: number,
  d: number,
  padding: 'same' | 'valid' | number,
): { out: number; before: number; after: number } {
  const eff = d * (k - 1) + 1;
  if (padding === 'same') {
    const out = Math.ceil(n / s);
    const total = Math.max(0, (out - 1) * s + eff - n);
    return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
  }
  const p = padding === 'valid' ? 0 : padding;
  return { out: Math.floor((n + 2 * p - eff) / s) + 1, before: p, after: p };
}

/** The ops a run really dispatches, seen by a listener of our own. */
function opsOf(f: () => unknown): string[] {
  const seen: string[] = [];
  const off = tg.onOp((e) => seen.push(e.op));
  try {
    f();
  } finally {
    off();
  }
  return seen;
}

describe('explain: conv2d', () => {
  it('the seed layer: (16,16,12) input, 8 filters of (3,3,12)', () => {
    const layer = new tg.Conv2D({ filters: 8, kernelSize: 3 });
    const text = tg.explain(layer, [16, 16, 12], { backward: true });
    expect(text).toContain('8 filters, each 3×3×12');
    expect(text).toContain('kernel W [3,3,12,8] (HWIO), bias b [8]; output [1,14,14,8]');
    expect(text).toContain('Σ_{u<3} Σ_{v<3} Σ_{c<12} X[n, i+u, j+v, c] · W[u,v,c,o]');
    expect(text).toContain('cross-correlation');
    expect(text).toContain(`Parameters: (3·3·12+1)·8 = ${(3 * 3 * 12 + 1) * 8}`);
    expect(layer.countParams()).toBe(872);
    expect(text).toMatch(/cols = im2col\(X\)\s+\[1,16,16,12\] → \[196,108\]/);
    expect(text).toMatch(/Wmat = reshape\(W\)\s+\[3,3,12,8\] → \[108,8\]/);
    expect(text).toMatch(/matmul\(cols, Wmat\)\s+\[196,108\] · \[108,8\] → \[196,8\]/);
    expect(text).toContain("dW = colsᵀ · dY     [108,196] · [196,8] → [108,8], reshaped to W's [3,3,12,8]");
    expect(text).toContain('dX = col2im(dY · Wᵀ)  [196,8] · [8,108] → [196,108] → col2im → [1,16,16,12]');
    expect(text).toContain('db = Σ dY over its 196 rows → [8]');
    expect(text).toMatch(/dX = col2im\(dcols\)\s+\[196,108\] → \[1,16,16,12\]/);
  });

  it('the forward step count equals the ops an independent listener sees', () => {
    const layer = new tg.Conv2D({
      filters: 4,
      kernelSize: [3, 2],
      strides: 2,
      padding: 'same',
      activation: 'relu',
    });
    const text = tg.explain(layer, [1, 9, 7, 3]);
    const ops = opsOf(() => layer.apply(tg.zeros([1, 9, 7, 3])));
    expect(text).toContain(`Forward, as the ${ops.length} primitives that ran:`);
    const listed = text
      .split('Forward, as')[1]
      .split('\n')
      .slice(1)
      .filter((l) => /^\s+\S+ = \w+\(/.test(l))
      .map((l) => l.match(/= (\w+)\(/)![1]);
    expect(listed).toEqual(ops);
  });

  const cases: {
    h: number;
    w: number;
    c: number;
    k: [number, number];
    s: number;
    d: number;
    pad: 'same' | 'valid';
    o: number;
  }[] = [
    { h: 16, w: 16, c: 12, k: [3, 3], s: 1, d: 1, pad: 'valid', o: 8 },
    { h: 7, w: 8, c: 3, k: [3, 3], s: 2, d: 1, pad: 'same', o: 5 },
    { h: 10, w: 9, c: 2, k: [2, 4], s: 3, d: 1, pad: 'same', o: 4 },
    { h: 12, w: 11, c: 3, k: [3, 3], s: 1, d: 2, pad: 'valid', o: 2 },
    { h: 6, w: 6, c: 1, k: [4, 4], s: 2, d: 1, pad: 'same', o: 3 },
    { h: 9, w: 5, c: 4, k: [3, 1], s: 2, d: 2, pad: 'same', o: 6 },
  ];
  for (const cs of cases)
    it(`shapes and padding arithmetic: ${JSON.stringify(cs)}`, () => {
      const H = outLen(cs.h, cs.k[0], cs.s, cs.d, cs.pad);
      const W = outLen(cs.w, cs.k[1], cs.s, cs.d, cs.pad);
      const layer = new tg.Conv2D({
        filters: cs.o,
        kernelSize: cs.k,
        strides: cs.s,
        dilationRate: cs.d,
        padding: cs.pad,
      });
      const text = tg.explain(layer, [2, cs.h, cs.w, cs.c], { backward: true });
      const rows = 2 * H.out * W.out;
      const cols = cs.k[0] * cs.k[1] * cs.c;
      expect(text).toContain(`→ [${rows},${cols}]`);
      expect(text).toContain(`rows N·OH·OW = 2·${H.out}·${W.out} = ${rows}`);
      expect(text).toContain(`output [2,${H.out},${W.out},${cs.o}]`);
      expect(text).toContain(`= ${((cs.k[0] * cs.k[1] * cs.c + 1) * cs.o).toLocaleString('en-US')}   [`);
      if (cs.pad === 'same') {
        expect(text).toContain(`H: 'same' → out = ceil(${cs.h} / ${cs.s}) = ${H.out}; padding needed = max(`);
        expect(text).toContain(`= ${H.before + H.after} → ${H.before} before, ${H.after} after`);
        expect(text).toContain(`= ${W.before + W.after} → ${W.before} before, ${W.after} after`);
        if ((H.before + H.after) % 2 === 1) expect(text).toContain('the extra pixel goes at the bottom');
      } else {
        expect(text).toContain(`H: out = floor((${cs.h} + 0 + 0 − `);
        expect(text).toContain(`) / ${cs.s}) + 1 = ${H.out}`);
      }
      expect(text).toContain(`dW = colsᵀ · dY     [${cols},${rows}] · [${rows},${cs.o}] → [${cols},${cs.o}]`);
      expect(text).toContain(
        `dX = col2im(dY · Wᵀ)  [${rows},${cs.o}] · [${cs.o},${cols}] → [${rows},${cols}] → col2im → [2,${cs.h},${cs.w},${cs.c}]`,
      );
    });

  it('the stats.stackexchange question: 3×20×20 input, 5 filters 3×3 → dX via [324,5]·[5,27]', () => {
    const text = tg.explain({ op: 'conv2d', kernel: [5, 3, 3, 3], dataFormat: 'NCHW' }, [1, 3, 20, 20], {
      backward: true,
    });
    expect(text).toContain('kernel W [5,3,3,3] (OIHW)');
    expect(text).toContain('output [1,5,18,18]');
    expect(text).toContain('X[n, c, i+u, j+v] · W[o,c,u,v]');
    expect(text).toContain(
      'dX = col2im(dY · Wᵀ)  [324,5] · [5,27] → [324,27] → col2im → [1,20,20,3] → [1,3,20,20]',
    );
    expect(text).toMatch(/dW = transpose\(\w+, \[3,2,0,1\]\)\s+\[3,3,3,5\] → \[5,3,3,3\]/);
  });

  it('RGB input: each of 64 filters is 3·3·3 and the output has 64 channels', () => {
    const text = tg.explain(new tg.Conv2D({ filters: 64, kernelSize: 3 }), [32, 32, 3]);
    expect(text).toContain(
      '64 filters, each 3×3×3 (3·3 window × 3 input channels: every filter spans all input channels)',
    );
    expect(text).toContain('one channel per filter (64), not 64×3');
    expect(text).toContain(`(3·3·3+1)·64 = ${((27 + 1) * 64).toLocaleString('en-US')}`);
  });

  it('grouped conv: per-group channels in the formula and parameter count', () => {
    const text = tg.explain({ op: 'conv2d', kernel: [3, 3, 2, 6], groups: 2 }, [1, 5, 5, 4], {
      backward: true,
    });
    expect(text).toContain('6 filters, each 3×3×2');
    expect(text).toContain('groups=2');
    expect(text).toContain(`(3·3·2+1)·6 = ${(18 + 1) * 6}`);
    expect(text).not.toContain('In matrix form');
  });

  it('a PyTorch-style Conv2d module (NCHW, OIHW) with padding 1', () => {
    const m = new tg.nn.Conv2d(3, 4, 3, { padding: 1 });
    const text = tg.explain(m, [1, 3, 8, 8], { backward: true });
    expect(text).toContain('(PyTorch-style module)');
    expect(text).toContain('H: out = floor((8 + 1 + 1 − 3) / 1) + 1 = 8');
    expect(text).toContain(`= ${m.countParams()}`);
  });
});

describe('explain: conv1d, pooling, dense, LSTM', () => {
  it('conv1d causal with dilation pads (k−1)·d on the left only', () => {
    const text = tg.explain({ op: 'conv1d', kernel: [3, 4, 6], padding: 'causal', dilation: 2 }, [1, 10, 4]);
    // (3−1)·2 = 4 on the left, output length 10
    expect(text).toContain('length: out = floor((10 + 4 + 0 − ((3−1)·2+1 = 5)) / 1) + 1 = 10');
    expect(text).toContain('Y[n,t,o] = b[o] + Σ_{k<3} Σ_{c<4} X[n, t+k·2−4, c] · W[k,c,o]');
    expect(text).toMatch(/→ \[10,12\]/); // im2col rows N·L = 10, cols k·C = 12
  });

  it('a Keras Conv1D layer: (k, in, out) kernel and its parameter count', () => {
    const layer = new tg.Conv1D({ filters: 16, kernelSize: 5, strides: 2 });
    const text = tg.explain(layer, [50, 8]);
    const L = outLen(50, 5, 2, 1, 'valid').out;
    expect(text).toContain(`kernel W [5,8,16] (KIO)`);
    expect(text).toContain(`output [1,${L},16]`);
    expect(text).toContain(`(5·8+1)·16 = ${(40 + 1) * 16}`);
  });

  it('max pooling: per-channel, no parameters, argmax/take forward and scatterAdd backward', () => {
    const text = tg.explain(new tg.MaxPooling2D({ poolSize: 2, padding: 'same' }), [1, 5, 5, 4], {
      backward: true,
    });
    expect(text).toContain('output [1,3,3,4]');
    expect(text).toContain('pooling never mixes channels');
    expect(text).toContain('Parameters: none (0)');
    expect(text).toMatch(/idx = poolArgmax\(X\)\s+\[1,5,5,4\] → \[1,3,3,4\]/);
    expect(text).toMatch(/dX = scatterAdd\(dY, idx\)\s+\[1,3,3,4\], \[1,3,3,4\] → \[1,5,5,4\]/);
    expect(text).toContain('padding needed = max((3−1)·2 + 2 − 5, 0) = 1 → 0 before, 1 after');
  });

  it('average pooling through im2col; PyTorch MaxPool2d in NCHW', () => {
    const a = tg.explain({ op: 'avgPool2d', kernelSize: 3, stride: 2 }, [2, 7, 7, 3], { backward: true });
    expect(a).toContain('output [2,3,3,3]');
    expect(a).toMatch(/im2col\(X\)\s+\[2,7,7,3\] → \[18,27\]/);
    expect(a).toContain('col2im');
    const m = tg.explain(new tg.nn.MaxPool2d(2), [1, 4, 28, 28]);
    expect(m).toContain('output [1,4,14,14]');
  });

  it('dense: Keras [in,out] kernel vs PyTorch Linear [out,in], and the vjps in matrix form', () => {
    const k = tg.explain(new tg.Dense({ units: 10 }), [392], { backward: true });
    expect(k).toContain(`Parameters: (392+1)·10 = ${(393 * 10).toLocaleString('en-US')}`);
    expect(k).toContain('dW = Xᵀ · dY   [392,1] · [1,10] → [392,10]');
    expect(k).toContain('dX = dY · Wᵀ   [1,10] · [10,392] → [1,392]');
    const t = tg.explain(new tg.nn.Linear(196, 10), [4, 196], { backward: true });
    expect(t).toContain('W is [out, in] = [10,196]');
    expect(t).toContain('dX = dY · W   [4,10] · [10,196] → [4,196]');
    expect(t).toContain('dW = dYᵀ · X   [10,4] · [4,196] → [10,196]');
  });

  it('an LSTM step: gates named, 4·u·(in+u+1) parameters, fan-out accumulation in backward', () => {
    const text = tg.explain({ op: 'lstm', units: 3 }, [2, 5], { backward: true });
    expect(text).toContain(`4·3·(5 + 3 + 1) = ${4 * 3 * 9}`);
    expect(text).toMatch(/z_f = slice\(z\)\s+\[2,12\] → \[2,3\]/);
    expect(text).toMatch(/f = sigmoid\(z_f\)/);
    expect(text).toMatch(/c' = add\(/);
    // z feeds four slices, so the walker adds four contributions
    expect(text.match(/its gradients add up/g)!.length).toBe(3);
    expect(text).toContain('dW [5,12]');
    expect(text).toContain('dU [3,12]');
  });
});

describe('explain: a Keras LSTM layer (one step of its own code)', () => {
  it('runs the real layer on a one-step sequence; counts and ops match the layer', () => {
    const layer = tg.layers.lstm({ units: 3 });
    const text = tg.explain(layer, [2, 5, 4], { backward: true });
    expect(layer.countParams()).toBe(4 * 3 * (4 + 3 + 1));
    expect(text).toContain(`4·3·(4 + 3 + 1) = ${layer.countParams()}`);
    const ops = opsOf(() => layer.apply(tg.zeros([2, 1, 4])));
    expect(text).toContain(`Forward, as the ${ops.length} primitives that ran:`);
    expect(text).toMatch(/z_o = slice\(z\)\s+\[2,12\] → \[2,3\]/);
    expect(text).toContain('dW [4,12]');
    expect(text).toContain('dU [3,12]');
  });
});

describe('explain: the text follows the options the layer was given', () => {
  it('tg.nn.AvgPool2d counts padding by default (as PyTorch), and says so; countIncludePad false does not', () => {
    const inc = new tg.nn.AvgPool2d(3, 2, 1);
    const text = tg.explain(inc, [1, 1, 4, 4]);
    // on ones, the corner window holds 4 real inputs of 9 cells: 4/9 only when padding counts
    expect((inc.apply(tg.ones([1, 1, 4, 4])) as tg.Tensor).data[0]).toBeCloseTo(4 / 9, 6);
    expect(text).toContain('Y[n,c,i,j] = (Σ_{u<3, v<3} X[n, c, i·2+u−1, j·2+v−1]) / count[i,j]');
    expect(text).toContain(
      "Padded positions count as zeros (countIncludePad true, tg.nn.AvgPool2d's default",
    );
    expect(text).not.toContain('not counted');
    const exc = tg.explain(new tg.nn.AvgPool2d(3, 2, 1, false, false), [1, 1, 4, 4]);
    expect(exc).toContain('Padded positions are not counted (countIncludePad false)');
    const keras = tg.explain(new tg.AveragePooling2D({ poolSize: 2, padding: 'same' }), [5, 5, 1]);
    expect(keras).toContain('Padded positions are not counted (Keras)');
  });

  it('divisorOverride is the divisor in the math line and the text', () => {
    const text = tg.explain(new tg.nn.AvgPool2d(2, 2, 0, false, true, 3), [1, 1, 4, 4]);
    expect(text).toContain('Y[n,c,i,j] = (Σ_{u<2, v<2} X[n, c, i·2+u, j·2+v]) / 3');
    expect(text).toContain('divided by divisorOverride = 3');
    expect(text).not.toContain('Padded positions');
  });

  it('ceilMode: the output size rounds up, the given padding shown as given', () => {
    const text = tg.explain(new tg.nn.MaxPool2d(2, 2, 0, 1, false, true), [1, 1, 5, 5]);
    expect(text).toContain('output [1,1,3,3]');
    expect(text).toContain(
      'H: ceilMode → out = ceil((5 + 0 + 0 − 2) / 2) + 1 = 3; the last window hangs past',
    );
    const avg = tg.explain(new tg.nn.AvgPool2d(3, 2, 1, true), [1, 1, 6, 6]);
    expect(avg).toContain('not the cells ceilMode lets a last window hang past it');
  });

  it('conv paddingMode: the padding holds what the module pads with, sizes on the real input', () => {
    const text = tg.explain(new tg.nn.Conv2d(1, 2, 3, { padding: 1, paddingMode: 'reflect' }), [1, 1, 5, 5]);
    expect(text).toContain("mirrored at its edge (paddingMode 'reflect'");
    expect(text).not.toContain('zero padding');
    expect(text).toContain('X[n, c, i+u−1, j+v−1]');
    expect(text).toContain('H: out = floor((5 + 1 + 1 − 3) / 1) + 1 = 5 (1 before, 1 after)');
    const circ = tg.explain(new tg.nn.Conv1d(1, 2, 3, { padding: 2, paddingMode: 'circular' }), [1, 1, 6]);
    expect(circ).toContain("wrap around to the other side (paddingMode 'circular')");
    expect(circ).toContain('length: out = floor((6 + 2 + 2 − 3) / 1) + 1 = 8 (2 before, 2 after)');
  });

  it('an LSTM without bias and with other activations: the math and count are the layer’s', () => {
    const layer = tg.layers.lstm({
      units: 3,
      useBias: false,
      activation: 'relu',
      recurrentActivation: 'hard_sigmoid',
    });
    const text = tg.explain(layer, [5, 2]);
    expect(layer.countParams()).toBe(60);
    expect(text).toContain('Parameters: 4·3·(2 + 3) = 60');
    expect(text).toContain('z = x·W + h·U   ');
    expect(text).not.toContain('+ b');
    expect(text).toContain('g = relu(z[:, 2u:3u])');
    expect(text).toContain("h' = o⊙relu(c')");
    expect(text).toContain("σ is the layer's recurrentActivation, hard_sigmoid; relu is its activation.");
    expect(text).not.toContain('tanh(');
  });

  it('Dense and Conv math lines end with the layer activation', () => {
    const d = tg.explain(new tg.Dense({ units: 3, activation: 'softmax' }), [4]);
    expect(d).toContain('Z[n,o] = b[o] + Σ_{i<4} X[n,i] · W[i,o]');
    expect(d).toContain('Y = softmax(Z) over the last axis');
    const c = tg.explain(new tg.Conv2D({ filters: 2, kernelSize: 3, activation: 'relu' }), [5, 5, 1]);
    expect(c).toContain('Z[n,i,j,o] = b[o] + Σ_{u<3}');
    expect(c).toContain('Y = relu(Z), elementwise');
    expect(tg.explain(new tg.Dense({ units: 3 }), [4])).toContain('Y[n,o] = b[o] + Σ_{i<4}');
  });
});

describe('explain: errors', () => {
  it('names what is wrong', () => {
    expect(() => tg.explain({ op: 'conv3d' } as never, [1, 2, 3])).toThrow(/unknown target/);
    expect(() => tg.explain(new tg.Flatten(), [2, 3])).toThrow(/no explanation for Flatten/);
    expect(() => tg.explain(new tg.Conv2D({ filters: 2, kernelSize: 3 }), [5, 5])).toThrow(/rank-4 input/);
    expect(() => tg.explain({ op: 'conv2d', kernel: [3, 3, 2] }, [1, 5, 5, 2])).toThrow(/rank-4 shape/);
    expect(() => tg.explain({ op: 'conv2d', kernel: [3, 3, 2, 4] }, [1, 5, 5, 3])).toThrow(
      /3 channels but the kernel \[3,3,2,4\] expects 2/,
    );
  });
});
