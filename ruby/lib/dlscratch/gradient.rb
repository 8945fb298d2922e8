# frozen_string_literal: true

require_relative 'arrays'

module DLScratch
  # Numerical differentiation of chapter 4 (the book's common/gradient.py).
  module Gradient
    module_function

    # region: numerical_diff
    H = 1e-4
    # endregion

    # region: numerical_diff
    # function_1(x) = 0.01·x² + 0.1·x
    def function_1(x)
      (0.01 * x**2) + (0.1 * x)
    end
    # endregion

    # region: numerical_gradient
    # function_2(x) = Σ x_i²  (x² for a scalar)
    def function_2(x)
      Arrays.pairwise_sum(x * x)
    end
    # endregion

    # region: numerical_diff
    # Central difference: f'(x) ≈ (f(x + h) − f(x − h)) / 2h, h = 1e-4.
    def numerical_diff(x, &f)
      (f.call(x + H) - f.call(x - H)) / (2 * H)
    end
    # endregion

    # region: numerical_gradient
    # ∂f/∂x_i ≈ (f(x with x_i + h) − f(x with x_i − h)) / 2h for every element in row-major
    # order. The block receives the whole array +x+. Like the book, this perturbs x in
    # place (NArray element assignment) and restores each x_i exactly, so a block that reads
    # x through another reference (a network's weight matrix) sees the perturbation too.
    #
    # @param x [NArray] float64, modified during the call and restored afterwards
    # @return [NArray] the gradient, x's shape
    def numerical_gradient(x, &f)
      grad = NArray.float(*x.shape)
      x.size.times do |i|
        tmp = x[i]
        x[i] = tmp + H
        fxh1 = f.call(x)
        x[i] = tmp - H
        fxh2 = f.call(x)
        grad[i] = (fxh1 - fxh2) / (2 * H)
        x[i] = tmp
      end
      grad
    end
    # endregion

    # region: gradient_descent
    # step_num times x ← x − lr·∇f(x), starting from a copy of init_x.
    def gradient_descent(init_x, lr: 0.01, step_num: 100, &f)
      x = init_x.dup
      step_num.times do
        grad = numerical_gradient(x, &f)
        x.sbt!(lr * grad)
      end
      x
    end
    # endregion
  end
end
