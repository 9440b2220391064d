# PyTorch peer of the benchmark (one cell per process, as bench/worker.ts):
#   python3 bench/torch_bench.py <workload> [--quick|--tiny]
# Runs the same workload (same shapes, same math) with torch.set_num_threads(2) in a plain loop and prints one line
# `BENCH_RESULT {json}` in bench/worker.ts's format (step times, first steps, median/p90, peak RSS). Python has no
# event loop, so there is no yielding loop. bench/run.ts runs it where `python3 -c "import torch"` works.
import json
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(os.environ.get("OPENBLAS_NUM_THREADS", "2")))
torch.manual_seed(0)

SEED_CNN = dict(convs=[(12, True), (8, True)], dense=[64], lr=0.01)
WIDE_CNN = dict(convs=[(32, False), (32, True), (64, False), (64, True)], dense=[256], lr=0.01)
LSTM_U, LSTM_T, LSTM_F, LSTM_D, LSTM_O, LSTM_N, LSTM_LR = 200, 6, 2, 100, 2, 81, 0.001


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def quantile(xs, q):
    # q-quantile by linear interpolation between order statistics, as bench/lib/measure.ts
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(len(s) - 1, lo + 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def stats(xs):
    return dict(n=len(xs), median=quantile(xs, 0.5), p90=quantile(xs, 0.9), mean=sum(xs) / len(xs),
                min=min(xs), max=max(xs))


def cnn(spec):
    layers, c, hw = [], 3, 32
    for filters, pool in spec["convs"]:
        layers += [nn.Conv2d(c, filters, 3, padding=1), nn.ReLU()]
        if pool:
            layers.append(nn.MaxPool2d(2))
            hw //= 2
        c = filters
    layers.append(nn.Flatten())
    n = c * hw * hw
    for d in spec["dense"]:
        layers += [nn.Linear(n, d), nn.ReLU()]
        n = d
    layers.append(nn.Linear(n, 10))
    return nn.Sequential(*layers)


def train_step(model, batch, lr):
    """One SGD step of cross-entropy on a fixed random NCHW batch, as a PyTorch user writes it."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.rand(batch, 3, 32, 32) * 2 - 1
    y = torch.randint(0, 10, (batch,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def infer_step(model, batch):
    """The model's forward in eval mode under no_grad on a fixed random NCHW batch."""
    model.eval()
    x = torch.rand(batch, 3, 32, 32) * 2 - 1

    def step():
        with torch.no_grad():
            return model(x).numpy()
    return step


def cnn_train(spec, batch):
    return train_step(cnn(spec), batch, spec["lr"])


def cnn_infer():
    return infer_step(cnn(SEED_CNN), 32)


def bn_cnn(train):
    """bench/models/bn-cnn.ts's conv + BatchNorm2d network: a training step (SGD) or eval-mode inference."""
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 8 * 8, 10))
    return train_step(model, 32, 0.01) if train else infer_step(model, 32)


def sgemm(n):
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    return lambda: torch.mm(a, b)


