"""im2col / col2im: hand-worked layouts, padding, strides, and col2im as im2col's adjoint."""

import numpy as np

from dlscratch.util import col2im, conv_output_size, im2col

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
