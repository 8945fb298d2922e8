"""The chapter-6 experiments: values worked by hand, the shape of every result, the command line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dlscratch.datasets import DEFAULT_DATA_DIR
from dlscratch.experiments import EXPERIMENTS, Run, histogram, optimizer_compare_naive
from dlscratch.rng import MRG32k3a

HAVE_DATA = (Path(DEFAULT_DATA_DIR) / "t10k-labels-idx1-ubyte.gz").exists()


def test_naive_paths_first_steps():
    """∇f(−7, 2) = (−0.7, 4). SGD lr 0.95: (−7 + 0.665, 2 − 3.8) = (−6.335, −1.8). AdaGrad lr 1.5:
    h = g², step 1.5·g/(|g| + 1e-7) ≈ 1.5 in each coordinate: (−5.5, 0.5)."""
    paths = optimizer_compare_naive(Run(MRG32k3a(0), 1.0, Path("."), True))["paths"]
    assert list(paths) == ["SGD", "Momentum", "AdaGrad", "Adam"]
    assert all(len(p["x"]) == len(p["y"]) == 30 for p in paths.values())
    assert paths["SGD"]["x"][:2] == [-7.0, pytest.approx(-6.335, abs=1e-15)]
    assert paths["SGD"]["y"][1] == pytest.approx(-1.8, abs=1e-15)
    assert paths["AdaGrad"]["x"][1] == pytest.approx(-5.5, abs=1e-6)
    assert paths["AdaGrad"]["y"][1] == pytest.approx(0.5, abs=1e-6)
    # Momentum lr 0.1: v = −0.1·g, so the first step is (0.07, −0.4)
    assert (paths["Momentum"]["x"][1], paths["Momentum"]["y"][1]) == (pytest.approx(-6.93), pytest.approx(1.6))


def test_histogram_bins():
    """30 bins over [0, 1]: 0 in the first, 1 in the last, 0.5 in bin 15; outside dropped."""
    counts = histogram(np.array([0.0, 1.0, 0.5, 1.5, -0.1, 0.999]), 0.0, 1.0)
    assert len(counts) == 30 and sum(counts) == 4
    assert counts[0] == 1 and counts[15] == 1 and counts[29] == 2


@pytest.mark.skipif(not HAVE_DATA, reason="Fashion-MNIST is not installed")
@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_every_experiment_runs_scaled_down(tmp_path, name):
    out = tmp_path / "r.json"
    done = subprocess.run([sys.executable, "-m", "dlscratch.experiments", name, "--scale", "0.01", "--quiet", "--out", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    record = json.loads(out.read_text())
    assert record["experiment"] == name and record["port"] == "python" and record["options"]["scale"] == 0.01
    results = record["results"]
    if name in ("optimizer_compare_mnist", "weight_init_compare"):
        assert all(len(v) == 20 for v in results["train_loss"].values())
    if name == "weight_init_activation_histogram":
        layer = results["histograms"]["sigmoid"]["1"]["layers"][0]
        assert sum(layer["hist"]) == 10 * 100   # 10 rows of 100 sigmoids, all inside (0, 1)
    if name == "batch_norm_test":
        assert len(results["runs"]) == 16 and all(len(r["bn_train_acc"]) == 1 for r in results["runs"])
    if name == "hyperparameter_optimization":
        trial = results["trials"][0]
        assert 1e-6 <= trial["lr"] <= 1e-2 and 1e-8 <= trial["weight_decay"] <= 1e-4


@pytest.mark.parametrize("argv, message", [
    (["nope"], "argument NAME: invalid choice: 'nope'"),
    (["batch_norm_test", "--scale", "0"], "argument --scale: must be a number in 0 < s <= 1 (got 0)"),
    (["batch_norm_test", "--data-dir", "/nonexistent"], "/nonexistent"),
])
def test_bad_options_are_one_line(argv, message):
    done = subprocess.run([sys.executable, "-m", "dlscratch.experiments", *argv], capture_output=True, text=True)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr
