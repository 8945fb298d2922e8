"""The reference runner (shared_tests/README.md): `python -m dlscratch.runner < requests.jsonl`.
Each op is one binding from its arguments, as validate.py checks them against ops.json, to the book's code."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from types import SimpleNamespace as Args
from typing import Any

import numpy as np

from . import functions as F, gates, graph
from .datasets import IdxError, load_idx
from .gradient import function_1, function_2, gradient_descent, numerical_diff, numerical_gradient
from .layers import Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, Sigmoid, SoftmaxWithLoss
from .networks import (NETWORKS, DeepConvNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet, SimpleNet, TwoLayerNet,
                       forward_trace, init_network)
from .optimizers import make_optimizer
from .protocol import ProtocolError, UnknownOp, ValueError_, decode_line, encode_answer
from .rng import MRG32k3a
from .train import train_two_layer_net
from .trainer import Trainer
from .util import col2im, im2col, to_float16
from .validate import LIMITS, validate

Ok = dict[str, Any]
FUNCTIONS = {"function_1": lambda x: float(np.sum(function_1(x))), "function_2": function_2}


def run(layer: Any, inputs: tuple[Any, ...], dout: Any, *keys: str) -> Ok:
    """out = layer.forward(*inputs), then backward(dout): dx (dx, dy for two inputs) and the gradients `keys`."""
    out, grads = layer.forward(*inputs), layer.backward(dout)
    dxs = dict(zip(("dx", "dy"), grads)) if isinstance(grads, tuple) else {"dx": grads}
    return {"out": out, **dxs, **{k: getattr(layer, k) for k in keys}}


def softmax_with_loss(a: Args) -> Ok:
    layer = SoftmaxWithLoss()
    return {"loss": layer.forward(a.x, a.t), "y": layer.y, "dx": layer.backward(1)}


def batch_norm(a: Args) -> Ok:
    running = [np.zeros_like(a.gamma) if r is None else r for r in (a.running_mean, a.running_var)]
    layer = BatchNormalization(a.gamma, a.beta, a.momentum, *running)
    out = run(layer, (a.x, a.train_flg), a.dout, "dgamma", "dbeta")
    return {**out, "running_mean": layer.running_mean, "running_var": layer.running_var}


def multi_layer_net(a: Args) -> MultiLayerNet:
    """The network of the structure arguments, around `params` when given, else drawn from `seed`."""
    given = {"weight_decay_lambda": a.weight_decay_lambda, "params": a.params} if hasattr(a, "params") else {"rng": MRG32k3a(a.seed)}
    return MultiLayerNet(a.input_size, a.hidden_size_list, a.output_size, a.activation, a.weight_init_std, **given)


def extend_net(a: Args) -> MultiLayerNetExtend:
    """MultiLayerNetExtend around `params`, its running statistics when given, masks drawn from `seed`."""
    net = MultiLayerNetExtend(a.input_size, a.hidden_size_list, a.output_size, a.activation, a.weight_init_std,
                              a.weight_decay_lambda, a.use_dropout, a.dropout_ration, a.use_batchnorm, params=a.params,
                              dropout_seed=getattr(a, "seed", 0))
    if a.running_stats is not None:
        net.running_stats = a.running_stats
    return net


def extend_pass(a: Args, key: str, value: Callable[[MultiLayerNetExtend], Any]) -> Ok:
    """value(net) as `key`, with the running statistics after the pass."""
    net = extend_net(a)
    return {key: value(net), "running_stats": net.running_stats}


def trainer(a: Args) -> Ok:
    """One generator seeded with `seed` draws the network's weights, then every batch (and dropout seed)."""
    rng = MRG32k3a(a.seed)
    network = NETWORKS[a.network["kind"]](**{k: v for k, v in a.network.items() if k != "kind"}, rng=rng)
    t = Trainer(network, a.x_train, a.t_train, a.x_test, a.t_test, a.epochs, a.mini_batch_size, a.optimizer,
                a.optimizer_param, a.evaluate_sample_num_per_epoch, rng=rng)
    test_acc = t.train()
    return {"train_loss_list": t.train_loss_list, "train_acc_list": t.train_acc_list, "test_acc_list": t.test_acc_list,
            "test_acc": test_acc, "params": network.params}


