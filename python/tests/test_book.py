"""Values printed in the book, entered by hand."""

import numpy as np
import pytest

from dlscratch.functions import cross_entropy_error, softmax, step_function, sum_squared_error, sigmoid, relu
from dlscratch.gates import AND, NAND, OR, XOR
from dlscratch.gradient import function_1, function_2, gradient_descent, numerical_diff, numerical_gradient
from dlscratch.graph import buy_apple, buy_apple_orange
from dlscratch.networks import forward, init_network

# the example of 4.2.1 / 4.2.2: the network says "2" with probability 0.6
Y_BOOK = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
Y_BOOK_WRONG = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
T_BOOK = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    "gate, table",
    [
        (AND, {(0, 0): 0, (1, 0): 0, (0, 1): 0, (1, 1): 1}),
        (NAND, {(0, 0): 1, (1, 0): 1, (0, 1): 1, (1, 1): 0}),
        (OR, {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 1}),
        (XOR, {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 0}),
    ],
)
def test_gate_truth_tables(gate, table):
    for (x1, x2), y in table.items():
        assert gate(x1, x2) == y


def test_step_function_of_book():
    assert step_function(np.array([-1.0, 1.0, 2.0])).tolist() == [0, 1, 1]


def test_sigmoid_of_book():
    np.testing.assert_allclose(sigmoid(np.array([-1.0, 1.0, 2.0])), [0.26894142, 0.73105858, 0.88079708], rtol=0, atol=5e-9)  # printed to 8 decimals


def test_relu_of_book():
    assert relu(np.array([-1.0, 0.0, 2.0])).tolist() == [0.0, 0.0, 2.0]


def test_three_layer_network_of_book():
    y = forward(init_network(), np.array([1.0, 0.5]))
    np.testing.assert_allclose(y, [0.31682708, 0.69627909], rtol=0, atol=5e-9)  # printed to 8 decimals


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


def test_numerical_diff_of_book():
    assert numerical_diff(function_1, 5) == 0.1999999999990898
    assert numerical_diff(function_1, 10) == 0.2999999999986347


def test_numerical_gradient_of_book():
    for point, want in [([3.0, 4.0], [6.0, 8.0]), ([0.0, 2.0], [0.0, 4.0]), ([3.0, 0.0], [6.0, 0.0])]:
        np.testing.assert_allclose(numerical_gradient(function_2, np.array(point)), want, atol=1e-7)


def test_gradient_descent_of_book():
    x = gradient_descent(function_2, np.array([-3.0, 4.0]), lr=0.1, step_num=100)
    np.testing.assert_allclose(x, [-6.11110793e-10, 8.14814391e-10], rtol=5e-9, atol=0)  # printed to 8 significant digits


def test_buy_apple_of_book():
    r = buy_apple(100, 2, 1.1, 1)
    assert r.price == pytest.approx(220, rel=1e-15)
    assert (r.dapple, r.dapple_num, r.dtax) == pytest.approx((2.2, 110, 200), rel=1e-15)


def test_buy_apple_orange_of_book():
    r = buy_apple_orange(100, 2, 150, 3, 1.1, 1)
    assert r.price == pytest.approx(715, rel=1e-15)
    got = (r.dapple_num, r.dapple, r.dorange, r.dorange_num, r.dtax)
    assert got == pytest.approx((110, 2.2, 3.3, 165, 650), rel=1e-15)
