# frozen_string_literal: true

require 'json'
%w[errors validate arrays util functions gates graph gradient layers networks optimizers rng datasets train trainer].each { |f| require_relative f }

module DLScratch
  # The conformance runner (shared_tests/README.md): one JSON request per line on stdin, one
  # answer per line on stdout. Each op is a binding from the arguments {Validate} checked and
  # converted to the book's classes and functions.
  module Runner
    # op => its binding, a block from the checked args (Hash{Symbol=>Object}) to the answer
    OPS = {}

    # Binds the op +name+ to the block.
    # @param name [String] an op of ops.json
    # @yieldparam a [Hash{Symbol=>Object}] the checked arguments
    # @yieldreturn [Object] the ok-object, or the value of its key when ops.json lists one
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
      MultiLayerNet.new(*a.values_at(:input_size, :hidden_size_list, :output_size), **a.slice(:activation, :weight_init_std), **given)
    end
    given_net = ->(a) { multi_layer_net.(a, weight_decay_lambda: a[:weight_decay_lambda], params: a[:params]) }
    # MultiLayerNetExtend around params, its running statistics when given, masks drawn from seed
    extend_net = lambda do |a|
      structure = a.slice(:activation, :weight_init_std, :weight_decay_lambda, :use_dropout, :dropout_ration, :use_batchnorm)
      net = MultiLayerNetExtend.new(*a.values_at(:input_size, :hidden_size_list, :output_size), **structure,
                                    params: a[:params], dropout_seed: a.fetch(:seed, 0))
      net.running_stats = a[:running_stats] if a[:running_stats]
      net
    end
    # SimpleConvNet of the structure arguments, around params when given, else drawn from seed
    conv_net = lambda do |a|
      given = a.key?(:params) ? { params: a[:params] } : { rng: Rng.new(a[:seed]) }
      SimpleConvNet.new(**a.slice(:input_dim, :conv_param, :hidden_size, :output_size, :weight_init_std), **given)
    end

    # DeepConvNet around params (its masks drawn from seed) when given, else drawn from seed
    deep_net = lambda do |a|
      given = a.key?(:params) ? { params: a[:params], dropout_seed: a.fetch(:seed, 0) } : { rng: Rng.new(a[:seed]) }
      DeepConvNet.new(**a.slice(:input_dim, :hidden_size, :output_size), **given)
    end

    %w[and nand or xor].each { |g| op("gate.#{g}") { |a| Gates.public_send(g, a[:x1], a[:x2]) } }
    %w[identity step sigmoid sigmoid_grad relu relu_grad tanh softmax].each { |f| op("fn.#{f}") { |a| Functions.public_send(f, a[:x]) } }
    op('loss.sum_squared_error') { |a| Functions.sum_squared_error(a[:y], a[:t]) }
    op('loss.cross_entropy_error') { |a| Functions.cross_entropy_error(a[:y], a[:t]) }
    op('grad.numerical_diff') { |a| Gradient.numerical_diff(a[:x], &named.(a[:f])) }
    op('grad.numerical_gradient') { |a| Gradient.numerical_gradient(a[:x], &named.(a[:f])) }
    op('grad.gradient_descent') { |a| Gradient.gradient_descent(a[:init_x], **a.slice(:lr, :step_num), &named.(a[:f])) }
    # simple_net.M, two_layer_net.M, multi_layer_net.M: the network's method M of x (and t)
    %w[predict loss numerical_gradient].each { |m| op("simple_net.#{m}") { |a| SimpleNet.new(a[:W]).public_send(m, *a.values_at(:x, :t).compact) } }
    { 'layer.mul' => MulLayer, 'layer.add' => AddLayer }.each do |name, klass|
      op(name) { |a| klass.new.then { |l| { out: l.forward(a[:x], a[:y]), **%i[dx dy].zip(l.backward(a[:dout])).to_h } } }
    end
    op('graph.buy_apple') { |a| Graph.buy_apple(**a) }
    op('graph.buy_apple_orange') { |a| Graph.buy_apple_orange(**a) }
    op('layer.relu') { |a| fwd_bwd.(Layers::Relu.new, a) }
    op('layer.sigmoid') { |a| fwd_bwd.(Layers::Sigmoid.new, a) }
    op('layer.affine') do |a|
      Layers::Affine.new(a[:W], a[:b]).then { |l| { out: l.forward(a[:x]), dx: l.backward(a[:dout]), dW: l.dW, db: l.db } }
    end
    op('layer.softmax_with_loss') do |a|
      Layers::SoftmaxWithLoss.new.then { |l| { loss: l.forward(a[:x], a[:t]), y: l.y, dx: l.backward(1.0) } }
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
      TwoLayerNet.new(*a.values_at(:input_size, :hidden_size, :output_size), **a.slice(:weight_init_std), rng: Rng.new(a[:seed])).params
    end
    %w[predict loss accuracy gradient numerical_gradient].each do |m|
      op("two_layer_net.#{m}") { |a| two_layer_net.(a[:params]).public_send(m, *a.values_at(:x, :t).compact) }
    end
    op('multi_layer_net.init') { |a| multi_layer_net.(a, rng: Rng.new(a[:seed])).params }
    %w[loss gradient numerical_gradient].each { |m| op("multi_layer_net.#{m}") { |a| given_net.(a).public_send(m, a[:x], a[:t]) } }
    op('multi_layer_net_extend.init') do |a|
      structure = a.slice(:activation, :weight_init_std, :weight_decay_lambda, :use_dropout, :dropout_ration, :use_batchnorm)
      MultiLayerNetExtend.new(*a.values_at(:input_size, :hidden_size_list, :output_size), **structure, rng: Rng.new(a[:seed])).params
    end
    op('multi_layer_net_extend.predict') do |a|
      extend_net.(a).then { |net| { y: net.predict(a[:x], train_flg: a[:train_flg]), running_stats: net.running_stats } }
    end
    op('multi_layer_net_extend.loss') do |a|
      extend_net.(a).then { |net| { loss: net.loss(a[:x], a[:t], train_flg: a[:train_flg]), running_stats: net.running_stats } }
    end
    %w[accuracy gradient numerical_gradient].each { |m| op("multi_layer_net_extend.#{m}") { |a| extend_net.(a).public_send(m, a[:x], a[:t]) } }
    op('util.im2col') { |a| Util.im2col(*a.values_at(:input_data, :filter_h, :filter_w, :stride, :pad)) }
    op('util.col2im') { |a| Util.col2im(*a.values_at(:col, :input_shape, :filter_h, :filter_w, :stride, :pad)) }
    op('layer.convolution') do |a|
      Layers::Convolution.new(*a.values_at(:W, :b, :stride, :pad)).then do |l|
        { out: l.forward(a[:x]), dx: l.backward(a[:dout]), dW: l.dW, db: l.db }
      end
    end
    op('layer.pooling') { |a| fwd_bwd.(Layers::Pooling.new(*a.values_at(:pool_h, :pool_w, :stride, :pad)), a) }
    op('simple_conv_net.init') { |a| conv_net.(a).params }
    op('simple_conv_net.predict') { |a| conv_net.(a).predict(a[:x]) }
    %w[loss accuracy gradient numerical_gradient].each { |m| op("simple_conv_net.#{m}") { |a| conv_net.(a).public_send(m, a[:x], a[:t]) } }
    op('deep_conv_net.init') { |a| deep_net.(a).params }
    op('deep_conv_net.predict') { |a| deep_net.(a).predict(a[:x], train_flg: a[:train_flg]) }
    op('deep_conv_net.loss') { |a| deep_net.(a).loss(a[:x], a[:t], train_flg: a[:train_flg]) }
    %w[accuracy gradient].each { |m| op("deep_conv_net.#{m}") { |a| deep_net.(a).public_send(m, a[:x], a[:t]) } }
    # the network of a parameters file (checked by the hook model_file): test-mode scores, accuracy;
    # with half (ch08/half_float_network.py) its weights and x rounded to binary16, the arithmetic float64
    op('model.evaluate') do |a|
      model, x = a[:path], a[:x]
      params = model[:params]
      params, x = params.transform_values { |p| Util.to_float16(p) }, Util.to_float16(x) if a[:half]
      net = NETWORKS.fetch(model[:kind]).call(**model.except(:kind, :params), params: params)
      { y: net.predict(x), accuracy: net.accuracy(x, a[:t]) }
    end
    op('util.to_float16') { |a| Util.to_float16(a[:x]) }
    op('optimizer.run') do |a|
      params = a[:params].transform_values(&box)
      opt = Optimizers.build(a[:name], a[:hyper])
      a[:grads_seq].each { |grads| opt.update(params, grads.transform_values(&box)) }
      params.to_h { |k, v| [k, a[:params][k].is_a?(Float) ? v[0] : v] }
    end
    %w[uniform normal permutation].each { |m| op("rng.#{m}") { |a| Rng.new(a[:seed]).public_send(m, a[:n]) } }
    op('rng.choice') { |a| Rng.new(a[:seed]).choice(a[:n], a[:size]) }
    op('train.two_layer_net') do |a|
      r = Train.two_layer_net(a[:x_train], a[:t_train], **a.slice(:hidden_size, :output_size, :weight_init_std, :lr, :batch_size,
                                                                  :iters, :seed), **a[:optimizer].transform_keys(name: :optimizer))
      { loss_history: r.loss_history, params: r.params }
    end
    # one generator seeded with seed: the network's weights, then every batch (and mask seed)
    op('train.trainer') do |a|
      rng = Rng.new(a[:seed])
      net = NETWORKS.fetch(a[:network][:kind]).call(**a[:network].except(:kind), rng: rng)
      opts = a.slice(:epochs, :mini_batch_size, :optimizer, :optimizer_param, :evaluate_sample_num_per_epoch)
      t = Trainer.new(net, *a.values_at(:x_train, :t_train, :x_test, :t_test), **opts, rng: rng)
      { test_acc: t.train, train_loss_list: t.train_loss_list, train_acc_list: t.train_acc_list,
        test_acc_list: t.test_acc_list, params: net.params }
    end
    op('data.idx') { |a| Datasets.read_idx(a[:path]).then { |idx| { shape: idx.shape, sum: idx.sum, head: idx.head(16) } } }

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

    # The characters JSON allows after a backslash in a string.
    ESCAPES = '"\\/bfnrtu'

    # @param line [String] a request line
    # @return [Array(String, Object, Object)] its id, op and args, not yet checked
    # @raise [BadRequest] unless it is a JSON object (of Unicode text) with a string id
    def decode_line(line)
      obj = JSON.parse(line, max_nesting: Validate.schema['limits']['max_nesting'])
      # JSON.parse lets invalid UTF-8 and a lone surrogate escape through; JSON.generate refuses them
      JSON.generate(obj) if !line.valid_encoding? || line.match?(/\\u[dD][89a-fA-F]/)
      # JSON.parse also takes an escape RFC 8259 does not have (\a, \q) as the letter itself
      raise BadRequest, 'the line is not valid JSON: an invalid escape' if line.scan(/\\./m).any? { |e| !ESCAPES.include?(e[1]) }
      raise BadRequest, 'a request must be a JSON object with a string "id"' unless obj.is_a?(Hash) && obj['id'].is_a?(String)

      [obj['id'], obj['op'], obj.fetch('args', {})]
    rescue JSON::JSONError, EncodingError, ArgumentError => e
      raise BadRequest, "the line is not valid JSON (Unicode text): #{e.message.lines.first&.strip}"
    end

    # The answer line to one request line; never raises (a bug is an InternalError answer and
    # a backtrace on stderr).
    # @param line [String]
    # @return [String]
    def handle(line)
      req_id, op_name, raw_args = decode_line(line)
      raise BadRequest, 'a request needs a string "op"' unless op_name.is_a?(String)
      raise BadArgs, %("args" must be an object, not #{Validate.json_type(raw_args)}) unless raw_args.is_a?(Hash)

      fn = (Validate.schema['ops'].key?(op_name) && OPS[op_name]) or raise UnknownOp, "unknown op #{op_name.inspect}"
      ok = fn.call(Validate.args(op_name, raw_args))
      keys = Validate.schema['ops'][op_name]['ok'].keys
      JSON.generate({ 'id' => req_id, 'ok' => encode(keys.size == 1 ? { keys[0] => ok } : ok) }, max_nesting: false)
    rescue StandardError, NoMemoryError, SystemStackError, ScriptError => e
      e = ValueError.new(e.message) if e.is_a?(Datasets::FileError) # a missing or malformed IDX file
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
