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


def write_idx(path: Path, data: "np.ndarray") -> None:
    """An IDX file of unsigned bytes: magic 0x0000 08 ndim, the big-endian dimensions, the data."""
    header = bytes([0, 0, 8, data.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in data.shape)
    path.write_bytes(header + data.astype("uint8").tobytes())


@pytest.fixture(scope="session")
def small_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 training and 100 test images of Fashion-MNIST as plain IDX files: a data
    directory that loads in milliseconds."""
    import gzip

    import numpy as np

    d = tmp_path_factory.mktemp("small-data")
    counts = {"train_img": 300, "train_label": 300, "test_img": 100, "test_label": 100}
    for key, stem in MNIST_FILES.items():
        raw = gzip.decompress((DEFAULT_DATA_DIR / (stem + ".gz")).read_bytes())
        ndim = raw[3]
        dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
        data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)
        write_idx(d / stem, data[: counts[key]])
    return d
