"""im2col and col2im (book 7.4.3, `common/util.py`): the windows of a batch of images as the
rows of one matrix, so that a convolution or a pooling is one matrix operation."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import NDArray

Array = NDArray[np.float64]

__all__ = ["conv_output_size", "col2im", "col2im_t", "im2col", "im2col_t", "to_float16", "windows"]


# region: im2col
def conv_output_size(input_size: int, filter_size: int, stride: int = 1, pad: int = 0) -> int:
    """(input + 2·pad − filter) // stride + 1: the positions of a window, rounded down."""
    return (input_size + 2 * pad - filter_size) // stride + 1


def windows(input_data: Array, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> Array:
    """The view w[n, c, i, j, y, x] = img[n, c, i·stride + y, j·stride + x] of the zero-padded image."""
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else input_data
    return sliding_window_view(img, (filter_h, filter_w), axis=(2, 3))[:, :, ::stride, ::stride]


def im2col(input_data: Array, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> Array:
    """col[(n, i, j), (c, y, x)] = img[n, c, i·stride + y, j·stride + x], img = x zero-padded by pad:
    N·out_h·out_w rows of C·filter_h·filter_w."""
    n, c, h, w = input_data.shape
    out_h, out_w = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
    return windows(input_data, filter_h, filter_w, stride, pad).transpose(0, 2, 3, 1, 4, 5) \
        .reshape(n * out_h * out_w, c * filter_h * filter_w)


def im2col_t(input_data: Array, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> Array:
    """im2col(x)ᵀ, C·filter_h·filter_w rows of N·out_h·out_w: copied from the image in runs of out_w."""
    n, c, h, w = input_data.shape
    out_h, out_w = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
    return windows(input_data, filter_h, filter_w, stride, pad).transpose(1, 4, 5, 0, 2, 3) \
        .reshape(c * filter_h * filter_w, n * out_h * out_w)


def col2im(col: Array, input_shape: tuple[int, int, int, int], filter_h: int, filter_w: int, stride: int = 1,
           pad: int = 0) -> Array:
    """The adjoint of im2col: every entry of col added into the padded image at the place im2col took
    it from (so overlapping windows add up), then the padding cut away."""
    n, c, h, w = input_shape
    out_h, out_w = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
    col_t = col.reshape(n * out_h * out_w, c * filter_h * filter_w).T
    return col2im_t(col_t, input_shape, filter_h, filter_w, stride, pad)


def col2im_t(col_t: Array, input_shape: tuple[int, int, int, int], filter_h: int, filter_w: int, stride: int = 1,
             pad: int = 0) -> Array:
    """col2im of colᵀ (C·filter_h·filter_w rows of N·out_h·out_w windows)."""
    n, c, h, w = input_shape
    out_h, out_w = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
    entries = col_t.reshape(c, filter_h, filter_w, n, out_h, out_w)
    img = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1))
    for y in range(filter_h):
        for x in range(filter_w):
            # window (i, j) puts its (y, x) entry at (i·stride + y, j·stride + x)
            img[:, :, y:y + stride * out_h:stride, x:x + stride * out_w:stride] += entries[:, y, x].transpose(1, 0, 2, 3)
    return img[:, :, pad:pad + h, pad:pad + w]
# endregion


# region: half_float
def to_float16(x: Array) -> Array:
    """Each element rounded to the nearest binary16 value (ties to even; beyond 65504 ±inf) and
    held in float64 again: numpy's float64 → float16 conversion rounds once, correctly."""
    with np.errstate(over="ignore"):    # beyond 65504 is ±inf by definition, not an accident
        return np.asarray(x, dtype=np.float64).astype(np.float16).astype(np.float64)
# endregion
