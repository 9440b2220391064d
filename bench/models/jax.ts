// The seed encoder-decoder LSTM in jax-js (@jax-js/jax) as its users write it: explicit cells, the whole SGD step
// (loss, gradients and update) under `jit`, on its wasm device. jax-js moves arrays into calls (reference counts):
// an array used again is passed as `.ref`.
import { defaultDevice, init, jit, numpy as np, nn, valueAndGrad } from '@jax-js/jax';
import { LSTM } from '../lib/specs.js';

type A = np.Array;
type Params = A[];

/** One Keras-style LSTM layer over T inputs (gates i,f,c,o; relu activation, sigmoid recurrent). Consumes W, U, b. */
function lstmLayer(xs: A[], W: A, U: A, b: A): A[] {
  const n = xs[0].shape[0];
  let h = np.zeros([n, LSTM.units]);
  let c = np.zeros([n, LSTM.units]);
  const hs: A[] = [];
  for (const xt of xs) {
    const z = np.matmul(xt, W.ref).add(np.matmul(h, U.ref)).add(b.ref);
    const [i, f, g, o] = np.split(z, 4, 1);
    c = nn
      .sigmoid(f)
      .mul(c)
      .add(nn.sigmoid(i).mul(nn.relu(g)));
    h = nn.sigmoid(o).mul(nn.relu(c.ref));
    hs.push(h.ref);
  }
  h.dispose();
  c.dispose();
  W.dispose();
  U.dispose();
  b.dispose();
  return hs;
}

function loss(p: Params, x: A, y: A): A {
  const [W1, U1, b1, W2, U2, b2, Wd, bd, Wo, bo] = p;
  const { steps: T, features: F, units: U, out: O } = LSTM;
  const n = x.shape[0];
  const steps = Array.from({ length: T }, (_, s) => x.ref.slice([], s, []).reshape([n, F]));
  x.dispose();
  const encs = lstmLayer(steps, W1, U1, b1);
  const enc = encs.pop()!;
  encs.forEach((e) => e.dispose());
  const dec = lstmLayer(
    Array.from({ length: T }, (_, s) => (s < T - 1 ? enc.ref : enc)),
    W2,
    U2,
    b2,
  ); // RepeatVector(T)
  const seq = np.stack(dec, 1).reshape([n * T, U]);
  const d = nn.relu(np.matmul(seq, Wd).add(bd)); // TimeDistributed(Dense 100 relu)
  const out = np.matmul(d, Wo).add(bo).reshape([n, T, O]);
  return np.square(out.sub(y)).mean();
}

/** The LSTM epoch in jax-js: one jitted SGD step per mini-batch. */
export async function jaxLstm(
  initParams: Float32Array[],
  shapes: number[][],
  xs: Float32Array,
  ys: Float32Array,
) {
  // NOTE: init() with no argument probes WebGPU through `navigator`, which Node 20 lacks; ask for wasm only.
  await init('wasm');
  defaultDevice('wasm');
  const { samples: N, steps: T, features: F, out: O } = LSTM;
  let params: Params = initParams.map((p, i) => np.array(p).reshape(shapes[i]));
  const step = jit((p: Params, x: A, y: A): [A, Params] => {
    const [l, g] = valueAndGrad(loss)(
      p.map((v) => v.ref),
      x,
      y,
    );
    return [l, p.map((v, i) => v.sub(g[i].mul(LSTM.lr)))]; // p ← p − lr·∇p
  });
  return {
    epoch(batch: number): number {
      let last = 0;
      for (let s = 0; s < N; s += batch) {
        const n = Math.min(batch, N - s);
        const x = np.array(xs.subarray(s * T * F, (s + n) * T * F)).reshape([n, T, F]);
        const y = np.array(ys.subarray(s * T * O, (s + n) * T * O)).reshape([n, T, O]);
        const [l, next] = step(params, x, y);
        params = next;
        last = l.dataSync()[0];
      }
      return last;
    },
  };
}
