"""Perceptron logic gates (book chapter 2): y = 0 if w1·x1 + w2·x2 + b <= 0 else 1."""

from __future__ import annotations

import numpy as np

__all__ = ["AND", "NAND", "OR", "XOR", "perceptron"]


# region: gates
def perceptron(x1: float, x2: float, w: tuple[float, float], b: float) -> int:
    """0 if w·x + b <= 0 else 1."""
    tmp = np.sum(np.array([w[0], w[1]]) * np.array([x1, x2], dtype=np.float64)) + b
    return 0 if tmp <= 0 else 1


def AND(x1: float, x2: float) -> int:  # noqa: N802 - the book's name
    """w = (0.5, 0.5), b = −0.7."""
    return perceptron(x1, x2, (0.5, 0.5), -0.7)


def NAND(x1: float, x2: float) -> int:  # noqa: N802
    """w = (−0.5, −0.5), b = 0.7."""
    return perceptron(x1, x2, (-0.5, -0.5), 0.7)


def OR(x1: float, x2: float) -> int:  # noqa: N802
    """w = (0.5, 0.5), b = −0.2."""
    return perceptron(x1, x2, (0.5, 0.5), -0.2)


def XOR(x1: float, x2: float) -> int:  # noqa: N802
    """Two layers: AND(NAND(x1, x2), OR(x1, x2))."""
    return AND(NAND(x1, x2), OR(x1, x2))
# endregion
