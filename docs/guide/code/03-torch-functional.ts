// The PyTorch wing beyond modules: tg.nn.functional (PyTorch's F), Sequential from a Map of names (PyTorch's
// Sequential(OrderedDict(...))) and channel dropout.
import * as tg from '../../../src/index.js';

const F = tg.nn.functional; // PyTorch: import torch.nn.functional as F
tg.setSeed(0);

// Named children: the state-dict keys are the names, and positions still index.
const net = new tg.nn.Sequential(
  new Map<string, tg.Layer>([
    ['conv1', new tg.nn.Conv2d(1, 4, 3, { padding: 1 })],
    ['drop', new tg.nn.Dropout2d(0.25)],
    ['relu1', new tg.nn.ReLU()],
  ]),
);
console.log(Object.keys(net.stateDict()).join(', '));

// F.conv2d with the module's own weights is the module's forward.
const conv = net.at(0) as tg.nn.Conv2d;
const x = tg.randn([2, 1, 5, 5]);
const same = F.conv2d(x, conv.weight, conv.bias, { padding: 1 }).sub(conv.forward(x)).abs().max().item();
console.log(`F.conv2d vs conv1: max difference ${same}`);

// A functional forward with F.dropout's training flag (PyTorch's default is training = true) and a loss.
const logits = F.linear(F.relu(tg.reshape(net.forward(x), [2, -1])), tg.randn([3, 100]));
const y = F.dropout(logits, 0.5, net.training);
const loss = F.crossEntropy(y, tg.tensor([0, 2], [2], { dtype: 'int32' }), { labelSmoothing: 0.1 });
console.log(`logits ${tg.fmtShape(y.shape)}, loss is a scalar: ${loss.rank === 0}`);
