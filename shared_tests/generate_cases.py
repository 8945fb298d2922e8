#!/usr/bin/env python3
"""Write the `reference` case files shared_tests/cases/<family>.jsonl.

Every reference case is listed here as (id, op, args[, tol]); the inputs come from seeded
numpy RandomState generators or are written out. Each request is piped through the Python
reference runner (ports.json "python") and its ok-object becomes the case's `expect`.
Re-running gives byte-identical files, on any CPU: a committed expectation that a regenerated
one still agrees with (bit for bit, or within the case's tolerance for the ops whose results
go through BLAS or libm, the ops whose `machine_rounded` is true in ops.json) is kept as it is. Hand-entered cases (`book`, `derived`) live in
cases/*_hand.jsonl and are never touched by this script.

Usage: generate_cases.py [--check] [--verbose] [--help]
    --check     regenerate in memory and exit 1 if any case does not agree with the one on disk
    --verbose   name the cases whose BLAS/libm results moved on this machine
"""
from __future__ import annotations

import argparse
import json
import math
from decimal import Context, Decimal
import sys
from pathlib import Path
from typing import Any

import numpy as np

from harness import CASES_DIR, DEFAULT_ATOL, DEFAULT_RTOL, machine_rounded
from harness.cases import resolve_paths
from harness.compare import compare_ok
from harness.jsonio import decode_numbers, dumps, encode_numbers
from harness.ports import load_ports

NUMGRAD_TOL = {"rtol": 1e-9, "atol": 1e-8}    # numerical gradients (README section 6)
TRAIN_TOL = {"rtol": 1e-6, "atol": 1e-12}     # training histories
RNG_EXACT = {"rtol": 0.0, "atol": 0.0}        # uniforms and permutations: bit for bit
NORMAL_TOL = {"rtol": 1e-15, "atol": 1e-16}   # normals: libm

EXACT = Context(prec=60)

Spec = tuple  # (id, op, args), (id, op, args, tol) or (id, op, args, tol, unpinned)
#: Keys of an answer left out of its expectation, "params.b1" for a nested one, with the reason.
Unpinned = tuple[list[str], str]


def L(a: Any) -> Any:
    """numpy -> nested lists of Python floats/ints."""
    return np.asarray(a).tolist()


def rs(seed: int) -> np.random.RandomState:
    # The legacy RandomState stream is frozen by numpy's compatibility policy.
    return np.random.RandomState(seed)


def onehot(labels: np.ndarray, c: int) -> list:
    return L(np.eye(c, dtype=int)[labels])


def softmax_rows(a: np.ndarray) -> np.ndarray:
    """Row-wise softmax of inputs for loss cases, the same bits on every machine: exp is
    Decimal's (correctly rounded, then rounded to the nearest double), where numpy's and libm's
    exp dispatch on the CPU and may differ by an ulp; the sum and the division are IEEE."""
    shifted = a - a.max(axis=-1, keepdims=True)
    e = np.vectorize(lambda v: float(Decimal(float(v)).exp(EXACT)), otypes=[np.float64])(shifted)
    return e / e.sum(axis=-1, keepdims=True)


# ------------------------------------------------------------------------------- families
def gates() -> list[Spec]:
    r = rs(1)
    out = []
    for g in ("and", "nand", "or", "xor"):
        x1, x2 = r.uniform(-1, 2, 2)
        out.append((f"gate/{g}/reference/real", f"gate.{g}", {"x1": float(x1), "x2": float(x2)}))
    return out


def functions() -> list[Spec]:
    r = rs(2)
    out = []
    shapes = {"scalar": (), "1d": (5,), "2d": (3, 4)}
    for fn in ("identity", "step", "sigmoid", "sigmoid_grad", "relu", "relu_grad"):
        for tag, shape in shapes.items():
            x = r.randn(*shape) * 3 if shape else float(r.randn() * 3)
            out.append((f"fn/{fn}/reference/{tag}", f"fn.{fn}", {"x": L(x)}))
    out.append(("fn/sigmoid/reference/wide", "fn.sigmoid", {"x": L(np.linspace(-40, 40, 9))}))
    for fn in ("sigmoid", "relu", "step"):
        out.append((f"fn/{fn}/reference/3d", f"fn.{fn}", {"x": L(rs(20).randn(2, 2, 3))}))
    out.append(("fn/softmax/reference/1d", "fn.softmax", {"x": L(r.randn(5))}))
    out.append(("fn/softmax/reference/2d", "fn.softmax", {"x": L(r.randn(3, 4) * 2)}))
    out.append(("fn/softmax/reference/1x6", "fn.softmax", {"x": L(r.randn(1, 6))}))
    out.append(("fn/softmax/reference/large", "fn.softmax", {"x": L(r.randn(2, 5) * 300 + 700)}))
    out.append(("fn/softmax/reference/10-classes", "fn.softmax", {"x": L(r.randn(4, 10))}))
    rt = rs(31)   # tanh's own stream: the cases above keep their inputs
    for tag, shape in shapes.items():
        x = rt.randn(*shape) * 3 if shape else float(rt.randn() * 3)
        out.append((f"fn/tanh/reference/{tag}", "fn.tanh", {"x": L(x)}))
    out.append(("fn/tanh/reference/wide", "fn.tanh", {"x": L(np.linspace(-25, 25, 11))}))
    out.append(("fn/tanh/reference/small", "fn.tanh", {"x": [1e-300, -1e-12, 3e-9, 1e-5, -0.01]}))
    out.append(("fn/tanh/reference/3d", "fn.tanh", {"x": L(rt.randn(2, 2, 3))}))
    return out


def losses() -> list[Spec]:
    r = rs(3)
    out = []
    out.append(("loss/sse/reference/1d", "loss.sum_squared_error",
                {"y": L(r.rand(10)), "t": onehot(np.array(4), 10)}))
    out.append(("loss/sse/reference/2d", "loss.sum_squared_error",
                {"y": L(r.randn(3, 4)), "t": L(r.randn(3, 4))}))
    # "-portable": these two got new ids when their inputs' exp became Decimal's (one input moved
    # by an ulp); the inputs of every case are now the same bits on every machine.
    y1 = softmax_rows(r.randn(6))
    out.append(("loss/cee/reference/1d-label-portable", "loss.cross_entropy_error", {"y": L(y1), "t": 3}))
    out.append(("loss/cee/reference/1d-onehot-portable", "loss.cross_entropy_error",
                {"y": L(y1), "t": onehot(np.array(5), 6)}))
    y2 = softmax_rows(r.randn(4, 5))
    t2 = r.randint(0, 5, 4)
    out.append(("loss/cee/reference/2d-label", "loss.cross_entropy_error", {"y": L(y2), "t": L(t2)}))
    out.append(("loss/cee/reference/2d-onehot", "loss.cross_entropy_error",
                {"y": L(y2), "t": onehot(t2, 5)}))
    y3 = softmax_rows(r.randn(3, 4) * 5)
    y3[1, 2] = 0.0
    out.append(("loss/cee/reference/zero-prob", "loss.cross_entropy_error",
                {"y": L(y3), "t": [0, 2, 3]}))
    return out


