// Keras files dropped on the page, read in the worker: load (.h5, .keras, TF.js model.json + shards, or an
// architecture .json with its weights), run on a dropped .npy or a probe input, and report.
import * as tg from 'tapegrad';
import type { KerasFileMsg, KerasResult } from './protocol.js';

/** The dropped model the draw pad also asks, when it takes a 28×28 digit. */
export interface LoadedKeras {
  model: tg.Model;
  takesDigit: boolean;
  shape: number[];
}

/** Probe input for a model: x[i] = sin(0.1·i) over the batch-1 input shape (the Node test computes the same). */
export function probeInput(shape: number[]): tg.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tg.tensor(
    Float32Array.from({ length: n }, (_, i) => Math.sin(0.1 * i)),
    shape,
  );
}

export async function loadKeras(
  files: KerasFileMsg[],
): Promise<{ result: KerasResult; loaded: LoadedKeras }> {
  const npy = files.find((f) => f.name.endsWith('.npy'));
  const bins = files.filter((f) => f.name.endsWith('.bin'));
  const models = files.filter((f) => f !== npy && !bins.includes(f));
  const shards = Object.fromEntries(bins.map((b) => [b.name, new Uint8Array(b.bytes)]));
  const bytes = (f: KerasFileMsg): Uint8Array => new Uint8Array(f.bytes);
  // An architecture JSON (model.to_json()) with a weights file is loaded as { config, weights }.
  const isConfig = (f: KerasFileMsg): boolean =>
    tg.sniffContainer(bytes(f)) === 'json' &&
    !/"(weightsManifest|modelTopology)"/.test(new TextDecoder().decode(bytes(f)));
  const config = models.length === 2 ? models.find(isConfig) : undefined;
  const weights = config && models.find((f) => f !== config);
  const main = config ?? models[0];
  if (!main || (models.length > 1 && !weights))
    throw new Error(
      `drop one model file (.h5, .keras, model.json with its .bin shards) or an architecture .json with its weights .h5; got ${files.map((f) => f.name).join(', ')}`,
    );
  const name = weights ? `${main.name} + ${weights.name}` : main.name;
  const m = weights
    ? // NOTE: the config is passed parsed: tg.keras.loadModel takes a Uint8Array config for a parsed JSON object.
      await tg.keras.loadModel({
        config: tg.parseJsonSafe(new TextDecoder().decode(bytes(main)), main.name) as Record<string, unknown>,
        weights: bytes(weights),
      })
    : await tg.keras.loadModel(bytes(main), { name: main.name, shards });
  const ins =
    m instanceof tg.Functional ? m.inputs.map((t) => t.shape) : [m.builtInputShape as (number | null)[]];
  if (ins.length !== 1 || !ins[0])
    throw new Error(`${name}: the page runs single-input models; this one has ${ins.length} inputs`);
  const inputShape = ins[0];
  let x: tg.Tensor;
  let inputSource: string;
  if (npy) {
    const a = tg.parseNpy(new Uint8Array(npy.bytes), npy.name);
    x = tg.tensor(a.data, a.shape);
    inputSource = `${npy.name} ${JSON.stringify(a.shape)}`;
  } else {
    const shape = inputShape.map((d) => d ?? 1);
    x = probeInput(shape);
    inputSource = `probe x[i] = sin(0.1·i), shape ${JSON.stringify(shape)}`;
  }
  const y = m.predict(x) as tg.Tensor;
  const dims = inputShape.slice(1).join(',');
  const takesDigit = dims === '28,28,1' || dims === '28,28' || dims === '784';
  const loaded = { model: m, takesDigit, shape: [1, ...inputShape.slice(1).map((d) => d ?? 1)] };
  const result: KerasResult = {
    name,
    report: tg.keras.formatReport(m.loadReport),
    summary: m.summary({ print: false }),
    inputShape,
    inputSource,
    outputShape: [...y.shape],
    output: Array.from(y.toFlatArray()),
    takesDigit,
  };
  return { result, loaded };
}
