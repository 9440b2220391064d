// Layout converters: the same model run in both layouts (Keras layers vs tg.nn modules, Keras-layout vs
// PyTorch-layout RNN loops, a Theano-style true convolution in plain loops) must give the same outputs.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';
import { kerasGru, kerasLstm, sigmoid, torchGru, torchLstm } from '../support/rnn-loops.js';

const L = tg.layouts;
const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    if (Math.abs(a[i] - b[i]) > tol * (1 + Math.abs(b[i]))) expect.fail(`index ${i}: ${a[i]} vs ${b[i]}`);
};
const rnd = (shape: number[], seed: number) => tg.randn(shape, { rng: new tg.Rng(seed) });
const seq = (t: tg.Tensor): number[][] => t.toArray() as number[][];

const fixtures = fileURLToPath(
  new URL('../../../shared/keras-fixtures/kerasjs-layers-k2/layers/recurrent/', import.meta.url),
);
function fixture(file: string, id: string) {
  const p = `${fixtures}${file}`;
  if (!existsSync(p))
    throw new Error(
      `Keras fixture missing: ${p.split('keras-fixtures/').pop()} (needs ../shared/keras-fixtures next to the repo)`,
    );
  return JSON.parse(readFileSync(p, 'utf8'))[id] as {
    input: { data: number[]; shape: number[] };
    weights: { data: number[]; shape: number[] }[];
    expected: { data: number[] };
  };
}

describe('conv kernels: Keras HWIO ↔ PyTorch OIHW ↔ Theano (flipped)', () => {
  it('a Keras Conv2D layer and tg.nn.Conv2d with converted weights agree (stride, padding, dilation)', () => {
    const keras = new tg.Conv2D({
      filters: 5,
      kernelSize: [3, 2],
      strides: [2, 1],
      dilationRate: 1,
      padding: 'valid',
    });
    const x = rnd([2, 9, 8, 3], 1);
    const yk = keras.apply(x) as tg.Tensor;
    keras.setWeights([rnd([3, 2, 3, 5], 2), rnd([5], 3)]);
    const y1 = keras.apply(x) as tg.Tensor;
    expect(yk.shape).toEqual(y1.shape);
    const torch = new tg.nn.Conv2d(3, 5, [3, 2], { stride: [2, 1] });
    const w = L.kerasToTorchConv(keras.kernel);
    expect(w.shape).toEqual([5, 3, 3, 2]);
    torch.weight.data.set(w.data);
    torch.bias!.data.set(keras.bias!.data);
    const yt = torch.forward(tg.transpose(x, [0, 3, 1, 2])) as tg.Tensor;
    close(tg.transpose(yt, [0, 2, 3, 1]).data, y1.data);
    // and back again, bit for bit
    expect(Array.from(L.torchToKerasConv(w).data)).toEqual(Array.from(keras.kernel.data));
  });

  it('Theano: the flipped OIHW kernel run as a TRUE convolution (plain loops) equals the Keras cross-correlation', () => {
    const K = rnd([3, 3, 2, 4], 5);
    const x = rnd([1, 6, 7, 2], 6);
    const y = tg.conv2d(x, K);
    const T = L.convertKernel(K, { from: 'keras', to: 'theano' });
    expect(T.shape).toEqual([4, 2, 3, 3]);
    // Theano conv2d (filter_flip=True): out[o,i,j] = Σ_c Σ_u Σ_v x[c, i+u, j+v] · T[o, c, 2−u, 2−v]
    const [H, W, C, O] = [6, 7, 2, 4];
    const xv = x.data;
    const out: number[] = [];
    for (let i = 0; i < H - 2; i++)
      for (let j = 0; j < W - 2; j++)
        for (let o = 0; o < O; o++) {
          let s = 0;
          for (let c = 0; c < C; c++)
            for (let u = 0; u < 3; u++)
              for (let v = 0; v < 3; v++)
                s += xv[((i + u) * W + (j + v)) * C + c] * T.data[((o * C + c) * 3 + (2 - u)) * 3 + (2 - v)];
          out.push(s);
        }
    close(y.data, out);
    expect(Array.from(L.convertKernel(T, { from: 'theano', to: 'tfjs' }).data)).toEqual(Array.from(K.data));
    expect(Array.from(L.convertKernel(T, { from: 'theano', to: 'torch' }).data)).toEqual(
      Array.from(L.kerasToTorchConv(K).data),
    );
  });

  it('flipKernel reverses only the spatial axes, in either layout', () => {
    const K = tg.tensor(
      Array.from({ length: 2 * 3 * 1 * 2 }, (_, i) => i),
      [2, 3, 1, 2],
    );
    const f = L.flipKernel(K, 'keras');
    // f[u,v,c,o] = K[1−u, 2−v, c, o]
    for (let u = 0; u < 2; u++)
      for (let v = 0; v < 3; v++)
        for (let o = 0; o < 2; o++)
          expect(f.data[(u * 3 + v) * 2 + o]).toBe(K.data[((1 - u) * 3 + (2 - v)) * 2 + o]);
    expect(Array.from(L.flipKernel(f, 'keras').data)).toEqual(Array.from(K.data));
    const t = L.flipKernel(L.kerasToTorchConv(K), 'torch');
    expect(Array.from(L.torchToKerasConv(t).data)).toEqual(Array.from(f.data));
  });

  it('Conv1D (k,in,out) ↔ PyTorch Conv1d (out,in,k): a Keras layer and tg.nn.Conv1d agree, bias included', () => {
    const keras = new tg.Conv1D({ filters: 4, kernelSize: 3, strides: 2 });
    const x = rnd([2, 11, 5], 7);
    keras.apply(x);
    keras.setWeights([rnd([3, 5, 4], 8), rnd([4], 9)]);
    const y = keras.apply(x) as tg.Tensor;
    const torch = new tg.nn.Conv1d(5, 4, 3, { stride: 2 });
    const w = L.convertKernel(keras.kernel, { from: 'keras', to: 'torch' });
    expect(w.shape).toEqual([4, 5, 3]);
    torch.weight.data.set(w.data);
    torch.bias!.data.set(keras.bias!.data);
    const yt = torch.forward(tg.transpose(x, [0, 2, 1])) as tg.Tensor;
    close(tg.transpose(yt, [0, 2, 1]).data, y.data);
  });

  it('errors name the layout and the shapes', () => {
    expect(() => L.convertKernel(tg.zeros([3, 3]), { from: 'keras', to: 'torch' })).toThrow(
      /1-D \[3 axes\] or 2-D \[4 axes\]/,
    );
    expect(() => L.convertKernel(tg.zeros([3, 3, 1, 1]), { from: 'caffe' as never, to: 'torch' })).toThrow(
      /unknown layout 'caffe'/,
    );
  });
});