def gradient() -> list[Spec]:
    r = rs(4)
    out = []
    for x in (-2.5, 0.0, 7.25):
        out.append((f"grad/numerical_diff/reference/f1/{x}", "grad.numerical_diff",
                    {"f": "function_1", "x": x}, NUMGRAD_TOL))
    out.append(("grad/numerical_diff/reference/f2", "grad.numerical_diff",
                {"f": "function_2", "x": -1.75}, NUMGRAD_TOL))
    out.append(("grad/numerical_gradient/reference/1d", "grad.numerical_gradient",
                {"f": "function_2", "x": L(r.randn(5))}, NUMGRAD_TOL))
    out.append(("grad/numerical_gradient/reference/2d", "grad.numerical_gradient",
                {"f": "function_2", "x": L(r.randn(3, 4))}, NUMGRAD_TOL))
    r.randn(4)  # keeps the later draws of this family unchanged
    out.append(("grad/gradient_descent/reference/10-steps", "grad.gradient_descent",
                {"f": "function_2", "init_x": L(r.randn(3)), "lr": 0.1, "step_num": 10},
                {"rtol": 1e-9, "atol": 1e-10}))
    out.append(("grad/gradient_descent/reference/2d", "grad.gradient_descent",
                {"f": "function_2", "init_x": L(r.randn(2, 2)), "lr": 0.05, "step_num": 20},
                {"rtol": 1e-9, "atol": 1e-10}))
    return out


def simple_net() -> list[Spec]:
    r = rs(5)
    out = []
    W = r.randn(2, 3)
    out.append(("simple_net/predict/reference/1d", "simple_net.predict", {"W": L(W), "x": L(r.randn(2))}))
    out.append(("simple_net/predict/reference/2d", "simple_net.predict", {"W": L(W), "x": L(r.randn(4, 2))}))
    x = L(r.randn(2))
    out.append(("simple_net/loss/reference/label", "simple_net.loss", {"W": L(W), "x": x, "t": 1}))
    out.append(("simple_net/loss/reference/onehot", "simple_net.loss", {"W": L(W), "x": x, "t": [1, 0, 0]}))
    xb = L(r.randn(3, 2))
    out.append(("simple_net/loss/reference/batch", "simple_net.loss", {"W": L(W), "x": xb, "t": [0, 2, 1]}))
    out.append(("simple_net/numerical_gradient/reference/label", "simple_net.numerical_gradient",
                {"W": L(W), "x": x, "t": 2}, NUMGRAD_TOL))
    out.append(("simple_net/numerical_gradient/reference/batch", "simple_net.numerical_gradient",
                {"W": L(W), "x": xb, "t": [[0, 1, 0], [0, 0, 1], [1, 0, 0]]}, NUMGRAD_TOL))
    return out


def graph() -> list[Spec]:
    r = rs(6)
    out = [
        ("graph/buy_apple/reference/1", "graph.buy_apple",
         {"apple": 120.5, "apple_num": 3, "tax": 1.08, "dprice": 1.0}),
        ("graph/buy_apple/reference/2", "graph.buy_apple",
         {"apple": 0.1, "apple_num": 7, "tax": 1.1, "dprice": -0.5}),
        ("graph/buy_apple_orange/reference/1", "graph.buy_apple_orange",
         {"apple": 99.9, "apple_num": 4, "orange": 149.5, "orange_num": 1, "tax": 1.08, "dprice": 1.0}),
        ("graph/buy_apple_orange/reference/2", "graph.buy_apple_orange",
         {"apple": 0.3, "apple_num": 0.1, "orange": 0.7, "orange_num": 3.3, "tax": 1.1, "dprice": 2.5}),
    ]
    out.append(("layer/mul/reference/2d", "layer.mul",
                {"x": L(r.randn(2, 3)), "y": L(r.randn(2, 3)), "dout": L(r.randn(2, 3))}))
    out.append(("layer/add/reference/1d", "layer.add",
                {"x": L(r.randn(4)), "y": L(r.randn(4)), "dout": L(r.randn(4))}))
    return out


def layers() -> list[Spec]:
    r = rs(7)
    out = []
    for tag, shape in (("1d", (6,)), ("2d", (3, 4))):
        out.append((f"layer/relu/reference/{tag}", "layer.relu",
                    {"x": L(r.randn(*shape)), "dout": L(r.randn(*shape))}))
        out.append((f"layer/sigmoid/reference/{tag}", "layer.sigmoid",
                    {"x": L(r.randn(*shape) * 2), "dout": L(r.randn(*shape))}))
    W, b = r.randn(4, 3), r.randn(3)
    out.append(("layer/affine/reference/2d", "layer.affine",
                {"W": L(W), "b": L(b), "x": L(r.randn(5, 4)), "dout": L(r.randn(5, 3))}))
    out.append(("layer/affine/reference/1d", "layer.affine",
                {"W": L(W), "b": L(b), "x": L(r.randn(4)), "dout": L(r.randn(3))}))
    out.append(("layer/affine/reference/4d", "layer.affine",
                {"W": L(W), "b": L(b), "x": L(r.randn(2, 1, 2, 2)), "dout": L(r.randn(2, 3))}))
    out.append(("layer/relu/reference/3d", "layer.relu",
                {"x": L(rs(21).randn(2, 3, 2)), "dout": L(rs(22).randn(2, 3, 2))}))
    out.append(("layer/sigmoid/reference/scalar", "layer.sigmoid", {"x": 0.75, "dout": -2.0}))
    out.append(("layer/affine/reference/1x1", "layer.affine",
                {"W": [[2.5]], "b": [-1.0], "x": [[3.0]], "dout": [[0.5]]}))
    x1 = r.randn(5)
    out.append(("layer/softmax_with_loss/reference/1d-label", "layer.softmax_with_loss",
                {"x": L(x1), "t": 2}))
    out.append(("layer/softmax_with_loss/reference/1d-onehot", "layer.softmax_with_loss",
                {"x": L(x1), "t": onehot(np.array(4), 5)}))
    x2, t2 = r.randn(4, 3) * 2, r.randint(0, 3, 4)
    out.append(("layer/softmax_with_loss/reference/2d-label", "layer.softmax_with_loss",
                {"x": L(x2), "t": L(t2)}))
    out.append(("layer/softmax_with_loss/reference/2d-onehot", "layer.softmax_with_loss",
                {"x": L(x2), "t": onehot(t2, 3)}))
    return out


def dropout() -> list[Spec]:
    r = rs(8)
    return [
        ("layer/dropout/reference/1d", "layer.dropout",
         {"x": L(r.randn(10)), "dropout_ratio": 0.5, "train_flg": True, "seed": 0, "dout": L(r.randn(10))}),
        ("layer/dropout/reference/2d", "layer.dropout",
         {"x": L(r.randn(3, 4)), "dropout_ratio": 0.3, "train_flg": True, "seed": 3, "dout": L(r.randn(3, 4))}),
        ("layer/dropout/reference/test", "layer.dropout",
         {"x": L(r.randn(2, 3)), "dropout_ratio": 0.2, "train_flg": False, "dout": L(r.randn(2, 3))}),
        ("layer/dropout/reference/defaults", "layer.dropout",
         {"x": L(r.randn(2, 5)), "dout": L(r.randn(2, 5))}),
    ]


