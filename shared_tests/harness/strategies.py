"""Hypothesis strategies of the differential fuzzer: `STRATEGIES[family]` draws `(op, args)`
for one op of a fuzz family (README "Fuzzing": random shapes, scales from 1e-3 to 1e3, the
extremes, non-finite values, labels and one-hot targets, small networks, damaged requests)."""
from __future__ import annotations

import gzip
import json
import math
import os
import struct
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from . import OPS
from .jsonio import decode_numbers, dumps, encode_numbers

OPS_LIST = list(OPS)

Args = dict[str, Any]

# ---------------------------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------------------------

def arr(v: Any) -> np.ndarray:
    """A protocol value (nested lists, "NaN" strings) as a float array."""
    return np.asarray(decode_numbers(v), dtype=np.float64)


SCALES = [1e-3, 1e-2, 0.1, 1.0, 10.0, 100.0, 1e3]
EXTREME_SCALES = SCALES + [1e-300, 1e300]
SPECIALS = [math.nan, math.inf, -math.inf, 0.0, -0.0]

dims = st.integers(1, 5)
# now and then a dimension of 8..40: NumPy's pairwise summation differs from a plain loop only
# from 8 terms on, so this is where summation orders of the ports part
wide = st.one_of(st.integers(1, 5), st.integers(1, 5), st.integers(8, 40))
shape_1d = st.tuples(wide)
shape_2d = st.one_of(st.tuples(wide, wide), st.just((1, 1)), st.tuples(st.just(1), wide),
                     st.tuples(wide, st.just(1)))


def shapes(max_ndim: int = 3, scalar: bool = False) -> st.SearchStrategy[tuple[int, ...]]:
    options = [shape_1d, shape_2d]
    if max_ndim >= 3:
        options.append(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
    if scalar:
        options.append(st.just(()))
    return st.one_of(*options)


def floats(shape: tuple[int, ...], scales: list[float] = SCALES, specials: bool = False,
           positive: bool = False) -> st.SearchStrategy[np.ndarray]:
    """An array of the shape: uniform(-1, 1) (or (0, 1]) times a drawn scale; with `specials`
    an element is now and then NaN, +-inf, 0 or -0."""
    lo = 2.0 ** -30 if positive else -1.0
    elem: st.SearchStrategy[float] = st.floats(lo, 1.0, allow_nan=False, width=64)
    if specials:
        elem = st.one_of(elem, elem, elem, elem, elem, elem, st.sampled_from(SPECIALS))
    return st.tuples(st.sampled_from(scales), hnp.arrays(np.float64, shape, elements=elem)) \
        .map(lambda sa: (sa[1] * sa[0]).astype(np.float64))


def as_json(a: Any) -> Any:
    """An array (or scalar) as the protocol's nested lists of numbers."""
    if isinstance(a, np.ndarray):
        return encode_numbers(a.tolist())
    return encode_numbers(a)


@st.composite
def labels_or_onehot(draw: Callable, n: int | None, c: int) -> Any:
    """Targets for a batch of n rows (None: a 1-D y) of c classes: labels or one-hot."""
    rows = 1 if n is None else n
    labels = draw(st.lists(st.integers(0, c - 1), min_size=rows, max_size=rows))
    if draw(st.booleans()):
        onehot = np.zeros((rows, c))
        onehot[np.arange(rows), labels] = 1.0
        return as_json(onehot[0] if n is None else onehot)
    if n is None:
        return labels[0] if draw(st.booleans()) else labels[:1]
    return labels


@st.composite
def gates_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["gate.and", "gate.nand", "gate.or", "gate.xor"]))
    if draw(st.booleans()):
        x1, x2 = draw(st.integers(0, 1)), draw(st.integers(0, 1))
    else:
        x1, x2 = (float(draw(floats((), SCALES))) for _ in range(2))
    return op, {"x1": x1, "x2": x2}


ELEMENTWISE = ["fn.identity", "fn.step", "fn.sigmoid", "fn.sigmoid_grad", "fn.relu", "fn.relu_grad", "fn.tanh"]


@st.composite
def functions_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(ELEMENTWISE + ["fn.softmax", "fn.softmax"]))
    if op == "fn.softmax":
        x = draw(floats(draw(st.one_of(shape_1d, shape_2d)), EXTREME_SCALES,
                        specials=draw(st.integers(0, 5)) == 0))
    else:
        x = draw(floats(draw(shapes(3, scalar=True)), EXTREME_SCALES, specials=True))
    return op, {"x": as_json(x if x.ndim else float(x))}


@st.composite
def losses_examples(draw: Callable) -> tuple[str, Args]:
    if draw(st.booleans()):
        shape = draw(shapes(3, scalar=True))
        y = draw(floats(shape, EXTREME_SCALES))
        t = draw(floats(shape, EXTREME_SCALES))
        return "loss.sum_squared_error", {"y": as_json(y if y.ndim else float(y)),
                                          "t": as_json(t if t.ndim else float(t))}
    n = draw(st.one_of(st.none(), wide))
    c = draw(st.one_of(st.integers(1, 6), st.integers(8, 20)))
    shape = (c,) if n is None else (n, c)
    if draw(st.booleans()):      # probabilities: a softmax of random scores
        z = draw(floats(shape, SCALES))
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        y = e / e.sum(axis=-1, keepdims=True)
    else:                        # any positive numbers (zeros included: log(1e-7))
        y = draw(floats(shape, [1e-9, 1e-3, 1.0, 1e3], positive=True))
        if draw(st.integers(0, 3)) == 0:
            y.reshape(-1)[0] = 0.0
    return "loss.cross_entropy_error", {"y": as_json(y), "t": draw(labels_or_onehot(n, c))}


