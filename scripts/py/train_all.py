"""scripts/train: train TwoLayerNet (or with --net simple_conv_net the book's SimpleConvNet) in every
port with the same seed and options, overlay the loss curves in one PNG, and tabulate accuracy, wall
time and the agreement with the reference."""

from __future__ import annotations

import argparse
import json
from argparse import ArgumentTypeError
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from harness import REPO_ROOT as ROOT
from dlscratch.cli import OneLineParser, fail, finite_float, positive_int, seed
from dlscratch.optimizers import OPTIMIZERS
from dlscratch.train import NET_DEFAULTS
from harness.ports import Port, load_ports, select_ports

REFERENCE = "python"
#: The run of each network when no length is given: 1000 iterations of TwoLayerNet, one epoch of
#: SimpleConvNet (its Trainer's other settings are bin/train's, README section 8).
LENGTH = {"two_layer_net": ("iters", 1000), "simple_conv_net": ("epochs", 1), "deep_conv_net": ("epochs", 1)}
TITLES = {"two_layer_net": "TwoLayerNet", "simple_conv_net": "SimpleConvNet", "deep_conv_net": "DeepConvNet"}


def build_parser() -> OneLineParser:
    p = OneLineParser(
        "scripts/train",
        "Train the book's TwoLayerNet (or SimpleConvNet, or DeepConvNet) with every port's bin/train on the same data, seed "
        "and options; write one PNG with every loss curve and print a table of the final accuracy (after the "
        "last iteration), wall time and the largest relative difference of each loss history from the "
        "Python reference's; with --net simple_conv_net each port's trained parameters go to OUT_DIR/params-PORT.json.",
    )
    p.add_argument("--all", action="store_true", help="every port present in this checkout (the default when no --port)")
    p.add_argument("--port", action="append", metavar="NAME",
                   help="a port of shared_tests/ports.json, repeatable (default: every present port)")
    p.add_argument("--net", metavar="NAME", choices=list(NET_DEFAULTS), default="two_layer_net",
                   help="two_layer_net, simple_conv_net or deep_conv_net (these two with the Trainer of train_convnet.py and train_deepnet.py)")
    p.add_argument("--iters", metavar="N", type=positive_int, default=None,
                   help="iterations for every port (two_layer_net only; default: 1000)")
    p.add_argument("--iters-for", action="append", default=[], metavar="PORT=N",
                   help="fewer iterations for a slow port, repeatable; histories are compared over the common prefix")
    p.add_argument("--epochs", metavar="N", type=positive_int, default=None,
                   help="epochs of the Trainer for every port (the Trainer's nets only; default: 1)")
    p.add_argument("--epochs-for", action="append", default=[], metavar="PORT=N",
                   help="fewer epochs for a slow port, repeatable (the Trainer's nets only; a prefix of the same run)")
    p.add_argument("--evaluate-samples", metavar="N", type=positive_int, default=None,
                   help="train and test images evaluated each epoch (the Trainer's nets only; default: 1000)")
    p.add_argument("--train-size", metavar="N", type=positive_int, default=None,
                   help="first N training images (default: all 60000); accuracy is measured once an epoch "
                        "(train_size / batch_size iterations), so a smaller set gives more accuracy points")
    p.add_argument("--test-size", metavar="N", type=positive_int, default=None, help="first N test images (default: all 10000)")
    p.add_argument("--batch-size", metavar="N", type=positive_int, default=None, help="images per batch (default: 100)")
    p.add_argument("--hidden", metavar="N", type=positive_int, default=None,
                   help="hidden units (default: 50; 100 for simple_conv_net)")
    p.add_argument("--lr", metavar="X", type=finite_float, default=None,
                   help="learning rate (default: 0.1; 0.001 for simple_conv_net)")
    p.add_argument("--optimizer", metavar="NAME", choices=list(OPTIMIZERS), default=None,
                   help="sgd, momentum, nesterov, adagrad, rmsprop or adam (default: sgd; adam for simple_conv_net)")
    p.add_argument("--seed", metavar="K", type=seed, default=0, help="seeds every port's generator")
    p.add_argument("--data-dir", metavar="DIR", default=None, help="IDX directory (default: the trainers' default, Fashion-MNIST)")
    p.add_argument("--out-dir", metavar="DIR", type=Path, default=ROOT / "out" / "train", help="histories, PNG and table")
    p.add_argument("--timeout", metavar="S", type=finite_float, default=3600, help="seconds allowed per port")
    p.add_argument("--no-setup", action="store_true", help="do not run scripts/setup first")
    return p


