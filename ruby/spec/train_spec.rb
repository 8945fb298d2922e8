# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Train do
  # A tiny separable problem: class = which of the 3 columns is largest.
  let(:data) do
    rng = DLScratch::Rng.new(11)
    x = rng.rand(60, 3)
    t = NArray.to_na(DLScratch::Arrays.argmax_rows(x).to_a)
    [x, t]
  end

  it 'counts epochs as the book: iter_per_epoch = max(train_size / batch_size, 1) in float64, exact remainders' do
    evaluated = lambda do |train_size, batch_size, iters|
      per_epoch = described_class.iter_per_epoch(train_size, batch_size)
      (0...iters).select { |i| described_class.epoch_end?(i, per_epoch) }
    end
    expect(described_class.iter_per_epoch(60_000, 128)).to eq(468.75)
    expect(evaluated.call(60_000, 128, 4000)).to eq([0, 1875, 3750])
    expect(evaluated.call(60_000, 100, 1300)).to eq([0, 600, 1200])
    expect(evaluated.call(60_000, 7, 100_000)).to eq([0]) # 8571.428...: not a binary fraction
    expect(described_class.iter_per_epoch(50, 100)).to eq(1.0)
    expect(evaluated.call(50, 100, 3)).to eq([0, 1, 2])
  end

  it 'records one loss per iteration and lowers the loss' do
    x, t = data
    r = described_class.two_layer_net(x, t, hidden_size: 8, output_size: 3, weight_init_std: 0.5, lr: 0.5,
                                            batch_size: 20, iters: 300, seed: 2)
    expect(r.loss_history.size).to eq(300)
    expect(r.loss_history.last(20).sum / 20).to be < r.loss_history.first(20).sum / 20 * 0.5
    expect(r.network.accuracy(x, t)).to be > 0.8
  end

  it 'is deterministic for a seed and follows one generator (weights, then batches)' do
    x, t = data
    a = described_class.two_layer_net(x, t, hidden_size: 4, output_size: 3, iters: 5, batch_size: 7, seed: 9)
    b = described_class.two_layer_net(x, t, hidden_size: 4, output_size: 3, iters: 5, batch_size: 7, seed: 9)
    # both runs in this process, through the same products in the same order: equal bit for bit
    expect(a.loss_history).to eq(b.loss_history)
    seen = []
    described_class.two_layer_net(x, t, hidden_size: 4, output_size: 3, iters: 2, batch_size: 7, seed: 9) do |i, _net, loss|
      seen << [i, loss]
    end
    expect(seen.map(&:first)).to eq([0, 1])
    expect(seen.map(&:last)).to eq(a.loss_history.first(2))
  end
end
