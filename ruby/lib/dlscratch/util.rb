# frozen_string_literal: true

require 'narray'
require_relative 'arrays'

module DLScratch
  # im2col and col2im (book 7.4.3, common/util.py): the windows of a batch of images as the
  # rows of one matrix, so that a convolution or a pooling is one matrix operation; and the
  # rounding to half precision of book 8.3.4 ({Util.to_float16}).
  #
  # Both work on the flat storage: every entry of col has one position in the zero-padded
  # image, padded[n, c, i·stride + y, j·stride + x] at flat index
  #   ((n·C + c)·HP + i·stride + y)·WP + j·stride + x,   HP = H + 2·pad, WP = W + 2·pad,
  # so im2col is one gather through a table of those indices (NArray's a[index]) and col2im
  # one scatter-add per window element (y, x), where the windows never share a pixel.
  module Util
    # The index tables kept, by geometry (a training loop asks for the same few again and again).
    CACHE_SIZE = 8

    module_function

    # region: im2col
    # (input + 2·pad − filter) // stride + 1: the positions of a window, rounded down.
    # @param input_size [Integer]
    # @param filter_size [Integer]
    # @param stride [Integer]
    # @param pad [Integer]
    # @return [Integer]
    def conv_output_size(input_size, filter_size, stride = 1, pad = 0)
      ((input_size + (2 * pad) - filter_size) / stride) + 1
    end

    # col[(n, i, j), (c, y, x)] = padded[n, c, i·stride + y, j·stride + x], the image zero-padded
    # by pad: N·OH·OW rows of C·filter_h·filter_w.
    # @param input_data [NArray] N×C×H×W float64
    # @param filter_h [Integer]
    # @param filter_w [Integer]
    # @param stride [Integer]
    # @param pad [Integer]
    # @return [NArray] N·OH·OW × C·filter_h·filter_w
    def im2col(input_data, filter_h, filter_w, stride = 1, pad = 0)
      geometry = [*Arrays.shape(input_data), filter_h, filter_w, stride, pad]
      padded(input_data, pad)[gather_index(*geometry)]
    end

    # The adjoint of im2col: every entry of col added into the padded image at the place im2col
    # took it from (overlapping windows add up, in the order y, x), then the padding cut away.
    # @param col [NArray] N·OH·OW × C·filter_h·filter_w
    # @param input_shape [Array<Integer>] N, C, H, W
    # @param filter_h [Integer]
    # @param filter_w [Integer]
    # @param stride [Integer]
    # @param pad [Integer]
    # @return [NArray] N×C×H×W
    def col2im(col, input_shape, filter_h, filter_w, stride = 1, pad = 0)
      n, c, h, w = input_shape
      oh, ow = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
      wp = w + (2 * pad)
      img = NArray.float(wp, h + (2 * pad), c, n)
      # windows[x, y, c, j, i, n] (NArray order) = col[(n, i, j), (c, y, x)]
      windows = col.reshape(filter_w, filter_h, c, ow, oh, n)
      base = cached([:origins, n, c, h, w, oh, ow, stride, pad]) { window_origins(n, c, h, w, oh, ow, stride, pad) }
      filter_h.times do |y|
        filter_w.times do |x|
          at = base + ((y * wp) + x)
          img[at] = img[at] + windows[x, y, true, true, true, true]
        end
      end
      pad.zero? ? img : img[pad...(pad + w), pad...(pad + h), true, true]
    end

    # x zero-padded by pad on both sides of H and W (x itself when pad is 0).
    # @param x [NArray] N×C×H×W
    # @param pad [Integer]
    # @return [NArray] N×C×(H + 2·pad)×(W + 2·pad)
    def padded(x, pad)
      return x if pad.zero?

      w, h, c, n = x.shape
      img = NArray.float(w + (2 * pad), h + (2 * pad), c, n)
      img[pad...(pad + w), pad...(pad + h), true, true] = x
      img
    end

    # The flat index in the padded image of every entry of col, as an NArray of col's shape.
    # @return [NArray] int32, NArray shape [C·FH·FW, N·OH·OW]
    def gather_index(n, c, h, w, filter_h, filter_w, stride, pad)
      cached([:gather, n, c, h, w, filter_h, filter_w, stride, pad]) do
        oh, ow = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
        wp = w + (2 * pad)
        origins = window_origins(n, c, h, w, oh, ow, stride, pad).reshape(1, 1, c, ow, oh, n)
        offsets = NArray.int(filter_w, 1).indgen! + (NArray.int(1, filter_h).indgen! * wp)
        (origins + offsets.reshape(filter_w, filter_h, 1, 1, 1, 1)).reshape(c * filter_h * filter_w, n * oh * ow)
      end
    end

    # The index table of +key+: the block's, kept with the {CACHE_SIZE} last used (never
    # changed by its users).
    # @param key [Array] the table's kind and geometry
    # @yieldreturn [NArray] the table, made when it is not kept
    # @return [NArray]
    def cached(key)
      @index_cache ||= {}
      table = @index_cache.delete(key) || yield
      @index_cache[key] = table
      @index_cache.delete(@index_cache.each_key.first) if @index_cache.size > CACHE_SIZE
      table
    end

    # The flat index of the top-left corner (y = x = 0) of window (i, j) of channel c of image
    # n: (n·C + c)·HP·WP + i·stride·WP + j·stride.
    # @return [NArray] int32, NArray shape [C, OW, OH, N]
    def window_origins(n, c, h, w, oh, ow, stride, pad)
      hp, wp = h + (2 * pad), w + (2 * pad)
      (NArray.int(c, 1, 1, 1).indgen! * (hp * wp)) + (NArray.int(1, ow, 1, 1).indgen! * stride) +
        (NArray.int(1, 1, oh, 1).indgen! * (stride * wp)) + (NArray.int(1, 1, 1, n).indgen! * (c * hp * wp))
    end
    # endregion

    # region: half_float
    # The largest finite binary16 value, (2 − 2^−10)·2^15.
    HALF_MAX = 65_504.0
    # The smallest normal binary16 exponent: below 2^−14 the quantum stays 2^−24 (the subnormals).
    HALF_MIN_EXPONENT = -14

    # Each element rounded to the nearest IEEE binary16 value, ties to the even significand, and
    # held in a float64 again (numpy's astype(np.float16), book 8.3.4): with e = floor(log2 |v|),
    # at least −14, the quantum is q = 2^(e − 10) and y = roundTiesToEven(v / q)·q, each step
    # exact (scalings by powers of two); |y| > 65504 is ±Infinity; ±0, ±Infinity and NaN stay
    # themselves (a tiny negative that rounds to 0 is −0.0).
    # @param x [NArray, Float] float64 of any shape
    # @return [NArray, Float] the same shape
    def to_float16(x)
      x.is_a?(NArray) ? x.collect { |v| half(v) } : half(x)
    end

    # {to_float16} of one number.
    # @param value [Float]
    # @return [Float]
    def half(value)
      return value if value.nan? || value.infinite? || value.zero?

      magnitude = value.abs
      exponent = [Math.frexp(magnitude)[1] - 1, HALF_MIN_EXPONENT].max # frexp: |v| = m·2^k, m in [0.5, 1)
      quantum = Math.ldexp(1.0, exponent - 10)
      y = (magnitude / quantum).round(half: :even) * quantum
      y = Float::INFINITY if y > HALF_MAX
      value.negative? ? -y : y
    end
    # endregion
  end
end
