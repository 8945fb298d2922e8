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
end
