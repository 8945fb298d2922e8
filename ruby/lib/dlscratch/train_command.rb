# frozen_string_literal: true

require 'json'
require 'optparse'
require 'fileutils'
require_relative 'train'
require_relative 'datasets'
require_relative 'progress'
require_relative 'cli'
require_relative 'runner'

module DLScratch
  # The trainer's command line (shared_tests/README.md §8), the same options and outputs as
  # every port's: bin/train --help.
  module Train
    DEFAULTS = { data_dir: Datasets::DEFAULT_DIR, iters: 10_000, batch_size: 100, hidden: 50, lr: 0.1,
                 optimizer: 'sgd', weight_init_std: 0.01, seed: 0, train_size: nil, test_size: nil,
                 out: 'train-ruby.json', quiet: false }.freeze

    # Images per predict when the accuracies are measured.
    EVAL_BATCH = 1000

    # Seeds are 0 <= seed < 2**31, as in the runner.
    SEED_LIMIT = Rng::SEED_LIMIT

    module_function

    # The option parser of bin/train, filling +opts+.
    # @param opts [Hash] the options, updated in place as they are parsed
    # @return [OptionParser]
    def option_parser(opts)
      names = Optimizers::REGISTRY.keys.sort
      OptionParser.new do |o|
        o.accept(CLI::FiniteFloat) { |text| CLI::FiniteFloat.parse(text) }
        o.program_name = 'bin/train'
        o.banner = "Usage: bin/train [options]\n\n" \
                   "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST or MNIST\n" \
                   "with the loop of train_neuralnet.py; print train/test accuracy once an epoch and after the\n" \
                   "last iteration, and write the history (JSON or CSV).\n\n"
        o.on('--data-dir DIR', "directory with the four IDX files (default: #{DEFAULTS[:data_dir]})") { |v| opts[:data_dir] = v }
        whole = lambda do |flag, text, key|
          o.on("#{flag} N", OptionParser::DecimalInteger, text) { |v| opts[key] = CLI.check(v, 'must be >= 1', &:positive?) }
        end
        whole.call('--iters', 'iterations (default: 10000)', :iters)
        whole.call('--batch-size', 'images per batch (default: 100)', :batch_size)
        whole.call('--hidden', 'hidden units (default: 50)', :hidden)
        o.on('--lr X', CLI::FiniteFloat, 'learning rate (default: 0.1)') { |v| opts[:lr] = v }
        o.on('--optimizer NAME', "#{names.join(', ')} (default: sgd)") do |v|
          opts[:optimizer] = CLI.check(v, "choose from #{names.join(', ')}") { names.include?(v) }
        end
        o.on('--weight-init-std X', CLI::FiniteFloat, 'standard deviation of the initial weights (default: 0.01)') do |v|
          opts[:weight_init_std] = v
        end
        o.on('--seed K', OptionParser::DecimalInteger, 'seeds the generator of weights and batches (default: 0)') do |v|
          opts[:seed] = CLI.check(v, "must be in 0 <= seed < #{SEED_LIMIT}") { (0...SEED_LIMIT).cover?(v) }
        end
        whole.call('--train-size', 'use the first N training images (default: all)', :train_size)
        whole.call('--test-size', 'use the first N test images (default: all)', :test_size)
        o.on('--out FILE', 'history file, .json or .csv (default: train-ruby.json)') { |v| opts[:out] = v }
        o.on('--quiet', 'no progress bar (default: off)') { opts[:quiet] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = true }
      end
    end

    # bin/train's options.
    # @param argv [Array<String>]
    # @return [Hash] {DEFAULTS} updated from +argv+; +:help+ true when --help was given
    # @raise [CLI::UsageError] for a bad option, value or argument
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = option_parser(opts)
      rest = parser.parse(argv)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

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

    # bin/train: the data checked, then the book's loop with an evaluation after iteration i
    # whenever i mod iter_per_epoch = 0, iter_per_epoch = max(train_size / batch_size, 1) in
    # float64 (Float#% is exact, as fmod), and a final evaluation after the last iteration.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0, or 2 after one line "bin/train: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:usage]
        return 0
      end
      CLI.check_out(opts[:out])
      data = begin
        Datasets.load_mnist(opts[:data_dir], train_size: opts[:train_size], test_size: opts[:test_size])
      rescue Datasets::FileError => e
        raise CLI::UsageError, e.message
      end
      record = run(opts, *data)
      write_history(opts[:out], Runner.encode(record))
      puts "history written to #{opts[:out]}"
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
    # @return [Hash] the history record (port, options, loss_history, acc_iters, train_acc,
    #   test_acc, final_iter, final_train_acc, final_test_acc, seconds)
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
      final_iter = opts[:iters] - 1
      final_train_acc = result.network.accuracy(x_train, t_train, batch_size: EVAL_BATCH)
      final_test_acc = result.network.accuracy(x_test, t_test, batch_size: EVAL_BATCH)
      puts format('final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)',
                  final_iter, final_train_acc, final_test_acc, seconds, 1000 * seconds / opts[:iters])
      options = { data_dir: opts[:data_dir], iters: opts[:iters], batch_size: opts[:batch_size], hidden: opts[:hidden],
                  lr: opts[:lr], optimizer: opts[:optimizer], weight_init_std: opts[:weight_init_std],
                  seed: opts[:seed], train_size: train_size, test_size: x_test.shape[1] }
      { port: 'ruby', options: options, loss_history: result.loss_history, acc_iters: acc_iters,
        train_acc: train_acc, test_acc: test_acc, final_iter: final_iter, final_train_acc: final_train_acc,
        final_test_acc: final_test_acc, seconds: seconds }
    end
  end
end