def conv_net(a: Args) -> SimpleConvNet:
    """SimpleConvNet of the structure arguments, around `params` when given, else drawn from `seed`."""
    given = {"params": a.params} if hasattr(a, "params") else {"rng": MRG32k3a(a.seed)}
    return SimpleConvNet(tuple(a.input_dim), a.conv_param, a.hidden_size, a.output_size, a.weight_init_std, **given)


def deep_net(a: Args) -> DeepConvNet:
    """DeepConvNet around `params` (its Dropout masks from `seed`), or drawn from `seed`."""
    if hasattr(a, "params"):
        return DeepConvNet(tuple(a.input_dim), a.hidden_size, a.output_size, params=a.params, dropout_seed=getattr(a, "seed", 0))
    return DeepConvNet(tuple(a.input_dim), a.hidden_size, a.output_size, rng=MRG32k3a(a.seed))


def model_evaluate(a: Args) -> Ok:
    """The network of a parameters file: its test-mode scores of x and its accuracy on t."""
    model = dict(a.path)
    kind, params = model.pop("kind"), model.pop("params")
    x = a.x
    if a.half:  # ch08/half_float_network.py: binary16 weights and images, float64 arithmetic
        params = {key: to_float16(value) for key, value in params.items()}
        x = to_float16(x)
    net = NETWORKS[kind](**model, params=params)
    return {"y": net.predict(x), "accuracy": net.accuracy(x, a.t)}


def optimizer_run(a: Args) -> Ok:
    opt = make_optimizer(a.name, a.hyper)
    for grads in a.grads_seq:
        opt.update(a.params, grads)
    return {"params": a.params}


def train(a: Args) -> Ok:
    r = train_two_layer_net(a.x_train, a.t_train, a.hidden_size, a.output_size, a.weight_init_std, a.lr, a.batch_size, a.iters,
                            a.seed, a.optimizer["name"], a.optimizer["hyper"])
    return {"loss_history": r.loss_history, "params": r.params}


def data_idx(a: Args) -> Ok:
    flat = (data := load_idx(a.path)).reshape(-1).astype(np.float64)
    return {"shape": list(data.shape), "sum": float(flat.sum()), "head": flat[:16]}