@st.composite
def gradient_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["grad.numerical_diff", "grad.numerical_gradient",
                               "grad.gradient_descent"]))
    f = draw(st.sampled_from(["function_1", "function_2"]))
    if op == "grad.numerical_diff":
        return op, {"f": f, "x": float(draw(floats((), SCALES)))}
    x = draw(floats(draw(st.one_of(shape_1d, shape_2d)), SCALES))
    if op == "grad.numerical_gradient":
        return op, {"f": f, "x": as_json(x)}
    lr = draw(st.sampled_from([1e-3, 0.01, 0.1, 0.3, 0.5, 0.9]))
    return op, {"f": f, "init_x": as_json(x), "lr": lr, "step_num": draw(st.integers(1, 20))}


@st.composite
def simple_net_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["simple_net.predict", "simple_net.loss",
                               "simple_net.numerical_gradient"]))
    d, c = draw(wide), draw(st.integers(1, 4))
    n = draw(st.one_of(st.none(), st.integers(1, 4)))
    W = draw(floats((d, c), [1e-3, 0.01, 0.1, 1.0, 10.0, 1e3]))
    x = draw(floats((d,) if n is None else (n, d), [1e-3, 0.01, 0.1, 1.0, 10.0, 1e3]))
    args: Args = {"W": as_json(W), "x": as_json(x)}
    if op != "simple_net.predict":
        args["t"] = draw(labels_or_onehot(n, c))
    return op, args


@st.composite
def graph_examples(draw: Callable) -> tuple[str, Args]:
    def num() -> float:
        return float(draw(floats((), EXTREME_SCALES)))
    if draw(st.booleans()):
        return "graph.buy_apple", {"apple": num(), "apple_num": num(), "tax": num(), "dprice": num()}
    return "graph.buy_apple_orange", {k: num() for k in ("apple", "apple_num", "orange",
                                                         "orange_num", "tax", "dprice")}


