"""Time the book's TwoLayerNet training step (784-50-10, batch 100, float64: forward, loss, the
whole backward, SGD), or with --net simple_conv_net / deep_conv_net the SimpleConvNet step of
chapter 7 / the DeepConvNet step of chapter 8, on the inputs of shared_tests/README.md §9.

    bin/bench [--net two_layer_net] [--repeats 7] [--steps 50] [--hidden 50] [--batch 100] [--check] [--json]
"""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np
from numpy.typing import NDArray

from .cli import OneLineParser, positive_int
from .layers import Affine, Convolution
from .networks import DEEP_CONVS, DEEP_POOL_AFTER, DeepConvNet, SimpleConvNet, TwoLayerNet
from .optimizers import SGD
from .rng import MRG32k3a

INPUT, OUTPUT, LR = 784, 10, 0.1


#: SimpleConvNet's convolution (the book's conv_param) and its output, pooled by 2 x 2 of stride 2.
FILTERS, FILTER_SIZE, CONV_OUT = 30, 5, 24
NETS = ("two_layer_net", "simple_conv_net", "deep_conv_net")
DEFAULT_HIDDEN = {"two_layer_net": 50, "simple_conv_net": 100, "deep_conv_net": 50}
Network = TwoLayerNet | SimpleConvNet | DeepConvNet


def deep_conv_macs(hidden: int) -> int:
    """Multiply-adds of one image's forward products in DeepConvNet: each convolution's
    OH·OW·FN·(C·3·3) (a pad-p layer makes a side s into s + 2p − 2, a pooling into s // 2), then the Affines."""
    macs, channels, side = 0, 1, 28
    for i, (filters, pad) in enumerate(DEEP_CONVS, start=1):
        side += 2 * pad - 2
        macs += side * side * filters * channels * 9
        channels = filters
        if i in DEEP_POOL_AFTER:
            side //= 2
    return macs + channels * side * side * hidden + hidden * OUTPUT


def flops_per_step(hidden: int, batch: int, net: str = "two_layer_net") -> int:
    """Multiply-adds of the step's matrix products, 2 flops each: per Affine x·W, xᵀ·dout and
    dout·Wᵀ (the first layer's dx included); the convolution's col·W_colᵀ, doutᵀ·col, dout·W_col."""
    if net == "two_layer_net":
        return 3 * 2 * batch * (INPUT * hidden + hidden * OUTPUT)
    if net == "deep_conv_net":
        return 3 * 2 * batch * deep_conv_macs(hidden)
    pooled = FILTERS * (CONV_OUT // 2) ** 2
    conv = batch * CONV_OUT * CONV_OUT * FILTERS * FILTER_SIZE * FILTER_SIZE
    return 3 * 2 * (conv + batch * (pooled * hidden + hidden * OUTPUT))


def bench_inputs(hidden: int, batch: int, net: str = "two_layer_net") -> tuple[Network, NDArray[np.float64], NDArray[np.int64]]:
    """shared_tests/README.md §9: x = rand(batch, 784) (as N x 1 x 28 x 28 for the conv nets), then the
    network's weights from the same generator (seed 0; std 0.01, He's scales for DeepConvNet); t_i = i mod 10."""
    rng = MRG32k3a(0)
    x = rng.rand(batch, INPUT)
    t = np.arange(batch) % OUTPUT
    if net == "simple_conv_net":
        return SimpleConvNet(hidden_size=hidden, rng=rng), x.reshape(batch, 1, 28, 28), t
    if net == "deep_conv_net":      # its Dropout masks: those of seed 0, every step
        return DeepConvNet(hidden_size=hidden, rng=rng), x.reshape(batch, 1, 28, 28), t
    return TwoLayerNet(INPUT, hidden, OUTPUT, rng=rng), x, t


def check(hidden: int, batch: int, net: str = "two_layer_net") -> dict:
    """One step of the book's gradient (its loop, keeping the loss and dx1), before the update."""
    network, x, t = bench_inputs(hidden, batch, net)
    loss = network.loss(x, t)
    dout = network.last_layer.backward(1)
    layers = list(network.layers.values()) if isinstance(network.layers, dict) else network.layers
    for layer in reversed(layers):
        dout = layer.backward(dout)
    weighted = [layer for layer in layers if isinstance(layer, (Affine, Convolution))]
    grads = {key: v for i, layer in enumerate(weighted, start=1) for key, v in ((f"W{i}", layer.dW), (f"b{i}", layer.db))}
    return {"loss": float(loss), "dx1": dout.tolist(), "grads": {k: v.tolist() for k, v in grads.items()}}


def minor_faults() -> int:
    """Minor page faults of this process so far (field 10 of /proc/self/stat)."""
    with open("/proc/self/stat") as fh:
        return int(fh.read().rsplit(")", 1)[1].split()[7])


def step_times(repeats: int, steps: int, hidden: int, batch: int, network: str = "two_layer_net") -> tuple[list[float], float]:
    """ms per step for each repeat of `steps` book steps (gradient: forward, loss, the whole
    backward; then SGD), after 3 warm-up steps; and the page faults per step."""
    net, x, t = bench_inputs(hidden, batch, network)
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
    p.add_argument("--net", metavar="NAME", choices=NETS, default="two_layer_net",
                   help="two_layer_net, simple_conv_net or deep_conv_net")
    p.add_argument("--hidden", metavar="N", type=positive_int, default=None,
                   help="hidden units (default: 50; 100 for simple_conv_net)")
    p.add_argument("--batch", metavar="N", type=positive_int, default=100, help="images per batch")
    p.add_argument("--check", action="store_true",
                   help="instead of timing: the loss, dx1 and gradients of one step as one JSON line")
    p.add_argument("--no-reference", action="store_true",
                   help="accepted for the common options of every port's bin/bench: this is the reference")
    p.add_argument("--json", action="store_true", help='print one JSON object {"port", "ms_per_step", ...}')
    args = p.parse_args(argv)
    hidden = args.hidden or DEFAULT_HIDDEN[args.net]
    if args.check:
        print(json.dumps(check(hidden, args.batch, args.net)))
        return 0
    times, faults = step_times(args.repeats, args.steps, hidden, args.batch, args.net)
    ms = statistics.median(times)
    result = {"port": "python", "net": args.net, "ms_per_step": ms, "page_faults_per_step": faults, "repeats": times,
              "gflops": flops_per_step(hidden, args.batch, args.net) / (ms * 1e6)}
    if args.json:
        print(json.dumps(result))
    else:
        shape = {"two_layer_net": f"784-{hidden}-10", "simple_conv_net": f"conv 30x5x5-pool-{hidden}-10",
                 "deep_conv_net": f"6 conv 3x3-3 pool-{hidden}-10"}[args.net]
        print(f"python  {ms:.3f} ms/step ({shape}, batch {args.batch}; median of {args.repeats} x "
              f"{args.steps})  {result['gflops']:.2f} GFLOP/s  {faults:.1f} page faults/step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
