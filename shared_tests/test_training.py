"""The trainers (`bin/train`, "train" in ports.json): the same command line trains the same
network on the same batches in every port, so each loss history equals the Python trainer's
within rtol 1e-6, with the accuracies measured after the same iterations (the book's epochs) and
after the last one. A port is skipped only when its trainer file does not exist."""
from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import ALL_PORTS, REFERENCE_PORT
from harness.ports import Port

# Batches of 64 from 500 images: 7.8125 iterations an epoch, so the book's float rule
# evaluates after iterations 0 and 125 (an integer division would say every 7).
ITERS = 140
OPTIONS = ["--train-size", "500", "--test-size", "500", "--iters", str(ITERS), "--batch-size", "64",
           "--seed", "1", "--quiet"]
ACC_ITERS = [0, 125]
RTOL, ATOL = 1e-6, 1e-12
TRAIN_TIMEOUT = 600


def trainer_absent(port: Port) -> str | None:
    if not port.train:
        return f"{port.name} has no \"train\" entry in ports.json"
    f = port.train_file
    if f is None or not f.is_file():
        return f"trainer not present: {port.name}'s {port.train[0]} does not exist"
    return None


# SimpleConvNet with the Trainer: 150 images in batches of 25, 6 steps an epoch, evaluated on 100.
CONV_OPTIONS = ["--net", "simple_conv_net", "--train-size", "150", "--test-size", "100", "--epochs", "2",
                "--batch-size", "25", "--evaluate-samples", "100", "--hidden", "30", "--seed", "1", "--quiet"]
CONV_ACC_ITERS = [0, 6]


def run_trainer(port: Port, out: Path, options: list[str] = OPTIONS) -> dict[str, Any]:
    argv = port.train_argv() + options + ["--out", str(out)]
    try:
        run = subprocess.run(argv, cwd=port.cwd, capture_output=True, text=True,
                             timeout=TRAIN_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"error": f"{' '.join(argv)} did not finish within {TRAIN_TIMEOUT} s"}
    except OSError as exc:
        return {"error": f"cannot run {argv}: {exc}"}
    if run.returncode != 0:
        return {"error": f"{' '.join(argv)} exited with {run.returncode}:\n{run.stderr[-2000:]}"}
    try:
        return json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return {"error": f"{out} unreadable: {exc}\nstdout:\n{run.stdout[-1000:]}"}


def run_selected(request: pytest.FixtureRequest, tmp: Path, options: list[str], workers: int | None = None) \
        -> dict[str, dict[str, Any]]:
    """Every selected port's trainer (and the reference's) with these options on the first images of
    Fashion-MNIST (the `small_data` directory), `workers` at a time (all at once when None)."""
    from conftest import selected_ports
    wanted = {p.name: p for p in selected_ports(request.config)}
    if REFERENCE_PORT in ALL_PORTS:
        wanted.setdefault(REFERENCE_PORT, ALL_PORTS[REFERENCE_PORT])
    todo = [p for p in wanted.values() if trainer_absent(p) is None]
    options = [*options, "--data-dir", str(request.getfixturevalue("small_data"))]
    with ThreadPoolExecutor(max_workers=workers or max(1, len(todo))) as pool:
        results = pool.map(lambda p: run_trainer(p, tmp / f"train-{p.name}.json", options), todo)
        return {p.name: r for p, r in zip(todo, results)}


@pytest.fixture(scope="session")
def histories(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) \
        -> dict[str, dict[str, Any]]:
    """Every selected port's TwoLayerNet trainer (and the reference's) run once, all at the same time."""
    return run_selected(request, tmp_path_factory.mktemp("train"), OPTIONS)


@pytest.fixture(scope="session")
def conv_histories(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) \
        -> dict[str, dict[str, Any]]:
    """Every selected port's `bin/train --net simple_conv_net` (and the reference's), two at a time."""
    return run_selected(request, tmp_path_factory.mktemp("train-conv"), CONV_OPTIONS, workers=2)


def test_conv_trainer_matches_python(port: Port, request: pytest.FixtureRequest) -> None:
    """The same SimpleConvNet run in every port: 12 losses within rtol 1e-6, the same accuracies."""
    reason = trainer_absent(port)
    if reason:
        pytest.skip(reason)
    histories: dict[str, dict[str, Any]] = request.getfixturevalue("conv_histories")
    ref, got = histories.get(REFERENCE_PORT), histories[port.name]
    assert ref is not None and "error" not in ref, f"python trainer: {ref and ref['error']}"
    assert "error" not in got, got.get("error")
    want_hist, got_hist = np.asarray(ref["loss_history"], float), np.asarray(got.get("loss_history", []), float)
    assert got_hist.shape == want_hist.shape == (12,), f"loss_history has {got_hist.shape} entries"
    bad = np.flatnonzero(~(np.abs(got_hist - want_hist) <= ATOL + RTOL * np.abs(want_hist)))
    assert bad.size == 0, f"{port.name}: loss {got_hist[bad[0]]!r} vs {want_hist[bad[0]]!r} at step {bad[0]}"
    assert ref["acc_iters"] == got.get("acc_iters") == CONV_ACC_ITERS, f"evaluated after {got.get('acc_iters')}"
    assert got["options"]["net"] == "simple_conv_net" and got["options"]["optimizer"] == "adam"
    for key in ("train_acc", "test_acc", "final_train_acc", "final_test_acc"):
        assert np.array_equal(np.asarray(got[key]), np.asarray(ref[key])), f"{key}: {got.get(key)} vs python {ref[key]}"


