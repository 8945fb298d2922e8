"""The experiments of the book's chapter 6 (`ch06/*.py`), one function each, and their command line.

    python -m dlscratch.experiments NAME [--scale S] [--seed K] [--data-dir DIR] [--out FILE]

Every experiment draws from one shared generator (MRG32k3a) seeded with --seed, in the order
shared_tests/README.md section 13 pins, so that every port computes the same curves; its result
is written as JSON for scripts/figures.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .cli import OneLineParser, fail, fraction, seed
from .datasets import DEFAULT_DATA_DIR, IdxError, load_mnist
from .functions import relu, sigmoid, tanh
from .networks import MultiLayerNet, MultiLayerNetExtend
from .optimizers import make_optimizer
from .progress import ProgressBar
from .rng import MRG32k3a
from .train import check_writable
from .trainer import Trainer

__all__ = ["EXPERIMENTS", "main"]

Data = tuple[tuple[NDArray[np.float64], NDArray[np.int64]], tuple[NDArray[np.float64], NDArray[np.int64]]]


@dataclass
class Run:
    """What an experiment gets: the generator, the scale, the data (loaded on first use) and a progress bar."""

    rng: MRG32k3a
    scale: float
    data_dir: Path
    quiet: bool
    _data: Data | None = None

    def data(self) -> Data:
        if self._data is None:
            self._data = load_mnist(self.data_dir)
        return self._data

    def scaled(self, n: int, least: int = 1) -> int:
        """n times the scale, rounded, at least `least`."""
        return max(least, round(n * self.scale))

    def bar(self, total: int) -> ProgressBar:
        return ProgressBar(total, enabled=False if self.quiet else None)


def f_naive(x: float, y: float) -> float:
    """f(x, y) = x²/20 + y²."""
    return x**2 / 20.0 + y**2


def df_naive(x: float, y: float) -> tuple[float, float]:
    """∇f = (x/10, 2y)."""
    return x / 10.0, 2.0 * y


def optimizer_compare_naive(run: Run) -> dict[str, Any]:
    """Figure 6-8: 30 steps of SGD (lr 0.95), Momentum (0.1), AdaGrad (1.5), Adam (0.3) on f from
    (−7, 2); each path records the point before every step."""
    paths = {}
    for name, lr in (("SGD", 0.95), ("Momentum", 0.1), ("AdaGrad", 1.5), ("Adam", 0.3)):
        opt = make_optimizer(name, {"lr": lr})
        params = {"x": np.array(-7.0), "y": np.array(2.0)}
        xs, ys = [], []
        for _ in range(30):
            xs.append(float(params["x"]))
            ys.append(float(params["y"]))
            gx, gy = df_naive(float(params["x"]), float(params["y"]))
            opt.update(params, {"x": np.array(gx), "y": np.array(gy)})
        paths[name] = {"x": xs, "y": ys}
    return {"paths": paths}


def race(run: Run, networks: dict[str, Any], optimizers: dict[str, Any], iterations: int, batch_size: int) -> dict[str, list[float]]:
    """The loop of optimizer_compare_mnist.py and weight_init_compare.py: one batch per iteration
    for every network in turn (gradient, update, the loss of the batch)."""
    (x_train, t_train), _ = run.data()
    losses: dict[str, list[float]] = {key: [] for key in networks}
    bar = run.bar(iterations)
    for i in range(iterations):
        batch = run.rng.choice(x_train.shape[0], batch_size)
        x_batch, t_batch = x_train[batch], t_train[batch]
        for key, network in networks.items():
            grads = network.gradient(x_batch, t_batch)
            optimizers[key].update(network.params, grads)
            losses[key].append(network.loss(x_batch, t_batch))
        bar.update(i + 1, loss=losses[key][-1])
    bar.close()
    return losses


def optimizer_compare_mnist(run: Run) -> dict[str, Any]:
    """Figure 6-9: SGD, Momentum, AdaGrad, Adam (the book's default hyper-parameters) on
    784-100-100-100-100-10 networks, batch 128, 2000 iterations (times the scale)."""
    names = ["SGD", "Momentum", "AdaGrad", "Adam"]
    networks = {key: MultiLayerNet(784, [100] * 4, 10, rng=run.rng) for key in names}
    optimizers = {key: make_optimizer(key) for key in names}
    iterations = run.scaled(2000)
    return {"iterations": iterations, "train_loss": race(run, networks, optimizers, iterations, 128)}


def weight_init_compare(run: Run) -> dict[str, Any]:
    """Figure 6-15: std 0.01, Xavier and He weights on ReLU networks 784-100-100-100-100-10, SGD lr 0.01,
    batch 128, 2000 iterations (times the scale)."""
    inits: dict[str, float | str] = {"std=0.01": 0.01, "Xavier": "sigmoid", "He": "relu"}
    networks = {key: MultiLayerNet(784, [100] * 4, 10, weight_init_std=std, rng=run.rng) for key, std in inits.items()}
    sgd = make_optimizer("sgd", {"lr": 0.01})
    iterations = run.scaled(2000)
    return {"iterations": iterations, "train_loss": race(run, networks, dict.fromkeys(inits, sgd), iterations, 128)}


HISTOGRAM_STDS: dict[str, float] = {"1": 1.0, "0.01": 0.01, "Xavier": float(np.sqrt(1.0 / 100)), "He": float(np.sqrt(2.0 / 100))}
HISTOGRAM_ACTIVATIONS: dict[str, tuple[Callable[[Any], Any], tuple[float, float]]] = {
    "sigmoid": (sigmoid, (0.0, 1.0)), "relu": (relu, (0.0, 1.0)), "tanh": (tanh, (-1.0, 1.0))}


def histogram(values: NDArray[np.float64], lo: float, hi: float, bins: int = 30) -> list[int]:
    """Counts of `bins` equal bins over [lo, hi]: bin floor((v − lo)·bins / (hi − lo)), hi in the last; others dropped."""
    v = values.reshape(-1)
    v = v[(v >= lo) & (v <= hi)]
    idx = np.minimum(np.floor((v - lo) * bins / (hi - lo)).astype(np.int64), bins - 1)
    return np.bincount(idx, minlength=bins).tolist()


def weight_init_activation_histogram(run: Run) -> dict[str, Any]:
    """Figures 6-10 to 6-14: 1000 (times the scale) × 100 standard normals through 5 layers of 100
    units, a = z·W with W = std·randn(100, 100), for every activation and std; the histogram
    (30 bins over (0, 1), over (−1, 1) for tanh), mean and standard deviation of every layer."""
    x0 = run.rng.randn(run.scaled(1000), 100)
    results: dict[str, Any] = {}
    for act, (fn, (lo, hi)) in HISTOGRAM_ACTIVATIONS.items():
        results[act] = {}
        for name, std in HISTOGRAM_STDS.items():
            z, layers = x0, []
            for _ in range(5):
                z = fn(z @ (run.rng.randn(100, 100) * std))
                layers.append({"hist": histogram(z, lo, hi), "mean": float(z.mean()), "std": float(z.std())})
            results[act][name] = {"range": [lo, hi], "layers": layers}
    return {"histograms": results}


def is_epoch(i: int, iter_per_epoch: float) -> bool:
    """The book's `i % iter_per_epoch == 0`, the float remainder exact."""
    return i % iter_per_epoch == 0


@np.errstate(over="ignore", invalid="ignore")
def batch_norm_test(run: Run) -> dict[str, Any]:
    """Figure 6-19: for 16 weight scales logspace(0, −4), a 784-(100×5)-10 network with batch norm and
    one without, trained side by side on the first 1000 images (SGD lr 0.01, batch 100) for 20 epochs
    (times the scale); the train accuracy at the start of every epoch."""
    (x_train, t_train), _ = run.data()
    x_train, t_train = x_train[:1000], t_train[:1000]
    epochs, batch_size = run.scaled(20), 100
    iter_per_epoch = max(x_train.shape[0] / batch_size, 1)
    sgd = make_optimizer("sgd", {"lr": 0.01})
    scales = np.logspace(0, -4, num=16).tolist()
    curves = []
    bar = run.bar(len(scales) * epochs)
    for w in scales:   # w = 1 without batch norm overflows to inf and NaN, as the book's run does
        bn_network = MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std=w, use_batchnorm=True, rng=run.rng)
        network = MultiLayerNetExtend(784, [100] * 5, 10, weight_init_std=w, rng=run.rng)
        acc: list[float] = []
        bn_acc: list[float] = []
        i = 0
        while len(acc) < epochs:
            batch = run.rng.choice(x_train.shape[0], batch_size)
            for net in (bn_network, network):
                sgd.update(net.params, net.gradient(x_train[batch], t_train[batch]))
            if is_epoch(i, iter_per_epoch):
                acc.append(network.accuracy(x_train, t_train))
                bn_acc.append(bn_network.accuracy(x_train, t_train))
                bar.update(len(curves) * epochs + len(acc))
            i += 1
        curves.append({"weight_scale": w, "train_acc": acc, "bn_train_acc": bn_acc})
    bar.close()
    return {"epochs": epochs, "runs": curves}


