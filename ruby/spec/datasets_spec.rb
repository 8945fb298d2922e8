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

  it 'refuses a missing, short or malformed file with ValueError' do
    short = File.join(@dir, 's.idx')
    File.binwrite(short, idx_bytes(0x08, [10], [1, 2].pack('C*')))
    bad = File.join(@dir, 'm.idx')
    File.binwrite(bad, "\x01\x02\x08\x01".b)
    [short, bad, File.join(@dir, 'none.idx')].each do |p|
      expect { described_class.read_idx(p) }.to raise_error(DLScratch::ValueError)
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
