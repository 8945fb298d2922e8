"""Draw the book's chapter-6 figures from the results of `bin/experiment` (any port, several at once),
chapter 7's first-layer filters (figure 7-24) from `bin/train --net simple_conv_net --save-params`,
and chapter 8's misclassified test images (figure 8-6) and half-precision accuracy from a trained
network's parameters file (`bin/train --net deep_conv_net --save-params`, or any network's).

    scripts/figures RESULT.json... [--out-dir DIR]
    scripts/figures --run NAME [--scale S] [--seed K] [--port P]... [--out-dir DIR]
    scripts/figures PARAMS.json... [--seed K] [--out-dir DIR]

Each result file is one experiment run by one port (`{"experiment", "port", "options",
"results", "seconds"}`). For every experiment the reference's figure is drawn as the book draws it
(`NAME.png`); when other ports' results of the same experiment and options are given too, the same
figure with every port overlaid (`NAME-ports.png`), and a table of each port's largest relative
difference from the reference over every number of the result. `--run NAME` first runs the
experiment in the reference and every given port that has one (ports.json "experiment"), each
result going to out/experiments/.

A parameters file (README section 8's portable format) of a SimpleConvNet gives `filters.png` (the
reference's) or `filters-PORT.png`: its 30 filters of W1 after training beside the ones the trainer
drew before it from `--seed` (bin/train's default seed 0), drawn as the book's visualize_filter.py
does (gray, 8 a row); with several ports' files, `filters-ports.png` puts every port's trained
filters one row under the other and the table gives each one's largest difference from the
reference's.

A parameters file of a DeepConvNet (or given with `--chapter8`, of any network) gives
`misclassified.png` (`-PORT` for another port's file): the first 20 Fashion-MNIST test images
that the network gets wrong, each titled with its predicted and its true class, as the book's
`misclassified_mnist.py` draws them; and `half-precision.json` / `.png`: its test accuracy on the
10000 test images in float64 and with its weights and images rounded to binary16 (the book's
`half_float_network.py`). Every `--eval-port P` also evaluates the binary16 network in port P's
runner (`model.evaluate` with `half`, the port's own rounding) on the first `--eval-images`
images, and the table compares each with the reference's figure on the same images.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REFERENCE = "python"
PORT_STYLES = {"python": ("C0", "-"), "ruby": ("C3", "--"), "lua": ("C2", "-."), "luajit": ("C4", ":"), "haskell": ("C1", (0, (5, 1)))}
Result = dict[str, Any]


def fail(message: str) -> None:
    print(f"scripts/figures: {message}", file=sys.stderr)
    sys.exit(2)


def load(path: Path) -> Result:
    """A result file, checked for the keys every figure needs."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    except json.JSONDecodeError as e:
        fail(f"{path} is not JSON: {e}")
    if not isinstance(record, dict) or not all(k in record for k in ("experiment", "port", "results")):
        fail(f"{path} is not a result of bin/experiment (it needs experiment, port and results)")
    if record["experiment"] not in DRAW:
        fail(f"{path}: unknown experiment {record['experiment']!r}")
    return record


def numbers(v: Any) -> list[float]:
    """Every number of a result, in a fixed order (dict keys sorted)."""
    if isinstance(v, dict):
        return [x for k in sorted(v) for x in numbers(v[k])]
    if isinstance(v, list):
        return [x for e in v for x in numbers(e)]
    return [float(v)] if isinstance(v, (int, float)) and not isinstance(v, bool) else []


def largest_relative_difference(got: Result, ref: Result) -> float:
    """max |got − ref| / |ref| over every number (inf when the results differ in structure)."""
    a, b = np.array(numbers(got["results"])), np.array(numbers(ref["results"]))
    if a.shape != b.shape:
        return math.inf
    with np.errstate(all="ignore"):
        d = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    d = np.where(a == b, 0.0, d)
    return float(d.max()) if d.size else 0.0


def smooth_curve(x: list[float]) -> np.ndarray:
    """The book's common/util.py smooth_curve: a Kaiser window of 11 (beta 2), edges mirrored."""
    window = 11
    s = np.r_[x[window - 1:0:-1], x, x[-1:-window:-1]]
    w = np.kaiser(window, 2)
    y = np.convolve(w / w.sum(), s, mode="valid")
    return y[5:len(y) - 5]


