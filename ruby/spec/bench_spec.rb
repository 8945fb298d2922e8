# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'dlscratch/bench'

RSpec.describe DLScratch::Bench do
  describe 'bin/bench' do
    it '--help lists every option with its default' do
      out = expect_help('bench')
      %w[--repeats --steps --no-reference --json].each do |flag|
        expect(out).to match(/^\s*#{flag}\b.*\(default: [^)]+\)$/), "#{flag} without its default"
      end
    end

    it 'refuses bad options and values in one line, exit status 2' do
      expect_refused('bench', '--repeats', '0', /--repeats 0 \(must be >= 1\)/)
      expect_refused('bench', '--steps', '0', /--steps 0 \(must be >= 1\)/)
      expect_refused('bench', '--repeats', 'abc', /--repeats abc/)
      expect_refused('bench', '--steps', /missing argument: --steps/)
      expect_refused('bench', '--bogus', /invalid option: --bogus/)
      expect_refused('bench', '--no-python', /invalid option: --no-python/)
    end

    it 'prints one JSON object as the last line with --json' do
      out, err, status = run_cmd('bench', '--repeats', '1', '--steps', '1', '--no-reference', '--json')
      expect(status).to be_success, err
      h = JSON.parse(out.lines.last)
      expect(h).to include('port' => 'ruby', 'python_ms_per_step' => nil)
      expect(h['ms_per_step']).to be > 0
    end
  end
end
