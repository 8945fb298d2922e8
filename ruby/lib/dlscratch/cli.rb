# frozen_string_literal: true

require 'optparse'
require 'fileutils'
# OptionParser's "did you mean" hints; the commands run without RubyGems, which would load it.
require 'did_you_mean'

module DLScratch
  # What bin/train, bin/bench and bin/experiment share: every problem with the command line or
  # its files is one line "bin/NAME: <what is wrong>" on stderr and exit status 2.
  module CLI
    # A bad option, value, argument or file, reported in one line.
    class UsageError < StandardError; end

    # The type of a real-valued option (--lr, --scale): a decimal number whose value is finite.
    class FiniteFloat
      # 1, -2.5, .5, 1e-3 (no hex, no underscores, no inf or nan)
      PATTERN = /\A[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?\z/i

      # @param text [String] the option's argument
      # @return [Float]
      # @raise [OptionParser::InvalidArgument] for text that is not a number, or one beyond the
      #   float64 range (1e999)
      def self.parse(text)
        raise OptionParser::InvalidArgument, text unless PATTERN.match?(text)

        value = Float(text)
        raise OptionParser::InvalidArgument.new(text, '(must be finite)') unless value.finite?

        value
      end
    end

    module_function

    # An OptionParser error in one line. Its message is "invalid argument: --iters 0", "missing
    # argument: --iters" or "invalid option: --bogus"; did_you_mean's suggestions, on lines
    # of their own, are folded in: "invalid option: --no-quiet (did you mean --quiet?)".
    # @param error [OptionParser::ParseError]
    # @return [String]
    def one_line(error)
      first, *rest = error.message.lines.map(&:strip)
      hints = rest.join(' ').sub(/\ADid you mean\?/, '').split
      hints.empty? ? first : "#{first} (did you mean #{hints.map { |h| "--#{h}" }.join(' or ')}?)"
    end

    # Checks a value an option block received.
    # @param value [Numeric, String] the converted value
    # @param reason [String] what it must be, for the message
    # @param shown [String] the value as the message shows it (the text typed, say)
    # @yieldparam value [Numeric, String]
    # @yieldreturn [Boolean] whether the value is acceptable
    # @return [Numeric, String] the value
    # @raise [OptionParser::InvalidArgument] "invalid argument: --OPT SHOWN (REASON)"
    def check(value, reason, shown: value.to_s)
      raise OptionParser::InvalidArgument.new(shown, "(#{reason})") unless yield value

      value
    end

    # Refuses an output file (--out, --save-params) whose directory cannot be made or written,
    # before any work.
    # @param path [String]
    # @param option [String] the option that named it, for the message
    # @return [void]
    # @raise [UsageError]
    def check_out(path, option = '--out')
      dir = File.dirname(path)
      FileUtils.mkdir_p(dir)
      raise UsageError, "#{option} #{path}: is a directory" if File.directory?(path)
      raise UsageError, "#{option} #{path}: #{dir} is not writable" unless File.writable?(dir)
    rescue SystemCallError => e
      raise UsageError, "#{option} #{path}: cannot create #{dir} (#{e.message.sub(/ @ .*/m, '')})"
    end
  end
end