describe('Dense kernel and bias folding', () => {
  it('Keras Dense [in,out] ↔ tg.nn.Linear [out,in]', () => {
    const d = new tg.Dense({ units: 3 });
    const x = rnd([4, 6], 10);
    d.apply(x);
    d.setWeights([rnd([6, 3], 11), rnd([3], 12)]);
    const lin = new tg.nn.Linear(6, 3);
    lin.weight.data.set(L.transposeDense(d.kernel).data);
    lin.bias!.data.set(d.bias!.data);
    close((lin.forward(x) as tg.Tensor).data, (d.apply(x) as tg.Tensor).data);
  });

  it('foldBias + appendOnes: [x, 1]·[W; b] = x·W + b, for Dense and for a conv via im2col', () => {
    const W = rnd([6, 3], 13);
    const b = rnd([3], 14);
    const x = rnd([4, 6], 15);
    close(tg.matmul(L.appendOnes(x), L.foldBias(W, b)).data, tg.add(tg.matmul(x, W), b).data);
    const K = rnd([3, 3, 2, 4], 16);
    const kb = rnd([4], 17);
    const img = rnd([1, 5, 5, 2], 18);
    const conv = tg.conv2d(img, K, kb);
    const folded = L.foldBias(K, kb);
    expect(folded.shape).toEqual([19, 4]);
    const g = {
      n: 1,
      h: 5,
      w: 5,
      c: 2,
      kh: 3,
      kw: 3,
      strideH: 1,
      strideW: 1,
      dilationH: 1,
      dilationW: 1,
      padTop: 0,
      padLeft: 0,
      outH: 3,
      outW: 3,
    };
    close(tg.matmul(L.appendOnes(tg.im2col(img, g)), folded).data, conv.data);
    expect(() => L.foldBias(W, rnd([4], 1))).toThrow(/bias \[4\] must be \[3\]/);
  });
});

