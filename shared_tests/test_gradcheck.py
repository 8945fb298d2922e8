"""In-port gradient check: each port's backprop `.gradient` agrees with its own
`.numerical_gradient` (mean |diff| <= 1e-7 per parameter) on small random networks, SimpleConvNet's
of the book's ch07/gradient_check.py among them."""
from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest

from conftest import Session, require_present
from harness.jsonio import dumps
from harness.ports import Port

MEAN_ABS_DIFF = 1e-7
# The loss's `log(y + 1e-7)` makes the numerical gradient differ from backprop by about
# 1e-7 (1 - y_t) / y_t, which alone reaches the 1e-7 threshold when the scores are flat. So the
# labels are each sample's predicted class and the weights (x is N(0, 1)) are large enough to
# make y_t clearly the largest probability; the O(h^2) truncation error stays below 1e-8.
W_STD = 2.0


def predicted_labels(params: dict[str, np.ndarray], x: np.ndarray, n_layers: int,
                     activation: str) -> list[int]:
    """argmax of the scores of Affine/activation/.../Affine, computed here with numpy."""
    a = x
    for k in range(1, n_layers + 1):
        a = a @ params[f"W{k}"] + params[f"b{k}"]
        if k < n_layers:
            a = np.maximum(a, 0) if activation == "relu" else 1 / (1 + np.exp(-a))
    return [int(i) for i in np.argmax(a, axis=1)]


def two_layer_net_args(seed: int, sizes: tuple[int, int, int], batch: int) -> dict[str, Any]:
    r = np.random.RandomState(seed)
    i, h, o = sizes
    params = {"W1": r.randn(i, h) * W_STD, "b1": r.randn(h) * 0.1, "W2": r.randn(h, o) * W_STD,
              "b2": r.randn(o) * 0.1}
    x = r.randn(batch, i)
    return {"params": {k: v.tolist() for k, v in params.items()}, "x": x.tolist(),
            "t": predicted_labels(params, x, 2, "relu")}


def multi_layer_net_args(seed: int, sizes: list[int], batch: int, activation: str,
                         lam: float) -> dict[str, Any]:
    r = np.random.RandomState(seed)
    params: dict[str, np.ndarray] = {}
    for k in range(1, len(sizes)):
        params[f"W{k}"] = r.randn(sizes[k - 1], sizes[k]) * W_STD
        params[f"b{k}"] = r.randn(sizes[k]) * 0.1
    x = r.randn(batch, sizes[0])
    return {"input_size": sizes[0], "hidden_size_list": sizes[1:-1], "output_size": sizes[-1],
            "activation": activation, "weight_decay_lambda": lam,
            "params": {k: v.tolist() for k, v in params.items()}, "x": x.tolist(),
            "t": predicted_labels(params, x, len(sizes) - 1, activation)}


