"""The baseline rows of scripts/bench: the book's TwoLayerNet training step (or with --net
simple_conv_net its SimpleConvNet step) written plainly in numpy, and the same step in PyTorch
(float64, autograd), on the inputs of every port's bin/bench (shared_tests/README.md section 9):
the same work as every row.

    python scripts/py/bench_steps.py --impl numpy|torch [--net two_layer_net|simple_conv_net]
                                     [--hidden 50] [--batch 100] [--repeats 7] [--steps 50] [--json | --check]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Callable

import numpy as np

from dlscratch.rng import MRG32k3a

INPUT, OUTPUT, LR = 784, 10, 0.1


def inputs(hidden: int, batch: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """x = rand(batch, 784), then W1, W2 = 0.01·randn from the same generator (seed 0); t_i = i mod 10."""
    rng = MRG32k3a(0)
    x = rng.rand(batch, INPUT)
    params = {"W1": 0.01 * rng.randn(INPUT, hidden), "b1": np.zeros(hidden),
              "W2": 0.01 * rng.randn(hidden, OUTPUT), "b2": np.zeros(OUTPUT)}
    return x, np.arange(batch) % OUTPUT, params


FILTERS, SIZE, SIDE = 30, 5, 28            # the book's conv_param on 28 x 28 images
CONV = SIDE - SIZE + 1                      # 24; pooled 12


def softmax_loss(scores: np.ndarray, t: np.ndarray) -> tuple[float, np.ndarray]:
    """SoftmaxWithLoss: the loss -Σ log(y_t + 1e-7) / N and its backward dscores = (y - onehot(t)) / N."""
    n = scores.shape[0]
    rows = np.arange(n)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    loss = -np.sum(np.log(y[rows, t] + 1e-7)) / n
    y[rows, t] -= 1
    return float(loss), y / n


def sgd(p: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
    for key in p:
        p[key] -= LR * grads[key]


def conv_inputs(hidden: int, batch: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """x = rand(batch, 784) as batch x 1 x 28 x 28, then W1, W2, W3 = 0.01·randn (seed 0); t_i = i mod 10."""
    rng = MRG32k3a(0)
    x = rng.rand(batch, INPUT).reshape(batch, 1, SIDE, SIDE)
    params = {"W1": 0.01 * rng.randn(FILTERS, 1, SIZE, SIZE), "b1": np.zeros(FILTERS),
              "W2": 0.01 * rng.randn(FILTERS * (CONV // 2) ** 2, hidden), "b2": np.zeros(hidden),
              "W3": 0.01 * rng.randn(hidden, OUTPUT), "b3": np.zeros(OUTPUT)}
    return x, np.arange(batch) % OUTPUT, params


def numpy_conv_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray]) -> Callable[[], dict]:
    """SimpleConvNet's step in plain numpy as the book writes it: im2col by filter positions, the
    convolution as one product, max pooling by argmax over 2 x 2 windows, two Affines; the whole
    backward (the convolution's dx1 by col2im) and SGD."""
    n = x.shape[0]
    pooled = CONV // 2

    def step() -> dict:
        W1, b1, W2, b2, W3, b3 = (p[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        col = np.empty((n, 1, SIZE, SIZE, CONV, CONV))
        for y in range(SIZE):
            for x_ in range(SIZE):
                col[:, :, y, x_] = x[:, :, y:y + CONV, x_:x_ + CONV]
        col = col.transpose(0, 4, 5, 1, 2, 3).reshape(n * CONV * CONV, -1)
        w_col = W1.reshape(FILTERS, -1)
        a1 = col @ w_col.T + b1                                          # (n·24·24) x 30
        z1 = np.maximum(a1, 0)
        # 2 x 2 windows of stride 2: (n, 12, 2, 12, 2, 30) -> rows of 4
        win = z1.reshape(n, pooled, 2, pooled, 2, FILTERS).transpose(0, 1, 3, 5, 2, 4).reshape(-1, 4)
        arg = np.argmax(win, axis=1)
        h0 = win[np.arange(win.shape[0]), arg].reshape(n, pooled, pooled, FILTERS).transpose(0, 3, 1, 2).reshape(n, -1)
        a2 = h0 @ W2 + b2
        z2 = np.maximum(a2, 0)
        loss, dy = softmax_loss(z2 @ W3 + b3, t)
        grads = {"W3": z2.T @ dy, "b3": dy.sum(axis=0)}
        dz2 = dy @ W3.T
        dz2[a2 <= 0] = 0
        grads["W2"], grads["b2"] = h0.T @ dz2, dz2.sum(axis=0)
        dh0 = (dz2 @ W2.T).reshape(n, FILTERS, pooled, pooled).transpose(0, 2, 3, 1).reshape(-1)
        dwin = np.zeros((dh0.size, 4))
        dwin[np.arange(dh0.size), arg] = dh0
        dz1 = dwin.reshape(n, pooled, pooled, FILTERS, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(-1, FILTERS)
        dz1[a1 <= 0] = 0
        grads["W1"], grads["b1"] = (dz1.T @ col).reshape(W1.shape), dz1.sum(axis=0)
        dcol = (dz1 @ w_col).reshape(n, CONV, CONV, 1, SIZE, SIZE).transpose(0, 3, 4, 5, 1, 2)
        dx1 = np.zeros(x.shape)
        for y in range(SIZE):
            for x_ in range(SIZE):
                dx1[:, :, y:y + CONV, x_:x_ + CONV] += dcol[:, :, y, x_]
        sgd(p, grads)
        return {"loss": loss, "dx1": dx1, "grads": grads}

    return step


def torch_conv_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray]) -> Callable[[], dict]:
    """The SimpleConvNet step in PyTorch float64: conv2d, relu, max_pool2d, two linear layers;
    autograd from the book's dscores = (y - t) / N, dx1 included."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(t)
    rows = torch.arange(x.shape[0])
    params = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
    onehot = F.one_hot(tt, OUTPUT).to(torch.float64)
    n = x.shape[0]

    def step() -> dict:
        W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        h = F.max_pool2d(torch.relu(F.conv2d(xt, W1, b1)), 2, 2).reshape(n, -1)
        a3 = torch.relu(h @ W2 + b2) @ W3 + b3
        with torch.no_grad():
            y = torch.softmax(a3, dim=1)
            loss = -torch.log(y[rows, tt] + 1e-7).sum() / n
        for v in (*params.values(), xt):
            v.grad = None
        a3.backward((y - onehot) / n)
        with torch.no_grad():
            for v in params.values():
                v -= LR * v.grad
        return {"loss": float(loss), "dx1": xt.grad.numpy(), "grads": {k: v.grad.numpy() for k, v in params.items()}}

    return step


def numpy_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray]) -> Callable[[], dict]:
    """The book's step in plain numpy: forward, loss, the whole backward (dx1 included), SGD."""

    def step() -> dict:
        W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
        a1 = x @ W1 + b1
        z1 = np.maximum(a1, 0)
        loss, dy = softmax_loss(z1 @ W2 + b2, t)
        grads = {"W2": z1.T @ dy, "b2": dy.sum(axis=0)}
        dz1 = dy @ W2.T
        dz1[a1 <= 0] = 0
        grads["W1"], grads["b1"] = x.T @ dz1, dz1.sum(axis=0)
        dx1 = dz1 @ W1.T
        sgd(p, grads)
        return {"loss": loss, "dx1": dx1, "grads": grads}

    return step


def torch_step(x: np.ndarray, t: np.ndarray, p: dict[str, np.ndarray]) -> Callable[[], dict]:
    """The same step in PyTorch float64 on the CPU: autograd computes the gradients and dx1."""
    import torch

    torch.set_num_threads(1)
    xt = torch.tensor(x, requires_grad=True)
    tt = torch.tensor(t)
    rows = torch.arange(x.shape[0])
    params = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}

    onehot = torch.nn.functional.one_hot(tt, OUTPUT).to(torch.float64)
    n = x.shape[0]

    def step() -> dict:
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        a2 = torch.relu(xt @ W1 + b1) @ W2 + b2
        with torch.no_grad():
            y = torch.softmax(a2, dim=1)
            loss = -torch.log(y[rows, tt] + 1e-7).sum() / n
        for v in (*params.values(), xt):
            v.grad = None
        # The book's SoftmaxWithLoss backward, dscores = (y - t) / N (autograd of the loss itself
        # would differentiate its + 1e-7 too), then autograd through the Affine and ReLU layers.
        a2.backward((y - onehot) / n)
        with torch.no_grad():
            for v in params.values():
                v -= LR * v.grad
        return {"loss": float(loss), "dx1": xt.grad.numpy(), "grads": {k: v.grad.numpy() for k, v in params.items()}}

    return step


def minor_faults() -> int:
    with open("/proc/self/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[7])   # field 10, minflt


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_steps.py", description=__doc__.splitlines()[0])
    p.add_argument("--impl", choices=("numpy", "torch"), required=True)
    p.add_argument("--net", choices=("two_layer_net", "simple_conv_net"), default="two_layer_net")
    p.add_argument("--hidden", type=int, default=None, help="hidden units (default: 50; 100 for simple_conv_net)")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.add_argument("--check", action="store_true", help="print the loss, dx1 and gradients of one step")
    a = p.parse_args(argv)
    conv = a.net == "simple_conv_net"
    hidden = a.hidden or (100 if conv else 50)
    x, t, params = (conv_inputs if conv else inputs)(hidden, a.batch)
    make = {(False, "numpy"): numpy_step, (False, "torch"): torch_step, (True, "numpy"): numpy_conv_step,
            (True, "torch"): torch_conv_step}[conv, a.impl]
    step = make(x, t, params)
    if a.check:
        r = step()
        print(json.dumps({"loss": r["loss"], "dx1": r["dx1"].tolist(),
                          "grads": {k: v.tolist() for k, v in r["grads"].items()}}))
        return 0
    for _ in range(3):
        step()
    times, faults = [], 0
    for _ in range(a.repeats):
        f0, start = minor_faults(), time.perf_counter()
        for _ in range(a.steps):
            step()
        times.append(1000 * (time.perf_counter() - start) / a.steps)
        faults += minor_faults() - f0
    ms = statistics.median(times)
    result = {"port": "numpy (plain)" if a.impl == "numpy" else "pytorch (autograd)", "ms_per_step": ms,
              "page_faults_per_step": faults / (a.repeats * a.steps), "repeats": times}
    print(json.dumps(result) if a.json else f"{result['port']}  {ms:.3f} ms/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
