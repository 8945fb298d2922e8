# frozen_string_literal: true

require 'spec_helper'
require 'optparse'

RSpec.describe DLScratch::CLI do
  # The error OptionParser raises for +argv+ (with one option, --quiet).
  def parse_error(*argv)
    OptionParser.new { |o| o.on('--quiet') }.parse!(argv)
    nil
  rescue OptionParser::ParseError => e
    e
  end

  it 'puts an OptionParser error in one line, with its suggestions folded in' do
    expect(described_class.one_line(parse_error('--bogus'))).to eq('invalid option: --bogus')
    expect(described_class.one_line(parse_error('--quite'))).to match(/\Ainvalid option: --quite( \(did you mean --quiet\?\))?\z/)
  end

  it 'takes finite decimal numbers only, and names the value it refuses' do
    expect(described_class::FiniteFloat.parse('.5')).to eq(0.5)
    expect(described_class::FiniteFloat.parse('-1e-3')).to eq(-0.001)
    %w[0x10 1_0 inf nan 1e999].each do |text|
      expect { described_class::FiniteFloat.parse(text) }.to raise_error(OptionParser::InvalidArgument, /#{text}/)
    end
    expect(described_class.check(3, 'must be odd', &:odd?)).to eq(3)
    expect { described_class.check(4, 'must be odd', &:odd?) }.to raise_error(OptionParser::InvalidArgument, /4 \(must be odd\)/)
  end
end
