# frozen_string_literal: true

require 'json'
require 'optparse'
require 'fileutils'
require_relative 'train'
require_relative 'datasets'
require_relative 'progress'
require_relative 'cli'
require_relative 'runner'
require_relative 'trainer'

module DLScratch
  # The trainer's command line (shared_tests/README.md §8), the same options and outputs as
  # every port's: bin/train --help.
  module Train
    DEFAULTS = { net: 'two_layer_net', data_dir: Datasets::DEFAULT_DIR, seed: 0, train_size: nil, test_size: nil,
                 out: 'train-ruby.json', save_params: nil, quiet: false }.freeze

    # Each network's defaults (README §8): train_neuralnet.py's, ch07/train_convnet.py's and
    # ch08/train_deepnet.py's settings; nil marks an option the network does not accept.
    NET_DEFAULTS = {
      'two_layer_net' => { iters: 10_000, epochs: nil, evaluate_samples: nil, batch_size: 100, hidden: 50,
                           optimizer: 'sgd', lr: 0.1, weight_init_std: 0.01 },
      'simple_conv_net' => { iters: nil, epochs: 20, evaluate_samples: 1000, batch_size: 100, hidden: 100,
                             optimizer: 'adam', lr: 0.001, weight_init_std: 0.01 },
      'deep_conv_net' => { iters: nil, epochs: 20, evaluate_samples: 1000, batch_size: 100, hidden: 50,
                           optimizer: 'adam', lr: 0.001, weight_init_std: nil }
    }.freeze
    # The networks trained by the book's Trainer (train_convnet.py, train_deepnet.py).
    TRAINER_NETS = %w[simple_conv_net deep_conv_net].freeze

    # Images per predict when the accuracies are measured.
    EVAL_BATCH = 1000

    # Seeds are 0 <= seed < 2**31, as in the runner.
    SEED_LIMIT = Rng::SEED_LIMIT

    module_function

    # The help's default of an option that depends on --net: the first network's, then each
    # other one's where it differs; the networks named when not all accept the option.
    # @param key [Symbol] an option of {NET_DEFAULTS}
    # @return [String] "(default: 100)", "(default: 50; 100 for simple_conv_net)",
    #   "(simple_conv_net, deep_conv_net only; default: 20)"
    def by_net(key)
      values = NET_DEFAULTS.filter_map { |net, d| [net, d[key]] unless d[key].nil? }.to_h
      first = values.values.first
      text = [first, *values.filter_map { |net, v| "#{v} for #{net}" unless v == first }].join('; ')
      only = values.size < NET_DEFAULTS.size ? "#{values.keys.join(', ')} only; " : ''
      "(#{only}default: #{text})"
    end

    # The option parser of bin/train, filling +opts+.
    # @param opts [Hash] the options, updated in place as they are parsed
    # @return [OptionParser]
    def option_parser(opts)
      names = Optimizers::REGISTRY.keys.sort
      nets = NET_DEFAULTS.keys
      OptionParser.new do |o|
        o.accept(CLI::FiniteFloat) { |text| CLI::FiniteFloat.parse(text) }
        o.program_name = 'bin/train'
        o.banner = "Usage: bin/train [options]\n\n" \
                   "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) with the loop of\n" \
                   "train_neuralnet.py, or with --net simple_conv_net / deep_conv_net the book's SimpleConvNet /\n" \
                   "DeepConvNet with its Trainer (ch07/train_convnet.py, ch08/train_deepnet.py), on Fashion-MNIST\n" \
                   "or MNIST; print train/test accuracy once an epoch and after the last iteration, and write the\n" \
                   "history (JSON or CSV).\n\n"
        o.on('--net NAME', "#{nets[0...-1].join(', ')} or #{nets[-1]} (default: two_layer_net)") do |v|
          opts[:net] = CLI.check(v, "choose from #{nets.join(', ')}") { nets.include?(v) }
        end
        o.on('--data-dir DIR', "directory with the four IDX files (default: #{DEFAULTS[:data_dir]})") { |v| opts[:data_dir] = v }
        whole = lambda do |flag, text, key|
          o.on("#{flag} N", OptionParser::DecimalInteger, text) { |v| opts[key] = CLI.check(v, 'must be >= 1', &:positive?) }
        end
        whole.call('--iters', "iterations #{by_net(:iters)}", :iters)
        whole.call('--epochs', "epochs of the Trainer #{by_net(:epochs)}", :epochs)
        whole.call('--evaluate-samples', "train and test images evaluated each epoch #{by_net(:evaluate_samples)}",
                   :evaluate_samples)
        whole.call('--batch-size', "images per batch #{by_net(:batch_size)}", :batch_size)
        whole.call('--hidden', "hidden units #{by_net(:hidden)}", :hidden)
        o.on('--lr X', CLI::FiniteFloat, "learning rate #{by_net(:lr)}") { |v| opts[:lr] = v }
        o.on('--optimizer NAME', "#{names.join(', ')} #{by_net(:optimizer)}") do |v|
          opts[:optimizer] = CLI.check(v, "choose from #{names.join(', ')}") { names.include?(v) }
        end
        o.on('--weight-init-std X', CLI::FiniteFloat, "standard deviation of the initial weights #{by_net(:weight_init_std)}") do |v|
          opts[:weight_init_std] = v
        end
        o.on('--seed K', OptionParser::DecimalInteger, 'seeds the generator of weights and batches (default: 0)') do |v|
          opts[:seed] = CLI.check(v, "must be in 0 <= seed < #{SEED_LIMIT}") { (0...SEED_LIMIT).cover?(v) }
        end
        whole.call('--train-size', 'use the first N training images (default: all)', :train_size)
        whole.call('--test-size', 'use the first N test images (default: all)', :test_size)
        o.on('--out FILE', 'history file, .json or .csv (default: train-ruby.json)') { |v| opts[:out] = v }
        o.on('--save-params FILE', 'write the trained parameters in the portable format (default: not written)') do |v|
          opts[:save_params] = v
        end
        o.on('--quiet', 'no progress bar (default: off)') { opts[:quiet] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = true }
      end
    end

    # bin/train's options, the defaults of --net filled in.
    # @param argv [Array<String>]
    # @return [Hash] {DEFAULTS} and the net's {NET_DEFAULTS} updated from +argv+; +:help+ true
    #   when --help was given
    # @raise [CLI::UsageError] for a bad option, value or argument, or an option the net does
    #   not accept
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = option_parser(opts)
      rest = parser.parse(argv)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

      NET_DEFAULTS.fetch(opts[:net]).each do |key, default|
        if default.nil? && !opts[key].nil?
          raise CLI::UsageError, "--#{key.to_s.tr('_', '-')} does not apply to --net #{opts[:net]}"
        end

        opts[key] = default if opts[key].nil?
      end
      opts[:usage] = parser.help
      opts
    rescue OptionParser::ParseError => e
      raise CLI::UsageError, CLI.one_line(e)
    end

    # Writes the history: +iter,loss+ lines for a +.csv+ path, else one JSON object.
    # @param path [String]
    # @param record [Hash] the history, already encoded for JSON ({Runner.encode})
    # @return [void]
    def write_history(path, record)
      FileUtils.mkdir_p(File.dirname(path))
      if File.extname(path).casecmp('.csv').zero?
        lines = ['iter,loss'] + record['loss_history'].each_with_index.map { |loss, i| "#{i},#{loss}" }
        File.write(path, "#{lines.join("\n")}\n")
      else
        File.write(path, "#{JSON.generate(record)}\n")
      end
    end

    # bin/train: the data checked, then the book's loop (or for simple_conv_net its Trainer)
    # with an evaluation after iteration i whenever i mod iter_per_epoch = 0, iter_per_epoch =
    # max(train_size / batch_size, 1) in float64 (Float#% is exact, as fmod), and a final
    # evaluation after the last iteration; then the history and, with --save-params, the
    # parameters.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0, or 2 after one line "bin/train: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:usage]
        return 0
      end
      CLI.check_out(opts[:out])
      CLI.check_out(opts[:save_params], '--save-params') if opts[:save_params]
      conv = TRAINER_NETS.include?(opts[:net])
      data = begin
        Datasets.load_mnist(opts[:data_dir], train_size: opts[:train_size], test_size: opts[:test_size], flatten: !conv)
      rescue Datasets::FileError => e
        raise CLI::UsageError, e.message
      end
      check_image_size(opts[:net], data[0]) if conv
      record, network = conv ? run_conv_net(opts, *data) : run(opts, *data)
      write_history(opts[:out], Runner.encode(record))
      puts "history written to #{opts[:out]}"
      if opts[:save_params]
        save_params(opts[:save_params], network_description(network, opts), network.params)
        puts "parameters written to #{opts[:save_params]}"
      end
      0
    rescue CLI::UsageError => e
      warn "bin/train: #{e.message}"
      2
    rescue NoMemoryError => e
      warn "bin/train: out of memory (#{e.message}); try a smaller --hidden or --batch-size"
      2
    rescue SystemCallError => e
      warn "bin/train: #{e.message}"
      1
    rescue Interrupt
      warn 'bin/train: interrupted'
      130
    end

    # Trains with the options on checked data, printing the evaluation lines.
    # @param opts [Hash] as {parse_options} returns them
    # @param x_train [NArray] N×784 float64
    # @param t_train [NArray] N labels
    # @param x_test [NArray]
    # @param t_test [NArray]
    # @return [Array(Hash, TwoLayerNet)] the history record (port, options, loss_history,
    #   acc_iters, train_acc, test_acc, final_iter, final_train_acc, final_test_acc, seconds)
    #   and the trained network
    def run(opts, x_train, t_train, x_test, t_test)
      train_size = x_train.shape[1]
      per_epoch = iter_per_epoch(train_size, opts[:batch_size])
      acc_iters = []
      train_acc = []
      test_acc = []
      bar = ProgressBar.new(opts[:iters], enabled: opts[:quiet] ? false : nil)
      start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = two_layer_net(x_train, t_train, hidden_size: opts[:hidden], output_size: 10,
                                               weight_init_std: opts[:weight_init_std], lr: opts[:lr],
                                               batch_size: opts[:batch_size], iters: opts[:iters], seed: opts[:seed],
                                               optimizer: opts[:optimizer]) do |i, network, loss|
        if epoch_end?(i, per_epoch)
          acc_iters << i
          train_acc << network.accuracy(x_train, t_train, batch_size: EVAL_BATCH)
          test_acc << network.accuracy(x_test, t_test, batch_size: EVAL_BATCH)
          bar.write(format('epoch %d  train acc %.4f  test acc %.4f', (i / per_epoch).to_i, train_acc[-1], test_acc[-1]))
        end
        bar.update(i + 1, loss: loss)
      end
      seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      bar.close
      final_train_acc = result.network.accuracy(x_train, t_train, batch_size: EVAL_BATCH)
      final_test_acc = result.network.accuracy(x_test, t_test, batch_size: EVAL_BATCH)
      history = { loss_history: result.loss_history, acc_iters: acc_iters, train_acc: train_acc, test_acc: test_acc,
                  final_train_acc: final_train_acc, final_test_acc: final_test_acc, seconds: seconds }
      [record(opts, opts[:iters], train_size, x_test.shape[1], history), result.network]
    end

    # Trains the book's SimpleConvNet or DeepConvNet with its Trainer as train.trainer does: one
    # generator seeded with --seed draws the weights, then every batch (and for DeepConvNet every
    # step's mask seed); the Trainer evaluates the first
    # --evaluate-samples images after step i whenever i mod iter_per_epoch = 0, and the final
    # test accuracy is over the whole test set.
    # @param opts [Hash] as {parse_options} returns them
    # @param x_train [NArray] N×1×H×W float64
    # @param t_train [NArray] N labels
    # @param x_test [NArray] M×1×H×W
    # @param t_test [NArray]
    # @return [Array(Hash, SimpleConvNet, DeepConvNet)] the history record (as {run}'s) and the
    #   trained network
    def run_conv_net(opts, x_train, t_train, x_test, t_test)
      train_size, test_size = t_train.size, t_test.size
      rng = Rng.new(opts[:seed])
      input_dim = Arrays.shape(x_train)[1..]
      network = if opts[:net] == 'deep_conv_net'
                  DeepConvNet.new(input_dim: input_dim, hidden_size: opts[:hidden], rng: rng)
                else
                  SimpleConvNet.new(input_dim: input_dim, hidden_size: opts[:hidden],
                                    weight_init_std: opts[:weight_init_std], rng: rng)
                end
      trainer = Trainer.new(network, x_train, t_train, x_test, t_test, epochs: opts[:epochs],
                                                                       mini_batch_size: opts[:batch_size],
                                                                       optimizer: opts[:optimizer],
                                                                       optimizer_param: { lr: opts[:lr] },
                                                                       evaluate_sample_num_per_epoch: opts[:evaluate_samples],
                                                                       rng: rng)
      acc_iters = []
      bar = ProgressBar.new(trainer.max_iter, enabled: opts[:quiet] ? false : nil)
      start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      final_test_acc = trainer.train do |t, loss|
        i = t.current_iter
        if epoch_end?(i, t.iter_per_epoch)
          acc_iters << i
          bar.write(format('epoch %d  train acc %.4f  test acc %.4f', t.current_epoch, t.train_acc_list[-1],
                           t.test_acc_list[-1]))
        end
        bar.update(i + 1, loss: loss)
      end
      seen = [opts[:evaluate_samples], train_size].min
      final_train_acc = network.accuracy(Arrays.rows(x_train, 0...seen), t_train[0...seen])
      seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      bar.close
      history = { loss_history: trainer.train_loss_list, acc_iters: acc_iters, train_acc: trainer.train_acc_list,
                  test_acc: trainer.test_acc_list, final_train_acc: final_train_acc, final_test_acc: final_test_acc,
                  seconds: seconds }
      [record(opts, trainer.max_iter, train_size, test_size, history), network]
    end

    # Prints the final line and gives the history record of a run of +steps+ steps.
    # @return [Hash]
    def record(opts, steps, train_size, test_size, history)
      puts format('final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)',
                  steps - 1, history[:final_train_acc], history[:final_test_acc], history[:seconds],
                  1000 * history[:seconds] / steps)
      options = { net: opts[:net], data_dir: opts[:data_dir], iters: steps, batch_size: opts[:batch_size],
                  hidden: opts[:hidden], lr: opts[:lr], optimizer: opts[:optimizer],
                  weight_init_std: opts[:weight_init_std], seed: opts[:seed], train_size: train_size, test_size: test_size }
      options.delete(:weight_init_std) if opts[:weight_init_std].nil?
      options.update(epochs: opts[:epochs], evaluate_samples: opts[:evaluate_samples]) if TRAINER_NETS.include?(opts[:net])
      h = history
      { port: 'ruby', options: options, loss_history: h[:loss_history], acc_iters: h[:acc_iters], train_acc: h[:train_acc],
        test_acc: h[:test_acc], final_iter: steps - 1, final_train_acc: h[:final_train_acc],
        final_test_acc: h[:final_test_acc], seconds: h[:seconds] }
    end

    # SimpleConvNet's 5 × 5 filters need images of at least 6 × 6 (a conv output of 2 × 2 for
    # the pooling), DeepConvNet's three poolings at least 4 × 4.
    # @param net [String] simple_conv_net or deep_conv_net
    # @param x_train [NArray] N×1×H×W
    # @raise [CLI::UsageError]
    def check_image_size(net, x_train)
      _, _, rows, cols = Arrays.shape(x_train)
      if net == 'deep_conv_net'
        return if DeepConvNet.sizes(rows, cols).flatten.min >= 1

        raise CLI::UsageError, "--net deep_conv_net: images of #{rows}x#{cols} are smaller than 4x4"
      end
      filter = SimpleConvNet::CONV_PARAM[:filter_size]
      return if [rows, cols].min >= filter + 1

      raise CLI::UsageError, "--net simple_conv_net: images of #{rows}x#{cols} are smaller than #{filter + 1}x#{filter + 1}"
    end

    # The "network" of a parameters file: its kind and structure.
    # @param network [TwoLayerNet, SimpleConvNet, DeepConvNet]
    # @param opts [Hash]
    # @return [Hash]
    def network_description(network, opts)
      if network.is_a?(DeepConvNet)
        { kind: 'deep_conv_net', input_dim: network.input_dim, hidden_size: opts[:hidden], output_size: 10 }
      elsif network.is_a?(SimpleConvNet)
        { kind: 'simple_conv_net', input_dim: network.input_dim, conv_param: SimpleConvNet::CONV_PARAM.dup,
          hidden_size: opts[:hidden], output_size: 10 }
      else
        { kind: 'two_layer_net', input_size: Arrays.shape(network.params['W1'])[0], hidden_size: opts[:hidden],
          output_size: 10 }
      end
    end
  end
end
