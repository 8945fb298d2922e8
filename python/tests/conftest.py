"""Helpers of the command tests: bin/train and bin/bench run as a user runs them."""

import shutil
import subprocess
from pathlib import Path

import pytest

from dlscratch.datasets import DEFAULT_DATA_DIR, MNIST_FILES

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