OPS: dict[str, Callable[[Args], Ok]] = {
    "gate.and": lambda a: {"y": gates.AND(a.x1, a.x2)},
    "gate.nand": lambda a: {"y": gates.NAND(a.x1, a.x2)},
    "gate.or": lambda a: {"y": gates.OR(a.x1, a.x2)},
    "gate.xor": lambda a: {"y": gates.XOR(a.x1, a.x2)},
    "fn.identity": lambda a: {"y": F.identity_function(a.x)},
    "fn.step": lambda a: {"y": F.step_function(a.x)},
    "fn.sigmoid": lambda a: {"y": F.sigmoid(a.x)},
    "fn.sigmoid_grad": lambda a: {"y": F.sigmoid_grad(a.x)},
    "fn.relu": lambda a: {"y": F.relu(a.x)},
    "fn.relu_grad": lambda a: {"y": F.relu_grad(a.x)},
    "fn.tanh": lambda a: {"y": F.tanh(a.x)},
    "fn.softmax": lambda a: {"y": F.softmax(a.x)},
    "loss.sum_squared_error": lambda a: {"loss": F.sum_squared_error(a.y, a.t)},
    "loss.cross_entropy_error": lambda a: {"loss": F.cross_entropy_error(a.y, a.t)},
    "grad.numerical_diff": lambda a: {"d": float(numerical_diff(FUNCTIONS[a.f], np.float64(a.x)))},
    "grad.numerical_gradient": lambda a: {"grad": numerical_gradient(FUNCTIONS[a.f], a.x)},
    "grad.gradient_descent": lambda a: {"x": gradient_descent(FUNCTIONS[a.f], a.init_x, a.lr, a.step_num)},
    "simple_net.predict": lambda a: {"p": SimpleNet(a.W).predict(a.x)},
    "simple_net.loss": lambda a: {"loss": SimpleNet(a.W).loss(a.x, a.t)},
    "simple_net.numerical_gradient": lambda a: {"dW": SimpleNet(a.W).numerical_gradient(a.x, a.t)},
    "layer.mul": lambda a: run(graph.MulLayer(), (a.x, a.y), a.dout),
    "layer.add": lambda a: run(graph.AddLayer(), (a.x, a.y), a.dout),
    "graph.buy_apple": lambda a: vars(graph.buy_apple(a.apple, a.apple_num, a.tax, a.dprice)),
    "graph.buy_apple_orange": lambda a: vars(graph.buy_apple_orange(a.apple, a.apple_num, a.orange, a.orange_num, a.tax, a.dprice)),
    "layer.relu": lambda a: run(Relu(), (a.x,), a.dout),
    "layer.sigmoid": lambda a: run(Sigmoid(), (a.x,), a.dout),
    "layer.affine": lambda a: run(Affine(a.W, a.b), (a.x,), a.dout, "dW", "db"),
    "layer.softmax_with_loss": softmax_with_loss,
    "layer.dropout": lambda a: run(Dropout(a.dropout_ratio, MRG32k3a(a.seed)), (a.x, a.train_flg), a.dout),
    "layer.batch_norm": batch_norm,
    "net3.init": lambda a: init_network(),
    "net3.forward": lambda a: forward_trace(a.network, a.x, a.output),
    "two_layer_net.init": lambda a: TwoLayerNet(a.input_size, a.hidden_size, a.output_size, a.weight_init_std, MRG32k3a(a.seed)).params,
    "two_layer_net.predict": lambda a: {"y": TwoLayerNet.from_params(a.params).predict(a.x)},
    "two_layer_net.loss": lambda a: {"loss": TwoLayerNet.from_params(a.params).loss(a.x, a.t)},
    "two_layer_net.accuracy": lambda a: {"accuracy": TwoLayerNet.from_params(a.params).accuracy(a.x, a.t)},
    "two_layer_net.gradient": lambda a: TwoLayerNet.from_params(a.params).gradient(a.x, a.t),
    "two_layer_net.numerical_gradient": lambda a: TwoLayerNet.from_params(a.params).numerical_gradient(a.x, a.t),
    "multi_layer_net.init": lambda a: multi_layer_net(a).params,
    "multi_layer_net.loss": lambda a: {"loss": multi_layer_net(a).loss(a.x, a.t)},
    "multi_layer_net.gradient": lambda a: multi_layer_net(a).gradient(a.x, a.t),
    "multi_layer_net.numerical_gradient": lambda a: multi_layer_net(a).numerical_gradient(a.x, a.t),
    "multi_layer_net_extend.init": lambda a: MultiLayerNetExtend(
        a.input_size, a.hidden_size_list, a.output_size, a.activation, a.weight_init_std, a.weight_decay_lambda,
        a.use_dropout, a.dropout_ration, a.use_batchnorm, rng=MRG32k3a(a.seed)).params,
    "multi_layer_net_extend.predict": lambda a: extend_pass(a, "y", lambda net: net.predict(a.x, a.train_flg)),
    "multi_layer_net_extend.loss": lambda a: extend_pass(a, "loss", lambda net: net.loss(a.x, a.t, a.train_flg)),
    "multi_layer_net_extend.accuracy": lambda a: {"accuracy": extend_net(a).accuracy(a.x, a.t)},
    "multi_layer_net_extend.gradient": lambda a: extend_net(a).gradient(a.x, a.t),
    "multi_layer_net_extend.numerical_gradient": lambda a: extend_net(a).numerical_gradient(a.x, a.t),
    "util.im2col": lambda a: {"col": im2col(a.input_data, a.filter_h, a.filter_w, a.stride, a.pad)},
    "util.to_float16": lambda a: {"y": to_float16(a.x)},
    "util.col2im": lambda a: {"x": col2im(a.col, tuple(a.input_shape), a.filter_h, a.filter_w, a.stride, a.pad)},
    "layer.convolution": lambda a: run(Convolution(a.W, a.b, a.stride, a.pad), (a.x,), a.dout, "dW", "db"),
    "layer.pooling": lambda a: run(Pooling(a.pool_h, a.pool_w, a.stride, a.pad), (a.x,), a.dout),
    "simple_conv_net.init": lambda a: conv_net(a).params,
    "simple_conv_net.predict": lambda a: {"y": conv_net(a).predict(a.x)},
    "simple_conv_net.loss": lambda a: {"loss": conv_net(a).loss(a.x, a.t)},
    "simple_conv_net.accuracy": lambda a: {"accuracy": conv_net(a).accuracy(a.x, a.t)},
    "simple_conv_net.gradient": lambda a: conv_net(a).gradient(a.x, a.t),
    "simple_conv_net.numerical_gradient": lambda a: conv_net(a).numerical_gradient(a.x, a.t),
    "deep_conv_net.init": lambda a: deep_net(a).params,
    "deep_conv_net.predict": lambda a: {"y": deep_net(a).predict(a.x, a.train_flg)},
    "deep_conv_net.loss": lambda a: {"loss": deep_net(a).loss(a.x, a.t, a.train_flg)},
    "deep_conv_net.accuracy": lambda a: {"accuracy": deep_net(a).accuracy(a.x, a.t)},
    "deep_conv_net.gradient": lambda a: deep_net(a).gradient(a.x, a.t),
    "model.evaluate": model_evaluate,
    "optimizer.run": optimizer_run,
    "rng.uniform": lambda a: {"x": MRG32k3a(a.seed).uniform(a.n)},
    "rng.normal": lambda a: {"x": MRG32k3a(a.seed).normal(a.n)},
    "rng.permutation": lambda a: {"p": MRG32k3a(a.seed).permutation(a.n)},
    "rng.choice": lambda a: {"idx": MRG32k3a(a.seed).choice(a.n, a.size)},
    "train.two_layer_net": train,
    "train.trainer": trainer,
    "data.idx": data_idx,
}


