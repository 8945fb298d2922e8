# frozen_string_literal: true

require 'spec_helper'

RSpec.describe 'chapter 7 layers' do
  let(:img3) { na([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]) }

  # Central-difference gradient of Σ forward(v)·dout with respect to v (changed in place).
  def numerical(v, dout)
    DLScratch::Gradient.numerical_gradient(v) { (yield * dout).sum }
  end

  describe DLScratch::Layers::Convolution do
    # filter [[1, 2], [3, 4]] with bias 1, and a second filter [[0, 0], [0, 1]] with bias 0
    let(:w) { na([[[[1.0, 2.0], [3.0, 4.0]]], [[[0.0, 0.0], [0.0, 1.0]]]]) }
    let(:b) { na([1.0, 0.0]) }

    it 'gives N×FN×OH×OW: out[f, i, j] = Σ W[f]·window(i, j) + b[f]' do
      # 1·1 + 2·2 + 3·4 + 4·5 = 37, 2 + 6 + 15 + 24 = 47, 4 + 10 + 21 + 32 = 67, 5 + 12 + 24 + 36 = 77
      out = described_class.new(w, b).forward(img3)
      expect(rows(out)).to eq([[[[38, 48], [68, 78]], [[5, 6], [8, 9]]]])
    end

    it 'backward from one output: dW is that window, db 1, dx the filter at its place' do
      conv = described_class.new(w, b)
      conv.forward(img3)
      dx = conv.backward(na([[[[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]]]]))
      expect(rows(conv.dW)).to eq([[[[1, 2], [4, 5]]], [[[0, 0], [0, 0]]]])
      expect(rows(conv.db)).to eq([1, 0])
      expect(rows(dx)).to eq([[[[1, 2, 0], [3, 4, 0], [0, 0, 0]]]])
    end

    it 'backward from ones: dW sums the pixels under each filter element, dx the filter elements over each pixel' do
      conv = described_class.new(w[true, true, true, 0...1], na([1.0]))
      conv.forward(img3)
      dx = conv.backward(na([[[[1.0, 1.0], [1.0, 1.0]]]]))
      # dW[0][0] = 1 + 2 + 4 + 5, [0][1] = 2 + 3 + 5 + 6, [1][0] = 4 + 5 + 7 + 8, [1][1] = 5 + 6 + 8 + 9
      expect(rows(conv.dW)).to eq([[[[12, 16], [24, 28]]]])
      expect(rows(conv.db)).to eq([4])
      expect(rows(dx)).to eq([[[[1, 3, 2], [4, 10, 6], [3, 7, 4]]]])
    end

    it 'agrees with the numerical gradient for two images, two channels, stride 2 and pad 1' do
      rng = DLScratch::Rng.new(5)
      x = rng.randn(2, 2, 5, 4)
      wr = rng.randn(3, 2, 3, 2)
      br = rng.randn(3)
      dout = rng.randn(2, 3, 3, 3) # OH = (5 + 2 − 3) // 2 + 1 = 3, OW = (4 + 2 − 2) // 2 + 1 = 3
      conv = described_class.new(wr, br, 2, 1)
      conv.forward(x)
      dx = conv.backward(dout)
      forward = -> { described_class.new(wr, br, 2, 1).forward(x) }
      expect(dx).to be_all_close(numerical(x, dout, &forward), atol: 1e-8)
      expect(conv.dW).to be_all_close(numerical(wr, dout, &forward), atol: 1e-8)
      expect(conv.db).to be_all_close(numerical(br, dout, &forward), atol: 1e-8)
    end
  end

  describe DLScratch::Layers::Pooling do
    it 'takes the maximum of each 2×2 window of stride 2 (the default) and routes dout back to it' do
      pool = described_class.new(2, 2)
      x = NArray.float(4, 4, 1, 1).indgen!(1) # rows 1..4, 5..8, 9..12, 13..16
      expect(rows(pool.forward(x))).to eq([[[[6, 8], [14, 16]]]])
      dx = pool.backward(na([[[[1.0, 2.0], [3.0, 4.0]]]]))
      expect(rows(dx)).to eq([[[[0, 0, 0, 0], [0, 1, 0, 2], [0, 0, 0, 0], [0, 3, 0, 4]]]])
    end

    it 'routes dout to the first maximum of a tie, and to the first NaN' do
      pool = described_class.new(2, 2)
      pool.forward(na([[[[5.0, 5.0], [5.0, 5.0]]]]))
      expect(rows(pool.backward(na([[[[7.0]]]])))).to eq([[[[7, 0], [0, 0]]]])
      out = pool.forward(na([[[[1.0, Float::NAN], [Float::NAN, 2.0]]]]))
      expect(out[0]).to be_nan
      expect(rows(pool.backward(na([[[[7.0]]]])))).to eq([[[[0, 7], [0, 0]]]])
    end

    it 'gives the maximum element itself: -0.0 before 0.0 stays -0.0' do
      out = described_class.new(2, 2).forward(na([[[[-0.0, 0.0], [-1.0, -2.0]]]]))
      expect(1.0 / out[0]).to eq(-Float::INFINITY)
    end

    it 'adds where windows overlap (stride 1): a centre 9 in all four windows gets Σ dout' do
      pool = described_class.new(2, 2, 1)
      expect(rows(pool.forward(na([[[[1.0, 2.0, 3.0], [4.0, 9.0, 5.0], [6.0, 7.0, 8.0]]]])))).to eq([[[[9, 9], [9, 9]]]])
      expect(rows(pool.backward(na([[[[1.0, 2.0], [3.0, 4.0]]]])))).to eq([[[[0, 0, 0], [0, 10, 0], [0, 0, 0]]]])
    end

    it 'pads with zeros: negative pixels lose to the padding, whose dout is cut away' do
      pool = described_class.new(2, 2, 2, 1)
      x = na([[[[-1.0, -2.0], [-3.0, -4.0]]]])
      expect(rows(pool.forward(x))).to eq([[[[0, 0], [0, 0]]]])
      expect(rows(pool.backward(na([[[[1.0, 1.0], [1.0, 1.0]]]])))).to eq([[[[0, 0], [0, 0]]]])
    end

    it 'pools each channel of each image on its own' do
      x = na([[[[1.0, 2.0], [3.0, 4.0]], [[8.0, 7.0], [6.0, 5.0]]], [[[0.0, -1.0], [-2.0, -3.0]], [[-5.0, -6.0], [-7.0, -4.0]]]])
      pool = described_class.new(2, 2)
      expect(rows(pool.forward(x))).to eq([[[[4]], [[8]]], [[[0]], [[-4]]]])
      dx = pool.backward(na([[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]))
      expect(rows(dx)).to eq([[[[0, 0], [0, 1]], [[2, 0], [0, 0]]], [[[3, 0], [0, 0]], [[0, 0], [0, 4]]]])
    end
  end
end
