"""Numerical differentiation (chapter 4): the book's printed values."""

import numpy as np

from dlscratch.gradient import function_1, function_2, gradient_descent, numerical_diff, numerical_gradient


def test_numerical_diff_of_book():
    assert numerical_diff(function_1, 5) == 0.1999999999990898
    assert numerical_diff(function_1, 10) == 0.2999999999986347


def test_numerical_gradient_of_book():
    for point, want in [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]), ([3.0, 0.0], [6.0, 0.0])]:
        np.testing.assert_allclose(numerical_gradient(function_2, np.array(point)), want, atol=1e-7)


def test_gradient_descent_of_book():
    x = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    np.testing.assert_allclose(x, [-6.11110793e-10, 8.14814391e-10], rtol=5e-9, atol=0)  # printed to 8 significant digits


def test_numerical_gradient_restores_x_exactly():
    x = np.array([[0.1, 0.2], [0.3, 0.4]])
    before = x.copy()
    numerical_gradient(function_2, x)
    np.testing.assert_array_equal(x, before)