@st.composite
def layers_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["layer.mul", "layer.add", "layer.relu", "layer.sigmoid",
                               "layer.affine", "layer.affine", "layer.softmax_with_loss",
                               "layer.softmax_with_loss"]))
    if op in ("layer.mul", "layer.add"):
        shape = draw(shapes(3, scalar=True))
        xs = [draw(floats(shape, EXTREME_SCALES, specials=True)) for _ in range(3)]
        return op, dict(zip(("x", "y", "dout"), (as_json(a if a.ndim else float(a)) for a in xs)))
    if op in ("layer.relu", "layer.sigmoid"):
        shape = draw(shapes(3))
        return op, {"x": as_json(draw(floats(shape, EXTREME_SCALES, specials=True))),
                    "dout": as_json(draw(floats(shape, SCALES)))}
    if op == "layer.affine":
        d, m = draw(wide), draw(dims)
        kind = draw(st.sampled_from(["1d", "2d", "2d", "3d"]))
        if kind == "1d":
            xshape: tuple[int, ...] = (d,)
            oshape: tuple[int, ...] = (m,)
        elif kind == "2d":
            n = draw(wide)
            xshape, oshape = (n, d), (n, m)
        else:                       # (N, a, b) with a·b = D: reshaped to (N, D)
            n, a = draw(dims), draw(st.sampled_from([k for k in range(1, d + 1) if d % k == 0]))
            xshape, oshape = (n, a, d // a), (n, m)
        return op, {"W": as_json(draw(floats((d, m), SCALES))), "b": as_json(draw(floats((m,), SCALES))),
                    "x": as_json(draw(floats(xshape, SCALES))),
                    "dout": as_json(draw(floats(oshape, SCALES)))}
    n = draw(st.one_of(st.none(), wide))
    c = draw(st.one_of(st.integers(1, 6), st.integers(8, 20)))
    x = draw(floats((c,) if n is None else (n, c), SCALES))
    return op, {"x": as_json(x), "t": draw(labels_or_onehot(n, c))}


@st.composite
def dropout_examples(draw: Callable) -> tuple[str, Args]:
    shape = draw(shapes(3))
    args: Args = {"x": as_json(draw(floats(shape, SCALES, specials=True))),
                  "dout": as_json(draw(floats(shape, SCALES))),
                  "dropout_ratio": draw(st.one_of(st.sampled_from([0.0, 0.5, 0.999]),
                                                  st.floats(0, 0.99))),
                  "seed": draw(st.one_of(st.integers(0, 100), st.just(2 ** 31 - 1)))}
    flag = draw(st.sampled_from([True, False, None]))
    if flag is not None:
        args["train_flg"] = flag
    return "layer.dropout", args


@st.composite
def batch_norm_examples(draw: Callable) -> tuple[str, Args]:
    n, d = draw(wide), draw(dims)
    xshape = draw(st.sampled_from([(n, d), (n, d), (n, 1, d)]))
    offset = draw(st.sampled_from([0.0, 0.0, 1.0, 100.0]))   # a mean far from 0: cancellation
    x = draw(floats(xshape, SCALES)) + offset
    args: Args = {"x": as_json(x), "gamma": as_json(draw(floats((d,), [0.1, 1.0, 10.0]))),
                  "beta": as_json(draw(floats((d,), [0.1, 1.0]))),
                  "dout": as_json(draw(floats(xshape, [0.1, 1.0, 10.0]))),
                  "momentum": draw(st.sampled_from([0.0, 0.5, 0.9, 1.0]))}
    if draw(st.booleans()):
        args["running_mean"] = as_json(draw(floats((d,), [0.1, 1.0])))
        args["running_var"] = as_json(draw(floats((d,), [0.1, 1.0], positive=True)))
    args["train_flg"] = draw(st.booleans())
    return "layer.batch_norm", args


@st.composite
def net3_examples(draw: Callable) -> tuple[str, Args]:
    if draw(st.integers(0, 9)) == 0:
        return "net3.init", {}
    d, h1, h2, c = draw(wide), draw(wide), draw(dims), draw(dims)
    net = {}
    for i, (a, b) in enumerate([(d, h1), (h1, h2), (h2, c)], 1):
        net[f"W{i}"] = as_json(draw(floats((a, b), [1e-3, 0.1, 1.0, 10.0, 1e3])))
        net[f"b{i}"] = as_json(draw(floats((b,), [0.1, 1.0, 100.0])))
    n = draw(st.one_of(st.none(), wide))
    x = draw(floats((d,) if n is None else (n, d), [0.1, 1.0, 10.0]))
    args: Args = {"network": net, "x": as_json(x)}
    out = draw(st.sampled_from([None, "identity", "softmax"]))
    if out:
        args["output"] = out
    return "net3.forward", args


@st.composite
def net_params(draw: Callable, sizes: list[int]) -> dict[str, Any]:
    p = {}
    for i in range(1, len(sizes)):
        p[f"W{i}"] = as_json(draw(floats((sizes[i - 1], sizes[i]), [1e-3, 0.1, 0.5, 1.0, 3.0, 30.0])))
        p[f"b{i}"] = as_json(draw(floats((sizes[i],), [0.01, 0.1, 1.0, 100.0])))
    return p


@st.composite
def two_layer_net_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["two_layer_net.init", "two_layer_net.predict", "two_layer_net.loss",
                               "two_layer_net.accuracy", "two_layer_net.gradient",
                               "two_layer_net.gradient", "two_layer_net.numerical_gradient"]))
    d, h, c = draw(wide), draw(dims), draw(st.integers(1, 4))
    if op == "two_layer_net.init":
        args: Args = {"input_size": d, "hidden_size": h, "output_size": c,
                      "seed": draw(st.one_of(st.integers(0, 1000), st.just(2 ** 31 - 1)))}
        if draw(st.booleans()):
            args["weight_init_std"] = draw(st.sampled_from([0.01, 1.0, 1e-300, 1e300]))
        return op, args
    n = draw(wide) if op == "two_layer_net.accuracy" else draw(st.one_of(st.none(), wide))
    x = draw(floats((d,) if n is None else (n, d), [1e-3, 0.1, 1.0, 3.0, 100.0]))
    args = {"params": draw(net_params([d, h, c])), "x": as_json(x)}
    if op != "two_layer_net.predict":
        args["t"] = draw(labels_or_onehot(n, c))
    return op, args


@st.composite
def multi_layer_net_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["multi_layer_net.init", "multi_layer_net.loss",
                               "multi_layer_net.gradient", "multi_layer_net.gradient",
                               "multi_layer_net.numerical_gradient"]))
    d, c = draw(wide), draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    args: Args = {"input_size": d, "hidden_size_list": hidden, "output_size": c}
    if draw(st.booleans()):
        args["activation"] = draw(st.sampled_from(["relu", "sigmoid"]))
    if draw(st.booleans()):
        args["weight_init_std"] = draw(st.sampled_from(["relu", "he", "sigmoid", "xavier", 0.01, 1.0]))
    if draw(st.booleans()):
        args["seed"] = draw(st.integers(0, 1000))
    if op == "multi_layer_net.init":
        return op, args
    if draw(st.booleans()):
        args["weight_decay_lambda"] = draw(st.sampled_from([0.0, 0.1, 1.0]))
    n = draw(st.one_of(st.none(), wide))
    args["params"] = draw(net_params([d, *hidden, c]))
    args["x"] = as_json(draw(floats((d,) if n is None else (n, d), [1e-3, 0.1, 1.0, 3.0, 100.0])))
    args["t"] = draw(labels_or_onehot(n, c))
    return op, args