def lstm_layer(xs, W, U, b):
    # Keras-style LSTM cell: gates i,f,c,o; relu activation, sigmoid recurrent activation
    n = xs[0].shape[0]
    h = torch.zeros(n, LSTM_U)
    c = torch.zeros(n, LSTM_U)
    hs = []
    for xt in xs:
        i, f, g, o = (xt @ W + h @ U + b).chunk(4, 1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.relu(g)
        h = torch.sigmoid(o) * torch.relu(c)
        hs.append(h)
    return hs


def lstm_cells():
    shapes = [(LSTM_F, 4 * LSTM_U), (LSTM_U, 4 * LSTM_U), (4 * LSTM_U,), (LSTM_U, 4 * LSTM_U), (LSTM_U, 4 * LSTM_U),
              (4 * LSTM_U,), (LSTM_U, LSTM_D), (LSTM_D,), (LSTM_D, LSTM_O), (LSTM_O,)]
    p = [(torch.rand(*s) * 0.2 - 0.1).requires_grad_() for s in shapes]
    opt = torch.optim.SGD(p, lr=LSTM_LR)
    x = torch.rand(LSTM_N, LSTM_T, LSTM_F) * 2 - 1
    y = torch.rand(LSTM_N, LSTM_T, LSTM_O) * 2 - 1

    def step():  # one epoch at batch 81 = one SGD step
        W1, U1, b1, W2, U2, b2, Wd, bd, Wo, bo = p
        opt.zero_grad()
        enc = lstm_layer([x[:, t] for t in range(LSTM_T)], W1, U1, b1)[-1]
        dec = torch.stack(lstm_layer([enc] * LSTM_T, W2, U2, b2), 1)
        out = torch.relu(dec @ Wd + bd) @ Wo + bo
        loss = F.mse_loss(out, y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def cnn_fit():
    # compile + fit defaults: Adam(1e-3), batch 32, shuffled, 4,096 images of 32×32×3
    model = cnn(SEED_CNN)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(4096, 3, 32, 32)
    y = torch.randint(0, 10, (4096,))

    def epoch():
        perm = torch.randperm(4096)
        for s in range(0, 4096, 32):
            idx = perm[s:s + 32]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        return loss.item()
    return epoch


def runner(wid):
    if wid == "cnn-train":
        return cnn_train(SEED_CNN, 32)
    if wid == "cnn-infer":
        return cnn_infer()
    if wid.startswith("wide-train-"):
        return cnn_train(WIDE_CNN, int(wid[11:]))
    if wid.startswith("sgemm-"):
        return sgemm(int(wid[6:]))
    if wid == "lstm-cells":
        return lstm_cells()
    if wid == "cnn-fit":
        return cnn_fit()
    if wid in ("bn-cnn-train", "bn-cnn-infer"):
        return bn_cnn(wid == "bn-cnn-train")
    return None


def warm_steps(times, warmup_ms):
    """bench/lib/measure.ts warmSteps: the first 5 steps and every step started within warmup_ms; leaves one."""
    warm, start = 0, 0.0
    while warm < len(times) and start < warmup_ms:
        start += times[warm]
        warm += 1
    return min(len(times) - 1, max(5, warm))


def main():
    wid = sys.argv[1]
    mode = "tiny" if "--tiny" in sys.argv else "quick" if "--quick" in sys.argv else "full"
    step = runner(wid)
    setup = rss_mib()
    out = dict(workload=wid, framework="pytorch", rssSetupMiB=setup, rssPeakMiB=setup)
    if step is None:
        out["na"] = "no PyTorch configuration for this workload"
    else:
        # the same loop lengths as bench/workloads.ts loopOptions
        fixed = 3 if wid == "cnn-fit" else None
        warmup_ms, min_steady = 0, 1
        if fixed:
            min_steps, max_steps, budget = fixed, fixed, 0
        elif mode == "tiny":
            min_steps, max_steps, budget = 6, 6, 0
        else:
            min_steps, max_steps, budget = (10, 10**6, 2.5) if mode == "quick" else (12, 10**6, 6.0)
            # bench/workloads.ts WARMUP_MS and MAX_STEPS
            warmup_ms, min_steady = 1500, (5 if mode == "quick" else 8)
        times = []
        t0 = time.perf_counter()
        while len(times) < max_steps and (len(times) < min_steps or time.perf_counter() - t0 < budget
                                          or len(times) - warm_steps(times, warmup_ms) < min_steady):
            t = time.perf_counter()
            step()
            times.append((time.perf_counter() - t) * 1000)
        warm = warm_steps(times, warmup_ms)
        steady = stats(times[warm:])
        early = times[4:10]
        # the first 2,000 step times are kept (bench/lib/measure.ts KEPT_STEPS); the statistics use every step
        out["m"] = dict(syncTimes=times[:2000], syncSteps=len(times), firstMs=sum(times[:5]) / len(times[:5]),
                        sync=steady,
                        from5th=quantile(early, 0.5) / steady["median"] if early else None, yielding=None)
        out["rssPeakMiB"] = rss_mib()
    print("BENCH_RESULT " + json.dumps(out), flush=True)


main()
