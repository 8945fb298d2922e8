# frozen_string_literal: true

require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'
require_relative 'train'

module DLScratch
  # region: trainer
  # The book's common/trainer.py: mini-batch training of any of the book's networks (anything
  # with params, gradient, loss and accuracy), with the accuracies measured once an epoch and a
  # final test accuracy.
  #
  # iter_per_epoch = max(train_size / mini_batch_size, 1) (a float, as the book's) and
  # max_iter = int(epochs · iter_per_epoch). Each step draws a batch with replacement,
  # choice(train_size, mini_batch_size); for a network with Dropout then the seed of its masks,
  # floor(u · 2^31) of the next uniform u; updates by the gradient and records the loss of the
  # batch in the network's default mode (test mode for MultiLayerNetExtend). After step i
  # (0-based) with i mod iter_per_epoch = 0 exactly ({Train.epoch_end?}) it records the accuracy
  # of the first evaluate_sample_num_per_epoch train and test images (all of them when nil).
  class Trainer
    # @return [Object] the network being trained (its params updated in place)
    attr_reader :network
    # @return [Array<Float>] the loss after every step
    attr_reader :train_loss_list
    # @return [Array<Float>] the accuracies of every epoch's evaluation
    attr_reader :train_acc_list, :test_acc_list
    # @return [Float, nil] the accuracy on the whole test set, after {#train}
    attr_reader :test_acc
    # @return [Float] steps per epoch, max(train_size / mini_batch_size, 1)
    attr_reader :iter_per_epoch
    # @return [Integer] the steps of {#train}, int(epochs · iter_per_epoch)
    attr_reader :max_iter
    # @return [Integer] the steps taken, and the epochs evaluated
    attr_reader :current_iter, :current_epoch
    # @return [Optimizers::SGD, Optimizers::Adam, ...] the optimizer of the updates (its state
    #   is what a checkpoint saves)
    attr_reader :optimizer

    # part: init

    # @param network [TwoLayerNet, MultiLayerNet, MultiLayerNetExtend, SimpleConvNet]
    # @param x_train [NArray] N×D float64 (NArray shape [D, N]), N×C×H×W for a SimpleConvNet
    # @param t_train [NArray] N integer labels
    # @param x_test [NArray] M×D float64 (M×C×H×W)
    # @param t_test [NArray] M integer labels
    # @param epochs [Integer]
    # @param mini_batch_size [Integer]
    # @param optimizer [String] a name of {Optimizers::REGISTRY}, in any case
    # @param optimizer_param [Hash{Symbol=>Float}] its hyper-parameters (others are ignored)
    # @param evaluate_sample_num_per_epoch [Integer, nil] images evaluated once an epoch (nil: all)
    # @param verbose [Boolean] print the evaluations on $stdout, as the book's
    # @param rng [Rng, nil] the generator of the batches (nil: a new one seeded with +seed+)
    # @param seed [Integer]
    def initialize(network, x_train, t_train, x_test, t_test, epochs: 20, mini_batch_size: 100, optimizer: 'sgd',
                   optimizer_param: { lr: 0.01 }, evaluate_sample_num_per_epoch: nil, verbose: false, rng: nil, seed: 0)
      @network = network
      @x_train, @t_train, @x_test, @t_test = x_train, t_train, x_test, t_test
      @batch_size = mini_batch_size
      @evaluate_sample_num_per_epoch = evaluate_sample_num_per_epoch
      @verbose = verbose
      @rng = rng || Rng.new(seed)
      @optimizer = Optimizers.build(optimizer, optimizer_param)
      @train_size = t_train.size
      @iter_per_epoch = Train.iter_per_epoch(@train_size, mini_batch_size)
      @max_iter = (epochs * @iter_per_epoch).to_i
      @current_iter = 0
      @current_epoch = 0
      @train_loss_list = []
      @train_acc_list = []
      @test_acc_list = []
      @test_acc = nil
    end

    # part: step

    # One step: a batch, the gradient, the update, the batch's loss; at an epoch's end the
    # accuracies.
    # @yieldparam trainer [Trainer] self, after the step's records
    # @yieldparam loss [Float] the step's loss
    # @return [Float] the step's loss
    def train_step
      batch_mask = NArray.to_na(@rng.choice(@train_size, @batch_size))
      x_batch = Arrays.rows(@x_train, batch_mask)
      t_batch = @t_train[batch_mask]
      @network.dropout_seed = (@rng.next_u * Rng::SEED_LIMIT).floor if dropout?

      grads = @network.gradient(x_batch, t_batch)
      @optimizer.update(@network.params, grads)
      loss = @network.loss(x_batch, t_batch)
      @train_loss_list << loss

      evaluate if Train.epoch_end?(@current_iter, @iter_per_epoch)
      yield self, loss if block_given?
      @current_iter += 1
      loss
    end

    # part: train

    # The steps left up to {#max_iter} (all of them, unless {#resume} continued a stopped run),
    # then the accuracy on the whole test set.
    # @yieldparam trainer [Trainer] after every step (see {#train_step})
    # @yieldparam loss [Float]
    # @return [Float] {#test_acc}
    def train(&block)
      train_step(&block) while @current_iter < @max_iter
      final_test_accuracy
    end

    # The accuracy on the whole test set, as {#train} measures it after its steps.
    # @return [Float] {#test_acc}
    def final_test_accuracy
      @test_acc = @network.accuracy(@x_test, @t_test)
      puts "test acc:#{@test_acc}" if @verbose
      @test_acc
    end

    # part: load

    # Continues a run stopped after +iteration+ steps: the steps taken, the records so far and
    # the epochs counted (one per evaluation). The network's params, the generator and the
    # optimizer's state are restored through those objects themselves.
    # @param iteration [Integer] the steps taken, 0 <= iteration <= {#max_iter}
    # @param train_loss_list [Array<Float>] one loss per step taken
    # @param train_acc_list [Array<Float>] the evaluations so far
    # @param test_acc_list [Array<Float>] as many
    # @return [self]
    def resume(iteration, train_loss_list:, train_acc_list:, test_acc_list:)
      @current_iter = iteration
      @current_epoch = train_acc_list.size
      @train_loss_list.replace(train_loss_list)
      @train_acc_list.replace(train_acc_list)
      @test_acc_list.replace(test_acc_list)
      self
    end

    # part: helper
    private

    def dropout?
      @network.respond_to?(:use_dropout) && @network.use_dropout
    end

    def evaluate
      @current_epoch += 1
      train_acc = @network.accuracy(*head(@x_train, @t_train))
      test_acc = @network.accuracy(*head(@x_test, @t_test))
      @train_acc_list << train_acc
      @test_acc_list << test_acc
      puts "=== epoch:#{@current_epoch}, train acc:#{train_acc}, test acc:#{test_acc} ===" if @verbose
    end

    # The first evaluate_sample_num_per_epoch rows of x and t (all of them when nil or more)
    def head(x, t)
      n = [@evaluate_sample_num_per_epoch || t.size, t.size].min
      [Arrays.rows(x, 0...n), t[0...n]]
    end
  end
  # endregion
end
