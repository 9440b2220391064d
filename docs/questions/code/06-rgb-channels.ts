// What does Conv2D do with the colour channels of an RGB image?
import * as tg from '../../../src/index.js';

tg.setSeed(6);
const conv = tg.layers.conv2d({ filters: 64, kernelSize: 3, inputShape: [32, 32, 3] });
console.log(tg.explain(conv, [1, 32, 32, 3]).split('\n').slice(0, 8).join('\n'));
console.log(
  `\nweights per filter: 3·3·3 = ${3 * 3 * 3}; parameters: ${conv.countParams().toLocaleString('en-US')} (= (27 + 1)·64)`,
);

// Each output channel is ONE map: the three per-colour cross-correlations added up, plus the bias.
const img = tg.randn([1, 32, 32, 3]);
const out = conv.apply(img) as tg.Tensor; // [1, 30, 30, 64]
const k = conv.kernel; // [3, 3, 3, 64]
const perColour = [0, 1, 2].map((c) =>
  tg.conv2d(tg.slice(img, [0, 0, 0, c], [1, 32, 32, 1]), tg.slice(k, [0, 0, c, 0], [3, 3, 1, 64])),
);
const summed = tg.add(tg.add(tg.add(perColour[0], perColour[1]), perColour[2]), conv.bias!);
console.log(
  `output ${tg.fmtShape(out.shape)}: 64 maps, not 64×3; red + green + blue maps + bias equal it: ${tg.sub(summed, out).abs().max().item() < 1e-4}`,
);
