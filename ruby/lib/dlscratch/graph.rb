# frozen_string_literal: true

require_relative 'arrays'

module DLScratch
  # region: mul_layer
  # Multiplication node of the computational graph (book 5.4.1):
  # out = x·y, ∂out/∂x = y, ∂out/∂y = x.
  class MulLayer
    # part: forward

    # @param x [Numeric, NArray]
    # @param y [Numeric, NArray] of x's shape
    # @return [Numeric, NArray] x·y (x and y kept for backward)
    def forward(x, y)
      @x = x
      @y = y
      x * y
    end

    # part: backward

    # @param dout [Numeric, NArray] ∂L/∂out
    # @return [Array] [dx, dy] = [dout·y, dout·x]
    def backward(dout)
      [dout * @y, dout * @x]
    end
  end
  # endregion

  # region: add_layer
  # Addition node (book 5.4.2): out = x + y, both partial derivatives are 1.
  class AddLayer
    # part: forward

    # @param x [Numeric, NArray]
    # @param y [Numeric, NArray] of x's shape
    # @return [Numeric, NArray] x + y
    def forward(x, y)
      x + y
    end

    # part: backward

    # @param dout [Numeric, NArray] ∂L/∂out
    # @return [Array] [dx, dy] = [dout, dout]
    def backward(dout)
      [dout, dout]
    end
  end
  # endregion

  # region: buy_apple
  # The shopping examples of book 5.3.
  module Graph
    module_function

    # part: forward

    # price = (apple · apple_num) · tax, then backward from dprice.
    # @return [Hash] price, dapple, dapple_num, dtax
    def buy_apple(apple:, apple_num:, tax:, dprice: 1.0)
      mul_apple = MulLayer.new
      mul_tax = MulLayer.new
      apple_price = mul_apple.forward(apple, apple_num)
      price = mul_tax.forward(apple_price, tax)

      # part: backward
      dapple_price, dtax = mul_tax.backward(dprice)
      dapple, dapple_num = mul_apple.backward(dapple_price)
      { price: price, dapple: dapple, dapple_num: dapple_num, dtax: dtax }
    end

    # endregion

    # region: buy_apple
    # part: forward

    # price = (apple · apple_num + orange · orange_num) · tax, then backward from dprice.
    # @return [Hash] price, dapple, dapple_num, dorange, dorange_num, dtax
    def buy_apple_orange(apple:, apple_num:, orange:, orange_num:, tax:, dprice: 1.0)
      mul_apple = MulLayer.new
      mul_orange = MulLayer.new
      add_apple_orange = AddLayer.new
      mul_tax = MulLayer.new

      apple_price = mul_apple.forward(apple, apple_num)
      orange_price = mul_orange.forward(orange, orange_num)
      all_price = add_apple_orange.forward(apple_price, orange_price)
      price = mul_tax.forward(all_price, tax)

      # part: backward
      dall_price, dtax = mul_tax.backward(dprice)
      dapple_price, dorange_price = add_apple_orange.backward(dall_price)
      dorange, dorange_num = mul_orange.backward(dorange_price)
      dapple, dapple_num = mul_apple.backward(dapple_price)
      { price: price, dapple: dapple, dapple_num: dapple_num, dorange: dorange,
        dorange_num: dorange_num, dtax: dtax }
    end
  end
  # endregion
end
