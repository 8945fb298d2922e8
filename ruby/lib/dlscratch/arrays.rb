# frozen_string_literal: true

require 'narray'
require_relative 'blas'

module DLScratch
  # Small helpers around NArray 0.6.
  #
  # NArray lists its dimensions fastest-varying first, the reverse of NumPy: a matrix of
  # N rows and D columns is an NArray of shape [D, N] and its element (row i, column j)
  # is +a[j, i]+. The memory order is the same as NumPy's row-major order, so a flat index
  # +a[k]+ walks the matrix row by row, and NMatrix (whose shape is also [columns, rows])
  # multiplies such arrays as the book's +np.dot+ does.
  #
  # Everywhere in this library "shape" means the book's (row-major) shape; the helpers below
  # translate. A scalar is a plain Ruby Float.
  module Arrays
    module_function

    # Largest number of elements any request may ask for.
    MAX_ELEMENTS = 10_000_000

    # @return [Array<Integer>] the row-major shape ([] for a scalar)
    def shape(a)
      a.is_a?(NArray) ? a.shape.reverse : []
    end

    # @return [Integer] number of dimensions (0 for a scalar)
    def ndim(a)
      a.is_a?(NArray) ? a.dim : 0
    end

    # @return [NArray] float64 zeros of the given row-major shape
    def zeros(*shape)
      NArray.float(*shape.reverse)
    end

    # @return [NArray] float64 zeros of a's shape
    def zeros_like(a)
      NArray.float(*a.shape)
    end

    # A float64 NArray from nested Ruby arrays written row by row, as in NumPy:
    # +from_rows([[1, 2, 3], [4, 5, 6]])+ has row-major shape [2, 3].
    def from_rows(nested)
      return nested.to_f if nested.is_a?(Numeric)

      NArray.to_na(nested).to_type(NArray::DFLOAT)
    end

    # Nested Ruby arrays, row by row (a Float stays a Float).
    def to_rows(a)
      a.is_a?(NArray) ? a.to_a : a
    end

    # Matrix product as np.dot for 2-D·2-D and 1-D·2-D:
    # (N×D)·(D×M) → N×M, (D)·(D×M) → (M). Float64 operands go through OpenBLAS ({Blas}),
    # others (and every product when it is not available) through {narray_dot}.
    # @param a [NArray] N×D, or D values
    # @param b [NArray] D×M
    # @return [NArray] N×M, or M values
    # @raise [ArgumentError] when the shapes do not fit
    def dot(a, b)
      a2 = a.dim == 1 ? a.reshape(a.size, 1) : a
      unless a2.dim == 2 && b.dim == 2 && a2.shape[0] == b.shape[1]
        raise ArgumentError, "cannot multiply #{shape(a).join('x')} by #{shape(b).join('x')}"
      end

      out = blas?(a2, b) ? Blas.gemm(a2, b) : narray_dot(a2, b)
      a.dim == 1 ? out.reshape(out.size) : out
    end

    # aᵀ·b of two 2-D arrays (a is N×D, b is N×M: D×M), without forming aᵀ when OpenBLAS does it.
    # @param a [NArray] N×D
    # @param b [NArray] N×M
    # @return [NArray] D×M
    def dot_tn(a, b)
      blas?(a, b) ? Blas.gemm(a, b, trans_a: true) : dot(t(a), b)
    end

    # a·bᵀ of two 2-D arrays (a is N×M, b is D×M: N×D), without forming bᵀ when OpenBLAS does it.
    # @param a [NArray] N×M
    # @param b [NArray] D×M
    # @return [NArray] N×D
    def dot_nt(a, b)
      blas?(a, b) ? Blas.gemm(a, b, trans_b: true) : dot(a, t(b))
    end

    # NArray's own product (NMatrix) of two 2-D arrays whose inner dimensions agree.
    # @param a [NArray] N×D
    # @param b [NArray] D×M
    # @return [NArray] N×M
    def narray_dot(a, b)
      NArray.refer(NMatrix.refer(a) * NMatrix.refer(b))
    end

    # Whether a product of a and b goes through OpenBLAS: both float64 matrices, and it loaded.
    # @param a [NArray]
    # @param b [NArray]
    # @return [Boolean]
    def blas?(a, b)
      a.typecode == NArray::DFLOAT && b.typecode == NArray::DFLOAT && a.dim == 2 && b.dim == 2 && Blas.available?
    end

    # NumPy's pairwise summation (np.sum over a contiguous axis), so that sums agree with the
    # reference to the last bit: fewer than 8 terms are added in order; up to 128 terms go
    # into 8 interleaved partial sums r0..r7, combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)),
    # then the terms beyond the last multiple of 8 are added in order; longer runs are split
    # in two halves (the first a multiple of 8 long) summed the same way.
    #
    # @param a [NArray] shape [n, m]: sums along the first NArray dimension, i.e. along each
    #   row of a row-major m×n matrix
    # @return [NArray] shape [m]
    def pairwise_sum_dim0(a)
      n, m = a.shape
      if n < 8
        a.sum(0)
      elsif n <= 128
        full = n - (n % 8)
        r = a[0...full, true].reshape(8, full / 8, m).sum(1)
        res = ((r[0, true] + r[1, true]) + (r[2, true] + r[3, true])) +
              ((r[4, true] + r[5, true]) + (r[6, true] + r[7, true]))
        (full...n).each { |i| res += a[i, true] }
        res
      else
        n2 = n / 2
        n2 -= n2 % 8
        pairwise_sum_dim0(a[0...n2, true]) + pairwise_sum_dim0(a[n2...n, true])
      end
    end

    # np.sum(a) of a whole array (or a Float): pairwise over the elements in row-major order.
    def pairwise_sum(a)
      return a unless a.is_a?(NArray)

      pairwise_sum_dim0(a.reshape(a.size, 1))[0]
    end

    # np.sum(a, axis=-1) of a 2-D array: one pairwise sum per row.
    def pairwise_sum_rows(a)
      pairwise_sum_dim0(a)
    end

    # The rows (samples) of a along its first row-major dimension: a[index] in NumPy.
    # @param a [NArray] N×… (any number of dimensions)
    # @param index [NArray, Range, Integer] rows
    # @return [NArray]
    def rows(a, index)
      a[*Array.new(a.dim - 1, true), index]
    end

    # Transpose of a 2-D array.
    def t(a)
      a.transpose(1, 0)
    end

    # np.sum(a, axis=0) for a 2-D array: the column sums, shape (cols).
    def sum_rows(a)
      a.sum(1)
    end

    # np.argmax(a, axis=1) for a 2-D array (first maximum on ties, a NaN counting as the
    # maximum), as an NArray of ints. Without NaNs: the row maxima m, then each column from the
    # last to the first marks the rows where it equals m, so the first such column is left.
    def argmax_rows(a)
      return argmax_rows_nan(a) if a.ne(a).count_true.positive?

      cols, rows = a.shape
      best = a.max(0)
      idx = NArray.int(rows)
      (cols - 1).downto(1) { |j| idx[a[j, true].eq(best)] = j }
      idx[a[0, true].eq(best)] = 0
      idx
    end

    # argmax_rows of an array with NaNs: column by column, a larger value or the row's first
    # NaN takes the place of the best so far.
    def argmax_rows_nan(a)
      cols, rows = a.shape
      idx = NArray.int(rows)
      best = a[0, true].dup
      (1...cols).each do |j|
        col = a[j, true]
        better = col.gt(best) | (col.ne(col) & best.eq(best)) # a NaN wins, as in NumPy
        better &= best.eq(best) # ... but only the first NaN
        idx[better] = j
        best[better] = col[better]
      end
      idx
    end

    # Apply a block meant for NArrays to a scalar too (a Float is wrapped and unwrapped).
    def elementwise(x)
      if x.is_a?(NArray)
        yield x
      else
        r = yield NArray[x.to_f]
        r[0]
      end
    end
  end
end