EXTEND_OPS = ["multi_layer_net_extend.init", "multi_layer_net_extend.predict", "multi_layer_net_extend.loss",
              "multi_layer_net_extend.accuracy", "multi_layer_net_extend.gradient",
              "multi_layer_net_extend.gradient", "multi_layer_net_extend.numerical_gradient"]


@st.composite
def extend_structure(draw: Callable, d: int, c: int) -> Args:
    """MultiLayerNetExtend's init arguments (each one present or left to its default)."""
    args: Args = {"input_size": d, "hidden_size_list": draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)),
                  "output_size": c}
    optional = {"activation": st.sampled_from(["relu", "sigmoid"]),
                "weight_init_std": st.sampled_from(["relu", "He", "sigmoid", "xavier", 0.01, 1.0]),
                "weight_decay_lambda": st.sampled_from([0.0, 0.1, 1.0]),
                "use_dropout": st.booleans(), "dropout_ration": st.sampled_from([0.0, 0.2, 0.5, 0.9]),
                "use_batchnorm": st.booleans()}
    args.update({k: draw(v) for k, v in optional.items() if draw(st.booleans())})
    return args


@st.composite
def multi_layer_net_extend_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(EXTEND_OPS))
    d, c = draw(wide), draw(st.integers(1, 4))
    args = draw(extend_structure(d, c))
    if draw(st.booleans()):
        args["seed"] = draw(st.one_of(st.integers(0, 1000), st.just(2 ** 31 - 1)))
    if op == "multi_layer_net_extend.init":
        return op, args
    sizes = [d, *args["hidden_size_list"], c]
    params = draw(net_params(sizes))
    hidden = range(1, len(sizes) - 1) if args.get("use_batchnorm") else range(0)
    for i in hidden:
        params[f"gamma{i}"] = as_json(draw(floats((sizes[i],), [0.1, 1.0, 3.0])))
        params[f"beta{i}"] = as_json(draw(floats((sizes[i],), [0.1, 1.0])))
    if hidden and draw(st.booleans()):
        args["running_stats"] = {k: as_json(draw(floats((sizes[i],), [0.1, 1.0], positive=k.startswith("running_var"))))
                                 for i in hidden for k in (f"running_mean{i}", f"running_var{i}")}
    n = draw(wide)
    args["params"] = params
    args["x"] = as_json(draw(floats((n, d), [1e-3, 0.1, 1.0, 3.0, 100.0])))
    if op != "multi_layer_net_extend.predict":
        args["t"] = draw(labels_or_onehot(n, c))
    if op in ("multi_layer_net_extend.predict", "multi_layer_net_extend.loss") and draw(st.booleans()):
        args["train_flg"] = draw(st.booleans())
    return op, args


OPTIMIZER_NAMES = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


@st.composite
def hyper_for(draw: Callable, name: str) -> dict[str, float]:
    choices: dict[str, st.SearchStrategy[float]] = {
        "lr": st.sampled_from([1e-4, 1e-3, 0.01, 0.1, 1.0]),
        "momentum": st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]),
        "decay_rate": st.sampled_from([0.5, 0.9, 0.99, 0.999]),
        "beta1": st.sampled_from([0.0, 0.5, 0.9, 0.99]),
        "beta2": st.sampled_from([0.9, 0.99, 0.999, 0.9999]),
    }
    uses = {"sgd": ["lr"], "momentum": ["lr", "momentum"], "nesterov": ["lr", "momentum"],
            "adagrad": ["lr"], "rmsprop": ["lr", "decay_rate"], "adam": ["lr", "beta1", "beta2"]}
    return {k: draw(choices[k]) for k in uses[name] if draw(st.booleans())}


@st.composite
def optimizers_examples(draw: Callable) -> tuple[str, Args]:
    name = draw(st.sampled_from(OPTIMIZER_NAMES))
    keys = draw(st.lists(st.sampled_from(["W1", "b1", "W2", "gamma"]), min_size=1, max_size=3,
                         unique=True))
    shapes_ = {k: draw(st.one_of(shape_1d, shape_2d)) for k in keys}
    params = {k: as_json(draw(floats(s, SCALES))) for k, s in shapes_.items()}
    steps = draw(st.integers(0, 8))
    gscale = draw(st.sampled_from([1e-6, 1e-3, 1.0, 1e3]))
    seq = [{k: as_json(draw(floats(s, [gscale]))) for k, s in shapes_.items()} for _ in range(steps)]
    return "optimizer.run", {"name": name, "hyper": draw(hyper_for(name)), "params": params,
                             "grads_seq": seq}


@st.composite
def rng_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(["rng.uniform", "rng.normal", "rng.permutation", "rng.choice"]))
    seed_ = draw(st.one_of(st.integers(0, 2 ** 31 - 1), st.integers(0, 10)))
    n = draw(st.one_of(st.integers(1, 10), st.integers(1, 3000)))
    args: Args = {"seed": seed_, "n": n}
    if op == "rng.choice":
        args["size"] = draw(st.integers(1, 500))
    return op, args


