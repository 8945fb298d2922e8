# frozen_string_literal: true

require 'fileutils'
require 'json'
require_relative 'arrays'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'

module DLScratch
  # Training TwoLayerNet with the book's loop (train_neuralnet.py).
  module Train
    # The network after training and the loss recorded after each iteration.
    Result = Struct.new(:network, :loss_history) do
      # @return [Hash{String=>NArray}] the trained network's parameters
      def params
        network.params
      end
    end

    module_function

    # region: trainer
    # part: helper

    # The book's iter_per_epoch = max(train_size / batch_size, 1), a true (float64) division:
    # 60000 images in batches of 128 give 468.75.
    # @param train_size [Integer]
    # @param batch_size [Integer]
    # @return [Float]
    def iter_per_epoch(train_size, batch_size)
      [train_size.fdiv(batch_size), 1.0].max
    end

    # Whether the book's loop evaluates after iteration +i+ (0-based): i mod iter_per_epoch = 0,
    # the remainder exact (Integer#% by a Float is IEEE fmod for positive operands). Where
    # iter_per_epoch is not a binary fraction (60000 / 7) that is after iteration 0 only.
    # @param i [Integer]
    # @param iter_per_epoch [Float]
    # @return [Boolean]
    def epoch_end?(i, iter_per_epoch)
      (i % iter_per_epoch).zero?
    end
    # endregion

    # region: save_params
    # Writes the portable parameters file of README §8 (the book's save_params): each array's
    # shape and row-major data (Float#to_s reads back to the same double; non-finite numbers as
    # "NaN", "Infinity", "-Infinity"), in the network's key order.
    # @param path [String]
    # @param network [Hash] the network's kind and structure
    # @param params [Hash{String=>NArray}]
    # @return [void]
    def save_params(path, network, params)
      doc = { format: 'dlscratch-params', version: 1, port: 'ruby', network: network, params: portable_arrays(params) }
      FileUtils.mkdir_p(File.dirname(path))
      File.write(path, "#{JSON.generate(doc)}\n")
    end

    # Arrays in the notation of the parameters file: each as its shape and its row-major data,
    # every number a Float (whose to_s reads back to the same double) or, when not finite,
    # "NaN", "Infinity", "-Infinity".
    # @param arrays [Hash{String=>NArray}]
    # @return [Hash{String=>Hash{Symbol=>Array}}] {key => {shape:, data:}}, in the arrays' order
    def portable_arrays(arrays)
      arrays.transform_values { |v| { shape: Arrays.shape(v), data: v.to_a.flatten.map { |x| portable_number(x) } } }
    end

    # @param value [Float]
    # @return [Float, String] the value, or "NaN", "Infinity", "-Infinity" when it is not finite
    def portable_number(value)
      value.finite? ? value : { 1 => 'Infinity', -1 => '-Infinity' }.fetch(value.infinite?, 'NaN')
    end

    # Reads a parameters file (the book's load_params) as the JSON value it holds; the checks
    # of its contents are the validator's (the hook model_file).
    # @param path [String]
    # @return [Object] the decoded JSON
    # @raise [SystemCallError, IOError] when the file cannot be read
    # @raise [JSON::ParserError, EncodingError] when it is not JSON (UTF-8 text)
    def read_params(path)
      JSON.parse(File.read(path, encoding: Encoding::UTF_8), max_nesting: false)
    end
    # endregion

    # region: train_loop
    # part: init

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
      # part: train
      result = Result.new(network, [])
      iters.times do |i|
        loss = two_layer_step(network, opt, rng, x_train, t_train, batch_size)
        result.loss_history << loss
        yield i, network, loss if block_given?
      end
      result
    end

    # part: step

    # One iteration of the loop: the batch choice(train_size, batch_size) drawn from +rng+, the
    # gradient, the update, then the batch's loss with the updated parameters.
    # @param network [TwoLayerNet] its params updated in place
    # @param optimizer [Optimizers::SGD, Optimizers::Adam, ...]
    # @param rng [Rng] the run's one generator
    # @param x_train [NArray] N×D float64 (NArray shape [D, N])
    # @param t_train [NArray] N integer labels
    # @param batch_size [Integer]
    # @return [Float] the loss
    def two_layer_step(network, optimizer, rng, x_train, t_train, batch_size)
      batch_mask = NArray.to_na(rng.choice(x_train.shape[1], batch_size))
      x_batch = x_train[true, batch_mask]
      t_batch = t_train[batch_mask]
      grads = network.gradient(x_batch, t_batch)
      optimizer.update(network.params, grads)
      network.loss(x_batch, t_batch)
    end
    # endregion
  end
end