def batch_norm() -> list[Spec]:
    r = rs(9)
    return [
        ("layer/batch_norm/reference/train", "layer.batch_norm",
         {"x": L(r.randn(4, 3) * 2 + 1), "gamma": L(r.rand(3) + 0.5), "beta": L(r.randn(3)),
          "dout": L(r.randn(4, 3))}),
        ("layer/batch_norm/reference/train-running", "layer.batch_norm",
         {"x": L(r.randn(5, 2, 2)), "gamma": L(r.rand(4) + 0.5), "beta": L(r.randn(4)), "momentum": 0.5,
          "running_mean": L(r.randn(4)), "running_var": L(r.rand(4) + 0.1), "train_flg": True,
          "dout": L(r.randn(5, 2, 2))}),
        ("layer/batch_norm/reference/test", "layer.batch_norm",
         {"x": L(r.randn(3, 4)), "gamma": L(r.rand(4) + 0.5), "beta": L(r.randn(4)),
          "running_mean": L(r.randn(4) * 0.1), "running_var": L(r.rand(4) + 0.5), "train_flg": False,
          "dout": L(r.randn(3, 4))}),
        ("layer/batch_norm/reference/null-running", "layer.batch_norm",
         {"x": L(r.randn(6, 2)), "gamma": [1.0, 2.0], "beta": [0.0, -1.0], "running_mean": None,
          "running_var": None, "momentum": 0.0, "dout": L(r.randn(6, 2))}),
    ]


NET3 = {"W1": [[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]], "b1": [0.1, 0.2, 0.3],
        "W2": [[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]], "b2": [0.1, 0.2],
        "W3": [[0.1, 0.3], [0.2, 0.4]], "b3": [0.1, 0.2]}


def net3() -> list[Spec]:
    r = rs(10)
    return [
        ("net3/forward/reference/batch", "net3.forward", {"network": NET3, "x": L(r.randn(4, 2))}),
        ("net3/forward/reference/softmax", "net3.forward",
         {"network": NET3, "x": [1.0, 0.5], "output": "softmax"}),
        ("net3/forward/reference/random-net", "net3.forward",
         {"network": {k: L(r.randn(*np.shape(v))) for k, v in NET3.items()}, "x": L(r.randn(3, 2)),
          "output": "softmax"}),
    ]


def two_layer_params(r: np.random.RandomState, i: int, h: int, o: int, scale: float = 1.0) -> dict:
    return {"W1": L(r.randn(i, h) * scale), "b1": L(r.randn(h) * 0.1),
            "W2": L(r.randn(h, o) * scale), "b2": L(r.randn(o) * 0.1)}


def two_layer_net() -> list[Spec]:
    r = rs(11)
    out: list[Spec] = [
        ("two_layer_net/init/reference/4-5-3", "two_layer_net.init",
         {"input_size": 4, "hidden_size": 5, "output_size": 3}),
        ("two_layer_net/init/reference/std-seed", "two_layer_net.init",
         {"input_size": 6, "hidden_size": 4, "output_size": 2, "weight_init_std": 0.1, "seed": 5}),
    ]
    p = two_layer_params(r, 4, 5, 3)
    x, t = L(r.randn(3, 4)), r.randint(0, 3, 3)
    out += [
        ("two_layer_net/predict/reference", "two_layer_net.predict", {"params": p, "x": x}),
        ("two_layer_net/loss/reference/label", "two_layer_net.loss", {"params": p, "x": x, "t": L(t)}),
        ("two_layer_net/loss/reference/onehot", "two_layer_net.loss", {"params": p, "x": x, "t": onehot(t, 3)}),
        ("two_layer_net/accuracy/reference", "two_layer_net.accuracy",
         {"params": p, "x": L(r.randn(8, 4)), "t": L(r.randint(0, 3, 8))}),
        ("two_layer_net/gradient/reference/label", "two_layer_net.gradient", {"params": p, "x": x, "t": L(t)}),
        ("two_layer_net/gradient/reference/onehot", "two_layer_net.gradient",
         {"params": p, "x": x, "t": onehot(t, 3)}),
        ("two_layer_net/numerical_gradient/reference", "two_layer_net.numerical_gradient",
         {"params": p, "x": x, "t": L(t)}, NUMGRAD_TOL),
    ]
    x1 = L(rs(23).randn(4))
    out += [
        ("two_layer_net/predict/reference/1d", "two_layer_net.predict", {"params": p, "x": x1}),
        ("two_layer_net/loss/reference/1d", "two_layer_net.loss", {"params": p, "x": x1, "t": 2}),
        ("two_layer_net/gradient/reference/1d", "two_layer_net.gradient", {"params": p, "x": x1, "t": 1}),
    ]
    return out


def multi_params(r: np.random.RandomState, sizes: list[int]) -> dict:
    p = {}
    for i in range(1, len(sizes)):
        p[f"W{i}"] = L(r.randn(sizes[i - 1], sizes[i]))
        p[f"b{i}"] = L(r.randn(sizes[i]) * 0.1)
    return p


def multi_layer_net() -> list[Spec]:
    r = rs(12)
    out: list[Spec] = [
        ("multi_layer_net/init/reference/relu", "multi_layer_net.init",
         {"input_size": 4, "hidden_size_list": [5, 3], "output_size": 2}),
        ("multi_layer_net/init/reference/xavier", "multi_layer_net.init",
         {"input_size": 3, "hidden_size_list": [4], "output_size": 3, "activation": "sigmoid",
          "weight_init_std": "xavier", "seed": 9}),
        ("multi_layer_net/init/reference/number", "multi_layer_net.init",
         {"input_size": 2, "hidden_size_list": [3, 3, 2], "output_size": 2, "weight_init_std": 0.05,
          "seed": 1}),
        ("multi_layer_net/init/reference/he-sigmoid-alias", "multi_layer_net.init",
         {"input_size": 3, "hidden_size_list": [2], "output_size": 2, "weight_init_std": "sigmoid", "seed": 2}),
        ("multi_layer_net/init/reference/he", "multi_layer_net.init",
         {"input_size": 3, "hidden_size_list": [2], "output_size": 2, "weight_init_std": "he", "seed": 2}),
    ]
    # The book lower-cases the weight_init_std name: "He" is "he", "SIGMOID" is "sigmoid".
    for name in ("He", "ReLU", "Xavier", "SIGMOID"):
        out.append((f"multi_layer_net/init/reference/name-case-{name}", "multi_layer_net.init",
                    {"input_size": 3, "hidden_size_list": [2], "output_size": 2, "weight_init_std": name,
                     "seed": 2}))
    rd = rs(25)
    p_defaults = multi_params(rd, [3, 4, 2])
    out.append(("multi_layer_net/gradient/reference/defaults", "multi_layer_net.gradient",
                {"input_size": 3, "hidden_size_list": [4], "output_size": 2, "params": p_defaults,
                 "x": L(rd.randn(2, 3)), "t": [1, 0]}))
    for act in ("relu", "sigmoid"):
        for lam in (0.0, 0.1):
            sizes = [4, 5, 4, 3]
            p = multi_params(r, sizes)
            x, t = L(r.randn(3, 4)), L(r.randint(0, 3, 3))
            base = {"input_size": 4, "hidden_size_list": [5, 4], "output_size": 3, "activation": act,
                    "weight_decay_lambda": lam, "params": p, "x": x, "t": t}
            tag = f"{act}/decay{lam}"
            out.append((f"multi_layer_net/loss/reference/{tag}", "multi_layer_net.loss", base))
            out.append((f"multi_layer_net/gradient/reference/{tag}", "multi_layer_net.gradient", base))
            if lam == 0.1 and act == "sigmoid":
                x1 = L(rs(24).randn(4))   # a separate stream: the other cases keep their inputs
                out.append((f"multi_layer_net/loss/reference/{tag}/1d", "multi_layer_net.loss",
                            {**base, "x": x1, "t": 1}))
            if lam == 0.1:
                out.append((f"multi_layer_net/numerical_gradient/reference/{tag}",
                            "multi_layer_net.numerical_gradient", base, NUMGRAD_TOL))
            if lam == 0.1 and act == "relu":
                named = {**base, "weight_init_std": "He"}
                out.append((f"multi_layer_net/loss/reference/{tag}/name-case", "multi_layer_net.loss", named))
                out.append((f"multi_layer_net/gradient/reference/{tag}/name-case", "multi_layer_net.gradient",
                            {**named, "weight_init_std": "XAVIER"}))
    return out