def test_trainer_matches_python(port: Port, request: pytest.FixtureRequest) -> None:
    reason = trainer_absent(port)
    if reason:
        pytest.skip(reason)
    if REFERENCE_PORT not in ALL_PORTS:
        pytest.skip(f"no {REFERENCE_PORT!r} port in the ports description")
    histories: dict[str, dict[str, Any]] = request.getfixturevalue("histories")
    ref = histories.get(REFERENCE_PORT)
    if ref is None:
        pytest.skip(f"the Python trainer is not present ({trainer_absent(ALL_PORTS[REFERENCE_PORT])})")
    assert "error" not in ref, f"python trainer: {ref['error']}"
    got = histories[port.name]
    assert "error" not in got, got.get("error")
    want_hist = np.asarray(ref["loss_history"], float)
    got_hist = np.asarray(got.get("loss_history", []), float)
    assert got_hist.shape == want_hist.shape == (ITERS,), \
        f"loss_history has {got_hist.shape} entries, python {want_hist.shape}"
    bad = np.flatnonzero(~(np.abs(got_hist - want_hist) <= ATOL + RTOL * np.abs(want_hist)))
    assert bad.size == 0, (f"{port.name} loss_history differs from python's at {bad.size} iterations, "
                           f"first at {bad[0]}: {got_hist[bad[0]]!r} vs {want_hist[bad[0]]!r}")
    assert ref["acc_iters"] == ACC_ITERS, f"python evaluated after {ref['acc_iters']}"
    assert got.get("acc_iters") == ACC_ITERS, f"{port.name} evaluated after {got.get('acc_iters')}"
    assert got.get("final_iter") == ITERS - 1, f"final_iter {got.get('final_iter')}"
    for key in ("train_acc", "test_acc", "final_train_acc", "final_test_acc"):
        assert key in got, f"{port.name}'s history has no {key}"
        assert np.allclose(got[key], ref[key], rtol=RTOL, atol=1e-12), \
            f"{key}: {got.get(key)} vs python {ref[key]}"


# --- the Trainer (train.trainer) on real images -------------------------------------------

FASHION = Path("/usr/share/datasets/fashion-mnist")


def idx_images(name: str, count: int) -> list[list[float]]:
    import gzip
    raw = gzip.decompress((FASHION / name).read_bytes())
    return (np.frombuffer(raw, np.uint8, count * 784, offset=16).reshape(count, 784) / 255.0).tolist()


def idx_labels(name: str, count: int) -> list[int]:
    import gzip
    return np.frombuffer(gzip.decompress((FASHION / name).read_bytes()), np.uint8, count, offset=8).tolist()


@pytest.fixture(scope="session")
def trainer_request() -> str:
    """MultiLayerNetExtend 784-40-40-10 with batch norm, Dropout 0.2 and weight decay, trained by the
    Trainer with Momentum on 300 Fashion-MNIST images for 3 epochs of 6 steps, evaluated on 100."""
    if not (FASHION / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("Fashion-MNIST is not installed (dataset-fashion-mnist)")
    from harness.jsonio import dumps
    args = {"network": {"kind": "multi_layer_net_extend", "input_size": 784, "hidden_size_list": [40, 40],
                        "output_size": 10, "use_batchnorm": True, "use_dropout": True, "dropout_ration": 0.2,
                        "weight_decay_lambda": 0.01},
            "x_train": idx_images("train-images-idx3-ubyte.gz", 300), "t_train": idx_labels("train-labels-idx1-ubyte.gz", 300),
            "x_test": idx_images("t10k-images-idx3-ubyte.gz", 100), "t_test": idx_labels("t10k-labels-idx1-ubyte.gz", 100),
            "epochs": 3, "mini_batch_size": 50, "optimizer": "Momentum", "optimizer_param": {"lr": 0.05}, "seed": 3}
    return dumps({"id": "trainer-fashion", "op": "train.trainer", "args": args})


def test_trainer_op_matches_python_on_fashion_mnist(port: Port, trainer_request: str, session: Any) -> None:
    """The same 18 steps in every port: the loss list within rtol 1e-6, the accuracies equal."""
    if port.absent_reason():
        pytest.skip(port.absent_reason())
    ref = session.client(REFERENCE_PORT).request(trainer_request, "trainer-fashion", timeout=TRAIN_TIMEOUT)
    got = session.client(port.name).request(trainer_request, "trainer-fashion", timeout=TRAIN_TIMEOUT)
    assert ref.kind == "ok", ref.describe()
    assert got.kind == "ok", f"{port.name}: {got.describe()}"
    want, have = np.asarray(ref.body["train_loss_list"]), np.asarray(got.body["train_loss_list"], float)
    assert want.shape == have.shape == (18,)
    bad = np.flatnonzero(~(np.abs(have - want) <= ATOL + RTOL * np.abs(want)))
    assert bad.size == 0, f"train_loss_list differs at {bad.tolist()}: {have[bad[0]]!r} vs {want[bad[0]]!r}"
    for key in ("train_acc_list", "test_acc_list", "test_acc"):
        assert np.array_equal(np.asarray(got.body[key]), np.asarray(ref.body[key])), f"{key}: {got.body[key]} vs {ref.body[key]}"
    assert len(ref.body["train_acc_list"]) == 3 and ref.body["test_acc"] > 0.5
