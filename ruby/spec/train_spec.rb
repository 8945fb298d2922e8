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
    expect(a.loss_history).to eq(b.loss_history)
    seen = []
    described_class.two_layer_net(x, t, hidden_size: 4, output_size: 3, iters: 2, batch_size: 7, seed: 9) do |i, _net, loss|
      seen << [i, loss]
    end
    expect(seen.map(&:first)).to eq([0, 1])
    expect(seen.map(&:last)).to eq(a.loss_history.first(2))
  end
end
