# frozen_string_literal: true

require 'json'
require_relative 'errors'
require_relative 'arrays'
require_relative 'functions'
require_relative 'gates'
require_relative 'graph'
require_relative 'gradient'
require_relative 'layers'
require_relative 'networks'
require_relative 'optimizers'
require_relative 'rng'
require_relative 'datasets'
require_relative 'train'

module DLScratch
  # The conformance runner (shared_tests/README.md): one JSON request per line on stdin,
  # one answer per line on stdout.
  #
  # Arrays travel as nested lists, row-major. Inside, a JSON array becomes a float64 NArray
  # (its shape reversed, see Arrays) and a JSON number a Float; non-finite numbers are the
  # strings "NaN", "Infinity", "-Infinity" both ways.
  module Runner
    NON_FINITE_IN = { 'NaN' => Float::NAN, 'Infinity' => Float::INFINITY,
                      '-Infinity' => -Float::INFINITY }.freeze
    MISSING = Object.new.freeze
    SEED_LIMIT = 2**31
    # Most dimensions an array may have (shared_tests/README.md §2); deeper JSON nesting than
    # MAX_NESTING is not a request.
    MAX_NDIM = 32
    MAX_NESTING = 1000

    # An error that is not one of the protocol's (a bug): type "InternalError".
    class InternalError < Error; end

    # Describes a JSON value for error messages.
    def self.json_type(v)
      case v
      when nil then 'null'
      when true, false then 'a boolean'
      when Numeric then 'a number'
      when String then "the string #{v.inspect}"
      when Array then 'a list'
      else 'an object'
      end
    end

    # "2x3", or "a scalar"
    def self.shape_str(shape)
      shape.empty? ? 'a scalar' : shape.join('x')
    end

    # Typed access to a request's arguments, raising the protocol's errors. A JSON null
    # counts as absent.
    class Args
      # @return [Hash{String=>Object}] the decoded JSON object
      attr_reader :raw

      # @param raw [Hash{String=>Object}] the request's "args"
      def initialize(raw)
        @raw = raw
      end

      # @param name [String]
      # @return [Boolean] whether the argument is present and not null
      def has?(name)
        !@raw[name].nil?
      end

      # The raw JSON value; BadArgs when missing without a default.
      def get(name, default = MISSING)
        return @raw[name] unless @raw[name].nil?
        raise BadArgs, %(missing argument "#{name}") if default.equal?(MISSING)

        default
      end

      # A float64 NArray (or a Float for a JSON number); +ndims+ lists the allowed numbers
      # of dimensions (0 = a scalar). A ragged list or a non-number element is BadArgs; a
      # wrong ndim or a size-0 dimension is ShapeError.
      def array(name, ndims: nil, default: MISSING, value: MISSING)
        v = value.equal?(MISSING) ? get(name, default) : value
        return v if v.is_a?(NArray)

        shape = Runner.shape_of(v, name)
        raise ShapeError, "#{name} has #{shape.size} dimensions, more than #{MAX_NDIM}" if shape.size > MAX_NDIM

        flat = []
        Runner.flatten(v, flat, name)
        if ndims && !ndims.include?(shape.size)
          want = ndims.map { |d| "#{d}-D" }.join(' or ')
          raise ShapeError, "#{name} must be #{want}, but it is #{shape.size}-D (#{Runner.shape_str(shape)})"
        end
        return flat[0] if shape.empty?

        raise ShapeError, "#{name} is empty (#{Runner.shape_str(shape)})" if shape.include?(0)

        NArray.to_na(flat).to_type(NArray::DFLOAT).reshape!(*shape.reverse)
      end

      # A number or an array, as given.
      def scalar_or_array(name)
        get(name).is_a?(Array) ? array(name) : number(name)
      end

      # @param name [String]
      # @param default [Object] the value when absent (else BadArgs)
      # @return [Float] a JSON number or "NaN", "Infinity", "-Infinity"
      # @raise [BadArgs] for anything else
      def number(name, default = MISSING)
        Runner.scalar(get(name, default), name)
      end

      # An integer (a float with an integral value counts); ValueError outside min..max.
      def integer(name, default = MISSING, min: 1, max: Arrays::MAX_ELEMENTS)
        v = get(name, default)
        unless v.is_a?(Integer) || (v.is_a?(Float) && v.finite? && v == v.floor)
          raise BadArgs, "#{name} must be an integer, not #{v.is_a?(Float) ? v : Runner.json_type(v)}"
        end

        n = v.to_i
        raise ValueError, "#{name} = #{n} must be at least #{min}" if min && n < min
        raise ValueError, "#{name} = #{n} is larger than the limit #{max}" if max && n > max

        n
      end

      # @param name [String]
      # @param default [Object] the value when absent (else BadArgs)
      # @return [Integer] 0 <= seed < 2**31
      # @raise [BadArgs] for a non-integer
      # @raise [ValueError] outside the range
      def seed(name = 'seed', default = MISSING)
        integer(name, default, min: 0, max: SEED_LIMIT - 1)
      end

      # @param name [String]
      # @param default [Object] the value when absent (else BadArgs)
      # @return [Boolean]
      # @raise [BadArgs] for a non-boolean
      def boolean(name, default = MISSING)
        v = get(name, default)
        raise BadArgs, "#{name} must be true or false, not #{Runner.json_type(v)}" unless [true, false].include?(v)

        v
      end

      # One of +choices+, as written, or lower-cased first where the book lower-cases the
      # name (weight_init_std, the optimizer's name).
      # @param name [String] the argument
      # @param choices [Array<String>] the accepted names, in lower case
      # @param default [Object] the value when the argument is absent (else BadArgs)
      # @param fold_case [Boolean] compare +value.downcase+ (Python's str.lower)
      # @return [String] the name, lower-cased when +fold_case+
      # @raise [BadArgs] for a non-string or another name
      def choice(name, choices, default = MISSING, fold_case: false)
        v = get(name, default)
        v = v.downcase if fold_case && v.is_a?(String)
        return v if v.is_a?(String) && choices.include?(v)

        shown = v.is_a?(String) ? v.inspect : Runner.json_type(v)
        raise BadArgs, "#{name} must be one of #{choices.join(', ')}, not #{shown}"
      end

      # @param name [String]
      # @param default [Object] the value when absent (else BadArgs)
      # @return [Hash] a JSON object
      # @raise [BadArgs] for anything else
      def obj(name, default = MISSING)
        v = get(name, default)
        raise BadArgs, "#{name} must be an object, not #{Runner.json_type(v)}" unless v.is_a?(Hash)

        v
      end

      # A list of integers, each >= 1.
      def int_list(name, default = MISSING)
        v = get(name, default)
        ok = v.is_a?(Array) && v.all? do |x|
          x.is_a?(Integer) || (x.is_a?(Float) && x.finite? && x == x.floor)
        end
        raise BadArgs, "#{name} must be a list of integers" unless ok

        v.map(&:to_i).each_with_index.map do |n, i|
          raise ValueError, "#{name}[#{i}] = #{n} must be at least 1" if n < 1

          n
        end
      end

      # An object of named arrays with exactly the given (row-major) shapes.
      def params(name, shapes)
        raw = obj(name)
        shapes.to_h do |key, shape|
          raise ShapeError, "#{name} has no #{key}" if raw[key].nil?

          arr = array("#{name}.#{key}", value: raw[key])
          got = Arrays.shape(arr)
          raise ShapeError, "#{name}.#{key} is #{Runner.shape_str(got)} but must be #{Runner.shape_str(shape)}" unless got == shape

          [key, arr]
        end
      end
    end

    module_function

    # A JSON number (or a non-finite string) as a Float.
    def scalar(v, where)
      return v.to_f if v.is_a?(Integer) || v.is_a?(Float)
      return NON_FINITE_IN[v] if v.is_a?(String) && NON_FINITE_IN.key?(v)

      raise BadArgs, "#{where} must be a number, not #{json_type(v)}"
    end

    # The row-major shape of a nested list (BadArgs when ragged).
    def shape_of(v, name)
      return [] unless v.is_a?(Array)
      return [0] if v.empty?

      first = shape_of(v[0], name)
      v.drop(1).each do |item|
        next if (item.is_a?(Array) ? shape_of(item, name) : []) == first

        raise BadArgs, "#{name} is ragged: its rows differ in length or depth"
      end
      [v.size, *first]
    end

    # Appends the numbers of a nested list to +out+ in row-major order.
    # @param v [Array, Object] a nested list or one number
    # @param out [Array<Float>]
    # @param name [String] the argument, for the message
    # @raise [BadArgs] for an element that is not a number
    def flatten(v, out, name)
      if v.is_a?(Array)
        v.each { |item| flatten(item, out, name) }
      else
        out << scalar(v, "every element of #{name}")
      end
    end

    # Refuses what an argument asks for above {Arrays::MAX_ELEMENTS} elements, before it is
    # allocated.
    # @param count [Integer]
    # @param what [String] for the message
    # @raise [ValueError]
    def check_elements(count, what)
      return if count <= Arrays::MAX_ELEMENTS

      raise ValueError, "#{what} would hold #{count} elements, above the limit of #{Arrays::MAX_ELEMENTS}"
    end

    # @param arrays [Hash{Symbol=>NArray, Float}] named arrays (or scalars)
    # @raise [ShapeError] unless all have the first one's shape
    def same_shape(**arrays)
      (name0, a0), *rest = arrays.to_a
      rest.each do |name, a|
        next if Arrays.shape(a) == Arrays.shape(a0)

        raise ShapeError, "#{name} is #{shape_str(Arrays.shape(a))} but #{name0} is #{shape_str(Arrays.shape(a0))}"
      end
    end

    # Validates a target t for the batch y (1-D = one sample, 2-D = N rows of C classes):
    # one-hot (y's shape; returned as a float NArray) or labels (0 <= label < C; returned as
    # an Array of Integers for a 2-D y, one Integer for a 1-D y).
    def target(t_raw, y_shape, name = 't')
      args = Args.new(name => t_raw)
      t = t_raw.is_a?(Array) ? args.array(name) : args.number(name)
      t_shape = Arrays.shape(t)
      t_size = t_shape.inject(1, :*)
      y_size = y_shape.inject(1, :*)
      n, c = y_shape.size == 1 ? [1, y_shape[0]] : y_shape
      return t if t_shape == y_shape

      if t_size == y_size && !t_shape.empty? && (t_shape.size != 1 || y_shape.size != 2 || n != y_size)
        raise ShapeError, "one-hot #{name} is #{shape_str(t_shape)} but y is #{shape_str(y_shape)}"
      end

      if y_shape.size == 1
        if t_size != 1 || t_shape.size > 1
          raise ShapeError, "#{name} must be one label (or one-hot of #{c}) for a 1-D y, but it is #{shape_str(t_shape)}"
        end
      elsif t_shape.size != 1 || t_shape[0] != n
        raise ShapeError, "#{name} must hold #{n} labels (or be one-hot #{n}x#{c}), but it is #{shape_str(t_shape)}"
      end

      flat = t.is_a?(NArray) ? t.to_a.flatten : [t]
      labels = flat.each_with_index.map do |v, i|
        raise BadArgs, "#{name}[#{i}] = #{v} is not an integer label" unless v.finite? && v == v.floor
        raise ValueError, "#{name}[#{i}] = #{v.to_i} is outside 0..#{c - 1}" unless v >= 0 && v < c

        v.to_i
      end
      y_shape.size == 2 ? labels : labels[0]
    end

    # Plain JSON values: NArrays as nested lists, non-finite floats as strings.
    def encode(value)
      case value
      when NArray then encode(value.to_a)
      when Hash then value.to_h { |k, v| [k.to_s, encode(v)] }
      when Array then value.map { |v| encode(v) }
      when true then 1
      when false then 0
      when Float
        if value.nan? then 'NaN'
        elsif value.infinite? then value.positive? ? 'Infinity' : '-Infinity'
        else value
        end
      else value
      end
    end

    # One answer line. Ruby's Float#to_s is the shortest representation that reads back to
    # the same double, and JSON uses it.
    def encode_answer(req_id, ok: nil, error: nil)
      body = if error
               { 'id' => req_id, 'error' => { 'type' => error.type, 'message' => error.message } }
             else
               { 'id' => req_id, 'ok' => encode(ok) }
             end
      JSON.generate(body, max_nesting: false)
    end

    # The operations, name => method.
    OPS = {}

    # Defines the op(s) +names+.
    # @param names [Array<String>]
    # @yieldparam args [Args]
    # @yieldreturn [Hash] the ok-object
    def self.op(*names, &block)
      names.each { |n| OPS[n] = block }
    end

    # --- chapter 2 ---------------------------------------------------------------------------

    %w[and nand or xor].each do |g|
      op("gate.#{g}") { |a| { y: Gates.public_send(g, a.number('x1'), a.number('x2')) } }
    end

    # --- chapter 3: functions ----------------------------------------------------------------

    { 'fn.identity' => :identity, 'fn.step' => :step, 'fn.sigmoid' => :sigmoid,
      'fn.sigmoid_grad' => :sigmoid_grad, 'fn.relu' => :relu, 'fn.relu_grad' => :relu_grad }.each do |name, fn|
      op(name) { |a| { y: Functions.public_send(fn, a.array('x')) } }
    end

    op('fn.softmax') { |a| { y: Functions.softmax(a.array('x', ndims: [1, 2])) } }

    op('loss.sum_squared_error') do |a|
      y = a.array('y')
      t = a.array('t')
      same_shape(y: y, t: t)
      { loss: Functions.sum_squared_error(y, t) }
    end

    op('loss.cross_entropy_error') do |a|
      y = a.array('y', ndims: [1, 2])
      t = target(a.get('t'), Arrays.shape(y))
      { loss: Functions.cross_entropy_error(y, t) }
    end

    # --- chapter 4: numerical gradients ------------------------------------------------------

    NAMED_FUNCTIONS = %w[function_1 function_2].freeze

    # The named function as a block of one argument giving a number (Σ over an array).
    def named_function(a)
      name = a.choice('f', NAMED_FUNCTIONS)
      lambda do |v|
        r = Gradient.public_send(name, v)
        Arrays.pairwise_sum(r)
      end
    end

    op('grad.numerical_diff') do |a|
      f = named_function(a)
      { d: Gradient.numerical_diff(a.number('x'), &f) }
    end

    op('grad.numerical_gradient') do |a|
      f = named_function(a)
      x = a.array('x', ndims: [1, 2])
      { grad: Gradient.numerical_gradient(x, &f) }
    end

    op('grad.gradient_descent') do |a|
      f = named_function(a)
      x = a.array('init_x', ndims: [1, 2])
      lr = a.number('lr', 0.01)
      steps = a.integer('step_num', 100)
      check_elements(steps * x.size, 'step_num x init_x')
      { x: Gradient.gradient_descent(x, lr: lr, step_num: steps, &f) }
    end

    # The SimpleNet of W and x (and t) of a simple_net.* request.
    # @param a [Args]
    # @param with_t [Boolean] read t as well
    # @return [Array] [net, x] or [net, x, t]
    # @raise [ShapeError] when x does not fit W
    def simple_net_inputs(a, with_t)
      w = a.array('W', ndims: [2])
      x = a.array('x', ndims: [1, 2])
      unless Arrays.shape(x)[-1] == Arrays.shape(w)[0]
        raise ShapeError, "W is #{shape_str(Arrays.shape(w))} but x has #{Arrays.shape(x)[-1]} columns"
      end

      net = SimpleNet.new(w)
      t = with_t ? target(a.get('t'), Arrays.shape(net.predict(x))) : nil
      [net, x, t]
    end

    op('simple_net.predict') do |a|
      net, x, = simple_net_inputs(a, false)
      { p: net.predict(x) }
    end

    op('simple_net.loss') do |a|
      net, x, t = simple_net_inputs(a, true)
      { loss: net.loss(x, t) }
    end

    op('simple_net.numerical_gradient') do |a|
      net, x, t = simple_net_inputs(a, true)
      { dW: net.numerical_gradient(x, t) }
    end

    # --- chapter 5: layers -------------------------------------------------------------------

    { 'layer.mul' => MulLayer, 'layer.add' => AddLayer }.each do |name, klass|
      op(name) do |a|
        x = a.scalar_or_array('x')
        y = a.scalar_or_array('y')
        dout = a.scalar_or_array('dout')
        same_shape(x: x, y: y, dout: dout)
        layer = klass.new
        out = layer.forward(x, y)
        dx, dy = layer.backward(dout)
        { out: out, dx: dx, dy: dy }
      end
    end

    op('graph.buy_apple') do |a|
      Graph.buy_apple(apple: a.number('apple'), apple_num: a.number('apple_num'), tax: a.number('tax'),
                      dprice: a.number('dprice'))
    end

    op('graph.buy_apple_orange') do |a|
      Graph.buy_apple_orange(apple: a.number('apple'), apple_num: a.number('apple_num'),
                             orange: a.number('orange'), orange_num: a.number('orange_num'),
                             tax: a.number('tax'), dprice: a.number('dprice'))
    end

    # Runs a layer's forward and backward on NArrays; a scalar x is a 1-element array
    # for the layer and a scalar again in the answer.
    def with_scalars(*values)
      scalar = values.first.is_a?(Float)
      wrapped = values.map { |v| v.is_a?(Float) ? NArray[v] : v }
      results = yield(*wrapped)
      scalar ? results.transform_values { |r| r.is_a?(NArray) ? r[0] : r } : results
    end

    { 'layer.relu' => Layers::Relu, 'layer.sigmoid' => Layers::Sigmoid }.each do |name, klass|
      op(name) do |a|
        x = a.array('x')
        dout = a.array('dout')
        same_shape(x: x, dout: dout)
        with_scalars(x, dout) do |xx, dd|
          layer = klass.new
          out = layer.forward(xx)
          { out: out, dx: layer.backward(dd) }
        end
      end
    end

    op('layer.affine') do |a|
      w = a.array('W', ndims: [2])
      b = a.array('b', ndims: [1])
      x = a.array('x')
      d, m = Arrays.shape(w)
      raise ShapeError, "W is #{shape_str([d, m])} so b must have #{m} elements, but it is #{shape_str(Arrays.shape(b))}" unless Arrays.shape(b) == [m]

      xs = Arrays.shape(x)
      features = xs.size == 1 ? x.size : (xs.empty? ? 0 : x.size / xs[0])
      if xs.empty? || features != d
        raise ShapeError, "W is #{shape_str([d, m])} but x (#{shape_str(xs)}) has #{features} features per sample"
      end

      layer = Layers::Affine.new(w, b)
      out = layer.forward(x)
      dout = a.array('dout')
      unless Arrays.shape(dout) == Arrays.shape(out)
        raise ShapeError, "dout is #{shape_str(Arrays.shape(dout))} but out is #{shape_str(Arrays.shape(out))}"
      end

      dx = layer.backward(dout)
      { out: out, dx: dx, dW: layer.dW, db: layer.db }
    end

    op('layer.softmax_with_loss') do |a|
      x = a.array('x', ndims: [1, 2])
      t = target(a.get('t'), Arrays.shape(x))
      layer = Layers::SoftmaxWithLoss.new
      loss = layer.forward(x, t)
      { loss: loss, y: layer.y, dx: layer.backward(1.0) }
    end

    op('layer.dropout') do |a|
      x = a.array('x')
      ratio = a.number('dropout_ratio', 0.5)
      raise ValueError, "dropout_ratio = #{ratio} is outside [0, 1)" unless ratio >= 0 && ratio < 1

      train_flg = a.boolean('train_flg', true)
      layer = Layers::Dropout.new(ratio, rng: Rng.new(a.seed('seed', 0)))
      dout = a.array('dout')
      same_shape(x: x, dout: dout)
      with_scalars(x, dout) do |xx, dd|
        out = layer.forward(xx, train_flg: train_flg)
        { out: out, dx: layer.backward(dd) }
      end
    end

    op('layer.batch_norm') do |a|
      x = a.array('x')
      xs = Arrays.shape(x)
      raise ShapeError, "x must have at least 2 dimensions (a batch), but it is #{shape_str(xs)}" if xs.size < 2

      d = x.size / xs[0]
      vecs = {}
      %w[gamma beta running_mean running_var].each do |name|
        if name.start_with?('running') && !a.has?(name)
          vecs[name] = nil
          next
        end
        v = a.array(name, ndims: [1])
        raise ShapeError, "x has #{d} features per sample but #{name} is #{shape_str(Arrays.shape(v))}" unless v.size == d

        vecs[name] = v
      end
      momentum = a.number('momentum', 0.9)
      raise ValueError, "momentum = #{momentum} is outside [0, 1]" unless momentum >= 0 && momentum <= 1

      train_flg = a.boolean('train_flg', true)
      dout = a.array('dout')
      same_shape(x: x, dout: dout)
      layer = Layers::BatchNormalization.new(vecs['gamma'], vecs['beta'], momentum: momentum,
                                                                          running_mean: vecs['running_mean'],
                                                                          running_var: vecs['running_var'])
      out = layer.forward(x, train_flg: train_flg)
      dx = layer.backward(dout)
      { out: out, dx: dx, dgamma: layer.dgamma, dbeta: layer.dbeta,
        running_mean: layer.running_mean, running_var: layer.running_var }
    end

    # --- networks ----------------------------------------------------------------------------

    op('net3.init') { |_a| Net3.init_network }

    NET3_KEYS = %w[W1 b1 W2 b2 W3 b3].freeze

    op('net3.forward') do |a|
      raw = a.obj('network')
      arrays = NET3_KEYS.to_h do |key|
        raise ShapeError, "network has no #{key}" if raw[key].nil?

        [key, a.array("network.#{key}", ndims: key.start_with?('W') ? [2] : [1], value: raw[key])]
      end
      x = a.array('x', ndims: [1, 2])
      width = Arrays.shape(x)[-1]
      (1..3).each do |i|
        w = arrays["W#{i}"]
        b = arrays["b#{i}"]
        ws = Arrays.shape(w)
        raise ShapeError, "W#{i} is #{shape_str(ws)} but its input has #{width} values" unless ws[0] == width
        raise ShapeError, "b#{i} is #{shape_str(Arrays.shape(b))} but W#{i} is #{shape_str(ws)}" unless b.size == ws[1]

        width = ws[1]
      end
      output = a.choice('output', %w[identity softmax], 'identity')
      Net3.forward_trace(arrays, x, output: output)
    end

    # The params of a two_layer_net.* request: W1 (D, H), b1 (H), W2 (H, C), b2 (C).
    # @param a [Args]
    # @return [Hash{String=>NArray}]
    # @raise [ShapeError] for a missing key or shapes that do not fit together
    def two_layer_params(a)
      raw = a.obj('params')
      %w[W1 W2].each { |key| raise ShapeError, "params has no #{key}" if raw[key].nil? }
      w1 = a.array('params.W1', ndims: [2], value: raw['W1'])
      w2 = a.array('params.W2', ndims: [2], value: raw['W2'])
      d, h = Arrays.shape(w1)
      h2, c = Arrays.shape(w2)
      raise ShapeError, "W1 is #{shape_str([d, h])} but W2 is #{shape_str([h2, c])}" unless h2 == h

      a.params('params', 'W1' => [d, h], 'b1' => [h], 'W2' => [h, c], 'b2' => [c])
    end

    # The network, x and t of a two_layer_net.* request.
    # @param a [Args]
    # @param with_t [Boolean] read t as well (else nil)
    # @param ndims [Array<Integer>] the allowed ndim of x
    # @return [Array(TwoLayerNet, NArray, Object)]
    def tln_setup(a, with_t, ndims = [1, 2])
      params = two_layer_params(a)
      d, h = Arrays.shape(params['W1'])
      c = Arrays.shape(params['W2'])[1]
      net = TwoLayerNet.new(d, h, c, params: params)
      x = a.array('x', ndims: ndims)
      xs = Arrays.shape(x)
      raise ShapeError, "W1 is for #{d} inputs but x has #{xs[-1]} columns" unless xs[-1] == d
      return [net, x, nil] unless with_t

      scores_shape = xs.size == 2 ? [xs[0], c] : [c]
      [net, x, target(a.get('t'), scores_shape)]
    end

    op('two_layer_net.init') do |a|
      sizes = %w[input_size hidden_size output_size].map { |k| a.integer(k) }
      check_elements((sizes[0] * sizes[1]) + (sizes[1] * sizes[2]), 'the network')
      std = a.number('weight_init_std', 0.01)
      TwoLayerNet.new(*sizes, weight_init_std: std, rng: Rng.new(a.seed('seed', 0))).params
    end

    op('two_layer_net.predict') do |a|
      net, x, = tln_setup(a, false)
      { y: net.predict(x) }
    end

    op('two_layer_net.loss') do |a|
      net, x, t = tln_setup(a, true)
      { loss: net.loss(x, t) }
    end

    op('two_layer_net.accuracy') do |a|
      net, x, t = tln_setup(a, true, [2])
      { accuracy: net.accuracy(x, t) }
    end

    op('two_layer_net.gradient') do |a|
      net, x, t = tln_setup(a, true)
      net.gradient(x, t)
    end

    op('two_layer_net.numerical_gradient') do |a|
      net, x, t = tln_setup(a, true)
      net.numerical_gradient(x, t)
    end

    # weight_init_std of a multi_layer_net.* request: a number or a name in any case.
    # @param a [Args]
    # @return [Float, String]
    def weight_init_std(a)
      raw = a.get('weight_init_std', 'relu')
      return a.choice('weight_init_std', %w[relu he sigmoid xavier], 'relu', fold_case: true) if raw.is_a?(String)

      a.number('weight_init_std')
    end

    # The sizes, activation and weight_init_std of a multi_layer_net.* request.
    # @param a [Args]
    # @return [Hash{Symbol=>Object}] input_size, hidden_size_list, output_size, activation,
    #   weight_init_std
    # @raise [ValueError] for a network above the size limit
    def mln_structure(a)
      input_size = a.integer('input_size')
      hidden = a.int_list('hidden_size_list')
      output_size = a.integer('output_size')
      sizes = [input_size, *hidden, output_size]
      check_elements(sizes.each_cons(2).sum { |i, o| i * o }, 'the network')
      { input_size: input_size, hidden_size_list: hidden, output_size: output_size,
        activation: a.choice('activation', %w[relu sigmoid], 'relu'), weight_init_std: weight_init_std(a) }
    end

    op('multi_layer_net.init') do |a|
      s = mln_structure(a)
      MultiLayerNet.new(s[:input_size], s[:hidden_size_list], s[:output_size], activation: s[:activation],
                        weight_init_std: s[:weight_init_std], rng: Rng.new(a.seed('seed', 0))).params
    end

    # The network (with the given params), x and t of multi_layer_net.loss / .gradient.
    # @param a [Args]
    # @return [Array(MultiLayerNet, NArray, Object)]
    def mln_setup(a)
      s = mln_structure(a)
      sizes = [s[:input_size], *s[:hidden_size_list], s[:output_size]]
      shapes = {}
      (1...sizes.size).each do |i|
        shapes["W#{i}"] = [sizes[i - 1], sizes[i]]
        shapes["b#{i}"] = [sizes[i]]
      end
      params = a.params('params', shapes)
      lam = a.number('weight_decay_lambda', 0.0)
      net = MultiLayerNet.new(s[:input_size], s[:hidden_size_list], s[:output_size], activation: s[:activation],
                              weight_init_std: s[:weight_init_std], weight_decay_lambda: lam, params: params)
      x = a.array('x', ndims: [1, 2])
      xs = Arrays.shape(x)
      raise ShapeError, "input_size is #{sizes[0]} but x has #{xs[-1]} columns" unless xs[-1] == sizes[0]

      scores_shape = xs.size == 2 ? [xs[0], sizes[-1]] : [sizes[-1]]
      [net, x, target(a.get('t'), scores_shape)]
    end

    op('multi_layer_net.loss') do |a|
      net, x, t = mln_setup(a)
      { loss: net.loss(x, t) }
    end

    op('multi_layer_net.gradient') do |a|
      net, x, t = mln_setup(a)
      net.gradient(x, t)
    end

    op('multi_layer_net.numerical_gradient') do |a|
      net, x, t = mln_setup(a)
      net.numerical_gradient(x, t)
    end

    # --- chapter 6: optimizers ---------------------------------------------------------------

    # Every value of the object +name+ as a Float, keyed by Symbol.
    def hyper_of(a, name, default = {})
      a.obj(name, default).to_h do |key, v|
        [key.to_sym, Args.new("#{name}.#{key}" => v).number("#{name}.#{key}")]
      end
    end

    op('optimizer.run') do |a|
      name = a.choice('name', Optimizers::REGISTRY.keys, fold_case: true)
      hyper = hyper_of(a, 'hyper')
      # Scalars become 1-element NArrays so that every update is in place.
      scalar_keys = []
      params = a.obj('params').to_h do |key, v|
        arr = a.array("params.#{key}", value: v)
        scalar_keys << key if arr.is_a?(Float)
        [key, arr.is_a?(Float) ? NArray[arr] : arr.dup]
      end
      seq = a.get('grads_seq')
      raise BadArgs, 'grads_seq must be a list of grads objects' unless seq.is_a?(Array)

      grads_seq = seq.each_with_index.map do |grads_raw, i|
        raise BadArgs, "grads_seq[#{i}] must be an object" unless grads_raw.is_a?(Hash)
        unless grads_raw.keys.sort == params.keys.sort
          raise ShapeError, "grads_seq[#{i}] has keys #{grads_raw.keys.sort} but params has #{params.keys.sort}"
        end

        grads_raw.to_h do |key, v|
          g = a.array("grads_seq[#{i}].#{key}", value: v)
          want = scalar_keys.include?(key) ? [] : Arrays.shape(params[key])
          unless Arrays.shape(g) == want
            raise ShapeError, "grads_seq[#{i}].#{key} is #{shape_str(Arrays.shape(g))} but params.#{key} is #{shape_str(want)}"
          end

          [key, g.is_a?(Float) ? NArray[g] : g]
        end
      end
      if hyper.key?(:momentum) && %w[momentum nesterov].include?(name) && !(hyper[:momentum] >= 0 && hyper[:momentum] <= 1)
        raise ValueError, "momentum = #{hyper[:momentum]} is outside [0, 1]"
      end

      opt = Optimizers.build(name, hyper)
      grads_seq.each { |grads| opt.update(params, grads) }
      { params: params.to_h { |k, v| [k, scalar_keys.include?(k) ? v[0] : v] } }
    end

    # --- the generator -----------------------------------------------------------------------

    op('rng.uniform') { |a| { x: Rng.new(a.seed).uniform(a.integer('n')) } }
    op('rng.normal') { |a| { x: Rng.new(a.seed).normal(a.integer('n')) } }
    op('rng.permutation') { |a| { p: Rng.new(a.seed).permutation(a.integer('n')) } }
    op('rng.choice') do |a|
      seed = a.seed
      n = a.integer('n')
      size = a.integer('size')
      { idx: Rng.new(seed).choice(n, size) }
    end

    # --- training and data -------------------------------------------------------------------

    op('train.two_layer_net') do |a|
      x = a.array('x_train', ndims: [2])
      n, d = Arrays.shape(x)
      raw_t = a.get('t_train')
      t = target(raw_t, [n, a.integer('output_size')], 't_train')
      raise ShapeError, 't_train must be labels, one integer per row of x_train' unless t.is_a?(Array)

      hidden = a.integer('hidden_size')
      output = a.integer('output_size')
      batch = a.integer('batch_size', 100)
      iters = a.integer('iters')
      check_elements((d * hidden) + (hidden * output), 'the network')
      check_elements(iters * batch, 'iters x batch_size')
      opt_args = Args.new(a.obj('optimizer', { 'name' => 'sgd' }))
      name = opt_args.choice('name', Optimizers::REGISTRY.keys, 'sgd', fold_case: true)
      hyper = hyper_of(opt_args, 'hyper', {})
      result = Train.two_layer_net(
        x, NArray.to_na(t).to_type(NArray::INT),
        hidden_size: hidden, output_size: output, weight_init_std: a.number('weight_init_std', 0.01),
        lr: a.number('lr', 0.1), batch_size: batch, iters: iters, seed: a.seed('seed', 0),
        optimizer: name, hyper: hyper
      )
      { loss_history: result.loss_history, params: result.params }
    end

    op('data.idx') do |a|
      path = a.get('path')
      raise BadArgs, 'path must be a string' unless path.is_a?(String)

      idx = Datasets.read_idx(path)
      { shape: idx.shape, sum: idx.sum, head: idx.head(16) }
    end

    # --- the loop ----------------------------------------------------------------------------

    # (id, op, args) of a request line. Raises BadRequest when the line is not a JSON object
    # with a string id; the op and args are checked by #handle, so that their errors are
    # answered with the id.
    def decode_line(line)
      raise BadRequest, 'the line is not valid UTF-8' unless line.valid_encoding?

      begin
        obj = JSON.parse(line, max_nesting: MAX_NESTING)
      rescue JSON::ParserError, JSON::NestingError, EncodingError, ArgumentError => e
        raise BadRequest, "the line is not valid JSON: #{e.message.lines.first&.strip}"
      end
      if line.match?(/\\u[dD][89a-fA-F]/) && !valid_strings?(obj)
        raise BadRequest, 'the line holds an unpaired UTF-16 surrogate escape: not Unicode text'
      end
      raise BadRequest, "a request must be a JSON object, not #{json_type(obj)}" unless obj.is_a?(Hash)
      raise BadRequest, 'a request needs a string "id"' unless obj['id'].is_a?(String)

      [obj['id'], obj['op'], obj.fetch('args', {})]
    end

    # Every string (key or value) valid UTF-8: JSON.parse lets a lone low surrogate through.
    def valid_strings?(value)
      case value
      when String then value.valid_encoding?
      when Array then value.all? { |e| valid_strings?(e) }
      when Hash then value.all? { |k, e| valid_strings?(k) && valid_strings?(e) }
      else true
      end
    end

    # The answer line to one request line. Never raises: an unexpected exception (a bug)
    # becomes an InternalError answer and a backtrace on stderr.
    def handle(line)
      req_id = nil
      req_id, op_name, raw_args = decode_line(line)
      raise BadRequest, 'a request needs a string "op"' unless op_name.is_a?(String)
      raise BadArgs, %("args" must be an object, not #{json_type(raw_args)}) unless raw_args.is_a?(Hash)

      fn = OPS[op_name] or raise UnknownOp, "unknown op #{op_name.inspect}"
      encode_answer(req_id, ok: fn.call(Args.new(raw_args)))
    rescue Error => e
      encode_answer(req_id, error: e)
    rescue StandardError, NoMemoryError, SystemStackError, ScriptError => e
      warn "#{e.class}: #{e.message}\n#{e.backtrace&.first(8)&.join("\n")}"
      encode_answer(req_id, error: InternalError.new("#{e.class}: #{e.message}"))
    end

    # Reads requests from +input+ until its end, answering each on +output+ (flushed).
    def run(input = $stdin, output = $stdout)
      input.binmode
      input.each_line do |line|
        line = line.force_encoding(Encoding::UTF_8)
        next if line.b.delete(" \t\n\v\f\r").empty? # blank: ASCII white space only (not NUL)

        output.write("#{handle(line)}\n")
        output.flush
      end
      0
    end
  end
end
