# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Arrays do
  it 'keeps the book\'s row-major shape over NArray\'s column-first one' do
    a = na([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    expect(a.shape).to eq([3, 2])
    expect(described_class.shape(a)).to eq([2, 3])
    expect(a[2, 0]).to eq(3.0) # row 0, column 2
    expect(a[3]).to eq(4.0) # flat index: row by row
  end

  # Products of small whole numbers: every partial sum is exact, so the result is exact in any
  # summation order, with or without fused multiply-add: no tolerance needed.
  it 'multiplies as np.dot' do
    a = na([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = na([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]])
    expect(rows(described_class.dot(a, b))).to eq([[1.0, 2.0, 8.0], [3.0, 4.0, 18.0], [5.0, 6.0, 28.0]])
    expect(rows(described_class.dot(na([1.0, 1.0]), b))).to eq([1.0, 1.0, 5.0])
    expect { described_class.dot(b, b) }.to raise_error(ArgumentError)
  end

  it 'sums pairwise as NumPy: [2^53, 1 x 7] is 2^53 + 6, not 2^53' do
    a = NArray.to_na([2.0**53] + [1.0] * 7)
    # ((2^53 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1)): 2^53 + 1 rounds to 2^53, then + 2 + 4
    expect(described_class.pairwise_sum(a)).to eq(2.0**53 + 6)
    # NArray's own sum: a plain C loop in index order (no BLAS, no SIMD), so exact
    expect(a.sum).to eq(2.0**53)
    expect(described_class.pairwise_sum(NArray.to_na([0.5, 0.25, 0.125]))).to eq(0.875)
  end

  it 'finds the first maximum of each row (argmax on ties)' do
    expect(described_class.argmax_rows(na([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, -1.0, 5.0]])).to_a).to eq([1, 0, 2])
  end
end
