# frozen_string_literal: true

require_relative 'arrays'
require_relative 'functions'
require_relative 'gradient'
require_relative 'layers'
require_relative 'rng'
require_relative 'util'

module DLScratch
  # region: net3
  # The 3-layer network of book 3.4.3 with the book's fixed weights.
  module Net3
    module_function

    # @return [Hash{String=>NArray}] W1, b1, W2, b2, W3, b3
    def init_network
      {
        'W1' => Arrays.from_rows([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        'b1' => Arrays.from_rows([0.1, 0.2, 0.3]),
        'W2' => Arrays.from_rows([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        'b2' => Arrays.from_rows([0.1, 0.2]),
        'W3' => Arrays.from_rows([[0.1, 0.3], [0.2, 0.4]]),
        'b3' => Arrays.from_rows([0.1, 0.2])
      }
    end

    # a1 = x·W1 + b1, z1 = σ(a1), a2 = z1·W2 + b2, z2 = σ(a2), a3 = z2·W3 + b3,
    # y = identity(a3) (or softmax(a3)). x is 1-D or 2-D.
    # @param network [Hash{String=>NArray}] as {init_network} gives it
    # @param x [NArray] 2 values, or N×2
    # @param output [String] "identity" or "softmax"
    # @return [Hash{Symbol=>NArray}] a1, z1, a2, z2, a3, y
    def forward_trace(network, x, output: 'identity')
      a1 = Arrays.dot(x, network['W1']) + network['b1']
      z1 = Functions.sigmoid(a1)
      a2 = Arrays.dot(z1, network['W2']) + network['b2']
      z2 = Functions.sigmoid(a2)
      a3 = Arrays.dot(z2, network['W3']) + network['b3']
      y = output == 'softmax' ? Functions.softmax(a3) : Functions.identity(a3)
      { a1: a1, z1: z1, a2: a2, z2: z2, a3: a3, y: y }
    end

    # y of the 3-layer network (book 3.4.3: [0.31682708, 0.69627909] for x = [1.0, 0.5]).
    # @param network [Hash{String=>NArray}] as {init_network} gives it
    # @param x [NArray] 2 values, or N×2
    # @param output [String] "identity" or "softmax"
    # @return [NArray] y
    def forward(network, x, output: 'identity')
      forward_trace(network, x, output: output)[:y]
    end
  end
  # endregion

  # region: simple_net
  # The one-layer network of book 4.4.2: predict = x·W, loss = CEE(softmax(x·W), t).
  class SimpleNet
    # @return [NArray] the weights
    attr_reader :W

    # part: init

    # @param w [NArray] the weights (2×3 in the book), held by reference
    def initialize(w)
      @W = w
    end

    # part: predict

    # @param x [NArray] one sample or N×D
    # @return [NArray] x·W
    def predict(x)
      Arrays.dot(x, @W)
    end

    # part: loss

    # @param x [NArray] one sample or N×D
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [Float] cross_entropy_error(softmax(x·W), t)
    def loss(x, t)
      Functions.cross_entropy_error(Functions.softmax(predict(x)), t)
    end

    # part: numerical_gradient

    # ∂loss/∂W by central differences (W is perturbed in place and restored).
    # @param x [NArray] one sample or N×D
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [NArray] of W's shape
    def numerical_gradient(x, t)
      Gradient.numerical_gradient(@W) { loss(x, t) }
    end
  end
  # endregion

  # region: multi_layer_net
  # region: two_layer_net
  # Shared by TwoLayerNet and MultiLayerNet: layers in order, then SoftmaxWithLoss.
  module LayeredNet
    # @return [Hash{String=>NArray}] W1, b1, W2, b2, ... (the layers hold the same NArrays)
    attr_reader :params
    # @return [Hash{String=>Layers::Layer}] the layers in order, before the last one
    attr_reader :layers
    # @return [Layers::SoftmaxWithLoss]
    attr_reader :last_layer

    # part: predict

    # The scores of the last Affine layer (no softmax).
    # @param x [NArray] N×D inputs (D values for one sample)
    # @return [NArray] N×C scores
    def predict(x)
      @layers.each_value.inject(x) { |h, layer| layer.forward(h) }
    end

    # part: accuracy

    # Mean of argmax(y) == t over the rows of a 2-D x (t labels or one-hot), predicting
    # +batch_size+ rows at a time (the same count as one predict of all of x: each row's
    # scores depend on that row only).
    # @param x [NArray] N×D inputs
    # @param t [NArray, Array] N labels or N×C one-hot targets
    # @param batch_size [Integer, nil] rows per predict (nil: all at once, as the book)
    # @return [Float] in 0..1
    def accuracy(x, t, batch_size: nil)
      n = Arrays.shape(x)[0]
      return correct(x, t) / n.to_f if batch_size.nil? || batch_size >= n

      t = NArray.to_na(t) if t.is_a?(Array)
      leading = [true] * (x.dim - 1) # the samples are NArray's last axis, whatever the image's rank
      hits = (0...n).step(batch_size).sum do |i|
        rows = i...[i + batch_size, n].min
        correct(x[*leading, rows], t.dim == 1 ? t[rows] : t[true, rows])
      end
      hits / n.to_f
    end

    # part: numerical_gradient

    # ∂loss/∂p by central differences for every parameter, in the order of params.
    # @param x [NArray] N×D inputs (D values for one sample)
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [Hash{String=>NArray}] one gradient per parameter
    def numerical_gradient(x, t)
      @params.keys.to_h do |key|
        [key, Gradient.numerical_gradient(@params[key]) { loss(x, t) }]
      end
    end

    # part: gradient

    # Backpropagation as the book's +gradient+: forward for the loss, then every layer's
    # backward from dout = 1 (the first Affine's dx = dout·W1ᵀ included).
    # @param x [NArray] N×D inputs (D values for one sample)
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [Hash{String=>NArray}] one gradient per parameter
    def gradient(x, t)
      loss(x, t)
      backprop
    end

    # part: helper
    private

    # Every layer's backward from dout = 1, after the forward pass of a loss.
    def backprop
      dout = @last_layer.backward(1.0)
      @layers.values.reverse_each { |layer| dout = layer.backward(dout) }
      collect_grads
    end

    # How many rows of x the network labels as t does.
    def correct(x, t)
      y = predict(x)
      Arrays.argmax_rows(y).eq(Functions.labels_for(y, t)).count_true
    end
  end
  # endregion
  # endregion

  # region: two_layer_net
  # The chapter-5 two-layer network: Affine1 → ReLU → Affine2 → SoftmaxWithLoss.
  class TwoLayerNet
    include LayeredNet

    # part: init

    # W1 = std·randn(input, hidden), then W2 = std·randn(hidden, output), from one
    # generator; b1, b2 zeros. Or pass +params+ to use given weights (held by reference).
    # @param input_size [Integer]
    # @param hidden_size [Integer]
    # @param output_size [Integer]
    # @param weight_init_std [Float]
    # @param rng [Rng, nil] the generator to draw from (nil: a new one seeded with +seed+)
    # @param seed [Integer]
    # @param params [Hash{String=>NArray}, nil] W1, b1, W2, b2 to use instead
    def initialize(input_size, hidden_size, output_size, weight_init_std: 0.01, rng: nil, seed: 0,
                   params: nil)
      if params
        @params = params
      else
        rng ||= Rng.new(seed)
        @params = {}
        @params['W1'] = weight_init_std * rng.randn(input_size, hidden_size)
        @params['b1'] = Arrays.zeros(hidden_size)
        @params['W2'] = weight_init_std * rng.randn(hidden_size, output_size)
        @params['b2'] = Arrays.zeros(output_size)
      end
      @layers = {
        'Affine1' => Layers::Affine.new(@params['W1'], @params['b1']),
        'Relu1' => Layers::Relu.new,
        'Affine2' => Layers::Affine.new(@params['W2'], @params['b2'])
      }
      @last_layer = Layers::SoftmaxWithLoss.new
    end

    # part: loss

    # The cross-entropy loss of softmax(predict(x)) against t.
    # @param x [NArray] N×D inputs (D values for one sample)
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [Float]
    def loss(x, t)
      @last_layer.forward(predict(x), t)
    end

    # part: helper
    private

    def collect_grads
      { 'W1' => @layers['Affine1'].dW, 'b1' => @layers['Affine1'].db,
        'W2' => @layers['Affine2'].dW, 'b2' => @layers['Affine2'].db }
    end
  end
  # endregion

  # region: multi_layer_net
  # The book's common/multi_layer_net.py: (Affine, activation) per hidden layer, a last
  # Affine, SoftmaxWithLoss, and L2 weight decay:
  #   loss = data loss + Σ_i ½·λ·Σ W_i²,   ∂loss/∂W_i = backprop dW_i + λ·W_i.
  class MultiLayerNet
    include LayeredNet

    ACTIVATIONS = { 'relu' => Layers::Relu, 'sigmoid' => Layers::Sigmoid }.freeze

    # Scale of W_i's initial values: a number, "he"/"relu" = √(2/n_in) or
    # "xavier"/"sigmoid" = √(1/n_in), the names in any case (the book's str(w).lower()).
    # @param weight_init_std [Numeric, String]
    # @param n_in [Integer] the layer's inputs
    # @return [Float]
    # @raise [ArgumentError] for another name
    def self.init_scale(weight_init_std, n_in)
      case weight_init_std.is_a?(String) ? weight_init_std.downcase : weight_init_std
      when Numeric then weight_init_std.to_f
      when 'relu', 'he' then Math.sqrt(2.0 / n_in)
      when 'sigmoid', 'xavier' then Math.sqrt(1.0 / n_in)
      else raise ArgumentError, "weight_init_std #{weight_init_std.inspect} is not a number, he/relu or xavier/sigmoid"
      end
    end

    # part: init

    # W_i = scale_i·randn(n_in, n_out) in order W1, W2, ... from one generator, b_i zeros; or
    # the given +params+ (held by reference).
    # @param input_size [Integer]
    # @param hidden_size_list [Array<Integer>] possibly empty (one Affine layer)
    # @param output_size [Integer]
    # @param activation [String] "relu" or "sigmoid", as written
    # @param weight_init_std [Numeric, String] see {init_scale}
    # @param weight_decay_lambda [Float] λ
    # @param seed [Integer]
    # @param rng [Rng, nil] the generator to draw from (nil: a new one seeded with +seed+)
    # @param params [Hash{String=>NArray}, nil] W1, b1, ... to use instead
    # @raise [KeyError] for an unknown activation
    def initialize(input_size, hidden_size_list, output_size, activation: 'relu',
                   weight_init_std: 'relu', weight_decay_lambda: 0.0, seed: 0, rng: nil, params: nil)
      act = ACTIVATIONS.fetch(activation)
      sizes = [input_size, *hidden_size_list, output_size]
      @n_affine = sizes.size - 1
      @weight_decay_lambda = weight_decay_lambda
      if params
        @params = params
      else
        rng ||= Rng.new(seed)
        @params = {}
        (1..@n_affine).each do |i|
          scale = self.class.init_scale(weight_init_std, sizes[i - 1])
          @params["W#{i}"] = scale * rng.randn(sizes[i - 1], sizes[i])
          @params["b#{i}"] = Arrays.zeros(sizes[i])
        end
      end
      @layers = {}
      (1..@n_affine).each do |i|
        @layers["Affine#{i}"] = Layers::Affine.new(@params["W#{i}"], @params["b#{i}"])
        @layers.update(hidden_layers(i, act)) if i < @n_affine
      end
      @last_layer = Layers::SoftmaxWithLoss.new
    end

    # part: loss

    # Data loss plus Σ_i ½·λ·Σ W_i².
    # @param x [NArray] N×D inputs (D values for one sample)
    # @param t [NArray, Array, Integer] labels or one-hot targets
    # @return [Float]
    def loss(x, t)
      @last_layer.forward(predict(x), t) + weight_decay
    end

    private

    # Σ_i ½·λ·Σ W_i², added layer by layer in order (as the book's loop).
    def weight_decay
      decay = 0.0
      (1..@n_affine).each do |i|
        w = @params["W#{i}"]
        decay += 0.5 * @weight_decay_lambda * Arrays.pairwise_sum(w * w)
      end
      decay
    end

    # part: layers

    # The layers after the hidden Affine{i}: its activation.
    def hidden_layers(i, act)
      { "Activation_function#{i}" => act.new }
    end

    # part: gradient

    # W_i: backprop dW_i + λ·W_i; b_i: backprop db_i.
    def collect_grads
      (1..@n_affine).each_with_object({}) do |i, grads|
        affine = @layers["Affine#{i}"]
        grads["W#{i}"] = affine.dW + (@weight_decay_lambda * affine.W)
        grads["b#{i}"] = affine.db
      end
    end
  end
  # endregion

  # region: multi_layer_net_extend
  # The book's common/multi_layer_net_extend.py: MultiLayerNet with Dropout and batch
  # normalisation. Each hidden layer is Affine → [BatchNorm] → activation → [Dropout], then a
  # last Affine and SoftmaxWithLoss; the loss and dW_i carry MultiLayerNet's weight decay.
  # Weights as MultiLayerNet's (the same draws from the same seed); with batch norm γ_i = 1 and
  # β_i = 0 for every hidden layer.
  #
  # Modes: predict and loss run in test mode unless +train_flg: true+ (the book's defaults);
  # accuracy is a test-mode pass, gradient and numerical_gradient differentiate the
  # training-mode loss. A training-mode pass draws the masks of its Dropout layers, in forward
  # order, from one generator seeded with {#dropout_seed}: every pass sees the same masks, so the
  # numerical gradient differentiates one fixed network.
  class MultiLayerNetExtend < MultiLayerNet
    # @return [Boolean] whether the hidden layers have Dropout / BatchNorm
    attr_reader :use_dropout, :use_batchnorm
    # @return [Integer] the seed of the masks of every training-mode pass
    attr_accessor :dropout_seed

    # part: init

    # W_i, b_i as {MultiLayerNet#initialize} draws them, then with batch norm gamma{i} = ones
    # and beta{i} = zeros of S_i for the hidden layers; or the given +params+ (by reference).
    # @param input_size [Integer]
    # @param hidden_size_list [Array<Integer>] possibly empty (one Affine layer)
    # @param output_size [Integer]
    # @param activation [String] "relu" or "sigmoid", as written
    # @param weight_init_std [Numeric, String] see {MultiLayerNet.init_scale}
    # @param weight_decay_lambda [Float] λ
    # @param use_dropout [Boolean] a Dropout layer after every hidden activation
    # @param dropout_ration [Float] its ratio in [0, 1) (the book's spelling)
    # @param use_batchnorm [Boolean] a BatchNormalization layer after every hidden Affine
    # @param seed [Integer]
    # @param rng [Rng, nil] the generator of the weights (nil: a new one seeded with +seed+)
    # @param params [Hash{String=>NArray}, nil] W1, b1, ..., gamma1, beta1, ... to use instead
    # @param dropout_seed [Integer] see {#dropout_seed}
    # @raise [KeyError] for an unknown activation
    def initialize(input_size, hidden_size_list, output_size, activation: 'relu', weight_init_std: 'relu',
                   weight_decay_lambda: 0.0, use_dropout: false, dropout_ration: 0.5, use_batchnorm: false,
                   seed: 0, rng: nil, params: nil, dropout_seed: 0)
      unless params
        params = MultiLayerNet.new(input_size, hidden_size_list, output_size, weight_init_std: weight_init_std,
                                                                            seed: seed, rng: rng).params
        if use_batchnorm
          hidden_size_list.each.with_index(1) do |size, i|
            params["gamma#{i}"] = Arrays.zeros(size).fill!(1.0)
            params["beta#{i}"] = Arrays.zeros(size)
          end
        end
      end
      @use_dropout = use_dropout
      @dropout_ration = dropout_ration
      @use_batchnorm = use_batchnorm
      @dropout_seed = dropout_seed
      super(input_size, hidden_size_list, output_size, activation: activation,
                                                       weight_decay_lambda: weight_decay_lambda, params: params)
    end

    # part: state

    # @return [Hash{String=>NArray}] running_mean{i}, running_var{i} of every BatchNorm layer
    #   ({} without batch norm; nil values before the first pass)
    def running_stats
      batch_norms.each_with_object({}) do |(i, bn), stats|
        stats["running_mean#{i}"] = bn.running_mean
        stats["running_var#{i}"] = bn.running_var
      end
    end

    # Sets the running statistics every BatchNorm layer starts from.
    # @param stats [Hash{String=>NArray}] running_mean{i}, running_var{i} for every one
    def running_stats=(stats)
      batch_norms.each do |i, bn|
        bn.running_mean = stats["running_mean#{i}"]
        bn.running_var = stats["running_var#{i}"]
      end
    end

    # part: predict

    # The scores of the last Affine layer.
    # @param x [NArray] N×D inputs
    # @param train_flg [Boolean] training mode (batch statistics, the masks of {#dropout_seed})
    #   or test mode (running statistics, activations scaled by 1 − ratio)
    # @return [NArray] N×C scores
    def predict(x, train_flg: false)
      masks = Rng.new(@dropout_seed) if @use_dropout && train_flg
      @layers.each_value.inject(x) do |h, layer|
        case layer
        when Layers::Dropout
          layer.rng = masks
          layer.forward(h, train_flg: train_flg)
        when Layers::BatchNormalization then layer.forward(h, train_flg: train_flg)
        else layer.forward(h)
        end
      end
    end

    # part: loss

    # Data loss plus Σ_i ½·λ·Σ W_i².
    # @param x [NArray] N×D inputs
    # @param t [NArray, Array] N labels or N×C one-hot targets
    # @param train_flg [Boolean] the mode of the pass (see {#predict})
    # @return [Float]
    def loss(x, t, train_flg: false)
      @last_layer.forward(predict(x, train_flg: train_flg), t) + weight_decay
    end

    # part: numerical_gradient

    # ∂loss/∂p of the training-mode loss by central differences, in the book's order W1, b1,
    # gamma1, beta1, W2, ...
    # @param x [NArray] N×D inputs
    # @param t [NArray, Array] N labels or N×C one-hot targets
    # @return [Hash{String=>NArray}] one gradient per parameter
    def numerical_gradient(x, t)
      keys = (1..@n_affine).flat_map { |i| @use_batchnorm && i < @n_affine ? %W[W#{i} b#{i} gamma#{i} beta#{i}] : %W[W#{i} b#{i}] }
      keys.to_h { |key| [key, Gradient.numerical_gradient(@params[key]) { loss(x, t, train_flg: true) }] }
    end

    # part: gradient

    # Backpropagation through a training-mode pass; dW_i = backprop dW_i + λ·W_i.
    # @param x [NArray] N×D inputs
    # @param t [NArray, Array] N labels or N×C one-hot targets
    # @return [Hash{String=>NArray}] one gradient per parameter
    def gradient(x, t)
      loss(x, t, train_flg: true)
      backprop
    end

    # part: layers
    private

    # The layers after the hidden Affine{i}: BatchNorm{i}, the activation, Dropout{i} (its
    # generator set by each training-mode pass).
    def hidden_layers(i, act)
      layers = {}
      layers["BatchNorm#{i}"] = Layers::BatchNormalization.new(@params["gamma#{i}"], @params["beta#{i}"]) if @use_batchnorm
      layers["Activation_function#{i}"] = act.new
      layers["Dropout#{i}"] = Layers::Dropout.new(@dropout_ration, rng: nil) if @use_dropout
      layers
    end

    # part: helper

    # [i, BatchNorm{i}] for every hidden layer with batch norm
    def batch_norms
      @layers.filter_map { |name, layer| [name[/\d+\z/].to_i, layer] if layer.is_a?(Layers::BatchNormalization) }
    end

    def collect_grads
      grads = super
      batch_norms.each do |i, bn|
        grads["gamma#{i}"] = bn.dgamma
        grads["beta#{i}"] = bn.dbeta
      end
      grads
    end
  end
  # endregion

  # --- chapter 7 -----------------------------------------------------------------------------

  # region: simple_conv_net
  # The book's ch07/simple_convnet.py (7.5): Convolution → ReLU → Pooling(2 × 2, stride 2) →
  # Affine → ReLU → Affine → SoftmaxWithLoss.
  #
  # W1 = std·randn(FN, C, FS, FS), W2 = std·randn(FN·PH·PW, hidden), W3 = std·randn(hidden,
  # output) from one generator, zero biases; PH × PW is the pooled size, (conv output) // 2 on
  # each side (the book's count from IH alone is that only for a square input with an even
  # conv output).
  class SimpleConvNet
    include LayeredNet

    # The book's conv_param: 30 filters of 5 × 5, no padding, stride 1.
    CONV_PARAM = { filter_num: 30, filter_size: 5, pad: 0, stride: 1 }.freeze
    # {#accuracy} predicts this many samples at a time.
    ACCURACY_BATCH = 100

    # @return [Array<Integer>] C, IH, IW of the input
    attr_reader :input_dim

    # part: init

    # @param input_dim [Array<Integer>] C, IH, IW
    # @param conv_param [Hash{Symbol=>Integer}] filter_num, filter_size, pad, stride (a key
    #   left out takes {CONV_PARAM}'s)
    # @param hidden_size [Integer]
    # @param output_size [Integer]
    # @param weight_init_std [Float]
    # @param rng [Rng, nil] the generator of the weights (nil: a new one seeded with +seed+)
    # @param seed [Integer]
    # @param params [Hash{String=>NArray}, nil] W1, b1, W2, b2, W3, b3 to use instead (held by reference)
    def initialize(input_dim: [1, 28, 28], conv_param: {}, hidden_size: 100, output_size: 10, weight_init_std: 0.01,
                   rng: nil, seed: 0, params: nil)
      conv = CONV_PARAM.merge(conv_param)
      fn, fs, pad, stride = conv.values_at(:filter_num, :filter_size, :pad, :stride)
      @input_dim = input_dim
      c, h, w = input_dim
      pooled = fn * (Util.conv_output_size(h, fs, stride, pad) / 2) * (Util.conv_output_size(w, fs, stride, pad) / 2)
      unless params
        rng ||= Rng.new(seed)
        params = {}
        params['W1'] = weight_init_std * rng.randn(fn, c, fs, fs)
        params['b1'] = Arrays.zeros(fn)
        params['W2'] = weight_init_std * rng.randn(pooled, hidden_size)
        params['b2'] = Arrays.zeros(hidden_size)
        params['W3'] = weight_init_std * rng.randn(hidden_size, output_size)
        params['b3'] = Arrays.zeros(output_size)
      end
      @params = params
      @layers = {
        'Conv1' => Layers::Convolution.new(params['W1'], params['b1'], stride, pad),
        'Relu1' => Layers::Relu.new,
        'Pool1' => Layers::Pooling.new(2, 2, 2),
        'Affine1' => Layers::Affine.new(params['W2'], params['b2']),
        'Relu2' => Layers::Relu.new,
        'Affine2' => Layers::Affine.new(params['W3'], params['b3'])
      }
      @last_layer = Layers::SoftmaxWithLoss.new
    end

    # part: loss

    # The cross-entropy loss of softmax(predict(x)) against t.
    # @param x [NArray] N×C×IH×IW
    # @param t [NArray] N labels or N×output one-hot targets
    # @return [Float]
    def loss(x, t)
      @last_layer.forward(predict(x), t)
    end

    # part: accuracy

    # The fraction of all samples whose argmax is t, predicted +batch_size+ at a time, a last
    # partial batch included (the book's loop leaves it out but still divides by every sample).
    # @param x [NArray] N×C×IH×IW
    # @param t [NArray, Array] N labels or N×output one-hot targets
    # @param batch_size [Integer]
    # @return [Float] in 0..1
    def accuracy(x, t, batch_size: ACCURACY_BATCH)
      super
    end

    # part: helper
    private

    def collect_grads
      %w[Conv1 Affine1 Affine2].each.with_index(1).each_with_object({}) do |(name, i), grads|
        grads["W#{i}"] = @layers[name].dW
        grads["b#{i}"] = @layers[name].db
      end
    end
  end
  # endregion

  # --- chapter 8 -----------------------------------------------------------------------------

  # region: deep_conv_net
  # The book's ch08/deep_convnet.py (8.1): (Convolution → ReLU → Convolution → ReLU →
  # Pooling(2 × 2, stride 2)) three times, with 16, 16, 32, 32, 64, 64 filters of 3 × 3, then
  # Affine → ReLU → Dropout(0.5) → Affine → Dropout(0.5) → SoftmaxWithLoss.
  #
  # W_i = sqrt(2/n_i)·randn (He) drawn W1 … W8 in order from one generator, n_i the inputs of
  # one unit: C·9, 16·9, 16·9, 32·9, 32·9, 64·9, 64·PH·PW, hidden_size; zero biases. Both masks
  # of a training-mode pass come from one generator seeded with {#dropout_seed} (the N × hidden
  # mask first, then the N × output one), as {MultiLayerNetExtend}'s.
  class DeepConvNet
    include LayeredNet

    # The six convolutions: [filter_num, pad], each 3 × 3 of stride 1.
    CONVS = [[16, 1], [16, 1], [32, 1], [32, 2], [64, 1], [64, 1]].freeze
    # A pooling follows these convolutions (1-based).
    POOL_AFTER = [2, 4, 6].freeze
    # The ratio of both Dropout layers.
    DROPOUT_RATIO = 0.5
    # {#accuracy} predicts this many samples at a time.
    ACCURACY_BATCH = 100

    # The image's size after each convolution (s + 2·pad − 2) and each pooling (s // 2), in order.
    # @param height [Integer]
    # @param width [Integer]
    # @return [Array<Array(Integer, Integer)>] nine sizes, the last the pooled PH, PW
    def self.sizes(height, width)
      CONVS.each.with_index(1).each_with_object([]) do |((_, pad), i), out|
        height, width = height + (2 * pad) - 2, width + (2 * pad) - 2
        out << [height, width]
        out << [height /= 2, width /= 2] if POOL_AFTER.include?(i)
      end
    end

    # @return [Array<Integer>] C, IH, IW of the input
    attr_reader :input_dim
    # @return [Boolean] true: the Trainer draws a mask seed for every step
    attr_reader :use_dropout
    # @return [Integer] the seed of the generator of a training-mode pass's masks
    attr_accessor :dropout_seed

    # part: init

    # @param input_dim [Array<Integer>] C, IH, IW
    # @param hidden_size [Integer]
    # @param output_size [Integer]
    # @param rng [Rng, nil] the generator of the weights (nil: a new one seeded with +seed+)
    # @param seed [Integer]
    # @param params [Hash{String=>NArray}, nil] W1, b1, …, W8, b8 to use instead (held by reference)
    # @param dropout_seed [Integer] see {#dropout_seed}
    def initialize(input_dim: [1, 28, 28], hidden_size: 50, output_size: 10, rng: nil, seed: 0, params: nil, dropout_seed: 0)
      @input_dim = input_dim
      @use_dropout = true
      @dropout_seed = dropout_seed
      @params = params || draw(input_dim, hidden_size, output_size, rng || Rng.new(seed))
      @layers = {}
      CONVS.each.with_index(1) do |(_, pad), i|
        @layers["Conv#{i}"] = Layers::Convolution.new(@params["W#{i}"], @params["b#{i}"], 1, pad)
        @layers["Relu#{i}"] = Layers::Relu.new
        @layers["Pool#{i / 2}"] = Layers::Pooling.new(2, 2, 2) if POOL_AFTER.include?(i)
      end
      @layers['Affine1'] = Layers::Affine.new(@params['W7'], @params['b7'])
      @layers['Relu7'] = Layers::Relu.new
      @layers['Dropout1'] = Layers::Dropout.new(DROPOUT_RATIO, rng: nil)
      @layers['Affine2'] = Layers::Affine.new(@params['W8'], @params['b8'])
      @layers['Dropout2'] = Layers::Dropout.new(DROPOUT_RATIO, rng: nil)
      @last_layer = Layers::SoftmaxWithLoss.new
    end

    # part: predict

    # The scores before the softmax.
    # @param x [NArray] N×C×IH×IW
    # @param train_flg [Boolean] training mode (the masks of {#dropout_seed}) or test mode (each
    #   Dropout multiplies by 1 − 0.5)
    # @return [NArray] N×output scores
    def predict(x, train_flg: false)
      masks = Rng.new(@dropout_seed) if train_flg
      @layers.each_value.inject(x) do |h, layer|
        next layer.forward(h) unless layer.is_a?(Layers::Dropout)

        layer.rng = masks
        layer.forward(h, train_flg: train_flg)
      end
    end

    # part: loss

    # The cross-entropy of softmax(predict(x)) against t; a training-mode pass by default, as
    # the book's loss always is.
    # @param x [NArray] N×C×IH×IW
    # @param t [NArray, Array] N labels or N×output one-hot targets
    # @param train_flg [Boolean] the mode of the pass (see {#predict})
    # @return [Float]
    def loss(x, t, train_flg: true)
      @last_layer.forward(predict(x, train_flg: train_flg), t)
    end

    # part: accuracy

    # The fraction of all samples whose test-mode argmax is t, +batch_size+ at a time.
    # @param x [NArray] N×C×IH×IW
    # @param t [NArray, Array] N labels or N×output one-hot targets
    # @param batch_size [Integer]
    # @return [Float] in 0..1
    def accuracy(x, t, batch_size: ACCURACY_BATCH)
      super
    end

    # part: gradient

    # Backpropagation through a training-mode pass (the masks of {#dropout_seed}).
    # @param x [NArray] N×C×IH×IW
    # @param t [NArray, Array] N labels or N×output one-hot targets
    # @return [Hash{String=>NArray}] W1, b1, …, W8, b8
    def gradient(x, t)
      loss(x, t, train_flg: true)
      backprop
    end

    # part: helper
    private

    # W1 … W8 in order, each sqrt(2/n)·randn(shape), and zero biases
    def draw(input_dim, hidden_size, output_size, rng)
      channels, height, width = input_dim
      ph, pw = self.class.sizes(height, width).last
      shapes = CONVS.map { |filters, _| [filters, channels, 3, 3].tap { channels = filters } }
      shapes += [[channels * ph * pw, hidden_size], [hidden_size, output_size]]
      shapes.each.with_index(1).each_with_object({}) do |(shape, i), params|
        fan_in = shape.size == 4 ? shape[1] * 9 : shape[0]
        params["W#{i}"] = Math.sqrt(2.0 / fan_in) * rng.randn(*shape)
        params["b#{i}"] = Arrays.zeros(shape.size == 4 ? shape[0] : shape[1])
      end
    end

    def collect_grads
      names = (1..6).map { |i| "Conv#{i}" } + %w[Affine1 Affine2]
      names.each.with_index(1).each_with_object({}) do |(name, i), grads|
        grads["W#{i}"] = @layers[name].dW
        grads["b#{i}"] = @layers[name].db
      end
    end
  end
  # endregion

  # The networks a Trainer can train, by the name of their ops: each builds its network from
  # the keyword arguments of that op's init (and rng:, the generator of the weights).
  NETWORKS = {
    'two_layer_net' => lambda { |input_size:, hidden_size:, output_size:, **opts|
      TwoLayerNet.new(input_size, hidden_size, output_size, **opts)
    },
    'multi_layer_net' => lambda { |input_size:, hidden_size_list:, output_size:, **opts|
      MultiLayerNet.new(input_size, hidden_size_list, output_size, **opts)
    },
    'multi_layer_net_extend' => lambda { |input_size:, hidden_size_list:, output_size:, **opts|
      MultiLayerNetExtend.new(input_size, hidden_size_list, output_size, **opts)
    },
    'simple_conv_net' => ->(**opts) { SimpleConvNet.new(**opts) },
    'deep_conv_net' => ->(**opts) { DeepConvNet.new(**opts) }
  }.freeze
end
