# frozen_string_literal: true

$LOAD_PATH.unshift File.expand_path('../lib', __dir__)
require 'dlscratch'

module SpecHelpers
  # A float64 NArray from rows written as in the book (row-major).
  def na(rows)
    DLScratch::Arrays.from_rows(rows)
  end

  # Nested Ruby arrays (row-major) of an NArray, or the Float itself.
  def rows(a)
    DLScratch::Arrays.to_rows(a)
  end

  # Max |a - b| over two arrays or numbers of the same shape.
  def max_abs_diff(a, b)
    a = a.is_a?(NArray) ? a : NArray[a.to_f]
    b = b.is_a?(NArray) ? b : NArray[b.to_f]
    expect(a.shape).to eq(b.shape)
    (a - b).abs.max
  end
end

RSpec::Matchers.define :be_all_close do |*args|
  expected, opts = args
  rtol = (opts || {}).fetch(:rtol, 1e-9)
  atol = (opts || {}).fetch(:atol, 1e-12)
  match do |actual|
    got = actual.is_a?(NArray) ? actual.to_a.flatten : Array(actual).flatten
    want = expected.is_a?(NArray) ? expected.to_a.flatten : Array(expected).flatten
    shape_ok = !actual.is_a?(NArray) || !expected.is_a?(NArray) || actual.shape == expected.shape
    shape_ok && got.size == want.size &&
      got.zip(want).all? { |g, w| (w.respond_to?(:nan?) && w.nan? ? g.nan? : (g - w).abs <= atol + (rtol * w.abs)) }
  end
  failure_message do |actual|
    "expected #{DLScratch::Arrays.to_rows(actual).inspect} to be close to #{DLScratch::Arrays.to_rows(expected).inspect} " \
      "(rtol #{rtol}, atol #{atol})"
  end
end

RSpec.configure do |config|
  config.include SpecHelpers
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  config.disable_monkey_patching!
  config.order = :defined
end