@st.composite
def trainer_examples(draw: Callable) -> tuple[str, Args]:
    n, m, d, c = draw(st.integers(1, 30)), draw(st.integers(1, 10)), draw(st.integers(1, 8)), draw(st.integers(1, 4))
    kind = draw(st.sampled_from(["two_layer_net", "multi_layer_net", "multi_layer_net_extend", "simple_conv_net"]))
    if kind == "simple_conv_net":
        structure = draw(conv_net_structure(c=1))
        structure["output_size"] = c
        network: Args = {"kind": kind, **structure, "weight_init_std": draw(st.sampled_from([0.01, 0.1, 0.5]))}
        image = tuple(structure["input_dim"])
        name = draw(st.sampled_from(OPTIMIZER_NAMES))
        n = draw(st.integers(1, 12))
        args = {"network": network, "x_train": as_json(draw(floats((n, *image), [0.1, 1.0]))),
                "t_train": draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)),
                "x_test": as_json(draw(floats((m, *image), [0.1, 1.0]))),
                "t_test": draw(st.lists(st.integers(0, c - 1), min_size=m, max_size=m)),
                "epochs": draw(st.integers(1, 2)), "mini_batch_size": draw(st.integers(1, n + 3)),
                "optimizer": name, "optimizer_param": draw(hyper_for(name)), "seed": draw(st.integers(0, 1000))}
        return "train.trainer", args
    if kind == "two_layer_net":
        network = {"kind": kind, "input_size": d, "hidden_size": draw(dims), "output_size": c,
                         "weight_init_std": draw(st.sampled_from([0.01, 0.1, 1.0]))}
    else:
        network = {"kind": kind, **draw(extend_structure(d, c))}
        if kind == "multi_layer_net":
            network = {k: v for k, v in network.items() if k not in ("use_dropout", "dropout_ration", "use_batchnorm")}
    name = draw(st.sampled_from(OPTIMIZER_NAMES))
    args: Args = {"network": network, "x_train": as_json(draw(floats((n, d), [0.1, 1.0]))),
                  "t_train": draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)),
                  "x_test": as_json(draw(floats((m, d), [0.1, 1.0]))),
                  "t_test": draw(st.lists(st.integers(0, c - 1), min_size=m, max_size=m)),
                  "epochs": draw(st.integers(1, 3)), "mini_batch_size": draw(st.integers(1, n + 3)),
                  "optimizer": draw(st.sampled_from([name, name.upper()])), "optimizer_param": draw(hyper_for(name)),
                  "seed": draw(st.integers(0, 1000))}
    if draw(st.booleans()):
        args["evaluate_sample_num_per_epoch"] = draw(st.integers(1, n + 2))
    return "train.trainer", args


@st.composite
def train_examples(draw: Callable) -> tuple[str, Args]:
    if draw(st.booleans()):
        return draw(trainer_examples())
    n, d, c = draw(st.integers(1, 40)), draw(wide), draw(st.integers(1, 4))
    x = draw(floats((n, d), [0.1, 1.0]))
    t = draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n))
    name = draw(st.sampled_from(OPTIMIZER_NAMES))
    args: Args = {"x_train": as_json(x), "t_train": t, "hidden_size": draw(dims), "output_size": c,
                  "iters": draw(st.integers(1, 12)), "batch_size": draw(st.integers(1, n + 3)),
                  "seed": draw(st.integers(0, 1000)),
                  "weight_init_std": draw(st.sampled_from([0.01, 0.1, 1.0])),
                  "lr": draw(st.sampled_from([0.01, 0.1, 0.5]))}
    if name != "sgd" or draw(st.booleans()):
        args["optimizer"] = {"name": name, "hyper": draw(hyper_for(name))}
    return "train.two_layer_net", args


IDX_CODES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@st.composite
def data_examples(draw: Callable) -> tuple[str, Args]:
    """A random IDX file written to a temporary directory (raw or gzip, any type, 0-4 dims,
    now and then cut short)."""
    code = draw(st.sampled_from(sorted(IDX_CODES)))
    shape = draw(st.lists(st.integers(0, 6), min_size=0, max_size=4))
    dtype = np.dtype(IDX_CODES[code])
    count = int(np.prod(shape)) if shape else 1
    if dtype.kind == "f":
        values = draw(hnp.arrays(dtype, (count,), elements=st.floats(
            -1e6, 1e6, allow_nan=False, width=dtype.itemsize * 8)))
    else:
        info = np.iinfo(dtype)
        values = draw(hnp.arrays(dtype, (count,), elements=st.integers(int(info.min), int(info.max))))
    body = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape) \
        + values.astype(dtype).tobytes()
    if draw(st.integers(0, 7)) == 0:
        body = body[:draw(st.integers(0, max(0, len(body) - 1)))]
    if draw(st.booleans()):
        body = gzip.compress(body, mtime=0)
    fd, path = tempfile.mkstemp(prefix="fuzz-", suffix=".idx", dir=_tmpdir())
    with os.fdopen(fd, "wb") as fh:
        fh.write(body)
    return "data.idx", {"path": path}


_TMP: list[str] = []


def _tmpdir() -> str:
    if not _TMP:
        _TMP.append(tempfile.mkdtemp(prefix="dlscratch-fuzz-"))
    return _TMP[0]


