// Moving weights between Keras/TF.js, PyTorch and Theano layouts, checked by running both sides.
import * as tg from '../../../src/index.js';

tg.setSeed(0);
const L = tg.layouts;
const maxDiff = (a: tg.Tensor, b: tg.Tensor) => tg.sub(a, b).abs().max().item();

// Conv2D: Keras HWIO [kh,kw,in,out] → PyTorch OIHW [out,in,kh,kw].
const keras = tg.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' });
const x = tg.randn([1, 8, 8, 3]);
const yk = keras.apply(x) as tg.Tensor;
const torch = new tg.nn.Conv2d(3, 4, 3, { padding: 1 });
torch.weight.data.set(L.kerasToTorchConv(keras.kernel).data);
torch.bias!.data.set(keras.bias!.data);
const yt = tg.transpose(torch.forward(tg.transpose(x, [0, 3, 1, 2])) as tg.Tensor, [0, 2, 3, 1]);
console.log(
  `conv ${tg.fmtShape(keras.kernel.shape)} → ${tg.fmtShape(torch.weight.shape)}: outputs agree ${maxDiff(yk, yt) < 1e-5}`,
);
console.log(
  `Theano (flipped, true convolution): ${tg.fmtShape(L.convertKernel(keras.kernel, { from: 'keras', to: 'theano' }).shape)}`,
);

// Dense: kernel [in,out] ↔ Linear weight [out,in].
console.log(`dense kernel [5,3] → Linear weight ${tg.fmtShape(L.transposeDense(tg.zeros([5, 3])).shape)}`);

// LSTM: same gate order (i, f, c/g, o), transposed matrices, and PyTorch's two biases.
const lstm = L.lstmKerasToTorch({
  kernel: tg.randn([6, 16]),
  recurrentKernel: tg.randn([4, 16]),
  bias: tg.randn([16]),
});
console.log(
  `LSTM → weight_ih ${tg.fmtShape(lstm.weightIh.shape)}, weight_hh ${tg.fmtShape(lstm.weightHh.shape)}, bias_ih + bias_hh = the Keras bias`,
);
// GRU: gates z, r, h ↔ r, z, n; reset_after=true bias [2, 3u] ↔ bias_ih, bias_hh.
const gru = L.gruKerasToTorch({
  kernel: tg.randn([6, 12]),
  recurrentKernel: tg.randn([4, 12]),
  bias: tg.randn([2, 12]),
});
console.log(
  `GRU → weight_ih ${tg.fmtShape(gru.weightIh.shape)}, bias_ih ${tg.fmtShape(gru.biasIh!.shape)}, bias_hh ${tg.fmtShape(gru.biasHh!.shape)}`,
);
try {
  L.gruKerasToTorch({ kernel: tg.randn([6, 12]), recurrentKernel: tg.randn([4, 12]), bias: tg.randn([12]) });
} catch (e) {
  console.log(`reset_after=false: ${(e as Error).message.split(':')[1].trim().split(',')[0]}`);
}

// The first Dense after the convs: channels-first flattens (C,H,W), channels-last (H,W,C).
const torchFc = tg.randn([10, 4 * 5 * 5]); // PyTorch Linear weight after a [4, 5, 5] feature map
const kerasFc = L.fixFlattenOrder(torchFc, {
  spatial: [5, 5],
  channels: 4,
  from: 'channelsFirst',
  to: 'channelsLast',
  kernelLayout: 'torch',
});
console.log(
  `flatten order fixed: Linear weight ${tg.fmtShape(torchFc.shape)} reordered, then transposed to a Keras kernel ${tg.fmtShape(L.transposeDense(kerasFc).shape)}`,
);
