"""The reference runner: answers JSON Lines requests on stdin (shared_tests/README.md).

    python -m dlscratch.runner < requests.jsonl
"""

from __future__ import annotations

import math
import sys
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

from . import functions as F
from . import gates, graph
from .datasets import IdxError, load_idx
from .gradient import function_1, function_2, gradient_descent, numerical_diff, numerical_gradient
from .layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from .networks import MultiLayerNet, SimpleNet, TwoLayerNet, forward_trace, init_network
from .optimizers import OPTIMIZERS, make_optimizer
from .protocol import (
    MAX_ELEMENTS,
    MAX_NESTING,
    Args,
    BadArgs,
    ProtocolError,
    RequestIdError,
    ShapeError,
    UnknownOp,
    ValueError_,
    check_elements,
    decode_line,
    encode_answer,
    shape_str,
    target,
)
from .rng import MRG32k3a
from .train import train_two_layer_net

Op = Callable[[Args], dict[str, Any]]
OPS: dict[str, Op] = {}


def op(*names: str) -> Callable[[Op], Op]:
    def register(fn: Op) -> Op:
        for name in names:
            OPS[name] = fn
        return fn

    return register


def same_shape(**arrays: np.ndarray) -> None:
    items = list(arrays.items())
    name0, a0 = items[0]
    for name, a in items[1:]:
        if np.shape(a) != np.shape(a0):
            raise ShapeError(f"{name} is {shape_str(np.shape(a))} but {name0} is {shape_str(np.shape(a0))}")


# --- chapter 2 -------------------------------------------------------------------------------

GATES = {"gate.and": gates.AND, "gate.nand": gates.NAND, "gate.or": gates.OR, "gate.xor": gates.XOR}


def gate_op(name: str) -> Op:
    def run(a: Args) -> dict[str, Any]:
        return {"y": GATES[name](a.number("x1"), a.number("x2"))}

    return run


for _name in GATES:
    OPS[_name] = gate_op(_name)


# --- chapter 3: functions --------------------------------------------------------------------

ELEMENTWISE = {
    "fn.identity": F.identity_function,
    "fn.step": F.step_function,
    "fn.sigmoid": F.sigmoid,
    "fn.sigmoid_grad": F.sigmoid_grad,
    "fn.relu": F.relu,
    "fn.relu_grad": F.relu_grad,
}


def elementwise_op(name: str) -> Op:
    def run(a: Args) -> dict[str, Any]:
        return {"y": ELEMENTWISE[name](a.array("x"))}

    return run


for _name in ELEMENTWISE:
    OPS[_name] = elementwise_op(_name)


@op("fn.softmax")
def _softmax(a: Args) -> dict[str, Any]:
    return {"y": F.softmax(a.array("x", ndims=(1, 2)))}


@op("loss.sum_squared_error")
def _sse(a: Args) -> dict[str, Any]:
    y, t = a.array("y"), a.array("t")
    same_shape(y=y, t=t)
    return {"loss": F.sum_squared_error(y, t)}


@op("loss.cross_entropy_error")
def _cee(a: Args) -> dict[str, Any]:
    y = a.array("y", ndims=(1, 2))
    t = target(a.get("t"), y.shape)
    return {"loss": F.cross_entropy_error(y, t)}


# --- chapter 4: numerical gradients ----------------------------------------------------------

NAMED_FUNCTIONS = {"function_1": function_1, "function_2": function_2}


@op("grad.numerical_diff")
def _numerical_diff(a: Args) -> dict[str, Any]:
    f = NAMED_FUNCTIONS[a.choice("f", NAMED_FUNCTIONS)]
    return {"d": float(numerical_diff(f, np.float64(a.number("x"))))}


@op("grad.numerical_gradient")
def _numerical_gradient(a: Args) -> dict[str, Any]:
    f = NAMED_FUNCTIONS[a.choice("f", NAMED_FUNCTIONS)]
    x = np.array(a.array("x", ndims=(1, 2)), dtype=np.float64)
    return {"grad": numerical_gradient(lambda v: float(np.sum(f(v))), x)}