BAD_VALUES: list[Any] = ["abc", None, True, [], [[]], {}, -1, 0, 1e12, 2.5, "NaN", "Infinity",
                         "-Infinity", 1e300, -0.0, 3.0, 2 ** 31, [[1.0], [2.0, 3.0]], [1.0, [2.0]],
                         1.0, [1.0], [[1.0]], [[[1.0]]], ["NaN"], {"name": "sgd"}]


def _reshaped(v: Any, how: int) -> Any:
    """An array argument changed in shape: a row shorter, transposed, wrapped, flattened."""
    a = arr(v)
    if how == 0 and a.ndim >= 1 and a.shape[-1] > 1:
        return as_json(a[..., :-1])
    if how == 1 and a.ndim == 2:
        return as_json(a.T)
    if how == 2:
        return as_json(a[None])
    return as_json(a.reshape(-1)) if a.ndim else [as_json(a)]


@st.composite
def errors_examples(draw: Callable) -> tuple[str, Args]:
    """A valid example of another family with one or two arguments dropped, replaced by a bad
    value, reshaped, or (labels) pushed out of range, or an entry of an object argument
    (params, hyper, network, optimizer) replaced: every port must answer the reference's
    error type (or ok where the reference answers ok)."""
    family = draw(st.sampled_from([f for f in STRATEGIES if f not in ("errors", "requests", "data")]))
    op, args = draw(STRATEGIES[family])
    faults = draw(st.sampled_from([1, 1, 1, 2]))
    for _ in range(faults):
        op, args = draw(_mutated(op, args))
    # with two faults the error type depends on which the port checks first, an order the
    # protocol does not pin: then any error type agrees with an error of the reference
    return (op, args, {"any_error_type": True}) if faults > 1 else (op, args)


@st.composite
def _mutated(draw: Callable, op: str, args: Args) -> tuple[str, Args]:
    args = dict(args)
    if not args:
        return op, {"extra": 1}
    key = draw(st.sampled_from(sorted(args)))
    how = draw(st.integers(0, 3))
    if how == 0:
        del args[key]
    elif how == 1:
        args[key] = draw(st.sampled_from(BAD_VALUES))
    elif how == 2 and isinstance(args[key], list):
        try:
            args[key] = _reshaped(args[key], draw(st.integers(0, 3)))
        except (ValueError, TypeError):
            args[key] = None
    elif key in ("t", "t_train"):
        bad = draw(st.sampled_from([-1, 99, 1.5, 1e300]))
        args[key] = [bad] * len(args[key]) if isinstance(args[key], list) else bad
    elif isinstance(args[key], dict) and args[key]:
        sub = dict(args[key])
        subkey = draw(st.sampled_from(sorted(sub)))
        if isinstance(sub[subkey], dict) and sub[subkey] and draw(st.booleans()):
            inner = dict(sub[subkey])            # train's optimizer.hyper
            inner[draw(st.sampled_from(sorted(inner)))] = draw(st.sampled_from(BAD_VALUES))
            sub[subkey] = inner
        else:
            sub[subkey] = draw(st.sampled_from(BAD_VALUES))
        args[key] = sub
    else:
        args[key] = draw(st.sampled_from(BAD_VALUES))
    return op, args


JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 20, 10 ** 20),
                         st.floats(allow_nan=False, allow_infinity=False),
                         st.sampled_from(["NaN", "Infinity", "-Infinity", "fn.relu"]),
                         st.text(max_size=8))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda c: st.one_of(
    st.lists(c, max_size=4), st.dictionaries(st.text(max_size=6), c, max_size=4)), max_leaves=12)
LINE_CHARS = st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))
ASCII_WHITE = " \t\v\f\r"


@st.composite
def requests_examples(draw: Callable) -> tuple[str, Args, dict[str, Any]]:
    """A verbatim request line: any text, any JSON value, a request-shaped object with
    ill-typed id/op/args, or a valid request of another family damaged by a deleted,
    inserted or replaced character or cut short. Every port must answer with the reference's
    error type (or ok) and the id the protocol gives the line."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        line = draw(st.text(LINE_CHARS, min_size=1, max_size=40))
    elif kind == 1:
        line = json.dumps(draw(JSON_VALUES), ensure_ascii=draw(st.booleans()))
    elif kind == 2:
        obj: dict[str, Any] = {}
        if draw(st.integers(0, 5)):
            obj["id"] = draw(st.one_of(st.text(LINE_CHARS, max_size=8), JSON_VALUES))
        if draw(st.integers(0, 5)):
            obj["op"] = draw(st.one_of(st.sampled_from(OPS_LIST), JSON_VALUES))
        if draw(st.booleans()):
            obj["args"] = draw(JSON_VALUES)
        line = json.dumps(obj)
    else:
        family = draw(st.sampled_from([f for f in STRATEGIES if f not in ("errors", "requests",
                                                                           "data")]))
        op, args = draw(STRATEGIES[family])[:2]
        line = dumps({"id": f"req/{family}", "op": op, "args": args})
        i = draw(st.integers(0, len(line) - 1))
        how = draw(st.integers(0, 3))
        if how == 0:
            line = line[:i] + line[i + 1:]
        elif how == 1:
            line = line[:i] + draw(LINE_CHARS) + line[i:]
        elif how == 2:
            line = line[:i] + draw(LINE_CHARS) + line[i + 1:]
        else:
            line = line[:i]
    if not line.strip(ASCII_WHITE):
        line = "x" + line           # a blank line gets no answer: not a request
    return "<raw>", {"line": line}, {"raw": True, "any_error_type": False}


# --- chapter 7 ---------------------------------------------------------------------------------

def conv_out(size: int, f: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - f) // stride + 1


@st.composite
def geometry(draw: Callable, max_side: int = 7) -> tuple[tuple[int, int, int, int], int, int, int, int]:
    """An image batch N x C x H x W and a window fh x fw, stride and pad that fit (sometimes a
    window as large as the padded image, a stride larger than the window, padding wider than it)."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    pad = draw(st.sampled_from([0, 0, 0, 1, 1, 2, 3]))
    fh, fw = draw(st.integers(1, h + 2 * pad)), draw(st.integers(1, w + 2 * pad))
    stride = draw(st.sampled_from([1, 1, 1, 2, 2, 3, 4]))
    return (n, c, h, w), fh, fw, stride, pad


