"""Time the book's TwoLayerNet training step (784-50-10, batch 100, float64: forward, loss, the
whole backward, SGD) on the inputs of shared_tests/README.md §9.

    bin/bench [--repeats 7] [--steps 50] [--hidden 50] [--batch 100] [--check] [--json]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
from numpy.typing import NDArray

from .cli import OneLineParser, positive_int
from .networks import TwoLayerNet
from .optimizers import SGD
from .rng import MRG32k3a

INPUT, OUTPUT, LR = 784, 10, 0.1


def flops_per_step(hidden: int, batch: int) -> int:
    """Multiply-adds of the step's matrix products, 2 flops each: per Affine x·W, xᵀ·dout and
    dout·Wᵀ (the first Affine's dx included)."""
    return 3 * 2 * batch * (INPUT * hidden + hidden * OUTPUT)


def bench_inputs(hidden: int, batch: int) -> tuple[TwoLayerNet, NDArray[np.float64], NDArray[np.int64]]:
    """shared_tests/README.md §9: x = rand(batch, 784), then W1, W2 from the same generator
    (seed 0, std 0.01); t_i = i mod 10."""
    rng = MRG32k3a(0)
    x = rng.rand(batch, INPUT)
    return TwoLayerNet(INPUT, hidden, OUTPUT, rng=rng), x, np.arange(batch) % OUTPUT


def check(hidden: int, batch: int) -> dict:
    """One step of the book's gradient (its loop, keeping the loss and dx1), before the update."""
    net, x, t = bench_inputs(hidden, batch)
    loss = net.loss(x, t)
    dout = net.last_layer.backward(1)
    for layer in reversed(net.layers.values()):
        dout = layer.backward(dout)
    a1, a2 = net.layers["Affine1"], net.layers["Affine2"]
    grads = {"W1": a1.dW, "b1": a1.db, "W2": a2.dW, "b2": a2.db}
    return {"loss": float(loss), "dx1": dout.tolist(), "grads": {k: v.tolist() for k, v in grads.items()}}


def minor_faults() -> int:
    """Minor page faults of this process so far (field 10 of /proc/self/stat)."""
    with open("/proc/self/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[7])


def step_times(repeats: int, steps: int, hidden: int, batch: int) -> tuple[list[float], float]:
    """ms per step for each repeat of `steps` book steps (gradient: forward, loss, the whole
    backward; then SGD), after 3 warm-up steps; and the page faults per step."""
    net, x, t = bench_inputs(hidden, batch)
    opt = SGD(lr=LR)
    for _ in range(3):
        opt.update(net.params, net.gradient(x, t))
    out, faults = [], 0
    for _ in range(repeats):
        f0, start = minor_faults(), time.perf_counter()
        for _ in range(steps):
            opt.update(net.params, net.gradient(x, t))
        out.append(1000 * (time.perf_counter() - start) / steps)
        faults += minor_faults() - f0
    return out, faults / (repeats * steps)


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser("bin/bench", " ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--repeats", metavar="N", type=positive_int, default=7, help="timed repeats; the median is reported")
    p.add_argument("--steps", metavar="N", type=positive_int, default=50, help="steps per repeat")
    p.add_argument("--hidden", metavar="N", type=positive_int, default=50, help="hidden units")
    p.add_argument("--batch", metavar="N", type=positive_int, default=100, help="images per batch")
    p.add_argument("--check", action="store_true",
                   help="instead of timing: the loss, dx1 and gradients of one step as one JSON line")
    p.add_argument("--no-reference", action="store_true",
                   help="accepted for the common options of every port's bin/bench: this is the reference")
    p.add_argument("--json", action="store_true", help='print one JSON object {"port", "ms_per_step", ...}')
    args = p.parse_args(argv)
    if args.check:
        print(json.dumps(check(args.hidden, args.batch)))
        return 0
    times, faults = step_times(args.repeats, args.steps, args.hidden, args.batch)
    ms = statistics.median(times)
    result = {"port": "python", "ms_per_step": ms, "page_faults_per_step": faults, "repeats": times,
              "gflops": flops_per_step(args.hidden, args.batch) / (ms * 1e6)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"python  {ms:.3f} ms/step (784-{args.hidden}-10, batch {args.batch}; median of {args.repeats} x "
              f"{args.steps})  {result['gflops']:.2f} GFLOP/s  {faults:.1f} page faults/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
