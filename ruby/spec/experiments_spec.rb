# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'tmpdir'

RSpec.describe DLScratch::Experiments do
  def run_of(seed: 0, scale: 1.0, data_dir: DLScratch::Datasets::DEFAULT_DIR)
    described_class::Run.new(DLScratch::Rng.new(seed), scale: scale, data_dir: data_dir)
  end

  describe 'optimizer_compare_naive' do
    let(:paths) { described_class.optimizer_compare_naive(run_of)['paths'] }

    it 'takes 30 steps of each optimizer from (-7, 2), in the book order, and records the point before each' do
      expect(paths.keys).to eq(%w[SGD Momentum AdaGrad Adam])
      paths.each_value do |path|
        expect(path.keys).to eq(%w[x y])
        expect(path['x'].size).to eq(30)
        expect(path['y'].size).to eq(30)
        expect([path['x'][0], path['y'][0]]).to eq([-7.0, 2.0])
      end
    end

    it 'follows the hand-worked first steps, ∇f = (x/10, 2y)' do
      # SGD lr 0.95: x = -7 - 0.95·(-0.7) = -6.335, y = 2 - 0.95·4 = -1.8; then
      # x = -6.335 - 0.95·(-0.6335) = -5.733175, y = -1.8 - 0.95·(-3.6) = 1.62
      expect(paths['SGD']['x'][0..2]).to be_all_close([-7.0, -6.335, -5.733175], rtol: 1e-15, atol: 0)
      expect(paths['SGD']['y'][0..2]).to be_all_close([2.0, -1.8, 1.62], rtol: 1e-15, atol: 0)
      # Momentum lr 0.1: v = -0.1·(-0.7, 4) = (0.07, -0.4), p = (-6.93, 1.6); then
      # v = 0.9·v - 0.1·(-0.693, 3.2) = (0.1323, -0.68), p = (-6.7977, 0.92)
      expect(paths['Momentum']['x'][0..2]).to be_all_close([-7.0, -6.93, -6.7977], rtol: 1e-15, atol: 0)
      expect(paths['Momentum']['y'][0..2]).to be_all_close([2.0, 1.6, 0.92], rtol: 1e-15, atol: 0)
      # AdaGrad lr 1.5: h = g², p = p - 1.5·g / (|g| + 1e-7): x = -7 + 1.05 / (0.7 + 1e-7),
      # y = 2 - 6 / (4 + 1e-7)
      expect(paths['AdaGrad']['x'][1]).to be_all_close(-7 + (1.05 / 0.7000001), rtol: 1e-15, atol: 0)
      expect(paths['AdaGrad']['y'][1]).to be_all_close(2 - (6 / 4.0000001), rtol: 1e-15, atol: 0)
      # Adam lr 0.3: lr_t = 0.3·√0.001 / 0.1, m = 0.1·g, v = 0.001·g², so the first step is
      # lr_t·0.1·g / (√0.001·|g| + 1e-7), about 0.3 against the gradient's sign
      lr_t = 0.3 * Math.sqrt(0.001) / 0.1
      expect(paths['Adam']['x'][1]).to be_all_close(-7 + (lr_t * 0.07 / ((Math.sqrt(0.001) * 0.7) + 1e-7)), rtol: 1e-14, atol: 0)
      expect(paths['Adam']['y'][1]).to be_all_close(2 - (lr_t * 0.4 / ((Math.sqrt(0.001) * 4) + 1e-7)), rtol: 1e-14, atol: 0)
    end

    it 'lowers f along every path and draws nothing' do
      paths.each do |name, path|
        first = described_class.f_naive(path['x'][0], path['y'][0])
        last = described_class.f_naive(path['x'][-1], path['y'][-1])
        expect(last).to be < first / 10, name
      end
      run = run_of(seed: 5)
      described_class.optimizer_compare_naive(run)
      expect(run.rng.next_u).to eq(DLScratch::Rng.new(5).next_u)
    end
  end

  it 'scales counts as Python rounds, half to even, at least the floor given' do
    expect(run_of(scale: 0.05).scaled(2000)).to eq(100)
    expect(run_of(scale: 0.05).scaled(50)).to eq(2) # 2.5
    expect(run_of(scale: 0.05).scaled(301)).to eq(15) # 15.05
    expect(run_of(scale: 0.07).scaled(50)).to eq(4) # 3.5000000000000004
    expect(run_of(scale: 0.001).scaled(20)).to eq(1)
    expect(run_of(scale: 0.001).scaled(10_000, least: 100)).to eq(100)
  end

  it "computes NumPy's logspace(0, -4, 16) to the bit" do
    scales = described_class.logspace(0.0, -4.0, 16)
    expect(scales.size).to eq(16)
    expect(scales.values_at(0, 1, 3, 14, 15)).to eq([1.0, 0.5411695265464637, 0.15848931924611134, 0.00018478497974222906, 0.0001])
  end

  describe 'histograms' do
    it 'counts v in bin floor((v - lo)·30 / (hi - lo)), hi in the last bin, others (and NaN) not at all' do
      v = NArray[0.0, 0.0333, 0.5, 1.0, 1.0, -0.1, 1.2, 0.0 / 0.0]
      h = described_class.histogram(v, 0.0, 1.0)
      expect(h.size).to eq(30)
      expect(h.sum).to eq(5)
      expect(h.values_at(0, 15, 29)).to eq([2, 1, 2]) # 0.0333·30 = 0.999 is in bin 0
      tanh = described_class.histogram(NArray[-1.0, -0.9, 0.0, 1.0], -1.0, 1.0)
      expect(tanh.values_at(0, 1, 15, 29)).to eq([1, 1, 1, 1]) # (-0.9 + 1)·30 / 2 = 1.5
      expect(described_class.histogram(NArray[2.0], 0.0, 1.0)).to eq([0] * 30)
    end

    it 'gives the mean and the population standard deviation' do
      mean, std = described_class.mean_std(na([[1.0, 2.0], [3.0, 4.0]]))
      expect(mean).to eq(2.5)
      expect(std).to eq(Math.sqrt(1.25))
    end

    it 'draws x, then every layer of every activation and std, in order' do
      r = described_class.weight_init_activation_histogram(run_of(seed: 3, scale: 0.002))['histograms']
      expect(r.keys).to eq(%w[sigmoid relu tanh])
      r.each_value { |by_std| expect(by_std.keys).to eq(%w[1 0.01 Xavier He]) }
      expect(r['tanh']['He']['range']).to eq([-1.0, 1.0])
      expect(r['relu']['1']['range']).to eq([0.0, 1.0])
      layers = r['sigmoid']['1']['layers']
      expect(layers.size).to eq(5)
      expect(layers.map { |l| l['hist'].sum }).to eq([200] * 5) # 2 × 100 sigmoids, all in [0, 1]
      expect(r['tanh']['0.01']['layers'].map { |l| l['hist'].sum }).to eq([200] * 5)
      rng = DLScratch::Rng.new(3)
      x = rng.randn(2, 100)
      z = DLScratch::Functions.sigmoid(DLScratch::Arrays.dot(x, 1.0 * rng.randn(100, 100)))
      expect(layers[0]['mean']).to eq(described_class.mean_std(z)[0])
      expect(layers[0]['hist']).to eq(described_class.histogram(z, 0.0, 1.0))
      # the relu run starts after 4 stds × 5 layers of sigmoid weights, the first one drawn above
      19.times { rng.randn(100, 100) }
      z = DLScratch::Functions.relu(DLScratch::Arrays.dot(x, rng.randn(100, 100)))
      expect(r['relu']['1']['layers'][0]['std']).to eq(described_class.mean_std(z)[1])
    end
  end

  # A MNIST-like directory of 28 × 28 images: 600 training and 120 test images, each label
  # drawn in its own bright 78-pixel band.
  def write_data(dir)
    { 'train' => 600, 't10k' => 120 }.each do |prefix, n|
      labels = Array.new(n) { |i| (i * 7) % 10 }
      pixels = labels.each_with_index.flat_map do |label, i|
        Array.new(784) { |j| j / 78 == label ? 200 + ((i + j) % 56) : (i * j) % 50 }
      end
      File.binwrite(File.join(dir, "#{prefix}-images-idx3-ubyte"), [0, 0, 8, 3, n, 28, 28].pack('C4N3') + pixels.pack('C*'))
      File.binwrite(File.join(dir, "#{prefix}-labels-idx1-ubyte"), [0, 0, 8, 1, n].pack('C4N') + labels.pack('C*'))
    end
  end

  describe 'the data experiments, at a tiny scale' do
    around do |example|
      Dir.mktmpdir do |dir|
        write_data(dir)
        @dir = dir
        example.run
      end
    end

    it 'overfit_weight_decay: the weights, then each batch; the accuracies after steps 0 and 3' do
      r = described_class.overfit_weight_decay(run_of(seed: 4, scale: 0.01, data_dir: @dir)) # 201 · 0.01: 2 evaluations
      expect(r.keys).to eq(%w[weight_decay_lambda train_acc test_acc])
      expect(r['train_acc'].size).to eq(2)
      expect(r['test_acc'].size).to eq(2)
      expect(r['train_acc'].map { |a| a * 300 }).to all(satisfy { |v| (v - v.round).abs < 1e-9 })
      expect(r['test_acc'].map { |a| a * 100 }).to all(satisfy { |v| (v - v.round).abs < 1e-9 })
      # by hand: the network, one batch choice(300, 100), one SGD step, the accuracy on the 300
      x_train, t_train, = DLScratch::Datasets.load_mnist(@dir, train_size: 300)
      rng = DLScratch::Rng.new(4)
      net = DLScratch::MultiLayerNet.new(784, [100] * 6, 10, weight_decay_lambda: 0.1, rng: rng)
      batch = NArray.to_na(rng.choice(300, 100))
      DLScratch::Optimizers::SGD.new(lr: 0.01).update(net.params, net.gradient(x_train[true, batch], t_train[batch]))
      expect(r['train_acc'][0]).to eq(net.accuracy(x_train, t_train))
    end

    it 'hyperparameter_optimization: permutation(500), then per trial the decay, the rate and the Trainer' do
      r = described_class.hyperparameter_optimization(run_of(seed: 2, scale: 0.01, data_dir: @dir))
      expect(r['epochs']).to eq(1) # 50 · 0.01 = 0.5, at least 1
      expect(r['trials'].size).to eq(1)
      trial = r['trials'][0]
      expect(trial.keys).to eq(%w[lr weight_decay val_acc train_acc])
      rng = DLScratch::Rng.new(2)
      rng.permutation(500)
      expect(trial['weight_decay']).to eq(10.0**(-8 + (4 * rng.next_u)))
      expect(trial['lr']).to eq(10.0**(-6 + (4 * rng.next_u)))
      expect(trial['weight_decay']).to be_between(1e-8, 1e-4)
      expect(trial['val_acc'].size).to eq(1) # 4 steps of 400 / 100: evaluated after step 0
      expect(trial['train_acc'].size).to eq(1)
    end

    it "overfit_dropout: the Trainer's steps and evaluations, 2 epochs of 3 steps" do
      d = described_class.overfit_dropout(run_of(seed: 1, scale: 0.005, data_dir: @dir)) # 301 · 0.005 = 1.505
      expect(d.keys).to eq(%w[dropout_ratio train_acc test_acc train_loss])
      expect(d['train_loss'].size).to eq(6)
      expect(d['train_acc'].size).to eq(2)
      expect(d['test_acc'].size).to eq(2)
    end

    it 'bin/experiment writes the record of the Python reference, in the same keys' do
      out_file = File.join(@dir, 'out', 'r.json')
      out, err, status = run_cmd('experiment', 'overfit_weight_decay', '--scale', '0.01', '--seed', '4', '--data-dir', @dir,
                                 '--out', out_file, '--quiet')
      expect(status).to be_success, err
      expect(out).to match(%r{\Aoverfit_weight_decay: \d+\.\d s, written to .*/out/r\.json\n\z})
      record = JSON.parse(File.read(out_file))
      expect(record.keys).to eq(%w[experiment port options results seconds])
      expect(record.values_at('experiment', 'port')).to eq(%w[overfit_weight_decay ruby])
      expect(record['options']).to eq('scale' => 0.01, 'seed' => 4, 'data_dir' => @dir)
      mine = described_class.overfit_weight_decay(run_of(seed: 4, scale: 0.01, data_dir: @dir))
      expect(record['results']['train_acc']).to be_all_close(mine['train_acc'], rtol: 1e-12)
      expect(record['results']['test_acc']).to be_all_close(mine['test_acc'], rtol: 1e-12)
      expect(record['seconds']).to be >= 0
    end

    it 'bin/experiment refuses a bad data file in one line, before the experiment' do
      labels = File.join(@dir, 'train-labels-idx1-ubyte')
      File.binwrite(labels, File.binread(labels).sub(/.\z/n, "\x0B"))
      expect_refused('experiment', 'batch_norm_test', '--data-dir', @dir, '--out', File.join(@dir, 'r.json'),
                     %r{/train-labels-idx1-ubyte: label\[599\] = 11 is outside 0\.\.9})
      expect(File.exist?(File.join(@dir, 'r.json'))).to be(false)
    end
  end

  describe 'bin/experiment' do
    it '--help lists every experiment and every option with its default' do
      out = expect_help('experiment')
      described_class::EXPERIMENTS.each_key { |name| expect(out).to match(/^\s+#{name}\s+figures? 6-/) }
      %w[--scale --seed --data-dir --out --quiet].each do |flag|
        expect(out).to match(/^\s*#{flag}\b.*\(default: [^)]+\)$/), "#{flag} without its default"
      end
    end

    it 'refuses bad arguments in one line, exit status 2' do
      expect_refused('experiment', /missing NAME \(one of optimizer_compare_naive, /)
      expect_refused('experiment', 'bogus', /unknown experiment bogus \(choose from optimizer_compare_naive, /)
      expect_refused('experiment', 'optimizer_compare_naive', '--scale', '0', /--scale 0 \(must be in 0 < S <= 1\)\z/)
      expect_refused('experiment', 'optimizer_compare_naive', '--scale', '1.01', /--scale 1\.01/)
      expect_refused('experiment', 'optimizer_compare_naive', '--scale', 'nan', /--scale nan/)
      expect_refused('experiment', 'optimizer_compare_naive', '--seed', '2147483648', /--seed 2147483648/)
      expect_refused('experiment', 'optimizer_compare_naive', '--bogus', /invalid option: --bogus/)
      expect_refused('experiment', 'optimizer_compare_naive', 'extra', /unexpected argument: extra/)
      expect_refused('experiment', 'optimizer_compare_naive', '--out', Dir.tmpdir, /is a directory/)
      expect_refused('experiment', 'optimizer_compare_mnist', '--data-dir', '/nonexistent', %r{/nonexistent: no such directory})
    end

    it 'runs optimizer_compare_naive without data' do
      Dir.mktmpdir do |dir|
        out_file = File.join(dir, 'naive.json')
        _, err, status = run_cmd('experiment', 'optimizer_compare_naive', '--data-dir', File.join(dir, 'none'),
                                 '--out', out_file)
        expect(status).to be_success, err
        record = JSON.parse(File.read(out_file))
        expect(record['options']).to eq('scale' => 1.0, 'seed' => 0, 'data_dir' => File.join(dir, 'none'))
        expect(record['results']['paths']['SGD']['x'][1]).to eq(-6.335)
      end
    end
  end
end
