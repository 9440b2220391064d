// How do I move Keras Conv1D weights (and the bias) into another framework?
import * as tg from '../../../src/index.js';

tg.setSeed(5);
const layer = tg.layers.conv1d({ filters: 4, kernelSize: 3, inputShape: [10, 2] });
const x = tg.randn([1, 10, 2]);
const y = layer.apply(x) as tg.Tensor; // builds the layer: kernel [3, 2, 4], bias [4]
layer.setWeights([layer.kernel, tg.randn([4])]); // a non-zero bias, so it shows up in the checks
const yk = layer.apply(x) as tg.Tensor;
console.log(
  `Keras Conv1D kernel ${tg.fmtShape(layer.kernel.shape)} = (kernel_size, in_channels, filters), bias ${tg.fmtShape(layer.bias!.shape)}, output ${tg.fmtShape(y.shape)}`,
);
console.log(
  tg
    .explain(layer, [1, 10, 2])
    .split('\n')
    .find((l) => l.includes('Y[n,t,o]'))!
    .trim(),
);

// PyTorch: weight (out, in, k); bias unchanged. Same numbers out:
const torchW = tg.layouts.convertKernel(layer.kernel, { from: 'keras', to: 'torch' });
const m = new tg.nn.Conv1d(2, 4, 3);
m.weight.data.set(torchW.data);
m.bias!.data.set(layer.bias!.data);
const yt = tg.transpose(m.forward(tg.transpose(x, [0, 2, 1])) as tg.Tensor, [0, 2, 1]);
console.log(
  `PyTorch Conv1d weight ${tg.fmtShape(torchW.shape)}; same output: ${tg.sub(yt, yk).abs().max().item() < 1e-5}`,
);

// Theano (and numpy.convolve, scipy.signal.convolve) compute a TRUE convolution: the kernel must be flipped.
const theanoW = tg.layouts.convertKernel(layer.kernel, { from: 'keras', to: 'theano' });
console.log(
  `Theano kernel ${tg.fmtShape(theanoW.shape)}: Keras tap 0 of filter 0, input 0 = ${layer.kernel.data[0].toFixed(4)} is Theano's last tap: ${theanoW.data[2].toFixed(4)}`,
);

// Old Keras 1 files store Conv1D kernels 4-D, (k, 1, in, out): drop the 1.
const keras1 = tg.reshape(layer.kernel, [3, 1, 2, 4]);
console.log(
  `Keras 1 kernel ${tg.fmtShape(keras1.shape)} → ${tg.fmtShape(tg.reshape(keras1, [3, 2, 4]).shape)}`,
);

// A framework without a bias argument: fold the bias into the kernel and append a 1 to every input patch.
const folded = tg.layouts.foldBias(layer.kernel, layer.bias!); // [3·2 + 1, 4]
const geom = {
  n: 1,
  h: 1,
  w: 10,
  c: 2,
  kh: 1,
  kw: 3,
  strideH: 1,
  strideW: 1,
  dilationH: 1,
  dilationW: 1,
  padTop: 0,
  padLeft: 0,
  outH: 1,
  outW: 8,
};
const patches = tg.im2col(tg.reshape(x, [1, 1, 10, 2]), geom); // [8 positions, 3·2 values]
const yFolded = tg.matmul(tg.layouts.appendOnes(patches), folded); // [patch, 1] · K
console.log(
  `bias folded: kernel ${tg.fmtShape(folded.shape)}; [patch, 1] · K reproduces the output: ${
    tg
      .sub(yFolded, tg.reshape(yk, [8, 4]))
      .abs()
      .max()
      .item() < 1e-5
  }`,
);

// Or take the whole layer as plain loops with its weights inlined (first lines shown):
console.log(
  tg
    .toReferenceFn(layer)
    .split('\n')
    .slice(0, 8)
    .join('\n')
    .replace(/\[[-\d., e]{60,}\]/g, '[…]'),
);
