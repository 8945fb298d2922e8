"""The IDX reader on files written here byte by byte."""

import gzip
import struct

import numpy as np
import pytest

from dlscratch.datasets import DEFAULT_DATA_DIR, IdxError, load_idx, load_mnist


def idx_bytes(type_code, shape, payload):
    return bytes([0, 0, type_code, len(shape)]) + b"".join(struct.pack(">I", d) for d in shape) + payload


def test_ubyte_raw_and_gzip(tmp_path):
    data = idx_bytes(0x08, (2, 3), bytes([0, 1, 2, 253, 254, 255]))
    (tmp_path / "a").write_bytes(data)
    (tmp_path / "a.gz").write_bytes(gzip.compress(data))
    for name in ("a", "a.gz"):
        arr = load_idx(tmp_path / name)
        assert arr.shape == (2, 3)
        assert arr.tolist() == [[0, 1, 2], [253, 254, 255]]


def test_big_endian_types(tmp_path):
    (tmp_path / "i").write_bytes(idx_bytes(0x0C, (2,), struct.pack(">ii", -2, 70000)))
    (tmp_path / "d").write_bytes(idx_bytes(0x0E, (1,), struct.pack(">d", 0.1)))
    (tmp_path / "s").write_bytes(idx_bytes(0x0B, (1,), struct.pack(">h", -300)))
    assert load_idx(tmp_path / "i").tolist() == [-2, 70000]
    assert load_idx(tmp_path / "d").tolist() == [0.1]
    assert load_idx(tmp_path / "s").tolist() == [-300]


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x00\x08", b"\x01\x00\x08\x01" + b"\x00" * 4, b"\x00\x00\x07\x01\x00\x00\x00\x01\x00", idx_bytes(0x08, (4,), b"\x01\x02")],
)
def test_malformed_files_are_refused(tmp_path, data):
    (tmp_path / "bad").write_bytes(data)
    with pytest.raises(IdxError):
        load_idx(tmp_path / "bad")


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(IdxError):
        load_idx(tmp_path / "nothing")


@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="dataset-fashion-mnist is not installed")
def test_fashion_mnist_shapes_and_labels():
    (x_train, t_train), (x_test, t_test) = load_mnist()
    assert x_train.shape == (60000, 784) and x_test.shape == (10000, 784)
    assert x_train.dtype == np.float64 and 0.0 <= x_train.min() and x_train.max() == 1.0
    # Fashion-MNIST is balanced: every class 6000 times in train, 1000 in test
    assert np.bincount(t_train).tolist() == [6000] * 10
    assert np.bincount(t_test).tolist() == [1000] * 10