def simple_conv_net_args(seed: int, image: tuple[int, int, int], filters: int, size: int, hidden: int, classes: int,
                         batch: int, pad: int = 0, stride: int = 1) -> dict[str, Any]:
    """SimpleConvNet's gradient check; the labels come from its scores computed here with numpy
    (a direct convolution, 2 x 2 max pooling of stride 2)."""
    r = np.random.RandomState(seed)
    c, h, w = image
    oh, ow = (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1
    params = {"W1": r.randn(filters, c, size, size), "b1": r.randn(filters) * 0.1,
              "W2": r.randn(filters * (oh // 2) * (ow // 2), hidden) * 0.5, "b2": r.randn(hidden) * 0.1,
              "W3": r.randn(hidden, classes), "b3": r.randn(classes) * 0.1}
    x = r.rand(batch, c, h, w)
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    conv = np.empty((batch, filters, oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = padded[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            conv[:, :, i, j] = np.einsum("ncyx,fcyx->nf", window, params["W1"]) + params["b1"]
    z = np.maximum(conv, 0)[:, :, :oh // 2 * 2, :ow // 2 * 2]
    pooled = z.reshape(batch, filters, oh // 2, 2, ow // 2, 2).max(axis=(3, 5)).reshape(batch, -1)
    scores = np.maximum(pooled @ params["W2"] + params["b2"], 0) @ params["W3"] + params["b3"]
    return {"input_dim": list(image), "conv_param": {"filter_num": filters, "filter_size": size, "pad": pad, "stride": stride},
            "hidden_size": hidden, "output_size": classes, "params": {k: v.tolist() for k, v in params.items()},
            "x": x.tolist(), "t": [int(k) for k in np.argmax(scores, axis=1)]}


NETWORKS: list[tuple[str, str, dict[str, Any]]] = [
    # the book's ch07/gradient_check.py: one 1 x 10 x 10 image, 10 filters of 3 x 3, hidden 10
    ("simple_conv_net/book-1x10x10", "simple_conv_net", simple_conv_net_args(20, (1, 10, 10), 10, 3, 10, 10, 1)),
    ("simple_conv_net/2x7x6-pad1-stride2", "simple_conv_net", simple_conv_net_args(21, (2, 7, 6), 3, 3, 4, 3, 2, 1, 2)),
    ("two_layer_net/4-5-3/seed0", "two_layer_net", two_layer_net_args(0, (4, 5, 3), 3)),
    ("two_layer_net/5-4-2/seed1", "two_layer_net", two_layer_net_args(1, (5, 4, 2), 3)),
] + [
    (f"multi_layer_net/{'-'.join(map(str, sizes))}/{act}/decay{lam}", "multi_layer_net",
     multi_layer_net_args(10 + n, sizes, 3, act, lam))
    for n, (sizes, act, lam) in enumerate(itertools.product(
        ([4, 5, 3], [4, 5, 4, 3]), ("relu", "sigmoid"), (0.0, 0.1)))
]


def ask(session: Session, port: Port, rid: str, op: str, args: dict[str, Any]) -> dict[str, Any]:
    answer = session.client(port.name).request(dumps({"id": rid, "op": op, "args": args}), rid)
    if answer.kind != "ok":
        pytest.fail(f"{port.name} {op}: {answer.describe()}", pytrace=False)
    return answer.body


@pytest.mark.parametrize("name,family,args", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_gradient_matches_numerical(port: Port, name: str, family: str, args: dict[str, Any],
                                    session: Session) -> None:
    require_present(port)
    backprop = ask(session, port, f"gradcheck/{name}/gradient", f"{family}.gradient", args)
    numerical = ask(session, port, f"gradcheck/{name}/numerical", f"{family}.numerical_gradient", args)
    problems = []
    for key in args["params"]:
        if key not in backprop or key not in numerical:
            problems.append(f"{key} missing from an answer")
            continue
        g, n = np.asarray(backprop[key], float), np.asarray(numerical[key], float)
        want_shape = np.shape(args["params"][key])
        if g.shape != want_shape or n.shape != want_shape:
            problems.append(f"{key}: shapes {g.shape} / {n.shape}, parameter {want_shape}")
            continue
        diff = float(np.mean(np.abs(g - n)))
        if not diff <= MEAN_ABS_DIFF:
            problems.append(f"{key}: mean |gradient - numerical_gradient| = {diff:.3g} > {MEAN_ABS_DIFF:g}")
    assert not problems, f"{port.name} {name}: " + "; ".join(problems)


# --- DeepConvNet: a numerical gradient of every weight is too slow; sampled coordinates instead ---

DEEP_STRUCTURE = {"input_dim": [1, 8, 8], "hidden_size": 6, "output_size": 3}
DEEP_SAMPLES, DEEP_H = 1, 1e-5


def deep_conv_net_args(seed: int) -> dict[str, Any]:
    """A DeepConvNet on two 1 x 8 x 8 images with He-scaled weights (W7 is 64 x 6: the last pooling
    is 1 x 1); the labels are set by the test to the network's own training-mode predictions."""
    r = np.random.RandomState(seed)
    shapes, channels = {}, 1
    for i, filters in enumerate((16, 16, 32, 32, 64, 64), start=1):
        shapes[f"W{i}"], shapes[f"b{i}"] = (filters, channels, 3, 3), (filters,)
        channels = filters
    shapes.update(W7=(64, 6), b7=(6,), W8=(6, 3), b8=(3,))
    params = {k: r.randn(*s) * (np.sqrt(2.0 / np.prod(s[1:])) if len(s) == 4 else 1.0 if k[0] == "W" else 0.1)
              for k, s in shapes.items()}
    return {**DEEP_STRUCTURE, "params": params, "x": r.rand(2, 1, 8, 8), "t": [0, 2], "seed": 11}


def deep_loss(session: Session, port: Port, rid: str, listed: dict[str, Any], encoded: dict[str, str], key: str,
              moved: np.ndarray) -> float:
    """The training-mode loss with params[key] replaced: the request written from each parameter's
    JSON (`encoded`, made once: 72,000 weights) and the moved one's."""
    params = ",".join(f'"{name}":' + (json.dumps(moved.tolist()) if name == key else text) for name, text in encoded.items())
    rest = ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in listed.items() if k != "params")
    line = f'{{"id":{json.dumps(rid)},"op":"deep_conv_net.loss","args":{{"params":{{{params}}},{rest},"train_flg":true}}}}'
    answer = session.client(port.name).request(line, rid)
    if answer.kind != "ok":
        pytest.fail(f"{port.name} deep_conv_net.loss: {answer.describe()}", pytrace=False)
    return float(answer.body["loss"])


def test_deep_conv_net_gradient_matches_sampled_central_differences(port: Port, session: Session) -> None:
    """gradient against (L(p + h) - L(p - h)) / 2h of the training-mode loss (the same masks, from the
    same seed) at DEEP_SAMPLES coordinates of every parameter, each asked of the port itself."""
    require_present(port)
    args = deep_conv_net_args(30)
    listed = {**args, "params": {k: v.tolist() for k, v in args["params"].items()}, "x": args["x"].tolist()}
    # with the scores' own argmax as the label the loss's + 1e-7 moves the central difference by
    # less than 1e-7 relative (it is 1e-7 / y_t: large where y_t is small)
    scores = ask(session, port, "gradcheck/deep/predict", "deep_conv_net.predict",
                 {k: v for k, v in listed.items() if k != "t"} | {"train_flg": True})
    listed["t"] = [int(i) for i in np.argmax(np.asarray(scores["y"], float), axis=1)]
    backprop = ask(session, port, "gradcheck/deep/gradient", "deep_conv_net.gradient", listed)
    r = np.random.RandomState(31)
    encoded = {name: json.dumps(v) for name, v in listed["params"].items()}
    problems = []
    for key, value in args["params"].items():
        g = np.asarray(backprop.get(key), float)
        if g.shape != value.shape:
            problems.append(f"{key}: gradient shape {g.shape}, parameter {value.shape}")
            continue
        for k in range(DEEP_SAMPLES):
            idx = tuple(int(r.randint(0, n)) for n in value.shape)
            losses = []
            for sign in (1, -1):
                moved = value.copy()
                moved[idx] += sign * DEEP_H
                losses.append(deep_loss(session, port, f"gradcheck/deep/{key}/{k}/{sign}", listed, encoded, key, moved))
            numerical = (losses[0] - losses[1]) / (2 * DEEP_H)
            if not abs(numerical - g[idx]) <= 1e-6 + 1e-4 * abs(g[idx]):
                problems.append(f"{key}{list(idx)}: gradient {g[idx]:.9g}, central difference {numerical:.9g}")
    assert not problems, f"{port.name}: " + "; ".join(problems)
