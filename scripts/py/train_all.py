"""scripts/train: train TwoLayerNet in every port with the same seed and options, overlay the loss
curves in one PNG, and tabulate accuracy, wall time and the agreement with the reference."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _paths import ROOT
from harness.ports import Port, load_ports, select_ports

REFERENCE = "python"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/train",
        description="Train the book's TwoLayerNet with every port's bin/train on the same data, seed and options; "
        "write one PNG with every loss curve and print a table of accuracy, wall time and the largest relative "
        "difference of each loss history from the Python reference's.",
    )
    p.add_argument("--all", action="store_true", help="every port present in this checkout (the default when no --port)")
    p.add_argument("--port", action="append", help="a port of shared_tests/ports.json (repeatable)")
    p.add_argument("--iters", type=int, default=1000, help="iterations for every port (default: %(default)s)")
    p.add_argument("--iters-for", action="append", default=[], metavar="PORT=N",
                   help="fewer iterations for a slow port; histories are compared over the common prefix")
    p.add_argument("--train-size", type=int, default=None,
                   help="first N training images (default: all 60000). Accuracy is measured once an epoch "
                        "(train_size / batch_size iterations), so a smaller set gives more accuracy points in a short run")
    p.add_argument("--test-size", type=int, default=None, help="first N test images (default: all 10000)")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--hidden", type=int, default=50)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--optimizer", default="sgd")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-dir", default=None, help="IDX directory (default: the trainers' default, Fashion-MNIST)")
    p.add_argument("--out-dir", type=Path, default=ROOT / "out" / "train", help="histories, PNG and table (default: out/train)")
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed per port (default: %(default)s)")
    return p


def trainer_args(args: argparse.Namespace, iters: int, out: Path) -> list[str]:
    argv = ["--iters", str(iters), "--batch-size", str(args.batch_size), "--hidden", str(args.hidden),
            "--lr", repr(args.lr), "--optimizer", args.optimizer, "--seed", str(args.seed), "--quiet", "--out", str(out)]
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
    ref = records.get(REFERENCE)
    for k, (name, rec) in enumerate(records.items()):
        losses = rec["loss_history"]
        style = styles[k % len(styles)]
        ax.plot(range(len(losses)), losses, linestyle=style, lw=1.2 if name == REFERENCE else 1.0,
                alpha=0.9, label=f"{name} ({len(losses)} iters)")
        if ref is not None and name != REFERENCE:
            n = min(len(losses), len(ref["loss_history"]))
            got, want = np.array(losses[:n]), np.array(ref["loss_history"][:n])
            rel = np.abs(got - want) / np.abs(want)
            ax_diff.plot(range(n), np.maximum(rel, 1e-18), linestyle=style, lw=0.8, label=name)
    ax.set_ylabel("loss on the batch")
    ax.set_title(title)
    ax.legend()
    ax_diff.set_yscale("log")
    ax_diff.set_ylim(1e-18, 1e-5)
    ax_diff.axhline(1e-6, color="red", lw=0.8, linestyle="--")
    ax_diff.text(0, 1.3e-6, "rtol 1e-6", color="red", fontsize=8)
    ax_diff.set_ylabel("|loss - python| / python")
    ax_diff.set_xlabel("iteration")
    if len(records) > 1:
        ax_diff.legend(fontsize=8, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    ports = [p for p in select_ports(load_ports(), args.port) if p.present and p.train_file and p.train_file.is_file()]
    overrides = {}
    for item in args.iters_for:
        name, _, n = item.partition("=")
        overrides[name] = int(n)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    records: dict[str, dict] = {}
    rows = []
    for port in ports:
        iters = overrides.get(port.name, args.iters)
        out = args.out_dir / f"train-{port.name}.json"
        print(f"== {port.name}: {iters} iterations", flush=True)
        record, seconds, error = run_port(port, trainer_args(args, iters, out), args.timeout)
        if record is None:
            print(f"  [{port.name}] FAILED: {error}", flush=True)
            rows.append({"port": port.name, "error": error, "seconds": seconds})
            continue
        records[port.name] = record
        rows.append({
            "port": port.name,
            "iters": len(record["loss_history"]),
            "train_acc": record["train_acc"][-1] if record.get("train_acc") else None,
            "test_acc": record["test_acc"][-1] if record.get("test_acc") else None,
            "seconds": seconds,
            "ms_per_iter": 1000 * seconds / max(len(record["loss_history"]), 1),
        })
    iter_per_epoch = max((args.train_size or 60000) // args.batch_size, 1)
    for row in rows:
        rec = records.get(row["port"])
        if rec and rec.get("train_acc"):
            row["acc_after_iter"] = (len(rec["train_acc"]) - 1) * iter_per_epoch
    ref = records.get(REFERENCE)
    for row in rows:
        if ref is not None and row["port"] in records:
            row["max_rel_diff"] = max_rel_diff(records[row["port"]]["loss_history"], ref["loss_history"])
    png = args.out_dir / "loss-curves.png"
    if records:
        data = "Fashion-MNIST" if not args.data_dir else Path(args.data_dir).name
        plot(png, records, f"TwoLayerNet on {data}, seed {args.seed}, {args.optimizer} lr {args.lr}")
    print()
    header = (f"{'port':<9} {'iters':>6} {'train acc':>9} {'test acc':>9} {'(after iter)':>12} {'wall s':>8} {'ms/iter':>8} "
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
        print(f"{row['port']:<9} {row['iters']:>6} {fmt(row['train_acc'], '9.4f')} {fmt(row['test_acc'], '9.4f')} "
              f"{fmt(row.get('acc_after_iter'), '>12d')} "
              f"{row['seconds']:>8.1f} {row['ms_per_iter']:>8.2f} {('%.2e' % diff) if diff is not None else '-':>23}")
        if diff is not None and not diff <= 1e-6:
            failed = True
    (args.out_dir / "table.json").write_text(json.dumps(rows, indent=1) + "\n")
    if records:
        print(f"\nloss curves: {png}\ntable: {args.out_dir / 'table.json'}")
    if failed:
        print("some port failed or its history differs from the reference's by more than rtol 1e-6", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
