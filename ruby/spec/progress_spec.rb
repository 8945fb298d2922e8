# frozen_string_literal: true

require 'spec_helper'
require 'stringio'

RSpec.describe DLScratch::ProgressBar do
  it 'draws the bar with its figures when enabled, and nothing on a stream that is not a terminal' do
    io = StringIO.new
    bar = described_class.new(4, width: 4, stream: io, enabled: true)
    bar.update(4, loss: 0.5)
    bar.close
    expect(io.string).to match(%r{\A\r\[####\] 4/4 100%  loss 0\.5000 .*\n\z})
    quiet = StringIO.new
    described_class.new(4, stream: quiet).tap { |b| b.update(4) }.close
    expect(quiet.string).to eq('')
  end

  it 'counts the rate of a resumed run from the steps it started with' do
    io = StringIO.new
    bar = described_class.new(4, width: 4, stream: io, enabled: true, done: 4)
    bar.update(4) # no step since the start: 0 steps a second, not 4 over a few microseconds
    expect(io.string).to include('  0 it/s  eta 0s')
  end
end
