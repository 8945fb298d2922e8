# frozen_string_literal: true

require_relative 'arrays'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'

module DLScratch
  # Training TwoLayerNet with the book's loop (train_neuralnet.py).
  module Train
    # The network after training and the loss recorded after each iteration.
    Result = Struct.new(:network, :loss_history) do
      def params
        network.params
      end
    end

    module_function

    # region: train_loop
    # One generator seeded with +seed+ draws W1, W2, then each iteration's batch
    # choice(train_size, batch_size); gradient by backprop, optimizer update, then the loss
    # of the same batch with the updated parameters is appended to the history.
    #
    # @param x_train [NArray] N×D float64 (NArray shape [D, N])
    # @param t_train [NArray] N integer labels
    # @param hyper [Hash{Symbol=>Float}] the optimizer's hyper-parameters; without :lr, +lr+
    # @yield [i, network, loss] after each iteration (0-based i), if a block is given
    # @return [Result]
    def two_layer_net(x_train, t_train, hidden_size: 50, output_size: 10, weight_init_std: 0.01, lr: 0.1,
                      batch_size: 100, iters: 10_000, seed: 0, optimizer: 'sgd', hyper: {})
      rng = Rng.new(seed)
      input_size, train_size = x_train.shape
      network = TwoLayerNet.new(input_size, hidden_size, output_size, weight_init_std: weight_init_std, rng: rng)
      opt = Optimizers.build(optimizer, { lr: lr }.merge(hyper))
      result = Result.new(network, [])
      iters.times do |i|
        batch_mask = NArray.to_na(rng.choice(train_size, batch_size))
        x_batch = x_train[true, batch_mask]
        t_batch = t_train[batch_mask]
        grads = network.gradient(x_batch, t_batch)
        opt.update(network.params, grads)
        loss = network.loss(x_batch, t_batch)
        result.loss_history << loss
        yield i, network, loss if block_given?
      end
      result
    end
    # endregion
  end
end

require 'json'
require 'optparse'
require 'fileutils'
require_relative 'datasets'
require_relative 'progress'

module DLScratch
  # The trainer's command line (shared_tests/README.md §8), the same options and outputs as
  # every port's: bin/train --help.
  module Train
    DEFAULTS = { data_dir: Datasets::DEFAULT_DIR, iters: 10_000, batch_size: 100, hidden: 50, lr: 0.1,
                 optimizer: 'sgd', weight_init_std: 0.01, seed: 0, train_size: nil, test_size: nil,
                 out: 'train-ruby.json', quiet: false }.freeze

    module_function

    def positive(value)
      raise OptionParser::InvalidArgument.new(value.to_s, '(not a positive integer)') unless value.positive?

      value
    end

    # @return [Hash] the options, or raises OptionParser::ParseError
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = OptionParser.new do |o|
        o.banner = "Usage: bin/train [options]\n\n" \
                   "Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST or MNIST\n" \
                   "with the loop of train_neuralnet.py; print train/test accuracy once an epoch and write\n" \
                   "the loss history (JSON or CSV).\n\n"
        o.on('--data-dir DIR', "directory with the four IDX files (default: #{DEFAULTS[:data_dir]})") { |v| opts[:data_dir] = v }
        o.on('--iters N', Integer, 'iterations (default: 10000)') { |v| opts[:iters] = positive(v) }
        o.on('--batch-size N', Integer, '(default: 100)') { |v| opts[:batch_size] = positive(v) }
        o.on('--hidden N', Integer, 'hidden units (default: 50)') { |v| opts[:hidden] = positive(v) }
        o.on('--lr X', Float, 'learning rate (default: 0.1)') { |v| opts[:lr] = v }
        o.on('--optimizer NAME', Optimizers::REGISTRY.keys.sort, "#{Optimizers::REGISTRY.keys.sort.join(', ')} (default: sgd)") do |v|
          opts[:optimizer] = v
        end
        o.on('--weight-init-std X', Float, '(default: 0.01)') { |v| opts[:weight_init_std] = v }
        o.on('--seed K', Integer, 'seeds the generator of weights and batches (default: 0)') { |v| opts[:seed] = v }
        o.on('--train-size N', Integer, 'use the first N training images (default: all)') do |v|
          opts[:train_size] = positive(v)
        end
        o.on('--test-size N', Integer, 'use the first N test images (default: all)') do |v|
          opts[:test_size] = positive(v)
        end
        o.on('--out FILE', 'history file, .json or .csv (default: train-ruby.json)') { |v| opts[:out] = v }
        o.on('--quiet', 'no progress bar') { opts[:quiet] = true }
        o.on('-h', '--help', 'this help') do
          puts o
          exit 0
        end
      end
      parser.parse!(argv.dup)
      opts
    end

    def write_history(path, record)
      FileUtils.mkdir_p(File.dirname(path))
      if File.extname(path).casecmp('.csv').zero?
        lines = ["iter,loss"] + record[:loss_history].each_with_index.map { |loss, i| "#{i},#{loss}" }
        File.write(path, "#{lines.join("\n")}\n")
      else
        File.write(path, "#{JSON.generate(record)}\n")
      end
    end

    # bin/train: @return [Integer] the exit status
    def main(argv = ARGV)
      opts = begin
        parse_options(argv)
      rescue OptionParser::ParseError => e
        warn "bin/train: #{e.message} (see --help)"
        return 2
      end
      begin
        x_train, t_train, x_test, t_test = Datasets.load_mnist(opts[:data_dir], train_size: opts[:train_size],
                                                                                test_size: opts[:test_size])
        Rng.new(opts[:seed])
      rescue Error => e
        warn "error: #{e.message}"
        return 2
      end
      train_size = x_train.shape[1]
      iter_per_epoch = [train_size / opts[:batch_size], 1].max
      train_acc = []
      test_acc = []
      bar = ProgressBar.new(opts[:iters], enabled: opts[:quiet] ? false : nil)
      start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      result = two_layer_net(x_train, t_train, hidden_size: opts[:hidden], output_size: 10,
                                               weight_init_std: opts[:weight_init_std], lr: opts[:lr],
                                               batch_size: opts[:batch_size], iters: opts[:iters], seed: opts[:seed],
                                               optimizer: opts[:optimizer]) do |i, network, loss|
        if (i % iter_per_epoch).zero?
          train_acc << network.accuracy(x_train, t_train)
          test_acc << network.accuracy(x_test, t_test)
          bar.write(format('epoch %d  train acc %.4f  test acc %.4f', i / iter_per_epoch, train_acc[-1], test_acc[-1]))
        end
        bar.update(i + 1, loss: loss)
      end
      seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      bar.close
      options = { data_dir: opts[:data_dir], iters: opts[:iters], batch_size: opts[:batch_size], hidden: opts[:hidden],
                  lr: opts[:lr], optimizer: opts[:optimizer], weight_init_std: opts[:weight_init_std],
                  seed: opts[:seed], train_size: train_size, test_size: x_test.shape[1] }
      record = { port: 'ruby', options: options, loss_history: result.loss_history,
                 train_acc: train_acc, test_acc: test_acc, seconds: seconds }
      write_history(opts[:out], Runner.encode(record).transform_keys(&:to_sym))
      puts format('final  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)',
                  train_acc[-1], test_acc[-1], seconds, 1000 * seconds / opts[:iters])
      puts "history written to #{opts[:out]}"
      0
    end
  end
end
