# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Util do
  let(:img3) { na([[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]) }

  it 'counts the window positions, rounding down: (input + 2·pad − filter) // stride + 1' do
    expect(described_class.conv_output_size(28, 5)).to eq(24)
    expect(described_class.conv_output_size(7, 2, 2)).to eq(3) # 5 / 2 = 2.5, rounded down
    expect(described_class.conv_output_size(2, 2, 2, 1)).to eq(2)
  end

  describe '.im2col' do
    it 'gives one row per window in the order (i, j): 2×2 windows of a 3×3 image' do
      col = described_class.im2col(img3, 2, 2)
      expect(rows(col)).to eq([[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]])
    end

    it 'orders the columns (c, y, x) and the rows (n, i, j)' do
      x = na([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]],
              [[[10.0, 20.0], [30.0, 40.0]], [[50.0, 60.0], [70.0, 80.0]]]])
      expect(rows(described_class.im2col(x, 1, 2))).to eq([[1, 2, 5, 6], [3, 4, 7, 8], [10, 20, 50, 60], [30, 40, 70, 80]])
    end

    it 'pads with zeros and steps by stride: 2×2 windows of stride 2 on a 2×2 image padded by 1' do
      col = described_class.im2col(na([[[[1.0, 2.0], [3.0, 4.0]]]]), 2, 2, 2, 1)
      expect(rows(col)).to eq([[0, 0, 0, 1], [0, 0, 2, 0], [0, 3, 0, 0], [4, 0, 0, 0]])
    end

    it 'leaves the input unchanged' do
      described_class.im2col(img3, 3, 3, 1, 2)
      expect(rows(img3)).to eq([[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]])
    end
  end

  describe '.col2im' do
    it 'adds overlapping windows: every pixel of a 3×3 image counts the 2×2 windows over it' do
      x = described_class.col2im(NArray.float(4, 4).fill!(1.0), [1, 1, 3, 3], 2, 2)
      expect(rows(x)).to eq([[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]])
    end

    it 'cuts the padding away: with pad 1 each pixel of a 2×2 image lies in four 2×2 windows' do
      x = described_class.col2im(NArray.float(4, 9).fill!(1.0), [1, 1, 2, 2], 2, 2, 1, 1)
      expect(rows(x)).to eq([[[[4, 4], [4, 4]]]])
    end

    it 'puts each entry back where im2col took it from when the windows do not overlap' do
      x = na([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]], [[[9.0, 10.0, 11.0, 12.0], [13.0, 14.0, 15.0, 16.0]]]])
      expect(rows(described_class.col2im(described_class.im2col(x, 2, 2, 2), [2, 1, 2, 4], 2, 2, 2))).to eq(rows(x))
    end

    it 'is the adjoint of im2col: <im2col(x), col> = <x, col2im(col)> (stride 2, pad 1, 2 channels)' do
      rng = DLScratch::Rng.new(3)
      x = rng.randn(2, 2, 5, 4)
      col = rng.randn(2 * 3 * 3, 2 * 3 * 2) # OH = (5 + 2 − 3) // 2 + 1 = 3, OW = (4 + 2 − 2) // 2 + 1 = 3
      lhs = (described_class.im2col(x, 3, 2, 2, 1) * col).sum
      rhs = (x * described_class.col2im(col, [2, 2, 5, 4], 3, 2, 2, 1)).sum
      expect(lhs).to be_within(1e-12).of(rhs)
    end
  end

  describe '.to_float16' do
    # Each value worked by hand: q = 2^(e − 10), e = floor(log2 |x|) >= −14, y = roundTiesToEven(x / q)·q.
    it 'rounds to the nearest binary16 value, ties to even, held in a float64' do
      {
        0.1 => 0.0999755859375,               # q = 2^−14: 0.1 / q = 1638.4 → 1638
        1.0 / 3 => 0.333251953125,            # q = 2^−12: 1365.33 → 1365
        65_504.0 => 65_504.0,                 # the largest binary16, 2047·2^5
        65_519.99 => 65_504.0,                # 2047.4997 → 2047
        2.0**-24 => 2.0**-24,                 # the smallest subnormal
        2.0**-25 => 0.0,                      # half a quantum: a tie, to the even 0
        3 * (2.0**-25) => 2.0**-23,           # 1.5 quanta: a tie between 1 and 2, to 2
        1 + (2.0**-11) => 1.0,                # q = 2^−10: 1024.5 → 1024 (even)
        1 + (3 * (2.0**-11)) => 1 + (2.0**-9), # 1025.5 → 1026 (even)
        1.00048828125 => 1.0,                 # 1 + 2^−11 written out
        2.0**-14 => 2.0**-14,                 # the smallest normal
        -2.5 => -2.5
      }.each do |x, y|
        expect(described_class.to_float16(x)).to eq(y), "#{x} gave #{described_class.to_float16(x)}, not #{y}"
      end
    end

    it 'overflows from 65520 on, keeps the signs of zeros and infinities, and NaN' do
      expect(described_class.to_float16(65_520.0)).to eq(Float::INFINITY) # 2047.5·2^5: a tie, to 2048·2^5 > 65504
      expect(described_class.to_float16(-65_520.0)).to eq(-Float::INFINITY)
      expect(described_class.to_float16(1e300)).to eq(Float::INFINITY)
      y = described_class.to_float16(-(2.0**-26)) # a quarter of a quantum: to 0, negative
      expect(y).to eq(0.0)
      expect(1 / y).to eq(-Float::INFINITY)
      expect(1 / described_class.to_float16(-0.0)).to eq(-Float::INFINITY)
      expect(described_class.to_float16(-Float::INFINITY)).to eq(-Float::INFINITY)
      expect(described_class.to_float16(Float::NAN)).to be_nan
    end

    it 'rounds every element of an array of any shape, keeping its shape' do
      x = na([[[0.1, 65_520.0], [-(2.0**-26), 3.0]]])
      y = described_class.to_float16(x)
      expect(y.shape).to eq(x.shape)
      expect(y.typecode).to eq(NArray::DFLOAT)
      expect(rows(y)).to eq([[[0.0999755859375, Float::INFINITY], [-0.0, 3.0]]])
    end
  end
end