def extend_params(r: np.random.RandomState, sizes: list[int], batchnorm: bool) -> dict:
    p = multi_params(r, sizes)
    for i in range(1, len(sizes) - 1) if batchnorm else ():
        p[f"gamma{i}"] = L(r.rand(sizes[i]) + 0.5)
        p[f"beta{i}"] = L(r.randn(sizes[i]) * 0.2)
    return p


def multi_layer_net_extend() -> list[Spec]:
    r = rs(32)
    out: list[Spec] = []
    inits = {"defaults": {},
             "batchnorm": {"use_batchnorm": True, "seed": 4},
             "batchnorm-xavier": {"use_batchnorm": True, "weight_init_std": "Xavier", "activation": "sigmoid", "seed": 5},
             "dropout-number": {"use_dropout": True, "dropout_ration": 0.2, "weight_init_std": 0.1, "seed": 6}}
    for tag, extra in inits.items():
        out.append((f"multi_layer_net_extend/init/reference/{tag}", "multi_layer_net_extend.init",
                    {"input_size": 4, "hidden_size_list": [3, 5], "output_size": 3, **extra}))
    sizes = [4, 5, 3, 3]
    structure = {"input_size": 4, "hidden_size_list": [5, 3], "output_size": 3}
    variants = {"plain": {}, "decay": {"weight_decay_lambda": 0.1},
                "batchnorm": {"use_batchnorm": True},
                "dropout": {"use_dropout": True, "dropout_ration": 0.3, "seed": 7},
                "both": {"use_batchnorm": True, "use_dropout": True, "weight_decay_lambda": 0.05, "seed": 11},
                "both-sigmoid": {"use_batchnorm": True, "use_dropout": True, "dropout_ration": 0.4,
                                 "activation": "sigmoid", "seed": 12}}
    for tag, extra in variants.items():
        bn = bool(extra.get("use_batchnorm"))
        p = extend_params(r, sizes, bn)
        x, t = L(r.randn(6, 4)), L(r.randint(0, 3, 6))
        base = {**structure, **extra, "params": p, "x": x, "t": t}
        stats = None
        if bn:
            stats = {k: L(r.randn(n) * 0.3 if k.startswith("running_mean") else r.rand(n) + 0.5)
                     for i, n in ((1, 5), (2, 3)) for k in (f"running_mean{i}", f"running_var{i}")}
        for mode in (False, True):
            m = "train" if mode else "test"
            out.append((f"multi_layer_net_extend/predict/reference/{tag}/{m}", "multi_layer_net_extend.predict",
                        {**{k: v for k, v in base.items() if k != "t"}, "train_flg": mode}))
            out.append((f"multi_layer_net_extend/loss/reference/{tag}/{m}", "multi_layer_net_extend.loss",
                        {**base, "train_flg": mode}))
            if stats is not None:
                out.append((f"multi_layer_net_extend/loss/reference/{tag}/{m}-stats", "multi_layer_net_extend.loss",
                            {**base, "train_flg": mode, "running_stats": stats}))
        out.append((f"multi_layer_net_extend/accuracy/reference/{tag}", "multi_layer_net_extend.accuracy",
                    {**base, **({"running_stats": stats} if stats else {})}))
        out.append((f"multi_layer_net_extend/gradient/reference/{tag}", "multi_layer_net_extend.gradient", base))
        out.append((f"multi_layer_net_extend/numerical_gradient/reference/{tag}",
                    "multi_layer_net_extend.numerical_gradient", base, NUMGRAD_TOL))
    onehot_t = {**structure, "use_batchnorm": True, "params": extend_params(r, sizes, True),
                "x": L(r.randn(4, 4)), "t": onehot(r.randint(0, 3, 4), 3)}
    out.append(("multi_layer_net_extend/gradient/reference/one-hot", "multi_layer_net_extend.gradient", onehot_t))
    out.append(("multi_layer_net_extend/accuracy/reference/one-hot", "multi_layer_net_extend.accuracy", onehot_t))
    deep = [3, 4, 4, 4, 2]
    out.append(("multi_layer_net_extend/gradient/reference/deep-both", "multi_layer_net_extend.gradient",
                {"input_size": 3, "hidden_size_list": [4, 4, 4], "output_size": 2, "use_batchnorm": True,
                 "use_dropout": True, "dropout_ration": 0.25, "seed": 3, "params": extend_params(r, deep, True),
                 "x": L(r.randn(5, 3)), "t": L(r.randint(0, 2, 5))}))
    return out


# --- chapter 7 ---------------------------------------------------------------------------------
#: (tag, x shape N C H W, filter_h, filter_w, stride, pad): square and oblong windows, strides that
#: leave a remainder, padding wider than the window, the whole image as one window
GEOMETRIES = [("3x3-plain", (1, 1, 4, 4), 3, 3, 1, 0), ("2x3-stride2-pad1", (2, 3, 5, 4), 2, 3, 2, 1),
              ("3x3-pad2", (1, 2, 3, 3), 3, 3, 1, 2), ("1x3-stride3-remainder", (1, 1, 7, 5), 1, 3, 3, 0),
              ("whole-image", (2, 1, 4, 4), 4, 4, 1, 0), ("2x2-stride3-gaps", (1, 2, 6, 7), 2, 2, 3, 1)]


def out_size(size: int, f: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - f) // stride + 1


