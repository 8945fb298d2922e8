"""Numerical differentiation (book chapter 4, `common/gradient.py`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: The step of the central difference.
H = 1e-4

__all__ = ["H", "function_1", "function_2", "gradient_descent", "numerical_diff", "numerical_gradient"]


# region: numerical_diff
def function_1(x: float | Array) -> float | Array:
    """y = 0.01x² + 0.1x (book 4.3.2)."""
    return 0.01 * x**2 + 0.1 * x
# endregion


# region: numerical_gradient
def function_2(x: Array) -> float:
    """y = Σ x_i² (book 4.3.3)."""
    return float(np.sum(np.asarray(x) ** 2))
# endregion


# region: numerical_diff
def numerical_diff(f: Callable[[float], float], x: float) -> float:
    """df/dx ≈ (f(x + h) − f(x − h)) / 2h, h = 1e-4."""
    return (f(x + H) - f(x - H)) / (2 * H)
# endregion


# region: numerical_gradient
def numerical_gradient(f: Callable[[Array], float], x: Array) -> Array:
    """∂f/∂x_i ≈ (f(x + h·e_i) − f(x − h·e_i)) / 2h for every element, in row-major order.

    As in the book, `x` itself is perturbed in place and restored exactly after each element, so
    `f` may ignore its argument and read the same array through an alias (a network's
    parameters). `x` must be a C-contiguous float64 array, so that its flat view is `x` itself.
    """
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)  # a view: writes go to x
    flat_grad = grad.reshape(-1)
    for i in range(flat_x.size):
        tmp_val = flat_x[i]
        flat_x[i] = tmp_val + H
        fxh1 = f(x)
        flat_x[i] = tmp_val - H
        fxh2 = f(x)
        flat_grad[i] = (fxh1 - fxh2) / (2 * H)
        flat_x[i] = tmp_val
    return grad
# endregion


# region: gradient_descent
def gradient_descent(f: Callable[[Array], float], init_x: Array, lr: float = 0.01, step_num: int = 100) -> Array:
    """step_num times: x ← x − lr·∇f(x)."""
    x = np.array(init_x, dtype=np.float64)
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x
# endregion
