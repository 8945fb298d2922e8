# frozen_string_literal: true

require 'json'
%w[errors validate arrays functions gates graph gradient layers networks optimizers rng datasets train].each do |lib|
  require_relative lib
end

module DLScratch
  # The conformance runner (shared_tests/README.md): one JSON request per line on stdin, one
  # answer per line on stdout. Each op is a binding from the arguments {Validate} checked and
  # converted to the book's classes and functions.
  module Runner
    # op => its binding, a block from the checked args (Hash{Symbol=>Object}) to the ok-object
    OPS = {}

    # Binds the op +name+ to the block.
    # @param name [String] an op of ops.json
    # @yieldparam a [Hash{Symbol=>Object}] the checked arguments
    # @yieldreturn [Hash] the ok-object
    def self.op(name, &block)
      OPS[name] = block
    end

    # function_1 or function_2 as a block giving a number (Σ over an array)
    named = ->(f) { ->(v) { Arrays.pairwise_sum(Gradient.public_send(f, v)) } }
    # a Float as a 1-element NArray, which a layer or an optimizer can work on in place
    box = ->(v) { v.is_a?(Float) ? NArray[v] : v }
    # forward, then backward from dout; a scalar x gives scalars
    fwd_bwd = lambda do |layer, a, **opts|
      res = { out: layer.forward(box.(a[:x]), **opts), dx: layer.backward(box.(a[:dout])) }
      a[:x].is_a?(Float) ? res.transform_values { |v| v[0] } : res
    end
    two_layer_net = ->(p) { TwoLayerNet.new(*Arrays.shape(p['W1']), p['b2'].size, params: p) }
    multi_layer_net = lambda do |a, **given|
      MultiLayerNet.new(a[:input_size], a[:hidden_size_list], a[:output_size], activation: a[:activation],
                                                                               weight_init_std: a[:weight_init_std], **given)
    end
    given_net = ->(a) { multi_layer_net.(a, weight_decay_lambda: a[:weight_decay_lambda], params: a[:params]) }

    %w[and nand or xor].each { |g| op("gate.#{g}") { |a| { y: Gates.public_send(g, a[:x1], a[:x2]) } } }
    %w[identity step sigmoid sigmoid_grad relu relu_grad softmax].each { |f| op("fn.#{f}") { |a| { y: Functions.public_send(f, a[:x]) } } }
    op('loss.sum_squared_error') { |a| { loss: Functions.sum_squared_error(a[:y], a[:t]) } }
    op('loss.cross_entropy_error') { |a| { loss: Functions.cross_entropy_error(a[:y], a[:t]) } }
    op('grad.numerical_diff') { |a| { d: Gradient.numerical_diff(a[:x], &named.(a[:f])) } }
    op('grad.numerical_gradient') { |a| { grad: Gradient.numerical_gradient(a[:x], &named.(a[:f])) } }
    op('grad.gradient_descent') { |a| { x: Gradient.gradient_descent(a[:init_x], lr: a[:lr], step_num: a[:step_num], &named.(a[:f])) } }
    op('simple_net.predict') { |a| { p: SimpleNet.new(a[:W]).predict(a[:x]) } }
    op('simple_net.loss') { |a| { loss: SimpleNet.new(a[:W]).loss(a[:x], a[:t]) } }
    op('simple_net.numerical_gradient') { |a| { dW: SimpleNet.new(a[:W]).numerical_gradient(a[:x], a[:t]) } }
    { 'layer.mul' => MulLayer, 'layer.add' => AddLayer }.each do |name, klass|
      op(name) do |a|
        layer = klass.new
        { out: layer.forward(a[:x], a[:y]), **%i[dx dy].zip(layer.backward(a[:dout])).to_h }
      end
    end
    op('graph.buy_apple') { |a| Graph.buy_apple(**a) }
    op('graph.buy_apple_orange') { |a| Graph.buy_apple_orange(**a) }
    op('layer.relu') { |a| fwd_bwd.(Layers::Relu.new, a) }
    op('layer.sigmoid') { |a| fwd_bwd.(Layers::Sigmoid.new, a) }
    op('layer.affine') do |a|
      layer = Layers::Affine.new(a[:W], a[:b])
      { out: layer.forward(a[:x]), dx: layer.backward(a[:dout]), dW: layer.dW, db: layer.db }
    end
    op('layer.softmax_with_loss') do |a|
      layer = Layers::SoftmaxWithLoss.new
      { loss: layer.forward(a[:x], a[:t]), y: layer.y, dx: layer.backward(1.0) }
    end
    op('layer.dropout') { |a| fwd_bwd.(Layers::Dropout.new(a[:dropout_ratio], rng: Rng.new(a[:seed])), a, train_flg: a[:train_flg]) }
    op('layer.batch_norm') do |a|
      layer = Layers::BatchNormalization.new(a[:gamma], a[:beta], **a.slice(:momentum, :running_mean, :running_var))
      { out: layer.forward(a[:x], train_flg: a[:train_flg]), dx: layer.backward(a[:dout]), dgamma: layer.dgamma,
        dbeta: layer.dbeta, running_mean: layer.running_mean, running_var: layer.running_var }
    end
    op('net3.init') { Net3.init_network }
    op('net3.forward') { |a| Net3.forward_trace(a[:network], a[:x], output: a[:output]) }
    op('two_layer_net.init') do |a|
      TwoLayerNet.new(*a.values_at(:input_size, :hidden_size, :output_size), weight_init_std: a[:weight_init_std],
                                                                              rng: Rng.new(a[:seed])).params
    end
    op('two_layer_net.predict') { |a| { y: two_layer_net.(a[:params]).predict(a[:x]) } }
    op('two_layer_net.loss') { |a| { loss: two_layer_net.(a[:params]).loss(a[:x], a[:t]) } }
    op('two_layer_net.accuracy') { |a| { accuracy: two_layer_net.(a[:params]).accuracy(a[:x], a[:t]) } }
    op('two_layer_net.gradient') { |a| two_layer_net.(a[:params]).gradient(a[:x], a[:t]) }
    op('two_layer_net.numerical_gradient') { |a| two_layer_net.(a[:params]).numerical_gradient(a[:x], a[:t]) }
    op('multi_layer_net.init') { |a| multi_layer_net.(a, rng: Rng.new(a[:seed])).params }
    op('multi_layer_net.loss') { |a| { loss: given_net.(a).loss(a[:x], a[:t]) } }
    op('multi_layer_net.gradient') { |a| given_net.(a).gradient(a[:x], a[:t]) }
    op('multi_layer_net.numerical_gradient') { |a| given_net.(a).numerical_gradient(a[:x], a[:t]) }
    op('optimizer.run') do |a|
      params = a[:params].transform_values(&box)
      opt = Optimizers.build(a[:name], a[:hyper])
      a[:grads_seq].each { |grads| opt.update(params, grads.transform_values(&box)) }
      { params: params.to_h { |k, v| [k, a[:params][k].is_a?(Float) ? v[0] : v] } }
    end
    op('rng.uniform') { |a| { x: Rng.new(a[:seed]).uniform(a[:n]) } }
    op('rng.normal') { |a| { x: Rng.new(a[:seed]).normal(a[:n]) } }
    op('rng.permutation') { |a| { p: Rng.new(a[:seed]).permutation(a[:n]) } }
    op('rng.choice') { |a| { idx: Rng.new(a[:seed]).choice(a[:n], a[:size]) } }
    op('train.two_layer_net') do |a|
      r = Train.two_layer_net(a[:x_train], a[:t_train], **a.slice(:hidden_size, :output_size, :weight_init_std, :lr, :batch_size,
                                                                  :iters, :seed), **a[:optimizer].transform_keys(name: :optimizer))
      { loss_history: r.loss_history, params: r.params }
    end
    op('data.idx') do |a|
      idx = Datasets.read_idx(a[:path])
      { shape: idx.shape, sum: idx.sum, head: idx.head(16) }
    rescue Datasets::FileError => e
      raise ValueError, e.message
    end

    module_function

    # @param value [Object] an ok-object or part of one
    # @return [Object] plain JSON values: NArrays as nested lists, non-finite floats as strings
    def encode(value)
      case value
      when NArray then encode(value.to_a)
      when Hash then value.to_h { |k, v| [k.to_s, encode(v)] }
      when Array then value.map { |v| encode(v) }
      when true, false then value ? 1 : 0
      when Float then value.nan? ? 'NaN' : { 1 => 'Infinity', -1 => '-Infinity' }.fetch(value.infinite?, value)
      else value
      end
    end

    # @param line [String] a request line
    # @return [Array(String, Object, Object)] its id, op and args, not yet checked
    # @raise [BadRequest] unless it is a JSON object (of Unicode text) with a string id
    def decode_line(line)
      raise BadRequest, 'the line is not valid UTF-8' unless line.valid_encoding?

      obj = JSON.parse(line, max_nesting: Validate.schema['limits']['max_nesting'])
      # JSON.parse lets a lone surrogate escape through; JSON.generate refuses it
      JSON.generate(obj) if line.match?(/\\u[dD][89a-fA-F]/)
      raise BadRequest, "a request must be a JSON object, not #{Validate.json_type(obj)}" unless obj.is_a?(Hash)
      raise BadRequest, 'a request needs a string "id"' unless obj['id'].is_a?(String)

      [obj['id'], obj['op'], obj.fetch('args', {})]
    rescue JSON::JSONError, EncodingError, ArgumentError => e
      raise BadRequest, "the line is not valid JSON (Unicode text): #{e.message.lines.first&.strip}"
    end

    # The answer line to one request line; never raises (a bug is an InternalError answer and
    # a backtrace on stderr).
    # @param line [String]
    # @return [String]
    def handle(line)
      req_id = nil
      req_id, op_name, raw_args = decode_line(line)
      raise BadRequest, 'a request needs a string "op"' unless op_name.is_a?(String)
      raise BadArgs, %("args" must be an object, not #{Validate.json_type(raw_args)}) unless raw_args.is_a?(Hash)

      fn = OPS[op_name] or raise UnknownOp, "unknown op #{op_name.inspect}"
      JSON.generate({ 'id' => req_id, 'ok' => encode(fn.call(Validate.args(op_name, raw_args))) }, max_nesting: false)
    rescue StandardError, NoMemoryError, SystemStackError, ScriptError => e
      unless e.is_a?(Error)
        warn "#{e.class}: #{e.message}\n#{e.backtrace&.first(8)&.join("\n")}"
        e = InternalError.new("#{e.class}: #{e.message}")
      end
      JSON.generate({ 'id' => req_id, 'error' => { 'type' => e.type, 'message' => e.message } })
    end

    # Answers every request line of +input+ on +output+, flushed after each; a blank line
    # (ASCII white space only, not NUL) gets no answer.
    # @param input [IO]
    # @param output [IO]
    # @return [Integer] the exit status, 0
    def run(input = $stdin, output = $stdout)
      Validate.schema
      input.binmode.each_line do |line|
        next if line.delete(" \t\n\v\f\r").empty?

        output.write("#{handle(line.force_encoding(Encoding::UTF_8))}\n")
        output.flush
      end
      0
    end
  end
end
