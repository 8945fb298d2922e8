"""Training TwoLayerNet with the book's loop (`train_neuralnet.py`), and its command line; with
`--net simple_conv_net` the book's SimpleConvNet trained by its Trainer (`ch07/train_convnet.py`).

    python -m dlscratch.train --help
"""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .datasets import DEFAULT_DATA_DIR, IdxError, load_mnist
from .networks import CONV_PARAM, DeepConvNet, Params, SimpleConvNet, TwoLayerNet
from .optimizers import OPTIMIZERS, Optimizer, make_optimizer
from .checkpoint import Checkpoint, CheckpointError, encode_arrays, read_checkpoint, restore, write_checkpoint
from .cli import OneLineParser, fail, finite_float, positive_int, seed
from .progress import ProgressBar
from .rng import MRG32k3a
from .trainer import Trainer

__all__ = ["EVAL_BATCH", "NET_DEFAULTS", "TrainResult", "batched_accuracy", "main", "save_params", "train_two_layer_net"]


@dataclass
class TrainResult:
    network: TwoLayerNet
    loss_history: list[float] = field(default_factory=list)

    @property
    def params(self) -> Params:
        return self.network.params


# region: train_loop
# part: init
def train_two_layer_net(
    x_train: NDArray[np.float64],
    t_train: NDArray[np.int64],
    hidden_size: int = 50,
    output_size: int = 10,
    weight_init_std: float = 0.01,
    lr: float = 0.1,
    batch_size: int = 100,
    iters: int = 10000,
    seed: int = 0,
    optimizer: str = "sgd",
    hyper: dict[str, float] | None = None,
    on_iter: Callable[[int, TwoLayerNet, float], None] | None = None,
) -> TrainResult:
    """The book's loop: one generator seeded with `seed` draws W1, W2, then each iteration's
    batch choice(train_size, batch_size); gradient by backprop, update, then the loss of the
    same batch with the new parameters is recorded. `hyper` without "lr" takes `lr`."""
    rng = MRG32k3a(seed)
    network = TwoLayerNet(x_train.shape[1], hidden_size, output_size, weight_init_std, rng=rng)
    hyper = dict(hyper or {})
    hyper.setdefault("lr", lr)
    opt = make_optimizer(optimizer, hyper)
    # part: train
    result = TrainResult(network)
    for i in range(iters):
        loss = two_layer_step(network, opt, rng, x_train, t_train, batch_size)
        result.loss_history.append(loss)
        if on_iter is not None:
            on_iter(i, network, loss)
    return result


# part: step
def two_layer_step(network: TwoLayerNet, opt: Optimizer, rng: MRG32k3a, x_train: NDArray[np.float64],
                   t_train: NDArray[np.int64], batch_size: int) -> float:
    """One iteration: the batch choice(train_size, batch_size), the gradient, the update, then
    the batch's loss with the new parameters."""
    batch_mask = rng.choice(x_train.shape[0], batch_size)
    x_batch = x_train[batch_mask]
    t_batch = t_train[batch_mask]
    grads = network.gradient(x_batch, t_batch)
    opt.update(network.params, grads)
    return network.loss(x_batch, t_batch)
# endregion


#: Images per forward pass when the trainer measures an accuracy.
EVAL_BATCH = 1000


def batched_accuracy(network: TwoLayerNet, x: NDArray[np.float64], t: NDArray[np.int64], batch: int = EVAL_BATCH) -> float:
    """network.accuracy(x, t), `batch` images at a time: the rows whose argmax is the label are
    counted batch by batch and divided by the number of images once, so the figure is the same."""
    correct = 0
    for i in range(0, x.shape[0], batch):
        correct += int(np.sum(np.argmax(network.predict(x[i : i + batch]), axis=1) == t[i : i + batch]))
    return correct / x.shape[0]


#: Each network's defaults (README section 8): train_neuralnet.py's and train_convnet.py's settings;
#: None marks an option the network does not accept.
NET_DEFAULTS: dict[str, dict[str, object]] = {
    "two_layer_net": {"iters": 10000, "epochs": None, "evaluate_samples": None, "batch_size": 100, "hidden": 50,
                      "optimizer": "sgd", "lr": 0.1, "weight_init_std": 0.01},
    "simple_conv_net": {"iters": None, "epochs": 20, "evaluate_samples": 1000, "batch_size": 100, "hidden": 100,
                        "optimizer": "adam", "lr": 0.001, "weight_init_std": 0.01},
    "deep_conv_net": {"iters": None, "epochs": 20, "evaluate_samples": 1000, "batch_size": 100, "hidden": 50,
                      "optimizer": "adam", "lr": 0.001, "weight_init_std": None},
}
#: The networks the book's Trainer trains (train_convnet.py, train_deepnet.py).
TRAINER_NETS = ("simple_conv_net", "deep_conv_net")


