# frozen_string_literal: true

require 'json'
require 'narray'
require_relative 'errors'
require_relative 'arrays'
require_relative 'networks'
require_relative 'train'

module DLScratch
  # A request's args checked and converted by interpreting shared_tests/ops.json: each argument
  # in the order listed (present or defaulted, null counting as absent; JSON type and element
  # kind; dimensions; symbols; domain; its +then+ hooks), then the op's limits, then its hooks
  # (+hook_NAME+).
  # An array becomes a float64 NArray (a bare number a Float), a target one-hot or labels.
  module Validate
    NON_FINITE = { 'NaN' => Float::NAN, 'Infinity' => Float::INFINITY, '-Infinity' => -Float::INFINITY }.freeze
    TYPES = { NilClass => 'null', TrueClass => 'a boolean', FalseClass => 'a boolean', Array => 'a list', Hash => 'an object' }.freeze

    module_function

    # @return [Hash] ops.json, read once: $DLSCRATCH_OPS_JSON, else <repo>/shared_tests/ops.json
    def schema = (@schema ||= JSON.parse(File.read(ENV['DLSCRATCH_OPS_JSON'] || File.expand_path('../../../shared_tests/ops.json', __dir__))))

    # @param op [String] an op of ops.json
    # @param raw [Hash{String=>Object}] its args as decoded
    # @return [Hash{Symbol=>Object}] every argument converted (nil: absent, with a null default)
    # @raise [BadArgs, ShapeError, ValueError] for the first argument, limit or hook that fails
    def args(op, raw) = Check.new(schema, op, raw).run

    # @param value [Object] a decoded JSON value
    # @return [String] what it is, for a message
    def json_type(value) = TYPES.fetch(value.class) { "the #{value.is_a?(String) ? 'string' : 'number'} #{value.inspect}" }

    # @param shape [Array<Integer>] row-major
    # @return [String] "2x3", or "a scalar"
    def shape_str(shape) = shape.empty? ? 'a scalar' : shape.join('x')

    # One request's arguments on their way through the contract: the values converted so far,
    # the shapes of the arrays met (a params entry as "params.W1") and the symbols bound.
    class Check
      # the op's +raw+ args against +schema+ (ops.json)
      def initialize(schema, op, raw)
        @schema, @ops, @limits, @raw = schema, schema['ops'], schema['limits'], raw
        @op = @ops.fetch(op)
        @vals, @shapes, @sym = {}, {}, {}
      end

      # the converted arguments (see Validate.args)
      def run
        @op['args'].each do |spec|
          @vals[spec['name']] = argument(spec)
          spec.fetch('then', []).each { |hook| send("hook_#{hook}", spec) }
        end
        @op.fetch('limits', []).each do |lim|
          count = lim['hook'] ? send("hook_#{lim['hook']}") : lim['sum_of_products'].sum { |ts| ts.map { |t| term(t) }.inject(:*) }
          max = @limits['max_elements']
          raise ValueError, "#{lim['what']} would hold #{count} elements, above the limit of #{max}" if count > max
        end
        @op.fetch('hooks', []).each { |hook| send("hook_#{hook}") }
        @vals.transform_keys(&:to_sym)
      end

      private

      def argument(spec)
        v = @raw[spec['name']]
        raise BadArgs, %(missing argument "#{spec['name']}") if v.nil? && !spec.key?('default')
        return if v.nil? && (v = spec['default']).nil?

        send("kind_#{spec['kind']}", v, spec, spec['name'])
      end

      def bad(what, v) = raise(BadArgs, "#{what}, not #{Validate.json_type(v)}")

      def kind_number(v, spec, name)
        domain(v.is_a?(Numeric) ? v.to_f : NON_FINITE.fetch(v) { bad("#{name} must be a number", v) }, spec, name)
      end

      def integer?(v) = v.is_a?(Integer) || (v.is_a?(Float) && v.finite? && v == v.floor)

      def kind_integer(v, spec, name) = integer?(v) ? domain(v.to_i, spec, name) : bad("#{name} must be an integer", v)

      def kind_seed(v, spec, name) = kind_integer(v, spec.merge('min' => 0, 'max' => @limits['seed_limit'] - 1), name)

      def kind_boolean(v, _spec, name) = [true, false].include?(v) ? v : bad("#{name} must be true or false", v)

      def kind_path(v, _spec, name) = v.is_a?(String) ? v : bad("#{name} must be a string", v)

      # min <= x <= max (max may name a limit) and x < max_exclusive; false for NaN.
      def domain(x, spec, name)
        min, max, below = spec.values_at('min', 'max', 'max_exclusive')
        max = @limits.fetch(max) if max.is_a?(String)
        return x if (min.nil? || x >= min) && (max.nil? || x <= max) && (below.nil? || x < below)

        raise ValueError, "#{name} = #{x} is outside #{min || '-inf'}..#{max || "#{below} (excluded)"}"
      end

      def kind_name(v, spec, name)
        key = spec['fold_case'] && v.is_a?(String) ? v.downcase : v
        v.is_a?(String) && spec['choices'].include?(key) ? key : bad("#{name} must be one of #{spec['choices'].join(', ')}", v)
      end

      def kind_name_or_number(v, spec, name) = v.is_a?(String) ? kind_name(v, spec, name) : kind_number(v, {}, name)

      # As many integers as spec's symbols (a list: BadArgs; their count: ShapeError), each in
      # 1..max_elements, bound to those symbols in order.
      def kind_dims(v, spec, name)
        bad("#{name} must be a list of integers", v) unless v.is_a?(Array)
        v.each_with_index { |x, i| bad("#{name}[#{i}] must be an integer", x) unless integer?(x) }
        symbols = spec['symbols']
        raise ShapeError, "#{name} has #{v.size} entries, not #{symbols.size} (#{symbols.join(' ')})" unless v.size == symbols.size

        symbols.each_with_index.map do |sym, i|
          n = domain(v[i].to_i, { 'min' => 1, 'max' => 'max_elements' }, "#{name}[#{i}]")
          bind(sym, n, name)
          n
        end
      end

      # An object of spec's integer fields (missing or null: the field's default; another key:
      # BadArgs) as a Hash with Symbol keys, each field bound as the symbol of its own name.
      def kind_record(v, spec, name)
        bad("#{name} must be an object", v) unless v.is_a?(Hash)
        fields = spec['fields'].map { |f| f['name'] }
        unknown = (v.keys - fields).min
        raise BadArgs, "#{name} has no field #{unknown.inspect} (fields: #{fields.join(', ')})" if unknown

        spec['fields'].to_h do |field|
          key = field['name']
          x = send("kind_#{field['kind']}", v[key].nil? ? field['default'] : v[key], field, "#{name}.#{key}")
          bind(key, x, name)
          [key.to_sym, x]
        end
      end

      def kind_int_list(v, spec, name)
        bad("#{name} must be a list of integers", v) unless v.is_a?(Array) && v.all? { |x| integer?(x) }
        v.each_with_index.map { |x, i| domain(x.to_i, spec, "#{name}[#{i}]") }
      end

      # A nested list of numbers (ragged: BadArgs) as an NArray of the shape the pattern allows.
      def kind_array(v, spec, name)
        shape = shape_of(v, name)
        raise ShapeError, "#{name} has #{shape.size} dimensions, above #{@limits['max_ndim']}" if shape.size > @limits['max_ndim']

        flat = (v.is_a?(Array) ? v.flatten : [v]).map! { |e| e.is_a?(Numeric) ? e.to_f : kind_number(e, {}, "an element of #{name}") }
        raise ShapeError, "#{name} is empty (#{Validate.shape_str(shape)})" if shape.include?(0)

        fit(shape, spec['shape'], name)
        @shapes[name] = shape
        shape.empty? ? flat[0] : NArray.to_na(flat).reshape!(*shape.reverse)
      end
      alias kind_array_or_number kind_array

      def shape_of(v, name)
        return [] unless v.is_a?(Array)

        rows = v.map { |e| shape_of(e, name) }.uniq
        raise BadArgs, "#{name} is ragged: its rows differ in length or depth" if rows.size > 1

        [v.size, *rows[0]]
      end

      # "*"; "=name", the shape of an argument or output; or alternatives "D | N D..." chosen by
      # ndim, whose symbols bind the first time and must match afterwards.
      def fit(shape, pattern, name)
        return if pattern == '*'

        if pattern.start_with?('=')
          want = @shapes[pattern[1..]] || derived(@op['ok'][pattern[1..]]['shape'])
          return if shape == want

          raise ShapeError, "#{name} is #{Validate.shape_str(shape)} but #{pattern[1..]} is #{Validate.shape_str(want)}"
        end
        dims = pattern.split(' | ').map(&:split).find { |a| a.last.end_with?('...') ? shape.size >= a.size : shape.size == a.size }
        raise ShapeError, "#{name} is #{Validate.shape_str(shape)}, which is not #{pattern}" unless dims

        dims.each_with_index { |d, i| bind(d.chomp('...'), d.end_with?('...') ? shape[i..].inject(:*) : shape[i], name) }
      end

      def bind(sym, got, name)
        want = resolve(sym)
        return @sym[sym] = got if want.nil?
        raise ShapeError, "#{name} has #{got} where #{sym} is #{want}" unless want == got
      end

      # A dimension: a literal, a bound symbol, an integer argument or a product "a*b" of those;
      # nil when a factor is unbound.
      def resolve(sym)
        if sym.include?('*')
          factors = sym.split('*').map { |f| resolve(f) }
          return factors.include?(nil) ? nil : factors.inject(:*)
        end
        sym.match?(/\A\d+\z/) ? sym.to_i : @sym[sym] || (@vals[sym] if @vals[sym].is_a?(Integer))
      end

      # The shape a pattern names now: its last alternative whose dimensions are all known.
      def derived(pattern) = pattern.split(' | ').map { |a| a.split.map { |d| resolve(d) } }.reverse.find { |d| !d.include?(nil) }

      # One-hot (the scores' shape) or labels, one integer per row in 0..C-1: an NArray of N for
      # N×C scores, an Integer for C scores.
      def kind_target(v, spec, name)
        scores = @shapes[spec['scores']] || derived(spec['scores'])
        t = kind_array(v, { 'shape' => '*' }, name)
        ts = @shapes[name]
        raise ShapeError, "#{name} must be labels, one integer per row" if ts == scores && spec['kind'] == 'labels'
        return t if ts == scores

        n, c = scores.size == 1 ? [1, scores[0]] : scores
        unless (scores.size == 1 ? [[], [1]] : [[n]]).include?(ts)
          raise ShapeError, "#{name} must be #{n} label(s) or one-hot #{Validate.shape_str(scores)}, not #{Validate.shape_str(ts)}"
        end

        labels = (ts.empty? ? [t] : t.to_a).each_with_index.map do |l, i|
          raise BadArgs, "#{name}[#{i}] = #{l} is not an integer label" unless integer?(l)
          raise ValueError, "#{name}[#{i}] = #{l.to_i} is outside 0..#{c - 1}" unless l >= 0 && l < c

          l.to_i
        end
        scores.size == 2 ? NArray.to_na(labels) : labels[0]
      end

      alias kind_labels kind_target

      # An object of arrays with the keys (and shapes) of spec's keys or of its keys_hook.
      def kind_params(v, spec, name)
        bad("#{name} must be an object", v) unless v.is_a?(Hash)
        (spec['keys'] || send("hook_#{spec['keys_hook']}", v)).to_h do |key, pattern|
          # a null entry is a missing key, except where the keys are the object's own
          raise ShapeError, "#{name} has no #{key}" if v[key].nil? && pattern != '*'

          [key, kind_array(v[key], { 'shape' => pattern }, "#{name}.#{key}")]
        end
      end

      def kind_grads_seq(v, spec, name)
        like = @vals[spec['like']]
        bad("#{name} must be a list of objects", v) unless v.is_a?(Array)
        v.each_with_index.map do |grads, i|
          bad("#{name}[#{i}] must be an object", grads) unless grads.is_a?(Hash)
          raise ShapeError, "#{name}[#{i}] has keys #{grads.keys.sort}, #{spec['like']} #{like.keys.sort}" unless grads.keys.sort == like.keys.sort

          grads.to_h { |k, g| [k, kind_array(g, { 'shape' => "=#{spec['like']}.#{k}" }, "#{name}[#{i}].#{k}")] }
        end
      end

      def kind_hyper(v, _spec, name)
        bad("#{name} must be an object", v) unless v.is_a?(Hash)
        v.to_h { |k, x| [k.to_sym, kind_number(x, {}, "#{name}.#{k}")] }
      end

      # {"name": a name of optimizer.run = "sgd", "hyper": hyper = {}} as {name:, hyper:}
      def kind_optimizer(v, _spec, name)
        bad("#{name} must be an object", v) unless v.is_a?(Hash)
        choices = @ops['optimizer.run']['args'].find { |a| a['name'] == 'name' }
        { name: kind_name(v['name'].nil? ? 'sgd' : v['name'], choices, "#{name}.name"),
          hyper: kind_hyper(v['hyper'].nil? ? {} : v['hyper'], nil, "#{name}.hyper") }
      end

      # {"kind": one of spec's kinds, ...} as {kind:, ...}: the other keys checked as the
      # arguments of the op <kind>.init (its limits and hooks too) except seed, an error of
      # theirs prefixed "NAME: "; S0 and SL bound to its input_size and output_size (C, IH, IW
      # and SL to input_dim and output_size for simple_conv_net).
      def kind_network(v, spec, name)
        bad("#{name} must be an object", v) unless v.is_a?(Hash)
        kind = v['kind']
        bad("#{name}.kind must be one of #{spec['kinds'].join(', ')}", kind) unless spec['kinds'].include?(kind)
        net = begin
          Check.new(@schema, "#{kind}.init", v.except('kind', 'seed')).run.except(:seed)
        rescue Error => e
          raise e.class, "#{name}: #{e.message}"
        end
        bind_network(kind, net)
        { kind: kind, **net }
      end

      # The kinds of network whose input is N×C×IH×IW.
      CONVOLUTIONAL = %w[simple_conv_net deep_conv_net].freeze
      # The kinds of network a parameters file may hold (those bin/train saves).
      MODEL_KINDS = %w[two_layer_net simple_conv_net deep_conv_net].freeze

      # S0 (a dense network's input_size) or C, IH, IW (a convolutional one's input_dim), and SL.
      def bind_network(kind, net)
        if CONVOLUTIONAL.include?(kind)
          @sym.update(%w[C IH IW].zip(net[:input_dim]).to_h, 'SL' => net[:output_size])
        else
          @sym.update('S0' => net[:input_size], 'SL' => net[:output_size])
        end
      end

      # A factor of a limit: "step_num", "init_x.size", "x_train.columns".
      def term(text)
        arg, attr = text.split('.')
        { nil => -> { @vals[arg] }, 'size' => -> { @shapes[arg].inject(:*) }, 'columns' => -> { @shapes[arg].last } }.fetch(attr).call
      end

      def layer_sizes = [@vals['input_size'], *@vals['hidden_size_list'], @vals['output_size']]

      # Σ_i S_{i-1}·S_i, the weights of a multi_layer_net
      def hook_layer_sizes = layer_sizes.each_cons(2).sum { |a, b| a * b }

      # W{i}: S_{i-1} x S_i, b{i}: S_i; S0 and SL bound for x and t
      def hook_layer_params(_params)
        s = layer_sizes
        @sym.update('S0' => s.first, 'SL' => s.last)
        (1...s.size).flat_map { |i| [["W#{i}", "#{s[i - 1]} #{s[i]}"], ["b#{i}", s[i].to_s]] }.to_h
      end

      # layer_params, and with batch norm gamma{i}, beta{i}: S_i for every hidden layer
      def hook_extend_params(params)
        keys = hook_layer_params(params)
        hidden_sizes.each { |i, size| keys.update("gamma#{i}" => size, "beta#{i}" => size) }
        keys
      end

      # with batch norm running_mean{i}, running_var{i}: S_i for every hidden layer; no keys without
      def hook_running_stats(_stats) = hidden_sizes.flat_map { |i, size| [["running_mean#{i}", size], ["running_var#{i}", size]] }.to_h

      # [i, "S_i"] of every hidden layer with batch norm (none without)
      def hidden_sizes = @vals['use_batchnorm'] ? layer_sizes[1...-1].map.with_index(1) { |size, i| [i, size.to_s] } : []

      # int(epochs·iter_per_epoch)·mini_batch_size, iter_per_epoch = max(N / mini_batch_size, 1)
      # in float64 as the book's
      def hook_trainer_steps
        batch = @vals['mini_batch_size']
        (@vals['epochs'] * [@shapes['x_train'][0].fdiv(batch), 1.0].max).to_i * batch
      end

      # The op's window FH × FW (its "window" tokens) fits the padded image, FH <= IH + 2·pad
      # and FW <= IW + 2·pad (ShapeError); binds OH = (IH + 2·pad − FH) // stride + 1 and OW.
      def hook_window(_spec)
        fh, fw = window
        stride, pad = resolve('stride'), resolve('pad')
        [['height', 'IH', fh, 'OH'], ['width', 'IW', fw, 'OW']].each do |side, size, f, out|
          size = @sym[size]
          raise ShapeError, "the window's #{side} #{f} is larger than the padded input's #{size} + 2·#{pad}" if f > size + (2 * pad)

          @sym[out] = ((size + (2 * pad) - f) / stride) + 1
        end
      end

      # The 2×2 pooling of stride 2 after the convolution: OH, OW >= 2 (ShapeError); binds
      # PH = OH // 2 and PW = OW // 2.
      def hook_pool_window(_spec)
        oh, ow = @sym.values_at('OH', 'OW')
        raise ShapeError, "the convolution's output #{oh}x#{ow} is smaller than the 2x2 pooling" if [oh, ow].min < 2

        @sym.update('PH' => oh / 2, 'PW' => ow / 2)
      end

      # N·C·(IH + 2·pad)·(IW + 2·pad) + N·OH·OW·C·FH·FW: the padded image and col (exact Integers)
      def hook_im2col_size
        fh, fw = window
        pad = resolve('pad')
        n, c, ih, iw, oh, ow = @sym.values_at('N', 'C', 'IH', 'IW', 'OH', 'OW')
        (n * c * (ih + (2 * pad)) * (iw + (2 * pad))) + (n * oh * ow * c * fh * fw)
      end

      # filter_num·k + filter_num·PH·PW·hidden + hidden·output with k = C·filter_size², plus
      # N·OH·OW·k (the col of x) for an op with x
      def hook_conv_net_size
        filters, hidden, k = @sym['filter_num'], @vals['hidden_size'], @sym['C'] * (@sym['filter_size']**2)
        col = @vals.key?('x') ? @sym['N'] * @sym['OH'] * @sym['OW'] * k : 0
        (filters * k) + (filters * @sym['PH'] * @sym['PW'] * hidden) + (hidden * @vals['output_size']) + col
      end

      # The trainer's images: 2-D (N×S0) for a dense network, 4-D for a convolutional one
      # (ShapeError); the network that of the argument +source+.
      def hook_network_input(spec, source = 'network')
        kind, ndim = @vals[source][:kind], @shapes[spec['name']].size
        want = CONVOLUTIONAL.include?(kind) ? 4 : 2
        raise ShapeError, "#{spec['name']} is #{ndim}-D, but a #{kind} takes #{want}-D input" unless ndim == want
      end

      # model.evaluate's x: as the trainer's images, for the network of the parameters file
      def hook_model_input(spec) = hook_network_input(spec, 'path')

      # DeepConvNet's image through its convolutions (s + 2·pad − 2) and poolings (s // 2), each
      # side at least 1 (ShapeError); binds PH, PW, the last pooling's output.
      def hook_deep_geometry(_spec)
        ih, iw = @sym.values_at('IH', 'IW')
        sizes = DeepConvNet.sizes(ih, iw)
        raise ShapeError, "a #{ih}x#{iw} image is too small for DeepConvNet's three poolings (at least 4x4)" if sizes.flatten.min < 1

        @sym['PH'], @sym['PW'] = sizes.last
      end

      # Σ_i (F_i·C_i·9 + F_i) + 64·PH·PW·hidden + hidden·(1 + output) + output, plus for an op
      # with x the largest convolution's col N·OH_i·OW_i·C_i·9
      def hook_deep_conv_net_size
        c, ih, iw, ph, pw = @sym.values_at('C', 'IH', 'IW', 'PH', 'PW')
        hidden, out = @vals.values_at('hidden_size', 'output_size')
        sizes = DeepConvNet.sizes(ih, iw)
        channels = [c, *DeepConvNet::CONVS[0...-1].map(&:first)]
        inputs = [[ih, iw], *sizes.values_at(0, 2, 3, 5, 6)]
        convs = DeepConvNet::CONVS.zip(channels, inputs)
        weights = convs.sum { |(f, _), ci, _| (f * ci * 9) + f } + (64 * ph * pw * hidden) + (hidden * (1 + out)) + out
        cols = convs.map { |(_, pad), ci, (h, w)| ci * 9 * (h + (2 * pad) - 2) * (w + (2 * pad) - 2) }
        weights + (@vals.key?('x') ? @shapes['x'][0] * cols.max : 0)
      end

      # The parameters file at path (README §8) as {kind:, the network's arguments, params:}:
      # format and version, its network checked as the network kind checks one, its params
      # exactly the keys (in order) and shapes that <kind>.init draws; any fault ValueError.
      def hook_model_file(spec)
        path = @vals[spec['name']]
        record = begin
          Train.read_params(path)
        rescue SystemCallError, IOError, JSON::ParserError, EncodingError => e
          raise ValueError, "cannot read #{path} as JSON: #{e.message.lines.first&.strip}"
        end
        begin
          unless record.is_a?(Hash) && record['format'] == 'dlscratch-params' && record['version'] == 1
            raise BadArgs, 'it has no "format": "dlscratch-params", "version": 1'
          end

          net = kind_network(record['network'], { 'kinds' => MODEL_KINDS }, 'network')
          like = NETWORKS.fetch(net[:kind]).call(**net.except(:kind)).params
          @vals[spec['name']] = { **net, params: model_params(record['params'], like) }
        rescue Error => e
          raise ValueError, "#{path} is not a parameters file of section 8: #{e.message}"
        end
      end

      # The params of a parameters file, each checked against the array of +like+ of its key
      def model_params(arrays, like)
        bad('params must be an object', arrays) unless arrays.is_a?(Hash)
        raise BadArgs, "its params are #{arrays.keys.join(', ')}, not #{like.keys.join(', ')}" unless arrays.keys == like.keys

        like.to_h do |key, want|
          entry = arrays[key]
          bad("params.#{key} must be an object", entry) unless entry.is_a?(Hash)
          shape = kind_int_list(entry['shape'], { 'min' => 0, 'max' => 'max_elements' }, "params.#{key}.shape")
          data = entry['data']
          bad("params.#{key}.data must be a list", data) unless data.is_a?(Array)
          data = data.map { |x| kind_number(x, {}, "params.#{key}.data") }
          want_shape = Arrays.shape(want)
          unless shape == want_shape && data.size == shape.inject(1, :*)
            raise BadArgs, "params.#{key} is #{Validate.shape_str(shape)} with #{data.size} numbers, not #{Validate.shape_str(want_shape)}"
          end

          [key, NArray.to_na(data).reshape!(*shape.reverse)]
        end
      end

      # FH and FW of the op's "window" tokens
      def window = @op['window'].map { |t| resolve(t) }

      def hook_any_keys(params) = params.keys.to_h { |k| [k, '*'] }

      def hook_momentum_domain
        m = @vals['hyper'][:momentum]
        raise ValueError, "momentum = #{m} is outside [0, 1]" if m && %w[momentum nesterov].include?(@vals['name']) && !(0..1).cover?(m)
      end
    end
  end
end