def overfit_data(run: Run, train: int = 300) -> Data:
    """The first 300 training images and the whole test set (times the scale, at least 100)."""
    (x_train, t_train), (x_test, t_test) = run.data()
    n = run.scaled(x_test.shape[0], least=min(100, x_test.shape[0]))
    return (x_train[:train], t_train[:train]), (x_test[:n], t_test[:n])


def overfit_weight_decay(run: Run) -> dict[str, Any]:
    """Figure 6-21: a 784-(100×6)-10 network with weight decay λ = 0.1 on 300 images, SGD lr 0.01,
    batch 100, 201 epochs (times the scale); train and test accuracy at the start of every epoch."""
    (x_train, t_train), (x_test, t_test) = overfit_data(run)
    network = MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=0.1, rng=run.rng)
    sgd = make_optimizer("sgd", {"lr": 0.01})
    epochs, batch_size = run.scaled(201), 100
    iter_per_epoch = max(x_train.shape[0] / batch_size, 1)
    train_acc: list[float] = []
    test_acc: list[float] = []
    bar = run.bar(epochs)
    i = 0
    while len(train_acc) < epochs:
        batch = run.rng.choice(x_train.shape[0], batch_size)
        sgd.update(network.params, network.gradient(x_train[batch], t_train[batch]))
        if is_epoch(i, iter_per_epoch):
            train_acc.append(network.accuracy(x_train, t_train))
            test_acc.append(network.accuracy(x_test, t_test))
            bar.update(len(train_acc), test=test_acc[-1])
        i += 1
    bar.close()
    return {"weight_decay_lambda": 0.1, "train_acc": train_acc, "test_acc": test_acc}


