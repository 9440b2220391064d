# Expected values for new-modules.test.ts: PyTorch 1.13 in float64 (Debian's python3-torch).
# Run: /usr/bin/python3 test/nn/torch/torch_new_modules.py > test/nn/torch/new-modules-data.ts
# x = the listed values V, or x_i = 2·sin(0.7·i + 0.3) over the flat index; loss = Σ y_j·cos(0.37·j);
# "set" cases first fill every parameter p (flat k) with 1 + 0.1·k (weight) or 0.2·k - 0.1 (others).
import json, math, torch
from torch import nn
torch.set_default_dtype(torch.float64)
V = [-25, -4, -3, -2.5, -1, -0.5, 0, 0.3, 1, 2.5, 3, 4, 6, 25]
CASES = [
    # id, constructor, input shape (None: V), set params
    ('GELU', 'nn.GELU()', None, False),
    ('GELU-tanh', "nn.GELU('tanh')", None, False),
    ('SiLU', 'nn.SiLU()', None, False),
    ('Mish', 'nn.Mish()', None, False),
    ('LeakyReLU', 'nn.LeakyReLU()', None, False),
    ('LeakyReLU-0.2', 'nn.LeakyReLU(0.2)', None, False),
    ('ELU', 'nn.ELU()', None, False),
    ('ELU-0.5', 'nn.ELU(0.5)', None, False),
    ('SELU', 'nn.SELU()', None, False),
    ('CELU', 'nn.CELU()', None, False),
    ('CELU-2', 'nn.CELU(2.0)', None, False),
    ('Softplus', 'nn.Softplus()', None, False),
    ('Softplus-2-5', 'nn.Softplus(2, 5)', None, False),
    ('Softsign', 'nn.Softsign()', None, False),
    ('Hardtanh', 'nn.Hardtanh()', None, False),
    ('Hardtanh-2-3', 'nn.Hardtanh(-2.5, 3.0)', None, False),
    ('ReLU6', 'nn.ReLU6()', None, False),
    ('Hardsigmoid', 'nn.Hardsigmoid()', None, False),
    ('Hardswish', 'nn.Hardswish()', None, False),
    ('LogSigmoid', 'nn.LogSigmoid()', None, False),
    ('Tanhshrink', 'nn.Tanhshrink()', None, False),
    ('Threshold', 'nn.Threshold(0.3, -7.0)', None, False),
    ('Softmin-0', 'nn.Softmin(0)', None, False),
    ('Softmin-implicit', 'nn.Softmin()', [2, 3, 4], False),
    ('GLU', 'nn.GLU()', [2, 6], False),
    ('GLU-0', 'nn.GLU(0)', [4, 3], False),
    ('PReLU', 'nn.PReLU()', None, False),
    ('PReLU-3', 'nn.PReLU(3, 0.1)', [2, 3, 4], False),
    ('GroupNorm', 'nn.GroupNorm(2, 4)', [2, 4, 3], True),
    ('GroupNorm-noaffine', 'nn.GroupNorm(3, 6, eps=1e-3, affine=False)', [2, 6, 2, 2], False),
    ('InstanceNorm1d', 'nn.InstanceNorm1d(3)', [2, 3, 5], False),
    ('InstanceNorm1d-unbatched', 'nn.InstanceNorm1d(3, affine=True)', [3, 5], True),
    ('InstanceNorm2d', 'nn.InstanceNorm2d(2, affine=True)', [2, 2, 3, 3], True),
    ('LocalResponseNorm', 'nn.LocalResponseNorm(3)', [2, 5, 3], False),
    ('LocalResponseNorm-4d', 'nn.LocalResponseNorm(2, 0.1, 0.6, 2.0)', [1, 4, 2, 3], False),
    ('Unflatten', 'nn.Unflatten(1, (2, -1))', [2, 6, 2], False),
    ('ZeroPad2d', 'nn.ZeroPad2d((1, 0, 2, 1))', [1, 2, 3, 3], False),
    ('ConstantPad1d', 'nn.ConstantPad1d(2, 3.5)', [2, 3, 4], False),
    ('ConstantPad2d', 'nn.ConstantPad2d((1, -1, 0, 2), -1.0)', [1, 2, 3, 4], False),
    ('ReflectionPad1d', 'nn.ReflectionPad1d((2, 1))', [2, 2, 4], False),
    ('ReflectionPad2d', 'nn.ReflectionPad2d(1)', [1, 2, 3, 4], False),
    ('ReplicationPad1d', 'nn.ReplicationPad1d(3)', [3, 4], False),
    ('ReplicationPad2d', 'nn.ReplicationPad2d((0, 2, 1, 3))', [1, 1, 3, 3], False),
    ('PixelShuffle', 'nn.PixelShuffle(2)', [2, 8, 2, 3], False),
    ('PixelShuffle-5d', 'nn.PixelShuffle(3)', [2, 1, 9, 2, 1], False),
    ('PixelUnshuffle', 'nn.PixelUnshuffle(2)', [1, 2, 4, 6], False),
    ('Upsample-nearest-2', 'nn.Upsample(scale_factor=2)', [1, 2, 3, 4], False),
    ('Upsample-nearest-size', 'nn.Upsample(size=(5, 7))', [1, 1, 3, 4], False),
    ('Upsample-nearest-1d', 'nn.Upsample(scale_factor=1.5)', [2, 2, 5], False),
    ('Upsample-nearest-recompute', 'nn.Upsample(scale_factor=1.7, recompute_scale_factor=True)', [1, 1, 3, 5], False),
    ('Upsample-bilinear-2', "nn.Upsample(scale_factor=2, mode='bilinear')", [1, 2, 3, 4], False),
    ('Upsample-bilinear-ac', "nn.Upsample(size=(5, 3), mode='bilinear', align_corners=True)", [2, 1, 3, 4], False),
    ('Upsample-bilinear-frac', "nn.Upsample(scale_factor=(1.7, 2.3), mode='bilinear')", [1, 1, 4, 3], False),
    ('Upsample-bilinear-ac-1', "nn.Upsample(size=(1, 5), mode='bilinear', align_corners=True)", [1, 1, 3, 2], False),
    ('AvgPool1d', 'nn.AvgPool1d(3)', [2, 3, 7], False),
    ('AvgPool1d-pad', 'nn.AvgPool1d(3, 2, 1)', [2, 3, 8], False),
    ('AvgPool1d-ceil', 'nn.AvgPool1d(4, 3, 2, True, False)', [1, 2, 9], False),
    ('AvgPool1d-unbatched', 'nn.AvgPool1d(2)', [3, 5], False),
]
r = lambda t: [round(v, 12) for v in t.detach().reshape(-1).tolist()]
out = []
for cid, ctor, shape, setp in CASES:
    torch.manual_seed(0)
    m = eval(ctor)
    if setp:
        with torch.no_grad():
            for name, p in m.named_parameters():
                k = torch.arange(p.numel(), dtype=torch.float64).reshape(p.shape)
                p.copy_(1 + 0.1 * k if name == 'weight' else 0.2 * k - 0.1)
    if shape is None:
        x = torch.tensor(V, dtype=torch.float64)
    else:
        n = math.prod(shape)
        x = torch.tensor([2 * math.sin(0.7 * i + 0.3) for i in range(n)]).reshape(shape)
    x.requires_grad_()
    y = m(x)
    w = torch.tensor([math.cos(0.37 * j) for j in range(y.numel())]).reshape(y.shape)
    (y * w).sum().backward()
    out.append(dict(id=cid, torch=ctor, useV=shape is None, shape=list(x.shape), outShape=list(y.shape), y=r(y), grad=r(x.grad),
                    params={k: r(p.grad) for k, p in m.named_parameters()},
                    state=sorted(m.state_dict().keys())))
print('// Generated by test/nn/torch/torch_new_modules.py (PyTorch 1.13, float64); do not edit by hand.')
print('export interface NewModuleRef { id: string; torch: string; useV: boolean; shape: number[]; outShape: number[];')
print('  y: number[]; grad: number[]; params: Record<string, number[]>; state: string[] }')
print('export const V = ' + json.dumps(V) + ';')
print('export const REFS: NewModuleRef[] = ' + json.dumps(out) + ';')
