// scripts/keras-constructor-args.py on a miniature Keras 3-shaped source tree: own parameters, keys popped from
// **kwargs, **kwargs forwarded to the parent minus what the call fixes, a constructor that forwards nothing, and
// aliases from @keras_export. (The real fixture comes from running it on Keras's source; see the script header.)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/keras-constructor-args.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;

const layerPy = `
class Layer(BackendLayer, Operation):
    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, name=None, **kwargs):
        input_dim_arg = kwargs.pop("input_dim", None)
        input_shape_arg = kwargs.pop("input_shape", None)
        if kwargs:
            raise ValueError("Unrecognized keyword arguments")
`;
const convPy = `
from keras.src.layers.layer import Layer
class BaseConv(Layer):
    def __init__(self, rank, filters, kernel_size, groups=1, lora_rank=None, **kwargs):
        super().__init__(**kwargs)

@keras_export(["keras.layers.Conv2D", "keras.layers.Convolution2D"])
class Conv2D(BaseConv):
    def __init__(self, filters, kernel_size, strides=(1, 1), **kwargs):
        super().__init__(2, filters=filters, kernel_size=kernel_size, lora_rank=None, **kwargs)

@keras_export("keras.layers.SpatialDropout1D")
class SpatialDropout1D(Layer):
    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)

@keras_export("keras.layers.Flatten")
class Flatten(Layer):
    pass

@keras_export("keras.ops.not_a_layer")
class Helper:
    def __init__(self, x):
        pass
`;

describe('scripts/keras-constructor-args.py', () => {
  it.skipIf(!hasPython)('works out each exported class’s full keyword list (needs python3)', () => {
    const root = mkdtempSync(join(tmpdir(), 'keras-src-'));
    try {
      mkdirSync(join(root, 'keras/src/layers/convolutional'), { recursive: true });
      writeFileSync(join(root, 'keras/src/layers/layer.py'), layerPy);
      writeFileSync(join(root, 'keras/src/layers/convolutional/conv.py'), convPy);
      writeFileSync(join(root, 'keras/src/version.py'), '__version__ = "3.0.0-mini"\n');
      const out = JSON.parse(execFileSync('python3', [script, '--keras3', root], { encoding: 'utf8' })) as {
        keras3: { source: string; base: string[]; classes: Record<string, string[]> };
      };
      const base = ['activity_regularizer', 'dtype', 'input_dim', 'input_shape', 'name', 'trainable'];
      expect(out.keras3.source).toBe('keras 3.0.0-mini');
      expect(out.keras3.base).toEqual(base);
      // own (filters, kernel_size, strides) + BaseConv's groups + Layer's; rank and lora_rank are fixed by the call
      const conv = [...base, 'filters', 'groups', 'kernel_size', 'strides'].sort();
      expect(out.keras3.classes.Conv2D).toEqual(conv);
      expect(out.keras3.classes.Convolution2D).toEqual(conv);
      // forwards nothing: only its own keywords
      expect(out.keras3.classes.SpatialDropout1D).toEqual(['dtype', 'name', 'rate', 'seed']);
      expect(out.keras3.classes.Flatten).toEqual(base);
      expect(Object.keys(out.keras3.classes).sort()).toEqual([
        'Conv2D',
        'Convolution2D',
        'Flatten',
        'SpatialDropout1D',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
