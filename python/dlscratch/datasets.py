"""IDX files (the MNIST / Fashion-MNIST format) and the book's `load_mnist`."""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# region: idx
#: IDX type byte → big-endian numpy dtype.
IDX_TYPES: dict[int, str] = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
GZIP_MAGIC = b"\x1f\x8b"
# endregion
DEFAULT_DATA_DIR = Path("/usr/share/datasets/fashion-mnist")
MNIST_FILES = {
    "train_img": "train-images-idx3-ubyte",
    "train_label": "train-labels-idx1-ubyte",
    "test_img": "t10k-images-idx3-ubyte",
    "test_label": "t10k-labels-idx1-ubyte",
}

__all__ = ["DEFAULT_DATA_DIR", "IdxError", "load_idx", "load_mnist", "parse_idx", "read_mnist_files"]


# region: idx
class IdxError(ValueError):
    """A file that is not a well-formed IDX file."""


def parse_idx(data: bytes) -> NDArray:
    """The array held by the bytes of an IDX file (gzip-compressed or raw).

    Header: 0x00 0x00, a type byte, the number of dimensions d, then d big-endian uint32 sizes.
    """
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise IdxError(f"bad gzip data: {e}") from None
    if len(data) < 4:
        raise IdxError(f"{len(data)} bytes is too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise IdxError("not an IDX file: the first two bytes are not zero")
    type_code, ndim = data[2], data[3]
    if type_code not in IDX_TYPES:
        raise IdxError(f"unknown IDX type byte 0x{type_code:02x}")
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxError(f"the header declares {ndim} dimensions but the file has only {len(data)} bytes")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_TYPES[type_code])
    count = math.prod(shape)
    expected = header_size + count * dtype.itemsize
    if len(data) < expected:
        raise IdxError(f"shape {list(shape)} needs {expected} bytes but the file has {len(data)}")
    return np.frombuffer(data, dtype=dtype, count=count, offset=header_size).reshape(shape)


def load_idx(path: str | os.PathLike[str]) -> NDArray:
    """Read an IDX file, gzip-compressed or raw; an error names the file."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise IdxError(f"cannot read {path}: {e.strerror}") from None
    except ValueError as e:  # e.g. a NUL byte in the path
        raise IdxError(f"cannot read {path!r}: {e}") from None
    try:
        return parse_idx(data)
    except IdxError as e:
        raise IdxError(f"{path}: {e}") from None
# endregion


def _find(data_dir: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (data_dir / name).exists():
            return data_dir / name
    raise IdxError(f"{data_dir} has no {stem} or {stem}.gz")


def _check(path: Path, a: NDArray, ndim: int, what: str) -> None:
    if a.dtype != np.uint8 or a.ndim != ndim:
        dims = "x".join(map(str, a.shape)) or "a scalar"
        raise IdxError(f"{path}: {what} must be unsigned bytes of {ndim} dimension{'s' if ndim > 1 else ''}, not {a.dtype} of shape {dims}")


def read_mnist_files(data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR) -> dict[str, NDArray]:
    """The four IDX arrays of an MNIST directory (keys of MNIST_FILES), each checked before it
    is used: images unsigned bytes N x rows x cols (the same rows x cols in both sets), labels
    unsigned bytes of one dimension, as many as the images, each in 0..9. An IdxError names
    the first file that fails."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise IdxError(f"{data_dir} is not a directory")
    paths = {key: _find(data_dir, stem) for key, stem in MNIST_FILES.items()}
    out = {}
    for key, path in paths.items():
        a = load_idx(path)
        if key.endswith("_img"):
            _check(path, a, 3, "images")
            if key == "test_img" and a.shape[1:] != out["train_img"].shape[1:]:
                raise IdxError(f"{path}: images of {a.shape[1]}x{a.shape[2]} pixels, but the training "
                               f"images have {out['train_img'].shape[1]}x{out['train_img'].shape[2]}")
        else:
            _check(path, a, 1, "labels")
            images = out[key.replace("_label", "_img")]
            if a.shape[0] != images.shape[0]:
                raise IdxError(f"{path}: {a.shape[0]} labels for {images.shape[0]} images")
            bad = np.flatnonzero(a > 9)
            if bad.size:
                raise IdxError(f"{path}: label[{bad[0]}] = {a[bad[0]]} is outside 0..9")
        out[key] = a
    return out


def load_mnist(
    data_dir: str | os.PathLike[str] = DEFAULT_DATA_DIR,
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
) -> tuple[tuple[NDArray, NDArray], tuple[NDArray, NDArray]]:
    """((x_train, t_train), (x_test, t_test)) from a directory of the four MNIST IDX files.

    normalize: pixels become byte / 255.0 in float64 (the book uses float32; dlscratch keeps
    float64 everywhere). flatten: images are rows of 784. one_hot_label: 10-column one-hot
    targets instead of integer labels. The files are checked first (read_mnist_files).
    """
    out = read_mnist_files(data_dir)

    def images(a: NDArray) -> NDArray:
        x = a.astype(np.float64) / 255.0 if normalize else a.astype(np.float64)
        return x.reshape(a.shape[0], -1) if flatten else x.reshape(a.shape[0], 1, *a.shape[1:])

    def labels(a: NDArray) -> NDArray:
        t = a.astype(np.int64)
        if one_hot_label:
            one_hot = np.zeros((t.size, 10))
            one_hot[np.arange(t.size), t] = 1
            return one_hot
        return t

    return (images(out["train_img"]), labels(out["train_label"])), (images(out["test_img"]), labels(out["test_label"]))
