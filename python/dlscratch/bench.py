"""Time one TwoLayerNet training step (784-50-10, batch 100, float64: forward, backward, SGD).

    bin/bench [--repeats 7] [--steps 50] [--json]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

from .cli import OneLineParser, positive_int
from .networks import TwoLayerNet
from .optimizers import SGD
from .rng import MRG32k3a

INPUT, HIDDEN, OUTPUT, BATCH = 784, 50, 10, 100


def flops_per_step() -> int:
    """Multiply-adds of the three matrix products per layer (forward, dX, dW), counted as 2 flops."""
    per_layer = lambda d, m: 3 * 2 * BATCH * d * m  # noqa: E731
    return per_layer(INPUT, HIDDEN) + per_layer(HIDDEN, OUTPUT)


def step_times(repeats: int, steps: int, seed: int = 0) -> list[float]:
    """ms per step for each repeat of `steps` steps."""
    rng = MRG32k3a(seed)
    x = rng.rand(BATCH, INPUT)
    t = np.array([i % OUTPUT for i in range(BATCH)])
    net = TwoLayerNet(INPUT, HIDDEN, OUTPUT, rng=rng)
    opt = SGD(lr=0.1)
    for _ in range(3):  # warm-up
        opt.update(net.params, net.gradient(x, t))
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            opt.update(net.params, net.gradient(x, t))
        out.append(1000 * (time.perf_counter() - start) / steps)
    return out


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser("bin/bench", __doc__.strip().splitlines()[0])
    p.add_argument("--repeats", metavar="N", type=positive_int, default=7, help="timed repeats; the median is reported")
    p.add_argument("--steps", metavar="N", type=positive_int, default=50, help="steps per repeat")
    p.add_argument("--no-reference", action="store_true",
                   help="accepted for the common options of every port's bin/bench: this is the reference")
    p.add_argument("--json", action="store_true", help='print one JSON object {"port", "ms_per_step", ...}')
    args = p.parse_args(argv)
    times = step_times(args.repeats, args.steps)
    ms = statistics.median(times)
    result = {"port": "python", "ms_per_step": ms, "repeats": times, "gflops": flops_per_step() / (ms * 1e6)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"python  {ms:.3f} ms/step (median of {args.repeats} x {args.steps})  {result['gflops']:.2f} GFLOP/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