describe('Flatten order: the first Dense after convolutions', () => {
  it('a PyTorch-style CNN (flatten C,H,W) and a Keras CNN (flatten H,W,C) agree only after fixFlattenOrder', () => {
    const conv = new tg.nn.Conv2d(2, 3, 3);
    const lin = new tg.nn.Linear(3 * 4 * 4, 5);
    const flat = new tg.nn.Flatten();
    const x = rnd([2, 2, 6, 6], 20); // NCHW
    const yTorch = lin.forward(flat.forward(tg.relu(conv.forward(x)))) as tg.Tensor;
    const kconv = new tg.Conv2D({ filters: 3, kernelSize: 3, activation: 'relu' });
    const kflat = new tg.Flatten();
    const dense = new tg.Dense({ units: 5 });
    const xl = tg.transpose(x, [0, 2, 3, 1]);
    const run = () => dense.apply(kflat.apply(kconv.apply(xl))) as tg.Tensor;
    run();
    kconv.setWeights([L.torchToKerasConv(conv.weight), conv.bias!]);
    // naive port: just transpose the Linear weight → wrong, since the 48 features come in another order
    dense.setWeights([L.transposeDense(lin.weight), lin.bias!]);
    const wrong = run();
    const maxDiff = Math.max(...Array.from(wrong.data, (v, i) => Math.abs(v - yTorch.data[i])));
    expect(maxDiff).toBeGreaterThan(1e-3);
    const fixed = L.fixFlattenOrder(L.transposeDense(lin.weight), {
      spatial: [4, 4],
      channels: 3,
      from: 'channelsFirst',
      to: 'channelsLast',
    });
    dense.setWeights([fixed, lin.bias!]);
    close(run().data, yTorch.data);
    // torch-layout kernels too, and the reverse direction restores the original
    const fixedT = L.fixFlattenOrder(lin.weight, {
      spatial: [4, 4],
      channels: 3,
      from: 'channelsFirst',
      to: 'channelsLast',
      kernelLayout: 'torch',
    });
    expect(Array.from(L.transposeDense(fixedT).data)).toEqual(Array.from(fixed.data));
    const back = L.fixFlattenOrder(fixed, {
      spatial: [4, 4],
      channels: 3,
      from: 'channelsLast',
      to: 'channelsFirst',
    });
    expect(Array.from(back.data)).toEqual(Array.from(L.transposeDense(lin.weight).data));
  });
});

