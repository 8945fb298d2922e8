# frozen_string_literal: true

require_relative 'arrays'

module DLScratch
  # Activation and loss functions of chapters 3 and 4 (the book's common/functions.py).
  # Elementwise functions take an NArray of any shape or a Float.
  module Functions
    module_function

    # region: identity
    # identity(x) = x
    def identity(x)
      x
    end

    # The book's name.
    def identity_function(x)
      identity(x)
    end
    # endregion

    # region: step_function
    # step(x) = 1 if x > 0 else 0 (integers)
    def step(x)
      return x > 0 ? 1 : 0 unless x.is_a?(NArray)

      x.gt(0).to_type(NArray::INT)
    end

    # The book's name.
    def step_function(x)
      step(x)
    end
    # endregion

    # region: sigmoid
    # sigmoid(x) = 1 / (1 + exp(-x)); exp overflows to +inf for x < -709, giving 0.
    def sigmoid(x)
      Arrays.elementwise(x) { |a| 1.0 / (NMath.exp(-a) + 1.0) }
    end

    # sigmoid'(x) = (1 - sigmoid(x)) · sigmoid(x)
    def sigmoid_grad(x)
      s = sigmoid(x)
      (1.0 - s) * s
    end
    # endregion

    # region: relu
    # relu(x) = max(0, x) (NaN stays NaN)
    def relu(x)
      Arrays.elementwise(x) do |a|
        y = a.dup
        y[a.lt(0)] = 0.0
        y
      end
    end

    # relu'(x) = 1 if x >= 0 else 0 (the book's functions.py, 1 at exactly 0)
    def relu_grad(x)
      Arrays.elementwise(x) { |a| (a.gt(0) | a.eq(0)).to_type(NArray::DFLOAT) } # NArray#ge is true for NaN
    end
    # endregion

    # region: tanh
    # tanh(x) = (eˣ − e⁻ˣ) / (eˣ + e⁻ˣ), libm's (Math.tanh; NMath.tanh on an NArray calls
    # the same C function): odd, ±1 exactly beyond |x| ≈ 19.1, NaN stays NaN.
    # @param x [NArray, Float] any shape
    # @return [NArray, Float] of x's shape
    def tanh(x)
      x.is_a?(NArray) ? NMath.tanh(x) : Math.tanh(x)
    end
    # endregion

    # region: softmax
    # softmax(x)_k = exp(x_k - max x) / Σ_j exp(x_j - max x), row by row for a 2-D x.
    def softmax(x)
      if x.dim == 1
        e = NMath.exp(x - x.max)
        e / Arrays.pairwise_sum(e)
      else
        e = NMath.exp(x - x.max(0).newdim(0))
        e / Arrays.pairwise_sum_rows(e).newdim(0)
      end
    end
    # endregion

    # region: sum_squared_error
    # E = ½ Σ (y − t)²  (no division by the batch size)
    def sum_squared_error(y, t)
      d = y - t
      0.5 * Arrays.pairwise_sum(d * d)
    end
    # endregion

    # region: cross_entropy_error
    # E = −Σ_i log(y[i, t_i] + 1e-7) / N.
    #
    # y is N×C (a 1-D y is a batch of one). t is one-hot (t.size == y.size; its row argmax
    # is the label) or labels (an Array or NArray of N integers, or one Integer for a 1-D y).
    def cross_entropy_error(y, t)
      y2 = batch(y)
      labels = labels_for(y2, t)
      n = y2.shape[1]
      c = y2.shape[0]
      picked = y2[labels + NArray.int(n).indgen! * c]
      -Arrays.pairwise_sum(NMath.log(picked + 1e-7)) / n
    end

    # y as a 2-D NArray (a 1-D y becomes 1×C)
    def batch(y)
      y.dim == 1 ? y.reshape(y.size, 1) : y
    end

    # The labels (an NArray of ints, one per row of the N×C y2) of t: the row argmax of a
    # one-hot t (floats, y's size), else t's integers.
    def labels_for(y2, t)
      c, n = y2.shape
      return Arrays.argmax_rows(t.reshape(c, n)) if t.is_a?(NArray) && t.size == y2.size && t.typecode == NArray::DFLOAT

      NArray.to_na(t.is_a?(NArray) ? t.to_a.flatten : Array(t)).to_type(NArray::INT)
    end
    # endregion
  end
end