def overfit_dropout(run: Run) -> dict[str, Any]:
    """Figure 6-23: a 784-(100×6)-10 MultiLayerNetExtend with Dropout 0.2 on 300 images, the Trainer
    (SGD lr 0.01, batch 100, 301 epochs times the scale)."""
    (x_train, t_train), (x_test, t_test) = overfit_data(run)
    network = MultiLayerNetExtend(784, [100] * 6, 10, use_dropout=True, dropout_ration=0.2, rng=run.rng)
    epochs = run.scaled(301)
    bar = run.bar(int(epochs * 3))
    trainer = Trainer(network, x_train, t_train, x_test, t_test, epochs=epochs, mini_batch_size=100, optimizer="sgd",
                      optimizer_param={"lr": 0.01}, rng=run.rng, on_step=lambda t, loss: bar.update(t.current_iter + 1, loss=loss))
    trainer.train()
    bar.close()
    return {"dropout_ratio": 0.2, "train_acc": trainer.train_acc_list, "test_acc": trainer.test_acc_list,
            "train_loss": trainer.train_loss_list}


def hyperparameter_optimization(run: Run) -> dict[str, Any]:
    """Figure 6-24: 100 trials (times the scale) of weight decay 10^U(−8, −4) and lr 10^U(−6, −2)
    on a 784-(100×6)-10 network, the Trainer for 50 epochs (times the scale) on 400 of the first 500
    images (shuffled), validated on the other 100."""
    (x_all, t_all), _ = run.data()
    perm = run.rng.permutation(500)
    x, t = x_all[:500][perm], t_all[:500][perm]
    x_val, t_val, x_train, t_train = x[:100], t[:100], x[100:], t[100:]
    trials, epochs = run.scaled(100), run.scaled(50)
    bar = run.bar(trials)
    results = []
    for k in range(trials):
        weight_decay = 10 ** (-8 + 4 * run.rng.next_uniform())
        lr = 10 ** (-6 + 4 * run.rng.next_uniform())
        network = MultiLayerNet(784, [100] * 6, 10, weight_decay_lambda=weight_decay, rng=run.rng)
        trainer = Trainer(network, x_train, t_train, x_val, t_val, epochs=epochs, mini_batch_size=100, optimizer="sgd",
                          optimizer_param={"lr": lr}, rng=run.rng)
        trainer.train()
        results.append({"lr": lr, "weight_decay": weight_decay, "val_acc": trainer.test_acc_list,
                        "train_acc": trainer.train_acc_list})
        bar.update(k + 1, val=trainer.test_acc_list[-1])
    bar.close()
    return {"epochs": epochs, "trials": results}


