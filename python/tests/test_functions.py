"""Activation functions and losses: the book's printed values and the pinned edge cases."""

import numpy as np
import pytest

from dlscratch.functions import cross_entropy_error, relu, relu_grad, sigmoid, softmax, step_function, sum_squared_error, tanh

# the example of 4.2.1 / 4.2.2: the network says "2" with probability 0.6
Y_BOOK = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y_BOOK_WRONG = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
T_BOOK = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])


def test_step_function_of_book():
    assert step_function(np.array([-1.0, 1.0, 2.0])).tolist() == [0, 1, 1]


def test_sigmoid_of_book():
    np.testing.assert_allclose(sigmoid(np.array([-1.0, 1.0, 2.0])), [0.26894142, 0.73105858, 0.88079708], rtol=0, atol=5e-9)  # printed to 8 decimals


def test_relu_of_book():
    assert relu(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 2.0]


def test_softmax_of_book():
    y = softmax(np.array([0.3, 2.9, 4.0]))
    np.testing.assert_allclose(y, [0.01821127, 0.24519181, 0.73659691], rtol=0, atol=5e-9)  # printed to 8 decimals
    assert np.sum(y) == pytest.approx(1.0, abs=1e-15)


def test_softmax_does_not_overflow():
    y = softmax(np.array([1010.0, 1000.0, 990.0]))
    np.testing.assert_allclose(y, [9.99954600e-01, 4.53978686e-05, 2.06106005e-09], rtol=5e-9, atol=0)  # printed to 8 significant digits


def test_sum_squared_error_of_book():
    assert sum_squared_error(Y_BOOK, T_BOOK) == pytest.approx(0.097500000000000031, rel=1e-12)
    assert sum_squared_error(Y_BOOK_WRONG, T_BOOK) == pytest.approx(0.59750000000000003, rel=1e-12)


def test_cross_entropy_error_of_book():
    assert cross_entropy_error(Y_BOOK, T_BOOK) == pytest.approx(0.51082545709933802, rel=1e-12)
    assert cross_entropy_error(Y_BOOK_WRONG, T_BOOK) == pytest.approx(2.3025840929945458, rel=1e-12)
    # labels instead of one-hot give the same
    assert cross_entropy_error(Y_BOOK, 2) == pytest.approx(0.51082545709933802, rel=1e-12)


def test_sigmoid_saturates_without_nan():
    assert sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]


def test_cross_entropy_zero_probability_is_finite():
    assert cross_entropy_error(np.array([0.0, 1.0]), 0) == pytest.approx(16.11809565095832, rel=1e-14)


def test_relu_grad_is_one_at_zero():
    assert relu_grad(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 1.0, 1.0]


def test_softmax_is_row_by_row_for_a_batch():
    np.testing.assert_allclose(softmax(np.array([[0.3, 2.9, 4.0], [0.0, 0.0, 0.0]]))[1], [1 / 3] * 3, rtol=1e-15)


def test_tanh_worked_values():
    """tanh(ln 2) = (2 − 1/2)/(2 + 1/2) = 0.6, tanh(ln 3) = 0.8; odd; ±1 far out."""
    y = tanh(np.array([0.0, np.log(2.0), -np.log(3.0), 25.0, -25.0]))
    np.testing.assert_allclose(y, [0.0, 0.6, -0.8, 1.0, -1.0], rtol=1e-15, atol=0)
