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
       --seed --train-size --test-size --out --save-params --checkpoint --stop-after --resume --quiet].each do |flag|
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

    # bin/train's [stdout, stderr, status] with --quiet and --out in the small directory.
    def train_status(*args, out: 'h.json')
      run_cmd('train', '--quiet', '--out', File.join(@dir, out), *args)
    end

    def history(name) = JSON.parse(File.read(File.join(@dir, name)))

    # The uninterrupted run of +args+, and the same run stopped after +stop+ iterations then
    # resumed: their histories, and the checkpoint.
    def stopped_and_resumed(args, stop)
      _, err, status = train_status(*args, out: 'full.json')
      expect(status).to be_success, err
      out, err, status = train_status(*args, '--stop-after', stop.to_s, out: 'part.json')
      expect(status.exitstatus).to eq(0), err
      ckpt = File.join(@dir, 'part.ckpt.json')
      expect(out.lines.last.chomp)
        .to eq("interrupted after iteration #{stop - 1}: checkpoint written to #{ckpt} (continue with --resume #{ckpt})")
      data_dir = args[args.index('--data-dir') + 1]
      _, err, status = train_status('--data-dir', data_dir, '--resume', ckpt, out: 'resumed.json')
      expect(status).to be_success, err
      [history('full.json'), history('part.json'), JSON.parse(File.read(ckpt)), history('resumed.json')]
    end

    # Everything but the seconds, which are the loop's wall time
    def timeless(h) = h.except('seconds')

    it 'stops after --stop-after N iterations with a checkpoint that --resume continues to the uninterrupted history' do
      args = ['--data-dir', @dir, '--iters', '11', '--batch-size', '10', '--hidden', '5', '--optimizer', 'adam',
              '--lr', '0.05', '--seed', '4']
      full, part, ckpt, resumed = stopped_and_resumed(args, 6)
      expect(part.keys).to eq(%w[port options loss_history acc_iters train_acc test_acc stopped_after checkpoint seconds])
      expect(part['stopped_after']).to eq(6)
      expect(part['checkpoint']).to eq(File.join(@dir, 'part.ckpt.json'))
      expect(part['loss_history']).to eq(full['loss_history'].first(6))
      expect(part['acc_iters']).to eq([0, 4]) # 40 / 10 = 4 iterations an epoch
      expect(ckpt.keys).to eq(%w[format version port network options iteration rng optimizer params history])
      expect(ckpt.values_at('format', 'version', 'port', 'iteration')).to eq(['dlscratch-checkpoint', 1, 'ruby', 6])
      expect(ckpt['network']).to eq('kind' => 'two_layer_net', 'input_size' => 4, 'hidden_size' => 5, 'output_size' => 10)
      expect(ckpt['options']).to eq(full['options'])
      expect(ckpt['optimizer']['name']).to eq('adam')
      expect(ckpt['optimizer']['state'].keys).to eq(%w[iter m v])
      expect(ckpt['optimizer']['state']['iter']).to eq(6)
      expect(ckpt['optimizer']['state']['m'].transform_values { |a| a['shape'] })
        .to eq('W1' => [4, 5], 'b1' => [5], 'W2' => [5, 10], 'b2' => [10])
      expect(ckpt['rng'].keys).to eq(%w[s1 s2])
      expect(ckpt['history'].keys).to eq(%w[loss_history acc_iters train_acc test_acc seconds])
      expect(ckpt['history']['loss_history']).to eq(part['loss_history'])
      # the generator's words: those of seed 4 after W1 (20 normals), W2 (50) and 6 batches of 10
      rng = DLScratch::Rng.new(4)
      rng.normal(20)
      rng.normal(50)
      rng.uniform(60)
      expect(ckpt['rng']).to eq(rng.state)
      expect(timeless(resumed)).to eq(timeless(full))
      expect(resumed['seconds']).to be > part['seconds']
    end

    it 'resumes the Trainer\'s nets exactly, a resumed run stopped and resumed again' do
      args = ['--net', 'simple_conv_net', '--data-dir', @conv_dir, '--epochs', '2', '--batch-size', '10',
              '--evaluate-samples', '15', '--hidden', '4', '--optimizer', 'momentum', '--lr', '0.05', '--seed', '2']
      full, part, ckpt, resumed = stopped_and_resumed(args, 3)
      expect(part['acc_iters']).to eq([0])
      expect(ckpt['optimizer']['state'].keys).to eq(%w[v])
      expect(ckpt['options']).to include('epochs' => 2, 'evaluate_samples' => 15, 'iters' => 8)
      expect(timeless(resumed)).to eq(timeless(full))
      # again, stopped once more in the resumed part (after 6 of 8), then to the end
      ckpt_file = File.join(@dir, 'part.ckpt.json')
      _, err, status = train_status('--data-dir', @conv_dir, '--resume', ckpt_file, '--stop-after', '6',
                                    '--checkpoint', File.join(@dir, 'again.json'), out: 'again-h.json')
      expect(status.exitstatus).to eq(0), err
      expect(history('again-h.json')['stopped_after']).to eq(6)
      _, err, status = train_status('--data-dir', @conv_dir, '--resume', File.join(@dir, 'again.json'), out: 'end.json')
      expect(status).to be_success, err
      expect(timeless(history('end.json'))).to eq(timeless(full))

      deep = ['--net', 'deep_conv_net', '--data-dir', @conv_dir, '--epochs', '1', '--batch-size', '10',
              '--evaluate-samples', '10', '--hidden', '3', '--optimizer', 'rmsprop', '--lr', '0.01']
      full, _, ckpt, resumed = stopped_and_resumed(deep, 2)
      expect(ckpt['optimizer']['state'].keys).to eq(%w[h])
      expect(ckpt['params'].keys).to eq((1..8).flat_map { |i| %W[W#{i} b#{i}] })
      expect(timeless(resumed)).to eq(timeless(full)) # the same mask seeds after the restored generator
    end

    it 'stops after the step in progress on SIGINT (status 130) and SIGTERM (143), the checkpoint written' do
      { 'INT' => 130, 'TERM' => 143 }.each do |sig, code|
        ckpt = File.join(@dir, "#{sig}.ckpt.json")
        Open3.popen3(File.join(BinHelpers::BIN, 'train'), '--data-dir', @dir, '--iters', '1000000', '--batch-size', '10',
                     '--quiet', '--out', File.join(@dir, "#{sig}.json"), '--checkpoint', ckpt) do |_in, out, _err, wait|
          expect(out.gets).to start_with('epoch 0 ') # the loop runs, the handlers set
          Process.kill(sig, wait.pid)
          rest = out.read
          expect(wait.value.exitstatus).to eq(code)
          expect(rest.lines.last).to start_with('interrupted after iteration ')
        end
        h = history("#{sig}.json")
        expect(h['loss_history'].size).to eq(h['stopped_after'])
        expect(JSON.parse(File.read(ckpt))['iteration']).to eq(h['stopped_after'])
      end
    end

    context 'with a checkpoint to resume' do
      # A checkpoint of 3 of 8 iterations with Adam, then +change+ applied to its JSON object.
      def checkpoint(&change)
        ckpt = File.join(@dir, 'c.ckpt.json')
        unless File.exist?(ckpt)
          _, err, status = train_status('--data-dir', @dir, '--iters', '8', '--batch-size', '10', '--hidden', '3',
                                        '--optimizer', 'adam', '--stop-after', '3', '--checkpoint', ckpt)
          expect(status).to be_success, err
        end
        doc = JSON.parse(File.read(ckpt))
        change&.call(doc)
        path = File.join(@dir, 'bad.json')
        File.write(path, JSON.generate(doc))
        path
      end

      def refused(path, message, *extra)
        expect_refused('train', '--data-dir', @dir, '--quiet', '--out', File.join(@dir, 'r.json'), '--resume', path, *extra,
                       message)
      end

      it 'refuses a file that is not a checkpoint of version 1' do
        path = File.join(@dir, 'not.json')
        File.write(path, '{"format": ')
        refused(path, /not\.json: not JSON/)
        refused(File.join(@dir, 'none.json'), /none\.json: cannot read it/)
        refused(checkpoint { |d| d['format'] = 'dlscratch-params' }, /is not "dlscratch-checkpoint"/)
        refused(checkpoint { |d| d['version'] = 2 }, /a checkpoint of version 2; this trainer reads version 1/)
        refused(checkpoint { |d| d.delete('options') }, /the checkpoint has no "options"/)
      end

      it 'refuses a training option given with --resume: the checkpoint fixes it' do
        refused(checkpoint, /^bin\/train: --lr cannot be given with --resume: the checkpoint fixes it$/, '--lr', '0.5')
        refused(checkpoint, /--net cannot be given with --resume/, '--net', 'two_layer_net')
        refused(checkpoint, /--seed cannot be given with --resume/, '--seed', '0')
      end

      it 'refuses bad options, a network that is not theirs, data of fewer images' do
        refused(checkpoint { |d| d['options']['lr'] = 'fast' }, /options\.lr is "fast", not a finite number/)
        refused(checkpoint { |d| d['options']['net'] = 'lenet' }, /options\.net is "lenet", not one of/)
        refused(checkpoint { |d| d['options']['batch_size'] = 0 }, /options\.batch_size is 0, not a whole number >= 1/)
        refused(checkpoint { |d| d['options']['optimizer'] = 'lbfgs' }, /options\.optimizer is "lbfgs", not one of/)
        refused(checkpoint { |d| d['network']['hidden_size'] = 4 }, /its network .* is not its options'/)
        refused(checkpoint { |d| d['options']['train_size'] = 50 }, /the run used 50 training images; .* has 40/)
      end

      it 'refuses an iteration outside 0 < I < the run\'s iterations, and a history that disagrees with it' do
        refused(checkpoint { |d| d['iteration'] = 0 }, /its iteration 0 is not in 1 \.\. 7 \(the run has 8\)/)
        refused(checkpoint { |d| d['iteration'] = 8 }, /its iteration 8 is not in 1 \.\. 7/)
        refused(checkpoint { |d| d['iteration'] = 3.0 }, /the checkpoint\.iteration is 3\.0, not an integer/)
        refused(checkpoint { |d| d['iteration'] = 4 }, /history\.loss_history has 3 losses for iteration 4/)
        refused(checkpoint { |d| d['history']['acc_iters'] = [1] }, /history\.acc_iters is \[1\], not the epochs' ends before iteration 3: \[0\]/)
        refused(checkpoint { |d| d['history']['test_acc'] = [] }, /history\.test_acc has 0 accuracies for 1 evaluations/)
        refused(checkpoint { |d| d['history']['loss_history'][1] = 'low' }, /history\.loss_history holds "low", not a number/)
      end

      it 'refuses params and optimizer state of other keys or shapes, another optimizer, bad generator words' do
        refused(checkpoint { |d| d['params']['W1']['shape'] = [3, 4] }, /params\.W1 has the shape \[3,4\], not \[4,3\]/)
        refused(checkpoint { |d| d['params']['W1']['data'].pop }, /params\.W1 has 11 numbers for the shape \[4,3\]/)
        refused(checkpoint { |d| d['params']['b1']['data'][0] = nil }, /params\.b1\.data holds null, not a number/)
        refused(checkpoint { |d| d['params'].delete('b2') }, /params has the keys W1, b1, W2, not W1, b1, W2, b2/)
        refused(checkpoint { |d| d['params'] = d['params'].to_a.reverse.to_h }, /params has the keys W2|params has the keys b2/)
        refused(checkpoint { |d| d['optimizer']['name'] = 'sgd' }, /optimizer\.name is "sgd", not the options' "adam"/)
        refused(checkpoint { |d| d['optimizer']['state'].delete('iter') }, /optimizer\.state has the keys m, v, not iter, m, v/)
        refused(checkpoint { |d| d['optimizer']['state']['iter'] = 0 }, /optimizer\.state\.iter is 0, not a count of updates >= 1/)
        refused(checkpoint { |d| d['optimizer']['state']['v']['W2']['shape'] = [10, 3] }, /optimizer\.state\.v\.W2 has the shape/)
        refused(checkpoint { |d| d['rng']['s1'] = [0, 0, 0] }, /rng\.s1 is all zeros/)
        refused(checkpoint { |d| d['rng']['s2'][0] = 4_294_944_443 }, /rng\.s2 must be three integers in 0 \.\. 4294944442/)
      end
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