@op("grad.gradient_descent")
def _gradient_descent(a: Args) -> dict[str, Any]:
    f = NAMED_FUNCTIONS[a.choice("f", NAMED_FUNCTIONS)]
    x = a.array("init_x", ndims=(1, 2))
    lr = a.number("lr", 0.01)
    steps = a.integer("step_num", 100)
    check_elements(steps * x.size, "step_num x init_x")
    return {"x": gradient_descent(lambda v: float(np.sum(f(v))), x, lr=lr, step_num=steps)}


def simple_net_inputs(a: Args, with_t: bool) -> tuple[SimpleNet, np.ndarray, Any]:
    W = np.ascontiguousarray(a.array("W", ndims=(2,)))
    x = a.array("x", ndims=(1, 2))
    if x.shape[-1] != W.shape[0]:
        raise ShapeError(f"W is {shape_str(W.shape)} but x has {x.shape[-1]} columns")
    net = SimpleNet(W)
    t = target(a.get("t"), x.shape[:-1] + W.shape[1:]) if with_t else None
    return net, x, t


@op("simple_net.predict")
def _simple_predict(a: Args) -> dict[str, Any]:
    net, x, _ = simple_net_inputs(a, with_t=False)
    return {"p": net.predict(x)}


@op("simple_net.loss")
def _simple_loss(a: Args) -> dict[str, Any]:
    net, x, t = simple_net_inputs(a, with_t=True)
    return {"loss": net.loss(x, t)}


@op("simple_net.numerical_gradient")
def _simple_grad(a: Args) -> dict[str, Any]:
    net, x, t = simple_net_inputs(a, with_t=True)
    return {"dW": net.numerical_gradient(x, t)}


# --- chapter 5: layers -----------------------------------------------------------------------


def scalar_or_array(a: Args, name: str) -> float | np.ndarray:
    """A number or an array, as given."""
    return a.array(name) if isinstance(a.get(name), list) else a.number(name)


def simple_layer_op(make: Callable[[], graph.MulLayer | graph.AddLayer]) -> Op:
    def run(a: Args) -> dict[str, Any]:
        x, y, dout = scalar_or_array(a, "x"), scalar_or_array(a, "y"), scalar_or_array(a, "dout")
        same_shape(x=x, y=y, dout=dout)
        layer = make()
        out = layer.forward(x, y)
        dx, dy = layer.backward(dout)
        return {"out": out, "dx": dx, "dy": dy}

    return run


OPS["layer.mul"] = simple_layer_op(graph.MulLayer)
OPS["layer.add"] = simple_layer_op(graph.AddLayer)


@op("graph.buy_apple")
def _buy_apple(a: Args) -> dict[str, Any]:
    r = graph.buy_apple(a.number("apple"), a.number("apple_num"), a.number("tax"), a.number("dprice"))
    return {"price": r.price, "dapple": r.dapple, "dapple_num": r.dapple_num, "dtax": r.dtax}


@op("graph.buy_apple_orange")
def _buy_apple_orange(a: Args) -> dict[str, Any]:
    r = graph.buy_apple_orange(
        a.number("apple"), a.number("apple_num"), a.number("orange"), a.number("orange_num"), a.number("tax"), a.number("dprice")
    )
    return {
        "price": r.price,
        "dapple": r.dapple,
        "dapple_num": r.dapple_num,
        "dorange": r.dorange,
        "dorange_num": r.dorange_num,
        "dtax": r.dtax,
    }


def activation_layer_op(make: Callable[[], Relu | Sigmoid]) -> Op:
    def run(a: Args) -> dict[str, Any]:
        x, dout = a.array("x"), a.array("dout")
        same_shape(x=x, dout=dout)
        layer = make()
        out = layer.forward(x)
        return {"out": out, "dx": layer.backward(dout)}

    return run


OPS["layer.relu"] = activation_layer_op(Relu)
OPS["layer.sigmoid"] = activation_layer_op(Sigmoid)


