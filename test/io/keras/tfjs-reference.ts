// The independent reference for TF.js export: real @tensorflow/tfjs-layers on the cpu backend, loading what
// tapegrad wrote and predicting with it.
import * as tg from '../../../src/index.js';
import type { TfjsArtifacts } from '../../../src/io/keras/save-tfjs.js';
import { randF32 } from '../../support/backend.js';
import { compare } from './fixtures.js';
import { tf, tfl, useCpu } from '../../support/tfjs-layers.js';

export { tf, tfl, useCpu };

/** Class names in tfjs-layers' serialization registry (what its deserializer can build). */
export function tfjsRegisteredClasses(): Set<string> {
  void tfl.layers.dense; // keep tfjs-layers' registrations loaded
  const map = (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: object })
    .classNameMap;
  return new Set(Object.keys(map));
}

/** Load artifacts with real TF.js (strict: every weight must find its variable by name and shape). */
export function tfjsLoad(a: TfjsArtifacts | tf.io.ModelArtifacts): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(a as tf.io.ModelArtifacts), { strict: true });
}

/** TF.js's predictions for tapegrad tensors, as Float32Arrays (one per output). */
export function tfjsPredict(m: tfl.LayersModel, xs: tg.Tensor[]): Float32Array[] {
  return tf.tidy(() => {
    const ins = xs.map((x) =>
      tf.tensor(
        Array.from(x.data as ArrayLike<number>),
        [...x.shape],
        x.dtype === 'int32' ? 'int32' : 'float32',
      ),
    );
    const out = m.predict(ins.length === 1 ? ins[0] : ins);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

/** Expect tapegrad's model and a TF.js model to predict the same (float32 tolerance), naming the output. */
export function expectSamePredictions(
  what: string,
  m: tg.Model,
  tm: tfl.LayersModel,
  xs: tg.Tensor[],
  rtol = 1e-4,
  atol = 2e-5,
): void {
  const y = m.predict(xs.length === 1 ? xs[0] : xs);
  const ours = Array.isArray(y) ? y : [y];
  const theirs = tfjsPredict(tm, xs);
  if (ours.length !== theirs.length)
    throw new Error(`${what}: ${ours.length} outputs, TF.js gave ${theirs.length}`);
  ours.forEach((t, i) => {
    const c = compare(t.data as ArrayLike<number>, theirs[i], rtol, atol);
    if (!c.ok) throw new Error(`${what}: output ${i} differs from TF.js: ${c.worst}`);
  });
}

/** Deterministic uniform values in [lo, hi) (test/support's mulberry32), independent of tapegrad's own generator. */
export function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  return randF32(n, seed).map((v) => lo + ((hi - lo) * (v + 1)) / 2);
}

/** A float32 input of `shape` from `uniform` values in [-1, 1). */
export const randomInput = (shape: number[], seed: number): tg.Tensor =>
  tg.tensor(
    uniform(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );

/** Give every weight random values (variances positive), so no weight is left at an initializer's zeros or ones. */
export function randomizeWeights(m: tg.Model, seed: number): void {
  m.setWeights(
    m.weights.map((w, i) => {
      const positive = /variance/.test(w.name);
      const v = uniform(w.value.size, seed + i, positive ? 0.5 : -0.6, positive ? 1.5 : 0.6);
      return tg.tensor(v, [...w.value.shape]);
    }),
  );
}
