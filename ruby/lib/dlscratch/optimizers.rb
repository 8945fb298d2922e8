# frozen_string_literal: true

require_relative 'arrays'

module DLScratch
  # The book's common/optimizer.py. Each +update(params, grads)+ changes the NArrays of
  # +params+ in place (+NArray#sbt!+, +#add!+), never rebinding the hash entries: a network's
  # layers hold the same NArray objects, as the book's layers hold the same ndarrays, so an
  # in-place update is what makes the next forward pass use the new weights.
  module Optimizers
    # A zero NArray of each parameter's shape: the starting state (v, h, m) of the
    # stateful optimizers.
    # @param params [Hash{String=>NArray}]
    # @return [Hash{String=>NArray}]
    def self.zero_state(params)
      params.transform_values { |p| Arrays.zeros_like(p) }
    end

    # Copies of the NArrays of +arrays+ (a state read back must not share storage with its
    # source: the updates change the state in place).
    # @param arrays [Hash{String=>NArray}]
    # @return [Hash{String=>NArray}]
    def self.copy_state(arrays)
      arrays.transform_values(&:dup)
    end

    # region: sgd
    # p ← p − lr·g
    class SGD
      # part: init

      # @param lr [Float] learning rate
      def initialize(lr: 0.01)
        @lr = lr
      end

      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        params.each_key { |key| params[key].sbt!(@lr * grads[key]) }
      end

      # part: state

      # What the update keeps between steps (README §8's checkpoint): nothing.
      # @return [Hash] {}
      def state
        {}
      end

      # Restores {#state}: there is none.
      # @param _state [Hash] {}
      # @return [void]
      def state=(_state); end
    end
    # endregion

    # region: momentum
    # v ← momentum·v − lr·g;  p ← p + v   (v starts at zeros)
    class Momentum
      # part: init

      # @param lr [Float] learning rate
      # @param momentum [Float] in [0, 1]
      def initialize(lr: 0.01, momentum: 0.9)
        @lr = lr
        @momentum = momentum
        @v = nil
      end

      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        @v ||= Optimizers.zero_state(params)
        params.each_key do |key|
          @v[key] = (@momentum * @v[key]) - (@lr * grads[key])
          params[key].add!(@v[key])
        end
      end

      # part: state

      # What the update keeps between steps (README §8's checkpoint), after at least one update.
      # @return [Hash{String=>Hash{String=>NArray}}] {"v" => the velocities}; Nesterov's too
      def state
        { 'v' => @v }
      end

      # Restores {#state}, so that the next update is the one that would have followed it.
      # @param state [Hash{String=>Hash{String=>NArray}}] {"v" => ...} of the params' keys and shapes
      # @return [void]
      def state=(state)
        @v = Optimizers.copy_state(state.fetch('v'))
      end
    end
    # endregion

    # region: nesterov
    # Nesterov's accelerated gradient (Sutskever et al. 2013), the book's form as fixed on
    # 2021-01-18: the parameters move with the previous v, then v is updated:
    #   p ← p + momentum²·v;  p ← p − (1 + momentum)·lr·g;  v ← momentum·v;  v ← v − lr·g
    class Nesterov < Momentum
      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        @v ||= Optimizers.zero_state(params)
        params.each_key do |key|
          v = @v[key]
          params[key].add!(@momentum * @momentum * v)
          params[key].sbt!((1 + @momentum) * @lr * grads[key])
          v.mul!(@momentum)
          v.sbt!(@lr * grads[key])
        end
      end
    end
    # endregion

    # region: adagrad
    # h ← h + g·g;  p ← p − lr·g / (√h + 1e-7)
    class AdaGrad
      # part: init

      # @param lr [Float] learning rate
      def initialize(lr: 0.01)
        @lr = lr
        @h = nil
      end

      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        @h ||= Optimizers.zero_state(params)
        params.each_key do |key|
          g = grads[key]
          @h[key].add!(g * g)
          params[key].sbt!(@lr * g / (NMath.sqrt(@h[key]) + 1e-7))
        end
      end

      # part: state

      # What the update keeps between steps (README §8's checkpoint), after at least one update.
      # @return [Hash{String=>Hash{String=>NArray}}] {"h" => the accumulated squares}; RMSprop's too
      def state
        { 'h' => @h }
      end

      # Restores {#state}, so that the next update is the one that would have followed it.
      # @param state [Hash{String=>Hash{String=>NArray}}] {"h" => ...} of the params' keys and shapes
      # @return [void]
      def state=(state)
        @h = Optimizers.copy_state(state.fetch('h'))
      end
    end
    # endregion

    # region: rmsprop
    # h ← decay_rate·h + (1 − decay_rate)·g·g;  p ← p − lr·g / (√h + 1e-7)
    class RMSprop < AdaGrad
      # part: init

      # @param lr [Float] learning rate
      # @param decay_rate [Float] of the squared-gradient average
      def initialize(lr: 0.01, decay_rate: 0.99)
        super(lr: lr)
        @decay_rate = decay_rate
      end

      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        @h ||= Optimizers.zero_state(params)
        params.each_key do |key|
          g = grads[key]
          @h[key].mul!(@decay_rate)
          @h[key].add!((1 - @decay_rate) * g * g)
          params[key].sbt!(@lr * g / (NMath.sqrt(@h[key]) + 1e-7))
        end
      end
    end
    # endregion

    # region: adam
    # Adam (Kingma & Ba 2015), the book's form with the bias correction folded into lr:
    #   t ← t + 1;  lr_t = lr·√(1 − β2ᵗ) / (1 − β1ᵗ)
    #   m ← m + (1 − β1)·(g − m);  v ← v + (1 − β2)·(g² − v);  p ← p − lr_t·m / (√v + 1e-7)
    class Adam
      # part: init

      # @param lr [Float] learning rate
      # @param beta1 [Float] decay of the first moment
      # @param beta2 [Float] decay of the second moment
      def initialize(lr: 0.001, beta1: 0.9, beta2: 0.999)
        @lr = lr
        @beta1 = beta1
        @beta2 = beta2
        @iter = 0
        @m = nil
        @v = nil
      end

      # part: update

      # Updates +params+ in place.
      # @param params [Hash{String=>NArray}]
      # @param grads [Hash{String=>NArray}] the same keys and shapes
      # @return [void]
      def update(params, grads)
        @m ||= Optimizers.zero_state(params)
        @v ||= Optimizers.zero_state(params)
        @iter += 1
        lr_t = @lr * Math.sqrt(1.0 - (@beta2**@iter)) / (1.0 - (@beta1**@iter))
        params.each_key do |key|
          g = grads[key]
          @m[key].add!((1 - @beta1) * (g - @m[key]))
          @v[key].add!((1 - @beta2) * ((g * g) - @v[key]))
          params[key].sbt!(lr_t * @m[key] / (NMath.sqrt(@v[key]) + 1e-7))
        end
      end

      # part: state

      # What the update keeps between steps (README §8's checkpoint), after at least one update.
      # @return [Hash{String=>Object}] {"iter" => t, the updates so far; "m", "v" => the moments}
      def state
        { 'iter' => @iter, 'm' => @m, 'v' => @v }
      end

      # Restores {#state}, so that the next update is the one that would have followed it.
      # @param state [Hash{String=>Object}] {"iter" => Integer, "m", "v" => arrays of the params'
      #   keys and shapes}
      # @return [void]
      def state=(state)
        @iter = Integer(state.fetch('iter'))
        @m = Optimizers.copy_state(state.fetch('m'))
        @v = Optimizers.copy_state(state.fetch('v'))
      end
    end
    # endregion

    # name => [class, the hyper-parameters it takes]
    REGISTRY = {
      'sgd' => [SGD, %i[lr]],
      'momentum' => [Momentum, %i[lr momentum]],
      'nesterov' => [Nesterov, %i[lr momentum]],
      'adagrad' => [AdaGrad, %i[lr]],
      'rmsprop' => [RMSprop, %i[lr decay_rate]],
      'adam' => [Adam, %i[lr beta1 beta2]]
    }.freeze

    # The keys of each optimizer's {SGD#state} (README §8): "iter" a count, the others arrays of
    # the params' keys and shapes.
    STATE_KEYS = { 'sgd' => [], 'momentum' => %w[v], 'nesterov' => %w[v], 'adagrad' => %w[h], 'rmsprop' => %w[h],
                   'adam' => %w[iter m v] }.freeze

    module_function

    # An optimizer by name, in any case (the book's trainer.py lower-cases it);
    # hyper-parameters it does not take are ignored, missing ones take the book's defaults.
    # @param name [String] a key of {REGISTRY}: "sgd", "Adam", ...
    # @param hyper [Hash{Symbol=>Float}]
    # @return [SGD, Momentum, Nesterov, AdaGrad, RMSprop, Adam]
    # @raise [KeyError] for an unknown name
    def build(name, hyper = {})
      klass, keys = REGISTRY.fetch(name.to_s.downcase)
      klass.new(**hyper.slice(*keys))
    end
  end
end