@op("layer.affine")
def _affine(a: Args) -> dict[str, Any]:
    W, b, x = a.array("W", ndims=(2,)), a.array("b", ndims=(1,)), a.array("x")
    d, m = W.shape
    if b.shape != (m,):
        raise ShapeError(f"W is {shape_str(W.shape)} so b must have {m} elements, but it is {shape_str(b.shape)}")
    if x.ndim == 0:
        raise ShapeError(f"x must be a sample (1-D) or a batch, not a scalar; W is {shape_str(W.shape)}")
    features = x.size if x.ndim == 1 else x.size // x.shape[0]
    if features != d:
        raise ShapeError(f"W is {shape_str(W.shape)} but x ({shape_str(x.shape)}) has {features} features per sample")
    layer = Affine(W, b)
    out = layer.forward(x)
    dout = a.array("dout")
    if dout.shape != out.shape:
        raise ShapeError(f"dout is {shape_str(dout.shape)} but out is {shape_str(out.shape)}")
    dx = layer.backward(dout)
    return {"out": out, "dx": dx, "dW": layer.dW, "db": layer.db}


@op("layer.softmax_with_loss")
def _softmax_with_loss(a: Args) -> dict[str, Any]:
    x = a.array("x", ndims=(1, 2))
    t = target(a.get("t"), x.shape)
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    return {"loss": loss, "y": layer.y, "dx": layer.backward(1)}


@op("layer.dropout")
def _dropout(a: Args) -> dict[str, Any]:
    x = a.array("x")
    ratio = a.number("dropout_ratio", 0.5)
    if not 0 <= ratio < 1:
        raise ValueError_(f"dropout_ratio = {ratio} is outside [0, 1)")
    train_flg = a.boolean("train_flg", True)
    layer = Dropout(ratio, MRG32k3a(a.seed("seed", 0)))
    dout = a.array("dout")
    same_shape(x=x, dout=dout)
    out = layer.forward(x, train_flg)
    return {"out": out, "dx": layer.backward(dout)}


@op("layer.batch_norm")
def _batch_norm(a: Args) -> dict[str, Any]:
    x = a.array("x")
    if x.ndim < 2:
        raise ShapeError(f"x must have at least 2 dimensions (a batch), but it is {shape_str(x.shape)}")
    d = x.size // x.shape[0]
    vecs = {}
    for name in ("gamma", "beta", "running_mean", "running_var"):
        if name.startswith("running") and not a.has(name):
            vecs[name] = None
            continue
        v = a.array(name, ndims=(1,))
        if v.shape != (d,):
            raise ShapeError(f"x has {d} features per sample but {name} is {shape_str(v.shape)}")
        vecs[name] = v.copy()
    momentum = a.number("momentum", 0.9)
    if not 0 <= momentum <= 1:
        raise ValueError_(f"momentum = {momentum} is outside [0, 1]")
    train_flg = a.boolean("train_flg", True)
    dout = a.array("dout")
    same_shape(x=x, dout=dout)
    layer = BatchNormalization(vecs["gamma"], vecs["beta"], momentum, vecs["running_mean"], vecs["running_var"])
    if layer.running_mean is None:
        layer.running_mean = np.zeros(d)
    if layer.running_var is None:
        layer.running_var = np.zeros(d)
    out = layer.forward(x, train_flg)
    dx = layer.backward(dout)
    return {
        "out": out,
        "dx": dx,
        "dgamma": layer.dgamma,
        "dbeta": layer.dbeta,
        "running_mean": layer.running_mean,
        "running_var": layer.running_var,
    }


# --- networks --------------------------------------------------------------------------------


@op("net3.init")
def _net3_init(a: Args) -> dict[str, Any]:
    return dict(init_network())


NET3_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")


@op("net3.forward")
def _net3_forward(a: Args) -> dict[str, Any]:
    raw = a.obj("network")
    arrays = {}
    for key in NET3_KEYS:
        if key not in raw or raw[key] is None:
            raise ShapeError(f"network has no {key}")
        arrays[key] = a.array(f"network.{key}", ndims=(2,) if key[0] == "W" else (1,), value=raw[key])
    x = a.array("x", ndims=(1, 2))
    width = x.shape[-1]
    for i in (1, 2, 3):
        W, b = arrays[f"W{i}"], arrays[f"b{i}"]
        if W.shape[0] != width:
            raise ShapeError(f"W{i} is {shape_str(W.shape)} but its input has {width} values")
        if b.shape != (W.shape[1],):
            raise ShapeError(f"b{i} is {shape_str(b.shape)} but W{i} is {shape_str(W.shape)}")
        width = W.shape[1]
    output = a.choice("output", ("identity", "softmax"), "identity")
    return forward_trace(arrays, x, output)


