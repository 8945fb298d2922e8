# frozen_string_literal: true

module DLScratch
  # The perceptrons of chapter 2: y = 0 if w1·x1 + w2·x2 + b <= 0 else 1.
  module Gates
    module_function

    # region: gates
    # y = [w1·x1 + w2·x2 + b > 0]
    def perceptron(x1, x2, w1, w2, b)
      (x1 * w1) + (x2 * w2) + b <= 0 ? 0 : 1
    end

    # AND: w = (0.5, 0.5), b = -0.7
    def and(x1, x2)
      perceptron(x1, x2, 0.5, 0.5, -0.7)
    end

    # NAND: w = (-0.5, -0.5), b = 0.7
    def nand(x1, x2)
      perceptron(x1, x2, -0.5, -0.5, 0.7)
    end

    # OR: w = (0.5, 0.5), b = -0.2
    def or(x1, x2)
      perceptron(x1, x2, 0.5, 0.5, -0.2)
    end

    # XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)): a two-layer perceptron
    def xor(x1, x2)
      self.and(nand(x1, x2), self.or(x1, x2))
    end
    # endregion
  end
end