def iters_overrides(parser: OneLineParser, items: list[str], ports: dict[str, Port], flag: str = "--iters-for") -> dict[str, int]:
    """--iters-for (or --epochs-for) PORT=N, each checked: a known port and a whole number >= 1."""
    out = {}
    for item in items:
        name, eq, n = item.partition("=")
        if not eq or name not in ports:
            fail(parser.prog, f"{flag} {item!r}: expected PORT=N with PORT one of {', '.join(ports)}")
        try:
            out[name] = positive_int(n)
        except ArgumentTypeError as e:
            fail(parser.prog, f"{flag} {item!r}: N {e}")
    return out


def resolve(parser: OneLineParser, args: argparse.Namespace) -> None:
    """The network's defaults for the options not given; an option of the other network is a usage error."""
    other = {"two_layer_net": ("epochs", "epochs_for", "evaluate_samples"), "simple_conv_net": ("iters", "iters_for"),
             "deep_conv_net": ("iters", "iters_for")}
    for option in other[args.net]:
        if getattr(args, option):
            parser.error(f"--{option.replace('_', '-')} does not apply to --net {args.net}")
    length, default = LENGTH[args.net]
    setattr(args, length, getattr(args, length) or default)
    for option in ("batch_size", "hidden", "lr", "optimizer", "evaluate_samples"):
        if getattr(args, option) is None:
            setattr(args, option, NET_DEFAULTS[args.net][option])


def trainer_args(args: argparse.Namespace, length: int, out: Path) -> list[str]:
    """A port's bin/train command line: `length` iterations (TwoLayerNet) or epochs (SimpleConvNet)."""
    flag = "--iters" if args.net == "two_layer_net" else "--epochs"
    argv = ["--net", args.net, flag, str(length), "--batch-size", str(args.batch_size), "--hidden", str(args.hidden),
            "--lr", repr(args.lr), "--optimizer", args.optimizer, "--seed", str(args.seed), "--quiet", "--out", str(out)]
    if args.net != "two_layer_net":
        argv += ["--evaluate-samples", str(args.evaluate_samples),
                 "--save-params", str(out.with_name("params-" + out.name.split("-", 1)[1]))]
    if args.train_size:
        argv += ["--train-size", str(args.train_size)]
    if args.test_size:
        argv += ["--test-size", str(args.test_size)]
    if args.data_dir:
        argv += ["--data-dir", args.data_dir]
    return argv