def im2col() -> list[Spec]:
    r = rs(40)
    out: list[Spec] = []
    for tag, shape, fh, fw, stride, pad in GEOMETRIES:
        n, c, h, w = shape
        out.append((f"util/im2col/reference/{tag}", "util.im2col",
                    {"input_data": L(r.randn(*shape)), "filter_h": fh, "filter_w": fw, "stride": stride, "pad": pad}))
        rows = n * out_size(h, fh, stride, pad) * out_size(w, fw, stride, pad)
        out.append((f"util/col2im/reference/{tag}", "util.col2im",
                    {"col": L(r.randn(rows, c * fh * fw)), "input_shape": list(shape), "filter_h": fh, "filter_w": fw,
                     "stride": stride, "pad": pad}))
    out.append(("util/im2col/reference/defaults", "util.im2col", {"input_data": L(r.randn(1, 2, 3, 3)), "filter_h": 2, "filter_w": 2}))
    return out


def convolution() -> list[Spec]:
    r = rs(41)
    out: list[Spec] = []
    for tag, (n, c, h, w), fh, fw, stride, pad in GEOMETRIES:
        fn = 1 + len(out) % 3
        oh, ow = out_size(h, fh, stride, pad), out_size(w, fw, stride, pad)
        out.append((f"layer/convolution/reference/{tag}", "layer.convolution",
                    {"W": L(r.randn(fn, c, fh, fw)), "b": L(r.randn(fn)), "x": L(r.randn(n, c, h, w)),
                     "stride": stride, "pad": pad, "dout": L(r.randn(n, fn, oh, ow))}))
    out.append(("layer/convolution/reference/book-filters", "layer.convolution",
                {"W": L(r.randn(30, 1, 5, 5) * 0.01), "b": L(r.randn(30) * 0.01), "x": L(r.rand(1, 1, 12, 12)),
                 "dout": L(r.randn(1, 30, 8, 8))}))
    return out


def pooling() -> list[Spec]:
    r = rs(42)
    out: list[Spec] = []
    pools = [("2x2-stride2-book", (2, 3, 4, 6), 2, 2, 2, 0), ("2x2-stride1-overlap", (1, 2, 5, 5), 2, 2, 1, 0),
             ("3x3-stride2-overlap-pad1", (2, 1, 6, 5), 3, 3, 2, 1), ("3x2-stride3-gaps", (1, 2, 7, 7), 3, 2, 3, 0),
             ("2x2-odd-size", (1, 1, 5, 7), 2, 2, 2, 0)]
    for tag, (n, c, h, w), ph, pw, stride, pad in pools:
        oh, ow = out_size(h, ph, stride, pad), out_size(w, pw, stride, pad)
        out.append((f"layer/pooling/reference/{tag}", "layer.pooling",
                    {"x": L(r.randn(n, c, h, w)), "pool_h": ph, "pool_w": pw, "stride": stride, "pad": pad,
                     "dout": L(r.randn(n, c, oh, ow))}))
    # small integers: many ties, broken by the first maximum in window order
    out.append(("layer/pooling/reference/ties-overlap", "layer.pooling",
                {"x": L(r.randint(0, 3, (2, 2, 5, 5))), "pool_h": 3, "pool_w": 3, "stride": 1,
                 "dout": L(r.randn(2, 2, 3, 3))}))
    out.append(("layer/pooling/reference/negative-padded", "layer.pooling",
                {"x": L(-r.rand(1, 2, 4, 4) - 0.5 * r.randint(0, 2, (1, 2, 4, 4)) + 0.4), "pool_h": 2, "pool_w": 2,
                 "pad": 1, "dout": L(r.randn(1, 2, 3, 3))}))
    out.append(("layer/pooling/reference/default-stride", "layer.pooling",
                {"x": L(r.randn(1, 1, 4, 4)), "pool_h": 2, "pool_w": 2, "dout": L(r.randn(1, 1, 2, 2))}))
    return out


def conv_params(r: np.random.RandomState, c: int, fn: int, fs: int, pooled: int, hidden: int, classes: int) -> dict:
    return {"W1": L(r.randn(fn, c, fs, fs) * 0.3), "b1": L(r.randn(fn) * 0.1),
            "W2": L(r.randn(fn * pooled, hidden) * 0.3), "b2": L(r.randn(hidden) * 0.1),
            "W3": L(r.randn(hidden, classes) * 0.3), "b3": L(r.randn(classes) * 0.1)}


