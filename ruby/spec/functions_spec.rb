# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Functions do

  # Book 3.5.2 and 4.2 (the printed values).
  describe '.softmax' do
    it 'gives the book\'s [0.01821127, 0.24519181, 0.73659691] for [0.3, 2.9, 4.0]' do
      expect(described_class.softmax(na([0.3, 2.9, 4.0]))).to be_all_close([0.01821127, 0.24519181, 0.73659691], atol: 5e-9)
    end

    it 'shifts by the max, so huge inputs do not overflow (book 3.5.2: [1010, 1000, 990])' do
      expect(described_class.softmax(na([1010.0, 1000.0, 990.0]))).to be_all_close([9.99954600e-01, 4.53978686e-05, 2.06106005e-09],
                                                                      rtol: 1e-7)
    end

    it 'works row by row on a 2-D array' do
      y = described_class.softmax(na([[0.3, 2.9, 4.0], [1010.0, 1000.0, 990.0]]))
      expect(rows(y)[0]).to be_all_close([0.01821127, 0.24519181, 0.73659691], atol: 5e-9)
      expect(rows(y.sum(0))).to be_all_close([1.0, 1.0])
    end

  end

  describe '.tanh' do
    # tanh(ln k) = (k − 1/k) / (k + 1/k): 3/5 for k = 2, 4/5 for k = 3 (ln k rounded: a few ulps)
    it 'gives (k - 1/k) / (k + 1/k) at ln k: 0.6 at ln 2, 0.8 at ln 3, and is odd' do
      y = described_class.tanh(na([[Math.log(2.0), Math.log(3.0)], [-Math.log(2.0), -Math.log(3.0)]]))
      expect(DLScratch::Arrays.shape(y)).to eq([2, 2])
      expect(y).to be_all_close([[0.6, 0.8], [-0.6, -0.8]], rtol: 1e-15, atol: 0)
    end

    it 'is 0 at 0, exactly ±1 beyond |x| ≈ 19.1 and at ±infinity, NaN at NaN; a Float gives a Float' do
      y = rows(described_class.tanh(na([0.0, 20.0, -20.0, Float::INFINITY, -Float::INFINITY, Float::NAN])))
      expect(y[0, 5]).to eq([0.0, 1.0, -1.0, 1.0, -1.0])
      expect(y[5]).to be_nan
      # tanh(1/2) = (e − 1) / (e + 1)
      expect(described_class.tanh(0.5)).to be_a(Float).and be_within(1e-16).of((Math::E - 1) / (Math::E + 1))
    end
  end

  describe '.sum_squared_error' do
    it 'trusts its input: arrays that do not fit raise NArray\'s own error, no protocol error' do
      expect { described_class.sum_squared_error(na([1.0, 2.0, 3.0]), na([1.0, 2.0])) }
        .to raise_error(RuntimeError, /size mismatch/) { |e| expect(e).not_to be_a(DLScratch::Error) }
    end
  end

  describe '.cross_entropy_error' do
    y_right = [0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]
    y_wrong = [0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]
    one_hot = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]

    it 'is 0.510825457099338 when the answer 2 has probability 0.6 (book 4.2.2)' do
      expect(described_class.cross_entropy_error(na(y_right), na(one_hot))).to be_all_close(0.510825457099338)
      expect(described_class.cross_entropy_error(na(y_right), 2)).to be_all_close(0.510825457099338)
    end

    it 'is 2.302584092994546 when it has probability 0.1' do
      expect(described_class.cross_entropy_error(na(y_wrong), na(one_hot))).to be_all_close(2.302584092994546)
    end

    it 'averages over a batch with labels' do
      y = na([y_right, y_wrong])
      expect(described_class.cross_entropy_error(y, [2, 2])).to be_all_close((0.510825457099338 + 2.302584092994546) / 2)
    end

    it 'gives -log(1e-7) = 16.11809565095832 for a zero probability' do
      expect(described_class.cross_entropy_error(na(y_right), 3)).to be_all_close(16.11809565095832)
    end

    it 'trusts its labels: one outside 0..C-1 is an IndexError of NArray' do
      expect { described_class.cross_entropy_error(na(y_right), 10) }.to raise_error(IndexError)
    end
  end

  describe '.sum_squared_error' do
    it 'is 0.0975 and 0.5975 for the book\'s two outputs (book 4.2.1)' do
      t = na([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
      expect(described_class.sum_squared_error(na([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0]), t)).to be_all_close(0.0975)
      expect(described_class.sum_squared_error(na([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0]), t)).to be_all_close(0.5975)
    end
  end

  describe 'elementwise functions' do
    it 'step is 1 only above 0 (book 3.2.3)' do
      expect(rows(described_class.step(na([-1.0, 0.0, 1.0, 2.0])))).to eq([0, 0, 1, 1])
      expect(described_class.step(0.5)).to eq(1)
    end

    it 'sigmoid is 1 / (1 + exp(-x)) (book 3.2.4: [0.26894142, 0.73105858, 0.88079708])' do
      expect(described_class.sigmoid(na([-1.0, 1.0, 2.0]))).to be_all_close([0.26894142, 0.73105858, 0.88079708], atol: 5e-9)
      expect(described_class.sigmoid(na([-1000.0, 1000.0]))).to be_all_close([0.0, 1.0])
      expect(described_class.sigmoid(0.0)).to eq(0.5)
    end

    it 'sigmoid_grad is (1 - s) s' do
      expect(described_class.sigmoid_grad(0.0)).to eq(0.25)
    end

    it 'relu is max(0, x) and keeps NaN; relu_grad is 1 at x >= 0' do
      y = described_class.relu(na([-2.0, 0.0, 3.0, Float::NAN]))
      expect(rows(y)[0..2]).to eq([0.0, 0.0, 3.0])
      expect(rows(y)[3]).to be_nan
      expect(rows(described_class.relu_grad(na([-2.0, 0.0, 3.0, Float::NAN])))).to eq([0.0, 1.0, 1.0, 0.0])
    end
  end
end
