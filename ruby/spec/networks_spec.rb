# frozen_string_literal: true

require 'spec_helper'

RSpec.describe 'networks' do
  # Mean |backprop - numerical| per parameter (book 5.7.3).
  def gradient_check(net, x, t)
    num = net.numerical_gradient(x, t)
    grad = net.gradient(x, t)
    grad.keys.to_h { |k| [k, (grad[k] - num[k]).abs.mean] }
  end

  describe DLScratch::Net3 do
    it 'gives the book\'s [0.31682708, 0.69627909] for x = [1.0, 0.5] (book 3.4.3)' do
      y = described_class.forward(described_class.init_network, na([1.0, 0.5]))
      expect(y).to be_all_close([0.31682708, 0.69627909], atol: 5e-9)
    end

    it 'gives the same rows for a batch' do
      y = described_class.forward_trace(described_class.init_network, na([[1.0, 0.5], [1.0, 0.5]]), output: 'softmax')[:y]
      expect(y.sum(0)).to be_all_close([1.0, 1.0])
    end
  end

  describe DLScratch::SimpleNet do
    # Book 4.4.2, with the W printed there (to 8 digits, so the book's loss and dW, computed
    # from the unrounded W, agree to about 1e-6 only).
    let(:net) { described_class.new(na([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]])) }
    let(:x) { na([0.6, 0.9]) }

    it 'predicts [1.05414809, 0.63071653, 1.1328074]' do
      expect(net.predict(x)).to be_all_close([1.05414809, 0.63071653, 1.1328074], atol: 5e-9)
    end

    it 'has loss 0.92806853663411326 for t = [0, 0, 1]' do
      expect(net.loss(x, na([0.0, 0.0, 1.0]))).to be_all_close(0.92806853663411326, rtol: 1e-6)
    end

    it 'has dW [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]]' do
      dw = net.numerical_gradient(x, na([0.0, 0.0, 1.0]))
      expect(dw).to be_all_close([[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]],
                                 atol: 2e-7)
    end
  end

  describe DLScratch::TwoLayerNet do
    let(:rng) { DLScratch::Rng.new(3) }
    let(:x) { rng.rand(5, 4) }
    let(:t) { [0, 2, 1, 2, 0] }

    it 'trusts its params and inputs: an x that does not fit W1 is an ArgumentError of the product' do
      net = described_class.new(4, 3, 3, rng: rng)
      expect { net.loss(rng.rand(5, 2), t) }.to raise_error(ArgumentError) { |e| expect(e).not_to be_a(DLScratch::Error) }
    end

    it 'draws W1 then W2 as std * randn from one generator, biases zero' do
      net = described_class.new(2, 2, 1, weight_init_std: 0.5, seed: 0)
      n = DLScratch::Rng.new(0).normal(6)
      expect(net.params['W1']).to be_all_close(n[0, 4].map { |v| 0.5 * v })
      expect(net.params['W2']).to be_all_close(n[4, 2].map { |v| 0.5 * v })
      expect(rows(net.params['b1'])).to eq([0.0, 0.0])
    end

    it 'passes the gradient check: mean |backprop - numerical| <= 1e-7 per parameter' do
      net = described_class.new(4, 5, 3, weight_init_std: 0.5, rng: rng)
      diffs = gradient_check(net, x, t)
      expect(diffs.keys).to eq(%w[W1 b1 W2 b2])
      expect(diffs.values.max).to be <= 1e-7
    end

    it 'sees in-place parameter updates through its layers (the book\'s aliasing)' do
      net = described_class.new(4, 5, 3, weight_init_std: 0.5, rng: rng)
      before = net.loss(x, t)
      DLScratch::Optimizers::SGD.new(lr: 0.5).update(net.params, net.gradient(x, t))
      expect(net.layers['Affine1'].W).to equal(net.params['W1'])
      expect(net.loss(x, t)).to be < before
    end

    # Identity weights and whole-number inputs: the scores, ties included, are exact.
    it 'counts accuracy with the first maximum on ties' do
      net = described_class.new(2, 2, 2, params: { 'W1' => na([[1.0, 0.0], [0.0, 1.0]]), 'b1' => na([0.0, 0.0]),
                                                   'W2' => na([[1.0, 0.0], [0.0, 1.0]]), 'b2' => na([0.0, 0.0]) })
      expect(net.accuracy(na([[2.0, 1.0], [1.0, 1.0], [0.0, 3.0], [1.0, 5.0]]), [0, 0, 0, 0])).to eq(0.5)
    end

    it 'counts the same accuracy in batches, labels or one-hot, the last batch short' do
      net = described_class.new(6, 8, 3, weight_init_std: 1.0, rng: rng)
      xs = rng.rand(23, 6)
      labels = NArray.to_na(Array.new(23) { |i| (i * 7) % 3 })
      one_hot = NArray.float(3, 23)
      23.times { |i| one_hot[labels[i], i] = 1.0 }
      whole = net.accuracy(xs, labels)
      expect(whole).to be_between(0.1, 0.9)
      [1, 5, 10, 23, 100].each do |size|
        expect(net.accuracy(xs, labels, batch_size: size)).to eq(whole)
        expect(net.accuracy(xs, one_hot, batch_size: size)).to eq(whole)
        expect(net.accuracy(xs, labels.to_a, batch_size: size)).to eq(whole)
      end
    end
  end

  describe DLScratch::MultiLayerNet do
    let(:rng) { DLScratch::Rng.new(5) }
    let(:x) { rng.rand(4, 3) }
    let(:t) { [1, 0, 1, 1] }

    %w[relu sigmoid].each do |activation|
      it "passes the gradient check with #{activation} and weight decay" do
        net = described_class.new(3, [4, 3], 2, activation: activation, weight_init_std: 'he',
                                                weight_decay_lambda: 0.1, rng: rng)
        diffs = gradient_check(net, x, t)
        expect(diffs.keys).to eq(%w[W1 b1 W2 b2 W3 b3])
        expect(diffs.values.max).to be <= 1e-7
      end
    end

    it 'adds 0.5 lambda sum W^2 to the loss' do
      params = { 'W1' => na([[1.0, 2.0]]), 'b1' => na([0.0, 0.0]) }
      net0 = described_class.new(1, [], 2, params: params)
      net1 = described_class.new(1, [], 2, params: params, weight_decay_lambda: 0.2)
      x1 = na([[1.0]])
      expect(net1.loss(x1, [0]) - net0.loss(x1, [0])).to be_all_close(0.5 * 0.2 * 5.0)
    end

    it 'scales W_i by sqrt(2 / n_in) for "he" and sqrt(1 / n_in) for "xavier"' do
      expect(described_class.init_scale('he', 8)).to eq(0.5)
      expect(described_class.init_scale('xavier', 4)).to eq(0.5)
      expect { described_class.init_scale('bogus', 4) }.to raise_error(ArgumentError)
    end
  end

  describe DLScratch::MultiLayerNetExtend do
    let(:rng) { DLScratch::Rng.new(7) }
    let(:x) { rng.rand(6, 3) }

    # labels the network itself predicts: with flat scores the + 1e-7 inside the loss's log alone
    # would make backprop and the central differences differ by about 1e-7
    def own_labels(net, x)
      DLScratch::Arrays.argmax_rows(net.predict(x, train_flg: true)).to_a
    end

    it 'draws the weights of MultiLayerNet from the same seed; with batch norm gamma = 1, beta = 0' do
      plain = DLScratch::MultiLayerNet.new(3, [4, 2], 2, weight_init_std: 'xavier', seed: 4)
      net = described_class.new(3, [4, 2], 2, weight_init_std: 'xavier', use_batchnorm: true, seed: 4)
      expect(net.params.keys).to eq(%w[W1 b1 W2 b2 W3 b3 gamma1 beta1 gamma2 beta2])
      plain.params.each { |k, v| expect(rows(net.params[k])).to eq(rows(v)) }
      expect(rows(net.params['gamma1'])).to eq([1.0] * 4)
      expect(rows(net.params['beta2'])).to eq([0.0] * 2)
      expect(described_class.new(3, [4, 2], 2, seed: 4).params.keys).to eq(%w[W1 b1 W2 b2 W3 b3])
      expect(net.layers.keys).to eq(%w[Affine1 BatchNorm1 Activation_function1 Affine2 BatchNorm2 Activation_function2 Affine3])
    end

    %w[relu sigmoid].each do |activation|
      it "passes the gradient check with batch norm, dropout (one mask per pass) and weight decay, #{activation}" do
        net = described_class.new(3, [5, 4], 3, activation: activation, weight_init_std: 1.0, weight_decay_lambda: 0.1,
                                                use_dropout: true, dropout_ration: 0.3, use_batchnorm: true, rng: rng,
                                                dropout_seed: 11)
        t = own_labels(net, x)
        diffs = gradient_check(net, x, t)
        expect(diffs.keys).to match_array(%w[W1 b1 gamma1 beta1 W2 b2 gamma2 beta2 W3 b3])
        expect(net.numerical_gradient(x, t).keys).to eq(%w[W1 b1 gamma1 beta1 W2 b2 gamma2 beta2 W3 b3])
        expect(diffs.values.max).to be <= 1e-7
      end
    end

    it 'adds the weight decay to the loss and lambda W_i to dW_i, as MultiLayerNet' do
      net0 = described_class.new(3, [4], 2, use_batchnorm: true, rng: DLScratch::Rng.new(1))
      net1 = described_class.new(3, [4], 2, use_batchnorm: true, weight_decay_lambda: 0.5, params: net0.params)
      decay = 0.5 * 0.5 * %w[W1 W2].sum { |k| (net0.params[k]**2).sum }
      expect(net1.loss(x, [0, 1, 0, 1, 1, 0]) - net0.loss(x, [0, 1, 0, 1, 1, 0])).to be_all_close(decay)
      g0 = net0.gradient(x, [0, 1, 0, 1, 1, 0])
      g1 = net1.gradient(x, [0, 1, 0, 1, 1, 0])
      expect(g1['W2'] - g0['W2']).to be_all_close(0.5 * net0.params['W2'])
      expect(g1['gamma1']).to be_all_close(g0['gamma1'])
    end

    describe 'running statistics' do
      # 1 -> 1 -> 2: a = x·W1 = [1, 3], batch mean 2 and variance 1; W2 = [1, -1] shows relu(xn).
      let(:params) do
        { 'W1' => na([[1.0]]), 'b1' => na([0.0]), 'gamma1' => na([1.0]), 'beta1' => na([0.0]),
          'W2' => na([[1.0, -1.0]]), 'b2' => na([0.0, 0.0]) }
      end
      let(:net) { described_class.new(1, [1], 2, use_batchnorm: true, params: params) }
      let(:x1) { na([[1.0], [3.0]]) }

      it 'start at zeros: a test-mode pass divides by sqrt(0 + 1e-6), as the untrained book network' do
        expect(net.predict(x1)).to be_all_close([[1000.0, -1000.0], [3000.0, -3000.0]], rtol: 1e-12)
        expect(rows(net.running_stats['running_mean1'])).to eq([0.0])
      end

      it 'move by r <- 0.9 r + 0.1 batch value in each training-mode pass, and normalise test mode' do
        y = net.predict(x1, train_flg: true)
        s = 1 / Math.sqrt(1 + 1e-6) # xn = [-1, 1] / sqrt(1 + eps)
        expect(y).to be_all_close([[0.0, 0.0], [s, -s]], rtol: 1e-15)
        expect(net.running_stats['running_mean1']).to be_all_close([0.2], rtol: 1e-15)
        expect(net.running_stats['running_var1']).to be_all_close([0.1], rtol: 1e-15)
        net.predict(x1, train_flg: true)
        expect(net.running_stats['running_mean1']).to be_all_close([0.9 * 0.2 + 0.2], rtol: 1e-15)
        expect(net.running_stats['running_var1']).to be_all_close([0.9 * 0.1 + 0.1], rtol: 1e-15)
        # test mode: xn = (a - 0.38) / sqrt(0.19 + eps), the statistics unchanged
        xn = (3.0 - 0.38) / Math.sqrt(0.19 + 1e-6)
        expect(rows(net.predict(x1))[1]).to be_all_close([xn, -xn], rtol: 1e-14)
        expect(net.running_stats['running_mean1']).to be_all_close([0.38], rtol: 1e-15)
      end

      it 'can be given: a test-mode pass normalises with them' do
        net.running_stats = { 'running_mean1' => na([1.0]), 'running_var1' => na([4.0 - 1e-6]) }
        expect(net.predict(x1)).to be_all_close([[0.0, 0.0], [1.0, -1.0]], rtol: 1e-15) # (3 - 1) / sqrt(4)
        expect(net.accuracy(x1, [0, 0])).to eq(1.0) # argmax of [0, 0] is the first
      end
    end

    describe 'dropout masks' do
      # 1 -> 3 -> 3 -> 3 with W1 = ones and identities after: the scores of x = 1 are the masks' product
      let(:eye) { na([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]) }
      let(:params) do
        { 'W1' => na([[1.0, 1.0, 1.0]]), 'b1' => na([0.0] * 3), 'W2' => eye, 'b2' => na([0.0] * 3),
          'W3' => eye.dup, 'b3' => na([0.0] * 3) }
      end
      let(:ones) { na([[1.0], [1.0]]) }

      def net_with(seed)
        described_class.new(1, [3, 3], 3, use_dropout: true, dropout_ration: 0.4, params: params, dropout_seed: seed)
      end

      it 'are drawn in forward order from one generator seeded with dropout_seed, the same at every pass' do
        u = DLScratch::Rng.new(5).uniform(12)
        want = (0...6).map { |k| u[k] > 0.4 && u[k + 6] > 0.4 ? 1.0 : 0.0 }.each_slice(3).to_a
        net = net_with(5)
        expect(rows(net.predict(ones, train_flg: true))).to eq(want)
        expect(rows(net.predict(ones, train_flg: true))).to eq(want)
        net.dropout_seed = 6
        expect(rows(net.predict(ones, train_flg: true))).not_to eq(want)
      end

      it 'scale by 1 - ratio in test mode, the default of predict and loss' do
        expect(net_with(5).predict(ones)).to be_all_close([[0.36] * 3] * 2, rtol: 1e-15) # 0.6 · 0.6
      end
    end
  end
end
