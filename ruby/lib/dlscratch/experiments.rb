# frozen_string_literal: true

require_relative 'arrays'
require_relative 'datasets'
require_relative 'functions'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'progress'
require_relative 'rng'
require_relative 'train'
require_relative 'trainer'

module DLScratch
  # The experiments of the book's chapter 6 (ch06/*.py), one method each, as
  # shared_tests/README.md §13 pins them: every experiment draws everything from the one
  # generator of its {Run}, in the order of the book's script, so that every port computes the
  # same curves. Each returns the "results" of bin/experiment's JSON (plain Hashes, Arrays,
  # Floats and Integers, keyed as the Python reference's).
  module Experiments
    # What an experiment gets: the generator, the scale, the data (read on first use) and the
    # progress bars.
    class Run
      # @return [Rng] the experiment's one generator
      attr_reader :rng
      # @return [Float] 0 < scale <= 1
      attr_reader :scale

      # @param rng [Rng]
      # @param scale [Float] the fraction of the book's iterations, epochs, trials or rows
      # @param data_dir [String] a directory with the four IDX files
      # @param quiet [Boolean] no progress bars
      def initialize(rng, scale: 1.0, data_dir: Datasets::DEFAULT_DIR, quiet: true)
        @rng = rng
        @scale = scale
        @data_dir = data_dir
        @quiet = quiet
        @data = nil
      end

      # The four arrays of {Datasets.load_mnist}, read (and checked) on the first call.
      # @return [Array(NArray, NArray, NArray, NArray)] x_train, t_train, x_test, t_test
      # @raise [Datasets::FileError] for a missing or malformed file
      def data
        @data ||= Datasets.load_mnist(@data_dir)
      end

      # n times the scale, rounded half to even as Python's round (50 · 0.05 = 2.5 gives 2),
      # at least +least+.
      # @param n [Integer]
      # @param least [Integer]
      # @return [Integer]
      def scaled(n, least: 1)
        [least, (n * @scale).round(half: :even)].max
      end

      # A progress bar of +total+ steps, drawn on a terminal unless quiet.
      # @param total [Integer]
      # @return [ProgressBar]
      def bar(total)
        ProgressBar.new(total, enabled: @quiet ? false : nil)
      end
    end

    # The learning rates of figure 6-8, in the book's order (the other hyper-parameters are the
    # optimizers' defaults).
    NAIVE_LEARNING_RATES = { 'SGD' => 0.95, 'Momentum' => 0.1, 'AdaGrad' => 1.5, 'Adam' => 0.3 }.freeze
    # The standard deviations of figures 6-10 to 6-14 by their names in the results.
    HISTOGRAM_STDS = { '1' => 1.0, '0.01' => 0.01, 'Xavier' => Math.sqrt(1.0 / 100), 'He' => Math.sqrt(2.0 / 100) }.freeze
    # The activations of figures 6-10 to 6-14 and each histogram's range [lo, hi].
    HISTOGRAM_ACTIVATIONS = {
      'sigmoid' => [Functions.method(:sigmoid), [0.0, 1.0]],
      'relu' => [Functions.method(:relu), [0.0, 1.0]],
      'tanh' => [Functions.method(:tanh), [-1.0, 1.0]]
    }.freeze
    # The weight scales of figure 6-15 by their names in the results ({MultiLayerNet.init_scale}).
    WEIGHT_INITS = { 'std=0.01' => 0.01, 'Xavier' => 'sigmoid', 'He' => 'relu' }.freeze

    module_function

    # f(x, y) = x²/20 + y²
    # @param x [Float]
    # @param y [Float]
    # @return [Float]
    def f_naive(x, y)
      (x**2 / 20.0) + (y**2)
    end

    # ∇f(x, y) = (x/10, 2y)
    # @param x [Float]
    # @param y [Float]
    # @return [Array(Float, Float)]
    def df_naive(x, y)
      [x / 10.0, 2.0 * y]
    end

    # Figure 6-8: 30 steps of SGD (lr 0.95), Momentum (0.1), AdaGrad (1.5) and Adam (0.3) on
    # f from (−7, 2), each path the point before every step. No draws; the scale does not apply.
    # @param _run [Run]
    # @return [Hash] "paths" => {NAME => {"x" => [30 Floats], "y" => [30 Floats]}}
    def optimizer_compare_naive(_run)
      paths = NAIVE_LEARNING_RATES.to_h do |name, lr|
        optimizer = Optimizers.build(name, lr: lr)
        params = { 'x' => NArray[-7.0], 'y' => NArray[2.0] }
        path = { 'x' => [], 'y' => [] }
        30.times do
          x, y = params['x'][0], params['y'][0]
          path['x'] << x
          path['y'] << y
          gx, gy = df_naive(x, y)
          optimizer.update(params, { 'x' => NArray[gx], 'y' => NArray[gy] })
        end
        [name, path]
      end
      { 'paths' => paths }
    end

    # The loop of optimizer_compare_mnist.py and weight_init_compare.py: each iteration draws a
    # batch choice(train_size, batch_size), then every network in turn takes a step on it and
    # records the loss of the batch.
    # @param run [Run]
    # @param networks [Hash{String=>MultiLayerNet}]
    # @param optimizers [Hash{String=>Object}] one per network, the same keys
    # @param iterations [Integer]
    # @param batch_size [Integer]
    # @return [Hash{String=>Array<Float>}] the losses of each network
    def race(run, networks, optimizers, iterations, batch_size)
      x_train, t_train, = run.data
      losses = networks.transform_values { [] }
      bar = run.bar(iterations)
      iterations.times do |i|
        batch = NArray.to_na(run.rng.choice(t_train.size, batch_size))
        x_batch = x_train[true, batch]
        t_batch = t_train[batch]
        networks.each do |key, network|
          optimizers[key].update(network.params, network.gradient(x_batch, t_batch))
          losses[key] << network.loss(x_batch, t_batch)
        end
        bar.update(i + 1, loss: losses.values.last.last)
      end
      bar.close
      losses
    end

    # Figure 6-9: SGD, Momentum, AdaGrad and Adam (default hyper-parameters) on four
    # 784-100-100-100-100-10 networks (He weights, ReLU) drawn in that order, batch 128,
    # 2000 iterations times the scale.
    # @param run [Run]
    # @return [Hash] "iterations", "train_loss" => {NAME => [Floats]}
    def optimizer_compare_mnist(run)
      names = %w[SGD Momentum AdaGrad Adam]
      networks = names.to_h { |name| [name, MultiLayerNet.new(784, [100] * 4, 10, rng: run.rng)] }
      optimizers = names.to_h { |name| [name, Optimizers.build(name)] }
      iterations = run.scaled(2000)
      { 'iterations' => iterations, 'train_loss' => race(run, networks, optimizers, iterations, 128) }
    end

    # Figure 6-15: std 0.01, Xavier and He weights on ReLU networks 784-100-100-100-100-10 drawn
    # in that order, SGD lr 0.01, batch 128, 2000 iterations times the scale.
    # @param run [Run]
    # @return [Hash] "iterations", "train_loss" => {"std=0.01" | "Xavier" | "He" => [Floats]}
    def weight_init_compare(run)
      networks = WEIGHT_INITS.transform_values { |std| MultiLayerNet.new(784, [100] * 4, 10, weight_init_std: std, rng: run.rng) }
      sgd = Optimizers.build('sgd', lr: 0.01) # no state: one serves every network
      iterations = run.scaled(2000)
      { 'iterations' => iterations,
        'train_loss' => race(run, networks, networks.transform_values { sgd }, iterations, 128) }
    end

    # Counts of +bins+ equal bins over [lo, hi]: v falls in bin floor((v − lo)·bins / (hi − lo)),
    # hi in the last; values outside [lo, hi] (and NaN) are not counted.
    # @param values [NArray] any shape
    # @param lo [Float]
    # @param hi [Float]
    # @param bins [Integer]
    # @return [Array<Integer>] +bins+ counts
    def histogram(values, lo, hi, bins = 30)
      v = values.reshape(values.size)
      inside = v.ge(lo) & v.le(hi) & v.eq(v) # NArray's ge and le hold for NaN
      return Array.new(bins, 0) if inside.count_true.zero?

      index = ((v[inside] - lo) * bins / (hi - lo)).floor
      index[index.gt(bins - 1)] = bins - 1
      Array.new(bins) { |b| index.eq(b).count_true }
    end

    # NumPy's mean and standard deviation of all the values: m = Σv / n, then
    # √(Σ(v − m)² / n), both sums pairwise in row-major order.
    # @param values [NArray]
    # @return [Array(Float, Float)] mean, std
    def mean_std(values)
      n = values.size
      mean = Arrays.pairwise_sum(values) / n
      d = values - mean
      [mean, Math.sqrt(Arrays.pairwise_sum(d * d) / n)]
    end

    # Figures 6-10 to 6-14: x = randn(1000·S, 100); for each activation and each std (in the
    # order of {HISTOGRAM_ACTIVATIONS} and {HISTOGRAM_STDS}) five layers z = act(z·W) with
    # W = std·randn(100, 100) drawn layer by layer; per layer the histogram of z (30 bins over
    # the activation's range), its mean and standard deviation.
    # @param run [Run]
    # @return [Hash] "histograms" => {ACT => {STD => {"range" => [lo, hi], "layers" => [5 ×
    #   {"hist", "mean", "std"}]}}}
    def weight_init_activation_histogram(run)
      x0 = run.rng.randn(run.scaled(1000), 100)
      histograms = HISTOGRAM_ACTIVATIONS.to_h do |act, (fn, (lo, hi))|
        by_std = HISTOGRAM_STDS.to_h do |name, std|
          z = x0
          layers = Array.new(5) do
            z = fn.call(Arrays.dot(z, std * run.rng.randn(100, 100)))
            mean, sd = mean_std(z)
            { 'hist' => histogram(z, lo, hi), 'mean' => mean, 'std' => sd }
          end
          [name, { 'range' => [lo, hi], 'layers' => layers }]
        end
        [act, by_std]
      end
      { 'histograms' => histograms }
    end

    # The first +n+ images and labels (all of them when there are fewer).
    # @param x [NArray] N×784
    # @param t [NArray] N labels
    # @param n [Integer]
    # @return [Array(NArray, NArray)]
    def head(x, t, n)
      n = [n, t.size].min
      [x[true, 0...n], t[0...n]]
    end

    # Figure 6-19: for each of the 16 weight scales logspace(0, −4, 16), a
    # MultiLayerNetExtend(784, [100] × 5, 10) with batch norm, then one without, drawn with that
    # weight_init_std; both take SGD (lr 0.01) steps on a shared batch choice(1000, 100), the
    # batch-norm network first; after step i with i mod iter_per_epoch = 0, the accuracy on the
    # first 1000 images of the network without and then with batch norm, until 20·S
    # evaluations.
    # @param run [Run]
    # @return [Hash] "epochs", "runs" => [16 × {"weight_scale", "train_acc", "bn_train_acc"}]
    def batch_norm_test(run)
      x_all, t_all, = run.data
      x_train, t_train = head(x_all, t_all, 1000)
      epochs = run.scaled(20)
      batch_size = 100
      iter_per_epoch = Train.iter_per_epoch(t_train.size, batch_size)
      sgd = Optimizers.build('sgd', lr: 0.01)
      bar = run.bar(16 * epochs)
      runs = logspace(0.0, -4.0, 16).each_with_index.map do |w, k|
        bn_network = MultiLayerNetExtend.new(784, [100] * 5, 10, weight_init_std: w, use_batchnorm: true, rng: run.rng)
        network = MultiLayerNetExtend.new(784, [100] * 5, 10, weight_init_std: w, rng: run.rng)
        acc = []
        bn_acc = []
        i = 0
        while acc.size < epochs
          batch = NArray.to_na(run.rng.choice(t_train.size, batch_size))
          x_batch = x_train[true, batch]
          t_batch = t_train[batch]
          [bn_network, network].each { |net| sgd.update(net.params, net.gradient(x_batch, t_batch)) }
          if Train.epoch_end?(i, iter_per_epoch)
            acc << network.accuracy(x_train, t_train)
            bn_acc << bn_network.accuracy(x_train, t_train)
            bar.update((k * epochs) + acc.size)
          end
          i += 1
        end
        { 'weight_scale' => w, 'train_acc' => acc, 'bn_train_acc' => bn_acc }
      end
      bar.close
      { 'epochs' => epochs, 'runs' => runs }
    end

    # NumPy's logspace(start, stop, num): 10^y for y = k·(stop − start)/(num − 1) + start,
    # the last y exactly stop.
    # @param start [Float]
    # @param stop [Float]
    # @param num [Integer] >= 2
    # @return [Array<Float>]
    def logspace(start, stop, num)
      step = (stop - start) / (num - 1)
      Array.new(num) { |k| 10.0**(k == num - 1 ? stop : (k * step) + start) }
    end

    # The data of figures 6-21 and 6-23: the first +train+ training images and the first test
    # images times the scale (at least 100, or all when there are fewer).
    # @param run [Run]
    # @param train [Integer]
    # @return [Array(NArray, NArray, NArray, NArray)] x_train, t_train, x_test, t_test
    def overfit_data(run, train: 300)
      x_train, t_train, x_test, t_test = run.data
      n_test = t_test.size
      [*head(x_train, t_train, train), *head(x_test, t_test, run.scaled(n_test, least: [100, n_test].min))]
    end

    # Figure 6-21: a MultiLayerNet(784, [100] × 6, 10) with weight decay λ = 0.1 on 300 images,
    # SGD lr 0.01 on batches choice(300, 100); after step i with i mod 3 = 0 the train then the
    # test accuracy, until 201·S evaluations.
    # @param run [Run]
    # @return [Hash] "weight_decay_lambda", "train_acc", "test_acc"
    def overfit_weight_decay(run)
      x_train, t_train, x_test, t_test = overfit_data(run)
      network = MultiLayerNet.new(784, [100] * 6, 10, weight_decay_lambda: 0.1, rng: run.rng)
      sgd = Optimizers.build('sgd', lr: 0.01)
      epochs = run.scaled(201)
      batch_size = 100
      iter_per_epoch = Train.iter_per_epoch(t_train.size, batch_size)
      train_acc = []
      test_acc = []
      bar = run.bar(epochs)
      i = 0
      while train_acc.size < epochs
        batch = NArray.to_na(run.rng.choice(t_train.size, batch_size))
        sgd.update(network.params, network.gradient(x_train[true, batch], t_train[batch]))
        if Train.epoch_end?(i, iter_per_epoch)
          train_acc << network.accuracy(x_train, t_train)
          test_acc << network.accuracy(x_test, t_test)
          bar.update(train_acc.size, test: test_acc.last)
        end
        i += 1
      end
      bar.close
      { 'weight_decay_lambda' => 0.1, 'train_acc' => train_acc, 'test_acc' => test_acc }
    end

    # Figure 6-23: a MultiLayerNetExtend(784, [100] × 6, 10) with Dropout 0.2 on the data of
    # {overfit_weight_decay}, trained by the {Trainer} (301·S epochs, batch 100, SGD lr 0.01,
    # every image evaluated), its draws as the Trainer's.
    # @param run [Run]
    # @return [Hash] "dropout_ratio", "train_acc", "test_acc", "train_loss"
    def overfit_dropout(run)
      x_train, t_train, x_test, t_test = overfit_data(run)
      network = MultiLayerNetExtend.new(784, [100] * 6, 10, use_dropout: true, dropout_ration: 0.2, rng: run.rng)
      trainer = Trainer.new(network, x_train, t_train, x_test, t_test, epochs: run.scaled(301), mini_batch_size: 100,
                                                                       optimizer: 'sgd', optimizer_param: { lr: 0.01 }, rng: run.rng)
      bar = run.bar(trainer.max_iter)
      trainer.train { |t, loss| bar.update(t.current_iter + 1, loss: loss) }
      bar.close
      { 'dropout_ratio' => 0.2, 'train_acc' => trainer.train_acc_list, 'test_acc' => trainer.test_acc_list,
        'train_loss' => trainer.train_loss_list }
    end

    # Figure 6-24: p = permutation(500) shuffles the first 500 training images; the first 100
    # of them validate, the other 400 train. Each of 100·S trials draws weight_decay =
    # 10^(−8 + 4u), then lr = 10^(−6 + 4u), a MultiLayerNet(784, [100] × 6, 10) with that decay,
    # and trains it with the {Trainer} for 50·S epochs (batch 100, SGD with that lr, the
    # validation images as its test set).
    # @param run [Run]
    # @return [Hash] "epochs", "trials" => [{"lr", "weight_decay", "val_acc", "train_acc"}]
    def hyperparameter_optimization(run)
      x_all, t_all, = run.data
      perm = NArray.to_na(run.rng.permutation(500))
      x = x_all[true, 0...500][true, perm]
      t = t_all[0...500][perm]
      x_val, t_val = x[true, 0...100], t[0...100]
      x_train, t_train = x[true, 100...500], t[100...500]
      trials = run.scaled(100)
      epochs = run.scaled(50)
      bar = run.bar(trials)
      results = Array.new(trials) do |k|
        weight_decay = 10.0**(-8 + (4 * run.rng.next_u))
        lr = 10.0**(-6 + (4 * run.rng.next_u))
        network = MultiLayerNet.new(784, [100] * 6, 10, weight_decay_lambda: weight_decay, rng: run.rng)
        trainer = Trainer.new(network, x_train, t_train, x_val, t_val, epochs: epochs, mini_batch_size: 100,
                                                                       optimizer: 'sgd', optimizer_param: { lr: lr }, rng: run.rng)
        trainer.train
        bar.update(k + 1, val: trainer.test_acc_list.last)
        { 'lr' => lr, 'weight_decay' => weight_decay, 'val_acc' => trainer.test_acc_list,
          'train_acc' => trainer.train_acc_list }
      end
      bar.close
      { 'epochs' => epochs, 'trials' => results }
    end

    # The experiments by name, in the book's order, and the figures each draws.
    EXPERIMENTS = {
      'optimizer_compare_naive' => 'figure 6-8',
      'optimizer_compare_mnist' => 'figure 6-9',
      'weight_init_activation_histogram' => 'figures 6-10 to 6-14',
      'weight_init_compare' => 'figure 6-15',
      'batch_norm_test' => 'figure 6-19',
      'overfit_weight_decay' => 'figure 6-21',
      'overfit_dropout' => 'figure 6-23',
      'hyperparameter_optimization' => 'figure 6-24'
    }.freeze

    # The experiments that read no images.
    WITHOUT_DATA = %w[optimizer_compare_naive weight_init_activation_histogram].freeze

    # Runs one experiment.
    # @param name [String] a key of {EXPERIMENTS}
    # @param run [Run]
    # @return [Hash] its results
    def call(name, run)
      public_send(name, run)
    end
  end
end
