# frozen_string_literal: true

require 'spec_helper'
require 'json'

RSpec.describe DLScratch::Blas do
  # A float64 matrix of the given row-major shape with values in [-1, 1).
  def random_matrix(rows, cols, seed)
    DLScratch::Rng.new(seed).rand(rows, cols) * 2.0 - 1.0
  end

  # Every element of a within a few ulps of the products' size of b: |a - b| <= 1e-13.
  def expect_close(a, b)
    expect(DLScratch::Arrays.shape(a)).to eq(DLScratch::Arrays.shape(b))
    expect((a - b).abs.max).to be <= 1e-13
  end

  it 'is available here (libopenblas0-pthread is installed)' do
    expect(described_class.available?).to be(true), described_class.fallback_reason
  end

  it 'reads the data of an NArray, of a reshaped one and of a slice' do
    a = NArray.float(3, 2).indgen!
    expect(described_class.data_pointer(a)[0, 48].unpack('d6')).to eq([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])
    expect(described_class.data_pointer(a.reshape(2, 3))[0, 16].unpack('d2')).to eq([0.0, 1.0])
    expect(described_class.data_pointer(a[true, 1])[0, 24].unpack('d3')).to eq([3.0, 4.0, 5.0])
  end

  it 'multiplies as NArray does: A·B, Aᵀ·B and A·Bᵀ, within rounding' do
    a = random_matrix(7, 5, 1)
    b = random_matrix(5, 3, 2)
    c = random_matrix(7, 3, 3)
    d = random_matrix(4, 3, 4)
    t = DLScratch::Arrays.method(:t)
    expect_close(described_class.gemm(a, b), DLScratch::Arrays.narray_dot(a, b))
    expect_close(described_class.gemm(a, c, trans_a: true), DLScratch::Arrays.narray_dot(t.call(a), c))
    expect_close(described_class.gemm(c, d, trans_b: true), DLScratch::Arrays.narray_dot(c, t.call(d)))
    expect(DLScratch::Arrays.shape(described_class.gemm(a, b))).to eq([7, 3])
  end

  it 'refuses shapes that do not fit' do
    expect { described_class.gemm(random_matrix(2, 3, 1), random_matrix(2, 3, 2)) }.to raise_error(ArgumentError)
  end

  it 'passes non-float64 products to NArray' do
    expect(DLScratch::Arrays.dot(NArray.to_na([[1, 2]]), NArray.to_na([[3], [4]])).to_a).to eq([[11]])
  end

  describe "with #{described_class::DISABLE}=1" do
    # bin/bench --check on small sizes, with the environment given.
    def check_step(env)
      out, err, status = Open3.capture3(env, File.join(BinHelpers::BIN, 'bench'), '--check', '--hidden', '7', '--batch', '5')
      expect(status).to be_success, err
      [JSON.parse(out), err]
    end

    it "uses NArray's own products silently, and the step agrees with OpenBLAS's within rounding" do
      blas, = check_step({})
      narray, err = check_step(described_class::DISABLE => '1')
      expect(err).to eq('')
      expect(narray['loss']).to be_within(1e-15).of(blas['loss'])
      expect(narray['dx1']).to be_all_close(blas['dx1'], rtol: 1e-12, atol: 1e-15)
      blas['grads'].each { |key, g| expect(narray['grads'][key]).to be_all_close(g, rtol: 1e-12, atol: 1e-15) }
    end

    it 'says so in bin/bench' do
      out, err, status = Open3.capture3({ described_class::DISABLE => '1' }, File.join(BinHelpers::BIN, 'bench'),
                                        '--repeats', '1', '--steps', '1', '--no-reference', '--json')
      expect(status).to be_success, err
      expect(JSON.parse(out.lines.last)['products']).to eq("NArray (#{described_class::DISABLE} is set)")
    end
  end

  describe 'without the library' do
    it 'warns in one line on stderr, once, and computes the same step with NArray' do
      env = { described_class::LIBRARY_VARIABLE => '/nonexistent/libopenblas.so.0' }
      out, err, status = Open3.capture3(env, File.join(BinHelpers::BIN, 'bench'), '--check', '--hidden', '7', '--batch', '5')
      expect(status).to be_success, err
      expect(err.lines.size).to eq(1)
      expect(err).to match(%r{\Adlscratch: /nonexistent/libopenblas.so.0 not loaded \(.*\); matrix products use NArray's own\n\z})
      out2, = Open3.capture3({ described_class::DISABLE => '1' }, File.join(BinHelpers::BIN, 'bench'), '--check', '--hidden', '7',
                             '--batch', '5')
      expect(out).to eq(out2)
    end
  end
end
