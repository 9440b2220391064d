// loadModel({config, weights}) takes paths, bytes or a parsed config object, and all three give one model.
import { readFileSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import * as tg from '../../../src/index.js';

const dir = new URL('../../../../shared/keras-fixtures/dl4j-activations/', import.meta.url).pathname;
afterAll(() => tg.closeHdf5Worker());

it('config given as a path, as bytes and as parsed JSON loads the same model', async () => {
  const cfgPath = `${dir}ReLU_0_config.json`;
  const wPath = `${dir}ReLU_0_weights.h5`;
  const bytes = new Uint8Array(readFileSync(cfgPath));
  const fromPath = await tg.keras.loadModel({ config: cfgPath, weights: wPath });
  const fromBytes = await tg.keras.loadModel({ config: bytes, weights: new Uint8Array(readFileSync(wPath)) });
  const fromJson = await tg.keras.loadModel({
    config: JSON.parse(new TextDecoder().decode(bytes)),
    weights: wPath,
  });
  const x = tg.randn([3, fromPath.getWeights()[0].shape[0]]); // the first Dense kernel is [in, units]
  const want = (fromPath.predict(x) as tg.Tensor).toFlatArray();
  for (const m of [fromBytes, fromJson]) {
    expect(m.countParams()).toBe(fromPath.countParams());
    expect(Array.from((m.predict(x) as tg.Tensor).data)).toEqual(Array.from(want));
  }
});
