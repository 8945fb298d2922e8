"""The error bounds of the differential fuzzer and the comparison under them: `bounds(op, args,
want)` gives, for every number of the reference's answer, how far a port that follows the
protocol may be from it (first-order rounding analysis in the problem's own magnitudes; each
derivation is next to its bound), and `judge` compares a port's answer with the reference's."""
from __future__ import annotations

import gzip
import json
import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import ERROR_TYPES
from .client import Answer
from .strategies import ELEMENTWISE, IDX_CODES, Args, arr

EPS = float(np.finfo(np.float64).eps)   # 2^-52 = twice the unit roundoff: a factor 2 of margin
H = 1e-4                                # the central difference's step (README section 4)
ETA = 2.0 ** -1074                      # fl(a op b) = (a op b)(1 + δ) + η, |η| <= ETA/2: the
SUBNORMAL = ETA * 16                    # absolute rounding of results in the subnormal range

# ---------------------------------------------------------------------------------------------
# bounds
# ---------------------------------------------------------------------------------------------

def fin(a: np.ndarray) -> np.ndarray:
    """|a| with non-finite entries as 0: a bound relative to a non-finite value is meaningless
    (NaN and infinities are compared exactly)."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    return np.where(np.isfinite(a), a, 0.0)


def rel(want: Any, k: float) -> np.ndarray:
    """k·eps·|want| (+ the subnormal range, where a correctly rounded result has fewer digits)."""
    return k * EPS * fin(arr(want)) + SUBNORMAL


def mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.abs(a) @ np.abs(b)


def mm_round(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The rounding bound of a matrix product a·b with inner dimension k, in any summation order
    (with or without fused multiply-add): (k + 2)·eps·(|a|·|b|)."""
    return (a.shape[-1] + 2) * (EPS * mm(a, b) + ETA)


def softmax(z: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)


def labels_of(t: Any, n: int, c: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, one-hot matrix) of a target for n rows of c classes."""
    ta = arr(t)
    if ta.size == n * c:
        oh = ta.reshape(n, c)
        return oh.argmax(axis=1), oh
    lab = ta.reshape(-1).astype(int)
    oh = np.zeros((n, c))
    oh[np.arange(n), lab] = 1.0
    return lab, oh


@dataclass
class Net:
    """Forward/backward rounding bounds of the protocol's dense networks (first-order error
    analysis; each δ is an elementwise bound on |port - exact| that holds for every port).

    Propagation rules: an affine a = z·W + b has δa = |δz|·|W| + (k+2)·eps·(|z|·|W| + |b|);
    relu is 1-Lipschitz (δz = δa) but its derivative jumps where |a| < δa ("kink": backprop
    gradients are then not comparable); sigmoid is 1/4-Lipschitz and rounds to 8·eps·z; the
    softmax moves by at most y_j·2·max δa; -log(y_t + 1e-7) by at most 2·max δa + (C+8)·eps;
    a mean of N logs rounds to (N+4)·eps·mean|log|.
    """
    x: np.ndarray                      # (N, D)
    layers: list[tuple[np.ndarray, np.ndarray]]
    act: str = "relu"
    lam: float = 0.0
    # bounds of the parameters' own errors (training: what earlier iterations left), or None
    dlayers: list[tuple[np.ndarray, np.ndarray]] | None = None

    def forward(self) -> None:
        self.z = [self.x]
        self.dz = [np.zeros_like(self.x)]
        self.a: list[np.ndarray] = []
        self.da: list[np.ndarray] = []
        self.kink = False
        with np.errstate(all="ignore"):
            for i, (W, b) in enumerate(self.layers):
                z, dz = self.z[-1], self.dz[-1]
                a = z @ W + b
                terms = mm(z, W) + np.abs(b)
                da = mm(dz, W) + (W.shape[0] + 2) * EPS * terms
                if self.dlayers is not None:
                    dW, db = self.dlayers[i]
                    da = da + mm(np.abs(z) + dz, dW) + db
                # the subnormal range's absolute rounding, unless every term is exactly 0
                # (then the sum is exactly 0 in every port: no rounding, no kink)
                da = da + np.where((terms > 0) | (da > 0), (W.shape[0] + 2) * ETA, 0.0)
                self.a.append(a)
                self.da.append(da)
                if i == len(self.layers) - 1:
                    break
                if self.act == "relu":
                    self.kink |= bool(np.any(np.abs(a) < da))
                    self.z.append(np.maximum(a, 0.0))
                    self.dz.append(da)
                else:
                    s = 1.0 / (1.0 + np.exp(-a))
                    self.z.append(s)
                    self.dz.append(0.25 * da + 8 * EPS * s)

    def loss_bound(self, t: Any) -> float:
        """The bound of the loss (data loss + weight decay)."""
        scores, ds = self.a[-1], self.da[-1]
        n, c = scores.shape
        self.labels, self.onehot = labels_of(t, n, c)
        y = softmax(scores)
        self.y = y
        self.dy = y * 2 * ds.max(axis=1, keepdims=True) + (c + 8) * EPS * y
        with np.errstate(all="ignore"):
            logs = np.log(y[np.arange(n), self.labels] + 1e-7)
        per_row = 2 * ds.max(axis=1) + (c + 8) * EPS
        bound = float(per_row.mean() + (n + 4) * EPS * np.abs(logs).mean())
        if self.lam:
            decay = sum(0.5 * self.lam * float(np.sum(W * W)) for W, _ in self.layers)
            size = max(W.size for W, _ in self.layers)
            bound += (size + len(self.layers) + 4) * EPS * decay
        return bound

    def backward(self) -> dict[str, np.ndarray]:
        """Bounds of the backprop gradients W1, b1, ... (+inf everywhere at a relu kink);
        the gradients themselves are left in self.grads, the input gradient in self.dx and its
        bound in self.ddx."""
        n = self.x.shape[0]
        self.grads: dict[str, np.ndarray] = {}
        if self.kink:
            return {k: np.full(v.shape, np.inf) for i, (W, b) in enumerate(self.layers, 1)
                    for k, v in ((f"W{i}", W), (f"b{i}", b))}
        with np.errstate(all="ignore"):
            g = (self.y - self.onehot) / n
            dg = self.dy / n + EPS * np.abs(g)
            out: dict[str, np.ndarray] = {}
            for i in range(len(self.layers), 0, -1):
                W, _ = self.layers[i - 1]
                z, dz = self.z[i - 1], self.dz[i - 1]
                self.grads[f"W{i}"] = z.T @ g + self.lam * W
                self.grads[f"b{i}"] = g.sum(axis=0)
                dW = mm(dz.T, g) + mm(z.T, dg) + (n + 2) * EPS * mm(z.T, g)
                dW += EPS * (np.abs(z.T @ g) + self.lam * np.abs(W)) * 2
                out[f"W{i}"] = dW
                out[f"b{i}"] = dg.sum(axis=0) + (n + 1) * EPS * np.abs(g).sum(axis=0)
                back = g @ W.T
                dback = mm(dg, W.T) + mm_round(g, W.T)
                if i == 1:
                    # the input gradient dx = dout·W1ᵀ of the first Affine, and its bound
                    self.dx, self.ddx = back, dback
                    break
                if self.dlayers is not None:
                    dback = dback + mm(np.abs(g) + dg, self.dlayers[i - 1][0].T)
                a = self.a[i - 2]
                if self.act == "relu":
                    mask = (a > 0).astype(float)
                    g, dg = back * mask, dback * mask
                else:
                    s = self.z[i - 1]
                    ds = self.dz[i - 1]
                    deriv = (1 - s) * s
                    g = back * deriv
                    dg = dback * deriv + np.abs(back) * (ds + 4 * EPS * s) + 2 * EPS * np.abs(g)
            return out


def net_from(params: dict[str, Any], count: int) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(arr(params[f"W{i}"]), arr(params[f"b{i}"])) for i in range(1, count + 1)]


def batch(x: Any) -> np.ndarray:
    xa = arr(x)
    return xa.reshape(1, -1) if xa.ndim == 1 else xa


def numgrad_bound(loss_bound: float, want: Any) -> np.ndarray:
    """A central difference (L(p+h) - L(p-h)) / 2h of a loss evaluated within δL: the two
    evaluations may each be off by δL, so the quotient by 2·δL / 2h = δL / h, plus its own
    rounding."""
    return loss_bound / H + rel(want, 4)


def like(want: Any, value: float) -> np.ndarray:
    return np.full(arr(want).shape, value)


def elementwise_bounds(op: str, x: np.ndarray, want: dict[str, Any]) -> dict[str, Any]:
    y = want["y"]
    if op in ("fn.identity", "fn.step", "fn.relu", "fn.relu_grad"):
        return {"y": like(y, 0.0)}      # a copy, a comparison, max(0, x): exact in IEEE 754
    if op == "fn.tanh":
        # libm's (or a port's own, e.g. through expm1) tanh: within a few ulp of |y|; a result
        # near x in the subnormal range is rounded absolutely
        return {"y": rel(y, 8) + SUBNORMAL}
    if op == "fn.sigmoid":
        # 1/(1 + exp(-x)): exp within a few ulp (libm or SIMD), 1 + e and the division
        # rounded once each: relative 8·eps
        return {"y": rel(y, 8)}
    # (1 - s)·s: s is off by 8·eps·s, so 1 - s by 8·eps·s + eps (absolute: the cancellation as
    # s -> 1), and the product by that times s, plus s's error times (1 - s)
    with np.errstate(all="ignore"):
        s = 1.0 / (1.0 + np.exp(-x))
    return {"y": fin((9 * EPS * s + EPS) * s + 8 * EPS * s * (1 - s)) + rel(y, 2)}


def sum_bound(terms: np.ndarray, axis: Any = None) -> np.ndarray:
    """A sum of n terms in any order (naive, pairwise, blocked): (n + 1)·eps·Σ|terms|, i.e. the
    relative error n·eps·Σ|terms| / |Σ terms| of the brief's conditioning rule."""
    t = np.abs(terms)
    n = t.size if axis is None else t.shape[axis]
    with np.errstate(all="ignore"):
        return (n + 1) * (EPS * t.sum(axis=axis) + ETA)


