# frozen_string_literal: true

require 'spec_helper'
require 'tmpdir'

RSpec.describe DLScratch::DeepConvNet do
  shape = ->(v) { DLScratch::Arrays.shape(v) }
  # 1×8×8 images: 8 → 8 → 8 → pool 4 → 4 → 6 (pad 2) → pool 3 → 3 → 3 → pool 1, so W7 is 64×hidden
  let(:small) { { input_dim: [1, 8, 8], hidden_size: 5, output_size: 3 } }
  let(:zeros) { described_class.new(**small, seed: 1).params.transform_values { |v| v * 0.0 } }

  it 'follows an image through the convolutions and poolings (28 × 28 ends at the book\'s 4 × 4)' do
    expect(described_class.sizes(28, 28)).to eq([[28, 28], [28, 28], [14, 14], [14, 14], [16, 16], [8, 8], [8, 8], [8, 8], [4, 4]])
    expect(described_class.sizes(8, 8).last).to eq([1, 1])
    expect(described_class.sizes(3, 3).flatten.min).to eq(0) # nothing left for the third pooling
  end

  it 'draws W1 … W8 in order from one generator with the He scales sqrt(2/n), zero biases' do
    p = described_class.new(**small, rng: DLScratch::Rng.new(4)).params
    expect(p.keys).to eq(%w[W1 b1 W2 b2 W3 b3 W4 b4 W5 b5 W6 b6 W7 b7 W8 b8])
    expect(p.transform_values(&shape))
      .to eq('W1' => [16, 1, 3, 3], 'b1' => [16], 'W2' => [16, 16, 3, 3], 'b2' => [16], 'W3' => [32, 16, 3, 3], 'b3' => [32],
             'W4' => [32, 32, 3, 3], 'b4' => [32], 'W5' => [64, 32, 3, 3], 'b5' => [64], 'W6' => [64, 64, 3, 3], 'b6' => [64],
             'W7' => [64, 5], 'b7' => [5], 'W8' => [5, 3], 'b8' => [3])
    # the unit's inputs n and the weights' sizes, worked out from the shapes above
    fan_in = [9, 144, 144, 288, 288, 576, 64, 5]
    counts = [144, 2304, 4608, 9216, 18_432, 36_864, 320, 15]
    normals = DLScratch::Rng.new(4).normal(counts.sum)
    want = fan_in.zip(counts).flat_map { |n, k| normals.shift(k).map { |z| Math.sqrt(2.0 / n) * z } }
    expect((1..8).flat_map { |i| p["W#{i}"].to_a.flatten }).to eq(want)
    expect((1..8).map { |i| p["b#{i}"].abs.max }).to all(eq(0))
  end

  it 'predicts b8·(1 − 0.5) in test mode when every weight is zero, b8 times its mask in training mode' do
    zeros['b7'] = na([1.0, 2.0, 3.0, 4.0, 5.0]) # cut off by W8 = 0
    zeros['b8'] = na([2.0, -4.0, 6.0])
    x = DLScratch::Rng.new(2).rand(2, 1, 8, 8)
    net = described_class.new(**small, params: zeros, dropout_seed: 9)
    expect(rows(net.predict(x))).to eq([[1.0, -2.0, 3.0]] * 2)
    # the masks: 2×5 uniforms for the first Dropout, then 2×3 for the second, kept where u > 0.5
    u = DLScratch::Rng.new(9).uniform(10 + 6).last(6)
    want = u.each_slice(3).map { |r| r.zip([2.0, -4.0, 6.0]).map { |ui, b| ui > 0.5 ? b : 0.0 } }
    expect(rows(net.predict(x, train_flg: true))).to eq(want)
  end

  it 'has the test-mode loss −log(1/3 + 1e-7) for equal scores, and counts every sample in accuracy' do
    net = described_class.new(**small, params: zeros)
    x = NArray.float(8, 8, 1, 130)
    expect(net.loss(x[true, true, true, 0...2], NArray[0, 2], train_flg: false)).to be_within(1e-15).of(-Math.log((1.0 / 3) + 1e-7))
    zeros['b8'] = na([0.0, 1.0, 0.0]) # every sample is class 1; 30 of 130 are labelled 1, 30 in the last partial batch
    t = NArray.int(130)
    t[100...130] = 1
    expect(described_class.new(**small, params: zeros).accuracy(x, t)).to eq(30.0 / 130)
  end

  # Central differences of the training-mode loss (the same masks in every pass: one seed) on
  # three coordinates of every parameter (the first, the middle one, and the one of the largest
  # backprop gradient, which must not be zero: a dropped or dead unit checks nothing); He-scaled weights and a random 1×8×8 image keep the
  # ReLUs and the poolings' maxima away from their kinks for a step of 1e-5.
  it 'agrees with central differences of the training-mode loss on coordinates of every parameter' do
    net = described_class.new(**small, rng: DLScratch::Rng.new(21), dropout_seed: 5)
    net.params.each { |k, v| v[true] = v + 0.1 if k.start_with?('b') } # biases off zero, in place (the layers hold them)
    x = DLScratch::Rng.new(8).rand(2, 1, 8, 8)
    t = NArray[1, 2]
    grads = net.gradient(x, t)
    h = 1e-5
    net.params.each do |key, p|
      top = grads[key].abs.flatten.to_a.each_with_index.max[1]
      expect(grads[key].abs.max).to be > 1e-6, key
      [0, p.size / 2, top].uniq.each do |i|
        old = p[i]
        p[i] = old + h
        up = net.loss(x, t)
        p[i] = old - h
        down = net.loss(x, t)
        p[i] = old
        numeric = (up - down) / (2 * h)
        expect(grads[key][i]).to be_within(1e-7 + (1e-5 * numeric.abs)).of(numeric), "#{key}[#{i}]"
      end
    end
  end

  it 'is checked by the validator: images of at least 4 × 4 (deep_geometry), the network\'s size (deep_conv_net_size)' do
    init = ->(raw) { DLScratch::Validate.args('deep_conv_net.init', raw) }
    expect { init.('input_dim' => [1, 3, 3]) }.to raise_error(DLScratch::ShapeError, /too small/)
    expect { init.('input_dim' => [1, 4, 3]) }.to raise_error(DLScratch::ShapeError, /4x3/)
    expect(init.('input_dim' => [1, 4, 4])).to include(input_dim: [1, 4, 4], hidden_size: 50, seed: 0)
    # 1×4×4, one class: the convolutions hold 160 + 2320 + 4640 + 9248 + 18 496 + 36 928 = 71 792
    # weights, PH = PW = 1, the affines 64·h + 2·h + 1; 71 793 + 66·h <= 10^7 up to h = 150 427
    small = { 'input_dim' => [1, 4, 4], 'output_size' => 1 }
    expect(init.(small.merge('hidden_size' => 150_427))).to include(hidden_size: 150_427)
    expect { init.(small.merge('hidden_size' => 150_428)) }.to raise_error(DLScratch::ValueError, /10000041 elements/)
  end

  describe 'a parameters file (model.evaluate\'s hook model_file)' do
    models = File.expand_path('../../shared_tests/data/models', __dir__)
    x = [[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]
    load = ->(file, xs = x) { DLScratch::Validate.args('model.evaluate', 'path' => file, 'x' => xs, 't' => [0]) }

    it 'reads a DeepConvNet file: its network, the params in order, the numbers as written' do
      file = File.join(models, 'deep_conv_net.json')
      a = load.(file, [[[[0.5] * 8] * 8]])
      expect(a[:path]).to include(kind: 'deep_conv_net', input_dim: [1, 8, 8], hidden_size: 5, output_size: 3)
      params = a[:path][:params]
      expect(params.keys).to eq(%w[W1 b1 W2 b2 W3 b3 W4 b4 W5 b5 W6 b6 W7 b7 W8 b8])
      expect(shape.(params['W7'])).to eq([64, 5])
      raw = JSON.parse(File.read(file))['params']
      expect(params['W4'].to_a.flatten).to eq(raw['W4']['data'])
      expect(shape.(DLScratch::Runner::OPS['model.evaluate'].call(a)[:y])).to eq([1, 3])
    end

    it 'reads back what save_params wrote, non-finite numbers included' do
      Dir.mktmpdir do |dir|
        file = File.join(dir, 'm.json')
        params = { 'W1' => na([[1.5, -2.0], [0.25, Float::NAN]]), 'b1' => na([0.0, Float::INFINITY]),
                   'W2' => na([[1e-300], [-3.0]]), 'b2' => na([7.0]) }
        DLScratch::Train.save_params(file, { kind: 'two_layer_net', input_size: 2, hidden_size: 2, output_size: 1 }, params)
        back = load.(file, [[1.0, 2.0]])[:path][:params]
        expect(back.transform_values { |v| rows(v).flatten.map(&:to_s) }).to eq(params.transform_values { |v| rows(v).flatten.map(&:to_s) })
      end
    end

    it 'is ValueError for a missing, unreadable or wrong file, naming the fault' do
      { 'no-such-model.json' => /cannot read .* as JSON/, 'not-json.json' => /cannot read .* as JSON/,
        'bad-format.json' => /"format": "dlscratch-params"/, 'bad-shape.json' => /params.W1 is 4x6 .* not 6x4/,
        'bad-keys.json' => /params are W1, b1, W2, not W1, b1, W2, b2/, 'bad-count.json' => /W1 is 6x4 with 23 numbers/,
        'bad-kind.json' => /network.kind must be one of two_layer_net, simple_conv_net, deep_conv_net/ }.each do |file, message|
        expect { load.(File.join(models, file)) }.to raise_error(DLScratch::ValueError, message)
      end
      expect { load.(models) }.to raise_error(DLScratch::ValueError, /cannot read/) # a directory
    end

    it 'wants x of the file\'s network: 6 columns for the 6-4-3 file, 4-D for a conv net (ShapeError)' do
      expect { load.(File.join(models, 'two_layer_net.json'), [[0.1, 0.2]]) }.to raise_error(DLScratch::ShapeError)
      expect { load.(File.join(models, 'simple_conv_net.json'), [[0.0] * 36]) }.to raise_error(DLScratch::ShapeError, /4-D/)
    end
  end
end
