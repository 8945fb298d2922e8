"""scripts/bench: the book's TwoLayerNet training step and its SimpleConvNet step in every port beside
the reference, plain numpy and (with --with-torch) PyTorch, the same work in every row
(shared_tests/README.md section 9); ratios to the reference and the targets they meet, page faults,
runner start-up and conformance wall time; bar charts and a JSON. --scaling: how each port's time grows."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from harness import REPO_ROOT as ROOT
from dlscratch.cli import OneLineParser, fail, finite_float, positive_int
from harness.ports import Port, load_ports, select_ports

INPUT, OUTPUT = 784, 10



NETS = ("two_layer_net", "simple_conv_net", "deep_conv_net")
TITLES = {"two_layer_net": "TwoLayerNet", "simple_conv_net": "SimpleConvNet", "deep_conv_net": "DeepConvNet"}
#: The conv step is about 45 times the MLP's work, the deep step 10 times the conv step's: a
#: tenth and a hundredth of --steps per repeat (at least 1).
STEP_DIVISOR = {"two_layer_net": 1, "simple_conv_net": 10, "deep_conv_net": 100}
DEFAULT_HIDDEN = {"two_layer_net": 50, "simple_conv_net": 100, "deep_conv_net": 50}
CHARTS = {"two_layer_net": "bench.png", "simple_conv_net": "bench-conv.png", "deep_conv_net": "bench-deep.png"}
#: The steps that scripts/py/bench_steps.py also writes in plain numpy and PyTorch.
BASELINE_NETS = ("two_layer_net", "simple_conv_net")


def size_args(hidden: int, batch: int, net: str = "two_layer_net") -> list[str]:
    return ["--net", net, "--hidden", str(hidden), "--batch", str(batch)]


def last_json(stdout: str) -> dict | None:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "ms_per_step" in rec:
                return rec
    return None


def run_json(cmd: list[str], cwd: Path, timeout: float) -> dict:
    """Run one benchmark command and read its last JSON line ({"ms_per_step": ...})."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    except OSError as e:
        return {"error": str(e)}
    rec = last_json(proc.stdout)
    if rec is None:
        tail = (proc.stderr.strip().splitlines() or [""])[-1][:200]
        return {"error": f"exit {proc.returncode}, no JSON with ms_per_step: {tail}"}
    return rec


def baseline(impl: str, python: Path, repeats: int, steps: int, hidden: int, batch: int, timeout: float,
             net: str = "two_layer_net") -> dict:
    """A baseline row (plain numpy or PyTorch) in its own process, like every port's."""
    cmd = [str(python), str(ROOT / "scripts" / "py" / "bench_steps.py"), "--impl", impl, "--repeats", str(repeats),
           "--steps", str(steps), *size_args(hidden, batch, net), "--json"]
    return run_json(cmd, ROOT, timeout)


TORCH_VENV = ROOT / ".venv-torch"
TORCH_PIN = "torch==2.13.0+cpu"


def torch_python(install: bool) -> tuple[Path | None, str]:
    """The Python of the optional PyTorch venv (.venv-torch), installed when asked; or why not."""
    py = TORCH_VENV / "bin" / "python"
    if py.exists() and subprocess.run([str(py), "-c", "import torch, numpy, dlscratch"], capture_output=True).returncode == 0:
        return py, ""
    if not install:
        return None, "torch absent (scripts/bench --with-torch installs it into .venv-torch)"
    print(f"== installing {TORCH_PIN} into {TORCH_VENV.name} (the CPU build)", flush=True)
    steps = [[sys.executable, "-m", "venv", str(TORCH_VENV)],
             [str(py), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), TORCH_PIN, "numpy",
              "-e", str(ROOT / "python")]]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            return None, f"torch could not be installed: {(proc.stderr.strip().splitlines() or [''])[-1][:200]}"
    return py, ""


