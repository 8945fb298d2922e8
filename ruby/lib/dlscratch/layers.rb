# frozen_string_literal: true

require_relative 'arrays'
require_relative 'functions'
require_relative 'rng'
require_relative 'util'

module DLScratch
  # The backpropagation layers of chapters 5 to 7 (the book's common/layers.py).
  # Each keeps what its backward pass needs from its forward pass.
  module Layers
    # What every layer answers: +forward+ computes the output and keeps what the backward
    # pass needs; +backward(dout)+ takes ∂L/∂out and gives ∂L/∂x (parameter gradients are
    # kept on the layer, as +dW+ and +db+ of Affine).
    class Layer
      # @param _x [NArray] the input
      # @return [NArray] the output
      def forward(_x)
        raise NotImplementedError, "#{self.class} has no forward"
      end

      # @param _dout [NArray] ∂L/∂out, of the output's shape
      # @return [NArray] ∂L/∂x, of the input's shape
      def backward(_dout)
        raise NotImplementedError, "#{self.class} has no backward"
      end
    end

    # region: relu_layer
    # ReLU: y = max(0, x); ∂y/∂x = 0 where x <= 0 (0 at exactly 0), 1 elsewhere.
    class Relu < Layer
      # part: forward

      # @param x [NArray] any shape
      # @return [NArray] max(0, x) (the mask x <= 0 kept)
      def forward(x)
        @mask = x.lt(0) | x.eq(0) # NArray#le is true for NaN
        out = x.dup
        out[@mask] = 0.0
        out
      end

      # part: backward

      # @param dout [NArray] of x's shape
      # @return [NArray] dout, 0 where x <= 0
      def backward(dout)
        dx = dout.dup
        dx[@mask] = 0.0
        dx
      end
    end
    # endregion

    # region: sigmoid_layer
    # Sigmoid: y = 1 / (1 + exp(-x)); ∂L/∂x = dout · (1 − y) · y.
    class Sigmoid < Layer
      # part: forward

      # @param x [NArray] any shape
      # @return [NArray] 1 / (1 + exp(-x)) (kept for backward)
      def forward(x)
        @out = Functions.sigmoid(x)
      end

      # part: backward

      # @param dout [NArray] of x's shape
      # @return [NArray] dout · (1 − y) · y
      def backward(dout)
        dout * (1.0 - @out) * @out
      end
    end
    # endregion

    # region: affine
    # Affine: y = x·W + b.
    # Backward: ∂L/∂x = dout·Wᵀ, ∂L/∂W = xᵀ·dout, ∂L/∂b = Σ_rows dout.
    #
    # x of ndim >= 2 is flattened to (N, D) and dx comes back in x's shape. A 1-D x of
    # length D is one sample: y, dout and dx are 1-D, dW = x ⊗ dout, db = dout.
    #
    # W and b are held by reference: an optimizer updating the network's params in place
    # updates the layer too (as in the book, where both share one ndarray).
    class Affine < Layer
      # @return [NArray] the weights (D, M), the bias (M,), and after {#backward} their gradients
      attr_reader :W, :b, :dW, :db

      # part: init

      # @param w [NArray] D×M weights (NArray shape [M, D]), held by reference
      # @param b [NArray] M biases, held by reference
      def initialize(w, b)
        @W = w
        @b = b
      end

      # part: forward

      # @param x [NArray] N×D (or N×… multiplying to D), or one sample of D values
      # @return [NArray] x·W + b, N×M (M values for a 1-D x)
      def forward(x)
        @x_shape = x.shape
        @x = x.dim > 2 ? x.reshape(Arrays.shape(@W)[0], Arrays.shape(x)[0]) : x
        out = Arrays.dot(@x, @W)
        out + (@x.dim == 1 ? @b : @b.newdim(1))
      end

      # part: backward

      # Sets {#dW} = xᵀ·dout and {#db} = Σ_rows dout.
      # @param dout [NArray] of the output's shape
      # @return [NArray] dout·Wᵀ in x's shape
      def backward(dout)
        if @x.dim == 1
          @dW = Arrays.dot(@x.reshape(1, @x.size), dout.reshape(dout.size, 1))
          @db = dout.dup
          Arrays.dot(dout, Arrays.t(@W)).reshape(*@x_shape)
        else
          @dW = Arrays.dot_tn(@x, dout)
          @db = Arrays.sum_rows(dout)
          Arrays.dot_nt(dout, @W).reshape(*@x_shape)
        end
      end
    end
    # endregion

    # region: softmax_with_loss
    # Softmax followed by the cross-entropy error.
    # Backward (dout is ignored, as in the book): ∂L/∂x = (y − onehot(t)) / N.
    class SoftmaxWithLoss < Layer
      # @return [Float] the loss of the last {#forward}
      attr_reader :loss
      # @return [NArray] softmax(x) of the last {#forward}
      attr_reader :y

      # part: forward

      # @param x [NArray] N×C scores (C for one sample)
      # @param t [NArray, Array, Integer] labels or one-hot targets
      # @return [Float] cross_entropy_error(softmax(x), t)
      def forward(x, t)
        @t = t
        @y = Functions.softmax(x)
        @loss = Functions.cross_entropy_error(@y, t)
      end

      # part: backward

      # @param _dout [Float] ignored, as in the book
      # @return [NArray] (y − onehot(t)) / N in x's shape
      def backward(_dout = 1.0)
        y2 = Functions.batch(@y)
        n = y2.shape[1]
        if t_size == @y.size # one-hot (the book's test: also labels when C = 1)
          t = @t.is_a?(NArray) ? @t : NArray.to_na(Array(@t))
          dx = (@y - t.to_type(NArray::DFLOAT).reshape(*@y.shape)) / n.to_f
        else
          labels = Functions.labels_for(y2, @t)
          dx = y2.dup
          flat = labels + NArray.int(n).indgen! * y2.shape[0]
          dx[flat] = dx[flat] - 1.0
          dx = (dx / n.to_f).reshape(*@y.shape)
        end
        dx
      end

      # part: helper
      private

      def t_size
        @t.is_a?(NArray) || @t.is_a?(Array) ? @t.size : 1
      end
    end
    # endregion

    # region: dropout
    # Dropout: in training a fresh mask rand(x.shape) > ratio keeps each unit (out = x·mask,
    # dx = dout·mask); in test mode out = x·(1 − ratio) and dx = dout·(1 − ratio).
    class Dropout < Layer
      # @return [Rng, nil] the generator the next training-mode {#forward} draws its mask from
      #   (a network sets it before each pass, so that its Dropout layers share one generator)
      attr_accessor :rng

      # part: init

      # @param dropout_ratio [Float] in [0, 1)
      # @param rng [Rng] the generator the masks are drawn from
      def initialize(dropout_ratio = 0.5, rng: Rng.new(0))
        @dropout_ratio = dropout_ratio
        @rng = rng
      end

      # part: forward

      # @param x [NArray] any shape
      # @param train_flg [Boolean] training (a fresh mask) or test mode
      # @return [NArray] x·mask, or x·(1 − ratio) in test mode
      def forward(x, train_flg: true)
        @train_flg = train_flg
        if train_flg
          @mask = @rng.rand(*Arrays.shape(x)).gt(@dropout_ratio).to_type(NArray::DFLOAT)
          x * @mask
        else
          x * (1.0 - @dropout_ratio)
        end
      end

      # part: backward

      # @param dout [NArray] of x's shape
      # @return [NArray] dout·mask, or dout·(1 − ratio) in test mode
      def backward(dout)
        @train_flg ? dout * @mask : dout * (1.0 - @dropout_ratio)
      end
    end
    # endregion

    # region: batch_norm
    # Batch normalization (Ioffe & Szegedy 2015) with eps = 10e-7:
    #   μ = mean_rows(x), xc = x − μ, σ² = mean_rows(xc²), std = √(σ² + eps),
    #   xn = xc / std, out = γ·xn + β;
    # running statistics r ← m·r + (1 − m)·batch statistic.
    class BatchNormalization < Layer
      EPS = 10e-7
      # @return [NArray] the running statistics after the last {#forward}, and after
      #   {#backward} the gradients of gamma and beta
      attr_reader :running_mean, :running_var, :dgamma, :dbeta
      # @return [NArray, nil] D values the next {#forward} starts from (nil: zeros)
      attr_writer :running_mean, :running_var

      # part: init

      # @param gamma [NArray] D scales
      # @param beta [NArray] D shifts
      # @param momentum [Float] of the running statistics
      # @param running_mean [NArray, nil] D values (nil: zeros)
      # @param running_var [NArray, nil] D values (nil: zeros)
      def initialize(gamma, beta, momentum: 0.9, running_mean: nil, running_var: nil)
        @gamma = gamma
        @beta = beta
        @momentum = momentum
        @running_mean = running_mean
        @running_var = running_var
      end

      # part: forward

      # @param x [NArray] N×D (or N×… multiplying to D)
      # @param train_flg [Boolean] normalize by the batch's statistics (and update the running
      #   ones) or, in test mode, by the running statistics
      # @return [NArray] γ·xn + β in x's shape
      def forward(x, train_flg: true)
        @input_shape = x.shape
        rows = Arrays.shape(x)[0]
        d = x.size / rows
        @running_mean ||= NArray.float(d)
        @running_var ||= NArray.float(d)
        forward2(x.reshape(d, rows), train_flg).reshape(*@input_shape)
      end

      # part: backward

      # Sets {#dbeta} = Σ dout and {#dgamma} = Σ xn·dout.
      # @param dout [NArray] of x's shape
      # @return [NArray] dx in x's shape (test mode: γ·dout / √(running_var + eps))
      def backward(dout)
        d, n = @xn.shape
        dout = dout.reshape(d, n)
        @dbeta = Arrays.sum_rows(dout)
        @dgamma = Arrays.sum_rows(@xn * dout)
        dx = @train_flg ? backward_train(dout, n) : @gamma * dout / @test_std.newdim(1)
        dx.reshape(*@input_shape)
      end

      # part: helper
      private

      def forward2(x, train_flg)
        @train_flg = train_flg
        if train_flg
          n = x.shape[1].to_f
          mu = Arrays.sum_rows(x) / n
          @xc = x - mu.newdim(1)
          var = Arrays.sum_rows(@xc * @xc) / n
          @std = NMath.sqrt(var + EPS)
          @xn = @xc / @std.newdim(1)
          @running_mean = (@running_mean * @momentum) + (mu * (1.0 - @momentum))
          @running_var = (@running_var * @momentum) + (var * (1.0 - @momentum))
        else
          @test_std = NMath.sqrt(@running_var + EPS)
          @xn = (x - @running_mean.newdim(1)) / @test_std.newdim(1)
        end
        (@xn * @gamma.newdim(1)) + @beta.newdim(1)
      end

      # dxn = γ·dout, dxc = dxn / std, dstd = −Σ dxn·xc / std², dvar = ½·dstd / std,
      # dxc += (2/N)·xc·dvar, dμ = Σ dxc, dx = dxc − dμ/N
      def backward_train(dout, n)
        dxn = @gamma.newdim(1) * dout
        std = @std.newdim(1)
        dxc = dxn / std
        dstd = -Arrays.sum_rows(dxn * @xc / (@std * @std).newdim(1))
        dvar = 0.5 * dstd / @std
        dxc += (2.0 / n) * @xc * dvar.newdim(1)
        dmu = Arrays.sum_rows(dxc)
        dxc - (dmu / n.to_f).newdim(1)
      end
    end
    # endregion

    # --- chapter 7 -----------------------------------------------------------------------------

    # region: convolution
    # out[n, f, i, j] = Σ_{c,y,x} W[f, c, y, x]·padded[n, c, i·stride + y, j·stride + x] + b[f]:
    # with col = im2col(x) and W_col = W as FN rows of C·FH·FW, out = col·W_colᵀ + b, reshaped
    # to N×FN×OH×OW. Backward: dW = doutᵀ·col, db = Σ dout over (n, i, j), dx = col2im(dout·W_col).
    #
    # W and b are held by reference, as Affine's.
    class Convolution < Layer
      # @return [NArray] the filters FN×C×FH×FW, the bias (FN), and after {#backward} their gradients
      attr_reader :W, :b, :dW, :db

      # part: init

      # @param w [NArray] FN×C×FH×FW filters (NArray shape [FW, FH, C, FN]), held by reference
      # @param b [NArray] FN biases, held by reference
      # @param stride [Integer]
      # @param pad [Integer]
      def initialize(w, b, stride = 1, pad = 0)
        @W = w
        @b = b
        @stride = stride
        @pad = pad
      end

      # part: forward

      # @param x [NArray] N×C×H×W
      # @return [NArray] N×FN×OH×OW
      def forward(x)
        fw, fh, _c, fn = @W.shape
        @x_shape = Arrays.shape(x)
        n, _, h, w = @x_shape
        oh, ow = Util.conv_output_size(h, fh, @stride, @pad), Util.conv_output_size(w, fw, @stride, @pad)
        @col = Util.im2col(x, fh, fw, @stride, @pad)
        out = Arrays.dot_nt(@col, w_col) + @b.newdim(1) # (n, i, j) rows of FN
        out.reshape(fn, ow, oh, n).transpose(1, 2, 0, 3)
      end

      # part: backward

      # Sets {#dW} = doutᵀ·col (in W's shape) and {#db} = Σ dout.
      # @param dout [NArray] N×FN×OH×OW
      # @return [NArray] col2im(dout·W_col), N×C×H×W
      def backward(dout)
        fw, fh, _c, fn = @W.shape
        rows = dout.transpose(2, 0, 1, 3).reshape(fn, dout.size / fn) # one row per window, as col
        @db = Arrays.sum_rows(rows)
        @dW = Arrays.dot_tn(rows, @col).reshape(*@W.shape)
        Util.col2im(Arrays.dot(rows, w_col), @x_shape, fh, fw, @stride, @pad)
      end

      # part: helper
      private

      # W as FN rows of C·FH·FW (the current values: an optimizer or a numerical gradient
      # changes W in place)
      def w_col = @W.reshape(@W.size / @W.shape[3], @W.shape[3])
    end
    # endregion

    # region: pooling
    # Max pooling: out[n, c, i, j] = the maximum of the pool_h × pool_w window at (i·stride,
    # j·stride) of x zero-padded by pad, the first maximum in window order (a NaN counts as a
    # maximum: the first NaN). Backward routes dout[n, c, i, j] to that element, adding where
    # windows overlap.
    class Pooling < Layer
      # part: init

      # @param pool_h [Integer]
      # @param pool_w [Integer]
      # @param stride [Integer]
      # @param pad [Integer]
      def initialize(pool_h, pool_w, stride = 2, pad = 0)
        @pool_h = pool_h
        @pool_w = pool_w
        @stride = stride
        @pad = pad
      end

      # part: forward

      # @param x [NArray] N×C×H×W
      # @return [NArray] N×C×OH×OW, each window's first maximum itself (-0.0 stays -0.0)
      def forward(x)
        @x_shape = Arrays.shape(x)
        n, c, h, w = @x_shape
        oh = Util.conv_output_size(h, @pool_h, @stride, @pad)
        ow = Util.conv_output_size(w, @pool_w, @stride, @pad)
        size = @pool_h * @pool_w
        # one window of one channel per row, rows in the order (n, i, j, c)
        windows = Util.im2col(x, @pool_h, @pool_w, @stride, @pad).reshape(size, n * oh * ow * c)
        @arg_max = Arrays.argmax_rows(windows)
        @at = @arg_max + (NArray.int(@arg_max.size).indgen! * size)
        windows[@at].reshape(c, ow, oh, n).transpose(1, 2, 0, 3)
      end

      # part: backward

      # @param dout [NArray] N×C×OH×OW
      # @return [NArray] N×C×H×W: dout at each window's maximum, summed where windows overlap
      def backward(dout)
        size = @pool_h * @pool_w
        dmax = NArray.float(size, @arg_max.size)
        dmax[@at] = dout.transpose(2, 0, 1, 3).reshape(dout.size)
        c = @x_shape[1]
        Util.col2im(dmax.reshape(c * size, dmax.size / (c * size)), @x_shape, @pool_h, @pool_w, @stride, @pad)
      end
    end
    # endregion
  end
end