def fn_value(f: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(terms, |terms|, a, d) of f: f(x) = Σ terms; the gradient is a·x + d."""
    if f == "function_1":
        return 0.01 * x ** 2 + 0.1 * x, 0.01 * x ** 2 + 0.1 * np.abs(x), 0.02, 0.1
    return x ** 2, x ** 2, 2.0, 0.0


def f_eval_bound(f: str, x: np.ndarray) -> float:
    """The rounding of one evaluation of Σ_i f_i(x) at x ± h: each term to 4·eps, the sum of n
    terms to (n + 1)·eps·Σ|terms| (any order)."""
    _, absterms, _, _ = fn_value(f, np.abs(x) + H)
    return float((x.size + 5) * EPS * absterms.sum())


#: The arguments a perturbation bound perturbs: the real-valued inputs of the op (not labels,
#: sizes, flags, seeds or hyper-parameters, which every port reads as the same doubles).
PERTURBED = {"multi_layer_net_extend": ("params", "running_stats", "x"), "simple_conv_net": ("params", "x"),
             "deep_conv_net": ("params", "x"), "model.evaluate": ("x",),
             "train.trainer": ("x_train", "x_test")}
PERTURBATION_RUNS = 8
PERTURBATION_SAFETY = 8.0
#: Training compounds the rounding of every step in directions a few random perturbations sample
#: less well than one pass (the largest change seen underestimates the worst by more): twice the
#: margin. Calibrated on 2000 trainer examples per port (Ruby's largest ratio of the 8-margin bound
#: was 1.05, on nearly constant inputs through batch norm).
TRAINING_SAFETY = 16.0
Evaluate = Callable[[str, Args], Any]


def _perturb(v: Any, k: float, rng: np.random.Generator) -> Any:
    """Every number of a nested list or object times (1 + δ), δ uniform in ±k·eps."""
    if isinstance(v, dict):
        return {key: _perturb(x, k, rng) for key, x in v.items()}
    a = np.asarray(v, dtype=np.float64)
    with np.errstate(all="ignore"):
        return (a * (1.0 + k * EPS * rng.uniform(-1.0, 1.0, a.shape))).tolist()


def _spread(got: Any, want: Any) -> Any:
    """|got - want| elementwise, nested like want (+inf where got is not a number of want's shape)."""
    if isinstance(want, dict):
        return {key: _spread(got.get(key) if isinstance(got, dict) else None, w) for key, w in want.items()}
    w = np.asarray(want, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return np.full(w.shape, np.inf)
    if g.shape != w.shape:
        return np.full(w.shape, np.inf)
    with np.errstate(all="ignore"):
        d = np.abs(g - w)
    return np.where(np.isfinite(w) & ~np.isfinite(g), np.inf, np.where(np.isnan(d), 0.0, d))


def _combine(f: Callable[..., Any], *trees: Any) -> Any:
    if isinstance(trees[0], dict):
        return {key: _combine(f, *(t[key] for t in trees)) for key in trees[0]}
    return f(*trees)


def conv_terms(op: str, args: Args) -> list[int]:
    """The longest sums of a SimpleConvNet's convolution, which no dimension of its arrays need
    reach: an output's C·FS² products, and dW1's and db1's sums over the N·OH·OW windows."""
    if op == "model.evaluate":
        return [64 * 9, 64 * 8 * 8]          # the committed files' longest sums are no longer
    net = args.get("network", {}) if op == "train.trainer" else args
    if op.startswith("deep_conv_net.") or net.get("kind") == "deep_conv_net":
        # the 64·9 products of the last convolutions; dW's sums over the batch's windows
        c, h, w = net.get("input_dim", [1, 28, 28])
        n = int(args.get("mini_batch_size", 100)) if op == "train.trainer" else len(args.get("x", [[]]))
        return [64 * 9, n * (h + 2) * (w + 2)]
    if op != "train.trainer" and not op.startswith("simple_conv_net.") or net.get("kind", "simple_conv_net") != "simple_conv_net":
        return []
    c, h, w = net.get("input_dim", [1, 28, 28])
    conv = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1, **net.get("conv_param", {})}
    fs, pad, stride = conv["filter_size"], conv["pad"], conv["stride"]
    windows = ((h + 2 * pad - fs) // stride + 1) * ((w + 2 * pad - fs) // stride + 1)
    n = int(args.get("mini_batch_size", 100)) if op == "train.trainer" else len(args.get("x", [[]]))
    return [c * fs * fs, n * windows]


def perturbation_bounds(op: str, args: Args, want: dict[str, Any], evaluate: Evaluate) -> dict[str, Any]:
    """Monte Carlo arithmetic (Parker 1997) through backward error analysis, for the ops whose
    rounding is too entangled to bound term by term (batch norm inside a network, training by
    the Trainer). Every rounding of a backward-stable computation — matrix products of inner
    dimension up to k, sums over a batch of up to k rows, the elementwise steps — equals a
    relative perturbation of its inputs by at most k·eps; so the reference is run again
    PERTURBATION_RUNS times with every real input perturbed by a random relative δ in ±k·eps
    (k = the largest dimension of the request + 4; for the Trainer every hyper-parameter too), and the
    bound of a number is PERTURBATION_SAFETY (TRAINING_SAFETY for the Trainer) times the largest
    change seen, plus 8·eps relative and the subnormal
    range's absolute rounding. A change of mode under perturbation (a relu kink crossed, an
    argmax tie, a different training trajectory) shows as a large change and so as a wide bound,
    which is the problem's own ill-conditioning. The perturbations are drawn from a generator
    seeded by the request, so a run is reproducible."""
    keys = PERTURBED[op if op in PERTURBED else op.split(".")[0]]
    sizes = [max(np.shape(v)) for key in keys if key in args and args[key] is not None
             for v in (args[key].values() if isinstance(args[key], dict) else [args[key]]) if np.ndim(v)]
    k = max([*sizes, int(args.get("mini_batch_size", 1)), *conv_terms(op, args)], default=1) + 4
    rng = np.random.default_rng(zlib.crc32(json.dumps(args, sort_keys=True, default=str).encode()))
    spread = _combine(lambda w: np.zeros(np.shape(w)), want)
    for _ in range(PERTURBATION_RUNS):
        moved = {key: (_perturb(v, k, rng) if key in keys and v is not None else v) for key, v in args.items()}
        if op == "train.trainer":
            # every update p -= lr·g rounds like a relative perturbation of lr·g, and Adam's
            # 1 - beta^t (pow's rounding, amplified by the cancellation) like one of beta: perturb
            # every hyper-parameter, the defaults included
            given = args.get("optimizer_param", {"lr": 0.01})
            hyper = {**OPT_DEFAULTS[str(args.get("optimizer", "sgd")).lower()], **given}
            moved["optimizer_param"] = {key: float(v) * (1.0 + k * EPS * rng.uniform(-1.0, 1.0)) for key, v in hyper.items()}
        answer = evaluate(op, moved)
        got = answer.body if answer.kind == "ok" else None
        spread = _combine(np.maximum, spread, _spread(got, want))
    safety = TRAINING_SAFETY if op == "train.trainer" else PERTURBATION_SAFETY
    bound = _combine(lambda s, w: safety * s + rel(w, 8) + SUBNORMAL, spread, want)
    # A number that is a cancellation (a bias gradient summed over the batch, a parameter near 0
    # after training, the bias before a batch norm whose gradient is 0) carries the rounding of
    # the terms it cancels, which perturbing the inputs need not move: a floor of (k + 8)·eps times
    # the largest magnitude of its group (the answer's arrays together, each object on its own).
    def floor(bounds_of: dict[str, Any], group: dict[str, Any]) -> None:
        top = max((float(fin(arr(v)).max(initial=0.0)) for v in group.values()), default=0.0)
        for key in group:
            bounds_of[key] = np.maximum(bounds_of[key], (k + 8) * EPS * top)

    floor(bound, {key: v for key, v in want.items() if not isinstance(v, dict)})
    for key, v in want.items():
        if isinstance(v, dict):
            floor(bound[key], v)
    if op.endswith(".numerical_gradient"):
        # each central difference divides the two loss evaluations' rounding by 2h (a port's exp
        # may differ from numpy's SIMD exp by an ulp): δL = (k + C + 8)·eps·(|L| + 1)
        loss = evaluate(op.rsplit(".", 1)[0] + ".loss", {**args, "train_flg": True})
        size = abs(float(loss.body["loss"])) if loss.kind == "ok" else math.inf
        delta = (k + int(args["output_size"]) + 8) * EPS * (size + 1.0)
        bound = {key: b + numgrad_bound(delta, want[key]) for key, b in bound.items()}
    return bound


def bounds(op: str, args: Args, want: dict[str, Any], evaluate: Evaluate | None = None) -> dict[str, Any]:
    """Per answer key, a bound (array of want's shape, or a dict for nested objects). `evaluate`
    (op, args) -> the reference's answer, for the perturbation bounds."""
    B: dict[str, Any] = {}
    if op.startswith("gate."):
        # w1·x1 + w2·x2 + b in the pinned order is the same IEEE computation everywhere, but
        # when |w·x + b| is within its own rounding (4·eps·(|w1x1| + |w2x2| + |b|)) of 0 the
        # answer is not determined by the contract; XOR looks at NAND and OR.
        x1, x2 = float(arr(args["x1"])), float(arr(args["x2"]))
        gates = {"gate.and": [(0.5, 0.5, -0.7)], "gate.nand": [(-0.5, -0.5, 0.7)],
                 "gate.or": [(0.5, 0.5, -0.2)],
                 "gate.xor": [(-0.5, -0.5, 0.7), (0.5, 0.5, -0.2), (0.5, 0.5, -0.7)]}[op]
        tie = any(abs(w1 * x1 + w2 * x2 + b) <= 4 * EPS * (abs(w1 * x1) + abs(w2 * x2) + abs(b))
                  for w1, w2, b in gates)
        return {"y": np.inf if tie else 0.0}
    if op in ELEMENTWISE:
        return elementwise_bounds(op, arr(args["x"]), want)
    if op == "fn.softmax":
        # exp(x - max): the subtraction is one IEEE operation, exp within a few ulp; the row
        # sum of C terms in [0, 1] (one of them 1) within (C+1)·eps relative; the division once
        c = arr(args["x"]).shape[-1]
        return {"y": rel(want["y"], c + 8)}
    if op == "loss.sum_squared_error":
        # 0.5·Σ (y - t)²: each term exact to 2·eps, the sum in any order (n + 1)·eps·Σ terms
        d = arr(args["y"]) - arr(args["t"])
        with np.errstate(all="ignore"):
            return {"loss": 0.5 * sum_bound(d * d) + rel(want["loss"], 3)}
    if op == "loss.cross_entropy_error":
        # -Σ_i log(y_i,t + 1e-7) / N: each log within 2·eps relative, the sum of N logs
        y = batch(args["y"])
        n, c = y.shape
        lab, _ = labels_of(args["t"], n, c)
        with np.errstate(all="ignore"):
            logs = np.log(y[np.arange(n), lab] + 1e-7)
        return {"loss": sum_bound(logs) * 2 / n + rel(want["loss"], 3)}
    if op == "grad.numerical_diff":
        x = arr(args["x"])
        return {"d": 2 * f_eval_bound(args["f"], x) / (2 * H) + rel(want["d"], 4)}
    if op == "grad.numerical_gradient":
        x = arr(args["x"])
        return {"grad": 2 * f_eval_bound(args["f"], x) / (2 * H) + rel(want["grad"], 4)}
    if op == "grad.gradient_descent":
        # x_{k+1} = x_k - lr·g(x_k), g = a·x + d up to the central difference's rounding:
        # an error e_k in x_k becomes |1 - lr·a|·e_k, plus lr times the gradient's rounding
        # bound at x_k, plus the update's own rounding eps·(|x_k| + |lr·g_k|)
        f, lr, steps = args["f"], float(args.get("lr", 0.01)), int(args.get("step_num", 100))
        x = arr(args["init_x"]).copy()
        _, _, a, d = fn_value(f, x)
        e = np.zeros_like(x)
        for _ in range(steps):
            g = a * x + d
            e = abs(1 - lr * a) * e + lr * (2 * f_eval_bound(f, x) / (2 * H) + 4 * EPS * np.abs(g)) \
                + 2 * EPS * (np.abs(x) + np.abs(lr * g))
            x = x - lr * g
        return {"x": e + rel(want["x"], 4)}
    if op.startswith("simple_net."):
        W = arr(args["W"])
        net = Net(batch(args["x"]), [(W, np.zeros(W.shape[1]))])
        net.forward()
        if op == "simple_net.predict":
            return {"p": net.da[0].reshape(arr(want["p"]).shape)}
        lb = net.loss_bound(args["t"])
        if op == "simple_net.loss":
            return {"loss": lb + rel(want["loss"], 2)}
        return {"dW": numgrad_bound(lb, want["dW"])}
    if op in ("layer.mul", "layer.add"):
        return {k: rel(want[k], 1) for k in ("out", "dx", "dy")}   # one IEEE operation
    if op.startswith("graph."):
        return {k: rel(v, 0) * 0 for k, v in want.items()}         # products in a pinned order
    if op == "layer.relu":
        return {"out": like(want["out"], 0.0), "dx": like(want["dx"], 0.0)}
    if op == "layer.sigmoid":
        x, dout = arr(args["x"]), arr(args["dout"])
        b = elementwise_bounds("fn.sigmoid_grad", x, {"y": want["dx"]})["y"]
        return {"out": rel(want["out"], 8), "dx": fin(dout) * b + rel(want["dx"], 2)}
    if op == "layer.affine":
        W, b, x, dout = (arr(args[k]) for k in ("W", "b", "x", "dout"))
        x2 = x.reshape(1, -1) if x.ndim == 1 else x.reshape(x.shape[0], -1)
        d2 = dout.reshape(x2.shape[0], -1)
        with np.errstate(all="ignore"):
            return {"out": ((W.shape[0] + 2) * EPS * (mm(x2, W) + np.abs(b))).reshape(arr(want["out"]).shape),
                    "dx": mm_round(d2, W.T).reshape(x.shape),
                    "dW": mm_round(x2.T, d2),
                    "db": sum_bound(d2, axis=0)}
    if op == "layer.softmax_with_loss":
        x = batch(args["x"])
        n, c = x.shape
        net = Net(np.eye(c), [(x.T.copy(), np.zeros(n))])   # scores = x exactly
        net.a, net.da = [x], [np.zeros_like(x)]
        lb = net.loss_bound(args["t"])
        shape = arr(want["y"]).shape
        return {"loss": lb + rel(want["loss"], 2), "y": rel(want["y"], c + 8),
                "dx": ((c + 8) * EPS * net.y / n).reshape(shape) + rel(want["dx"], 2)}
    if op == "layer.dropout":
        return {"out": like(want["out"], 0.0), "dx": like(want["dx"], 0.0)}  # products, exact
    if op == "layer.batch_norm":
        return batch_norm_bounds(args, want)
    if op == "net3.init":
        return {k: like(v, 0.0) for k, v in want.items()}
    if op == "net3.forward":
        net = Net(batch(args["x"]), net_from(args["network"], 3), act="sigmoid")
        net.forward()
        shape = arr(want["a1"]).shape[:-1]
        out = {"a1": net.da[0], "z1": net.dz[1], "a2": net.da[1], "z2": net.dz[2], "a3": net.da[2]}
        if args.get("output") == "softmax":
            c = net.a[2].shape[1]
            out["y"] = softmax(net.a[2]) * 2 * net.da[2].max(axis=1, keepdims=True) \
                + rel(batch(want["y"]), c + 8)
        else:
            out["y"] = net.da[2]
        return {k: v.reshape(shape + v.shape[-1:]) for k, v in out.items()}
    if op == "two_layer_net.init":
        return {k: normal_bound(want[k], float(args.get("weight_init_std", 0.01))) for k in want}
    if op in ("multi_layer_net.init", "multi_layer_net_extend.init"):
        # Box-Muller weights; gamma = 1 and beta = 0 are exact (normal_bound of 1 is 64·eps)
        return {k: normal_bound(v, None) if k[0] in "Wb" else like(v, 0.0) for k, v in want.items()}
    if op in ("util.im2col", "util.col2im", "layer.convolution", "layer.pooling"):
        return conv_bounds(op, args, want)
    if op == "simple_conv_net.init":
        std = float(args.get("weight_init_std", 0.01))
        return {k: normal_bound(v, std) if k[0] == "W" else like(v, 0.0) for k, v in want.items()}
    if op == "model.evaluate":
        # the file's network (a few hundred terms in its longest sums), its input perturbed
        assert evaluate is not None, f"{op}: a perturbation bound needs the reference"
        return perturbation_bounds(op, args, want, evaluate)
    if op.startswith(("multi_layer_net_extend.", "simple_conv_net.", "deep_conv_net.")) or op == "train.trainer":
        assert evaluate is not None, f"{op}: a perturbation bound needs the reference"
        b = perturbation_bounds(op, args, want, evaluate)
        if op == "train.trainer" and args["network"]["kind"] == "two_layer_net":
            b = with_two_layer_net_bounds(args, want, b)
        return b
    if op.startswith("two_layer_net.") or op.startswith("multi_layer_net."):
        return network_bounds(op, args, want)
    if op == "optimizer.run":
        return {"params": optimizer_bounds(args)}
    if op in ("rng.uniform", "rng.permutation", "rng.choice"):
        # integer arithmetic of MRG32k3a, one division: exact
        return {k: like(v, 0.0) for k, v in want.items()}
    if op == "rng.normal":
        return {"x": normal_bound(want["x"], 1.0)}
    if op == "train.two_layer_net":
        return train_bounds(args, want)
    if op == "data.idx":
        # shape and head are read, exact; the sum of n values in any order
        raw = load_raw_idx(args["path"])
        return {"shape": like(want["shape"], 0.0), "head": like(want["head"], 0.0),
                "sum": sum_bound(raw) + rel(want["sum"], 1)}
    raise KeyError(f"no bound for {op}")


def windows_of(shape: tuple[int, ...], fh: int, fw: int, stride: int, pad: int) -> tuple[np.ndarray, int, int]:
    """For every (window, element) of im2col's col, the flat index of its pixel in the padded image
    (N x C x (H + 2·pad) x (W + 2·pad)): col = padded.reshape(-1)[index]."""
    n, c, h, w = shape
    hp, wp = h + 2 * pad, w + 2 * pad
    oh, ow = (hp - fh) // stride + 1, (wp - fw) // stride + 1
    nn, ii, jj, cc, yy, xx = np.ix_(range(n), range(oh), range(ow), range(c), range(fh), range(fw))
    index = ((nn * c + cc) * hp + ii * stride + yy) * wp + jj * stride + xx
    return index.reshape(n * oh * ow, c * fh * fw), oh, ow


def scatter_abs(col: np.ndarray, shape: tuple[int, ...], fh: int, fw: int, stride: int, pad: int) -> tuple[np.ndarray, int]:
    """col2im of |col| (each pixel's Σ|terms|) and the most terms any pixel sums."""
    n, c, h, w = shape
    index, _, _ = windows_of(shape, fh, fw, stride, pad)
    img = np.zeros(n * c * (h + 2 * pad) * (w + 2 * pad))
    with np.errstate(all="ignore"):
        np.add.at(img, index.reshape(-1), np.abs(col).reshape(-1))
    count = np.bincount(index.reshape(-1)).max()
    img = img.reshape(n, c, h + 2 * pad, w + 2 * pad)[:, :, pad:pad + h, pad:pad + w]
    return img, int(count)


def conv_bounds(op: str, args: Args, want: dict[str, Any]) -> dict[str, Any]:
    """im2col copies (exact); col2im sums each pixel's windows in any order, (n + 1)·eps·Σ|terms|;
    the convolution is im2col, Affine's three products and a col2im; pooling selects (exact)
    and col2im's its dout."""
    stride, pad = int(args.get("stride", 2 if op == "layer.pooling" else 1)), int(args.get("pad", 0))
    if op == "util.im2col":
        return {"col": like(want["col"], 0.0)}
    if op == "util.col2im":
        shape = tuple(int(v) for v in args["input_shape"])
        total, n = scatter_abs(arr(args["col"]), shape, int(args["filter_h"]), int(args["filter_w"]), stride, pad)
        return {"x": (n + 1) * (EPS * total + ETA)}
    if op == "layer.pooling":
        x, dout = arr(args["x"]), arr(args["dout"])
        ph, pw = int(args["pool_h"]), int(args["pool_w"])
        padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
        index, _, _ = windows_of(x.shape, ph, pw, stride, pad)
        rows = padded.reshape(-1)[index].reshape(-1, ph * pw)        # one row per (window, channel)
        dmax = np.zeros_like(rows)
        dmax[np.arange(len(rows)), np.argmax(rows, axis=1)] = np.abs(dout.transpose(0, 2, 3, 1).reshape(-1))
        total, n = scatter_abs(dmax.reshape(index.shape), x.shape, ph, pw, stride, pad)
        return {"out": like(want["out"], 0.0), "dx": (n + 1) * (EPS * total + ETA)}
    W, b, x, dout = (arr(args[k]) for k in ("W", "b", "x", "dout"))
    fn, _, fh, fw = W.shape
    padded = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    index, oh, ow = windows_of(x.shape, fh, fw, stride, pad)
    col, w_col = padded.reshape(-1)[index], W.reshape(fn, -1)
    d2 = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
    with np.errstate(all="ignore"):
        out = ((w_col.shape[1] + 2) * EPS * (mm(col, w_col.T) + np.abs(b)) + SUBNORMAL)
        dcol_error = mm_round(d2, w_col)
        through, n = scatter_abs(dcol_error, x.shape, fh, fw, stride, pad)
        own, _ = scatter_abs(mm(d2, w_col), x.shape, fh, fw, stride, pad)
        return {"out": out.reshape(x.shape[0], oh, ow, fn).transpose(0, 3, 1, 2),
                "dx": through + (n + 1) * (EPS * own + ETA),
                "dW": mm_round(d2.T, col).reshape(W.shape),
                "db": sum_bound(d2, axis=0)}


def normal_bound(want: Any, std: float | None) -> np.ndarray:
    """Box-Muller: sqrt(-2·log u1)·cos(2π·u2): log, sqrt, cos and sin each within an ulp or two
    of libm, so the value is within 8·eps of |value| plus 8·eps of the radius (<= 6.7 for
    u1 >= 2^-32: where cos is near 0 the absolute error is the radius's); times std."""
    w = fin(arr(want))
    if std is None:             # MultiLayerNet's std is not recomputed here: use |want| only
        return 8 * EPS * w * 8 + SUBNORMAL
    return 8 * EPS * (w + 6.7 * abs(std)) + SUBNORMAL


def load_raw_idx(path: str) -> np.ndarray:
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return np.zeros(1)
    if len(data) < 4 or data[2] not in IDX_CODES:
        return np.zeros(1)
    nd = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    count = int(np.prod(shape)) if shape else 1
    dt = np.dtype(IDX_CODES[data[2]])
    try:
        return np.frombuffer(data, dtype=dt, count=count, offset=4 + 4 * nd).astype(np.float64)
    except ValueError:
        return np.zeros(1)


def network_bounds(op: str, args: Args, want: dict[str, Any]) -> dict[str, Any]:
    two = op.startswith("two_layer_net.")
    params = args["params"]
    if two:
        layers = net_from(params, 2)
        net = Net(batch(args["x"]), layers)
    else:
        count = len(args["hidden_size_list"]) + 1
        net = Net(batch(args["x"]), net_from(params, count), act=args.get("activation", "relu"),
                  lam=float(args.get("weight_decay_lambda", 0.0)))
    net.forward()
    kind = op.split(".")[1]
    if kind == "predict":
        return {"y": net.da[-1].reshape(arr(want["y"]).shape)}
    if kind == "accuracy":
        # argmax per row: a row whose two largest scores are within 2·δ of each other may go
        # either way
        s, ds = net.a[-1], net.da[-1]
        top2 = np.sort(s, axis=1)[:, -2:] if s.shape[1] > 1 else None
        tie = top2 is not None and bool(np.any(top2[:, 1] - top2[:, 0] <= 2 * ds.max(axis=1)))
        return {"accuracy": np.inf if tie else 0.0}
    lb = net.loss_bound(args["t"])
    if kind == "loss":
        return {"loss": lb + rel(want["loss"], 2)}
    if kind == "gradient":
        b = net.backward()
        return {k: v + rel(want[k], 2) for k, v in b.items()}
    return {k: numgrad_bound(lb, want[k]) for k in want}


def batch_norm_bounds(args: Args, want: dict[str, Any]) -> dict[str, Any]:
    """BatchNorm, column by column (first-order):
    mu = mean(x): δmu = (N+2)·eps·mean|x|; xc = x - mu: δxc = δmu + eps·|xc| — the
    cancellation when |mu| >> std is the problem's conditioning; var = mean(xc²):
    δvar = 2·mean(|xc|·δxc) + (N+3)·eps·var; std = sqrt(var + 1e-6):
    δstd = δvar / (2·std) + eps·std; xn = xc / std: δxn = δxc / std + |xn|·δstd / std + eps·|xn|.
    out = gamma·xn + beta: |gamma|·δxn + 2·eps·(|gamma·xn| + |beta|). The backward sums of N
    terms (dbeta, dgamma, dstd, dmu) each add (N+2)·eps·Σ|terms| and carry δxn, δxc, δstd
    through the book's formulas term by term (bounded below by absolute values)."""
    x0 = arr(args["x"])
    n = x0.shape[0]
    x = x0.reshape(n, -1)
    d = x.shape[1]
    gamma, beta = arr(args["gamma"]), arr(args["beta"])
    dout = arr(args["dout"]).reshape(n, d)
    train = args.get("train_flg", True)
    m = float(args.get("momentum", 0.9))
    rm = arr(args["running_mean"]) if args.get("running_mean") is not None else np.zeros(d)
    rv = arr(args["running_var"]) if args.get("running_var") is not None else np.zeros(d)
    k = (n + 4) * EPS
    with np.errstate(all="ignore"):
        if train:
            mu = x.mean(axis=0)
            dmu = k * np.abs(x).mean(axis=0)
            xc = x - mu
            dxc = dmu + EPS * np.abs(xc)
            var = (xc ** 2).mean(axis=0)
            # second order too: where xc is 0 (a constant column) var's error is mean(δxc²)
            dvar = 2 * (np.abs(xc) * dxc).mean(axis=0) + (dxc * dxc).mean(axis=0) + k * var
            std = np.sqrt(var + 1e-6)
            dstd = dvar / (2 * std) + EPS * std
            drm = (1 - m) * dmu + 2 * EPS * (np.abs(m * rm) + np.abs((1 - m) * mu))
            drv = (1 - m) * dvar + 2 * EPS * (np.abs(m * rv) + np.abs((1 - m) * var))
        else:
            mu, dmu = rm, np.zeros(d)
            xc = x - rm
            dxc = EPS * np.abs(xc)
            std = np.sqrt(rv + 1e-6)
            dstd = EPS * std
            drm = drv = np.zeros(d)
        xn = xc / std
        dxn = dxc / std + np.abs(xn) * dstd / std + EPS * np.abs(xn)
        out_b = np.abs(gamma) * dxn + 2 * EPS * (np.abs(gamma * xn) + np.abs(beta))
        dbeta_b = (n + 2) * EPS * np.abs(dout).sum(axis=0)
        dgamma_b = (np.abs(dout) * dxn).sum(axis=0) + (n + 3) * EPS * np.abs(xn * dout).sum(axis=0)
        g = gamma * dout                      # dxn of the book's backward
        ag = np.abs(g)
        if train:
            # dxc = g/std + (2/N)·xc·dvar', dvar' = 0.5·dstd'/std, dstd' = -Σ(g·xc)/std²;
            # dx = dxc - mean(dxc): every term's size, times its relative error
            s1 = np.abs(g * xc).sum(axis=0)
            t_dstd = s1 / std ** 2
            d_dstd = (n + 4) * EPS * t_dstd + (ag * dxc).sum(axis=0) / std ** 2 + 2 * t_dstd * dstd / std
            t_dvar = 0.5 * t_dstd / std
            d_dvar = 0.5 * d_dstd / std + t_dvar * dstd / std + 2 * EPS * t_dvar
            term1 = ag / std
            d1 = term1 * (dstd / std + 2 * EPS)
            term2 = (2 / n) * np.abs(xc) * t_dvar
            d2 = (2 / n) * (dxc * t_dvar + np.abs(xc) * d_dvar) + 3 * EPS * term2
            dxc_abs = term1 + term2
            ddxc = d1 + d2 + EPS * dxc_abs
            dx_b = ddxc + ddxc.mean(axis=0) + (n + 3) * EPS * dxc_abs.mean(axis=0) + EPS * dxc_abs
        else:
            dx_b = 3 * EPS * ag / std
    shape = x0.shape
    return {"out": out_b.reshape(shape) + rel(want["out"], 1),
            "dx": dx_b.reshape(shape) + rel(want["dx"], 1),
            "dgamma": dgamma_b + rel(want["dgamma"], 1), "dbeta": dbeta_b + rel(want["dbeta"], 1),
            "running_mean": drm + rel(want["running_mean"], 1),
            "running_var": drv + rel(want["running_var"], 1)}


OPT_DEFAULTS = {"sgd": {"lr": 0.01}, "momentum": {"lr": 0.01, "momentum": 0.9},
                "nesterov": {"lr": 0.01, "momentum": 0.9}, "adagrad": {"lr": 0.01},
                "rmsprop": {"lr": 0.01, "decay_rate": 0.99},
                "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}}


class Stepper:
    """One optimizer on one parameter: the update's value and a bound of its error, given the
    gradient g and a bound dg of the gradient's own error (0 for optimizer.run, whose grads are
    given). First order: each state's error is carried (dv, dh, dm), every operation adds eps
    times its result; sqrt moves by min(dh / (2·sqrt h), sqrt dh)."""

    def __init__(self, name: str, hyp: dict[str, float], shape: tuple[int, ...]) -> None:
        self.name, self.hyp, self.k = name, hyp, 0
        self.s1, self.d1 = np.zeros(shape), np.zeros(shape)
        self.s2, self.d2 = np.zeros(shape), np.zeros(shape)

    @staticmethod
    def _droot(h: np.ndarray, dh: np.ndarray) -> np.ndarray:
        root = np.sqrt(h)
        return np.fmin(np.where(root > 0, dh / (2 * np.maximum(root, 1e-300)), np.inf), np.sqrt(dh))

    def step(self, g: np.ndarray, dg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(step, bound of the step's error); the parameter becomes p - step."""
        name, hyp, lr = self.name, self.hyp, self.hyp["lr"]
        self.k += 1
        with np.errstate(all="ignore"):
            if name == "sgd":
                step = lr * g
                return step, lr * dg + EPS * np.abs(step)
            if name in ("momentum", "nesterov"):
                mo = hyp["momentum"]
                self.s1 = mo * self.s1 - lr * g
                self.d1 = mo * self.d1 + lr * dg + 3 * EPS * (np.abs(mo * self.s1) + np.abs(lr * g))
                if name == "momentum":
                    return -self.s1, self.d1
                step = -mo * mo * self.s1 + (1 + mo) * lr * g
                return step, mo * mo * self.d1 + (1 + mo) * lr * dg \
                    + 4 * EPS * (np.abs(mo * mo * self.s1) + np.abs((1 + mo) * lr * g))
            if name in ("adagrad", "rmsprop"):
                dgg = 2 * np.abs(g) * dg + dg * dg
                if name == "adagrad":
                    self.s1 = self.s1 + g * g
                    self.d1 = self.d1 + dgg + 2 * EPS * self.s1
                else:
                    dr = hyp["decay_rate"]
                    self.s1 = dr * self.s1 + (1 - dr) * g * g
                    self.d1 = dr * self.d1 + (1 - dr) * dgg \
                        + 4 * EPS * (dr * self.s1 + np.abs((1 - dr) * g * g))
                den = np.sqrt(self.s1) + 1e-7
                step = lr * g / den
                return step, lr * dg / den + np.abs(step) * (self._droot(self.s1, self.d1) / den
                                                             + 4 * EPS)
            b1, b2 = hyp["beta1"], hyp["beta2"]
            k = self.k
            c1, c2 = 1 - b1 ** k, 1 - b2 ** k
            lr_t = lr * math.sqrt(c2) / c1
            # beta^k by pow or by k products: (k + 3)·eps relative, made larger by the
            # cancellation in 1 - beta^k
            r_lrt = 0.5 * (k + 3) * EPS * b2 ** k / c2 + (k + 3) * EPS * b1 ** k / c1 + 4 * EPS
            self.s1 = self.s1 + (1 - b1) * (g - self.s1)
            self.d1 = b1 * self.d1 + (1 - b1) * dg + 4 * EPS * (np.abs(self.s1) + np.abs(g))
            self.s2 = self.s2 + (1 - b2) * (g * g - self.s2)
            self.d2 = b2 * self.d2 + (1 - b2) * (2 * np.abs(g) * dg + dg * dg) \
                + 4 * EPS * (self.s2 + g * g)
            den = np.sqrt(self.s2) + 1e-7
            step = lr_t * self.s1 / den
            return step, np.abs(step) * (r_lrt + 4 * EPS + self._droot(self.s2, self.d2) / den) \
                + lr_t * self.d1 / den


def optimizer_bounds(args: Args) -> dict[str, np.ndarray]:
    """The optimizers are elementwise IEEE operations in the pinned order, so the only
    inexact step is Adam's beta^iter (pow or repeated products: (k+2)·eps relative) and the
    cancellation in 1 - beta^iter, which turns it into (k+2)·eps·beta^k / (1 - beta^k).
    Each quantity's absolute error is carried along (v, h, m, the step) and summed into p;
    every operation adds eps times its result."""
    name = args["name"]
    hyp = dict(OPT_DEFAULTS[name])
    hyp.update({k: float(v) for k, v in args.get("hyper", {}).items() if k in hyp})
    out = {}
    for key, p0 in args["params"].items():
        p = arr(p0).copy()
        dp = np.zeros_like(p)
        stepper = Stepper(name, hyp, p.shape)
        with np.errstate(all="ignore"):
            for grads in args["grads_seq"]:
                step, dstep = stepper.step(arr(grads[key]), np.zeros_like(p))
                p = p - step
                dp = dp + fin(dstep) + EPS * fin(p)
        out[key] = dp + SUBNORMAL
    return out


# ---------------------------------------------------------------------------------------------
# comparison
# ---------------------------------------------------------------------------------------------

@dataclass
class Verdict:
    agree: bool
    scaled: float          # the worst |got - want| / bound over compared elements
    why: str = ""
    skipped: int = 0       # elements with an infinite bound (ill-conditioned here)


def _walk(got: Any, want: Any, bound: Any, key: str, v: Verdict) -> None:
    from .jsonio import decode_numbers
    if isinstance(want, dict):
        if not isinstance(got, dict):
            v.agree, v.why = False, f"{key}: not an object"
            return
        for k, w in want.items():
            if k not in got:
                v.agree, v.why = False, f"{key}{k}: missing"
                return
            _walk(got[k], w, bound[k] if isinstance(bound, dict) else bound, f"{key}{k}.", v)
        return
    from .compare import shape_of
    g_, w_ = decode_numbers(got), decode_numbers(want)
    if shape_of(g_) != shape_of(w_):
        v.agree, v.why = False, f"{key[:-1]}: shape {shape_of(g_)} but reference {shape_of(w_)}"
        return
    try:
        g = np.asarray(g_, dtype=np.float64)
    except (TypeError, ValueError):
        v.agree, v.why = False, f"{key[:-1]}: not numbers"
        return
    w = np.asarray(w_, dtype=np.float64)
    b = np.broadcast_to(np.asarray(bound, dtype=np.float64), w.shape)
    b = np.where(np.isnan(b), 0.0, b)
    skip = np.isinf(b)
    v.skipped += int(skip.sum())
    nonfin = ~np.isfinite(w) & ~skip
    bad_nf = nonfin & ~((np.isnan(w) & np.isnan(g)) | (w == g))
    fin_ = np.isfinite(w) & ~skip
    with np.errstate(all="ignore"):
        diff = np.abs(g - w)
        scaled = np.where(fin_ & (diff > 0), diff / np.where(b > 0, b, 1.0), 0.0)
        scaled = np.where(fin_ & (diff > 0) & (b == 0), np.inf, scaled)
        scaled = np.where(fin_ & ~np.isfinite(g), np.inf, scaled)
    worst = float(scaled.max()) if scaled.size else 0.0
    if np.any(bad_nf):
        i = tuple(int(j) for j in np.argwhere(bad_nf)[0])
        v.agree, v.why = False, f"{key[:-1]}{list(i)}: got {float(g[i])!r}, reference {float(w[i])!r}"
        return
    if worst > 1.0:
        i = np.unravel_index(int(np.argmax(scaled)), scaled.shape)
        v.agree = False
        v.why = (f"{key[:-1]}{list(int(j) for j in i)}: got {float(g[i])!r}, reference {float(w[i])!r}, "
                 f"|d| = {abs(g[i] - w[i]):.3g} > bound {b[i]:.3g}")
    if math.isfinite(worst):
        v.scaled = max(v.scaled, worst)
    else:
        v.scaled = math.inf


def with_two_layer_net_bounds(args: Args, want: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The Trainer of a TwoLayerNet draws what train.two_layer_net draws (W1, W2, then a batch a step)
    and records the same losses: its loss list and parameters also get that op's analytic bound
    (train_bounds), which follows every rounding of every step; each number takes the larger."""
    net = args["network"]
    name = str(args.get("optimizer", "sgd")).lower()
    hyper = dict(args.get("optimizer_param", {"lr": 0.01}))
    batch = int(args.get("mini_batch_size", 100))
    steps = int(int(args.get("epochs", 20)) * max(len(args["x_train"]) / batch, 1))
    same = {"x_train": args["x_train"], "t_train": args["t_train"], "hidden_size": net["hidden_size"],
            "output_size": net["output_size"], "weight_init_std": net.get("weight_init_std", 0.01),
            "batch_size": batch, "iters": steps, "seed": args.get("seed", 0),
            "lr": hyper.get("lr", OPT_DEFAULTS[name]["lr"]), "optimizer": {"name": name, "hyper": hyper}}
    a = train_bounds(same, {"loss_history": want["train_loss_list"], "params": want["params"]})
    return {**b, "train_loss_list": np.maximum(b["train_loss_list"], a["loss_history"]),
            "params": {k: np.maximum(v, a["params"][k]) for k, v in b["params"].items()}}


def train_bounds(args: Args, want: dict[str, Any]) -> dict[str, Any]:
    """Training, iteration by iteration, as README section 4 pins it (one MRG32k3a: W1, W2, then
    a batch per iteration): the harness follows the same trajectory and carries a bound of each
    parameter's error. An iteration's gradient bound is the backprop bound (Net.backward) with
    the parameters' own errors fed in (so earlier rounding is amplified exactly as the dynamics
    amplify it, to first order); the optimizer turns it into a bound of the step (Stepper); the
    loss after the update gets the loss bound with the updated parameters' errors. A relu kink
    (a hidden pre-activation closer to 0 than its bound) makes the rest of the run not
    comparable (+inf from that iteration on)."""
    from .mrg32k3a import MRG32k3a
    x = arr(args["x_train"])
    t = arr(args["t_train"]).astype(int)
    n, d = x.shape
    h, c = int(args["hidden_size"]), int(args["output_size"])
    std = float(args.get("weight_init_std", 0.01))
    batch_size, iters = int(args.get("batch_size", 100)), int(args["iters"])
    opt = args.get("optimizer") or {"name": "sgd"}
    name = opt.get("name", "sgd")
    hyp = dict(OPT_DEFAULTS[name])
    hyp["lr"] = float(args.get("lr", 0.1))
    hyp.update({k: float(v) for k, v in (opt.get("hyper") or {}).items() if k in hyp})
    g = MRG32k3a(int(args.get("seed", 0)))
    W1 = std * np.array(g.normal(d * h)).reshape(d, h)
    W2 = std * np.array(g.normal(h * c)).reshape(h, c)
    params = {"W1": W1, "b1": np.zeros(h), "W2": W2, "b2": np.zeros(c)}
    dparams = {"W1": normal_bound(W1, std), "b1": np.zeros(h), "W2": normal_bound(W2, std),
               "b2": np.zeros(c)}
    steppers = {k: Stepper(name, hyp, v.shape) for k, v in params.items()}
    losses = np.full(iters, np.inf)
    broken = False
    for i in range(iters):
        idx = np.array(g.choice(n, batch_size))
        if broken:
            continue
        xb, tb = x[idx], t[idx]
        layers = [(params["W1"], params["b1"]), (params["W2"], params["b2"])]
        dl = [(dparams["W1"], dparams["b1"]), (dparams["W2"], dparams["b2"])]
        net = Net(xb, layers, dlayers=dl)
        net.forward()
        net.loss_bound(list(tb))
        gb = net.backward()
        if net.kink:
            broken = True
            continue
        with np.errstate(all="ignore"):
            for k in params:
                step, dstep = steppers[k].step(net.grads[k], gb[k])
                params[k] = params[k] - step
                dparams[k] = dparams[k] + fin(dstep) + EPS * fin(params[k])
        after = Net(xb, [(params["W1"], params["b1"]), (params["W2"], params["b2"])],
                    dlayers=[(dparams["W1"], dparams["b1"]), (dparams["W2"], dparams["b2"])])
        after.forward()
        lb = after.loss_bound(list(tb))
        if after.kink:
            # the loss is continuous at a kink (relu is), so this iteration's loss is still
            # comparable; the next gradient is not
            losses[i] = lb
            broken = True
            continue
        losses[i] = lb
    if broken:
        pb = {k: np.full(v.shape, np.inf) for k, v in params.items()}
    else:
        pb = {k: v + rel(want["params"][k], 2) for k, v in dparams.items()}
    return {"loss_history": losses + rel(want["loss_history"], 2), "params": pb}


def judge(ref: Answer, got: Answer, b: dict[str, Any] | None,
          any_error_type: bool = False) -> Verdict:
    """One port's answer against the reference's, under the bounds b of the example."""
    if got.kind not in ("ok", "error"):
        return Verdict(False, math.inf, f"{got.kind}: {got.detail.splitlines()[0] if got.detail else ''}")
    if ref.kind == "error" or got.kind == "error":
        if ref.kind == got.kind == "error" and (ref.error_type == got.error_type or (
                any_error_type and got.error_type in ERROR_TYPES)):
            return Verdict(True, 0.0)
        r = f"error {ref.error_type}" if ref.kind == "error" else "ok"
        g = f"error {got.error_type}: {got.body.get('message', '')}" if got.kind == "error" else "ok"
        return Verdict(False, math.inf, f"reference {r}, port {g}")
    assert b is not None
    v = Verdict(True, 0.0)
    _walk(got.body, {k: ref.body[k] for k in b}, b, "", v)
    return v