def simple_conv_net() -> list[Spec]:
    r = rs(43)
    out: list[Spec] = [
        ("simple_conv_net/init/reference/small", "simple_conv_net.init",
         {"input_dim": [1, 8, 8], "conv_param": {"filter_num": 3, "filter_size": 3}, "hidden_size": 4, "output_size": 3,
          "seed": 7}),
        ("simple_conv_net/init/reference/oblong-stride2-std", "simple_conv_net.init",
         {"input_dim": [2, 9, 7], "conv_param": {"filter_num": 2, "filter_size": 3, "stride": 2, "pad": 1},
          "hidden_size": 3, "output_size": 2, "weight_init_std": 0.5})]
    nets = {"pad1": ([2, 6, 5], {"filter_num": 3, "filter_size": 3, "pad": 1, "stride": 1}, 3 * 2, 4, 3, 5),
            "stride2": ([1, 9, 9], {"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 2}, 2 * 2, 5, 4, 6),
            "odd-conv-output": ([1, 7, 8], {"filter_num": 2, "filter_size": 2}, 3 * 3, 3, 2, 4)}
    for tag, (dim, conv, pooled, hidden, classes, n) in nets.items():
        base = {"input_dim": dim, "conv_param": conv, "hidden_size": hidden, "output_size": classes,
                "params": conv_params(r, dim[0], conv["filter_num"], conv["filter_size"], pooled, hidden, classes),
                "x": L(r.randn(n, *dim)), "t": L(r.randint(0, classes, n))}
        out.append((f"simple_conv_net/predict/reference/{tag}", "simple_conv_net.predict",
                    {k: v for k, v in base.items() if k != "t"}))
        out.append((f"simple_conv_net/loss/reference/{tag}", "simple_conv_net.loss", base))
        out.append((f"simple_conv_net/accuracy/reference/{tag}", "simple_conv_net.accuracy", base))
        out.append((f"simple_conv_net/gradient/reference/{tag}", "simple_conv_net.gradient", base))
        out.append((f"simple_conv_net/numerical_gradient/reference/{tag}", "simple_conv_net.numerical_gradient", base,
                    NUMGRAD_TOL))
    # the book's ch07/gradient_check.py: one 1 x 10 x 10 image, 10 filters of 3 x 3, hidden 10
    book = {"input_dim": [1, 10, 10], "conv_param": {"filter_num": 10, "filter_size": 3, "pad": 0, "stride": 1},
            "hidden_size": 10, "output_size": 10, "params": conv_params(r, 1, 10, 3, 16, 10, 10),
            "x": L(r.rand(1, 1, 10, 10)), "t": [1]}
    out.append(("simple_conv_net/gradient/reference/book-gradient-check", "simple_conv_net.gradient", book))
    out.append(("simple_conv_net/numerical_gradient/reference/book-gradient-check", "simple_conv_net.numerical_gradient",
                book, NUMGRAD_TOL))
    # more than one batch of 100, and one-hot t
    many = {"input_dim": [1, 5, 5], "conv_param": {"filter_num": 2, "filter_size": 2}, "hidden_size": 3, "output_size": 3,
            "params": conv_params(r, 1, 2, 2, 4, 3, 3), "x": L(r.randn(130, 1, 5, 5))}
    out.append(("simple_conv_net/accuracy/reference/130-samples", "simple_conv_net.accuracy",
                {**many, "t": L(r.randint(0, 3, 130))}))
    out.append(("simple_conv_net/loss/reference/one-hot", "simple_conv_net.loss",
                {**many, "x": many["x"][:7], "t": onehot(r.randint(0, 3, 7), 3)}))
    return out


# --- chapter 8 ---------------------------------------------------------------------------------
def deep_params(r: np.random.RandomState, c: int, hidden: int, classes: int, pooled: int) -> dict:
    """DeepConvNet's parameters as multiples of 1/64 (short numbers: its 72,000 weights fill the case
    files otherwise), about He's scale for the convolutions."""
    shapes, channels = {}, c
    for i, filters in enumerate((16, 16, 32, 32, 64, 64), start=1):
        shapes[f"W{i}"], shapes[f"b{i}"] = (filters, channels, 3, 3), (filters,)
        channels = filters
    shapes.update(W7=(64 * pooled, hidden), b7=(hidden,), W8=(hidden, classes), b8=(classes,))
    scale = {k: np.sqrt(2.0 / np.prod(shape[1:])) if len(shape) == 4 else 0.3 if k[0] == "W" else 0.1 for k, shape in shapes.items()}
    return {k: L(np.round(r.randn(*shape) * scale[k] * 64) / 64) for k, shape in shapes.items()}


def deep_conv_net() -> list[Spec]:
    """Few cases, each with every weight of the network."""
    r = rs(50)
    base = {"input_dim": [1, 8, 8], "hidden_size": 5, "output_size": 3, "params": deep_params(r, 1, 5, 3, 1),
            "x": L(np.round(r.rand(4, 1, 8, 8) * 256) / 256), "t": L(r.randint(0, 3, 4))}
    nox = {k: v for k, v in base.items() if k != "t"}
    oblong = {"input_dim": [2, 5, 4], "hidden_size": 3, "output_size": 2, "params": deep_params(r, 2, 3, 2, 1),
              "x": L(np.round(r.rand(3, 2, 5, 4) * 256) / 256), "t": onehot(r.randint(0, 2, 3), 2)}
    return [
        ("deep_conv_net/init/reference/8x8", "deep_conv_net.init", {"input_dim": [1, 8, 8], "hidden_size": 5, "output_size": 3, "seed": 4}),
        ("deep_conv_net/predict/reference/8x8/test", "deep_conv_net.predict", nox),
        ("deep_conv_net/predict/reference/8x8/train", "deep_conv_net.predict", {**nox, "train_flg": True, "seed": 7}),
        ("deep_conv_net/loss/reference/8x8/train", "deep_conv_net.loss", {**base, "seed": 8}),
        ("deep_conv_net/accuracy/reference/8x8", "deep_conv_net.accuracy", base),
        ("deep_conv_net/gradient/reference/8x8", "deep_conv_net.gradient", {**base, "seed": 9}),
        ("deep_conv_net/gradient/reference/2x5x4-one-hot", "deep_conv_net.gradient", {**oblong, "seed": 3}),
    ]


def half_float() -> list[Spec]:
    r = rs(52)
    ties = [(2 * k + 1) * 2.0 ** (e - 11) for e in (-14, -3, 0, 7, 15) for k in (1024, 1500, 2047)]
    return [
        ("util/to_float16/reference/magnitudes", "util.to_float16",
         {"x": L(r.randn(4, 6) * 2.0 ** r.randint(-30, 20, (4, 6)))}),
        ("util/to_float16/reference/ties", "util.to_float16", {"x": ties + [-t for t in ties]}),
        ("util/to_float16/reference/subnormals", "util.to_float16", {"x": L(r.randn(12) * 2.0 ** -20)}),
        ("util/to_float16/reference/edges", "util.to_float16",
         {"x": [65504.0, 65519.0, 65520.0, -65536.0, 1e300, -1e-300, 0.0, -0.0, "Infinity", "-Infinity", "NaN"]}),
        ("util/to_float16/reference/images", "util.to_float16", {"x": L(r.randint(0, 256, (1, 1, 3, 3)) / 255.0)}),
        ("util/to_float16/reference/scalar", "util.to_float16", {"x": 3.14159}),
    ]


MODELS = "shared_tests/data/models"


def model() -> list[Spec]:
    r = rs(51)
    return [
        ("model/evaluate/reference/two_layer_net", "model.evaluate",
         {"path": f"{MODELS}/two_layer_net.json", "x": L(r.randn(5, 6)), "t": L(r.randint(0, 3, 5))}),
        ("model/evaluate/reference/simple_conv_net", "model.evaluate",
         {"path": f"{MODELS}/simple_conv_net.json", "x": L(r.rand(4, 1, 6, 6)), "t": L(r.randint(0, 3, 4))}),
        ("model/evaluate/reference/deep_conv_net", "model.evaluate",
         {"path": f"{MODELS}/deep_conv_net.json", "x": L(r.rand(3, 1, 8, 8)), "t": L(r.randint(0, 3, 3))}),
        ("model/evaluate/reference/simple_conv_net/half", "model.evaluate",
         {"path": f"{MODELS}/simple_conv_net.json", "x": L(r.rand(4, 1, 6, 6)), "t": L(r.randint(0, 3, 4)), "half": True}),
        ("model/evaluate/reference/two_layer_net/half", "model.evaluate",
         {"path": f"{MODELS}/two_layer_net.json", "x": L(r.randn(5, 6)), "t": L(r.randint(0, 3, 5)), "half": True}),
    ]


def optimizers() -> list[Spec]:
    r = rs(13)
    out = []
    params = {"W": L(r.randn(2, 3)), "b": L(r.randn(3))}
    grads_seq = [{"W": L(r.randn(2, 3)), "b": L(r.randn(3))} for _ in range(3)]
    custom = {"sgd": {"lr": 0.1}, "momentum": {"lr": 0.05, "momentum": 0.8},
              "nesterov": {"lr": 0.05, "momentum": 0.7}, "adagrad": {"lr": 0.5},
              "rmsprop": {"lr": 0.02, "decay_rate": 0.9}, "adam": {"lr": 0.01, "beta1": 0.8, "beta2": 0.99}}
    # Nesterov's cases carry "-2021": their expectations follow the book's fixed update (the
    # ids without it held the earlier form and are retired).
    suffix = {"nesterov": "-2021"}
    for name, hyper in custom.items():
        tag = suffix.get(name, "")
        out.append((f"optimizer/{name}/reference/defaults{tag}", "optimizer.run",
                    {"name": name, "params": params, "grads_seq": grads_seq}))
        out.append((f"optimizer/{name}/reference/hyper{tag}", "optimizer.run",
                    {"name": name, "hyper": hyper, "params": params, "grads_seq": grads_seq}))
    out.append(("optimizer/adam/reference/long", "optimizer.run",
                {"name": "adam", "hyper": {"lr": 0.1, "momentum": 0.5}, "params": {"w": L(r.randn(4))},
                 "grads_seq": [{"w": L(r.randn(4))} for _ in range(12)]}))
    return out


def rng() -> list[Spec]:
    return [
        ("rng/uniform/reference/seed1", "rng.uniform", {"seed": 1, "n": 10}, RNG_EXACT),
        ("rng/uniform/reference/seed123", "rng.uniform", {"seed": 123, "n": 25}, RNG_EXACT),
        ("rng/normal/reference/seed1", "rng.normal", {"seed": 1, "n": 10}, NORMAL_TOL),
        ("rng/normal/reference/odd", "rng.normal", {"seed": 42, "n": 7}, NORMAL_TOL),
        ("rng/normal/reference/n1", "rng.normal", {"seed": 8, "n": 1}, NORMAL_TOL),
        ("rng/permutation/reference/20", "rng.permutation", {"seed": 5, "n": 20}, RNG_EXACT),
        ("rng/permutation/reference/100", "rng.permutation", {"seed": 2024, "n": 100}, RNG_EXACT),
        ("rng/choice/reference/100x20", "rng.choice", {"seed": 0, "n": 100, "size": 20}, RNG_EXACT),
        ("rng/choice/reference/3x30", "rng.choice", {"seed": 99, "n": 3, "size": 30}, RNG_EXACT),
    ]


def train() -> list[Spec]:
    r = rs(14)
    centers = r.randn(3, 6) * 2
    labels = np.arange(20) % 3
    r.shuffle(labels)
    x = centers[labels] + r.randn(20, 6)
    data = {"x_train": L(x), "t_train": L(labels), "hidden_size": 5, "output_size": 3}
    return [
        ("train/two_layer_net/reference/sgd", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "lr": 0.1, "batch_size": 5, "iters": 30, "seed": 1}, TRAIN_TOL),
        ("train/two_layer_net/reference/momentum", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "lr": 0.05, "batch_size": 4, "iters": 30, "seed": 2,
          "optimizer": {"name": "momentum", "hyper": {"momentum": 0.8}}}, TRAIN_TOL),
        ("train/two_layer_net/reference/adam", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "batch_size": 6, "iters": 30, "seed": 3,
          "optimizer": {"name": "adam", "hyper": {"lr": 0.01}}}, TRAIN_TOL),
        ("train/two_layer_net/reference/rmsprop", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "batch_size": 5, "iters": 25, "seed": 4,
          "optimizer": {"name": "rmsprop", "hyper": {"lr": 0.01}}}, TRAIN_TOL),
        ("train/two_layer_net/reference/nesterov-2021", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "lr": 0.05, "batch_size": 3, "iters": 25, "seed": 5,
          "optimizer": {"name": "nesterov"}}, TRAIN_TOL),
        ("train/two_layer_net/reference/adagrad", "train.two_layer_net",
         {**data, "weight_init_std": 0.1, "lr": 0.2, "batch_size": 20, "iters": 15, "seed": 6,
          "optimizer": {"name": "adagrad"}}, TRAIN_TOL),
        ("train/two_layer_net/reference/defaults", "train.two_layer_net",
         {**data, "batch_size": 10, "iters": 20}, TRAIN_TOL),
    ]


