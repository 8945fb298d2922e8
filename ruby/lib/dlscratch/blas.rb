# frozen_string_literal: true

require 'narray'

module DLScratch
  # Matrix products through OpenBLAS's +cblas_dgemm+, called with Fiddle (Ruby's standard
  # foreign-function library), on the NArrays' own buffers: no copy in, none out.
  #
  # NArray 0.6 has no API for the address of its data, so {.data_pointer} reads it from the
  # C structs: the object is an RData whose +data+ (offset 32) points to NArray's
  # +struct NARRAY { int rank; int total; int type; int *shape; char *ptr; VALUE ref; }+
  # (+ptr+ at offset 24). The layout is checked once against a known array (rank, total and
  # type, then the values) before any product uses it.
  #
  # When the library cannot be loaded, or the layout check fails, one line goes to stderr and
  # every product is NArray's own ({Arrays.narray_dot}); +DLSCRATCH_NO_BLAS=1+ in the
  # environment chooses that silently, and +DLSCRATCH_OPENBLAS+ names another shared object. OpenBLAS reads +OPENBLAS_NUM_THREADS+ itself when it is
  # loaded. The library is loaded by the first product, so the runner's start-up does not pay
  # for it.
  module Blas
    # The shared object of Debian's libopenblas0-pthread (or -openmp, -serial).
    LIBRARY = 'libopenblas.so.0'
    # The environment variable naming another shared object with cblas_dgemm.
    LIBRARY_VARIABLE = 'DLSCRATCH_OPENBLAS'
    # The environment variable that forces NArray's own products.
    DISABLE = 'DLSCRATCH_NO_BLAS'
    # CBLAS_ORDER and CBLAS_TRANSPOSE values of cblas.h.
    ROW_MAJOR = 101
    NO_TRANS = 111
    TRANS = 112
    # Offsets in RData and in struct NARRAY (x86-64 / LP64).
    RDATA_DATA = 32
    NARRAY_PTR = 24

    class << self
      # Whether products go through OpenBLAS (loads it on the first call).
      # @return [Boolean]
      def available?
        @dgemm = load_dgemm if @dgemm.nil?
        @dgemm != false
      end

      # Why products are NArray's own, or nil when they go through OpenBLAS.
      # @return [String, nil]
      def fallback_reason
        available?
        @reason
      end

      # C = op(A)·op(B) in the book's row-major terms: A is m×k (or k×m with +trans_a+), B is
      # k×n (or n×k with +trans_b+), C is m×n. With +trans_a+, +gemm(x, dout, trans_a: true)+
      # is xᵀ·dout without forming xᵀ.
      # @param a [NArray] 2-D float64 (NArray shape [columns, rows])
      # @param b [NArray] 2-D float64
      # @param trans_a [Boolean]
      # @param trans_b [Boolean]
      # @return [NArray] float64, NArray shape [n, m]
      # @raise [ArgumentError] when the inner dimensions differ
      def gemm(a, b, trans_a: false, trans_b: false)
        a_cols, a_rows = a.shape
        b_cols, b_rows = b.shape
        m, k = trans_a ? [a_cols, a_rows] : [a_rows, a_cols]
        k2, n = trans_b ? [b_cols, b_rows] : [b_rows, b_cols]
        raise ArgumentError, "cannot multiply #{m}x#{k} by #{k2}x#{n}" unless k == k2

        c = NArray.float(n, m)
        @dgemm.call(ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k,
                    1.0, data_pointer(a), a_cols, data_pointer(b), b_cols, 0.0, data_pointer(c), n)
        c
      end

      # The address of an NArray's first element.
      # @param array [NArray]
      # @return [Fiddle::Pointer]
      def data_pointer(array)
        (Fiddle::Pointer.new(Fiddle.dlwrap(array) + RDATA_DATA).ptr + NARRAY_PTR).ptr
      end

      private

      # cblas_dgemm as a Fiddle::Function, or false (after one line on stderr unless forced).
      def load_dgemm
        if ENV[DISABLE] && !ENV[DISABLE].empty? && ENV[DISABLE] != '0'
          @reason = "#{DISABLE} is set"
          return false
        end
        require 'fiddle'
        unless layout_ok?
          return fall_back('NArray 0.6 does not have the expected memory layout here')
        end

        lib = Fiddle.dlopen(library)
        i = Fiddle::TYPE_INT
        d = Fiddle::TYPE_DOUBLE
        p = Fiddle::TYPE_VOIDP
        Fiddle::Function.new(lib['cblas_dgemm'], [i, i, i, i, i, i, d, p, i, p, i, d, p, i], Fiddle::TYPE_VOID,
                             need_gvl: true)
      rescue LoadError, Fiddle::DLError => e
        fall_back("#{library} not loaded (#{e.message.lines.first.strip})")
      end

      def library
        ENV.fetch(LIBRARY_VARIABLE, '').empty? ? LIBRARY : ENV[LIBRARY_VARIABLE]
      end

      def fall_back(reason)
        @reason = reason
        warn "dlscratch: #{reason}; matrix products use NArray's own"
        false
      end

      # The struct offsets read back a known array: its rank, size and type, then its values.
      def layout_ok?
        probe = NArray.float(3, 2).indgen!
        header = Fiddle::Pointer.new(Fiddle.dlwrap(probe) + RDATA_DATA).ptr
        header[0, 12].unpack('l3') == [2, 6, NArray::DFLOAT] &&
          data_pointer(probe)[0, 48].unpack('d6') == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
      end
    end
  end
end