describe('LSTM / GRU weights: Keras ↔ PyTorch', () => {
  it('the Keras-layout loops reproduce Keras itself (fixture recurrent.LSTM.1, GRU.1)', () => {
    for (const [file, id, f] of [
      [
        'LSTM.json',
        'recurrent.LSTM.1',
        (xs: number[][], w: number[][], u: number) => kerasLstm(xs, w[0], w[1], w[2], u, sigmoid, sigmoid),
      ],
      [
        'GRU.json',
        'recurrent.GRU.1',
        (xs: number[][], w: number[][], u: number) =>
          kerasGru(xs, w[0], w[1], w[2], u, false, sigmoid, sigmoid),
      ],
    ] as const) {
      const c = fixture(file, id);
      const [T, F] = c.input.shape;
      const xs = Array.from({ length: T }, (_, t) => c.input.data.slice(t * F, (t + 1) * F));
      const u = c.weights[1].shape[0];
      const hs = f(
        xs,
        c.weights.map((w) => w.data),
        u,
      );
      close(hs[T - 1], c.expected.data, 1e-4);
    }
  });

  it('LSTM: Keras loops and PyTorch loops with converted weights give the same sequence; and back', () => {
    const [inDim, u, T] = [4, 3, 5];
    const kernel = rnd([inDim, 4 * u], 21);
    const recurrentKernel = rnd([u, 4 * u], 22);
    const bias = rnd([4 * u], 23);
    const xs = seq(rnd([T, inDim], 24));
    const ref = kerasLstm(xs, kernel.data, recurrentKernel.data, bias.data, u);
    const t = L.lstmKerasToTorch({ kernel, recurrentKernel, bias });
    expect(t.weightIh.shape).toEqual([4 * u, inDim]);
    expect(t.weightHh.shape).toEqual([4 * u, u]);
    ref.forEach((h, i) =>
      close(torchLstm(xs, t.weightIh.data, t.weightHh.data, t.biasIh!.data, t.biasHh!.data, u)[i], h),
    );
    // a PyTorch model with two non-zero biases → Keras: the single bias is their sum
    const bih = rnd([4 * u], 25);
    const bhh = rnd([4 * u], 26);
    const torchOut = torchLstm(xs, t.weightIh.data, t.weightHh.data, bih.data, bhh.data, u);
    const k = L.lstmTorchToKeras({ weightIh: t.weightIh, weightHh: t.weightHh, biasIh: bih, biasHh: bhh });
    torchOut.forEach((h, i) =>
      close(kerasLstm(xs, k.kernel.data, k.recurrentKernel.data, k.bias!.data, u)[i], h),
    );
  });

  it('GRU (reset_after=true): gates z,r,h ↔ r,z,n and bias [2,3u] ↔ bias_ih, bias_hh', () => {
    const [inDim, u, T] = [3, 4, 6];
    const kernel = rnd([inDim, 3 * u], 31);
    const recurrentKernel = rnd([u, 3 * u], 32);
    const bias = rnd([2, 3 * u], 33);
    const xs = seq(rnd([T, inDim], 34));
    const ref = kerasGru(xs, kernel.data, recurrentKernel.data, bias.data, u, true);
    const t = L.gruKerasToTorch({ kernel, recurrentKernel, bias });
    const got = torchGru(xs, t.weightIh.data, t.weightHh.data, t.biasIh!.data, t.biasHh!.data, u);
    ref.forEach((h, i) => close(got[i], h));
    // without the reorder the outputs differ: the conversion is doing real work
    const naive = torchGru(
      xs,
      L.transposeDense(kernel).data,
      L.transposeDense(recurrentKernel).data,
      bias.data.slice(0, 3 * u),
      bias.data.slice(3 * u),
      u,
    );
    expect(Math.max(...naive[T - 1].map((v, i) => Math.abs(v - ref[T - 1][i])))).toBeGreaterThan(1e-3);
    const k = L.gruTorchToKeras(t);
    expect(Array.from(k.kernel.data)).toEqual(Array.from(kernel.data));
    expect(Array.from(k.bias!.data)).toEqual(Array.from(bias.data));
  });

  it('end to end: a Keras LSTM layer and tg.nn.LSTM with converted weights give the same sequence', () => {
    const [inDim, u, T, B] = [3, 4, 5, 2];
    const keras = tg.layers.lstm({ units: u, returnSequences: true });
    const x = rnd([B, T, inDim], 41);
    keras.apply(x);
    keras.setWeights([rnd([inDim, 4 * u], 42), rnd([u, 4 * u], 43), rnd([4 * u], 44)]);
    const yk = keras.apply(x) as tg.Tensor;
    const [kernel, recurrentKernel, bias] = keras.getWeights();
    const t = L.lstmKerasToTorch({ kernel, recurrentKernel, bias });
    const torch = new tg.nn.LSTM(inDim, u, { batchFirst: true });
    torch.setWeights([t.weightIh, t.weightHh, t.biasIh!, t.biasHh!]);
    const [yt] = torch.forward(x) as unknown as [tg.Tensor];
    close(yt.data, yk.data);
    // and both equal the plain Keras-layout loops
    for (let b = 0; b < B; b++)
      kerasLstm(
        seq(tg.slice(x, [b, 0, 0], [1, T, inDim]).reshape([T, inDim])),
        kernel.data,
        recurrentKernel.data,
        bias.data,
        u,
      ).forEach((h, i) => close(h, yk.data.slice((b * T + i) * u, (b * T + i + 1) * u)));
  });

  it('end to end: a Keras GRU layer (reset_after) and tg.nn.GRU with converted weights agree', () => {
    const [inDim, u, T, B] = [3, 4, 5, 2];
    const keras = tg.layers.gru({ units: u, returnSequences: true, resetAfter: true });
    const x = rnd([B, T, inDim], 51);
    keras.apply(x);
    keras.setWeights([rnd([inDim, 3 * u], 52), rnd([u, 3 * u], 53), rnd([2, 3 * u], 54)]);
    const yk = keras.apply(x) as tg.Tensor;
    const [kernel, recurrentKernel, bias] = keras.getWeights();
    const t = L.gruKerasToTorch({ kernel, recurrentKernel, bias });
    const torch = new tg.nn.GRU(inDim, u, { batchFirst: true });
    torch.setWeights([t.weightIh, t.weightHh, t.biasIh!, t.biasHh!]);
    const [yt] = torch.forward(x) as unknown as [tg.Tensor];
    close(yt.data, yk.data);
  });

  it('GRU reset_after=false cannot become a PyTorch GRU: a clear error', () => {
    const w = { kernel: rnd([3, 6], 1), recurrentKernel: rnd([2, 6], 2), bias: rnd([6], 3) };
    expect(() => L.gruKerasToTorch(w)).toThrow(/reset_after=false/);
    expect(() =>
      L.lstmKerasToTorch({ kernel: rnd([3, 8], 1), recurrentKernel: rnd([2, 6], 1), bias: null }),
    ).toThrow(/recurrent kernel \[u,4u\]/);
  });

  it('reorderGates moves whole blocks', () => {
    const t = tg.tensor([1, 1, 2, 2, 3, 3], [6]);
    expect(Array.from(L.reorderGates(t, 0, [1, 0, 2]).data)).toEqual([2, 2, 1, 1, 3, 3]);
    expect(() => L.reorderGates(t, 0, [0, 1, 2, 3])).toThrow(/not 4 equal gate blocks/);
  });
});