@st.composite
def im2col_examples(draw: Callable) -> tuple[str, Args]:
    (n, c, h, w), fh, fw, stride, pad = draw(geometry())
    args: Args = {"filter_h": fh, "filter_w": fw}
    if stride != 1 or draw(st.booleans()):
        args["stride"] = stride
    if pad or draw(st.booleans()):
        args["pad"] = pad
    if draw(st.booleans()):
        return "util.im2col", {"input_data": as_json(draw(floats((n, c, h, w), EXTREME_SCALES, specials=True))), **args}
    rows = n * conv_out(h, fh, stride, pad) * conv_out(w, fw, stride, pad)
    return "util.col2im", {"col": as_json(draw(floats((rows, c * fh * fw), SCALES))), "input_shape": [n, c, h, w], **args}


@st.composite
def convolution_examples(draw: Callable) -> tuple[str, Args]:
    (n, c, h, w), fh, fw, stride, pad = draw(geometry())
    fn = draw(st.integers(1, 4))
    out = (n, fn, conv_out(h, fh, stride, pad), conv_out(w, fw, stride, pad))
    return "layer.convolution", {"W": as_json(draw(floats((fn, c, fh, fw), SCALES))), "b": as_json(draw(floats((fn,), SCALES))),
                                 "x": as_json(draw(floats((n, c, h, w), SCALES))), "stride": stride, "pad": pad,
                                 "dout": as_json(draw(floats(out, SCALES)))}


@st.composite
def pooling_examples(draw: Callable) -> tuple[str, Args]:
    (n, c, h, w), fh, fw, stride, pad = draw(geometry())
    out = (n, c, conv_out(h, fh, stride, pad), conv_out(w, fw, stride, pad))
    # small integers make ties; specials put NaN, infinities and signed zeros into windows
    x = draw(st.one_of(floats((n, c, h, w), EXTREME_SCALES, specials=True),
                       hnp.arrays(np.float64, (n, c, h, w), elements=st.sampled_from([-1.0, 0.0, -0.0, 1.0, 2.0]))))
    args: Args = {"x": as_json(x), "pool_h": fh, "pool_w": fw, "pad": pad, "dout": as_json(draw(floats(out, SCALES)))}
    if stride != 2 or draw(st.booleans()):
        args["stride"] = stride
    return "layer.pooling", args


CONV_NET_OPS = [op for op in OPS_LIST if op.startswith("simple_conv_net.")]


@st.composite
def conv_net_structure(draw: Callable, c: int | None = None) -> Args:
    """A small SimpleConvNet whose convolution output is at least 2 x 2."""
    c = c if c is not None else draw(st.integers(1, 2))
    fs, pad, stride = draw(st.integers(1, 3)), draw(st.sampled_from([0, 0, 1])), draw(st.sampled_from([1, 1, 2]))
    least = fs - 2 * pad + stride          # conv output >= 2
    h, w = draw(st.integers(max(least, 1), 7)), draw(st.integers(max(least, 1), 7))
    return {"input_dim": [c, h, w], "conv_param": {"filter_num": draw(st.integers(1, 3)), "filter_size": fs, "pad": pad,
                                                    "stride": stride},
            "hidden_size": draw(st.integers(1, 5)), "output_size": draw(st.integers(1, 4))}


def conv_net_shapes(structure: Args) -> dict[str, tuple[int, ...]]:
    c, h, w = structure["input_dim"]
    conv = structure["conv_param"]
    fn, fs = conv["filter_num"], conv["filter_size"]
    ph, pw = conv_out(h, fs, conv["stride"], conv["pad"]) // 2, conv_out(w, fs, conv["stride"], conv["pad"]) // 2
    hid, out = structure["hidden_size"], structure["output_size"]
    return {"W1": (fn, c, fs, fs), "b1": (fn,), "W2": (fn * ph * pw, hid), "b2": (hid,), "W3": (hid, out), "b3": (out,)}