def by_net(option: str) -> str:
    """The help's default of an option that depends on --net: "(default: A; B for simple_conv_net)",
    "(simple_conv_net, deep_conv_net only; default: C)"."""
    values = {net: d[option] for net, d in NET_DEFAULTS.items() if d[option] is not None}
    first_net, first = next(iter(values.items()))
    text = "; ".join([str(first), *(f"{v} for {n}" for n, v in values.items() if v != first)])
    only = f"{', '.join(values)} only; " if len(values) < len(NET_DEFAULTS) else ""
    return f"({only}default: {text})"


def build_parser() -> OneLineParser:
    p = OneLineParser(
        "bin/train",
        "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) with the loop of train_neuralnet.py, "
        "or with --net simple_conv_net / deep_conv_net the book's SimpleConvNet / DeepConvNet with its Trainer "
        "(train_convnet.py, train_deepnet.py), on "
        "Fashion-MNIST or MNIST; print train/test accuracy once an epoch and at the end, write the history "
        "(JSON or CSV) and plot it to a PNG.",
    )
    p.add_argument("--net", metavar="NAME", choices=list(NET_DEFAULTS), default=None,
                   help="two_layer_net, simple_conv_net or deep_conv_net (default: two_layer_net)")
    p.add_argument("--data-dir", metavar="DIR", type=Path, default=DEFAULT_DATA_DIR, help="directory with the four IDX files")
    p.add_argument("--iters", metavar="N", type=positive_int, help=f"iterations {by_net('iters')}")
    p.add_argument("--epochs", metavar="N", type=positive_int, help=f"epochs of the Trainer {by_net('epochs')}")
    p.add_argument("--evaluate-samples", metavar="N", type=positive_int,
                   help=f"train and test images evaluated each epoch {by_net('evaluate_samples')}")
    p.add_argument("--batch-size", metavar="N", type=positive_int, help=f"images per batch {by_net('batch_size')}")
    p.add_argument("--hidden", metavar="N", type=positive_int, help=f"hidden units {by_net('hidden')}")
    p.add_argument("--lr", metavar="X", type=finite_float, help=f"learning rate {by_net('lr')}")
    p.add_argument("--optimizer", metavar="NAME", choices=list(OPTIMIZERS),
                   help="sgd, momentum, nesterov, adagrad, rmsprop or adam, its other hyper-parameters at the book's "
                        f"defaults {by_net('optimizer')}")
    p.add_argument("--weight-init-std", metavar="X", type=finite_float,
                   help=f"standard deviation of the initial weights {by_net('weight_init_std')}")
    p.add_argument("--seed", metavar="K", type=seed, default=None,
                   help="seeds the one generator: the weights, then every batch (default: 0)")
    p.add_argument("--train-size", metavar="N", type=positive_int, default=None, help="use the first N training images (default: all)")
    p.add_argument("--test-size", metavar="N", type=positive_int, default=None, help="use the first N test images (default: all)")
    p.add_argument("--out", metavar="FILE", type=Path, default=Path("train-python.json"), help="history file, .json or .csv")
    p.add_argument("--plot", metavar="FILE", type=Path, default=None, help="PNG of the loss curve and accuracies (default: --out with .png)")
    p.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    p.add_argument("--save-params", metavar="FILE", type=Path, default=None,
                   help="write the trained parameters in the portable format of README section 8 (default: not written)")
    p.add_argument("--checkpoint", metavar="FILE", type=Path, default=None,
                   help="where a stopped run writes its checkpoint (default: --out with .ckpt.json)")
    p.add_argument("--stop-after", metavar="N", type=positive_int, default=None,
                   help="stop as Ctrl-C does once N iterations of the run are done (default: run to the end)")
    p.add_argument("--resume", metavar="FILE", type=Path, default=None,
                   help="continue the run of a checkpoint; it fixes the network and every training option "
                        "(default: a new run)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


#: The options a checkpoint fixes (README section 8): giving one with --resume is a usage error.
RUN_OPTIONS = ("net", "iters", "epochs", "evaluate_samples", "batch_size", "hidden", "lr", "optimizer",
               "weight_init_std", "seed", "train_size", "test_size")


def is_epoch_end(i: int, iter_per_epoch: float) -> bool:
    """The book's `i % iter_per_epoch == 0` with iter_per_epoch = max(train_size / batch_size, 1),
    a float: Python's float remainder is exact (fmod), so 468.75 gives 0, 1875, 3750, ..."""
    return i % iter_per_epoch == 0


def write_history(path: Path, record: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".csv":
        with path.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["iter", "loss"])
            for i, loss in enumerate(record["loss_history"]):
                w.writerow([i, repr(loss)])
    else:
        path.write_text(json.dumps(record) + "\n")


def plot_history(path: Path, record: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    losses = np.array(record["loss_history"])
    ax1.plot(np.arange(losses.size), losses, lw=0.6, alpha=0.5, label="loss on the batch")
    window = min(100, max(losses.size // 20, 1))
    if losses.size >= window > 1:
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax1.plot(np.arange(window - 1, losses.size), smooth, lw=1.5, label=f"mean of {window}")
    ax1.set_xlabel("iteration")
    ax1.set_ylabel("loss")
    ax1.set_title(f"{record['options'].get('net', 'two_layer_net')} training loss")
    ax1.legend()
    # Accuracies after each epoch's iteration and after the last one.
    iters = record["acc_iters"] + [record["final_iter"]]
    ax2.plot(iters, record["train_acc"] + [record["final_train_acc"]], marker="o", label="train")
    ax2.plot(iters, record["test_acc"] + [record["final_test_acc"]], marker="s", linestyle="--", label="test")
    ax2.set_xlabel("after iteration")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1)
    ax2.set_title(f"accuracy (final test {record['final_test_acc']:.4f})")
    ax2.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def check_writable(prog: str, path: Path) -> None:
    """Refuse an --out or --plot path that cannot be written, before any training."""
    if path.is_dir():
        fail(prog, f"{path} is a directory")
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        fail(prog, f"cannot write {path}: {parent} is not a writable directory")


def parse_options(argv: list[str] | None) -> tuple[OneLineParser, Any]:
    """The options with --net's defaults filled in; an option the network does not accept is a usage error.
    With --resume the run's options come from the checkpoint instead."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.resume is not None:
        given = [o for o in RUN_OPTIONS if getattr(args, o) is not None]
        if given:
            parser.error(f"--{given[0].replace('_', '-')} cannot be given with --resume: the checkpoint fixes it")
        return parser, args
    args.net = args.net or "two_layer_net"
    args.seed = 0 if args.seed is None else args.seed
    for option, default in NET_DEFAULTS[args.net].items():
        given = getattr(args, option)
        if default is None and given is not None:
            parser.error(f"--{option.replace('_', '-')} does not apply to --net {args.net}")
        if given is None:
            setattr(args, option, default)
    return parser, args


def network_description(network: TwoLayerNet | SimpleConvNet | DeepConvNet, args: Any) -> dict[str, Any]:
    """The "network" of a parameters file: its kind and structure."""
    if isinstance(network, DeepConvNet):
        return {"kind": "deep_conv_net", "input_dim": [1, 28, 28], "hidden_size": args.hidden, "output_size": 10}
    if isinstance(network, SimpleConvNet):
        return {"kind": "simple_conv_net", "input_dim": [1, 28, 28], "conv_param": dict(CONV_PARAM),
                "hidden_size": args.hidden, "output_size": 10}
    return {"kind": "two_layer_net", "input_size": 784, "hidden_size": args.hidden, "output_size": 10}


# region: save_params
def save_params(path: Path, network_spec: dict[str, Any], params: Params) -> None:
    """The portable parameters file of README section 8: each array's shape and row-major data."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "dlscratch-params", "version": 1, "port": "python", "network": network_spec,
                                "params": encode_arrays(params)}) + "\n")