def two_layer_params(a: Args) -> dict[str, np.ndarray]:
    raw = a.obj("params")
    for key in ("W1", "W2"):
        if key not in raw or raw[key] is None:
            raise ShapeError(f"params has no {key}")
    W1 = a.array("params.W1", ndims=(2,), value=raw["W1"])
    W2 = a.array("params.W2", ndims=(2,), value=raw["W2"])
    d, h = W1.shape
    h2, c = W2.shape
    if h2 != h:
        raise ShapeError(f"W1 is {shape_str(W1.shape)} but W2 is {shape_str(W2.shape)}")
    return a.params("params", {"W1": (d, h), "b1": (h,), "W2": (h, c), "b2": (c,)}, parsed={"W1": W1, "W2": W2})


def batch_x(a: Args, d: int, ndims: tuple[int, ...] = (1, 2)) -> np.ndarray:
    x = a.array("x", ndims=ndims)
    if x.shape[-1] != d:
        raise ShapeError(f"W1 is for {d} inputs but x has {x.shape[-1]} columns")
    return x


@op("two_layer_net.init")
def _tln_init(a: Args) -> dict[str, Any]:
    sizes = [a.integer(k) for k in ("input_size", "hidden_size", "output_size")]
    check_elements(sizes[0] * sizes[1] + sizes[1] * sizes[2], "the network")
    std = a.number("weight_init_std", 0.01)
    net = TwoLayerNet(*sizes, weight_init_std=std, rng=MRG32k3a(a.seed("seed", 0)))
    return dict(net.params)


def tln_setup(a: Args, with_t: bool, ndims: tuple[int, ...] = (1, 2)) -> tuple[TwoLayerNet, np.ndarray, Any]:
    params = two_layer_params(a)
    net = TwoLayerNet.from_params(params)
    x = batch_x(a, params["W1"].shape[0], ndims)
    if not with_t:
        return net, x, None
    scores_shape = (x.shape[0], params["W2"].shape[1]) if x.ndim == 2 else (params["W2"].shape[1],)
    return net, x, target(a.get("t"), scores_shape)


@op("two_layer_net.predict")
def _tln_predict(a: Args) -> dict[str, Any]:
    net, x, _ = tln_setup(a, with_t=False)
    return {"y": net.predict(x)}


@op("two_layer_net.loss")
def _tln_loss(a: Args) -> dict[str, Any]:
    net, x, t = tln_setup(a, with_t=True)
    return {"loss": net.loss(x, t)}


@op("two_layer_net.accuracy")
def _tln_accuracy(a: Args) -> dict[str, Any]:
    net, x, t = tln_setup(a, with_t=True, ndims=(2,))
    return {"accuracy": net.accuracy(x, t)}


@op("two_layer_net.gradient")
def _tln_gradient(a: Args) -> dict[str, Any]:
    net, x, t = tln_setup(a, with_t=True)
    return net.gradient(x, t)


@op("two_layer_net.numerical_gradient")
def _tln_numerical_gradient(a: Args) -> dict[str, Any]:
    net, x, t = tln_setup(a, with_t=True)
    return net.numerical_gradient(x, t)


def weight_init_std(a: Args) -> float | str:
    raw = a.get("weight_init_std", "relu")
    if isinstance(raw, str):
        return a.choice("weight_init_std", ("relu", "he", "sigmoid", "xavier"), "relu", fold_case=True)
    return a.number("weight_init_std")


