# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'dlscratch/bench'

RSpec.describe DLScratch::Bench do
  describe 'bin/bench' do
    it '--help lists every option with its default' do
      out = expect_help('bench')
      %w[--net --repeats --steps --hidden --batch --check --no-reference --json].each do |flag|
        expect(out).to match(/^\s*#{flag}\b.*\(default: [^)]+\)$/), "#{flag} without its default"
      end
    end

    it 'refuses bad options and values in one line, exit status 2' do
      expect_refused('bench', '--repeats', '0', /--repeats 0 \(must be >= 1\)/)
      expect_refused('bench', '--steps', '0', /--steps 0 \(must be >= 1\)/)
      expect_refused('bench', '--hidden', '0', /--hidden 0 \(must be >= 1\)/)
      expect_refused('bench', '--batch', '-3', /--batch -3 \(must be >= 1\)/)
      expect_refused('bench', '--repeats', 'abc', /--repeats abc/)
      expect_refused('bench', '--steps', /missing argument: --steps/)
      expect_refused('bench', '--bogus', /invalid option: --bogus/)
      expect_refused('bench', '--no-python', /invalid option: --no-python/)
      expect_refused('bench', '--net', 'lenet', /--net lenet \(choose from two_layer_net, simple_conv_net, deep_conv_net\)/)
    end

    it 'prints one JSON object as the last line with --json' do
      out, err, status = run_cmd('bench', '--repeats', '1', '--steps', '1', '--no-reference', '--json')
      expect(status).to be_success, err
      h = JSON.parse(out.lines.last)
      expect(h).to include('port' => 'ruby', 'python_ms_per_step' => nil)
      expect(h['ms_per_step']).to be > 0
      expect(h['page_faults_per_step']).to be >= 0
    end

    it "--check prints the loss, dx1 and gradients of the book's step on the §9 inputs" do
      out, err, status = run_cmd('bench', '--check', '--hidden', '3', '--batch', '4')
      expect(status).to be_success, err
      h = JSON.parse(out)
      expect(h['loss']).to be_within(1e-3).of(Math.log(10))
      expect([h['dx1'].size, h['dx1'][0].size]).to eq([4, 784])
      expect(h['grads'].transform_values { |g| [g.size, g[0].is_a?(Array) ? g[0].size : nil] })
        .to eq('W1' => [784, 3], 'b1' => [3, nil], 'W2' => [3, 10], 'b2' => [10, nil])
    end
  end

  it "--net simple_conv_net --check gives the conv step's loss, dx1 as N×1×28×28 and the six gradients" do
    out, err, status = run_cmd('bench', '--net', 'simple_conv_net', '--check', '--hidden', '3', '--batch', '2')
    expect(status).to be_success, err
    h = JSON.parse(out)
    expect(h['loss']).to be_within(1e-3).of(Math.log(10)) # std 0.01: the scores are nearly equal
    dx1 = DLScratch::Arrays.from_rows(h['dx1'])
    expect(DLScratch::Arrays.shape(dx1)).to eq([2, 1, 28, 28])
    expect(h['grads'].transform_values { |g| DLScratch::Arrays.shape(DLScratch::Arrays.from_rows(g)) })
      .to eq('W1' => [30, 1, 5, 5], 'b1' => [30], 'W2' => [4320, 3], 'b2' => [3], 'W3' => [3, 10], 'b3' => [10])
  end

  it 'gives the conv net the §9 inputs: x = rand(batch, 784) as N×1×28×28, then W1, W2, W3; 519.0 MFLOP a step of 100' do
    net, x, = described_class.inputs(4, 2, 'simple_conv_net')
    rng = DLScratch::Rng.new(0)
    expect(x.to_a.flatten).to eq(rng.rand(2, 784).to_a.flatten)
    expect(DLScratch::Arrays.shape(x)).to eq([2, 1, 28, 28])
    expect(net.params['W1'].to_a.flatten).to eq((0.01 * rng.randn(30, 1, 5, 5)).to_a.flatten)
    # 3·100·576·30·25 + 3·100·(4320·100 + 100·10) multiply-adds of 2 flops
    expect(described_class.flops_per_step(100, 100, 'simple_conv_net')).to eq(519_000_000)
  end

  it "--net deep_conv_net --check gives the deep step's loss, dx1 as N×1×28×28 and the 16 gradients" do
    out, err, status = run_cmd('bench', '--net', 'deep_conv_net', '--check', '--hidden', '3', '--batch', '2')
    expect(status).to be_success, err
    h = JSON.parse(out)
    expect(DLScratch::Arrays.shape(DLScratch::Arrays.from_rows(h['dx1']))).to eq([2, 1, 28, 28])
    expect(h['grads'].keys).to eq((1..8).flat_map { |i| %W[W#{i} b#{i}] })
    expect(h['grads'].values_at('W1', 'W4', 'W7', 'b8').map { |g| DLScratch::Arrays.shape(DLScratch::Arrays.from_rows(g)) })
      .to eq([[16, 1, 3, 3], [32, 32, 3, 3], [1024, 3], [10]])
    # the loss of a training-mode pass with the masks of seed 0, as deep_conv_net.gradient draws them
    net, x, t = described_class.inputs(3, 2, 'deep_conv_net')
    expect(h['loss']).to eq(net.loss(x, t, train_flg: true))
    expect(h['loss']).not_to eq(net.loss(x, t, train_flg: false))
    expect(h['grads']['W8']).to eq(net.gradient(x, t)['W8'].to_a) # the same masks every step
  end

  it 'gives the deep net the §9 inputs: x, then W1 … W8 with He scales; 5,263.4 MFLOP a step of 100' do
    net, x, t = described_class.inputs(4, 2, 'deep_conv_net')
    rng = DLScratch::Rng.new(0)
    expect(x.to_a.flatten).to eq(rng.rand(2, 784).to_a.flatten)
    expect(DLScratch::Arrays.shape(x)).to eq([2, 1, 28, 28])
    expect(net.params['W1'].to_a.flatten).to eq((Math.sqrt(2.0 / 9) * rng.randn(16, 1, 3, 3)).to_a.flatten)
    expect(net.params['W2'].to_a.flatten).to eq((Math.sqrt(2.0 / 144) * rng.randn(16, 16, 3, 3)).to_a.flatten)
    expect(t.to_a).to eq([0, 1])
    # per image 28·28·16·9 + 28·28·16·144 + 14·14·32·144 + 16·16·32·288 + 8·8·64·288 + 8·8·64·576
    # = 8,720,640 in the convolutions, 1024·50 + 50·10 = 51,700 in the Affines; three products each
    expect(described_class.deep_multiply_adds(50)).to eq(8_772_340)
    expect(described_class.flops_per_step(50, 100, 'deep_conv_net')).to eq(5_263_404_000)
    expect(described_class.flops_per_step(10, 1, 'deep_conv_net')).to eq(3 * 2 * (8_720_640 + (1024 * 10) + (10 * 10)))
  end

  it 'draws x first, then W1 and W2, from one generator seeded with 0; t_i = i mod 10' do
    net, x, t = described_class.inputs(5, 12)
    rng = DLScratch::Rng.new(0)
    expect(x.to_a).to eq(rng.rand(12, 784).to_a)
    expect(net.params['W1'].to_a).to eq((0.01 * rng.randn(784, 5)).to_a)
    expect(t.to_a).to eq([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
  end

  it "times TwoLayerNet#gradient, which gives the gradients of the book's loop" do
    net, x, t = described_class.inputs(5, 4)
    grads = net.gradient(x, t)
    check = described_class.check(5, 4)
    expect(grads.transform_values(&:to_a)).to eq(check['grads'])
  end
end
