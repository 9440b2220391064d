// How does the error propagate back through a convolution with several input channels?
// The question's setting: a 3-channel 20×20 input, 5 filters of 3×3×3 → dE/dO is 5×18×18; dE/dX must be 3×20×20.
import * as tg from '../../../src/index.js';

tg.setSeed(1);
const conv = new tg.nn.Conv2d(3, 5, 3); // PyTorch-style: NCHW input, weight [out, in, kh, kw]
console.log(tg.explain(conv, [1, 3, 20, 20], { backward: true }));

// Check the "full convolution with the rotated kernel, summed over the output channels" reading of dX by hand.
const x = tg.randn([1, 3, 20, 20]).requireGrad();
const dO = tg.randn([1, 5, 18, 18]); // some upstream gradient dE/dO
(conv.forward(x) as tg.Tensor).backward(dO);
const W = conv.weight.data;
const g = dO.data;
let worst = 0;
for (let c = 0; c < 3; c++)
  for (let h = 0; h < 20; h++)
    for (let w = 0; w < 20; w++) {
      // dX[c,h,w] = Σ_o Σ_u Σ_v dO[o, h−u, w−v] · W[o, c, u, v]   (every output channel o contributes)
      let s = 0;
      for (let o = 0; o < 5; o++)
        for (let u = 0; u < 3; u++)
          for (let v = 0; v < 3; v++) {
            const [i, j] = [h - u, w - v];
            if (i >= 0 && i < 18 && j >= 0 && j < 18)
              s += g[(o * 18 + i) * 18 + j] * W[((o * 3 + c) * 3 + u) * 3 + v];
          }
      worst = Math.max(worst, Math.abs(s - x.grad!.data[(c * 20 + h) * 20 + w]));
    }
console.log(
  `\ndX from the tape: ${tg.fmtShape(x.grad!.shape)}; hand-written sum over the 5 output channels agrees: ${worst < 1e-4}`,
);
