# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::Trainer do
  # class = which of the 3 columns is largest
  def separable(n, seed)
    x = DLScratch::Rng.new(seed).rand(n, 3)
    [x, NArray.to_na(DLScratch::Arrays.argmax_rows(x).to_a)]
  end

  let(:data) { separable(6, 1) }

  def extend_net(rng, **opts)
    DLScratch::MultiLayerNetExtend.new(3, [4], 3, weight_init_std: 0.5, rng: rng, **opts)
  end

  # Steps after which the accuracies were recorded.
  def evaluated_steps(trainer)
    steps = []
    trainer.train { |t, _loss| steps << t.current_iter if t.train_acc_list.size > steps.size }
    steps
  end

  it 'takes int(epochs · max(N / batch, 1)) steps and evaluates after those whose step mod iter_per_epoch is 0' do
    x5, t5 = separable(5, 2)
    { [5, 2, 2] => [5, [0]], # 2.5 steps an epoch: 5 steps, only step 0 has remainder 0
      [6, 3, 3] => [6, [0, 2, 4]],
      [5, 10, 4] => [4, [0, 1, 2, 3]] } # a batch above N: one step an epoch
      .each do |(n, batch, epochs), (steps, evals)|
      x, t = n == 5 ? [x5, t5] : data
      trainer = described_class.new(DLScratch::TwoLayerNet.new(3, 4, 3, seed: 1), x, t, x, t,
                                    epochs: epochs, mini_batch_size: batch)
      expect(trainer.max_iter).to eq(steps)
      expect(evaluated_steps(trainer)).to eq(evals)
      expect(trainer.train_loss_list.size).to eq(steps)
      expect(trainer.test_acc_list.size).to eq(evals.size)
      expect(trainer.current_epoch).to eq(evals.size)
      expect(trainer.test_acc).to be_a(Float)
    end
  end

  it 'measures the epochs on the first evaluate_sample_num_per_epoch images, the final test_acc on all' do
    # zero weights: every score ties, argmax 0, so an accuracy is the share of label 0
    x = na([[1.0, 2.0, 0.0], [0.5, -1.0, 0.0], [3.0, 0.0, 1.0], [-2.0, 1.0, 1.0]])
    t = NArray.to_na([0, 1, 1, 1])
    net = DLScratch::MultiLayerNet.new(3, [2], 2, weight_init_std: 0.0)
    trainer = described_class.new(net, x, t, x, t, epochs: 2, mini_batch_size: 4, optimizer_param: { lr: 0.0 },
                                                   evaluate_sample_num_per_epoch: 2)
    expect(trainer.train).to eq(0.25)
    expect(trainer.train_acc_list).to eq([0.5, 0.5])
    expect(trainer.test_acc_list).to eq([0.5, 0.5])
    all = described_class.new(net, x, t, x, t, epochs: 1, mini_batch_size: 4, optimizer_param: { lr: 0.0 },
                                               evaluate_sample_num_per_epoch: 9)
    all.train
    expect(all.train_acc_list).to eq([0.25])
  end

  it 'draws from one generator: the weights, then per step the batch and, with Dropout, the mask seed' do
    x, t = data
    rng = DLScratch::Rng.new(3)
    net = extend_net(rng, use_dropout: true)
    trainer = described_class.new(net, x, t, x, t, epochs: 2, mini_batch_size: 4, rng: rng)
    trainer.train
    replica = DLScratch::Rng.new(3)
    extend_net(replica)
    u = nil
    trainer.max_iter.times do
      replica.choice(6, 4)
      u = replica.next_u
    end
    expect(net.dropout_seed).to eq((u * 2**31).floor)
    expect(rng.next_u).to eq(replica.next_u)

    plain = DLScratch::Rng.new(3)
    described_class.new(extend_net(plain), x, t, x, t, epochs: 2, mini_batch_size: 4, rng: plain).train
    replica = DLScratch::Rng.new(3)
    extend_net(replica)
    trainer.max_iter.times { replica.choice(6, 4) }
    expect(plain.next_u).to eq(replica.next_u)
  end

  it "records the batch's loss in the network's default mode: test mode for MultiLayerNetExtend" do
    x, t = data
    rng = DLScratch::Rng.new(4)
    net = extend_net(rng, use_dropout: true, dropout_ration: 0.5)
    trainer = described_class.new(net, x, t, x, t, epochs: 1, mini_batch_size: 6, optimizer_param: { lr: 0.0 }, rng: rng)
    trainer.train
    replica = DLScratch::Rng.new(4)
    extend_net(replica)
    batch = NArray.to_na(replica.choice(6, 6))
    x_batch = x[true, batch]
    t_batch = t[batch]
    expect(trainer.train_loss_list).to eq([net.loss(x_batch, t_batch)])
    expect(trainer.train_loss_list[0]).not_to eq(net.loss(x_batch, t_batch, train_flg: true))
  end

  it 'trains a batch-norm network with Adam in place: the loss falls, the accuracy rises' do
    x, t = separable(60, 5)
    net = DLScratch::MultiLayerNetExtend.new(3, [8], 3, use_batchnorm: true, seed: 2)
    w1 = net.params['W1']
    trainer = described_class.new(net, x, t, x, t, epochs: 30, mini_batch_size: 10, optimizer: 'Adam',
                                                   optimizer_param: { lr: 0.05 }, seed: 2)
    expect(trainer.train).to be > 0.8
    expect(net.params['W1']).to equal(w1)
    losses = trainer.train_loss_list
    expect(losses.size).to eq(180)
    expect(losses.last(20).sum).to be < losses.first(20).sum * 0.5
    expect(trainer.test_acc_list.size).to eq(30)
  end
end
