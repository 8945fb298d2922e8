# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'tmpdir'
require 'fileutils'

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

  describe 'bin/train' do
    fashion = DLScratch::Datasets::DEFAULT_DIR

  it '--help lists every option with its default (by --net where they differ), and the optimizers' do
    out = expect_help('train')
    %w[--net --data-dir --iters --epochs --evaluate-samples --batch-size --hidden --lr --optimizer --weight-init-std
       --seed --train-size --test-size --out --save-params --quiet].each do |flag|
      expect(out).to match(/^\s*#{flag}\b.*\(([\w, ]+ only; )?default: [^)]+\)$/), "#{flag} without its default"
    end
    expect(out[/--optimizer.*/]).to include('adagrad, adam, momentum, nesterov, rmsprop, sgd')
    expect(out[/--optimizer.*/]).to end_with('(default: sgd; adam for simple_conv_net; adam for deep_conv_net)')
    expect(out[/--iters.*/]).to end_with('(two_layer_net only; default: 10000)')
    expect(out[/--epochs.*/]).to end_with('(simple_conv_net, deep_conv_net only; default: 20)')
    expect(out[/--evaluate-samples.*/]).to end_with('(simple_conv_net, deep_conv_net only; default: 1000)')
    expect(out[/--hidden.*/]).to end_with('(default: 50; 100 for simple_conv_net)')
    expect(out[/--lr.*/]).to end_with('(default: 0.1; 0.001 for simple_conv_net; 0.001 for deep_conv_net)')
    expect(out[/--weight-init-std.*/]).to end_with('(two_layer_net, simple_conv_net only; default: 0.01)')
    expect(out[/^\s*--net NAME.*/]).to include('two_layer_net, simple_conv_net or deep_conv_net')
  end

    # A MNIST-like directory of 40 training and 10 test "images" of 2 × 2 pixels.
    def write_idx(path, type, shape, bytes)
      File.binwrite(path, [0, 0, type, shape.size].pack('C4') + shape.pack('N*') + bytes.pack('C*'))
    end

    # 40 training and 10 test images of side × side pixels in +dir+, of 3 classes: the class is
    # which of the first three pixels is bright.
    def write_set(dir, side)
      rng = DLScratch::Rng.new(1)
      { 'train' => 40, 't10k' => 10 }.each do |prefix, n|
        labels = rng.choice(3, n)
        pixels = labels.flat_map { |l| Array.new(side * side) { |j| j == l ? 200 + rng.choice(55, 1)[0] : rng.choice(60, 1)[0] } }
        write_idx(File.join(dir, "#{prefix}-images-idx3-ubyte"), 0x08, [n, side, side], pixels)
        write_idx(File.join(dir, "#{prefix}-labels-idx1-ubyte"), 0x08, [n], labels)
      end
    end

    around do |example|
      Dir.mktmpdir do |dir|
        write_set(dir, 2)
        @dir = dir
        @conv_dir = File.join(dir, 'six')
        Dir.mkdir(@conv_dir)
        write_set(@conv_dir, 6) # the smallest images a 5 × 5 convolution and a 2 × 2 pooling fit
        example.run
      end
    end

    # The history of a --quiet run on the small directory, and its stdout.
    def train(*args)
      out_file = File.join(@dir, 'h.json')
      out, err, status = run_cmd('train', '--data-dir', @dir, '--quiet', '--out', out_file, *args)
      expect(status).to be_success, err
      [JSON.parse(File.read(out_file)), out]
    end

    it 'evaluates after iteration 0 and once an epoch, then after the last iteration; writes the JSON history' do
      h, out = train('--iters', '9', '--batch-size', '10', '--hidden', '5', '--lr', '0.5', '--seed', '3')
      expect(out.lines.grep(/^epoch/).map { |l| l[/epoch (\d+)/, 1].to_i }).to eq([0, 1, 2])
      expect(out).to match(/^final \(after iteration 8\)  train acc \d\.\d{4}  test acc \d\.\d{4}  \(\d+\.\d s, \d+\.\d\d ms\/iter\)$/)
      expect(h.keys).to eq(%w[port options loss_history acc_iters train_acc test_acc final_iter final_train_acc
                              final_test_acc seconds])
      expect(h['port']).to eq('ruby')
      expect(h['loss_history'].size).to eq(9)
      expect(h['acc_iters']).to eq([0, 4, 8])
      expect(h['train_acc'].size).to eq(3)
      expect(h['final_iter']).to eq(8)
      expect(h['options']).to include('net' => 'two_layer_net', 'iters' => 9, 'batch_size' => 10, 'hidden' => 5, 'seed' => 3,
                                      'train_size' => 40, 'test_size' => 10, 'optimizer' => 'sgd')
    end

    it 'counts epochs with the true division: 40 / 16 = 2.5 iterations, 40 / 7 only after iteration 0' do
      h, out = train('--iters', '12', '--batch-size', '16')
      expect(h['acc_iters']).to eq([0, 5, 10])
      expect(out.lines.grep(/^epoch/).map { |l| l[/epoch (\d+)/, 1].to_i }).to eq([0, 2, 4])
      h, = train('--iters', '12', '--batch-size', '7')
      expect(h['acc_iters']).to eq([0])
      expect(h['final_iter']).to eq(11)
    end

    it 'writes iter,loss lines for a .csv history' do
      out_file = File.join(@dir, 'h.csv')
      _, status = Open3.capture2(File.join(BinHelpers::BIN, 'train'), '--data-dir', @dir, '--iters', '3', '--batch-size', '10',
                                 '--optimizer', 'adam', '--quiet', '--out', out_file)
      expect(status).to be_success
      lines = File.read(out_file).lines.map(&:chomp)
      expect(lines[0]).to eq('iter,loss')
      expect(lines.size).to eq(4)
      expect(lines[1]).to start_with('0,')
    end

    it 'refuses bad options and values in one line, exit status 2' do
      expect_refused('train', '--data-dir', @dir, '--iters', '0', /--iters 0/)
      expect_refused('train', '--data-dir', @dir, '--seed', '-1', /--seed -1/)
      expect_refused('train', '--data-dir', @dir, '--seed', '2147483648', /--seed 2147483648/)
      expect_refused('train', '--data-dir', @dir, '--optimizer', 'bogus', /--optimizer bogus.*sgd/)
      expect_refused('train', '--data-dir', @dir, '--lr', 'abc', /--lr abc/)
      expect_refused('train', '--data-dir', @dir, '--lr', '1e999', /--lr 1e999 \(must be finite\)/)
      expect_refused('train', '--data-dir', @dir, '--batch-size', /missing argument: --batch-size/)
      expect_refused('train', '--data-dir', @dir, '--bogus', /invalid option: --bogus/)
      expect_refused('train', '--data-dir', @dir, '--no-quiet', /--no-quiet \(did you mean --quiet\?\)/)
      expect_refused('train', '--data-dir', @dir, 'extra', /unexpected argument: extra/)
      expect_refused('train', '--data-dir', @dir, '--out', @dir, /--out .*is a directory/)
    end

    it 'trains the SimpleConvNet with its Trainer: epochs, evaluations of the first samples, the options' do
      h, out = train('--net', 'simple_conv_net', '--data-dir', @conv_dir, '--epochs', '2', '--batch-size', '10',
                     '--evaluate-samples', '15', '--hidden', '4', '--lr', '0.01', '--seed', '3')
      # 40 / 10 = 4 steps an epoch, 8 steps, evaluated after steps 0 and 4 (the book's epochs 1 and 2)
      expect(h['loss_history'].size).to eq(8)
      expect(h['acc_iters']).to eq([0, 4])
      expect(out.lines.grep(/^epoch/).map { |l| l[/epoch (\d+)/, 1].to_i }).to eq([1, 2])
      expect(out).to match(/^final \(after iteration 7\)  train acc \d\.\d{4}  test acc \d\.\d{4}  /)
      expect(h['train_acc'].map { |a| (a * 15).round(9) % 1 }).to all(eq(0)) # counts of the first 15 images
      expect(h['options']).to include('net' => 'simple_conv_net', 'iters' => 8, 'epochs' => 2, 'evaluate_samples' => 15,
                                      'hidden' => 4, 'optimizer' => 'adam', 'lr' => 0.01, 'weight_init_std' => 0.01)
      expect(h['final_iter']).to eq(7)
    end

    it 'writes --save-params in the portable format: the net, shapes and row-major data that read back' do
      params_file = File.join(@dir, 'p.json')
      h, out = train('--net', 'simple_conv_net', '--data-dir', @conv_dir, '--epochs', '1', '--batch-size', '20',
                     '--hidden', '3', '--save-params', params_file)
      expect(out).to include("parameters written to #{params_file}")
      doc = JSON.parse(File.read(params_file))
      expect(doc.keys).to eq(%w[format version port network params])
      expect(doc.values_at('format', 'version', 'port')).to eq(['dlscratch-params', 1, 'ruby'])
      expect(doc['network']).to eq('kind' => 'simple_conv_net', 'input_dim' => [1, 6, 6], 'hidden_size' => 3, 'output_size' => 10,
                                   'conv_param' => { 'filter_num' => 30, 'filter_size' => 5, 'pad' => 0, 'stride' => 1 })
      expect(doc['params'].keys).to eq(%w[W1 b1 W2 b2 W3 b3])
      expect(doc['params'].transform_values { |a| a['shape'] })
        .to eq('W1' => [30, 1, 5, 5], 'b1' => [30], 'W2' => [30, 3], 'b2' => [3], 'W3' => [3, 10], 'b3' => [10])
      params = doc['params'].transform_values { |a| NArray.to_na(a['data']).reshape(*a['shape'].reverse) }
      net = DLScratch::SimpleConvNet.new(input_dim: [1, 6, 6], hidden_size: 3, params: params)
      _, _, x_test, t_test = DLScratch::Datasets.load_mnist(@conv_dir, flatten: false)
      expect(net.accuracy(x_test, t_test)).to eq(h['final_test_acc'])

      train('--data-dir', @dir, '--iters', '2', '--hidden', '3', '--save-params', params_file)
      doc = JSON.parse(File.read(params_file))
      expect(doc['network']).to eq('kind' => 'two_layer_net', 'input_size' => 4, 'hidden_size' => 3, 'output_size' => 10)
      expect(doc['params'].transform_values { |a| a['shape'] }).to eq('W1' => [4, 3], 'b1' => [3], 'W2' => [3, 10], 'b2' => [10])
    end

    it 'trains the DeepConvNet with its Trainer (train_deepnet.py\'s defaults) and saves its network object' do
      params_file = File.join(@dir, 'deep.json')
      h, out = train('--net', 'deep_conv_net', '--data-dir', @conv_dir, '--epochs', '1', '--batch-size', '20',
                     '--evaluate-samples', '10', '--hidden', '3', '--save-params', params_file)
      # 40 / 20 = 2 steps, evaluated after step 0
      expect(h['loss_history'].size).to eq(2)
      expect(h['acc_iters']).to eq([0])
      expect(out).to match(/^final \(after iteration 1\)  train acc \d\.\d{4}  test acc \d\.\d{4}  /)
      expect(h['options']).to include('net' => 'deep_conv_net', 'iters' => 2, 'epochs' => 1, 'evaluate_samples' => 10,
                                      'hidden' => 3, 'optimizer' => 'adam', 'lr' => 0.001)
      expect(h['options']).not_to have_key('weight_init_std')
      doc = JSON.parse(File.read(params_file))
      expect(doc['network']).to eq('kind' => 'deep_conv_net', 'input_dim' => [1, 6, 6], 'hidden_size' => 3, 'output_size' => 10)
      # 6 → 6 → 6 → 3 → 3 → 5 → 2 → 2 → 2 → 1: W7 is 64 × 3
      expect(doc['params'].keys).to eq((1..8).flat_map { |i| %W[W#{i} b#{i}] })
      expect(doc['params'].values_at('W1', 'W7', 'W8').map { |a| a['shape'] }).to eq([[16, 1, 3, 3], [64, 3], [3, 10]])
      _, _, x_test, t_test = DLScratch::Datasets.load_mnist(@conv_dir, flatten: false)
      a = DLScratch::Validate.args('model.evaluate', 'path' => params_file, 'x' => rows(x_test), 't' => t_test.to_a)
      expect(DLScratch::Runner::OPS['model.evaluate'].call(a)[:accuracy]).to eq(h['final_test_acc'])
    end

    it 'refuses the options the chosen net does not accept, and images too small for the convolution' do
      expect_refused('train', '--data-dir', @conv_dir, '--net', 'simple_conv_net', '--iters', '5',
                     /^bin\/train: --iters does not apply to --net simple_conv_net$/)
      expect_refused('train', '--data-dir', @dir, '--epochs', '5', /--epochs does not apply to --net two_layer_net/)
      expect_refused('train', '--data-dir', @dir, '--evaluate-samples', '5', /--evaluate-samples does not apply to --net two_layer_net/)
      expect_refused('train', '--data-dir', @dir, '--net', 'lenet', /--net lenet \(choose from two_layer_net, simple_conv_net, deep_conv_net\)/)
      expect_refused('train', '--data-dir', @dir, '--net', 'simple_conv_net', /images of 2x2 are smaller than 6x6/)
      expect_refused('train', '--data-dir', @dir, '--net', 'deep_conv_net', /--net deep_conv_net: images of 2x2 are smaller than 4x4/)
      expect_refused('train', '--data-dir', @conv_dir, '--net', 'deep_conv_net', '--weight-init-std', '0.1',
                     /^bin\/train: --weight-init-std does not apply to --net deep_conv_net$/)
      expect_refused('train', '--data-dir', @dir, '--save-params', @dir, /--save-params .*is a directory/)
    end

    it 'refuses a bad data file before training, naming it' do
      labels = File.join(@dir, 't10k-labels-idx1-ubyte')
      File.binwrite(labels, File.binread(labels).sub(/.\z/n, "\x0C"))
      expect_refused('train', '--data-dir', @dir, %r{/t10k-labels-idx1-ubyte: label\[9\] = 12 is outside 0\.\.9})
      FileUtils.rm(File.join(@dir, 'train-labels-idx1-ubyte'))
      expect_refused('train', '--data-dir', @dir, %r{/train-labels-idx1-ubyte\[\.gz\]: no such file})
      expect_refused('train', '--data-dir', File.join(@dir, 'none'), /none: no such directory/)
    end

    # A directory where t10k-labels-idx1-ubyte.gz is a copy of the test images, the other
    # three files the real ones.
    it 'refuses test labels that are an images file, with or without --test-size', if: File.directory?(fashion) do
      bad = File.join(@dir, 'bad')
      Dir.mkdir(bad)
      %w[train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz].each do |f|
        File.symlink(File.join(fashion, f), File.join(bad, f))
      end
      FileUtils.cp(File.join(fashion, 't10k-images-idx3-ubyte.gz'), File.join(bad, 't10k-labels-idx1-ubyte.gz'))
      [[], ['--test-size', '100']].each do |extra|
        expect_refused('train', '--data-dir', bad, '--iters', '1', *extra,
                       %r{/t10k-labels-idx1-ubyte\.gz: labels must have 1 dimension})
      end
    end

    it 'trains on Fashion-MNIST: 300 images in batches of 128, 7 iterations', if: File.directory?(fashion) do
      out_file = File.join(@dir, 'f.json')
      out, err, status = run_cmd('train', '--train-size', '300', '--test-size', '100', '--iters', '7',
                                 '--batch-size', '128', '--quiet', '--out', out_file)
      expect(status).to be_success, err
      h = JSON.parse(File.read(out_file))
      # 300 / 128 = 2.34375: the remainder is 0 again only after iteration 75
      expect(h['acc_iters']).to eq([0])
      expect(h['loss_history'].size).to eq(7)
      expect(h['final_iter']).to eq(6)
      expect(h['final_train_acc']).to be_between(0, 1)
      expect(h['final_test_acc']).to be_between(0, 1)
      expect(h['options']).to include('train_size' => 300, 'test_size' => 100, 'batch_size' => 128)
      expect(out.lines.grep(/^final/).first).to start_with('final (after iteration 6)  train acc ')
    end
  end
end