def trainer() -> list[Spec]:
    r = rs(33)
    centers = r.randn(3, 6) * 2
    labels = np.arange(36) % 3
    r.shuffle(labels)
    x = centers[labels] + r.randn(36, 6)
    data = {"x_train": L(x[:30]), "t_train": L(labels[:30]), "x_test": L(x[30:]), "t_test": L(labels[30:])}
    two = {"kind": "two_layer_net", "input_size": 6, "hidden_size": 5, "output_size": 3, "weight_init_std": 0.1}
    multi = {"kind": "multi_layer_net", "input_size": 6, "hidden_size_list": [5, 4], "output_size": 3,
             "weight_decay_lambda": 0.1}
    ext = {"kind": "multi_layer_net_extend", "input_size": 6, "hidden_size_list": [5, 4], "output_size": 3}
    runs = {
        "two_layer_net-sgd": {"network": two, "epochs": 3, "mini_batch_size": 10, "optimizer_param": {"lr": 0.1}},
        "two_layer_net-defaults": {"network": two, "epochs": 1, "mini_batch_size": 4, "seed": 2},
        "multi_layer_net-momentum": {"network": multi, "epochs": 2, "mini_batch_size": 7, "optimizer": "Momentum",
                                     "optimizer_param": {"lr": 0.05}, "seed": 3},
        "extend-batchnorm-adam": {"network": {**ext, "use_batchnorm": True}, "epochs": 3, "mini_batch_size": 8,
                                  "optimizer": "ADAM", "optimizer_param": {"lr": 0.01}, "seed": 4},
        "extend-dropout-adagrad": {"network": {**ext, "use_dropout": True, "dropout_ration": 0.2}, "epochs": 2,
                                   "mini_batch_size": 6, "optimizer": "adagrad", "optimizer_param": {"lr": 0.1},
                                   "seed": 5},
        "extend-both-rmsprop": {"network": {**ext, "use_dropout": True, "use_batchnorm": True,
                                            "weight_decay_lambda": 0.01, "activation": "sigmoid",
                                            "weight_init_std": "xavier"},
                                "epochs": 2, "mini_batch_size": 9, "optimizer": "rmsprop",
                                "optimizer_param": {"lr": 0.01}, "evaluate_sample_num_per_epoch": 5, "seed": 6},
        "extend-nesterov-big-batch": {"network": {**ext, "use_batchnorm": True}, "epochs": 4, "mini_batch_size": 40,
                                      "optimizer": "nesterov", "optimizer_param": {}, "seed": 7},
    }
    images = r.randn(3, 1, 6, 6)[labels] + r.randn(36, 1, 6, 6) * 0.5   # one pattern per class, and noise
    conv_data = {"x_train": L(images[:30]), "t_train": L(labels[:30]), "x_test": L(images[30:]), "t_test": L(labels[30:])}
    conv = {"kind": "simple_conv_net", "input_dim": [1, 6, 6], "conv_param": {"filter_num": 2, "filter_size": 3},
            "hidden_size": 5, "output_size": 3, "weight_init_std": 0.1}
    runs["simple_conv_net-adam"] = {**conv_data, "network": conv, "epochs": 2, "mini_batch_size": 10, "optimizer": "Adam",
                                    "optimizer_param": {"lr": 0.01}, "evaluate_sample_num_per_epoch": 12, "seed": 8}
    runs["simple_conv_net-sgd-pad"] = {**conv_data, "network": {**conv, "conv_param": {"filter_num": 3, "filter_size": 2,
                                                                                       "pad": 1, "stride": 2}},
                                       "epochs": 3, "mini_batch_size": 7, "optimizer_param": {"lr": 0.1}, "seed": 9}
    deep_images = r.randn(3, 1, 4, 4)[labels] + r.randn(36, 1, 4, 4) * 0.5
    runs["deep_conv_net-adam"] = {"x_train": L(deep_images[:30]), "t_train": L(labels[:30]), "x_test": L(deep_images[30:]),
                                  "t_test": L(labels[30:]),
                                  "network": {"kind": "deep_conv_net", "input_dim": [1, 4, 4], "hidden_size": 6, "output_size": 3},
                                  "epochs": 2, "mini_batch_size": 10, "optimizer": "Adam", "optimizer_param": {"lr": 0.01}, "seed": 10}
    # The bias of an Affine followed by BatchNorm has a gradient of exactly 0 (the batch mean
    # takes it away again) that is computed as rounding noise of 1e-17; an adaptive optimizer
    # divides it by its own running size, so that bias wanders by the optimizer's rounding, which
    # differs from one summation order to another. It changes no score, so only it is left out.
    noise = (["params.b1", "params.b2"], "the bias before a batch norm has the gradient 0 and an adaptive "
             "optimizer moves it by rounding noise (section 4, train.trainer)")
    adaptive = ("adam", "adagrad", "rmsprop")
    return [(f"train/trainer/reference/{tag}", "train.trainer", {**data, **args}, TRAIN_TOL,
             noise if args["network"].get("use_batchnorm") and args.get("optimizer", "").lower() in adaptive else None)
            for tag, args in runs.items()]