def port_bench(port: Port, repeats: int, steps: int, hidden: int, batch: int, timeout: float,
               net: str = "two_layer_net") -> dict:
    """Run the port's bench (ports.json "bench") with --json at these sizes and read its last JSON line."""
    if not port.bench or not port.bench_file or not port.bench_file.is_file():
        return {"error": "no bench in ports.json or its file does not exist"}
    cmd = [*port.bench_argv(), "--no-reference", "--repeats", str(repeats), "--steps", str(steps),
           *size_args(hidden, batch, net), "--json"]
    return run_json(cmd, port.cwd, timeout)


def startup_ms(port: Port, repeats: int) -> float:
    """Median time from starting the runner to its answer to one small request and its exit."""
    request = '{"id": "s", "op": "gate.and", "args": {"x1": 1, "x2": 1}}\n'
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(list(port.argv), cwd=port.cwd, input=request, capture_output=True, text=True, timeout=120)
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def conformance_seconds(port: Port) -> float:
    start = time.perf_counter()
    subprocess.run([str(ROOT / "scripts" / "conformance"), "--no-setup", "--port", port.name, "--json"],
                   cwd=ROOT, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - start


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    return (f"{cpu or platform.processor()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"numpy {np.__version__}, OPENBLAS_NUM_THREADS={threads}")


def chart(path: Path, rows: list[dict], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in rows if r.get("ms_per_step")]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(rows) + 1.5))
    names = [r["name"] for r in rows]
    values = [r["ms_per_step"] for r in rows]
    bars = ax.barh(names, values, color=["#888" if r["name"] == "numpy (plain)" else "#3b7dd8" for r in rows])
    ax.set_xscale("log")
    ax.invert_yaxis()
    for bar, r in zip(bars, rows):
        ax.text(bar.get_width() * 1.05, bar.get_y() + bar.get_height() / 2, f"{r['ms_per_step']:.3g} ms  ({r['ratio']:.3g}x)",
                va="center", fontsize=9)
    ax.set_xlabel("ms per training step (log scale)")
    ax.set_title(title, fontsize=10)
    ax.set_xlim(right=max(values) * 20)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# Ratios to the reference measured in the same run (issue targets; README "Benchmarks").
TARGETS = {"numpy (plain)": ("reference <= 1.0x this", 1.0), "pytorch (autograd)": ("reference <= 0.75x this", 0.75),
           "haskell": ("<= 1.2x", 1.2), "ruby": ("<= 3x", 3.0), "luajit": ("<= 8x", 8.0), "lua": ("<= 150x", 150.0)}


def flops(hidden: int, batch: int, net: str = "two_layer_net") -> int:
    """Multiply-adds of the step's matrix products, 2 flops each: per Affine the forward x·W and
    the backward xᵀ·dout and dout·Wᵀ (dx1 included); the convolution's col·W_colᵀ, doutᵀ·col and
    dout·W_col (30 filters of 5 x 5 over 24 x 24 windows, pooled to 30·12·12 = 4320 inputs)."""
    if net == "two_layer_net":
        return 3 * 2 * batch * (INPUT * hidden + hidden * OUTPUT)
    if net == "deep_conv_net":
        from dlscratch.bench import deep_conv_macs     # README section 9: the six convolutions and two Affines
        return 3 * 2 * batch * deep_conv_macs(hidden)
    return 3 * 2 * batch * (24 * 24 * 30 * 25 + 4320 * hidden + hidden * OUTPUT)


def target_text(row: dict, ref_ms: float | None) -> str:
    if row["name"] not in TARGETS or not row.get("ms_per_step") or not ref_ms:
        return ""
    text, limit = TARGETS[row["name"]]
    if row["name"] in ("numpy (plain)", "pytorch (autograd)"):
        ok = ref_ms <= limit * row["ms_per_step"]
    else:
        ok = row["ms_per_step"] <= limit * ref_ms
    return f"{text}: {'met' if ok else 'NOT met'}"


def measure(ports: list[Port], torch_py: Path | None, args: argparse.Namespace, hidden: int, batch: int,
            repeats: int, steps: int, net: str = "two_layer_net") -> list[dict]:
    rows = []
    for impl, py in (("numpy", Path(sys.executable)), ("torch", torch_py)):
        if py is None or net not in BASELINE_NETS:
            continue
        rec = baseline(impl, py, repeats, steps, hidden, batch, args.timeout, net)
        rows.append({"name": "numpy (plain)" if impl == "numpy" else "pytorch (autograd)", **rec})
    for port in ports:
        print(f"== {port.name}: {TITLES[net]} training step {shape_text(net, hidden)}, batch {batch}", flush=True)
        rows.append({"name": port.name, **port_bench(port, repeats, steps, hidden, batch, args.timeout, net)})
    return rows


