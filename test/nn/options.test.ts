// One rule for options: every tg.layers factory, model method and reader refuses an unknown key by name,
// listing the keys it knows; and each still accepts its minimal valid options (so the refusal is the key's doing).
import { describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

/** Minimal valid options for each factory of tg.layers (a new factory fails the coverage test until listed). */
const minimal: Record<string, () => Record<string, unknown>> = {
  inputLayer: () => ({ shape: [2] }),
  dense: () => ({ units: 1 }),
  flatten: () => ({}),
  activation: () => ({ activation: 'relu' }),
  dropout: () => ({ rate: 0.5 }),
  spatialDropout1d: () => ({ rate: 0.5 }),
  spatialDropout2d: () => ({ rate: 0.5 }),
  spatialDropout3d: () => ({ rate: 0.5 }),
  reshape: () => ({ targetShape: [2] }),
  permute: () => ({ dims: [1] }),
  repeatVector: () => ({ n: 2 }),
  conv2d: () => ({ filters: 1, kernelSize: 1 }),
  conv1d: () => ({ filters: 1, kernelSize: 1 }),
  maxPooling2d: () => ({}),
  averagePooling2d: () => ({}),
  maxPooling1d: () => ({}),
  averagePooling1d: () => ({}),
  globalMaxPooling2d: () => ({}),
  globalAveragePooling2d: () => ({}),
  globalMaxPooling1d: () => ({}),
  globalAveragePooling1d: () => ({}),
  maxPool2d: () => ({}),
  avgPool2d: () => ({}),
  globalAvgPool2d: () => ({}),
  depthwiseConv2d: () => ({ kernelSize: 1 }),
  separableConv2d: () => ({ filters: 1, kernelSize: 1 }),
  conv2dTranspose: () => ({ filters: 1, kernelSize: 1 }),
  zeroPadding1d: () => ({}),
  zeroPadding2d: () => ({}),
  cropping1d: () => ({}),
  cropping2d: () => ({}),
  cropping2D: () => ({}),
  upSampling1d: () => ({}),
  upSampling2d: () => ({}),
  batchNormalization: () => ({}),
  layerNormalization: () => ({}),
  embedding: () => ({ inputDim: 3, outputDim: 2 }),
  gaussianNoise: () => ({ stddev: 0.1 }),
  gaussianDropout: () => ({ rate: 0.1 }),
  add: () => ({}),
  subtract: () => ({}),
  multiply: () => ({}),
  average: () => ({}),
  maximum: () => ({}),
  minimum: () => ({}),
  concatenate: () => ({}),
  dot: () => ({ axes: 1 }),
  leakyReLU: () => ({}),
  prelu: () => ({}),
  elu: () => ({}),
  reLU: () => ({}),
  thresholdedReLU: () => ({}),
  softmax: () => ({}),
  simpleRNN: () => ({ units: 1 }),
  lstm: () => ({ units: 1 }),
  gru: () => ({ units: 1 }),
  timeDistributed: () => ({ layer: tg.layers.dense({ units: 1 }) }),
  bidirectional: () => ({ layer: tg.layers.lstm({ units: 1 }) }),
  conv3d: () => ({ filters: 1, kernelSize: 1 }),
  maxPooling3d: () => ({}),
  averagePooling3d: () => ({}),
  avgPool3d: () => ({}),
  avgPooling3d: () => ({}),
  globalMaxPooling3d: () => ({}),
  globalAveragePooling3d: () => ({}),
  zeroPadding3d: () => ({}),
  cropping3d: () => ({}),
  upSampling3d: () => ({}),
  masking: () => ({}),
  alphaDropout: () => ({ rate: 0.5 }),
  activityRegularization: () => ({}),
  groupNormalization: () => ({}),
  unitNormalization: () => ({}),
  rescaling: () => ({ scale: 2 }),
  identity: () => ({}),
  attention: () => ({}),
  additiveAttention: () => ({}),
  multiHeadAttention: () => ({ numHeads: 2, keyDim: 3 }),
};

type Factory = (a: Record<string, unknown>) => tg.Layer;
const factories = Object.entries(tg.layers) as [string, Factory][];

describe('every tg.layers factory refuses an unknown option by name', () => {
  it('lists minimal options for every factory', () => {
    expect(Object.keys(minimal).sort()).toEqual(factories.map(([k]) => k).sort());
  });
  for (const [name, make] of factories)
    it(name, () => {
      expect(make(minimal[name]())).toBeInstanceOf(tg.Layer);
      let err: unknown;
      try {
        make({ ...minimal[name](), unitz: 3 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(tg.ValueError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/^\w+: unknown option 'unitz' \(known: [\w, ]+\)$/);
      // the known list names every option the minimal call used, and the shared LayerArgs
      const shared = name === 'inputLayer' ? ['name', 'dtype'] : ['name', 'inputShape', 'trainable', 'dtype'];
      for (const k of [...Object.keys(minimal[name]()), ...shared]) expect(msg).toContain(k);
    });
});

describe('layer classes check too, and the lists follow the types', () => {
  it('new Dense with a misspelt option names it and the known ones', () => {
    expect(() => new tg.Dense({ units: 2, activaton: 'relu' } as tg.DenseArgs)).toThrow(
      "Dense: unknown option 'activaton' (known: units, activation, useBias, kernelInitializer, biasInitializer, inputDim, kernelRegularizer, biasRegularizer, activityRegularizer, name, inputShape, batchInputShape, batchSize, trainable, dtype)",
    );
  });
  it('an option of another class is refused (recurrentActivation on SimpleRNN)', () => {
    expect(() => tg.layers.simpleRNN({ units: 2, recurrentActivation: 'sigmoid' } as tg.RNNArgs)).toThrow(
      /SimpleRNN: unknown option 'recurrentActivation'/,
    );
  });
  it('options that are not an object are refused', () => {
    expect(() => tg.layers.dense(3 as unknown as tg.DenseArgs)).toThrow(
      'Dense: options must be an object, got number',
    );
  });
  it('a user subclass of Layer keeps working with extra keys (it has not declared options)', () => {
    class MyLayer extends tg.Layer {
      constructor(args: tg.LayerArgs & { scale: number }) {
        super(args);
      }
      call(x: tg.LayerIO) {
        return x;
      }
    }
    expect(new MyLayer({ scale: 2 }).name).toMatch(/^my_layer/);
  });
  it('Sequential, model and input refuse unknown keys', () => {
    expect(() => tg.sequential({ layer: [] } as never)).toThrow(
      /Sequential: unknown option 'layer' \(known: layers, name/,
    );
    const i = tg.input({ shape: [2] });
    expect(() => tg.model({ inputs: i, outputs: i, output: i } as never)).toThrow(
      /Functional: unknown option 'output' \(known: inputs, outputs, name/,
    );
    expect(() => tg.input({ shape: [2], batch: 3 } as never)).toThrow(
      "InputLayer: unknown option 'batch' (known: shape, inputShape, batchShape, batchInputShape, batchSize, name, dtype, sparse)",
    );
    // TF.js's names work: inputShape + batchSize is batchShape
    expect(tg.input({ inputShape: [2], batchSize: 3 }).shape).toEqual([3, 2]);
    expect(tg.input({ batchInputShape: [null, 4] }).shape).toEqual([null, 4]);
    expect(() => tg.input({ shape: [2], sparse: true } as never)).toThrow(/sparse: true is not supported/);
  });
});

describe('model methods refuse unknown options', () => {
  const m = () => {
    const s = tg.sequential({ name: 'm' });
    s.add(tg.layers.dense({ units: 2, inputShape: [3] }));
    return s;
  };
  const x = tg.zeros([4, 3]);
  const y = tg.zeros([4, 2]);
  it('compile', () => {
    expect(() => m().compile({ optimizer: 'sgd', loss: 'mse', metric: ['mse'] } as never)).toThrow(
      "m.compile: unknown option 'metric' (known: optimizer, loss, metrics)",
    );
  });
  it('fit (a rejected promise), evaluate, predict and summary', async () => {
    const model = m();
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(model.fit(x, y, { epoch: 3 } as never)).rejects.toThrow(
      /m\.fit: unknown option 'epoch' \(known: epochs, batchSize/,
    );
    expect(() => model.evaluate(x, y, { batch: 2 } as never)).toThrow(
      "m.evaluate: unknown option 'batch' (known: batchSize, sampleWeight)",
    );
    expect(() => model.predict(x, { batch_size: 2 } as never)).toThrow(
      "m.predict: unknown option 'batch_size' (known: batchSize)",
    );
    expect(() => model.summary({ print: false, formula: true } as never)).toThrow(
      "m.summary: unknown option 'formula' (known: formulas, print, inputShape)",
    );
    // the known ones still work
    expect(model.summary({ print: false, formulas: true })).toContain('Formula');
    expect((model.predict(x, { batchSize: 2 }) as tg.Tensor).shape).toEqual([4, 2]);
  });
});

describe('readers and writers refuse unknown options', () => {
  const bytes = new Uint8Array([1, 2, 3]);
  it('npy, idx, safetensors, batchIterator, mnist', () => {
    expect(() => tg.readNpy(bytes, { maxbytes: 4 } as never)).toThrow(
      "readNpy: unknown option 'maxbytes' (known: name, maxBytes)",
    );
    expect(() => tg.readIdx(bytes, { nme: 'x' } as never)).toThrow(
      "readIdx: unknown option 'nme' (known: name)",
    );
    expect(() => tg.readIdxImages(bytes, { nme: 'x' } as never)).toThrow(
      /readIdxImages: unknown option 'nme'/,
    );
    expect(() => tg.readIdxLabels(bytes, { nme: 'x' } as never)).toThrow(
      /readIdxLabels: unknown option 'nme'/,
    );
    expect(() => tg.loadSafetensors(bytes, { max: 1 } as never)).toThrow(
      /loadSafetensors: unknown option 'max'/,
    );
    expect(() => [...tg.batchIterator([tg.zeros([2])], { batchSize: 1, drop_last: true } as never)]).toThrow(
      "batchIterator: unknown option 'drop_last' (known: batchSize, shuffle, seed, dropLast)",
    );
    expect(() => tg.loadMnist({ limit: 2 } as never)).toThrow(
      "loadMnist: unknown option 'limit' (known: testFraction, seed, limitPerClass)",
    );
  });
  it('Keras and HDF5 readers, saveModel, checkpoints', async () => {
    await expect(tg.keras.loadModel(bytes, { strictt: false } as never)).rejects.toThrow(
      /keras\.loadModel: unknown option 'strictt' \(known: name, maxFileBytes/,
    );
    await expect(tg.readKerasFile(bytes, { strict: false } as never)).rejects.toThrow(
      /readKerasFile: unknown option 'strict'/,
    );
    await expect(tg.keras.inspect(bytes, { json: true } as never)).rejects.toThrow(
      /keras\.inspect: unknown option 'json'/,
    );
    await expect(tg.openHdf5(bytes, { maxZipBytes: 1 } as never)).rejects.toThrow(
      /openHdf5: unknown option 'maxZipBytes'/,
    );
    const model = tg.sequential({ layers: [tg.layers.dense({ units: 1, inputShape: [2] })] });
    await expect(
      tg.keras.saveModel(model, null, { format: 'keras', overwrite: true } as never),
    ).rejects.toThrow("keras.saveModel: unknown option 'overwrite' (known: format)");
    await expect(tg.keras.loadWeights(model, bytes, { inputShape: [null, 2] } as never)).rejects.toThrow(
      /keras\.loadWeights: unknown option 'inputShape'/,
    );
    expect(() => tg.keras.modelFromJson('{}', { strict: true } as never)).toThrow(
      "keras.modelFromJson: unknown option 'strict' (known: kerasVersion, backend, inputShape, source)",
    );
    await expect(tg.saveCheckpoint('/tmp/x.safetensors', model, { meta: {} } as never)).rejects.toThrow(
      /saveCheckpoint: unknown option 'meta'/,
    );
    await expect(tg.loadCheckpoint('/tmp/x.safetensors', model, { strictt: 1 } as never)).rejects.toThrow(
      /loadCheckpoint: unknown option 'strictt'/,
    );
  });
});
