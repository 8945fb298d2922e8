# frozen_string_literal: true

$LOAD_PATH.unshift File.expand_path('../lib', __dir__)
require 'dlscratch'
require 'open3'

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

# Running the executables of bin/.
module BinHelpers
  BIN = File.expand_path('../bin', __dir__)

  # [stdout, stderr, exit status] of bin/CMD with the arguments.
  def run_cmd(cmd, *args)
    Open3.capture3(File.join(BIN, cmd), *args)
  end

  # A refusal: nothing on stdout, exactly one line "bin/CMD: ..." on stderr, exit status 2.
  def expect_refused(cmd, *args, message)
    out, err, status = run_cmd(cmd, *args)
    expect(status.exitstatus).to eq(2), "#{cmd} #{args.join(' ')}: exit #{status.exitstatus}, stderr #{err.inspect}"
    expect(out).to eq('')
    expect(err.lines.size).to eq(1), "#{cmd} #{args.join(' ')}: #{err.inspect}"
    expect(err.chomp).to start_with("bin/#{cmd}: ")
    expect(err.chomp).to match(message)
  end

  # bin/CMD --help exits 0 with a usage line naming it.
  def expect_help(cmd)
    out, status = Open3.capture2e(File.join(BIN, cmd), '--help')
    expect(status).to be_success
    expect(out).to match(%r{usage: bin/#{cmd}}i)
    out
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
  config.include BinHelpers
  config.expect_with(:rspec) { |c| c.syntax = :expect }
  config.disable_monkey_patching!
  config.order = :defined
end