def shape_text(net: str, hidden: int) -> str:
    if net == "deep_conv_net":
        return f"1x28x28, 6 conv 3x3 (16-16-32-32-64-64), 3 pool 2x2, {hidden}-{OUTPUT}"
    return f"{INPUT}-{hidden}-{OUTPUT}" if net == "two_layer_net" else f"1x28x28, conv 30x5x5, pool 2x2, {hidden}-{OUTPUT}"


def print_table(net: str, rows: list[dict], hidden: int, batch: int, repeats: int, steps: int) -> None:
    print(f"\n{TITLES[net]} step, {shape_text(net, hidden)}, batch {batch}, float64: forward, loss, the whole backward "
          f"(dx1 included), SGD; the same inputs and work in every row, wall clock, median of {repeats} x {steps} steps\n"
          f"{machine()}\n")
    header = (f"{'port':<19} {'ms/step':>9} {'x python':>9} {'x numpy':>8} {'GFLOP/s':>8} {'faults/step':>11} "
              f"{'start-up ms':>12} {'conformance s':>14}  target")
    print(header)
    print("-" * len(header))
    for r in rows:
        if not r.get("ms_per_step"):
            print(f"{r['name']:<19} {'-':>9}  ({r.get('error')})")
            continue
        startup = f"{r['startup_ms']:.0f}" if "startup_ms" in r else "-"
        conf = f"{r['conformance_s']:.1f}" if "conformance_s" in r else "-"
        faults = f"{r['page_faults_per_step']:.1f}" if r.get("page_faults_per_step") is not None else "-"
        ratio = f"{r['ratio']:.2f}" if r.get("ratio") else "-"
        to_numpy = f"{r['ratio_numpy']:.2f}" if r.get("ratio_numpy") else "-"
        print(f"{r['name']:<19} {r['ms_per_step']:>9.3f} {ratio:>9} {to_numpy:>8} {r['gflops']:>8.2f} {faults:>11} "
              f"{startup:>12} {conf:>14}  {r['target']}")


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser("scripts/bench", " ".join(__doc__.strip().splitlines()[:2]))
    p.add_argument("--port", action="append", metavar="NAME", help="only these ports, repeatable (default: every present port)")
    p.add_argument("--net", metavar="NAME", choices=[*NETS, "all"], default="all",
                   help="the step timed: two_layer_net, simple_conv_net, deep_conv_net or all")
    p.add_argument("--repeats", metavar="N", type=positive_int, default=7, help="timed repeats per row; the median is reported")
    p.add_argument("--steps", metavar="N", type=positive_int, default=50,
                   help="steps per repeat (default: 50; the SimpleConvNet step a 10th of it, the DeepConvNet step a "
                        "100th, at least 1)")
    p.add_argument("--hidden", metavar="N", type=positive_int, default=None,
                   help="hidden units (default: 50; 100 for SimpleConvNet)")
    p.add_argument("--batch", metavar="N", type=positive_int, default=100, help="images per batch")
    p.add_argument("--with-torch", action="store_true",
                   help=f"add a PyTorch row ({TORCH_PIN}, installed into .venv-torch when missing)")
    p.add_argument("--scaling", action="store_true",
                   help="instead: each port's TwoLayerNet ms/step for hidden 50 to 800 and batch 100 to 1000 (3 repeats of 3 steps)")
    p.add_argument("--no-conformance", action="store_true", help="skip timing the full conformance run per port")
    p.add_argument("--timeout", metavar="S", type=finite_float, default=900, help="seconds allowed per row")
    p.add_argument("--out-dir", metavar="DIR", type=Path, default=ROOT / "out" / "bench", help="charts and JSON")
    p.add_argument("--no-setup", action="store_true", help="do not run scripts/setup first")
    args = p.parse_args(argv)
    try:
        ports = [port for port in select_ports(load_ports(), args.port) if port.present]
    except KeyError as e:
        fail(p.prog, e.args[0])
    if "python" not in [port.name for port in ports]:
        ports.insert(0, load_ports()["python"])
    args.out_dir.mkdir(parents=True, exist_ok=True)
    torch_py, torch_note = torch_python(args.with_torch)
    if args.scaling:
        args.hidden = args.hidden or 50
        return scaling(ports, torch_py, args)

    tables: dict[str, dict] = {}
    for net in (NETS if args.net == "all" else (args.net,)):
        hidden = args.hidden or DEFAULT_HIDDEN[net]
        steps = max(1, args.steps // STEP_DIVISOR[net])
        rows = measure(ports, torch_py, args, hidden, args.batch, args.repeats, steps, net)
        ref = next((r["ms_per_step"] for r in rows if r["name"] == "python" and r.get("ms_per_step")), None)
        plain = next((r["ms_per_step"] for r in rows if r["name"] == "numpy (plain)" and r.get("ms_per_step")), None)
        for r in rows:
            if r.get("ms_per_step"):
                r["ratio"] = r["ms_per_step"] / ref if ref else None
                r["ratio_numpy"] = r["ms_per_step"] / plain if plain else None
                r["gflops"] = flops(hidden, args.batch, net) / (r["ms_per_step"] * 1e6)
                r["target"] = target_text(r, ref)
        tables[net] = {"hidden": hidden, "batch": args.batch, "steps": steps, "flops_per_step": flops(hidden, args.batch, net),
                       "rows": rows}
    for row in next(iter(tables.values()))["rows"]:
        port = next((q for q in ports if q.name == row["name"]), None)
        if port is not None:
            print(f"== {port.name}: runner start-up", flush=True)
            row["startup_ms"] = startup_ms(port, 3)
            if not args.no_conformance:
                print(f"== {port.name}: conformance run", flush=True)
                row["conformance_s"] = conformance_seconds(port)
    for net, table in tables.items():
        print_table(net, table["rows"], table["hidden"], args.batch, args.repeats, table["steps"])
    if torch_note:
        print(f"pytorch (autograd)  -  ({torch_note})")
    record = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), **tables}
    (args.out_dir / "bench.json").write_text(json.dumps(record, indent=1) + "\n")
    for net, table in tables.items():
        charted = [r for r in table["rows"] if r.get("ratio")]
        if charted:
            png = args.out_dir / CHARTS[net]
            chart(png, charted, f"{TITLES[net]} training step ({shape_text(net, table['hidden'])}, batch {args.batch})\n{machine()}")
            print(f"chart: {png}")
    print(f"figures: {args.out_dir / 'bench.json'}")
    return 0 if all(r.get("ms_per_step") for t in tables.values() for r in t["rows"]) else 1


def scaling(ports: list[Port], torch_py: Path | None, args: argparse.Namespace) -> int:
    """ms/step of every row for hidden 50..800 (batch 100) and batch 100..1000 (hidden 50)."""
    grid = [(h, 100) for h in (50, 100, 200, 400, 800)] + [(50, b) for b in (300, 1000)]
    table: dict[str, dict[tuple[int, int], float | None]] = {}
    for hidden, batch in grid:
        for r in measure(ports, torch_py, args, hidden, batch, repeats=3, steps=3):
            table.setdefault(r["name"], {})[(hidden, batch)] = r.get("ms_per_step")
    cols = [f"h{h}/b{b}" for h, b in grid]
    print(f"\nms per step as the sizes grow (784-h-10, batch b; 3 x 3 steps){chr(10)}{machine()}\n")
    print(f"{'port':<19} " + " ".join(f"{c:>10}" for c in cols))
    for name, cells in table.items():
        print(f"{name:<19} " + " ".join(f"{cells.get(g):>10.3f}" if cells.get(g) else f"{'-':>10}" for g in grid))
    (args.out_dir / "scaling.json").write_text(json.dumps(
        {"machine": machine(), "grid": grid, "rows": {n: [c.get(g) for g in grid] for n, c in table.items()}}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
