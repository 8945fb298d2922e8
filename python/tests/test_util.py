"""im2col / col2im: hand-worked layouts, padding, strides, and col2im as im2col's adjoint; to_float16's
rounding to binary16 by hand and against exact rational rounding."""

import math

import numpy as np
import pytest

from dlscratch.rng import MRG32k3a
from dlscratch.util import col2im, conv_output_size, im2col, to_float16

NINE = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)


def test_output_size_rounds_down():
    assert conv_output_size(28, 5) == 24
    assert conv_output_size(7, 3, stride=3) == 2       # (7 - 3) / 3 = 1.33 -> 1, + 1
    assert conv_output_size(3, 2, stride=2, pad=1) == 2


def test_rows_are_windows_and_columns_window_elements():
    assert im2col(NINE, 2, 2).tolist() == [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]]


def test_padding_is_zeros_and_stride_skips():
    assert im2col(NINE, 2, 2, stride=2, pad=1).tolist() == [[0, 0, 0, 1], [0, 0, 2, 3], [0, 4, 0, 7], [5, 6, 8, 9]]


def test_channels_follow_each_other_in_a_row():
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]], [[10.0, 20.0], [30.0, 40.0]]]])
    assert im2col(x, 1, 2).tolist() == [[1, 2, 10, 20], [3, 4, 30, 40]]


def test_col2im_adds_overlapping_windows():
    assert col2im(np.ones((4, 4)), (1, 1, 3, 3), 2, 2).tolist() == [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> = <x, col2im(c)> for every geometry
    r = np.random.default_rng(3)
    for shape, fh, fw, stride, pad in [((2, 3, 5, 4), 2, 3, 2, 1), ((1, 2, 6, 7), 2, 2, 3, 1), ((1, 1, 4, 4), 4, 4, 1, 0)]:
        x = r.standard_normal(shape)
        col = im2col(x, fh, fw, stride, pad)
        c = r.standard_normal(col.shape)
        assert np.isclose(np.sum(col * c), np.sum(x * col2im(c, shape, fh, fw, stride, pad)), rtol=1e-12)


# The book's half_float_network.py: values worked by hand (q = 2^(e-10), 2^-24 for subnormals).
HALF_CASES = [
    (0.1, 0.0999755859375),            # 0.1 = 1638.4 · 2^-14 → 1638 · 2^-14
    (1 / 3, 0.333251953125),           # 1365.33 · 2^-12 → 1365 · 2^-12
    (65504.0, 65504.0),                # the largest binary16
    (65519.99, 65504.0),               # below the midpoint 65520
    (65520.0, math.inf),               # the midpoint rounds to the even 2^16: overflow
    (-65520.0, -math.inf),
    (2.0**-24, 2.0**-24),              # the smallest subnormal
    (2.0**-25, 0.0),                   # half a quantum: the tie goes to the even 0
    (3 * 2.0**-25, 2.0**-23),          # 1.5 quanta: the tie goes to the even 2
    (-(2.0**-26), -0.0),
    (1 + 2.0**-11, 1.0),               # half of 2^-10 above 1: to the even 1
    (1 + 3 * 2.0**-11, 1 + 2.0**-9),   # 1.5 quanta above 1: to the even 1 + 2·2^-10
    (2.0**-14, 2.0**-14),              # the smallest normal
    (math.inf, math.inf),
]


@pytest.mark.parametrize("x,expected", HALF_CASES)
def test_to_float16_rounds_to_nearest_even(x, expected):
    y = to_float16(np.array([x]))[0]
    assert y == expected and math.copysign(1, y) == math.copysign(1, expected)


def test_to_float16_keeps_nan_and_shape():
    y = to_float16(np.array([[math.nan, 1.0], [-0.0, 3.0]]))
    assert y.shape == (2, 2) and math.isnan(y[0, 0]) and math.copysign(1, y[1, 0]) == -1


def exact_half(x: float) -> float:
    """The README's recipe with rationals: q = 2^(e-10), round-half-even(x / q)·q."""
    from fractions import Fraction

    if x == 0 or not math.isfinite(x):
        return x
    e = max(math.frexp(abs(x))[1] - 1, -14)
    q = Fraction(2) ** (e - 10)
    y = float(round(Fraction(x) / q) * q)      # Python's round of a Fraction is half-to-even
    return math.copysign(math.inf, x) if abs(y) > 65504 else math.copysign(y, x) if y == 0 else y


def test_to_float16_agrees_with_exact_rounding_on_ties_and_random_numbers():
    rng = MRG32k3a(5)
    ties = [(2 * k + 1) * 2.0 ** (e - 11) for e in range(-24, 16) for k in range(1024, 1030)]
    xs = np.concatenate([rng.normal(2000) * 10.0 ** (12 * rng.uniform(2000) - 8), ties, -np.array(ties)])
    got = to_float16(xs)
    for x, y in zip(xs, got):
        assert y == exact_half(float(x)), x