# endregion


def checkpoint_options(options: dict[str, Any], args: Any) -> None:
    """The run's options from a checkpoint's, each checked as its command-line option would be."""
    net = options.get("net")
    if net not in NET_DEFAULTS:
        raise CheckpointError(f"options.net is {json.dumps(net)}, not one of {', '.join(NET_DEFAULTS)}")
    wanted = ["iters", "seed", "train_size", "test_size", *(o for o, d in NET_DEFAULTS[net].items() if d is not None)]
    for option in dict.fromkeys(wanted):
        v = options.get(option)
        if option == "optimizer":
            ok, what = v in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"
        elif option in ("lr", "weight_init_std"):
            ok, what = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), "a finite number"
        elif option == "seed":
            ok, what = isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**31, "a seed in 0 <= seed < 2^31"
        else:
            ok, what = isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a whole number >= 1"
        if not ok:
            raise CheckpointError(f"options.{option} is {json.dumps(v)}, not {what}")
        setattr(args, option, v)
    args.net = net
    for option, default in NET_DEFAULTS[net].items():
        if default is None:
            setattr(args, option, None)


def stopped_after(args: Any, i: int, steps: int, stop: list[int]) -> bool:
    """Whether the run stops after iteration i: a signal arrived, or --stop-after N with i = N − 1 < steps − 1."""
    return bool(stop) or (args.stop_after is not None and i + 1 == args.stop_after < steps)