@st.composite
def simple_conv_net_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(CONV_NET_OPS))
    args = draw(conv_net_structure())
    if op == "simple_conv_net.init":
        args["weight_init_std"] = draw(st.sampled_from([0.01, 0.1, 1.0]))
        return op, {**args, "seed": draw(st.integers(0, 1000))}
    args["params"] = {k: as_json(draw(floats(shape, [0.1, 0.5, 1.0]))) for k, shape in conv_net_shapes(args).items()}
    n = draw(st.integers(1, 6))
    args["x"] = as_json(draw(floats((n, *args["input_dim"]), [0.1, 1.0, 3.0])))
    if op != "simple_conv_net.predict":
        args["t"] = draw(labels_or_onehot(n, args["output_size"]))
    return op, args


DEEP_CONV_NET_OPS = [op for op in OPS_LIST if op.startswith("deep_conv_net.")]
DEEP_FILTERS = (16, 16, 32, 32, 64, 64)


def deep_pooled(h: int, w: int) -> int:
    """PH·PW after DeepConvNet's convolutions (pads 1, 1, 1, 2, 1, 1) and three poolings."""
    for pads in ((1, 1), (1, 2), (1, 1)):
        for pad in pads:
            h, w = h + 2 * pad - 2, w + 2 * pad - 2
        h, w = h // 2, w // 2
    return h * w


@st.composite
def deep_conv_net_examples(draw: Callable) -> tuple[str, Args]:
    op = draw(st.sampled_from(DEEP_CONV_NET_OPS))
    c, h, w = draw(st.integers(1, 2)), draw(st.integers(4, 6)), draw(st.integers(4, 6))
    args: Args = {"input_dim": [c, h, w], "hidden_size": draw(st.integers(1, 4)), "output_size": draw(st.integers(1, 3))}
    if op == "deep_conv_net.init":
        return op, {**args, "seed": draw(st.integers(0, 1000))}
    shapes, channels = {}, c
    for i, filters in enumerate(DEEP_FILTERS, start=1):
        shapes[f"W{i}"], shapes[f"b{i}"] = (filters, channels, 3, 3), (filters,)
        channels = filters
    hid, out = args["hidden_size"], args["output_size"]
    shapes.update(W7=(64 * deep_pooled(h, w), hid), b7=(hid,), W8=(hid, out), b8=(out,))
    # 72,000 weights: drawn by numpy from one drawn seed (hypothesis would draw them one by one)
    r = np.random.RandomState(draw(st.integers(0, 2 ** 32 - 1)))
    scale = draw(st.sampled_from([0.1, 0.3, 1.0]))
    args["params"] = {k: as_json(r.uniform(-1.0, 1.0, shape) * scale) for k, shape in shapes.items()}
    n = draw(st.integers(1, 3))
    args["x"] = as_json(draw(floats((n, c, h, w), [1.0])))
    if op != "deep_conv_net.predict":
        args["t"] = draw(labels_or_onehot(n, out))
    if op in ("deep_conv_net.predict", "deep_conv_net.loss") and draw(st.booleans()):
        args["train_flg"] = draw(st.booleans())
    if op != "deep_conv_net.accuracy" and draw(st.booleans()):
        args["seed"] = draw(st.integers(0, 2 ** 31 - 1))
    return op, args


#: The committed parameters files (shared_tests/data/models) and their input shapes and classes.
MODEL_FILES = {"two_layer_net": ((6,), 3), "simple_conv_net": ((1, 6, 6), 3), "deep_conv_net": ((1, 8, 8), 3)}


@st.composite
def model_examples(draw: Callable) -> tuple[str, Args]:
    kind = draw(st.sampled_from(sorted(MODEL_FILES)))
    shape, classes = MODEL_FILES[kind]
    n = draw(st.integers(1, 5))
    return "model.evaluate", {"path": str(Path(__file__).resolve().parents[1] / "data" / "models" / f"{kind}.json"),
                              "x": as_json(draw(floats((n, *shape), [0.1, 1.0, 3.0]))),
                              "t": draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))}


STRATEGIES: dict[str, st.SearchStrategy[tuple[str, Args]]] = {
    "gates": gates_examples(), "functions": functions_examples(), "losses": losses_examples(),
    "gradient": gradient_examples(), "simple_net": simple_net_examples(),
    "graph": graph_examples(), "layers": layers_examples(), "dropout": dropout_examples(),
    "batch_norm": batch_norm_examples(), "net3": net3_examples(),
    "two_layer_net": two_layer_net_examples(), "multi_layer_net": multi_layer_net_examples(),
    "multi_layer_net_extend": multi_layer_net_extend_examples(),
    "im2col": im2col_examples(), "convolution": convolution_examples(), "pooling": pooling_examples(),
    "simple_conv_net": simple_conv_net_examples(),
    "deep_conv_net": deep_conv_net_examples(), "model": model_examples(),
    "optimizers": optimizers_examples(), "rng": rng_examples(), "train": train_examples(),
    "data": data_examples(),
}
STRATEGIES["errors"] = errors_examples()
STRATEGIES["requests"] = requests_examples()
"""The fuzz families: the case-file families of README section 6; "errors" (below) mutates
examples of the others."""


