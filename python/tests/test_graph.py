"""The computational graphs of 5.3-5.4: the book's shopping examples."""

import pytest

from dlscratch.graph import AddLayer, MulLayer, buy_apple, buy_apple_orange


def test_buy_apple_of_book():
    r = buy_apple(100, 2, 1.1, 1)
    assert r.price == pytest.approx(220, rel=1e-15)
    assert (r.dapple, r.dapple_num, r.dtax) == pytest.approx((2.2, 110, 200), rel=1e-15)


def test_buy_apple_orange_of_book():
    r = buy_apple_orange(100, 2, 150, 3, 1.1, 1)
    assert r.price == pytest.approx(715, rel=1e-15)
    got = (r.dapple_num, r.dapple, r.dorange, r.dorange_num, r.dtax)
    assert got == pytest.approx((110, 2.2, 3.3, 165, 650), rel=1e-15)


def test_mul_and_add_layers_backward():
    mul = MulLayer()
    assert mul.forward(3.0, 4.0) == 12.0 and mul.backward(2.0) == (8.0, 6.0)
    assert AddLayer().backward(5.0) == (5.0, 5.0)