def data() -> list[Spec]:
    return [
        ("data/idx/reference/fashion-t10k-images", "data.idx",
         {"path": "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"}),
        ("data/idx/reference/fashion-train-labels", "data.idx",
         {"path": "/usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz"}),
    ]


FAMILIES = {
    "gates": gates, "functions": functions, "losses": losses, "gradient": gradient,
    "simple_net": simple_net, "graph": graph, "layers": layers, "dropout": dropout,
    "batch_norm": batch_norm, "net3": net3, "two_layer_net": two_layer_net,
    "multi_layer_net": multi_layer_net, "multi_layer_net_extend": multi_layer_net_extend,
    "im2col": im2col, "convolution": convolution, "pooling": pooling, "simple_conv_net": simple_conv_net,
    "deep_conv_net": deep_conv_net, "model": model, "half_float": half_float,
    "optimizers": optimizers, "rng": rng, "train": lambda: train() + trainer(),
    "data": data,
}


# ------------------------------------------------------------------------------- driver
def build() -> dict[str, str]:
    """File name -> file text, every expectation answered by the Python reference."""
    port = load_ports()["python"]
    reason = port.absent_reason()
    if reason:
        raise SystemExit(f"generate_cases: the Python reference is needed ({reason})")
    client = port.client(timeout=120)
    files: dict[str, str] = {}
    problems: list[str] = []
    seen: set[str] = set()
    try:
        for family, make in FAMILIES.items():
            lines = []
            for spec in make():
                cid, op, args = spec[:3]
                tol = spec[3] if len(spec) > 3 else None
                unpinned = spec[4] if len(spec) > 4 else None
                if cid in seen:
                    problems.append(f"{cid}: duplicate id")
                seen.add(cid)
                args = encode_numbers(args)
                line = dumps({"id": cid, "op": op, "args": resolve_paths(op, args)})
                answer = client.request(line, cid)
                if answer.kind != "ok":
                    problems.append(f"{cid}: {answer.describe()}")
                    continue
                expect = encode_numbers(answer.body)
                for path in unpinned[0] if unpinned else ():
                    *outer, last = path.split(".")
                    inner = expect
                    for key in outer:
                        inner = inner[key]
                    del inner[last]
                case: dict[str, Any] = {"id": cid, "op": op, "args": args, "expect": expect}
                if tol is not None:
                    case["tol"] = tol
                case["source"] = "reference"
                if unpinned:
                    case["note"] = f"{', '.join(unpinned[0])} left out: {unpinned[1]}"
                lines.append(json.dumps(case, allow_nan=False))
            files[f"{family}.jsonl"] = "\n".join(lines) + "\n"
    finally:
        client.close()
    if problems:
        raise SystemExit("generate_cases: the reference refused cases:\n  " + "\n  ".join(problems))
    return files


def committed_cases(path: Path) -> dict[str, tuple[str, dict[str, Any]]]:
    """id -> (line, case) of a case file on disk (nothing when it does not exist)."""
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            out[case["id"]] = (line, case)
    return out


def agreement(new: dict[str, Any], old: dict[str, Any]) -> tuple[bool, float]:
    """Whether a committed case still holds for a regenerated one, and the worst relative
    difference of their expectations. Everything but `expect` must be equal; `expect` must be
    bit for bit equal, except for the ops of the ops whose `machine_rounded` is true in ops.json, whose expectations
    may differ within the case's own tolerance (BLAS kernels and libm differ between CPUs)."""
    if {k: v for k, v in new.items() if k != "expect"} != {k: v for k, v in old.items() if k != "expect"}:
        return False, math.inf
    if new["expect"] == old["expect"]:
        return True, 0.0
    if not machine_rounded(new["op"], new["args"]):
        return False, math.inf
    tol = new.get("tol", {})
    result = compare_ok(decode_numbers(new["expect"]), decode_numbers(old["expect"]),
                        tol.get("rtol", DEFAULT_RTOL), tol.get("atol", DEFAULT_ATOL))
    return result.ok, result.worst_rel


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\nUsage:")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--check", action="store_true",
                   help="exit 1 if a regenerated case does not agree with the one on disk (writes nothing)")
    p.add_argument("--verbose", action="store_true",
                   help="name every case whose expectation moved on this machine, and by how much")
    opt = p.parse_args()
    files = build()
    changed, moved = [], []
    for name, text in files.items():
        path = CASES_DIR / name
        old_cases = committed_cases(path)
        lines = []
        for line in text.splitlines():
            case = json.loads(line)
            old_line, old = old_cases.get(case["id"], (None, None))
            agrees, worst = agreement(case, old) if old is not None else (False, math.inf)
            if agrees and old_line != line:
                moved.append(f"{case['id']} (relative {worst:.2g}, within its tolerance)")
            lines.append(old_line if agrees else line)
        text = "\n".join(lines) + "\n"
        old_text = path.read_text(encoding="utf-8") if path.exists() else None
        if old_text != text:
            changed.append(name)
            if not opt.check:
                path.write_text(text, encoding="utf-8")
    if opt.verbose:
        for m in moved:
            print(f"moved on this machine: {m}")
    total = sum(t.count("\n") for t in files.values())
    kept = f"; {len(moved)} kept whose BLAS/libm results moved within their tolerance" if moved else ""
    if opt.check:
        print(f"generate_cases: {total} reference cases; "
              + (f"differ: {', '.join(changed)}" if changed else "all files up to date") + kept)
        return 1 if changed else 0
    print(f"generate_cases: {total} reference cases in {len(files)} files"
          + (f"; rewrote {', '.join(changed)}" if changed else "; nothing changed") + kept)
    return 0


if __name__ == "__main__":
    sys.exit(main())
