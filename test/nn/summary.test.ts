// Keras-exact summary numbers for the seed models, lazy building and the unbuilt-model errors.
import { beforeEach, describe, expect, it } from 'vitest';
import * as tg from '../../src/index.js';

function seedMnistModel(withInputShape = true): tg.Sequential {
  const m = tg.sequential();
  m.add(
    tg.layers.conv2d({
      filters: 10,
      kernelSize: [4, 4],
      activation: 'relu',
      ...(withInputShape ? { inputShape: [28, 28, 1] } : {}),
    }),
  );
  m.add(tg.layers.maxPooling2d({ poolSize: [2, 2] }));
  m.add(tg.layers.conv2d({ filters: 20, kernelSize: [4, 4], activation: 'relu' }));
  m.add(tg.layers.maxPooling2d({ poolSize: [2, 2] }));
  m.add(tg.layers.flatten());
  m.add(tg.layers.dense({ units: 128, activation: 'relu' }));
  m.add(tg.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

/** Parse the summary's rows back into [name, shape, params]. */
function rows(text: string): [string, string, string][] {
  return text
    .split('\n')
    .filter((l) => /^\S+ \(\w+\)/.test(l) && !l.startsWith('Layer (type)'))
    .map((l) => {
      const m = /^(\S+ \(\w+\))\s+(\(.*?\)|\[.*?\])\s+([\d,]+)/.exec(l)!;
      return [m[1], m[2], m[3]];
    });
}

describe('summary', () => {
  beforeEach(() => tg.resetLayerNames());

  it('prints Keras numbers for the seed MNIST CNN', () => {
    const text = seedMnistModel().summary({ print: false });
    // Keras: Conv2D(10,(4,4)) on 28x28x1 → (None,25,25,10) 170 = (4·4·1+1)·10, ...
    expect(rows(text)).toEqual([
      ['conv2d (Conv2D)', '(None, 25, 25, 10)', '170'],
      ['max_pooling2d (MaxPooling2D)', '(None, 12, 12, 10)', '0'],
      ['conv2d_1 (Conv2D)', '(None, 9, 9, 20)', '3,220'],
      ['max_pooling2d_1 (MaxPooling2D)', '(None, 4, 4, 20)', '0'],
      ['flatten (Flatten)', '(None, 320)', '0'],
      ['dense (Dense)', '(None, 128)', '41,088'],
      ['dense_1 (Dense)', '(None, 10)', '1,290'],
    ]);
    expect(text).toContain('Total params: 45,768');
    expect(text).toContain('Trainable params: 45,768');
    expect(text).toContain('Non-trainable params: 0');
  });

  it('shows parameter formulas on request', () => {
    const text = seedMnistModel().summary({ print: false, formulas: true });
    expect(text).toContain('(4·4·1+1)·10 = 170');
    expect(text).toContain('(4·4·10+1)·20 = 3,220');
    expect(text).toContain('(320+1)·128 = 41,088');
  });

  it('infers Dense in_features lazily (the seed CIFAR CNN: 8·8·8 after two poolings)', () => {
    const m = tg.sequential({
      layers: [
        tg.layers.conv2d({
          filters: 12,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          inputShape: [32, 32, 3],
        }),
        tg.layers.maxPooling2d({ poolSize: 2 }),
        tg.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
        tg.layers.maxPooling2d({ poolSize: 2 }),
        tg.layers.flatten(),
        tg.layers.dense({ units: 64, activation: 'relu' }),
        tg.layers.dense({ units: 10 }),
      ],
    });
    const r = rows(m.summary({ print: false }));
    expect(r.map((x) => x[1])).toEqual([
      '(None, 32, 32, 12)',
      '(None, 16, 16, 12)',
      '(None, 16, 16, 8)',
      '(None, 8, 8, 8)',
      '(None, 512)',
      '(None, 64)',
      '(None, 10)',
    ]);
    // (3·3·3+1)·12, (3·3·12+1)·8, (512+1)·64, (64+1)·10
    expect(r.map((x) => x[2])).toEqual(['336', '0', '872', '0', '0', '32,832', '650']);
  });

  it('refuses to read parameters of an unbuilt model and says to call build', () => {
    const m = seedMnistModel(false);
    expect(() => m.parameters()).toThrow(/not built.*build\(inputShape\)/);
    expect(() => m.compile({ optimizer: 'adam', loss: 'mse' })).toThrow(/build/);
    m.buildModel([null, 28, 28, 1]);
    expect(m.countParams()).toBe(45768);
    expect(m.parameters().length).toBe(8);
  });

  it('builds lazily on the first call', () => {
    const m = seedMnistModel(false);
    const y = m.predict(tg.zeros([3, 28, 28, 1])) as tg.Tensor;
    expect(y.shape).toEqual([3, 10]);
    expect(m.countParams()).toBe(45768);
  });

  it('summarises functional models with Connected to', () => {
    const a = tg.input({ shape: [4] });
    const b = tg.input({ shape: [4] });
    const shared = tg.layers.dense({ units: 3 });
    const head = tg.layers.dense({ units: 1 });
    const m = tg.model({
      inputs: [a, b],
      outputs: [
        head.apply(shared.apply(a) as tg.SymbolicTensor) as tg.SymbolicTensor,
        shared.apply(b) as tg.SymbolicTensor,
      ],
    });
    const text = m.summary({ print: false });
    expect(text).toContain('Connected to');
    expect(text).toMatch(/input_1\[0\]\[0\]/);
    // shared dense (4+1)·3 = 15 counted once, head (3+1)·1 = 4
    expect(text).toContain('Total params: 19');
  });

  it('summarises define-by-run modules by tracing a sample shape', () => {
    class Net extends tg.nn.Module {
      conv = new tg.nn.Conv2d(1, 4, 3);
      pool = new tg.nn.MaxPool2d(2);
      flat = new tg.nn.Flatten();
      fc = new tg.nn.Linear(4 * 13 * 13, 10);
      forward(x: tg.Tensor) {
        return this.fc.forward(this.flat.forward(this.pool.forward(tg.relu(this.conv.forward(x)))));
      }
    }
    const text = new Net().summary({ inputShape: [1, 28, 28], print: false });
    expect(text).toMatch(/Conv2d\)\s+\(None, 4, 26, 26\)\s+40/);
    expect(text).toMatch(/Linear\)\s+\(None, 10\)\s+6,770/);
    expect(text).toContain('Total params: 6,810');
  });
});