def run_port(port: Port, argv: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run one trainer, echoing its epoch lines; (history record or None, wall seconds, error text)."""
    cmd = port.train_argv() + argv
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=port.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith(("epoch", "final")):
                print(f"  [{port.name}] {line.rstrip()}", flush=True)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return None, time.perf_counter() - start, f"timed out after {timeout:.0f} s"
    seconds = time.perf_counter() - start
    stderr = proc.stderr.read() if proc.stderr else ""
    if proc.returncode != 0:
        return None, seconds, f"exit {proc.returncode}: {stderr.strip()[-500:]}"
    out = Path(argv[argv.index("--out") + 1])
    try:
        return json.loads(out.read_text()), seconds, ""
    except (OSError, ValueError) as e:
        return None, seconds, f"no readable history: {e}"


def max_rel_diff(a: list[float], b: list[float]) -> float:
    n = min(len(a), len(b))
    if n == 0:
        return float("nan")
    x, y = np.array(a[:n], dtype=float), np.array(b[:n], dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300)))


def plot(path: Path, records: dict[str, dict], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax_diff) = plt.subplots(2, 1, figsize=(9, 7), height_ratios=(3, 2), sharex=True)
    styles = ["-", "--", "-.", ":", (0, (5, 1))]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    ref = records.get(REFERENCE)
    for k, (name, rec) in enumerate(records.items()):
        losses = rec["loss_history"]
        # One colour and line style per port, the same in both panels.
        style, colour = styles[k % len(styles)], colours[k % len(colours)]
        ax.plot(range(len(losses)), losses, linestyle=style, color=colour, lw=1.2 if name == REFERENCE else 1.0,
                alpha=0.9, label=f"{name} ({len(losses)} iters)")
        if ref is not None and name != REFERENCE:
            n = min(len(losses), len(ref["loss_history"]))
            got, want = np.array(losses[:n]), np.array(ref["loss_history"][:n])
            rel = np.abs(got - want) / np.abs(want)
            ax_diff.plot(range(n), np.maximum(rel, 1e-18), linestyle=style, color=colour, lw=0.8, label=name)
    ax.set_ylabel("loss on the batch")
    ax.set_title(title)
    ax.legend()
    ax_diff.set_yscale("log")
    ax_diff.set_ylim(1e-18, 1e-5)
    ax_diff.axhline(1e-6, color="black", lw=0.8, linestyle=(0, (1, 3)))
    ax_diff.text(0, 1.3e-6, "rtol 1e-6", color="black", fontsize=8)
    ax_diff.set_ylabel("|loss - python| / python")
    ax_diff.set_xlabel("iteration")
    if len(records) > 1:
        ax_diff.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    all_ports = load_ports()
    try:
        selected = select_ports(all_ports, args.port)
    except KeyError as e:
        fail(parser.prog, e.args[0])
    resolve(parser, args)
    conv = args.net != "two_layer_net"
    overrides = iters_overrides(parser, args.epochs_for, all_ports, "--epochs-for") if conv else \
        iters_overrides(parser, args.iters_for, all_ports)
    ports = [p for p in selected if p.present and p.train_file and p.train_file.is_file()]
    args.out_dir = args.out_dir.resolve()          # every trainer runs in its own port's directory
    args.out_dir.mkdir(parents=True, exist_ok=True)
    prefix = {"two_layer_net": "train", "simple_conv_net": "conv", "deep_conv_net": "deep"}[args.net]
    records: dict[str, dict] = {}
    rows = []
    for port in ports:
        length = overrides.get(port.name, args.epochs if conv else args.iters)
        out = args.out_dir / f"{prefix}-{port.name}.json"
        print(f"== {port.name}: {TITLES[args.net]}, {length} {'epochs' if conv else 'iterations'}", flush=True)
        record, seconds, error = run_port(port, trainer_args(args, length, out), args.timeout)
        if record is None:
            print(f"  [{port.name}] FAILED: {error}", flush=True)
            rows.append({"port": port.name, "error": error, "seconds": seconds})
            continue
        records[port.name] = record
        rows.append({
            "port": port.name,
            "iters": len(record["loss_history"]),
            "final_train_acc": record.get("final_train_acc"),
            "final_test_acc": record.get("final_test_acc"),
            "final_iter": record.get("final_iter"),
            "seconds": seconds,
            "ms_per_iter": 1000 * seconds / max(len(record["loss_history"]), 1),
        })
    ref = records.get(REFERENCE)
    for row in rows:
        if ref is not None and row["port"] in records:
            row["max_rel_diff"] = max_rel_diff(records[row["port"]]["loss_history"], ref["loss_history"])
    png = args.out_dir / ("loss-curves.png" if prefix == "train" else f"{prefix}-loss-curves.png")
    if records:
        data = "Fashion-MNIST" if not args.data_dir else Path(args.data_dir).name
        plot(png, records, f"{TITLES[args.net]} on {data}, seed {args.seed}, {args.optimizer} lr {args.lr}")
    print()
    header = (f"{'port':<9} {'iters':>6} {'final train acc':>15} {'final test acc':>14} {'wall s':>8} {'ms/iter':>8} "
              f"{'max rel diff vs python':>23}")
    print(header)
    print("-" * len(header))
    failed = False
    for row in rows:
        if "error" in row:
            failed = True
            print(f"{row['port']:<9} FAILED after {row['seconds']:.1f} s: {row['error']}")
            continue
        fmt = lambda v, spec: format(v, spec) if v is not None else "-"  # noqa: E731
        diff = row.get("max_rel_diff")
        print(f"{row['port']:<9} {row['iters']:>6} {fmt(row['final_train_acc'], '15.4f')} {fmt(row['final_test_acc'], '14.4f')} "
              f"{row['seconds']:>8.1f} {row['ms_per_iter']:>8.2f} {('%.2e' % diff) if diff is not None else '-':>23}")
        if diff is not None and not diff <= 1e-6:
            failed = True
    print("(the final accuracies are measured after each port's last iteration, on the train and test sets used"
          + ("; SimpleConvNet's train accuracy on the first --evaluate-samples training images)" if conv else ")"))
    table = args.out_dir / ("table.json" if prefix == "train" else f"{prefix}-table.json")
    table.write_text(json.dumps(rows, indent=1) + "\n")
    if records:
        print(f"\nloss curves: {png}\ntable: {table}")
        if conv:
            print(f"parameters: {args.out_dir}/params-PORT.json (scripts/figures draws their filters)")
    if failed:
        print("some port failed or its history differs from the reference's by more than rtol 1e-6", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
