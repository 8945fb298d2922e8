# frozen_string_literal: true

require 'json'
require 'optparse'
require 'open3'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'
require_relative 'cli'

module DLScratch
  # bin/bench (shared_tests/README.md §9): times the book's TwoLayerNet training step
  # (forward, SoftmaxWithLoss, the whole backward with the first Affine's dx, SGD with lr 0.1;
  # float64), or with --net simple_conv_net chapter 7's SimpleConvNet step (the convolution's
  # dx1 = col2im(dout·W_col) included), or with --net deep_conv_net chapter 8's DeepConvNet step
  # (a training-mode pass with the masks of seed 0), on the §9 inputs and prints the median ms
  # per step, next to the Python reference's figure measured in the same run.
  module Bench
    INPUT = 784
    OUTPUT = 10
    LR = 0.1
    WARM_UP = 3
    ROOT = File.expand_path('../../..', __dir__)
    DEFAULTS = { net: 'two_layer_net', repeats: 7, steps: 50, hidden: nil, batch: 100, check: false, reference: true,
                 json: false }.freeze
    # --hidden's default for each --net.
    HIDDEN = { 'two_layer_net' => 50, 'simple_conv_net' => 100, 'deep_conv_net' => 50 }.freeze
    # The layers whose dW, db are each net's gradients W1, b1, W2, b2, ... in order.
    GRADIENT_LAYERS = { 'two_layer_net' => %w[Affine1 Affine2], 'simple_conv_net' => %w[Conv1 Affine1 Affine2],
                        'deep_conv_net' => (1..6).map { |i| "Conv#{i}" } + %w[Affine1 Affine2] }.freeze
    # SimpleConvNet's convolution (the book's conv_param) on 28 × 28 images: 30 filters of
    # 5 × 5, an output of 24 × 24.
    FILTERS = 30
    FILTER_SIZE = 5
    CONV_OUT = 24

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
                   "Median ms per TwoLayerNet training step (#{INPUT}-hidden-#{OUTPUT}, float64: forward, loss, the\n" \
                   "whole backward, SGD), or with --net simple_conv_net / deep_conv_net per SimpleConvNet /\n" \
                   "DeepConvNet step, of the Ruby port, and of the Python reference in the same run.\n\n"
        nets = HIDDEN.keys
        o.on('--net NAME', "#{nets[0...-1].join(', ')} or #{nets[-1]} (default: two_layer_net)") do |v|
          opts[:net] = CLI.check(v, "choose from #{nets.join(', ')}") { nets.include?(v) }
        end
        positive = lambda do |flag, text|
          o.on("--#{flag} N", OptionParser::DecimalInteger, "#{text} (default: #{DEFAULTS[flag]})") do |v|
            opts[flag] = at_least_one(v)
          end
        end
        positive.call(:repeats, 'timed repeats; the median is reported')
        positive.call(:steps, 'steps per repeat')
        o.on('--hidden N', OptionParser::DecimalInteger, 'hidden units (default: 50; 100 for simple_conv_net)') do |v|
          opts[:hidden] = at_least_one(v)
        end
        positive.call(:batch, 'images per batch')
        o.on('--check', 'instead of timing: the loss, dx1 and gradients of one step as one JSON line (default: off)') do
          opts[:check] = true
        end
        o.on('--no-reference', 'do not run the Python reference beside it (default: run it)') { opts[:reference] = false }
        o.on('--json', 'print one JSON object as the last line (default: off)') { opts[:json] = true }
        o.on('-h', '--help', 'this help') { opts[:help] = o.help }
      end
      rest = parser.parse(argv)
      raise CLI::UsageError, "unexpected argument: #{rest.first}" unless rest.empty?

      opts[:hidden] ||= HIDDEN.fetch(opts[:net])
      opts
    rescue OptionParser::ParseError => e
      raise CLI::UsageError, CLI.one_line(e)
    end

    # @param value [Integer] a value of --repeats, --steps, --hidden or --batch
    # @return [Integer] the value
    # @raise [OptionParser::InvalidArgument] when it is below 1
    def at_least_one(value)
      raise OptionParser::InvalidArgument.new(value.to_s, '(must be >= 1)') unless value >= 1

      value
    end

    # The §9 inputs: one generator seeded with 0 draws x = rand(batch, 784) first (as
    # N×1×28×28 for the conv nets), then the network's weights as its init draws them (std 0.01;
    # DeepConvNet's He scales, its masks those of seed 0); t_i = i mod 10.
    # @param hidden [Integer]
    # @param batch [Integer]
    # @param net [String] two_layer_net, simple_conv_net or deep_conv_net
    # @return [Array(TwoLayerNet, NArray, NArray), Array(SimpleConvNet, NArray, NArray),
    #   Array(DeepConvNet, NArray, NArray)] the network, x and t
    def inputs(hidden, batch, net = 'two_layer_net')
      rng = Rng.new(0)
      x = rng.rand(batch, INPUT)
      t = NArray.int(batch).indgen! % OUTPUT
      images = x.reshape(28, 28, 1, batch)
      case net
      when 'simple_conv_net' then [SimpleConvNet.new(hidden_size: hidden, rng: rng), images, t]
      when 'deep_conv_net' then [DeepConvNet.new(hidden_size: hidden, rng: rng, dropout_seed: 0), images, t]
      else [TwoLayerNet.new(INPUT, hidden, OUTPUT, rng: rng), x, t]
      end
    end

    # Multiply-adds of the step's matrix products, 2 flops each: per Affine x·W, xᵀ·dout and
    # dout·Wᵀ; for the conv nets also each convolution's col·W_colᵀ, doutᵀ·col and dout·W_col
    # (per image OH·OW·FN·C·FH·FW each).
    # @param hidden [Integer]
    # @param batch [Integer]
    # @param net [String]
    # @return [Integer]
    def flops_per_step(hidden, batch, net = 'two_layer_net')
      return 3 * 2 * batch * deep_multiply_adds(hidden) if net == 'deep_conv_net'
      return 3 * 2 * batch * ((INPUT * hidden) + (hidden * OUTPUT)) if net == 'two_layer_net'

      pooled = FILTERS * ((CONV_OUT / 2)**2)
      conv = batch * CONV_OUT * CONV_OUT * FILTERS * FILTER_SIZE * FILTER_SIZE
      3 * 2 * (conv + (batch * ((pooled * hidden) + (hidden * OUTPUT))))
    end

    # DeepConvNet's multiply-adds of one image's forward products on 28 × 28: each convolution's
    # OH·OW·FN·C·9 (28·28·16·9, 28·28·16·144, 14·14·32·144, 16·16·32·288, 8·8·64·288, 8·8·64·576)
    # and the Affines' 64·PH·PW·hidden + hidden·10: 8,772,340 for hidden 50.
    # @param hidden [Integer]
    # @return [Integer]
    def deep_multiply_adds(hidden)
      sizes = DeepConvNet.sizes(28, 28)
      outs = sizes.values_at(0, 1, 3, 4, 6, 7) # after each convolution; the others are the poolings'
      channels = [1, *DeepConvNet::CONVS.map(&:first)]
      convs = DeepConvNet::CONVS.each_with_index.sum { |(filters, _), i| outs[i].inject(:*) * filters * channels[i] * 9 }
      ph, pw = sizes.last
      convs + (channels.last * ph * pw * hidden) + (hidden * OUTPUT)
    end

    # One step of the book's gradient (its loop, keeping the loss and dx1) on the §9 inputs,
    # before its update; DeepConvNet's loss is its training-mode pass (the masks of seed 0).
    # @param hidden [Integer]
    # @param batch [Integer]
    # @param net [String]
    # @return [Hash] "loss", "dx1" (rows) and "grads" (W1, b1, W2, b2, ... as rows: 3 pairs for
    #   the SimpleConvNet, 8 for the DeepConvNet)
    def check(hidden, batch, net = 'two_layer_net')
      network, x, t = inputs(hidden, batch, net)
      loss = network.loss(x, t)
      dout = network.last_layer.backward(1.0)
      network.layers.values.reverse_each { |layer| dout = layer.backward(dout) }
      grads = GRADIENT_LAYERS.fetch(net).each.with_index(1).each_with_object({}) do |(name, i), g|
        g["W#{i}"] = network.layers[name].dW
        g["b#{i}"] = network.layers[name].db
      end
      { 'loss' => loss, 'dx1' => dout.to_a, 'grads' => grads.transform_values(&:to_a) }
    end

    # @param values [Array<Float>] at least one
    # @return [Float] the median (the mean of the middle two for an even count)
    def median(values)
      s = values.sort
      s.size.odd? ? s[s.size / 2] : (s[(s.size / 2) - 1] + s[s.size / 2]) / 2.0
    end

    # Minor page faults of this process so far (field 10 of /proc/self/stat; 0 without /proc).
    # @return [Integer]
    def minor_faults
      File.read('/proc/self/stat').rpartition(')').last.split[7].to_i
    rescue SystemCallError
      0
    end

    # ms per step of each repeat of +steps+ book steps (the network's #gradient, then SGD), after
    # 3 warm-up steps, and the minor page faults per timed step.
    # @param repeats [Integer]
    # @param steps [Integer] steps per repeat
    # @param hidden [Integer]
    # @param batch [Integer]
    # @param net [String]
    # @return [Array(Array<Float>, Float)] one figure per repeat, and the faults per step
    def step_times(repeats, steps, hidden, batch, net = 'two_layer_net')
      net, x, t = inputs(hidden, batch, net)
      opt = Optimizers::SGD.new(lr: LR)
      WARM_UP.times { opt.update(net.params, net.gradient(x, t)) }
      faults = 0
      times = Array.new(repeats) do
        f0 = minor_faults
        start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
        steps.times { opt.update(net.params, net.gradient(x, t)) }
        ms = 1000.0 * (Process.clock_gettime(Process::CLOCK_MONOTONIC) - start) / steps
        faults += minor_faults - f0
        ms
      end
      [times, faults.fdiv(repeats * steps)]
    end

    # The Python reference's ms per step (python/bin/bench --json with the same options).
    # @param opts [Hash] as {parse_options} returns them
    # @return [Array(Float, String), Array(nil, String)] the figure (nil if it could not be
    #   measured) and how it was measured
    def python_ms(opts)
      bench = File.join(ROOT, 'python', 'bin', 'bench')
      return [nil, 'no python/bin/bench'] unless File.executable?(bench)

      args = %i[net repeats steps hidden batch].flat_map { |k| ["--#{k}", opts[k].to_s] }
      out, status = Open3.capture2(bench, '--json', *args, chdir: File.join(ROOT, 'python'), err: File::NULL)
      return [nil, 'the Python reference failed'] unless status.success?

      [JSON.parse(out.lines.last)['ms_per_step'], 'python/bin/bench']
    end

    # bin/bench.
    # @param argv [Array<String>]
    # @return [Integer] the exit status: 0, or 2 after one line "bin/bench: ..." on stderr
    def main(argv = ARGV)
      opts = parse_options(argv)
      if opts[:help]
        puts opts[:help]
      elsif opts[:check]
        puts JSON.generate(check(opts[:hidden], opts[:batch], opts[:net]))
      else
        report(opts)
      end
      0
    rescue CLI::UsageError => e
      warn "bin/bench: #{e.message}"
      2
    end

    # Measures and prints: a table, or with +opts[:json]+ one JSON object as the last line.
    # @param opts [Hash] as {parse_options} returns them
    # @return [void]
    def report(opts)
      times, faults = step_times(opts[:repeats], opts[:steps], opts[:hidden], opts[:batch], opts[:net])
      ms = median(times)
      gflops = flops_per_step(opts[:hidden], opts[:batch], opts[:net]) / (ms * 1e6)
      py_ms, py_how = opts[:reference] ? python_ms(opts) : [nil, 'not run']
      products = Blas.available? ? 'OpenBLAS' : "NArray (#{Blas.fallback_reason})"
      if opts[:json]
        puts JSON.generate(port: 'ruby', net: opts[:net], ms_per_step: ms, page_faults_per_step: faults, repeats: times,
                           gflops: gflops, products: products, python_ms_per_step: py_ms,
                           ratio: py_ms && (ms / py_ms))
        return
      end
      shape = { 'two_layer_net' => "#{INPUT}-#{opts[:hidden]}-#{OUTPUT}",
                'simple_conv_net' => "conv 30x5x5-pool-#{opts[:hidden]}-#{OUTPUT}",
                'deep_conv_net' => "6 convs 3x3 16-16-32-32-64-64, 3 pools-#{opts[:hidden]}-#{OUTPUT}" }.fetch(opts[:net])
      puts format('ruby    %<ms>.3f ms/step (%<shape>s, batch %<b>d; median of %<r>d x %<s>d)  ' \
                  '%<g>.2f GFLOP/s  %<f>.1f page faults/step  products: %<p>s',
                  ms: ms, shape: shape, b: opts[:batch], r: opts[:repeats], s: opts[:steps], g: gflops, f: faults,
                  p: products)
      if py_ms
        puts format('python  %.3f ms/step (%s, same run)', py_ms, py_how)
        puts format('ratio   %.2fx', ms / py_ms)
      else
        puts "python  - (#{py_how})"
      end
    end
  end
end