def catch_signals(stop: list[int]) -> dict[int, Any]:
    """SIGINT and SIGTERM append their number to `stop` (the loop checks it after each step); the old handlers."""
    def handler(signum: int, _frame: Any) -> None:
        stop.append(signum)
    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def main(argv: list[str] | None = None) -> int:
    try:
        return run(argv)
    except KeyboardInterrupt:  # Ctrl-C before the training loop: nothing to save
        return 128 + signal.SIGINT
    except BrokenPipeError:    # stdout closed by the reader (`| head`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE


def run(argv: list[str] | None) -> int:
    parser, args = parse_options(argv)
    saved: dict[str, Any] | None = None
    if args.resume is not None:
        try:
            saved, options = read_checkpoint(args.resume)
            checkpoint_options(options, args)
        except CheckpointError as e:
            fail(parser.prog, f"{args.resume}: {e}")
    plot_path = None if args.no_plot else (args.plot or args.out.with_suffix(".png"))
    checkpoint_path = args.checkpoint or args.out.with_suffix(".ckpt.json")
    for path in (args.out, plot_path, args.save_params, checkpoint_path):
        if path is not None:
            check_writable(parser.prog, path)
    conv = args.net in TRAINER_NETS
    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(args.data_dir, flatten=not conv)
    except IdxError as e:
        fail(parser.prog, str(e))
    if args.train_size:
        x_train, t_train = x_train[: args.train_size], t_train[: args.train_size]
    if args.test_size:
        x_test, t_test = x_test[: args.test_size], t_test[: args.test_size]
    if saved is not None:
        for what, n, x in (("training", args.train_size, x_train), ("test", args.test_size, x_test)):
            if x.shape[0] != n:
                fail(parser.prog, f"{args.resume}: the run used {n} {what} images; {args.data_dir} has {x.shape[0]}")
    iter_per_epoch = max(x_train.shape[0] / args.batch_size, 1)
    steps = int(args.epochs * iter_per_epoch) if conv else args.iters
    bar = ProgressBar(steps, enabled=False if args.quiet else None)

    rng = MRG32k3a(args.seed)
    if args.net == "two_layer_net":
        network: Any = TwoLayerNet(x_train.shape[1], args.hidden, 10, args.weight_init_std, rng=rng)
        optimizer = make_optimizer(args.optimizer, {"lr": args.lr})
        history: dict[str, Any] = {"loss_history": [], "acc_iters": [], "train_acc": [], "test_acc": [], "seconds": 0.0}
    else:
        network = SimpleConvNet(hidden_size=args.hidden, weight_init_std=args.weight_init_std, rng=rng) \
            if args.net == "simple_conv_net" else DeepConvNet(hidden_size=args.hidden, rng=rng)
        trainer = Trainer(network, x_train, t_train, x_test, t_test, args.epochs, args.batch_size, args.optimizer,
                          {"lr": args.lr}, args.evaluate_samples, rng=rng)
        optimizer = trainer.optimizer
        history = {"loss_history": trainer.train_loss_list, "acc_iters": [], "train_acc": trainer.train_acc_list,
                   "test_acc": trainer.test_acc_list, "seconds": 0.0}
    spec = network_description(network, args)
    options = run_options(args, steps, x_train.shape[0], x_test.shape[0], conv)
    start_iter = 0
    if saved is not None:
        shapes = {k: v.shape for k, v in network.params.items()}
        try:
            ck = restore(saved, spec, shapes, steps, lambda i: is_epoch_end(i, iter_per_epoch))
        except CheckpointError as e:
            fail(parser.prog, f"{args.resume}: {e}")
        for key, value in ck.params.items():
            network.params[key][...] = value        # in place: the layers hold these arrays
        optimizer.load_state_dict(ck.optimizer_state)
        for key in ("loss_history", "acc_iters", "train_acc", "test_acc"):
            history[key][:] = ck.history[key]
        history["seconds"] = ck.history["seconds"]
        rng, start_iter = ck.rng, ck.iteration
        if conv:
            trainer.rng, trainer.current_iter, trainer.current_epoch = rng, start_iter, len(history["acc_iters"])

    def step(i: int) -> float:
        """Iteration i with its evaluation at an epoch's end; the batch loss."""
        if conv:
            trainer.train_step()
            loss = trainer.train_loss_list[-1]
        else:
            loss = two_layer_step(network, optimizer, rng, x_train, t_train, args.batch_size)
            history["loss_history"].append(loss)
        if is_epoch_end(i, iter_per_epoch):
            history["acc_iters"].append(i)
            if not conv:
                history["train_acc"].append(batched_accuracy(network, x_train, t_train))
                history["test_acc"].append(batched_accuracy(network, x_test, t_test))
            epoch = trainer.current_epoch if conv else round(i / iter_per_epoch)   # the Trainer counts from 1
            bar.write(f"epoch {epoch}  train acc {history['train_acc'][-1]:.4f}  test acc {history['test_acc'][-1]:.4f}")
        bar.update(i + 1, loss=loss)
        return loss

    stop: list[int] = []
    previous = catch_signals(stop)
    start = time.perf_counter()
    try:
        for i in range(start_iter, steps):
            step(i)
            if stopped_after(args, i, steps, stop):
                break
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    seconds = history["seconds"] + time.perf_counter() - start
    bar.close()
    record: dict[str, Any] = {"port": "python", "options": options,
                              **{k: history[k] for k in ("loss_history", "acc_iters", "train_acc", "test_acc")}}
    done = len(history["loss_history"])
    if done < steps:
        current_rng = trainer.rng if conv else rng
        write_checkpoint(checkpoint_path, Checkpoint(spec, options, done, current_rng, optimizer.state_dict(),
                                                     network.params, {**history, "seconds": seconds}))
        write_history(args.out, {**record, "stopped_after": done, "checkpoint": str(checkpoint_path), "seconds": seconds})
        print(f"interrupted after iteration {done - 1}: checkpoint written to {checkpoint_path} "
              f"(continue with --resume {checkpoint_path})")
        return 128 + stop[0] if stop else 0
    if conv:
        final_test = trainer.final_test_accuracy()
        final_train = network.accuracy(x_train[: args.evaluate_samples], t_train[: args.evaluate_samples])
    else:
        final_train = batched_accuracy(network, x_train, t_train)
        final_test = batched_accuracy(network, x_test, t_test)
    record.update(final_iter=steps - 1, final_train_acc=final_train, final_test_acc=final_test, seconds=seconds)
    write_history(args.out, record)
    print(f"final (after iteration {steps - 1})  train acc {final_train:.4f}  test acc {final_test:.4f}"
          f"  ({seconds:.1f} s, {1000 * seconds / steps:.2f} ms/iter)")
    print(f"history written to {args.out}")
    if args.save_params is not None:
        save_params(args.save_params, spec, network.params)
        print(f"parameters written to {args.save_params}")
    if plot_path is not None:
        plot_history(plot_path, record)
        print(f"plot written to {plot_path}")
    return 0


def run_options(args: Any, steps: int, train_size: int, test_size: int, conv: bool) -> dict[str, Any]:
    """The history's "options" (and the checkpoint's)."""
    options = {
        "net": args.net,
        "data_dir": str(args.data_dir),
        "iters": steps,
        "batch_size": args.batch_size,
        "hidden": args.hidden,
        "lr": args.lr,
        "optimizer": args.optimizer,
        **({} if args.weight_init_std is None else {"weight_init_std": args.weight_init_std}),
        "seed": args.seed,
        "train_size": train_size,
        "test_size": test_size,
    }
    if conv:
        options.update(epochs=args.epochs, evaluate_samples=args.evaluate_samples)
    return options


if __name__ == "__main__":
    sys.exit(main())
