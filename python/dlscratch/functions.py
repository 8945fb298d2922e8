"""Activation functions and losses (book chapters 3 and 4, `common/functions.py`)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]

# region: cross_entropy_error
#: Added inside the logarithm of the cross-entropy so that a zero probability gives
#: −log(1e-7) ≈ 16.118 instead of infinity.
CROSS_ENTROPY_DELTA = 1e-7
# endregion

__all__ = [
    "CROSS_ENTROPY_DELTA",
    "cross_entropy_error",
    "identity_function",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "step_function",
    "sum_squared_error",
    "tanh",
]


# region: identity
def identity_function(x: ArrayLike) -> Array:
    """y = x."""
    return np.asarray(x, dtype=np.float64)
# endregion


# region: step_function
def step_function(x: ArrayLike) -> NDArray[np.int64]:
    """y = 1 if x > 0 else 0 (integers)."""
    return np.array(np.asarray(x) > 0, dtype=np.int64)
# endregion


# region: sigmoid
def sigmoid(x: ArrayLike) -> Array:
    """y = 1 / (1 + exp(−x)); exp overflows to +inf for x < −709, giving exactly 0."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def sigmoid_grad(x: ArrayLike) -> Array:
    """dy/dx = (1 − s)·s with s = sigmoid(x)."""
    s = sigmoid(x)
    return (1.0 - s) * s
# endregion


# region: tanh
def tanh(x: ArrayLike) -> Array:
    """y = (e^x − e^−x) / (e^x + e^−x), numpy's tanh (its SIMD kernel on some CPUs, within an ulp or two of
    libm's); ±1 beyond |x| ≈ 19.1, odd about 0."""
    return np.tanh(np.asarray(x, dtype=np.float64))
# endregion


# region: relu
def relu(x: ArrayLike) -> Array:
    """y = max(0, x) (NaN stays NaN)."""
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def relu_grad(x: ArrayLike) -> Array:
    """dy/dx = 1 if x >= 0 else 0, as the book's functions.py (1 at exactly 0)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0, 0.0)
# endregion


# region: softmax
def softmax(x: ArrayLike) -> Array:
    """y_k = exp(x_k − max x) / Σ_i exp(x_i − max x), row-wise for 2-D, whole vector for 1-D."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
    return e
# endregion


# region: sum_squared_error
def sum_squared_error(y: ArrayLike, t: ArrayLike) -> float:
    """E = ½ Σ (y − t)² (no division by the batch size)."""
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    return float(0.5 * np.sum((y - t) ** 2))
# endregion


# region: cross_entropy_error
def as_labels(y: Array, t: ArrayLike) -> NDArray[np.int64]:
    """The label of each row of the 2-D `y`: t itself, or the row argmax when t is one-hot
    (t.size == y.size)."""
    t = np.asarray(t)
    if t.size == y.size:
        return np.asarray(t, dtype=np.float64).reshape(y.shape).argmax(axis=1)
    return np.asarray(t, dtype=np.int64).reshape(y.shape[0])


def cross_entropy_error(y: ArrayLike, t: ArrayLike) -> float:
    """E = −Σ_i log(y[i, t_i] + 1e-7) / N.

    A 1-D y is a batch of one; t is labels (one integer per row) or one-hot (same size as y).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim == 1:
        y = y.reshape(1, y.size)
    labels = as_labels(y, t)
    batch_size = y.shape[0]
    return float(-np.sum(np.log(y[np.arange(batch_size), labels] + CROSS_ENTROPY_DELTA)) / batch_size)
# endregion
