# frozen_string_literal: true

require 'spec_helper'
require 'tmpdir'
require 'zlib'

RSpec.describe DLScratch::Datasets do
  def idx_bytes(type, shape, payload)
    [0, 0, type, shape.size].pack('C4') + shape.pack('N*') + payload
  end

  around do |example|
    Dir.mktmpdir { |dir| @dir = dir; example.run }
  end

  it 'reads a raw ubyte IDX file' do
    path = File.join(@dir, 'a.idx')
    File.binwrite(path, idx_bytes(0x08, [2, 3], [0, 1, 2, 253, 254, 255].pack('C*')))
    idx = described_class.read_idx(path)
    expect(idx.shape).to eq([2, 3])
    expect(idx.values).to eq([0, 1, 2, 253, 254, 255])
    expect(rows(idx.to_narray)).to eq([[0, 1, 2], [253, 254, 255]])
    expect(idx.sum).to eq(765.0)
    expect(idx.head(4)).to eq([0.0, 1.0, 2.0, 253.0])
  end

  it 'reads gzip-compressed int32 and float64 files (big-endian)' do
    path = File.join(@dir, 'b.idx.gz')
    Zlib::GzipWriter.open(path) { |gz| gz.write(idx_bytes(0x0C, [3], [-1, 7, 2**31 - 1].pack('l>*'))) }
    expect(described_class.read_idx(path).values).to eq([-1, 7, 2**31 - 1])
    path2 = File.join(@dir, 'c.idx')
    File.binwrite(path2, idx_bytes(0x0E, [2], [0.1, -2.5].pack('G*')))
    expect(described_class.read_idx(path2).values).to eq([0.1, -2.5])
  end

  it 'refuses a missing, short or malformed file with a FileError naming it' do
    short = File.join(@dir, 's.idx')
    File.binwrite(short, idx_bytes(0x08, [10], [1, 2].pack('C*')))
    bad = File.join(@dir, 'm.idx')
    File.binwrite(bad, "\x01\x02\x08\x01".b)
    gz = File.join(@dir, 'g.idx')
    File.binwrite(gz, "\x1f\x8b\x08\x00garbage".b)
    [short, bad, gz, File.join(@dir, 'none.idx'), @dir].each do |p|
      expect { described_class.read_idx(p) }.to raise_error(described_class::FileError, /\A#{Regexp.escape(p)}: /)
    end
  end

  describe 'load_mnist' do
    # Writes the four files of a MNIST-like directory: 3 training and 2 test images of 2 × 2
    # pixels; +changes+ replaces [type, shape, values] of some of them.
    def write_set(changes = {})
      files = { 'train-images-idx3-ubyte' => [0x08, [3, 2, 2], (0...12).to_a],
                'train-labels-idx1-ubyte' => [0x08, [3], [0, 9, 5]],
                't10k-images-idx3-ubyte' => [0x08, [2, 2, 2], (100...108).to_a],
                't10k-labels-idx1-ubyte' => [0x08, [2], [1, 2]] }.merge(changes)
      files.each do |name, (type, shape, values)|
        payload = type == 0x0C ? values.pack('l>*') : values.pack('C*')
        File.binwrite(File.join(@dir, name), idx_bytes(type, shape, payload))
      end
    end

    def refusal
      described_class.load_mnist(@dir)
      nil
    rescue described_class::FileError => e
      e.message
    end

    it 'reads images as byte / 255.0 rows and labels as integers, the first N of each set' do
      write_set
      x_train, t_train, x_test, t_test = described_class.load_mnist(@dir, train_size: 2, test_size: 5)
      expect(rows(x_train)).to eq([[0.0, 1 / 255.0, 2 / 255.0, 3 / 255.0], [4 / 255.0, 5 / 255.0, 6 / 255.0, 7 / 255.0]])
      expect(t_train.to_a).to eq([0, 9])
      expect(DLScratch::Arrays.shape(x_test)).to eq([2, 4])
      expect(t_test.to_a).to eq([1, 2])
    end

    it 'names the first file that is wrong, and what is wrong with it' do
      write_set('train-images-idx3-ubyte' => [0x0C, [3, 2, 2], (0...12).to_a])
      expect(refusal).to match(%r{/train-images-idx3-ubyte: images must be unsigned bytes .* int32})
      write_set('train-images-idx3-ubyte' => [0x08, [3, 4], (0...12).to_a])
      expect(refusal).to match(%r{/train-images-idx3-ubyte: images must have 3 dimensions .* 2})
      write_set('train-labels-idx1-ubyte' => [0x08, [2], [0, 1]])
      expect(refusal).to match(%r{/train-labels-idx1-ubyte: 2 labels for 3 images})
      write_set('train-labels-idx1-ubyte' => [0x08, [3, 1], [0, 1, 2]])
      expect(refusal).to match(%r{/train-labels-idx1-ubyte: labels must have 1 dimension})
      write_set('train-labels-idx1-ubyte' => [0x08, [3], [0, 10, 255]])
      expect(refusal).to match(%r{/train-labels-idx1-ubyte: label\[1\] = 10 is outside 0\.\.9})
      write_set('t10k-images-idx3-ubyte' => [0x08, [2, 1, 4], (0...8).to_a])
      expect(refusal).to match(%r{/t10k-images-idx3-ubyte: images of 1 × 4 pixels, the training images have 2 × 2})
      write_set('t10k-labels-idx1-ubyte' => [0x08, [2, 2, 2], (0...8).to_a])
      expect(refusal).to match(%r{/t10k-labels-idx1-ubyte: labels must have 1 dimension, the file has 3})
      write_set
      File.binwrite(File.join(@dir, 't10k-images-idx3-ubyte'), idx_bytes(0x08, [2, 2, 2], [1, 2, 3].pack('C*')))
      expect(refusal).to match(%r{/t10k-images-idx3-ubyte: holds 3 data bytes, its header says 8})
      File.delete(File.join(@dir, 't10k-images-idx3-ubyte'))
      expect(refusal).to match(%r{/t10k-images-idx3-ubyte\[\.gz\]: no such file})
    end
  end

  dir = DLScratch::Datasets::DEFAULT_DIR
  it 'loads Fashion-MNIST as byte / 255.0 rows of 784', if: File.directory?(dir) do
    x_train, t_train, x_test, t_test = described_class.load_mnist(dir, train_size: 10, test_size: 5)
    expect(DLScratch::Arrays.shape(x_train)).to eq([10, 784])
    expect(DLScratch::Arrays.shape(x_test)).to eq([5, 784])
    expect(t_train.size).to eq(10)
    expect(t_test.to_a).to all(be_between(0, 9))
    expect(x_train.max).to be <= 1.0
    expect(described_class.read_idx(File.join(dir, 't10k-labels-idx1-ubyte.gz')).shape).to eq([10_000])
  end
end