def mln_structure(a: Args) -> dict[str, Any]:
    input_size = a.integer("input_size")
    hidden = a.int_list("hidden_size_list")
    output_size = a.integer("output_size")
    sizes = [input_size, *hidden, output_size]
    check_elements(sum(sizes[i] * sizes[i + 1] for i in range(len(sizes) - 1)), "the network")
    return {
        "input_size": input_size,
        "hidden_size_list": hidden,
        "output_size": output_size,
        "activation": a.choice("activation", ("relu", "sigmoid"), "relu"),
        "weight_init_std": weight_init_std(a),
    }


@op("multi_layer_net.init")
def _mln_init(a: Args) -> dict[str, Any]:
    structure = mln_structure(a)
    return dict(MultiLayerNet(**structure, rng=MRG32k3a(a.seed("seed", 0))).params)


def mln_setup(a: Args) -> tuple[MultiLayerNet, np.ndarray, Any]:
    structure = mln_structure(a)
    sizes = [structure["input_size"], *structure["hidden_size_list"], structure["output_size"]]
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(1, len(sizes)):
        shapes[f"W{i}"] = (sizes[i - 1], sizes[i])
        shapes[f"b{i}"] = (sizes[i],)
    params = a.params("params", shapes)
    lam = a.number("weight_decay_lambda", 0.0)
    net = MultiLayerNet(**structure, weight_decay_lambda=lam, params=params)
    x = a.array("x", ndims=(1, 2))
    if x.shape[-1] != sizes[0]:
        raise ShapeError(f"input_size is {sizes[0]} but x has {x.shape[-1]} columns")
    scores_shape = (x.shape[0], sizes[-1]) if x.ndim == 2 else (sizes[-1],)
    return net, x, target(a.get("t"), scores_shape)


@op("multi_layer_net.loss")
def _mln_loss(a: Args) -> dict[str, Any]:
    net, x, t = mln_setup(a)
    return {"loss": net.loss(x, t)}


@op("multi_layer_net.gradient")
def _mln_gradient(a: Args) -> dict[str, Any]:
    net, x, t = mln_setup(a)
    return net.gradient(x, t)


@op("multi_layer_net.numerical_gradient")
def _mln_numerical_gradient(a: Args) -> dict[str, Any]:
    net, x, t = mln_setup(a)
    return net.numerical_gradient(x, t)


# --- chapter 6: optimizers -------------------------------------------------------------------


def hyper_of(a: Args, name: str, default: Any = None) -> dict[str, float]:
    raw = a.obj(name, default if default is not None else {})
    out = {}
    for key, v in raw.items():
        out[key] = Args({f"{name}.{key}": v}).number(f"{name}.{key}")
    return out


@op("optimizer.run")
def _optimizer_run(a: Args) -> dict[str, Any]:
    name = a.choice("name", OPTIMIZERS, fold_case=True)
    hyper = hyper_of(a, "hyper")
    raw_params = a.obj("params")
    params = {key: np.array(a.array(f"params.{key}", value=v), dtype=np.float64) for key, v in raw_params.items()}
    seq = a.get("grads_seq")
    if not isinstance(seq, list):
        raise BadArgs("grads_seq must be a list of grads objects")
    grads_seq = []
    for i, grads_raw in enumerate(seq):
        if not isinstance(grads_raw, dict):
            raise BadArgs(f"grads_seq[{i}] must be an object")
        if set(grads_raw) != set(params):
            raise ShapeError(f"grads_seq[{i}] has keys {sorted(grads_raw)} but params has {sorted(params)}")
        grads = {}
        for key, v in grads_raw.items():
            g = a.array(f"grads_seq[{i}].{key}", value=v)
            if g.shape != params[key].shape:
                raise ShapeError(f"grads_seq[{i}].{key} is {shape_str(g.shape)} but params.{key} is {shape_str(params[key].shape)}")
            grads[key] = g
        grads_seq.append(grads)
    if "momentum" in hyper and name in ("momentum", "nesterov") and not 0 <= hyper["momentum"] <= 1:
        raise ValueError_(f"momentum = {hyper['momentum']} is outside [0, 1]")
    opt = make_optimizer(name, hyper)
    for grads in grads_seq:
        opt.update(params, grads)
    return {"params": params}


# --- the generator ---------------------------------------------------------------------------


@op("rng.uniform")
def _rng_uniform(a: Args) -> dict[str, Any]:
    return {"x": MRG32k3a(a.seed()).uniform(a.integer("n"))}


@op("rng.normal")
def _rng_normal(a: Args) -> dict[str, Any]:
    return {"x": MRG32k3a(a.seed()).normal(a.integer("n"))}


@op("rng.permutation")
def _rng_permutation(a: Args) -> dict[str, Any]:
    return {"p": MRG32k3a(a.seed()).permutation(a.integer("n"))}


@op("rng.choice")
def _rng_choice(a: Args) -> dict[str, Any]:
    seed, n, size = a.seed(), a.integer("n"), a.integer("size")
    return {"idx": MRG32k3a(seed).choice(n, size)}


# --- training and data -----------------------------------------------------------------------


@op("train.two_layer_net")
def _train(a: Args) -> dict[str, Any]:
    x = np.ascontiguousarray(a.array("x_train", ndims=(2,)))
    n, d = x.shape
    output = a.integer("output_size")
    t = target(a.get("t_train"), (n, output), name="t_train")
    if t.ndim != 1:
        raise ShapeError("t_train must be labels, one integer per row of x_train")
    hidden = a.integer("hidden_size")
    batch = a.integer("batch_size", 100)
    iters = a.integer("iters")
    check_elements(d * hidden + hidden * output, "the network")
    check_elements(iters * batch, "iters x batch_size")
    opt_raw = a.obj("optimizer", {"name": "sgd"})
    opt_args = Args(opt_raw)
    name = opt_args.choice("name", OPTIMIZERS, "sgd", fold_case=True)
    hyper = hyper_of(opt_args, "hyper", {})
    result = train_two_layer_net(
        x,
        t,
        hidden_size=hidden,
        output_size=output,
        weight_init_std=a.number("weight_init_std", 0.01),
        lr=a.number("lr", 0.1),
        batch_size=batch,
        iters=iters,
        seed=a.seed("seed", 0),
        optimizer=name,
        hyper=hyper,
    )
    return {"loss_history": result.loss_history, "params": dict(result.params)}


@op("data.idx")
def _data_idx(a: Args) -> dict[str, Any]:
    path = a.get("path")
    if not isinstance(path, str):
        raise BadArgs("path must be a string")
    try:
        arr = load_idx(path)
    except IdxError as e:
        raise ValueError_(str(e)) from None
    flat = arr.reshape(-1)
    return {"shape": list(arr.shape), "sum": float(flat.astype(np.float64).sum()), "head": flat[:16].astype(np.float64)}


# --- the loop --------------------------------------------------------------------------------


def handle(line: str) -> str:
    """The answer line to one request line."""
    req_id: str | None = None
    try:
        req_id, op_name, raw_args = decode_line(line)
        fn = OPS.get(op_name)
        if fn is None:
            raise UnknownOp(f"unknown op {op_name!r}")
        args = Args(raw_args)
        with np.errstate(all="ignore"):
            ok = fn(args)
        return encode_answer(req_id, ok=ok)
    except RequestIdError as e:
        return encode_answer(e.req_id, error=e.error)
    except ProtocolError as e:
        return encode_answer(req_id, error=e)
    except Exception as e:  # a bug in the reference: still an answer, never a dead runner
        traceback.print_exc(file=sys.stderr)
        err = ProtocolError(f"{type(e).__name__}: {e}")
        return encode_answer(req_id, error=err)


#: The characters of a blank line, which gets no answer: ASCII white space (not U+00A0 or U+3000).
BLANK = " \t\n\v\f\r"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print("\nOne JSON request per line on stdin, one answer per line on stdout; see shared_tests/README.md.")
        print(f"Ops: {', '.join(sorted(OPS))}")
        return 0
    # json's decoder recurses once per level: room for MAX_NESTING levels (refused beyond)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * MAX_NESTING))
    for line in sys.stdin:
        if not line.strip(BLANK):  # ASCII white space only (README section 1)
            continue
        sys.stdout.write(handle(line) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
