"""Computational graphs of simple layers (book 5.3–5.4): MulLayer, AddLayer and the shopping examples."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["AddLayer", "MulLayer", "buy_apple", "buy_apple_orange"]


# region: mul_layer
class MulLayer:
    """out = x·y; backward: dx = dout·y, dy = dout·x."""

    # part: init
    def __init__(self) -> None:
        self.x: Any = None
        self.y: Any = None

    # part: forward
    def forward(self, x: Any, y: Any) -> Any:
        self.x = x
        self.y = y
        return x * y

    # part: backward
    def backward(self, dout: Any) -> tuple[Any, Any]:
        return dout * self.y, dout * self.x
# endregion


# region: add_layer
class AddLayer:
    """out = x + y; backward: dx = dout, dy = dout."""

    # part: forward
    def forward(self, x: Any, y: Any) -> Any:
        return x + y

    # part: backward
    def backward(self, dout: Any) -> tuple[Any, Any]:
        return dout * 1, dout * 1
# endregion


# region: buy_apple
@dataclass(frozen=True)
class AppleResult:
    price: float
    dapple: float
    dapple_num: float
    dtax: float


@dataclass(frozen=True)
class AppleOrangeResult:
    price: float
    dapple: float
    dapple_num: float
    dorange: float
    dorange_num: float
    dtax: float


# part: forward
def buy_apple(apple: float = 100, apple_num: float = 2, tax: float = 1.1, dprice: float = 1) -> AppleResult:
    """price = apple·apple_num·tax, and the gradient of price by each input (book 5.4.1)."""
    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)

    # part: backward
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)
    return AppleResult(price, dapple, dapple_num, dtax)


# endregion


# region: buy_apple
# part: forward
def buy_apple_orange(
    apple: float = 100,
    apple_num: float = 2,
    orange: float = 150,
    orange_num: float = 3,
    tax: float = 1.1,
    dprice: float = 1,
) -> AppleOrangeResult:
    """price = (apple·apple_num + orange·orange_num)·tax, with every input's gradient (book 5.4.2)."""
    mul_apple_layer = MulLayer()
    mul_orange_layer = MulLayer()
    add_apple_orange_layer = AddLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    orange_price = mul_orange_layer.forward(orange, orange_num)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)
    price = mul_tax_layer.forward(all_price, tax)

    # part: backward
    dall_price, dtax = mul_tax_layer.backward(dprice)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)
    return AppleOrangeResult(price, dapple, dapple_num, dorange, dorange_num, dtax)
# endregion
