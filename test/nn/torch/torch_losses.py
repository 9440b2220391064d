# PyTorch's loss modules in float64, for test/nn/torch/losses.test.ts: reads a JSON list of cases on stdin
# ({loss, kw, input, target, long}), writes for each the loss value, the cotangent it used and the input gradient
# of sum(loss * cotangent). Run with Debian's python3-torch: /usr/bin/python3 test/nn/torch/torch_losses.py < cases.json
import json
import math
import sys

import torch

torch.set_default_dtype(torch.float64)


def arr(a, long=False):
    return torch.tensor(a["data"], dtype=torch.long if long else torch.float64).reshape(a["shape"])


def num(v):
    return v if math.isfinite(v) else str(v)


out = []
for c in json.load(sys.stdin):
    kw = dict(c["kw"])
    for k in ("weight", "pos_weight"):
        if k in kw:
            kw[k] = arr(kw[k])
    x = arr(c["input"]).requires_grad_()
    t = arr(c["target"], c.get("long", False))
    y = getattr(torch.nn, c["loss"])(**kw)(x, t)
    n = y.numel()
    cot = torch.tensor([0.5 + i / max(n - 1, 1) for i in range(n)]).reshape(y.shape)
    (y * cot).sum().backward()
    out.append(
        {
            "shape": list(y.shape),
            "value": [num(v) for v in y.flatten().tolist()],
            "cot": cot.flatten().tolist(),
            "grad": [num(v) for v in x.grad.flatten().tolist()],
        }
    )
json.dump({"torch": torch.__version__, "out": out}, sys.stdout)