EXPERIMENTS: dict[str, Callable[[Run], dict[str, Any]]] = {
    "optimizer_compare_naive": optimizer_compare_naive,
    "optimizer_compare_mnist": optimizer_compare_mnist,
    "weight_init_activation_histogram": weight_init_activation_histogram,
    "weight_init_compare": weight_init_compare,
    "batch_norm_test": batch_norm_test,
    "overfit_weight_decay": overfit_weight_decay,
    "overfit_dropout": overfit_dropout,
    "hyperparameter_optimization": hyperparameter_optimization,
}


def build_parser() -> OneLineParser:
    p = OneLineParser("bin/experiment", "Run one of the book's chapter-6 experiments and write its result as JSON "
                      "for scripts/figures. " + "; ".join(f"{name}: {fn.__doc__.split(':')[0].strip()}"
                                                        for name, fn in EXPERIMENTS.items()) + ".")
    p.add_argument("name", metavar="NAME", choices=list(EXPERIMENTS), help="the experiment: " + ", ".join(EXPERIMENTS))
    p.add_argument("--scale", metavar="S", type=fraction, default=1.0,
                   help="fraction of the book's iterations, epochs, trials or samples (0 < S <= 1)")
    p.add_argument("--seed", metavar="K", type=seed, default=0, help="seeds the one generator of the experiment")
    p.add_argument("--data-dir", metavar="DIR", type=Path, default=DEFAULT_DATA_DIR, help="directory with the four IDX files")
    p.add_argument("--out", metavar="FILE", type=Path, default=None, help="result file (default: experiment-NAME-python.json)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    out = args.out or Path(f"experiment-{args.name}-python.json")
    check_writable(parser.prog, out)
    run = Run(MRG32k3a(args.seed), args.scale, args.data_dir, args.quiet)
    if args.name not in ("optimizer_compare_naive", "weight_init_activation_histogram"):   # no images there
        try:
            run.data()
        except IdxError as e:
            fail(parser.prog, str(e))
    start = time.perf_counter()
    results = EXPERIMENTS[args.name](run)
    seconds = time.perf_counter() - start
    record = {"experiment": args.name, "port": "python",
              "options": {"scale": args.scale, "seed": args.seed, "data_dir": str(args.data_dir)},
              "results": results, "seconds": seconds}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record) + "\n")
    print(f"{args.name}: {seconds:.1f} s, written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
