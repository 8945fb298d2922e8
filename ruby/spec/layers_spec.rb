# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Layers do

  # Central-difference gradient of sum(forward(x) * dout) with respect to x.
  def numerical_dx(x, dout)
    DLScratch::Gradient.numerical_gradient(x) do
      r = yield(x) * dout
      r.is_a?(NArray) ? r.sum : r
    end
  end

  it 'Relu masks x <= 0 in both directions (book 5.5.1)' do
    relu = described_class::Relu.new
    expect(rows(relu.forward(na([[1.0, -0.5], [-2.0, 3.0]])))).to eq([[1.0, 0.0], [0.0, 3.0]])
    expect(rows(relu.backward(na([[5.0, 5.0], [5.0, 5.0]])))).to eq([[5.0, 0.0], [0.0, 5.0]])
    expect(rows(described_class::Relu.new.tap { |r| r.forward(na([0.0])) }.backward(na([1.0])))).to eq([0.0])
  end

  it 'Sigmoid backward is dout (1 - y) y and matches the numerical gradient' do
    x = na([[0.5, -1.5, 2.0]])
    dout = na([[1.0, -2.0, 0.5]])
    s = described_class::Sigmoid.new
    s.forward(x)
    expect(max_abs_diff(s.backward(dout), numerical_dx(x, dout) { |v| described_class::Sigmoid.new.forward(v) })).to be < 1e-9
  end

  # The Affine values are small whole numbers and halves: every product and partial sum is
  # exact, whatever order the matrix product adds in, so they are compared exactly.
  describe 'Affine' do
    let(:w) { na([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]) }
    let(:b) { na([0.5, -0.5]) }

    it 'computes x W + b and its gradients by hand' do
      a = described_class::Affine.new(w, b)
      expect(rows(a.forward(na([[1.0, 0.0, 2.0]])))).to eq([[11.5, 13.5]])
      dx = a.backward(na([[1.0, 1.0]]))
      expect(rows(dx)).to eq([[3.0, 7.0, 11.0]])
      expect(rows(a.dW)).to eq([[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])
      expect(rows(a.db)).to eq([1.0, 1.0])
    end

    it 'flattens a 3-D x to (N, D) and gives dx in its shape' do
      a = described_class::Affine.new(na([[1.0], [1.0], [1.0], [1.0]]), na([0.0]))
      x = na([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]])
      expect(rows(a.forward(x))).to eq([[10.0], [26.0]])
      expect(DLScratch::Arrays.shape(a.backward(na([[1.0], [2.0]])))).to eq([2, 2, 2])
    end

    it 'trusts its input: an x that does not fit W is an ArgumentError of the product' do
      expect { described_class::Affine.new(w, b).forward(na([[1.0, 2.0, 3.0, 4.0]])) }.to raise_error(ArgumentError)
    end

    it 'treats a 1-D x as one sample (dW = x outer dout)' do
      a = described_class::Affine.new(w, b)
      expect(rows(a.forward(na([1.0, 0.0, 2.0])))).to eq([11.5, 13.5])
      expect(rows(a.backward(na([1.0, 2.0])))).to eq([5.0, 11.0, 17.0])
      expect(rows(a.dW)).to eq([[1.0, 2.0], [0.0, 0.0], [2.0, 4.0]])
    end
  end

  it 'SoftmaxWithLoss backward is (y - onehot(t)) / N' do
    s = described_class::SoftmaxWithLoss.new
    x = na([[0.3, 2.9, 4.0], [0.0, 0.0, 0.0]])
    s.forward(x, [2, 0])
    y = s.y
    want = rows(y).each_with_index.map { |r, i| r.each_with_index.map { |v, j| (v - (j == [2, 0][i] ? 1 : 0)) / 2.0 } }
    expect(s.backward(1.0)).to be_all_close(want)
    expect(max_abs_diff(s.backward, numerical_dx(x, 1.0) { |v| described_class::SoftmaxWithLoss.new.forward(v, [2, 0]) })).to be < 1e-6 # the 1e-7 inside the log
  end

  it 'Dropout keeps the units whose uniform exceeds the ratio, and scales in test mode' do
    d = described_class::Dropout.new(0.5, rng: DLScratch::Rng.new(0))
    out = d.forward(na([1.0, 2.0, 3.0, 4.0]))
    # seed 0 uniforms: 0.136, 0.756, 0.576, 0.410
    expect(rows(out)).to eq([0.0, 2.0, 3.0, 0.0])
    expect(rows(d.backward(na([1.0, 1.0, 1.0, 1.0])))).to eq([0.0, 1.0, 1.0, 0.0])
    expect(rows(d.forward(na([2.0]), train_flg: false))).to eq([1.0])
    expect(rows(d.backward(na([4.0])))).to eq([2.0])
  end

  describe 'BatchNormalization' do
    let(:x) { na([[1.0, 2.0], [3.0, 6.0], [-1.0, 1.0]]) }
    let(:gamma) { na([1.5, 0.5]) }
    let(:beta) { na([0.1, -0.2]) }
    let(:dout) { na([[1.0, -1.0], [0.5, 2.0], [-0.3, 0.7]]) }

    it 'normalises each column to mean 0 and variance var / (var + eps)' do
      bn = described_class::BatchNormalization.new(na([1.0, 1.0]), na([0.0, 0.0]))
      out = bn.forward(x)
      expect(out.sum(1)).to be_all_close([0.0, 0.0], atol: 1e-12)
      # column 0: mean 1, var 8/3
      expect((out * out).sum(1)[0] / 3).to be_all_close((8.0 / 3) / ((8.0 / 3) + 1e-6))
      expect(bn.running_mean).to be_all_close([0.1 * 1.0, 0.1 * 3.0])
    end

    it 'has a backward that matches the numerical gradient (train and test mode)' do
      [true, false].each do |train|
        rm = na([0.5, 1.0])
        rv = na([2.0, 4.0])
        bn = described_class::BatchNormalization.new(gamma, beta, running_mean: rm.dup, running_var: rv.dup)
        bn.forward(x, train_flg: train)
        dx = bn.backward(dout)
        num = numerical_dx(x.dup, dout) do |v|
          described_class::BatchNormalization.new(gamma, beta, running_mean: rm.dup, running_var: rv.dup).forward(v, train_flg: train)
        end
        expect(max_abs_diff(dx, num)).to be < 1e-7
      end
    end
  end
end
