# frozen_string_literal: true

require 'optparse'
# OptionParser's "did you mean" hints; the commands run without RubyGems, which would load it.
require 'did_you_mean'

module DLScratch
  # What bin/train and bin/bench share: every problem with the command line or its files is
  # one line "bin/NAME: <what is wrong>" on stderr and exit status 2.
  module CLI
    # A bad option, value, argument or file, reported in one line.
    class UsageError < StandardError; end

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
  end
end
