# frozen_string_literal: true

require 'json'
require 'optparse'
require 'fileutils'
require_relative 'cli'
require_relative 'datasets'
require_relative 'experiments'
require_relative 'rng'

module DLScratch
  # bin/experiment's command line (shared_tests/README.md §13): one experiment of the book's
  # chapter 6, its result written as JSON for scripts/figures.
  module Experiments
    DEFAULTS = { scale: 1.0, seed: 0, data_dir: Datasets::DEFAULT_DIR, out: nil, quiet: false }.freeze

    module_function

    # The option parser of bin/experiment, filling +opts+.
    # @param opts [Hash] the options, updated in place as they are parsed
    # @return [OptionParser]
    def option_parser(opts)
      OptionParser.new do |o|
        o.program_name = 'bin/experiment'
        o.banner = "Usage: bin/experiment NAME [options]\n\n" \
                   "Run one of the book's chapter-6 experiments and write its result as JSON for scripts/figures.\n" \
                   "NAME is one of:\n#{EXPERIMENTS.map { |name, figure| format('    %-36s %s', name, figure) }.join("\n")}\n\n"
        o.on('--scale S', "fraction of the book's iterations, epochs, trials or rows, 0 < S <= 1 (default: 1)") do |text|
          opts[:scale] = CLI.check(CLI::FiniteFloat.parse(text), 'must be in 0 < S <= 1', shown: text) { |v| v.positive? && v <= 1 }
        end
        o.on('--seed K', OptionParser::DecimalInteger, 'seeds the one generator of the experiment (default: 0)') do |v|
          opts[:seed] = CLI.check(v, "must be in 0 <= seed < #{Rng::SEED_LIMIT}") { (0...Rng::SEED_LIMIT).cover?(v) }
        end
        o.on('--data-dir DIR', "directory with the four IDX files (default: #{DEFAULTS[:data_dir]})") { |v| opts[:data_dir] = v }
        o.on('--out FILE', 'result file (default: experiment-NAME-ruby.json)') { |v| opts[:out] = v }
        o.on('--quiet', 'no progress bar (default: off)') { opts[:quiet] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = true }
      end
    end

    # bin/experiment's arguments.
    # @param argv [Array<String>]
    # @return [Hash] {DEFAULTS} updated from +argv+, with +:name+ and +:out+ set; +:help+ true
    #   (and +:usage+ the text) when --help was given
    # @raise [CLI::UsageError] for a bad option or value, a missing, unknown or extra argument
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = option_parser(opts)
      name, *rest = parser.parse(argv)
      opts[:usage] = parser.help
      return opts if opts[:help]

      raise CLI::UsageError, "missing NAME (one of #{EXPERIMENTS.keys.join(', ')})" if name.nil?
      raise CLI::UsageError, "unknown experiment #{name} (choose from #{EXPERIMENTS.keys.join(', ')})" unless EXPERIMENTS.key?(name)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

      opts.merge(name: name, out: opts[:out] || "experiment-#{name}-ruby.json")
    rescue OptionParser::ParseError => e
      raise CLI::UsageError, CLI.one_line(e)
    end

    # bin/experiment: the options and the --out path checked, the data read and checked (for
    # the experiments that use it), then the experiment, timed, and its record written:
    # {"experiment", "port", "options" => {"scale", "seed", "data_dir"}, "results", "seconds"}.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0, or 2 after one line "bin/experiment: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:usage]
        return 0
      end
      CLI.check_out(opts[:out])
      run = Run.new(Rng.new(opts[:seed]), scale: opts[:scale], data_dir: opts[:data_dir], quiet: opts[:quiet])
      begin
        run.data unless WITHOUT_DATA.include?(opts[:name])
      rescue Datasets::FileError => e
        raise CLI::UsageError, e.message
      end
      start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      results = call(opts[:name], run)
      seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - start
      record = { 'experiment' => opts[:name], 'port' => 'ruby',
                 'options' => { 'scale' => opts[:scale], 'seed' => opts[:seed], 'data_dir' => opts[:data_dir] },
                 'results' => results, 'seconds' => seconds }
      File.write(opts[:out], "#{JSON.generate(record, allow_nan: true)}\n")
      puts format('%s: %.1f s, written to %s', opts[:name], seconds, opts[:out])
      0
    rescue CLI::UsageError => e
      warn "bin/experiment: #{e.message}"
      2
    rescue SystemCallError => e
      warn "bin/experiment: #{e.message}"
      1
    rescue Interrupt
      warn 'bin/experiment: interrupted'
      130
    end
  end
end
