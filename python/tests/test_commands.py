"""bin/train and bin/bench refuse bad input with one line naming what is wrong and exit status 2;
bin/train checks its four data files before training and counts epochs as the book does."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from dlscratch.datasets import DEFAULT_DATA_DIR, MNIST_FILES
from dlscratch.train import is_epoch_end

BIN = Path(__file__).resolve().parents[1] / "bin"
needs_data = pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="dataset-fashion-mnist is not installed")


def run(command: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / command), *args], capture_output=True, text=True, timeout=120)


def assert_refused(proc: subprocess.CompletedProcess, command: str, *words: str) -> None:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith(f"bin/{command}: "), proc.stderr
    for w in words:
        assert w in lines[0]
    assert "Traceback" not in proc.stderr


def data_dir_with(tmp_path: Path, **replace: Path) -> Path:
    """A copy of the Fashion-MNIST directory (links) with some files replaced."""
    d = tmp_path / "data"
    d.mkdir()
    for key, stem in MNIST_FILES.items():
        name = stem + ".gz"
        if key in replace:
            shutil.copy(replace[key], d / name)
        else:
            (d / name).symlink_to(DEFAULT_DATA_DIR / name)
    return d


def test_the_books_epochs():
    # 60000 images in batches of 128: 468.75 iterations an epoch, evaluated after 0, 1875, ...
    assert [i for i in range(6000) if is_epoch_end(i, max(60000 / 128, 1))] == [0, 1875, 3750, 5625]
    assert [i for i in range(1300) if is_epoch_end(i, max(60000 / 100, 1))] == [0, 600, 1200]
    assert [i for i in range(100000) if is_epoch_end(i, max(60000 / 7, 1))] == [0]
    assert [i for i in range(4) if is_epoch_end(i, max(50 / 100, 1))] == [0, 1, 2, 3]


@needs_data
@pytest.mark.parametrize("test_size", [None, "100"])
def test_train_refuses_labels_that_are_images(tmp_path, test_size):
    d = data_dir_with(tmp_path, test_label=DEFAULT_DATA_DIR / "t10k-images-idx3-ubyte.gz")
    args = ["--data-dir", str(d), "--quiet", "--no-plot", "--out", str(tmp_path / "h.json")]
    proc = run("train", *args, *(["--test-size", test_size] if test_size else []))
    assert_refused(proc, "train", "t10k-labels-idx1-ubyte.gz", "labels")
    assert not (tmp_path / "h.json").exists()


@needs_data
def test_train_refuses_a_truncated_file(tmp_path):
    cut = tmp_path / "cut.gz"
    cut.write_bytes((DEFAULT_DATA_DIR / "train-labels-idx1-ubyte.gz").read_bytes()[:5000])
    proc = run("train", "--data-dir", str(data_dir_with(tmp_path, train_label=cut)), "--no-plot")
    assert_refused(proc, "train", "train-labels-idx1-ubyte.gz", "gzip")


@pytest.mark.parametrize("args, words", [
    (["--iters", "0"], ["--iters", "0"]),
    (["--batch-size", "abc"], ["--batch-size", "abc"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--optimizer", "bogus"], ["--optimizer", "bogus"]),
    (["--bogus"], ["--bogus"]),
    (["--data-dir", "/nonexistent"], ["/nonexistent"]),
])
def test_train_refuses_bad_options(args, words):
    assert_refused(run("train", *args), "train", *words)


@pytest.mark.parametrize("args, words", [
    (["--repeats", "0"], ["--repeats", "0"]),
    (["--steps", "0"], ["--steps", "0"]),
    (["--repeats", "abc"], ["--repeats", "abc"]),
    (["--bogus"], ["--bogus"]),
])
def test_bench_refuses_bad_options(args, words):
    assert_refused(run("bench", *args), "bench", *words)


def test_every_command_has_help_with_defaults():
    for command, default in (("train", "(default: 10000)"), ("bench", "(default: 7)")):
        proc = run(command, "--help")
        assert proc.returncode == 0 and default in " ".join(proc.stdout.split()), proc.stdout
        assert proc.stdout.startswith(f"usage: bin/{command}")


@needs_data
def test_train_evaluates_after_the_last_iteration(tmp_path):
    out = tmp_path / "h.json"
    proc = run("train", "--train-size", "300", "--test-size", "100", "--iters", "7", "--batch-size", "128",
               "--quiet", "--no-plot", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["acc_iters"] == [0]          # 300 / 128 = 2.34375: no other multiple below 7
    assert record["final_iter"] == 6
    assert 0 <= record["final_test_acc"] <= 1 and 0 <= record["final_train_acc"] <= 1
    assert f"final (after iteration 6)  train acc {record['final_train_acc']:.4f}" in proc.stdout
    assert len(record["loss_history"]) == 7


def test_bench_json_line():
    proc = run("bench", "--repeats", "1", "--steps", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["port"] == "python" and result["ms_per_step"] > 0