def handle(line: str) -> str:
    req_id: str | None = None
    try:
        req_id, op, raw_args = decode_line(line, LIMITS["max_nesting"])
        if op not in OPS:
            raise UnknownOp(f"unknown op {op!r}")
        with np.errstate(all="ignore"):
            return encode_answer(req_id, ok=OPS[op](validate(op, raw_args)))
    except (ProtocolError, IdxError) as e:  # IdxError: a file that cannot be read or is not IDX
        error = e if isinstance(e, ProtocolError) else ValueError_(str(e))
        return encode_answer(req_id if error.req_id is None else error.req_id, error=error)
    except Exception as e:  # a bug in the reference: still an answer, never a dead runner
        traceback.print_exc(file=sys.stderr)
        return encode_answer(req_id, error=ProtocolError(f"{type(e).__name__}: {e}"))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        print(f"\nOne JSON request per line on stdin, one answer per line on stdout; see shared_tests/README.md.\nOps: {', '.join(OPS)}")
        return 0
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * LIMITS["max_nesting"]))  # json recurses once per level
    for line in sys.stdin:
        if line.strip(" \t\n\v\f\r"):  # a blank line, ASCII white space only (not U+00A0 or U+3000), gets no answer
            sys.stdout.write(handle(line) + "\n")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
