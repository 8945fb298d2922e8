# frozen_string_literal: true

require 'json'
require 'optparse'
require 'open3'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'
require_relative 'cli'

module DLScratch
  # bin/bench (shared_tests/README.md §9): times one TwoLayerNet training step (784-50-10,
  # batch 100, float64: forward, backward, SGD update) and prints the median ms per step,
  # next to the Python reference's figure measured in the same run.
  module Bench
    INPUT = 784
    HIDDEN = 50
    OUTPUT = 10
    BATCH = 100
    ROOT = File.expand_path('../../..', __dir__)
    DEFAULTS = { repeats: 7, steps: 50, reference: true, json: false }.freeze


    module_function

    # bin/bench's options.
    # @param argv [Array<String>]
    # @return [Hash] {DEFAULTS} updated from +argv+; +:help+ holds the usage text when --help
    #   was given
    # @raise [CLI::UsageError] for an unknown option, a missing or bad value, an extra argument
    def parse_options(argv)
      opts = DEFAULTS.dup
      parser = OptionParser.new do |o|
        o.program_name = 'bin/bench'
        o.banner = "Usage: bin/bench [options]\n\n" \
                   "Median ms per TwoLayerNet training step (#{INPUT}-#{HIDDEN}-#{OUTPUT}, batch #{BATCH}, float64,\n" \
                   "forward + backward + SGD) of the Ruby port, and of the Python reference in the same run.\n\n"
        o.on('--repeats N', OptionParser::DecimalInteger, 'timed repeats; the median is reported (default: 7)') do |v|
          opts[:repeats] = at_least_one(v)
        end
        o.on('--steps N', OptionParser::DecimalInteger, 'steps per repeat (default: 50)') { |v| opts[:steps] = at_least_one(v) }
        o.on('--no-reference', 'do not run the Python reference beside it (default: run it)') { opts[:reference] = false }
        o.on('--json', 'print one JSON object as the last line (default: off)') { opts[:json] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = o.help }
      end
      rest = parser.parse(argv)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

      opts
    rescue OptionParser::ParseError => e
      raise CLI::UsageError, CLI.one_line(e)
    end

    # @param value [Integer] a --repeats or --steps value
    # @return [Integer] the value
    # @raise [OptionParser::InvalidArgument] when it is below 1
    def at_least_one(value)
      raise OptionParser::InvalidArgument.new(value.to_s, '(must be >= 1)') unless value >= 1

      value
    end

    # The step as the book writes it: every layer's backward, the first Affine's dx included
    # (TwoLayerNet#gradient skips that product: nobody uses the gradient of the input).
    # @param net [TwoLayerNet]
    # @param x [NArray] a batch
    # @param t [NArray] its labels
    # @return [Hash{String=>NArray}] dW1, db1, dW2, db2 under the keys of +net.params+
    def book_gradient(net, x, t)
      net.loss(x, t)
      dout = net.last_layer.backward(1.0)
      net.layers.values.reverse_each { |layer| dout = layer.backward(dout) }
      { 'W1' => net.layers['Affine1'].dW, 'b1' => net.layers['Affine1'].db,
        'W2' => net.layers['Affine2'].dW, 'b2' => net.layers['Affine2'].db }
    end

    # @param values [Array<Float>] at least one
    # @return [Float] the median (the mean of the middle two for an even count)
    def median(values)
      s = values.sort
      s.size.odd? ? s[s.size / 2] : (s[(s.size / 2) - 1] + s[s.size / 2]) / 2.0
    end

    # ms per step of each repeat, after 3 warm-up steps.
    # @param repeats [Integer]
    # @param steps [Integer] steps per repeat
    # @param book [Boolean] time {book_gradient} instead of TwoLayerNet#gradient
    # @return [Array<Float>] one figure per repeat
    def step_times(repeats, steps, book: false)
      rng = Rng.new(0)
      x = rng.rand(BATCH, INPUT)
      t = NArray.to_na(Array.new(BATCH) { |i| i % OUTPUT })
      net = TwoLayerNet.new(INPUT, HIDDEN, OUTPUT, rng: rng)
      opt = Optimizers::SGD.new(lr: 0.1)
      step = -> { opt.update(net.params, book ? book_gradient(net, x, t) : net.gradient(x, t)) }
      3.times { step.call } # warm-up
      Array.new(repeats) do
        start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        steps.times { step.call }
        1000.0 * (Process.clock_gettime(Process::CLOCK_MONOTONIC) - start) / steps
      end
    end

    # The same step timed with plain numpy, where the reference package is not installed.
    PY_SNIPPET = <<~PY
      import json, time, statistics, numpy as np
      rng = np.random.default_rng(0)
      x = rng.random((100, 784)); t = np.arange(100) % 10
      W1 = 0.01 * rng.standard_normal((784, 50)); b1 = np.zeros(50)
      W2 = 0.01 * rng.standard_normal((50, 10)); b2 = np.zeros(10)
      def step():
          a1 = x @ W1 + b1; mask = a1 <= 0; z1 = a1.copy(); z1[mask] = 0
          a2 = z1 @ W2 + b2; e = np.exp(a2 - a2.max(axis=1, keepdims=True)); y = e / e.sum(axis=1, keepdims=True)
          d = y.copy(); d[np.arange(100), t] -= 1; d /= 100
          dW2 = z1.T @ d; db2 = d.sum(axis=0); dz1 = d @ W2.T; dz1[mask] = 0
          dW1 = x.T @ dz1; db1 = dz1.sum(axis=0); dx = dz1 @ W1.T
          for p, g in ((W1, dW1), (b1, db1), (W2, dW2), (b2, db2)): p -= 0.1 * g
      times = []
      for _ in range(REPEATS):
          s = time.perf_counter()
          for _ in range(STEPS): step()
          times.append(1000 * (time.perf_counter() - s) / STEPS)
      print(json.dumps({"ms_per_step": statistics.median(times)}))
    PY

    # The Python reference's ms per step: its bench module, or the same step timed with numpy.
    # @param repeats [Integer]
    # @param steps [Integer]
    # @return [Array(Float, String), Array(nil, String)] the figure (nil if it could not be
    #   measured) and how it was measured
    def python_ms(repeats, steps)
      py = File.join(ROOT, '.venv', 'bin', 'python')
      return [nil, 'no .venv/bin/python'] unless File.executable?(py)

      out, status = Open3.capture2(py, '-m', 'dlscratch.bench', '--json', '--repeats', repeats.to_s, '--steps', steps.to_s,
                                   chdir: File.join(ROOT, 'python'), err: File::NULL)
      how = 'python -m dlscratch.bench'
      unless status.success?
        out, status = Open3.capture2(py, '-c', PY_SNIPPET.gsub('REPEATS', repeats.to_s).gsub('STEPS', steps.to_s),
                                     err: File::NULL)
        how = 'numpy snippet'
      end
      return [nil, 'the Python reference failed'] unless status.success?

      [JSON.parse(out.lines.last)['ms_per_step'], how]
    end

    # bin/bench.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0, or 2 after one line "bin/bench: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:help]
        return 0
      end
      report(opts)
      0
    rescue CLI::UsageError => e
      warn "bin/bench: #{e.message}"
      2
    end

    # Measures and prints: a table, or with +opts[:json]+ one JSON object.
    # @param opts [Hash] as {parse_options} returns them
    # @return [void]
    def report(opts)
      ruby_times = step_times(opts[:repeats], opts[:steps])
      book_times = step_times(opts[:repeats], opts[:steps], book: true)
      ruby_ms = median(ruby_times)
      book_ms = median(book_times)
      py_ms, py_how = opts[:reference] ? python_ms(opts[:repeats], opts[:steps]) : [nil, 'not run']

      if opts[:json]
        puts JSON.generate(port: 'ruby', ms_per_step: ruby_ms, ms_per_step_book: book_ms, repeats: ruby_times,
                           python_ms_per_step: py_ms, ratio: py_ms && (ruby_ms / py_ms))
        return
      end
      puts format('ruby    %.3f ms/step (median of %d x %d; TwoLayerNet#gradient, no input gradient)',
                  ruby_ms, opts[:repeats], opts[:steps])
      puts format('ruby    %.3f ms/step (every backward of the book, the first Affine dx included)', book_ms)
      if py_ms
        puts format('python  %.3f ms/step (%s, same run)', py_ms, py_how)
        puts format('ratio   %.1fx (%.1fx for the book step)', ruby_ms / py_ms, book_ms / py_ms)
      else
        puts "python  - (#{py_how})"
      end
    end
  end
end