def draw_naive(fig: plt.Figure, runs: list[Result]) -> None:
    x = np.arange(-10, 10, 0.01)
    y = np.arange(-5, 5, 0.01)
    X, Y = np.meshgrid(x, y)
    Z = X**2 / 20.0 + Y**2
    Z[Z > 7] = 0
    names = list(runs[0]["results"]["paths"])
    for k, name in enumerate(names, 1):
        ax = fig.add_subplot(2, 2, k)
        ax.contour(X, Y, Z)
        for r in runs:
            main = r is runs[0]
            p = r["results"]["paths"][name]
            ax.plot(p["x"], p["y"], "o-" if main else "x--", color="red" if main else PORT_STYLES.get(r["port"], ("k",))[0],
                    markersize=4, label=r["port"])
        ax.plot(0, 0, "+")
        ax.set_xlim(-10, 10)
        ax.set_ylim(-10, 10)
        ax.set_title(name)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        if len(runs) > 1 and k == 1:
            ax.legend(fontsize=7)


def draw_losses(ylim: float, markers: dict[str, str]) -> Callable[[plt.Figure, list[Result]], None]:
    def draw(fig: plt.Figure, runs: list[Result]) -> None:
        ax = fig.add_subplot(1, 1, 1)
        for r in runs:
            main = r is runs[0]
            for key, losses in r["results"]["train_loss"].items():
                xs = np.arange(len(losses))
                ax.plot(xs, smooth_curve(losses), marker=markers.get(key) if main else None, markevery=max(len(losses) // 20, 1),
                        linestyle="-" if main else PORT_STYLES.get(r["port"], ("k", "--"))[1], lw=1.2 if main else 1.0,
                        label=key if main else f"{key} ({r['port']})")
        ax.set_xlabel("iterations")
        ax.set_ylabel("loss")
        ax.set_ylim(0, ylim)
        ax.legend(fontsize=7 if len(runs) > 1 else 9)
    return draw


def draw_histograms(activation: str) -> Callable[[plt.Figure, list[Result]], None]:
    def draw(fig: plt.Figure, runs: list[Result]) -> None:
        settings = runs[0]["results"]["histograms"][activation]
        rows = len(settings)
        for row, (std, data) in enumerate(settings.items()):
            lo, hi = data["range"]
            for col, layer in enumerate(data["layers"]):
                ax = fig.add_subplot(rows, 5, row * 5 + col + 1)
                edges = np.linspace(lo, hi, len(layer["hist"]) + 1)
                ax.bar(edges[:-1], layer["hist"], width=edges[1] - edges[0], align="edge", color="C0")
                for r in runs[1:]:
                    other = r["results"]["histograms"][activation][std]["layers"][col]["hist"]
                    ax.step(edges, [other[0], *other], where="pre", color=PORT_STYLES.get(r["port"], ("k",))[0], lw=0.9)
                if row == 0:
                    ax.set_title(f"{col + 1}-layer", fontsize=8)
                if col == 0:
                    ax.set_ylabel(f"std {std}", fontsize=8)
                else:
                    ax.set_yticks([])
                ax.tick_params(labelsize=6)
        fig.suptitle(f"activations of 5 layers of 100 ({activation})", fontsize=10)
    return draw


def draw_batch_norm(fig: plt.Figure, runs: list[Result]) -> None:
    for i, run in enumerate(runs[0]["results"]["runs"]):
        ax = fig.add_subplot(4, 4, i + 1)
        for r in runs:
            main = r is runs[0]
            other = r["results"]["runs"][i]
            xs = np.arange(len(other["train_acc"]))
            color = None if main else PORT_STYLES.get(r["port"], ("k",))[0]
            ax.plot(xs, other["bn_train_acc"], color=color or "C0", lw=1.2 if main else 0.8, marker=".", markersize=3,
                    label="Batch Normalization" if main else f"BN ({r['port']})")
            ax.plot(xs, other["train_acc"], linestyle="--", color=color or "C1", lw=1.2 if main else 0.8, marker=".", markersize=3,
                    label="Normal (without BatchNorm)" if main else None)
        ax.set_title(f"W:{run['weight_scale']:.3g}", fontsize=8)
        ax.set_ylim(0, 1.0)
        ax.tick_params(labelsize=6)
        if i % 4:
            ax.set_yticks([])
        if i == 15:
            ax.legend(loc="lower right", fontsize=5)


def draw_overfit(fig: plt.Figure, runs: list[Result]) -> None:
    ax = fig.add_subplot(1, 1, 1)
    for r in runs:
        main = r is runs[0]
        res = r["results"]
        xs = np.arange(len(res["train_acc"]))
        every = max(len(xs) // 20, 1)
        suffix = "" if main else f" ({r['port']})"
        dash = "-" if main else PORT_STYLES.get(r["port"], ("k", "--"))[1]
        ax.plot(xs, res["train_acc"], marker="o" if main else None, markevery=every, linestyle=dash, label="train" + suffix)
        ax.plot(xs, res["test_acc"], marker="s" if main else None, markevery=every, linestyle=dash, label="test" + suffix)
    ax.set_xlabel("epochs")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.0)
    ax.legend(loc="lower right", fontsize=7 if len(runs) > 1 else 9)


def draw_hyperparameters(fig: plt.Figure, runs: list[Result]) -> None:
    trials = runs[0]["results"]["trials"]
    best = sorted(range(len(trials)), key=lambda k: trials[k]["val_acc"][-1], reverse=True)[:20]
    for i, k in enumerate(best):
        ax = fig.add_subplot(4, 5, i + 1)
        for r in runs:
            main = r is runs[0]
            trial = r["results"]["trials"][k]
            xs = np.arange(len(trial["val_acc"]))
            color = None if main else PORT_STYLES.get(r["port"], ("k",))[0]
            ax.plot(xs, trial["val_acc"], color=color or "C0", lw=1.0 if main else 0.7)
            ax.plot(xs, trial["train_acc"], "--", color=color or "C1", lw=1.0 if main else 0.7)
        t = trials[k]
        ax.set_title(f"Best-{i + 1}  lr {t['lr']:.1e}\nwd {t['weight_decay']:.1e}", fontsize=6)
        ax.set_ylim(0.0, 1.0)
        ax.set_xticks([])
        if i % 5:
            ax.set_yticks([])
        ax.tick_params(labelsize=6)


#: experiment -> [(figure name, size in inches, draw)]
DRAW: dict[str, list[tuple[str, tuple[float, float], Callable[[plt.Figure, list[Result]], None]]]] = {
    "optimizer_compare_naive": [("optimizer_compare_naive", (8, 8), draw_naive)],
    "optimizer_compare_mnist": [("optimizer_compare_mnist", (7, 5), draw_losses(1.0, {"SGD": "o", "Momentum": "x", "AdaGrad": "s", "Adam": "D"}))],
    "weight_init_activation_histogram": [(f"weight_init_activation_histogram-{a}", (11, 8), draw_histograms(a))
                                         for a in ("sigmoid", "relu", "tanh")],
    "weight_init_compare": [("weight_init_compare", (7, 5), draw_losses(2.5, {"std=0.01": "o", "Xavier": "s", "He": "D"}))],
    "batch_norm_test": [("batch_norm_test", (10, 9), draw_batch_norm)],
    "overfit_weight_decay": [("overfit_weight_decay", (7, 5), draw_overfit)],
    "overfit_dropout": [("overfit_dropout", (7, 5), draw_overfit)],
    "hyperparameter_optimization": [("hyperparameter_optimization", (11, 9), draw_hyperparameters)],
}


def save(fig: plt.Figure, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print(f"  {path}")


def checked(convert: Callable[[str], Any], accept: Callable[[Any], bool], wanted: str) -> Callable[[str], Any]:
    """An option type: convert(text) when it parses and accept takes it, else argparse's error."""
    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not accept(value):
            raise argparse.ArgumentTypeError(f"must be {wanted} (got {text!r})")
        return value
    return parse


def run_ports(name: str, scale: float, seed: int, names: list[str]) -> list[Path]:
    """bin/experiment NAME in the reference and each named port that has it (all such ports for none)."""
    from harness.ports import load_ports
    ports = load_ports()
    unknown = [n for n in names if n not in ports]
    if unknown:
        fail(f"unknown port {unknown[0]!r} (ports.json has {', '.join(ports)})")
    chosen = [ports[REFERENCE]] + [p for p in ports.values() if p.name != REFERENCE and p.experiment and (not names or p.name in names)]
    paths = []
    for port in chosen:
        if port.experiment is None:
            continue
        out = Path("out/experiments").resolve() / f"{name}-s{scale:g}-k{seed}-{port.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        argv = [*port.experiment_argv(), name, "--scale", repr(scale), "--seed", str(seed), "--out", str(out)]
        print(f"running {port.name}: {' '.join(argv[len(port.experiment_argv()):])}", flush=True)
        if subprocess.run(argv, cwd=port.cwd).returncode != 0:
            fail(f"{port.name}'s bin/experiment {name} failed")
        paths.append(out)
    return paths


def load_params(path: Path) -> Result:
    """A parameters file of a SimpleConvNet (the portable format), with W1 as an array."""
    try:
        record = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"cannot read {path}: {e}")
    try:
        w1 = record["params"]["W1"]
        record["W1"] = np.array([float(v) for v in w1["data"]], dtype=np.float64).reshape(w1["shape"])
        assert record["network"]["kind"] == "simple_conv_net" and record["W1"].ndim == 4
    except (KeyError, TypeError, ValueError, AssertionError):
        fail(f"{path} is not the parameters file of a SimpleConvNet (bin/train --net simple_conv_net --save-params)")
    return record


def initial_filters(network: dict[str, Any], seed: int) -> np.ndarray:
    """W1 as the trainer drew it: the first draws of the generator seeded with `seed`."""
    from dlscratch.networks import SimpleConvNet
    from dlscratch.rng import MRG32k3a
    net = SimpleConvNet(tuple(network["input_dim"]), network["conv_param"], network["hidden_size"], network["output_size"],
                        rng=MRG32k3a(seed))
    return net.params["W1"]


def draw_filter_rows(fig: plt.Figure, rows: list[tuple[str, np.ndarray]], nx: int = 8) -> None:
    """Each W1 as the book's filter_show: channel 0 of every filter in gray_r, nx a row, one titled block a W1."""
    for sub, (title, w1) in zip(np.atleast_1d(fig.subfigures(len(rows), 1)), rows):
        fn = w1.shape[0]
        ny = math.ceil(fn / nx)
        sub.suptitle(title, fontsize=10)
        for i in range(fn):
            ax = sub.add_subplot(ny, nx, i + 1, xticks=[], yticks=[])
            ax.imshow(w1[i, 0], cmap="gray_r", interpolation="nearest")


def filter_figure_size(blocks: int, fn: int, nx: int = 8) -> tuple[float, float]:
    return nx * 0.62, blocks * (math.ceil(fn / nx) * 0.62 + 0.35)


def filter_figures(paths: list[Path], seed: int, out_dir: Path) -> None:
    records = sorted((load_params(p) for p in paths), key=lambda r: (r.get("port") != REFERENCE, str(r.get("port"))))
    before = initial_filters(records[0]["network"], seed)
    fn = before.shape[0]
    for rec in records:
        fig = plt.figure(figsize=filter_figure_size(2, fn))
        draw_filter_rows(fig, [(f"before (seed {seed})", before), (f"after ({rec.get('port', '?')})", rec["W1"])])
        name = "filters" if rec.get("port") == REFERENCE else f"filters-{rec.get('port')}"
        fig.savefig(out_dir / f"{name}.png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        print(f"  {out_dir / f'{name}.png'}")
    if len(records) > 1:
        fig = plt.figure(figsize=filter_figure_size(len(records) + 1, fn))
        draw_filter_rows(fig, [(f"before (seed {seed})", before), *((str(r.get("port")), r["W1"]) for r in records)])
        fig.savefig(out_dir / "filters-ports.png", dpi=90, bbox_inches="tight")
        plt.close(fig)
        print(f"  {out_dir / 'filters-ports.png'}")
        ref = records[0]
        for rec in records[1:]:
            if ref.get("port") == REFERENCE and rec["W1"].shape == ref["W1"].shape:
                d = np.max(np.abs(rec["W1"] - ref["W1"])) / np.max(np.abs(ref["W1"]))
                print(f"  {rec.get('port'):<8} W1's largest difference from python's, relative to its largest entry: {d:.2e}")


FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot"]
EVAL_BATCH = 250


def load_network(path: Path) -> tuple[Result, Any]:
    """A parameters file of any network bin/train saves, as the reference's network."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
    from dlscratch.networks import NETWORKS
    try:
        record = json.loads(path.read_text())
        spec = dict(record["network"])
        kind = spec.pop("kind")
        params = {k: np.array([float(v) for v in a["data"]], dtype=np.float64).reshape(a["shape"])
                  for k, a in record["params"].items()}
        return record, NETWORKS[kind](**spec, params=params)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
        fail(f"{path} is not a parameters file of bin/train --save-params ({e})")


def predictions(network: Any, x: np.ndarray) -> np.ndarray:
    """The test-mode argmax of every image, 100 at a time (misclassified_mnist.py's batches)."""
    return np.concatenate([np.argmax(network.predict(x[i:i + 100]), axis=1) for i in range(0, len(x), 100)])


def port_half_accuracy(port_name: str, path: Path, x: np.ndarray, t: np.ndarray) -> float:
    """model.evaluate with half in a port's runner, EVAL_BATCH images a request: the fraction correct."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared_tests"))
    from harness.jsonio import dumps
    from harness.ports import load_ports
    ports = load_ports()
    if port_name not in ports:
        fail(f"--eval-port {port_name}: not a port of shared_tests/ports.json ({', '.join(ports)})")
    correct = 0
    with ports[port_name].client(timeout=3600) as client:
        for i in range(0, len(x), EVAL_BATCH):
            rid = f"half/{i}"
            answer = client.request(dumps({"id": rid, "op": "model.evaluate", "args": {
                "path": str(path.resolve()), "x": x[i:i + EVAL_BATCH].tolist(), "t": t[i:i + EVAL_BATCH].tolist(),
                "half": True}}), rid)
            if answer.kind != "ok":
                fail(f"{port_name}'s model.evaluate: {answer.describe()}")
            correct += round(answer.body["accuracy"] * len(t[i:i + EVAL_BATCH]))
    return correct / len(x)


def chapter8_figures(paths: list[Path], data_dir: Path, eval_ports: list[str], eval_images: int, out_dir: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
    from dlscratch.datasets import IdxError, load_mnist
    from dlscratch.util import to_float16
    for path in paths:
        record, network = load_network(path)
        flat = record["network"]["kind"] == "two_layer_net"
        try:
            _, (x, t) = load_mnist(data_dir, flatten=flat)
        except IdxError as e:
            fail(str(e))
        port = record.get("port", "?")
        y = predictions(network, x)
        wrong = np.flatnonzero(y != t)
        acc64 = 1 - wrong.size / len(t)
        fig = plt.figure(figsize=(7.5, 7))
        fig.subplots_adjust(left=0, right=1, bottom=0, top=0.93, hspace=0.45, wspace=0.1)
        fig.suptitle(f"misclassified test images ({port}'s {record['network']['kind']}, test accuracy {acc64:.4f})",
                     fontsize=10)
        for k, i in enumerate(wrong[:20]):
            ax = fig.add_subplot(4, 5, k + 1, xticks=[], yticks=[])
            ax.imshow(x[i].reshape(28, 28), cmap="gray_r", interpolation="nearest")
            ax.set_title(f"{FASHION_CLASSES[y[i]]}\n(true: {FASHION_CLASSES[t[i]]})", fontsize=7)
        name = "misclassified" if port == REFERENCE else f"misclassified-{port}"
        save(fig, out_dir / f"{name}.png")
        print(f"  {wrong.size} of {len(t)} test images misclassified")

        half = type(network)(**{k: v for k, v in record["network"].items() if k != "kind"},
                             params={k: to_float16(v) for k, v in network.params.items()})
        x16 = to_float16(x)
        y16 = predictions(half, x16)
        acc16 = float(np.mean(y16 == t))
        result: Result = {"params_file": str(path), "trained_by": port, "network": record["network"],
                          "test_images": int(len(t)), "float64_accuracy": acc64, "binary16_accuracy": acc16,
                          "predictions_changed": int(np.sum(y16 != y)), "ports": {}}
        print(f"  test accuracy of {len(t)} images: float64 {acc64:.4f}, binary16 weights and images {acc16:.4f} "
              f"({result['predictions_changed']} predictions changed)")
        n = min(eval_images, len(t))
        ref_n = float(np.mean(y16[:n] == t[:n]))
        for p in eval_ports:
            got = port_half_accuracy(p, path, x[:n], t[:n])    # the port rounds the images itself
            result["ports"][p] = {"images": n, "binary16_accuracy": got, "reference_on_these": ref_n}
            print(f"  {p:<8} binary16 accuracy on the first {n} images {got:.4f} (python {ref_n:.4f})")
        (out_dir / "half-precision.json").write_text(json.dumps(result, indent=1) + "\n")
        fig, ax = plt.subplots(figsize=(5, 3.2))
        bars = ax.bar(["float64", "binary16"], [acc64, acc16], color=["C0", "C1"], width=0.5)
        ax.bar_label(bars, labels=[f"{acc64:.4f}", f"{acc16:.4f}"])
        ax.set_ylim(min(acc64, acc16) - 0.05, 1)
        ax.set_ylabel(f"test accuracy ({len(t)} images)")
        ax.set_title(f"{record['network']['kind']}: weights and images in half precision", fontsize=10)
        save(fig, out_dir / "half-precision.png")
        print(f"  {out_dir / 'half-precision.json'}")


def is_params_file(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as fh:
            return '"dlscratch-params"' in fh.read(200)
    except OSError:
        return False


def network_kind(path: Path) -> str | None:
    """The "kind" of a parameters file's network, read from its first bytes."""
    with open(path, encoding="utf-8") as fh:
        head = fh.read(400)
    for kind in ("deep_conv_net", "simple_conv_net", "two_layer_net"):
        if f'"kind": "{kind}"' in head or f'"kind":"{kind}"' in head:
            return kind
    return None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="scripts/figures", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("results", metavar="RESULT.json", nargs="*", type=Path,
                   help="results of bin/experiment, or parameters files of bin/train --net simple_conv_net --save-params")
    p.add_argument("--run", metavar="NAME", choices=list(DRAW), help="run this experiment in the ports first")
    p.add_argument("--scale", metavar="S", type=checked(float, lambda v: 0 < v <= 1, "a number in 0 < S <= 1"), default=1.0,
                   help="with --run: the experiments' --scale")
    p.add_argument("--seed", metavar="K", type=checked(int, lambda v: 0 <= v < 2**31, "a whole number in 0 <= K < 2^31"), default=0,
                   help="with --run: the experiments' --seed; with a parameters file: the seed its trainer drew the filters from")
    p.add_argument("--port", metavar="P", action="append", default=[], help="with --run: a port besides the reference (repeatable; default: every port with an experiment)")
    p.add_argument("--chapter8", action="store_true",
                   help="draw chapter 8's figures from every parameters file given, whatever its network")
    p.add_argument("--data-dir", metavar="DIR", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                   help="the test images of chapter 8's figures")
    p.add_argument("--eval-port", metavar="P", action="append", default=[],
                   help="chapter 8: evaluate the binary16 network in this port's runner too (repeatable)")
    p.add_argument("--eval-images", metavar="N", type=checked(int, lambda v: v >= 1, "a whole number >= 1"), default=1000,
                   help="chapter 8: test images each --eval-port evaluates")
    p.add_argument("--out-dir", metavar="DIR", type=Path, default=Path("out/figures"), help="where the PNGs go (the gallery is docs/figures)")
    p.error = lambda message: fail(message)  # type: ignore[method-assign]
    args = p.parse_args(argv)
    if args.run:
        args.results = [*args.results, *run_ports(args.run, args.scale, args.seed, args.port)]
    if not args.results:
        fail("no results: give RESULT.json files or --run NAME")
    params = [path for path in args.results if is_params_file(path)]
    args.results = [path for path in args.results if path not in params]
    args.out_dir.mkdir(parents=True, exist_ok=True)
    deep = [path for path in params if args.chapter8 or network_kind(path) == "deep_conv_net"]
    params = [path for path in params if path not in deep]
    if params:
        print("filters (figure 7-24):")
        filter_figures(params, args.seed, args.out_dir)
    if deep:
        print("misclassified images (figure 8-6) and half precision:")
        chapter8_figures(deep, args.data_dir, args.eval_port, args.eval_images, args.out_dir)
    groups: dict[tuple[str, str], list[Result]] = defaultdict(list)
    for path in args.results:
        record = load(path)
        groups[(record["experiment"], json.dumps({k: v for k, v in record.get("options", {}).items() if k != "data_dir"},
                                                 sort_keys=True))].append(record)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for (experiment, options), runs in groups.items():
        runs.sort(key=lambda r: (r["port"] != REFERENCE, r["port"]))
        print(f"{experiment} {options}: {', '.join(r['port'] for r in runs)}")
        for name, size, draw in DRAW[experiment]:
            if runs[0]["port"] == REFERENCE:
                fig = plt.figure(figsize=size)
                draw(fig, runs[:1])
                save(fig, args.out_dir / f"{name}.png")
            if len(runs) > 1:
                fig = plt.figure(figsize=size)
                draw(fig, runs)
                save(fig, args.out_dir / f"{name}-ports.png")
        if runs[0]["port"] == REFERENCE:
            for r in runs[1:]:
                print(f"  {r['port']:<8} largest relative difference from python: {largest_relative_difference(r, runs[0]):.2e}"
                      f"  ({r.get('seconds', float('nan')):.1f} s; python {runs[0].get('seconds', float('nan')):.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
