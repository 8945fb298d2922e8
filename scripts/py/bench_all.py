"""scripts/bench: every port's TwoLayerNet training step side by side, with the reference, a
plain-numpy baseline, runner start-up times and the conformance wall time; a bar chart and a JSON."""

from __future__ import annotations

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

INPUT, HIDDEN, OUTPUT, BATCH = 784, 50, 10, 100
#: forward x·W, backward dout·Wᵀ and xᵀ·dout for both Affine layers, 2 flops a multiply-add
FLOPS_PER_STEP = 3 * 2 * BATCH * (INPUT * HIDDEN + HIDDEN * OUTPUT)

BENCH_ARGV = {"lua": ["--lua", "lua5.4"], "luajit": ["--lua", "luajit"]}


def numpy_baseline(repeats: int, steps: int) -> list[float]:
    """The book's step written plainly: no classes, one function of arrays (ms per step per repeat)."""
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, INPUT))
    t = np.arange(BATCH) % OUTPUT
    W1 = 0.01 * rng.standard_normal((INPUT, HIDDEN))
    b1 = np.zeros(HIDDEN)
    W2 = 0.01 * rng.standard_normal((HIDDEN, OUTPUT))
    b2 = np.zeros(OUTPUT)
    rows = np.arange(BATCH)

    def step() -> None:
        a1 = x @ W1 + b1
        z1 = np.maximum(a1, 0)
        a2 = z1 @ W2 + b2
        y = np.exp(a2 - a2.max(axis=1, keepdims=True))
        y /= y.sum(axis=1, keepdims=True)
        dy = y
        dy[rows, t] -= 1
        dy /= BATCH
        dW2 = z1.T @ dy
        db2 = dy.sum(axis=0)
        dz1 = dy @ W2.T
        dz1[a1 <= 0] = 0
        dW1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        for param, grad in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)):
            param -= 0.1 * grad

    for _ in range(3):
        step()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        out.append(1000 * (time.perf_counter() - start) / steps)
    return out


def port_bench(port: Port, timeout: float) -> dict:
    """Run `<port>/bin/bench --json` and read its last JSON line ({"ms_per_step": ...})."""
    script = port.cwd / "bin" / "bench"
    if not script.is_file():
        return {"error": "no bin/bench"}
    cmd = [str(script), *BENCH_ARGV.get(port.name, []), "--no-reference", "--json"]
    try:
        proc = subprocess.run(cmd, cwd=port.cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in reversed(proc.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if "ms_per_step" in rec:
                return rec
    return {"error": f"exit {proc.returncode}, no JSON with ms_per_step: {proc.stderr.strip()[-300:]}"}


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


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser("scripts/bench", __doc__.strip().splitlines()[0] + " " + __doc__.strip().splitlines()[1])
    p.add_argument("--port", action="append", metavar="NAME", help="only these ports, repeatable (default: every present port)")
    p.add_argument("--repeats", metavar="N", type=positive_int, default=7, help="repeats of the baseline; the median is reported")
    p.add_argument("--no-conformance", action="store_true", help="skip timing the full conformance run per port")
    p.add_argument("--timeout", metavar="S", type=finite_float, default=900, help="seconds allowed per port's benchmark")
    p.add_argument("--out-dir", metavar="DIR", type=Path, default=ROOT / "out" / "bench", help="chart and JSON")
    p.add_argument("--no-setup", action="store_true", help="do not run scripts/setup first")
    args = p.parse_args(argv)
    try:
        ports = [port for port in select_ports(load_ports(), args.port) if port.present]
    except KeyError as e:
        fail(p.prog, e.args[0])
    args.out_dir.mkdir(parents=True, exist_ok=True)

    rows: list[dict] = []
    base = numpy_baseline(args.repeats, 50)
    rows.append({"name": "numpy (plain)", "ms_per_step": statistics.median(base)})
    for port in ports:
        print(f"== {port.name}: training step", flush=True)
        rec = port_bench(port, args.timeout)
        row = {"name": port.name, "ms_per_step": rec.get("ms_per_step"), "error": rec.get("error")}
        print(f"== {port.name}: runner start-up", flush=True)
        row["startup_ms"] = startup_ms(port, 3)
        if not args.no_conformance:
            print(f"== {port.name}: conformance run", flush=True)
            row["conformance_s"] = conformance_seconds(port)
        rows.append(row)
    ref = next((r["ms_per_step"] for r in rows if r["name"] == "python" and r.get("ms_per_step")), rows[0]["ms_per_step"])
    for r in rows:
        if r.get("ms_per_step"):
            r["ratio"] = r["ms_per_step"] / ref
            r["gflops"] = FLOPS_PER_STEP / (r["ms_per_step"] * 1e6)

    print(f"\nTwoLayerNet step, 784-50-10, batch 100, float64 (forward + backward + SGD); {machine()}\n")
    header = f"{'port':<14} {'ms/step':>9} {'x python':>9} {'GFLOP/s':>8} {'start-up ms':>12} {'conformance s':>14}"
    print(header)
    print("-" * len(header))
    for r in rows:
        if not r.get("ms_per_step"):
            print(f"{r['name']:<14} {'-':>9}  ({r.get('error')})")
            continue
        startup = f"{r['startup_ms']:.0f}" if "startup_ms" in r else "-"
        conf = f"{r['conformance_s']:.1f}" if "conformance_s" in r else "-"
        print(f"{r['name']:<14} {r['ms_per_step']:>9.3f} {r['ratio']:>9.2f} {r['gflops']:>8.2f} {startup:>12} {conf:>14}")
    record = {"machine": machine(), "flops_per_step": FLOPS_PER_STEP, "rows": rows, "date": time.strftime("%Y-%m-%d")}
    (args.out_dir / "bench.json").write_text(json.dumps(record, indent=1) + "\n")
    chart(args.out_dir / "bench.png", rows, f"TwoLayerNet training step (784-50-10, batch 100)\n{machine()}")
    print(f"\nchart: {args.out_dir / 'bench.png'}\nfigures: {args.out_dir / 'bench.json'}")
    return 0 if all(r.get("ms_per_step") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
