# frozen_string_literal: true

require 'spec_helper'
require 'open3'
require 'shellwords'

# The README's examples run as written: each ```ruby block on its own (in ruby/, as a reader
# pastes it), every "CODE  # => VALUE" line compared with CODE's inspect; each "$ COMMAND"
# line of a ```console block compared with what the command prints (stdout and stderr).
RSpec.describe 'README.md' do
  root = File.expand_path('..', __dir__)
  readme = File.read(File.join(root, 'README.md'))
  blocks = readme.scan(/^```(\w+)\n(.*?)^```$/m)
  ruby_blocks = blocks.select { |lang, _| lang == 'ruby' }.map(&:last)
  console_blocks = blocks.select { |lang, _| lang == 'console' }.map(&:last)
  number = /-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/i

  # The block as a program that prints "k<TAB>inspect" for the k-th "# =>" line, and the
  # expected inspects.
  def instrument(code)
    expected = []
    program = code.lines.map do |line|
      stmt, value = line.chomp.split(/\s+# => /, 2)
      next line unless value && !stmt.strip.empty?

      expected << value
      "puts \"#{expected.size - 1}\\t\#{(#{stmt.strip}).inspect.gsub(\"\\n\", '\\n')}\"\n"
    end
    [program.join, expected]
  end

  # Text and numbers alike, except that numbers written with a point or an exponent agree
  # within 1e-14 relative (about 45 ulps): they went through NArray's matrix products, exp and
  # sums, whose last bits may differ on another machine or build; the largest such difference
  # seen, Ruby against the Python reference's OpenBLAS, is 6e-16 after 200 training steps.
  # A value off before its 14th significant digit is caught.
  def same_output?(got, want, number)
    split = ->(s) { s.split(/(#{number})/) }
    g = split.call(got)
    w = split.call(want)
    g.size == w.size && g.zip(w).each_with_index.all? do |(a, b), i|
      next a == b if i.even? || !b.match?(/[.e]/i)

      (a.to_f - b.to_f).abs <= 1e-14 * b.to_f.abs
    end
  end

  it 'has examples that state what they print' do
    expect(ruby_blocks.size).to be >= 2
    expect(ruby_blocks.join.scan(/# => /).size).to be >= 10
    expect(console_blocks.join.scan(/^\$ /).size).to be >= 3
  end

  ruby_blocks.each_with_index do |code, k|
    it "runs ruby example #{k + 1} and prints what it says" do
      program, expected = instrument(code)
      out, err, status = Open3.capture3('ruby', '-', stdin_data: program, chdir: root)
      expect(status).to be_success, err
      got = out.lines.filter_map { |l| l.chomp.split("\t", 2) if l.match?(/\A\d+\t/) }.to_h { |i, v| [i.to_i, v] }
      expected.each_with_index do |want, i|
        want_inspect = want.sub(/\s+#.*\z/, '') # a remark after the value
        expect(same_output?(got[i].to_s, want_inspect, number))
          .to be(true), "README: #{code.lines.grep(/# => /)[i].strip}\n  prints #{got[i].inspect}"
      end
    end
  end

  console_blocks.each_with_index do |text, k|
    it "runs console example #{k + 1} and prints what it says" do
      text.split(/^\$ /).reject(&:empty?).each do |session|
        command, *want = session.lines.map(&:chomp)
        out, = Open3.capture2e(*Shellwords.split(command), chdir: root)
        expect(out.lines.map(&:chomp)).to eq(want), "README: $ #{command}"
      end
    end
  end
end
