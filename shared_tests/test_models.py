"""Models that move between languages (README sections 4 and 8): a model trained and saved by one
port's `bin/train --save-params` is loaded by every port's `model.evaluate`, which must give the
reference's scores on the same images (rtol 1e-12) and the same accuracy. Every pair of ports,
for a SimpleConvNet and a TwoLayerNet each trained for a few steps on Fashion-MNIST; and the same
models evaluated with binary16 weights (model.evaluate's `half`) give the same scores everywhere."""
from __future__ import annotations

import gzip
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import ALL_PORTS, REFERENCE_PORT, Session, require_present
from harness.jsonio import dumps
from harness.ports import Port

FASHION = Path("/usr/share/datasets/fashion-mnist")
RUNS = {"simple_conv_net": ["--net", "simple_conv_net", "--train-size", "200", "--test-size", "50", "--epochs", "1",
                            "--batch-size", "100", "--evaluate-samples", "50", "--hidden", "8", "--seed", "5", "--quiet"],
        "two_layer_net": ["--train-size", "500", "--test-size", "50", "--iters", "20", "--hidden", "16", "--seed", "6",
                          "--quiet"]}
IMAGES = 40
RTOL = 1e-12


def fashion_test_images() -> tuple[np.ndarray, list[int]]:
    raw = gzip.decompress((FASHION / "t10k-images-idx3-ubyte.gz").read_bytes())
    x = np.frombuffer(raw, np.uint8, IMAGES * 784, offset=16).reshape(IMAGES, 1, 28, 28) / 255.0
    labels = gzip.decompress((FASHION / "t10k-labels-idx1-ubyte.gz").read_bytes())
    return x, [int(v) for v in np.frombuffer(labels, np.uint8, IMAGES, offset=8)]


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory: pytest.TempPathFactory, small_data: Path) -> dict[tuple[str, str], Path | str]:
    """(net, port) -> the parameters file that port's trainer saved (or why there is none)."""
    from concurrent.futures import ThreadPoolExecutor

    tmp = tmp_path_factory.mktemp("models")
    todo = [(net, port) for port in ALL_PORTS.values()
            if not port.absent_reason() and port.train_file and port.train_file.is_file() for net in RUNS]

    def train(job: tuple[str, Port]) -> Path | str:
        net, port = job
        path = tmp / f"{net}-{port.name}.json"
        argv = [*port.train_argv(), *RUNS[net], "--out", str(tmp / f"history-{net}-{port.name}.json"),
                "--save-params", str(path), "--data-dir", str(small_data)]
        run = subprocess.run(argv, cwd=port.cwd, capture_output=True, text=True, timeout=900, stdin=subprocess.DEVNULL)
        return path if run.returncode == 0 else f"{' '.join(argv)}: {run.stderr[-500:]}"

    with ThreadPoolExecutor(max_workers=2) as pool:      # each trainer is one busy process
        return {(net, port.name): result for (net, port), result in zip(todo, pool.map(train, todo))}


def evaluate(session: Session, port: str, path: Path, net: str, half: bool = False) -> Any:
    x, t = fashion_test_images()
    if net == "two_layer_net":
        x = x.reshape(IMAGES, 784)
    rid = f"models/{net}/{path.stem}/{port}/{'half' if half else 'float64'}"
    args = {"path": str(path), "x": x.tolist(), "t": t, **({"half": True} if half else {})}
    return session.client(port).request(dumps({"id": rid, "op": "model.evaluate", "args": args}), rid, timeout=120)


@pytest.mark.parametrize("net", sorted(RUNS))
@pytest.mark.parametrize("saved_by", sorted(ALL_PORTS))
def test_a_saved_model_gives_the_same_scores_in_every_port(port: Port, saved_by: str, net: str,
                                                           saved_models: dict, session: Session) -> None:
    require_present(port)
    path = saved_models.get((net, saved_by))
    if path is None:
        pytest.skip(f"{saved_by} has no trainer here")
    assert isinstance(path, Path), path
    want = evaluate(session, REFERENCE_PORT, path, net)
    got = evaluate(session, port.name, path, net)
    assert want.kind == "ok", want.describe()
    assert got.kind == "ok", f"{port.name} loading {saved_by}'s {net}: {got.describe()}"
    y, ref = np.asarray(got.body["y"], float), np.asarray(want.body["y"], float)
    assert y.shape == ref.shape == (IMAGES, 10)
    scale = float(np.max(np.abs(ref)))
    worst = float(np.max(np.abs(y - ref))) / scale
    assert np.allclose(y, ref, rtol=RTOL, atol=RTOL * scale), f"scores differ from the reference's by {worst:.2e} of their largest"
    assert got.body["accuracy"] == want.body["accuracy"]


@pytest.mark.parametrize("net", sorted(RUNS))
def test_half_precision_weights_give_the_same_scores_in_every_port(port: Port, net: str, saved_models: dict,
                                                                   session: Session) -> None:
    """ch08/half_float_network.py: the weights and images rounded to binary16, float64 arithmetic.
    Every port rounds them alike (the same scores as the reference's within rtol 1e-12), and the
    rounding is real: the scores move from the float64 ones, by less than binary16's 2^-11
    relative rounding could move them through a few layers."""
    require_present(port)
    path = saved_models.get((net, port.name))
    if path is None:
        pytest.skip(f"{port.name} has no trainer here")
    assert isinstance(path, Path), path
    want = evaluate(session, REFERENCE_PORT, path, net, half=True)
    got = evaluate(session, port.name, path, net, half=True)
    full = evaluate(session, port.name, path, net)
    assert want.kind == got.kind == full.kind == "ok", f"{port.name}: {got.describe()} / {full.describe()}"
    y, ref, y64 = (np.asarray(a.body["y"], float) for a in (got, want, full))
    scale = float(np.max(np.abs(ref)))
    assert np.allclose(y, ref, rtol=RTOL, atol=RTOL * scale), \
        f"half-precision scores differ from the reference's by {np.max(np.abs(y - ref)) / scale:.2e} of their largest"
    assert got.body["accuracy"] == want.body["accuracy"]
    moved = float(np.max(np.abs(y - y64))) / scale
    assert 0 < moved < 1e-2, f"the half-precision scores moved by {moved:.2e} of their largest"
