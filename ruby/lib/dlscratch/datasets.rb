# frozen_string_literal: true

require 'zlib'
require 'narray'
require_relative 'errors'
require_relative 'arrays'

module DLScratch
  # IDX files (the MNIST / Fashion-MNIST format) and the book's load_mnist.
  module Datasets
    # region: idx
    # IDX type byte => [name, bytes per value, String#unpack directive (big-endian)]
    IDX_TYPES = {
      0x08 => ['ubyte', 1, 'C*'],
      0x09 => ['sbyte', 1, 'c*'],
      0x0B => ['int16', 2, 's>*'],
      0x0C => ['int32', 4, 'l>*'],
      0x0D => ['float32', 4, 'g*'],
      0x0E => ['float64', 8, 'G*']
    # endregion
    }.freeze

    # File names of the four IDX files of a MNIST-like directory.
    FILES = {
      train_img: 'train-images-idx3-ubyte', train_label: 'train-labels-idx1-ubyte',
      test_img: 't10k-images-idx3-ubyte', test_label: 't10k-labels-idx1-ubyte'
    }.freeze

    DEFAULT_DIR = '/usr/share/datasets/fashion-mnist'

    # region: idx
    # One IDX file: its type, row-major shape and raw big-endian payload.
    Idx = Struct.new(:type, :shape, :payload) do
      # @return [Integer] the number of values
      def size
        shape.inject(1, :*)
      end

      # The values as a Ruby Array (Integers or Floats), row-major.
      def values
        payload.unpack(IDX_TYPES[type][2])
      end

      # The first k values (row-major) as Floats.
      def head(k = 16)
        bytes = IDX_TYPES[type][1]
        payload.byteslice(0, k * bytes).unpack(IDX_TYPES[type][2]).map(&:to_f)
      end

      # Σ of all values as a Float: exact for the integer types, NumPy's pairwise order for
      # float32 / float64 (as np.sum of the values in float64).
      def sum
        return payload.sum(64).to_f if type == 0x08 # the bytes' sum (String#sum is exact below 2**64 - 1)
        return values.sum.to_f unless [0x0D, 0x0E].include?(type)

        vals = values
        return 0.0 if vals.empty? # a size-0 dimension: no values (NArray has no empty arrays)

        Arrays.pairwise_sum(NArray.to_na(vals).to_type(NArray::DFLOAT))
      end

      # The values as an NArray of the file's row-major shape (shape reversed for NArray):
      # ubyte as NArray::BYTE, the others as int or float.
      def to_narray
        na = case type
             when 0x08 then NArray.to_na(payload, NArray::BYTE)
             when 0x0C then NArray.to_na(payload, NArray::LINT).ntoh
             when 0x0E then NArray.to_na(payload, NArray::DFLOAT).ntoh
             else NArray.to_na(values)
             end
        shape.empty? ? na : na.reshape(*shape.reverse)
      end
    end
    # endregion

    module_function

    # region: idx
    # Reads an IDX file, gunzipping it when it starts with the gzip magic 1f 8b.
    # Header: 0, 0, type byte, ndim, then ndim big-endian uint32 dimensions.
    # @raise [ValueError] for a missing, unreadable, malformed or short file
    def read_idx(path)
      data = read_bytes(path)
      raise ValueError, "#{path}: too short for an IDX header" if data.bytesize < 4

      zero1, zero2, type, ndim = data.unpack('CCCC')
      raise ValueError, "#{path}: not an IDX file (the first two bytes are not zero)" unless zero1.zero? && zero2.zero?

      spec = IDX_TYPES[type] or raise ValueError, format('%s: unknown IDX type byte 0x%02X', path, type)
      header = 4 + (4 * ndim)
      raise ValueError, "#{path}: shorter than its header (#{ndim} dimensions)" if data.bytesize < header

      shape = data.byteslice(4, 4 * ndim).unpack('N*')
      need = shape.inject(1, :*) * spec[1]
      if data.bytesize < header + need
        raise ValueError, "#{path}: holds #{data.bytesize - header} data bytes, its header says #{need}"
      end

      Idx.new(type, shape, data.byteslice(header, need))
    end

    # The whole file, gunzipped if it is gzip-compressed.
    def read_bytes(path)
      raise ValueError, "#{path.inspect}: a path cannot contain a NUL byte" if path.include?("\0")

      raw = File.binread(path)
      raw = Zlib.gunzip(raw).b if raw.byteslice(0, 2) == "\x1f\x8b".b
      raw
    rescue Zlib::Error => e
      raise ValueError, "#{path}: bad gzip data (#{e.message})"
    rescue SystemCallError, IOError => e
      raise ValueError, "#{path}: cannot read (#{e.message})"
    end
    # endregion

    # The path of one of the four files in dir, with or without .gz.
    def find_file(dir, base)
      [File.join(dir, base), File.join(dir, "#{base}.gz")].find { |p| File.file?(p) } or
        raise ValueError, "#{dir}: has neither #{base} nor #{base}.gz"
    end

    # The book's load_mnist(normalize=True, flatten=True, one_hot_label=False), in float64:
    # images byte/255.0 as an N×784 NArray (shape [784, N]), labels as an NArray of ints.
    # @return [Array] [x_train, t_train, x_test, t_test]
    def load_mnist(dir = DEFAULT_DIR, train_size: nil, test_size: nil)
      x_train, t_train = load_pair(dir, :train_img, :train_label, train_size)
      x_test, t_test = load_pair(dir, :test_img, :test_label, test_size)
      [x_train, t_train, x_test, t_test]
    end

    def load_pair(dir, img_key, label_key, limit)
      img = read_idx(find_file(dir, FILES[img_key]))
      lab = read_idx(find_file(dir, FILES[label_key]))
      n = img.shape[0]
      n = [n, limit].min if limit
      cols = img.shape[1..].inject(1, :*)
      x = NArray.to_na(img.payload.byteslice(0, n * cols), NArray::BYTE).to_type(NArray::DFLOAT)
      x = x.reshape!(cols, n).div!(255.0) # in place: 60000 images are 376 MB
      t = lab.to_narray[0...n].to_type(NArray::INT)
      [x, t]
    end
  end
end
