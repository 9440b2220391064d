// tg.models.modelFromJSON(json, customObjects) against real @tensorflow/tfjs-layers 4.22: the same topology (Dense
// then a custom 'Scale' layer) loaded by TF.js with its own custom class and by tapegrad with a tg.Layer subclass of
// the same name gives the same predictions, and both classes receive the same camelCase config (TF.js
// `convertPythonicToTs`). customObjects also takes what tg.keras.registerLayer takes, is scoped to the call (no
// global registration left behind, and it wins over one), and refuses values it cannot run by name.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';
import { tf, tfl, useCpu } from './tfjs-reference.js';

beforeAll(useCpu);
afterEach(() => tg.keras.registerLayer('Scale', null));

/** tapegrad's custom layer: x · gain · scaleFactor, gain one weight per feature. */
class Scale extends tg.Layer {
  static override className = 'Scale';
  static seen: Record<string, unknown>[] = [];
  readonly scaleFactor: number;
  constructor(args: tg.LayerArgs & { scaleFactor?: number; modeName?: string } = {}) {
    super(args);
    Scale.seen.push({ ...args });
    this.scaleFactor = args.scaleFactor ?? 1;
  }
  override build(s: tg.Shape | tg.Shape[]): void {
    const shape = s as tg.Shape;
    this.addWeight('gain', [shape[shape.length - 1]], 'ones');
  }
  call(x: tg.LayerIO): tg.LayerIO {
    return tg.mul(tg.mul(x as tg.Tensor, this.ownWeights[0].value), this.scaleFactor);
  }
}

/** TF.js's custom layer doing the same, with the config keys Keras would write. */
class TfScale extends tfl.layers.Layer {
  static className = 'Scale';
  static seen: Record<string, unknown>[] = [];
  scaleFactor: number;
  modeName: string;
  gain!: tfl.LayerVariable;
  constructor(config: { scaleFactor?: number; modeName?: string; name?: string }) {
    super(config);
    TfScale.seen.push({ ...config });
    this.scaleFactor = config.scaleFactor ?? 1;
    this.modeName = config.modeName ?? 'per_unit';
  }
  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const s = inputShape as tfl.Shape;
    this.gain = this.addWeight('gain', [s[s.length - 1] as number], 'float32', tfl.initializers.ones());
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => tf.mul(tf.mul(x, this.gain.read()), this.scaleFactor));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale_factor: this.scaleFactor, mode_name: this.modeName };
  }
}

/**
 * TF.js's topology of a functional model: Dense(3) on 4 features, then Scale(scaleFactor 2.5, modeName 'per_unit').
 * NOTE: functional, because TF.js 4.22's Sequential.fromConfig drops customObjects for its layers (and then fails
 * in deserializeKerasObject, which reads `_GLOBAL_CUSTOM_OBJECTS['className']`); its functional models pass them on.
 */
function topology(): Record<string, tg.JsonValue> {
  const inp = tfl.input({ shape: [4], name: 'x' });
  const d = tfl.layers.dense({ units: 3, name: 'd' }).apply(inp) as tfl.SymbolicTensor;
  const out = new TfScale({ scaleFactor: 2.5, modeName: 'per_unit', name: 'scale' }).apply(
    d,
  ) as tfl.SymbolicTensor;
  return tfl.model({ inputs: inp, outputs: out }).toJSON(null, false) as Record<string, tg.JsonValue>;
}

const X = [0.5, -1, 0.25, 2, 1.5, 0.5, -0.5, 0];
const KERNEL = [0.2, -0.1, 0.3, -0.4, 0.5, 0.1, 0.3, 0.2, -0.6, 0.1, -0.3, 0.2];
const BIAS = [0.05, -0.05, 0.1];
const GAIN = [1.5, -2, 0.5];

