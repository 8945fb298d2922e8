"""Interrupted runs resume anywhere (README section 8): a run of each network, stopped every two
iterations and continued each time by the next port (Python first, then every other port, and the
same chain backwards), ends with the history of the uninterrupted Python run: the same losses
within rtol 1e-12, the same evaluations. And SIGTERM stops every port's trainer cleanly: status 143,
a checkpoint, and the history of a run stopped there on purpose."""
from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import ALL_PORTS, REFERENCE_PORT, selected_ports
from harness.ports import Port
from test_training import TRAIN_TIMEOUT, trainer_absent

RTOL = 1e-12
#: A short run of each network: 10 iterations (5 an epoch for the Trainer's nets), its optimizer
#: keeping state between steps, so that every part of a checkpoint matters.
RUNS: dict[str, list[str]] = {
    "two_layer_net": ["--iters", "10", "--batch-size", "100", "--train-size", "500", "--test-size", "100",
                      "--optimizer", "momentum", "--hidden", "20", "--seed", "5"],
    "simple_conv_net": ["--net", "simple_conv_net", "--epochs", "2", "--batch-size", "5", "--train-size", "25",
                        "--test-size", "20", "--evaluate-samples", "20", "--hidden", "10", "--seed", "6"],
    "deep_conv_net": ["--net", "deep_conv_net", "--epochs", "2", "--batch-size", "4", "--train-size", "20",
                      "--test-size", "10", "--evaluate-samples", "10", "--hidden", "10", "--seed", "7"],
}
STEPS = 10


def train(port: Port, args: list[str], out: Path, data: Path) -> subprocess.CompletedProcess:
    argv = [*port.train_argv(), *args, "--data-dir", str(data), "--out", str(out), "--quiet"]
    try:
        return subprocess.run(argv, cwd=port.cwd, capture_output=True, text=True, timeout=TRAIN_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(argv)} did not finish within {TRAIN_TIMEOUT} s", pytrace=False)


def chain_ports(request: pytest.FixtureRequest) -> list[Port]:
    """Python, then every other selected port that has a trainer."""
    ports = [p for p in selected_ports(request.config) if p.name != REFERENCE_PORT]
    return [ALL_PORTS[REFERENCE_PORT], *(p for p in ports if trainer_absent(p) is None)]


def assert_same_run(got: dict[str, Any], want: dict[str, Any], what: str) -> None:
    g, w = np.asarray(got["loss_history"], float), np.asarray(want["loss_history"], float)
    assert g.shape == w.shape == (STEPS,), f"{what}: {g.shape[0]} losses"
    bad = np.flatnonzero(~(np.abs(g - w) <= RTOL * np.abs(w)))
    assert bad.size == 0, f"{what}: loss {g[bad[0]]!r} vs the uninterrupted {w[bad[0]]!r} at iteration {bad[0]}"
    for key in ("acc_iters", "train_acc", "test_acc", "final_iter", "final_train_acc", "final_test_acc"):
        assert got[key] == want[key], f"{what}: {key} {got[key]} vs the uninterrupted {want[key]}"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> dict[str, dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("resume-ref")
    out = {}
    for net, args in RUNS.items():
        run = train(ALL_PORTS[REFERENCE_PORT], args, tmp / f"{net}.json", small_data)
        assert run.returncode == 0, run.stderr[-2000:]
        out[net] = json.loads((tmp / f"{net}.json").read_text())
    return out


@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("net", list(RUNS))
def test_a_run_passed_from_port_to_port_equals_the_uninterrupted_one(
        net: str, direction: str, request: pytest.FixtureRequest, tmp_path: Path, small_data: Path,
        uninterrupted: dict[str, dict[str, Any]]) -> None:
    ports = chain_ports(request)
    if len(ports) < 2:                  # Python alone: it resumes its own run
        ports = [ports[0], ports[0]]
    if direction == "backward":
        ports = ports[::-1]
    # links stop after 2, 4, ... iterations; the last one runs to the end
    stops = [round(STEPS * (k + 1) / len(ports)) for k in range(len(ports) - 1)]
    checkpoint: Path | None = None
    out = tmp_path / "history.json"
    for k, port in enumerate(ports):
        args = RUNS[net] if checkpoint is None else ["--resume", str(checkpoint)]
        if k < len(stops):
            args = [*args, "--stop-after", str(stops[k]), "--checkpoint", str(tmp_path / f"ckpt-{k}.json")]
        run = train(port, args, out, small_data)
        assert run.returncode == 0, f"{port.name} {' '.join(args)}: exit {run.returncode}\n{run.stderr[-2000:]}"
        if k < len(stops):
            checkpoint = tmp_path / f"ckpt-{k}.json"
            saved = json.loads(checkpoint.read_text())
            assert saved["format"] == "dlscratch-checkpoint" and saved["iteration"] == stops[k], \
                f"{port.name}: the checkpoint after --stop-after {stops[k]} says iteration {saved.get('iteration')}"
            part = json.loads(out.read_text())
            assert part.get("stopped_after") == stops[k] and len(part["loss_history"]) == stops[k], \
                f"{port.name}: the stopped run's history has {len(part['loss_history'])} losses"
    chain = " → ".join(f"{p.name}" for p in ports)
    assert_same_run(json.loads(out.read_text()), uninterrupted[net], f"{net} {chain}")


def test_sigterm_stops_the_trainer_with_a_checkpoint(port: Port, tmp_path: Path, small_data: Path) -> None:
    reason = trainer_absent(port)
    if reason:
        pytest.skip(reason)
    args = ["--iters", "100000000", "--batch-size", "50", "--hidden", "10", "--seed", "2"]
    out = tmp_path / "h.json"
    proc = subprocess.Popen([*port.train_argv(), *args, "--data-dir", str(small_data), "--out", str(out), "--quiet"],
                            cwd=port.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    try:
        first = proc.stdout.readline()                       # "epoch 0 ...": training has begun
        assert first.startswith("epoch 0"), f"{port.name}: first line {first!r}"
        proc.stdout.readline()                               # "epoch 1 ...": 20 iterations later
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 128 + signal.SIGTERM, f"{port.name}: exit {proc.returncode}\n{stderr[-2000:]}"
    saved = json.loads((tmp_path / "h.ckpt.json").read_text())
    record = json.loads(out.read_text())
    done = saved["iteration"]
    assert record["stopped_after"] == done == len(record["loss_history"]) > 20
    assert f"interrupted after iteration {done - 1}" in stdout
    again = train(port, [*args, "--stop-after", str(done), "--checkpoint", str(tmp_path / "c.json")],
                  tmp_path / "again.json", small_data)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((tmp_path / "again.json").read_text())["loss_history"] == record["loss_history"]
    assert json.loads((tmp_path / "c.json").read_text())["params"] == saved["params"]
