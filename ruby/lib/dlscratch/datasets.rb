# frozen_string_literal: true

require 'zlib'
require 'narray'
require_relative 'arrays'

module DLScratch
  # IDX files (the MNIST / Fashion-MNIST format) and the book's load_mnist.
  module Datasets
    # A data file that is missing, unreadable or malformed; the message names the file.
    class FileError < StandardError; end

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
    # @raise [FileError] for a missing, unreadable, malformed or short file
    def read_idx(path)
      data = read_bytes(path)
      raise FileError, "#{path}: too short for an IDX header" if data.bytesize < 4

      zero1, zero2, type, ndim = data.unpack('CCCC')
      raise FileError, "#{path}: not an IDX file (the first two bytes are not zero)" unless zero1.zero? && zero2.zero?

      spec = IDX_TYPES[type] or raise FileError, format('%s: unknown IDX type byte 0x%02X', path, type)
      header = 4 + (4 * ndim)
      raise FileError, "#{path}: shorter than its header (#{ndim} dimensions)" if data.bytesize < header

      shape = data.byteslice(4, 4 * ndim).unpack('N*')
      need = shape.inject(1, :*) * spec[1]
      if data.bytesize < header + need
        raise FileError, "#{path}: holds #{data.bytesize - header} data bytes, its header says #{need}"
      end

      Idx.new(type, shape, data.byteslice(header, need))
    end

    # The whole file, gunzipped if it is gzip-compressed.
    def read_bytes(path)
      raise FileError, "#{path.inspect}: a path cannot contain a NUL byte" if path.include?("\0")

      raw = File.binread(path)
      raw = Zlib.gunzip(raw).b if raw.byteslice(0, 2) == "\x1f\x8b".b
      raw
    rescue Zlib::Error => e
      raise FileError, "#{path}: bad gzip data (#{e.message})"
    rescue SystemCallError, IOError => e
      raise FileError, "#{path}: cannot read (#{e.message.sub(/ @ .*/m, '')})"
    end
    # endregion

    # The path of one of the four files in +dir+, without or with +.gz+.
    # @param dir [String] a MNIST-like directory
    # @param base [String] a name of {FILES}
    # @return [String]
    # @raise [FileError] naming the file when neither form exists
    def find_file(dir, base)
      [File.join(dir, base), File.join(dir, "#{base}.gz")].find { |p| File.file?(p) } or
        raise FileError, "#{File.join(dir, base)}[.gz]: no such file"
    end

    # The four IDX files of +dir+, read and checked in the order train images, train labels,
    # test images, test labels: images are unsigned bytes of 3 dimensions (count × rows × cols,
    # none of them 0) with the same rows × cols in both sets, labels unsigned bytes of 1
    # dimension, as many as the images, each in 0..9.
    # @param dir [String]
    # @return [Hash{Symbol=>Idx}] keyed as {FILES}
    # @raise [FileError] naming the first file that fails
    def read_mnist_files(dir)
      raise FileError, "#{dir}: no such directory" unless File.directory?(dir)

      train_img = checked_file(dir, :train_img) { |idx| image_problem(idx, nil) }
      train_label = checked_file(dir, :train_label) { |idx| label_problem(idx, train_img) }
      test_img = checked_file(dir, :test_img) { |idx| image_problem(idx, train_img) }
      test_label = checked_file(dir, :test_label) { |idx| label_problem(idx, test_img) }
      { train_img: train_img, train_label: train_label, test_img: test_img, test_label: test_label }
    end

    # One of the four files, read and checked.
    # @param dir [String]
    # @param key [Symbol] a key of {FILES}
    # @yieldparam idx [Idx] the file as read
    # @yieldreturn [String, nil] what is wrong with it, or nil
    # @return [Idx]
    # @raise [FileError] naming the file
    def checked_file(dir, key)
      path = find_file(dir, FILES.fetch(key))
      idx = read_idx(path)
      problem = yield idx
      raise FileError, "#{path}: #{problem}" if problem

      idx
    end

    # What is wrong with an images file, or nil.
    # @param idx [Idx]
    # @param train [Idx, nil] the training images, which the test images must match
    # @return [String, nil]
    def image_problem(idx, train)
      return "images must be unsigned bytes (IDX type 0x08), the file holds #{IDX_TYPES[idx.type][0]}" unless idx.type == 0x08
      return "images must have 3 dimensions (count × rows × cols), the file has #{idx.shape.size}" unless idx.shape.size == 3
      return "images of shape #{idx.shape.join(' × ')}: no dimension may be 0" if idx.shape.include?(0)
      return if train.nil? || idx.shape[1..] == train.shape[1..]

      "images of #{idx.shape[1..].join(' × ')} pixels, the training images have #{train.shape[1..].join(' × ')}"
    end

    # What is wrong with a labels file, or nil.
    # @param idx [Idx]
    # @param images [Idx] the images the labels belong to
    # @return [String, nil]
    def label_problem(idx, images)
      return "labels must be unsigned bytes (IDX type 0x08), the file holds #{IDX_TYPES[idx.type][0]}" unless idx.type == 0x08
      return "labels must have 1 dimension, the file has #{idx.shape.size} (#{idx.shape.join(' × ')})" unless idx.shape.size == 1
      return "#{idx.shape[0]} labels for #{images.shape[0]} images" unless idx.shape[0] == images.shape[0]

      i = idx.payload.index(/[\x0A-\xFF]/n) or return
      "label[#{i}] = #{idx.payload.getbyte(i)} is outside 0..9"
    end

    # The book's load_mnist(normalize=True, flatten=True, one_hot_label=False), in float64:
    # images byte / 255.0 as an N×784 NArray (shape [784, N]), or with +flatten: false+ as
    # N×1×28×28 (shape [28, 28, 1, N]); labels as an NArray of ints. The four files are checked
    # first ({read_mnist_files}).
    # @param dir [String] a directory with the four files of {FILES} (each may be gzipped)
    # @param train_size [Integer, nil] keep the first +train_size+ training images (nil: all)
    # @param test_size [Integer, nil] keep the first +test_size+ test images (nil: all)
    # @param flatten [Boolean] one row of rows·cols per image, or an image of 1 channel
    # @return [Array(NArray, NArray, NArray, NArray)] [x_train, t_train, x_test, t_test]
    # @raise [FileError] naming the first file that is missing or malformed
    def load_mnist(dir = DEFAULT_DIR, train_size: nil, test_size: nil, flatten: true)
      files = read_mnist_files(dir)
      x_train, t_train = images_and_labels(files[:train_img], files[:train_label], train_size)
      x_test, t_test = images_and_labels(files[:test_img], files[:test_label], test_size)
      unless flatten
        rows, cols = files[:train_img].shape[1..]
        x_train, x_test = [x_train, x_test].map { |x| x.reshape!(cols, rows, 1, x.shape[1]) }
      end
      [x_train, t_train, x_test, t_test]
    end

    # The first +limit+ (nil: all) images as float64 rows of byte / 255.0 and their labels.
    # @param img [Idx] checked images
    # @param lab [Idx] their checked labels
    # @param limit [Integer, nil]
    # @return [Array(NArray, NArray)]
    def images_and_labels(img, lab, limit)
      n = img.shape[0]
      n = [n, limit].min if limit
      cols = img.shape[1..].inject(1, :*)
      x = NArray.to_na(img.payload.byteslice(0, n * cols), NArray::BYTE).to_type(NArray::DFLOAT)
      x = x.reshape!(cols, n).div!(255.0) # in place: 60000 images are 376 MB
      t = NArray.to_na(lab.payload.byteslice(0, n), NArray::BYTE).to_type(NArray::INT)
      [x, t]
    end
  end
end
