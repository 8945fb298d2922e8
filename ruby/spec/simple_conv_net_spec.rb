# frozen_string_literal: true

require 'spec_helper'

RSpec.describe DLScratch::SimpleConvNet do
  # One filter [[1, 0], [0, 0]] on a 1×3×3 input: the conv output is the top-left 2×2 of x, the
  # pooling its maximum m; then h = relu(2·m + 1) and the scores [h, −h].
  let(:one_path) do
    { 'W1' => na([[[[1.0, 0.0], [0.0, 0.0]]]]), 'b1' => na([0.0]), 'W2' => na([[2.0]]), 'b2' => na([1.0]),
      'W3' => na([[1.0, -1.0]]), 'b3' => na([0.0, 0.0]) }
  end
  let(:small) { { input_dim: [1, 3, 3], conv_param: { filter_num: 1, filter_size: 2 }, hidden_size: 1, output_size: 2 } }
  let(:x) { na([[[[1.0, -3.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 9.0]]]]) }

  it 'predicts through conv, relu, pool, affine, relu, affine by hand' do
    # conv: 1, -3, 2, 0 → relu 1, 0, 2, 0 → max 2 → h = 5 (the 9 is outside every window's used corner)
    net = described_class.new(**small, params: one_path)
    expect(rows(net.predict(x))).to eq([[5, -5]])
  end

  it 'has the loss −log(softmax([5, −5])[t] + 1e-7)' do
    net = described_class.new(**small, params: one_path)
    p0 = 1.0 / (1.0 + Math.exp(-10.0))
    expect(net.loss(x, NArray[0])).to be_within(1e-15).of(-Math.log(p0 + 1e-7))
    expect(net.loss(x, NArray[1])).to be_within(1e-12).of(-Math.log(1.0 - p0 + 1e-7))
  end

  it 'counts every sample in accuracy, the last partial batch of 100 included' do
    # zero weights, b3 = [1, 0]: every sample is class 0; the last 30 of 130 are labelled 0
    params = one_path.transform_values { |v| v * 0.0 }
    params['b3'] = na([1.0, 0.0])
    net = described_class.new(**small, params: params)
    t = NArray.int(130).fill!(1)
    t[100...130] = 0
    expect(net.accuracy(NArray.float(3, 3, 1, 130), t)).to eq(30.0 / 130)
  end

  it 'draws W1, W2, W3 in that order from one generator; W2 has the pooled rows FN·PH·PW' do
    # 2×6×9 input, 3×3 filters: conv 4×7, pooled 2×3, so W2 is (4·2·3)×5
    net = described_class.new(input_dim: [2, 6, 9], conv_param: { filter_num: 4, filter_size: 3 }, hidden_size: 5,
                              output_size: 3, weight_init_std: 0.5, rng: DLScratch::Rng.new(11))
    p = net.params
    expect(p.keys).to eq(%w[W1 b1 W2 b2 W3 b3])
    expect(p.transform_values { |v| DLScratch::Arrays.shape(v) })
      .to eq('W1' => [4, 2, 3, 3], 'b1' => [4], 'W2' => [24, 5], 'b2' => [5], 'W3' => [5, 3], 'b3' => [3])
    normals = DLScratch::Rng.new(11).normal(72 + 120 + 15).map { |z| 0.5 * z }
    expect(p['W1'].to_a.flatten + p['W2'].to_a.flatten + p['W3'].to_a.flatten).to eq(normals)
    expect([p['b1'], p['b2'], p['b3']].map(&:sum)).to eq([0, 0, 0])
  end

  it 'rounds the pooled size down for an odd conv output (7 → 3, where the book would count 3.5)' do
    net = described_class.new(input_dim: [1, 8, 8], conv_param: { filter_num: 30, filter_size: 2 }, hidden_size: 4)
    expect(DLScratch::Arrays.shape(net.params['W2'])).to eq([270, 4])
  end

  # Book ch07/gradient_check.py: input 1×10×10, 10 filters of 3×3, hidden 10, 10 classes. With
  # the book's std 0.01 the hidden pre-activations are about 1e-5, so a step h = 1e-4 crosses
  # ReLU's kink (b2 then differs by 7e-5); weights of std 0.3 keep the units away from it. The
  # label is the network's own prediction, so that log(p + 1e-7) is not far from log(p).
  it 'passes the book\'s gradient check: backprop and central differences agree' do
    net = described_class.new(input_dim: [1, 10, 10], conv_param: { filter_num: 10, filter_size: 3 }, hidden_size: 10,
                              output_size: 10, weight_init_std: 0.3, rng: DLScratch::Rng.new(1))
    x = DLScratch::Rng.new(100).rand(1, 1, 10, 10)
    t = DLScratch::Arrays.argmax_rows(net.predict(x))
    num = net.numerical_gradient(x, t)
    grad = net.gradient(x, t)
    expect(grad.keys).to eq(%w[W1 b1 W2 b2 W3 b3])
    grad.each { |key, g| expect((g - num[key]).abs.mean).to be < 1e-7, "#{key}: #{(g - num[key]).abs.mean}" }
  end

  it 'trains in the Trainer on 4-D batches: the loss of a tiny separable set falls' do
    rng = DLScratch::Rng.new(2)
    x = NArray.float(4, 4, 1, 20)
    t = NArray.int(20)
    20.times do |i|
      t[i] = i % 2
      # class 0: a bright top half, class 1: a bright bottom half
      x[true, (t[i] * 2)...((t[i] * 2) + 2), 0, i] = 1.0
    end
    net = described_class.new(input_dim: [1, 4, 4], conv_param: { filter_num: 2, filter_size: 3 }, hidden_size: 4,
                              output_size: 2, weight_init_std: 0.5, rng: rng)
    trainer = DLScratch::Trainer.new(net, x, t, x, t, epochs: 30, mini_batch_size: 10, optimizer: 'adam',
                                                      optimizer_param: { lr: 0.05 }, rng: rng)
    expect(trainer.train).to eq(1.0)
    expect(trainer.train_loss_list.last).to be < trainer.train_loss_list.first / 4
  end
end
