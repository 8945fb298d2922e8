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
require_relative 'checkpoint'

module DLScratch
  # The trainer's command line (shared_tests/README.md §8), the same options and outputs as
  # every port's: bin/train --help.
  module Train
    # bin/train's options that are not the run's (their defaults); a checkpoint leaves them to the command line.
    DEFAULTS = { data_dir: Datasets::DEFAULT_DIR, out: 'train-ruby.json', save_params: nil, checkpoint: nil,
                 stop_after: nil, resume: nil, quiet: false }.freeze
    # The defaults of the run's options that do not depend on --net (train_size, test_size nil: all).
    RUN_DEFAULTS = { net: 'two_layer_net', seed: 0, train_size: nil, test_size: nil }.freeze

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
    # The options a checkpoint fixes (README §8): giving one with --resume is a usage error.
    RUN_OPTIONS = %i[net iters epochs evaluate_samples batch_size hidden lr optimizer weight_init_std seed train_size
                     test_size].freeze
    # The networks trained by the book's Trainer (train_convnet.py, train_deepnet.py).
    TRAINER_NETS = %w[simple_conv_net deep_conv_net].freeze

    # Images per predict when the accuracies are measured.
    EVAL_BATCH = 1000

    # Seeds are 0 <= seed < 2**31, as in the runner.
    SEED_LIMIT = Rng::SEED_LIMIT

    # The signals that stop a run after its step in progress (README §8); exit status 128 + signo.
    STOP_SIGNALS = %w[INT TERM].freeze

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

    # The option parser of bin/train, filling +opts+ (an option given is a key set).
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
                   "history (JSON or CSV). Ctrl-C or SIGTERM stops after the step in progress and writes a\n" \
                   "checkpoint that --resume continues.\n\n"
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
        o.on('--checkpoint FILE', 'where a stopped run writes its checkpoint (default: the --out name with .ckpt.json)') do |v|
          opts[:checkpoint] = v
        end
        whole.call('--stop-after', 'stop as Ctrl-C does once N iterations of the run are done (default: off)', :stop_after)
        o.on('--resume FILE', 'continue the run of a checkpoint, which fixes the network and every training option ' \
                              '(default: off)') do |v|
          opts[:resume] = v
        end
        o.on('--quiet', 'no progress bar (default: off)') { opts[:quiet] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = true }
      end
    end

    # bin/train's options, the defaults of --net filled in (with --resume the run's options come
    # from the checkpoint instead: {checkpoint_options}).
    # @param argv [Array<String>]
    # @return [Hash] {DEFAULTS}, {RUN_DEFAULTS} and the net's {NET_DEFAULTS} updated from +argv+;
    #   +:help+ true when --help was given, +:usage+ the help text
    # @raise [CLI::UsageError] for a bad option, value or argument, an option the net does not
    #   accept, or one of {RUN_OPTIONS} given with --resume
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = option_parser(opts)
      rest = parser.parse(argv)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

      opts[:usage] = parser.help
      return opts if opts[:help]

      if opts[:resume]
        given = RUN_OPTIONS.find { |key| opts.key?(key) }
        raise CLI::UsageError, "#{flag(given)} cannot be given with --resume: the checkpoint fixes it" if given

        return opts
      end
      RUN_DEFAULTS.each { |key, default| opts[key] = default unless opts.key?(key) }
      net_defaults(opts)
    rescue OptionParser::ParseError => e
      raise CLI::UsageError, CLI.one_line(e)
    end

    # @param key [Symbol] :batch_size
    # @return [String] "--batch-size"
    def flag(key) = "--#{key.to_s.tr('_', '-')}"

    # Fills in the defaults of opts[:net]; an option it does not accept is an error.
    # @param opts [Hash]
    # @return [Hash] opts
    # @raise [CLI::UsageError]
    def net_defaults(opts)
      NET_DEFAULTS.fetch(opts[:net]).each do |key, default|
        raise CLI::UsageError, "#{flag(key)} does not apply to --net #{opts[:net]}" if default.nil? && !opts[key].nil?

        opts[key] = default if opts[key].nil?
      end
      opts
    end

    # The run's options from a checkpoint's "options", each checked as its command-line option
    # would be (data_dir is not one of them).
    # @param options [Hash{String=>Object}] the checkpoint's options
    # @param opts [Hash] bin/train's options, updated in place
    # @return [Hash] opts
    # @raise [Checkpoint::Invalid]
    def checkpoint_options(options, opts)
      net = options['net']
      unless NET_DEFAULTS.key?(net)
        raise Checkpoint::Invalid, "options.net is #{Checkpoint.shown(net)}, not one of #{NET_DEFAULTS.keys.join(', ')}"
      end

      accepted = NET_DEFAULTS[net].reject { |_, default| default.nil? }.keys
      ([:iters, :seed, :train_size, :test_size] + accepted).uniq.each do |key|
        v = options[key.to_s]
        ok, what = case key
                   when :optimizer then [Optimizers::REGISTRY.key?(v), "one of #{Optimizers::REGISTRY.keys.join(', ')}"]
                   when :lr, :weight_init_std then [v.is_a?(Numeric) && v.finite?, 'a finite number']
                   when :seed then [v.is_a?(Integer) && (0...SEED_LIMIT).cover?(v), 'a seed in 0 <= seed < 2^31']
                   else [v.is_a?(Integer) && v.positive?, 'a whole number >= 1']
                   end
        raise Checkpoint::Invalid, "options.#{key} is #{Checkpoint.shown(v)}, not #{what}" unless ok

        opts[key] = v.is_a?(Integer) && %i[lr weight_init_std].include?(key) ? v.to_f : v
      end
      opts[:net] = net
      NET_DEFAULTS[net].each { |key, default| opts[key] = nil if default.nil? }
      opts
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

    # --checkpoint's default: the --out name with .ckpt.json for its extension.
    # @param out [String] train-ruby.json, runs/h.csv
    # @return [String] train-ruby.ckpt.json, runs/h.ckpt.json
    def default_checkpoint(out)
      "#{out.delete_suffix(File.extname(out))}.ckpt.json"
    end

    # bin/train: the data checked (with --resume the checkpoint too), then the book's loop (or
    # for the conv nets its Trainer) with an evaluation after iteration i whenever
    # i mod iter_per_epoch = 0, iter_per_epoch = max(train_size / batch_size, 1) in float64
    # (Float#% is exact, as fmod), and a final evaluation after the last iteration; then the
    # history and, with --save-params, the parameters. A run stopped by SIGINT, SIGTERM or
    # --stop-after writes its history so far and a checkpoint instead.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0; 130 or 143 for a run stopped by SIGINT or SIGTERM; 2
    #   after one line "bin/train: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:usage]
        return 0
      end
      saved = read_resume(opts) if opts[:resume]
      opts[:checkpoint] ||= default_checkpoint(opts[:out])
      CLI.check_out(opts[:out])
      CLI.check_out(opts[:save_params], '--save-params') if opts[:save_params]
      CLI.check_out(opts[:checkpoint], '--checkpoint')
      data = load_data(opts, saved)
      run = Run.new(opts, *data)
      resume(run, saved, opts[:resume]) if saved
      caught = run_steps(run, opts)
      return stop(run, opts, caught) unless run.finished?

      finish(run, opts)
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
    rescue SignalException => e # before or after the loop: nothing to save
      warn "bin/train: #{e.is_a?(Interrupt) ? 'interrupted' : e.message}"
      128 + e.signo
    end

    # The checkpoint of --resume read, its options made the run's.
    # @param opts [Hash] updated in place
    # @return [Hash] the checkpoint's JSON object
    # @raise [CLI::UsageError] "FILE: what is wrong"
    def read_resume(opts)
      doc = Checkpoint.read(opts[:resume])
      checkpoint_options(doc['options'], opts)
      doc
    rescue Checkpoint::Invalid => e
      raise CLI::UsageError, "#{opts[:resume]}: #{e.message}"
    end

    # The four IDX files checked and loaded (images N×1×H×W for the conv nets, else N×H·W);
    # with a checkpoint, as many images as its run used.
    # @param opts [Hash]
    # @param saved [Hash, nil] the checkpoint
    # @return [Array(NArray, NArray, NArray, NArray)] x_train, t_train, x_test, t_test
    # @raise [CLI::UsageError]
    def load_data(opts, saved)
      conv = TRAINER_NETS.include?(opts[:net])
      data = begin
        Datasets.load_mnist(opts[:data_dir], train_size: opts[:train_size], test_size: opts[:test_size], flatten: !conv)
      rescue Datasets::FileError => e
        raise CLI::UsageError, e.message
      end
      if saved
        [['training', opts[:train_size], data[1]], ['test', opts[:test_size], data[3]]].each do |what, n, t|
          next if t.size == n

          raise CLI::UsageError, "#{opts[:resume]}: the run used #{n} #{what} images; #{opts[:data_dir]} has #{t.size}"
        end
      end
      check_image_size(opts[:net], data[0]) if conv
      data
    end

    # Restores the checkpoint +saved+ into +run+, checked against it first.
    # @param run [Run] a new run of the checkpoint's options
    # @param saved [Hash] the checkpoint
    # @param path [String] its file, for the message
    # @return [void]
    # @raise [CLI::UsageError] "FILE: what is wrong"
    def resume(run, saved, path)
      state = Checkpoint.restore(saved, network: JSON.parse(JSON.generate(run.description)), shapes: run.shapes,
                                        steps: run.steps, iter_per_epoch: run.iter_per_epoch)
      run.resume(state)
    rescue Checkpoint::Invalid => e
      raise CLI::UsageError, "#{path}: #{e.message}"
    end

    # The training loop, from the run's next iteration: each step, its epoch line and the
    # progress bar; SIGINT and SIGTERM only set a flag meanwhile, checked after each step, as
    # --stop-after's count is (neither stops a run whose last step is done).
    # @param run [Run]
    # @param opts [Hash]
    # @return [String, nil] the signal that stopped the run ("INT", "TERM"), nil otherwise
    def run_steps(run, opts)
      bar = ProgressBar.new(run.steps, enabled: opts[:quiet] ? false : nil, done: run.done)
      start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      caught = nil
      while_trapping(STOP_SIGNALS, ->(sig) { caught ||= sig }) do
        until run.finished?
          i, loss, epoch = run.step
          bar.write(format('epoch %d  train acc %.4f  test acc %.4f', epoch, *run.accuracies.map(&:last))) if epoch
          bar.update(i + 1, loss: loss)
          break if !run.finished? && (caught || run.done == opts[:stop_after])
        end
      end
      run.history[:seconds] += Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      bar.close
      caught
    end

    # Runs the block with each of +signals+ handled by +handler+ (given the signal's name), the
    # previous handlers restored afterwards.
    # @param signals [Array<String>] "INT", "TERM"
    # @param handler [Proc]
    # @return [Object] the block's value
    def while_trapping(signals, handler)
      previous = {}
      signals.each { |sig| previous[sig] = Signal.trap(sig) { handler.call(sig) } }
      yield
    ensure
      previous.each { |sig, old| Signal.trap(sig, old || 'DEFAULT') }
    end

    # A stopped run: the checkpoint, the history so far (with stopped_after and checkpoint, no
    # final_*), the line that says how to continue.
    # @param run [Run]
    # @param opts [Hash]
    # @param caught [String, nil] the signal that stopped it (nil: --stop-after)
    # @return [Integer] the exit status: 128 + the signal's number, 0 for --stop-after
    def stop(run, opts, caught)
      path = opts[:checkpoint]
      run.write_checkpoint(path)
      write_history(opts[:out], Runner.encode(run.record.merge(stopped_after: run.done, checkpoint: path,
                                                               seconds: run.history[:seconds])))
      puts "interrupted after iteration #{run.done - 1}: checkpoint written to #{path} (continue with --resume #{path})"
      caught ? 128 + Signal.list.fetch(caught) : 0
    end

    # A finished run: the final evaluation and its line, the history, the parameters.
    # @param run [Run]
    # @param opts [Hash]
    # @return [void]
    def finish(run, opts)
      final_train_acc, final_test_acc = run.final_accuracies
      seconds, steps = run.history[:seconds], run.steps
      puts format('final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)',
                  steps - 1, final_train_acc, final_test_acc, seconds, 1000 * seconds / steps)
      write_history(opts[:out], Runner.encode(run.record.merge(final_iter: steps - 1, final_train_acc: final_train_acc,
                                                               final_test_acc: final_test_acc, seconds: seconds)))
      puts "history written to #{opts[:out]}"
      return unless opts[:save_params]

      save_params(opts[:save_params], run.description, run.network.params)
      puts "parameters written to #{opts[:save_params]}"
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

    # One bin/train run on checked data (README §8): the network, its optimizer and the one
    # generator (the weights, then every batch and, for DeepConvNet, every step's mask seed),
    # the iterations done and the history so far. It steps one iteration at a time, so that the
    # command can stop it between two, write it to a checkpoint and continue it from one.
    class Run
      # @return [TwoLayerNet, SimpleConvNet, DeepConvNet]
      attr_reader :network
      # @return [Integer] the run's iterations: --iters, or the Trainer's int(epochs · iter_per_epoch)
      attr_reader :steps
      # @return [Float] max(train_size / batch_size, 1)
      attr_reader :iter_per_epoch
      # @return [Hash{Symbol=>Object}] loss_history, acc_iters, train_acc, test_acc, seconds (of the
      #   loops so far)
      attr_reader :history

      # A new run of +opts+: the network drawn from a generator seeded with --seed.
      # @param opts [Hash] as {Train.parse_options} returns them
      # @param x_train [NArray] N×784 float64 (N×1×H×W for the conv nets)
      # @param t_train [NArray] N labels
      # @param x_test [NArray]
      # @param t_test [NArray]
      def initialize(opts, x_train, t_train, x_test, t_test)
        @opts = opts
        @x_train, @t_train, @x_test, @t_test = x_train, t_train, x_test, t_test
        @rng = Rng.new(opts[:seed])
        @iter_per_epoch = Train.iter_per_epoch(t_train.size, opts[:batch_size])
        @history = { loss_history: [], acc_iters: [], train_acc: [], test_acc: [], seconds: 0.0 }
        TRAINER_NETS.include?(opts[:net]) ? start_trainer : start_loop
      end

      # @return [Integer] the iterations done, the index of the next one
      def done = @history[:loss_history].size

      # @return [Boolean] whether all {#steps} are done
      def finished? = done >= @steps

      # Iteration {#done}: the step (the batch, the gradient, the update, the batch's loss) and,
      # when i mod iter_per_epoch = 0, the accuracies (the Trainer's on its first
      # --evaluate-samples images; the loop's on all of them).
      # @return [Array(Integer, Float, Integer), Array(Integer, Float, nil)] the iteration i, its
      #   loss and the epoch number of its evaluation (nil without one)
      def step
        i = done
        if @trainer
          loss = @trainer.train_step
        else
          loss = Train.two_layer_step(@network, @optimizer, @rng, @x_train, @t_train, @opts[:batch_size])
          @history[:loss_history] << loss
        end
        return [i, loss, nil] unless Train.epoch_end?(i, @iter_per_epoch)

        @history[:acc_iters] << i
        return [i, loss, @trainer.current_epoch] if @trainer

        @history[:train_acc] << @network.accuracy(@x_train, @t_train, batch_size: EVAL_BATCH)
        @history[:test_acc] << @network.accuracy(@x_test, @t_test, batch_size: EVAL_BATCH)
        [i, loss, (i / @iter_per_epoch).to_i]
      end

      # @return [Array(Array<Float>, Array<Float>)] the train and test accuracies so far
      def accuracies = @history.values_at(:train_acc, :test_acc)

      # The accuracies after the last step: the Trainer's on its first --evaluate-samples
      # training images and on the whole test set; the loop's on all of both.
      # @return [Array(Float, Float)] train, test
      def final_accuracies
        unless @trainer
          return [@network.accuracy(@x_train, @t_train, batch_size: EVAL_BATCH),
                  @network.accuracy(@x_test, @t_test, batch_size: EVAL_BATCH)]
        end

        test = @trainer.final_test_accuracy
        seen = [@opts[:evaluate_samples], @t_train.size].min
        [@network.accuracy(Arrays.rows(@x_train, 0...seen), @t_train[0...seen]), test]
      end

      # The history's "options" (and the checkpoint's): the run's training options, the data
      # directory, the iterations and the image counts used.
      # @return [Hash{Symbol=>Object}]
      def options
        o = @opts
        options = { net: o[:net], data_dir: o[:data_dir], iters: @steps, batch_size: o[:batch_size], hidden: o[:hidden],
                    lr: o[:lr], optimizer: o[:optimizer], weight_init_std: o[:weight_init_std], seed: o[:seed],
                    train_size: @t_train.size, test_size: @t_test.size }
        options.delete(:weight_init_std) if o[:weight_init_std].nil?
        options.update(epochs: o[:epochs], evaluate_samples: o[:evaluate_samples]) if @trainer
        options
      end

      # The history without its ending: port, options, loss_history, acc_iters, train_acc, test_acc.
      # @return [Hash{Symbol=>Object}]
      def record
        { port: 'ruby', options: options, **@history.slice(*Checkpoint::HISTORY_LISTS) }
      end

      # @return [Hash] the parameters file's "network" of the run
      def description = Train.network_description(@network, @opts)

      # @return [Hash{String=>Array<Integer>}] each parameter's row-major shape, in order
      def shapes = @network.params.transform_values { |a| Arrays.shape(a) }

      # Continues from a checked checkpoint: the params (in place: the layers hold those
      # NArrays), the optimizer's state, the generator's words, the iterations done, the history.
      # @param state [Checkpoint::State]
      # @return [self]
      def resume(state)
        state.params.each { |key, value| @network.params[key][] = value }
        @optimizer.state = state.optimizer
        @rng.state = state.rng
        h = state.history
        if @trainer
          @trainer.resume(state.iteration, train_loss_list: h[:loss_history], train_acc_list: h[:train_acc],
                                           test_acc_list: h[:test_acc])
        else
          %i[loss_history train_acc test_acc].each { |key| @history[key].replace(h[key]) }
        end
        @history[:acc_iters].replace(h[:acc_iters])
        @history[:seconds] = h[:seconds]
        self
      end

      # Writes the checkpoint of the run as it stands (README §8).
      # @param path [String]
      # @return [void]
      def write_checkpoint(path)
        Checkpoint.write(path, network: description, options: options, iteration: done, rng: @rng, optimizer: @optimizer,
                               params: @network.params, history: @history)
      end

      private

      # TwoLayerNet (W1, W2 drawn) and the optimizer of the book's loop
      def start_loop
        @network = TwoLayerNet.new(@x_train.shape[0], @opts[:hidden], 10, weight_init_std: @opts[:weight_init_std], rng: @rng)
        @optimizer = Optimizers.build(@opts[:optimizer], { lr: @opts[:lr] })
        @steps = @opts[:iters]
      end

      # SimpleConvNet or DeepConvNet (drawn) and its Trainer, whose lists are the history's
      def start_trainer
        input_dim = Arrays.shape(@x_train)[1..]
        @network = if @opts[:net] == 'deep_conv_net'
                     DeepConvNet.new(input_dim: input_dim, hidden_size: @opts[:hidden], rng: @rng)
                   else
                     SimpleConvNet.new(input_dim: input_dim, hidden_size: @opts[:hidden],
                                       weight_init_std: @opts[:weight_init_std], rng: @rng)
                   end
        @trainer = Trainer.new(@network, @x_train, @t_train, @x_test, @t_test,
                               epochs: @opts[:epochs], mini_batch_size: @opts[:batch_size], optimizer: @opts[:optimizer],
                               optimizer_param: { lr: @opts[:lr] }, evaluate_sample_num_per_epoch: @opts[:evaluate_samples],
                               rng: @rng)
        @optimizer = @trainer.optimizer
        @steps = @trainer.max_iter
        @history.update(loss_history: @trainer.train_loss_list, train_acc: @trainer.train_acc_list,
                        test_acc: @trainer.test_acc_list)
      end
    end
  end
end