describe('modelFromJSON with customObjects', () => {
  it('a tg.Layer subclass: the same predictions and the same camelCase config as TF.js with its class', async () => {
    Scale.seen = [];
    TfScale.seen = [];
    const json = topology();
    const ours = await tg.models.modelFromJSON(json, { Scale });
    // TF.js's customObjects holds [class, fromConfig] pairs, as its class registry (deserializeKerasObject)
    const theirs = await tfl.models.modelFromJSON(json as tf.serialization.ConfigDict, {
      Scale: [TfScale, TfScale.fromConfig] as never,
    });
    ours.setWeights([tg.tensor(KERNEL, [4, 3]), tg.tensor(BIAS, [3]), tg.tensor(GAIN, [3])]);
    theirs.setWeights([tf.tensor(KERNEL, [4, 3]), tf.tensor(BIAS, [3]), tf.tensor(GAIN, [3])]);
    const got = (ours.predict(tg.tensor(X, [2, 4])) as tg.Tensor).data;
    const want = (theirs.predict(tf.tensor(X, [2, 4])) as tf.Tensor).dataSync();
    expect(got.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(got[i]).toBeCloseTo(want[i], 6);
    // and by hand: (x·K + b) · gain · 2.5
    const row0 = [0, 1, 2].map(
      (j) => (BIAS[j] + [0, 1, 2, 3].reduce((a, k) => a + X[k] * KERNEL[k * 3 + j], 0)) * GAIN[j] * 2.5,
    );
    row0.forEach((v, j) => expect(got[j]).toBeCloseTo(v, 6));
    // the config each class received: TF.js's convertPythonicToTs (keys and string values camelCase, the name kept)
    const mine = Scale.seen.at(-1)!;
    const tfs = TfScale.seen.at(-1)!;
    expect(mine.scaleFactor).toBe(2.5);
    expect(mine.modeName).toBe(tfs.modeName);
    expect(mine.modeName).toBe('perUnit');
    expect(mine.name).toBe(tfs.name);
    expect(ours.layers.map((l) => l.className)).toEqual(['InputLayer', 'Dense', 'Scale']);
  });
  it('what registerLayer takes ({call}, a forward function, {layer}), scoped to the call', async () => {
    const json = topology();
    const fwd = (x: tg.Tensor | tg.Tensor[], w: tg.Tensor[], cfg: Record<string, unknown>) =>
      tg.mul(tg.mul(x as tg.Tensor, w[0]), cfg.scale_factor as number);
    const impls = [
      { call: fwd, weights: () => [{ name: 'gain', shape: [3] }] },
      {
        layer: (cfg: Record<string, unknown>, args: tg.LayerArgs) =>
          new Scale({ ...args, scaleFactor: cfg.scale_factor as number }),
      },
    ];
    // TF.js's own shape, [class, fromConfig] (what its class registry holds); fromConfig null: new cls(config)
    const fromConfig = (cls: unknown, cfg: Record<string, unknown>) =>
      new (cls as typeof Scale)({ ...cfg, scaleFactor: cfg.scaleFactor as number });
    impls.push([Scale, fromConfig] as never, [Scale, null] as never);
    for (const impl of impls) {
      const m = await tg.models.modelFromJSON(json, { Scale: impl });
      m.setWeights([tg.tensor(KERNEL, [4, 3]), tg.tensor(BIAS, [3]), tg.tensor(GAIN, [3])]);
      const y = (m.predict(tg.tensor(X, [2, 4])) as tg.Tensor).data;
      const d0 = BIAS[0] + [0, 1, 2, 3].reduce((a, k) => a + X[k] * KERNEL[k * 3], 0);
      expect(y[0]).toBeCloseTo(d0 * GAIN[0] * 2.5, 6);
    }
    // nothing left registered: without customObjects the class is unknown again
    await expect(tg.models.modelFromJSON(json)).rejects.toThrow(/Scale/);
    // and the call's entry wins over a global registration of the class (as TF.js's customObjects)
    tg.keras.registerLayer('Scale', () => {
      throw new Error('the global registration ran');
    });
    const m = await tg.models.modelFromJSON(json, { Scale });
    expect(() => m.predict(tg.ones([1, 4]))).not.toThrow();
  });
  it('values it cannot run are refused by name', async () => {
    const json = topology();
    await expect(tg.models.modelFromJSON(json, { Scale: 5 })).rejects.toThrow(
      /modelFromJSON: customObjects\['Scale'\] must be a tg.Layer subclass, TF.js's pair .*; got a number/,
    );
    await expect(tg.models.modelFromJSON(json, { Scale: TfScale })).rejects.toThrow(
      /customObjects\['Scale'\].*a class that does not extend tg.Layer/,
    );
    await expect(tg.models.modelFromJSON(json, { Scale: [TfScale, TfScale.fromConfig] })).rejects.toThrow(
      /customObjects\['Scale'\].*a class that does not extend tg.Layer/,
    );
    await expect(tg.models.modelFromJSON(json, { Scale: [Scale, () => 3] })).rejects.toThrow(
      /customObjects\['Scale'\]: fromConfig must return a tg.Layer, got a number/,
    );
    await expect(tg.models.modelFromJSON(json, 'Scale' as never)).rejects.toThrow(
      /customObjects must be an object \{className: layer class or implementation\}/,
    );
  });
});
