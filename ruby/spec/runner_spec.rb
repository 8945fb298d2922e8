# frozen_string_literal: true

require 'spec_helper'
require 'json'
require 'stringio'
require 'tmpdir'

RSpec.describe DLScratch::Runner do
  # The answers (parsed) to some request lines.
  def answers(*lines)
    out = StringIO.new
    described_class.run(StringIO.new(lines.join("\n") + "\n"), out)
    out.string.lines.map { |l| JSON.parse(l) }
  end

  def error_type(line)
    answers(line).first.dig('error', 'type')
  end

  it 'answers each request in order, one line each, skipping blank lines' do
    a = answers('{"id": "a", "op": "gate.and", "args": {"x1": 1, "x2": 1}}', '   ',
                '{"id": "b", "op": "fn.softmax", "args": {"x": [0.3, 2.9, 4.0]}}')
    expect(a.map { |x| x['id'] }).to eq(%w[a b])
    expect(a[0]['ok']).to eq('y' => 1)
    # exp (libm) and the row sum: within (C + 8)·eps relative, the bound of shared_tests §11
    expect(a[1]['ok']['y'][2]).to be_all_close(0.7365969137693786, rtol: 11 * Float::EPSILON, atol: 0)
  end

  it 'writes floats that read back to the same double, and non-finite numbers as strings' do
    a = answers('{"id": "n", "op": "fn.identity", "args": {"x": ["NaN", "Infinity", "-Infinity", 0.1, 1e-300]}}')
    expect(a[0]['ok']['y']).to eq(['NaN', 'Infinity', '-Infinity', 0.1, 1e-300])
  end

  it 'reports every error type and goes on with the next line' do
    expect(error_type('not json')).to eq('BadRequest')
    expect(error_type('[1, 2]')).to eq('BadRequest')
    expect(error_type('{"op": "fn.step"}')).to eq('BadRequest')
    expect(error_type('{"id": "x", "op": "fn.nope"}')).to eq('UnknownOp')
    expect(error_type('{"id": "x", "op": "fn.step", "args": []}')).to eq('BadArgs')
    expect(error_type('{"id": "x", "op": "fn.step", "args": {}}')).to eq('BadArgs')
    expect(error_type('{"id": "x", "op": "fn.step", "args": {"x": [[1], [1, 2]]}}')).to eq('BadArgs')
    expect(error_type('{"id": "x", "op": "fn.softmax", "args": {"x": [[[1.0]]]}}')).to eq('ShapeError')
    expect(error_type('{"id": "x", "op": "fn.step", "args": {"x": []}}')).to eq('ShapeError')
    expect(error_type('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [0.5, 0.5], "t": 2}}'))
      .to eq('ValueError')
    expect(error_type('{"id": "x", "op": "rng.uniform", "args": {"seed": 0, "n": 20000000}}')).to eq('ValueError')
    expect(error_type('{"id": "x", "op": "rng.uniform", "args": {"seed": 0.5, "n": 2}}')).to eq('BadArgs')
    expect(error_type('{"id": "x", "op": 5}')).to eq('BadRequest')
    expect(error_type('{"id": "x", "op": "fn.step", "args": null}')).to eq('BadArgs')
    expect(error_type("{\"id\": \"x\", \"op\": \"fn.st\xFFep\"}".b)).to eq('BadRequest')
    expect(error_type('{"id": "x", "op": "fn.step", "\\args": {"x": 2}}')).to eq('BadRequest') # \a is no JSON escape
    expect(answers('{"id": "x", "op": "fn.step", "args": {"x": 2}, "k": "\\\\q \\" \\/ \\u0041"}')[0]).to include('ok')
    expect(error_type(%({"id": "x", "op": "fn.step", "args": {"x": #{'[' * 33}1#{']' * 33}}}))).to eq('ShapeError')
    expect(error_type(%({"id": "x", "op": "fn.step", "args": {"x": #{'[' * 5000}1#{']' * 5000}}}))).to eq('BadRequest')
    a = answers('{"id": 7, "op": "fn.step"}', '{"id": "ok", "op": "fn.step", "args": {"x": 2}}')
    expect(a[0]['id']).to be_nil
    expect(a[1]).to eq('id' => 'ok', 'ok' => { 'y' => 1 })
  end

  it 'lower-cases weight_init_std and the optimizer name as the book does, and no other name' do
    mln = '"input_size": 2, "hidden_size_list": [2], "output_size": 2'
    expect(answers(%({"id": "w", "op": "multi_layer_net.init", "args": {#{mln}, "weight_init_std": "He"}}))[0])
      .to include('ok')
    expect(error_type(%({"id": "a", "op": "multi_layer_net.init", "args": {#{mln}, "activation": "ReLU"}})))
      .to eq('BadArgs')
    expect(answers('{"id": "o", "op": "optimizer.run", "args": {"name": "Adam", "params": {"W": [1.0]}, ' \
                   '"grads_seq": [{"W": [1.0]}]}}')[0]).to include('ok')
    expect(error_type('{"id": "f", "op": "grad.numerical_diff", "args": {"f": "Function_1", "x": 5}}')).to eq('BadArgs')
    net = JSON.generate(DLScratch::Runner.encode(DLScratch::Net3.init_network))
    expect(error_type(%({"id": "n", "op": "net3.forward", "args": {"network": #{net}, "x": [1, 0.5], "output": "Softmax"}})))
      .to eq('BadArgs')
  end

  it 'binds exactly the ops of ops.json' do
    expect(described_class::OPS.keys).to match_array(DLScratch::Validate.schema['ops'].keys)
  end

  it 'answers the book\'s 3-layer network through the protocol' do
    net = JSON.generate(DLScratch::Runner.encode(DLScratch::Net3.init_network))
    a = answers(%({"id": "n3", "op": "net3.forward", "args": {"network": #{net}, "x": [1.0, 0.5]}}))
    expect(a[0]['ok']['y']).to be_all_close([0.31682708, 0.69627909], atol: 5e-9)
  end

  it 'answers a MultiLayerNetExtend pass with its running statistics, and a Trainer run with its lists' do
    bn = '"input_size": 1, "hidden_size_list": [1], "output_size": 2, "use_batchnorm": true, "params": {"W1": [[1]], ' \
         '"b1": [0], "gamma1": [1], "beta1": [0], "W2": [[1, -1]], "b2": [0, 0]}, "x": [[1], [3]]'
    a = answers(%({"id": "p", "op": "multi_layer_net_extend.predict", "args": {#{bn}, "train_flg": true}}),
                %({"id": "g", "op": "multi_layer_net_extend.gradient", "args": {#{bn}, "t": [0, 1]}}))
    expect(a[0]['ok']['running_stats']['running_mean1']).to be_all_close([0.2], rtol: 1e-15) # 0.1 · batch mean 2
    expect(a[1]['ok'].keys).to match_array(%w[W1 b1 gamma1 beta1 W2 b2])
    net = '{"kind": "multi_layer_net_extend", "input_size": 2, "hidden_size_list": [3], "output_size": 2, "use_dropout": true}'
    xs = '[[1, 2], [0.5, -1], [3, 0], [-2, 1]]'
    ok = answers(%({"id": "t", "op": "train.trainer", "args": {"network": #{net}, "x_train": #{xs}, "t_train": [0, 1, 0, 1], ) +
                 %("x_test": #{xs}, "t_test": [0, 1, 0, 1], "epochs": 3, "mini_batch_size": 2, "optimizer": "Momentum"}}))[0]['ok']
    expect(ok['train_loss_list'].size).to eq(6) # 2 steps an epoch
    expect(ok['train_acc_list'].size).to eq(3) # after steps 0, 2, 4
    expect(ok['params'].keys).to eq(%w[W1 b1 W2 b2])
    expect(ok['test_acc']).to be_between(0.0, 1.0)
  end

  it 'evaluates a parameters file with half: the weights and x rounded to binary16, the arithmetic float64' do
    Dir.mktmpdir do |dir|
      path = File.join(dir, 'p.json')
      # W1 = diag(0.1, 1/3), W2 = I, b2 = (1 + 2^-11, 0); x = (1/3, 0.1)
      params = { 'W1' => na([[0.1, 0.0], [0.0, 1.0 / 3]]), 'b1' => na([0.0, 0.0]), 'W2' => na([[1.0, 0.0], [0.0, 1.0]]),
                 'b2' => na([1 + (2.0**-11), 0.0]) }
      DLScratch::Train.save_params(path, { kind: 'two_layer_net', input_size: 2, hidden_size: 2, output_size: 2 }, params)
      request = ->(half) { %({"id": "m", "op": "model.evaluate", "args": {"path": "#{path}", "x": [[0.3333333333333333, 0.1]], "t": [0], "half": #{half}}}) }
      full, half = answers(request.call(false), request.call(true)).map { |a| a['ok'] }
      # binary16: 0.1 -> 1638·2^-14, 1/3 -> 1365·2^-12, 1 + 2^-11 -> 1 (a tie, to even); both hidden
      # units are 1365·2^-12 · 1638·2^-14 = 2235870·2^-26, exact in float64
      p = 2_235_870 * (2.0**-26)
      expect(half['y']).to eq([[1.0 + p, p]])
      expect(half['accuracy']).to eq(1.0)
      expect(full['y'][0][1]).to be_all_close((1.0 / 3) * 0.1, rtol: 1e-15)
      expect(full['y'][0][1]).not_to eq(p)
      expect(answers(request.call('"yes"'))[0].dig('error', 'type')).to eq('BadArgs')
    end
  end

  it 'answers util.to_float16 for an array of any shape and for a number' do
    a = answers('{"id": "h", "op": "util.to_float16", "args": {"x": [[0.1, 65520], [-1e-9, "NaN"]]}}',
                '{"id": "s", "op": "util.to_float16", "args": {"x": 65519.99}}')
    expect(a[0]['ok']['y']).to eq([[0.0999755859375, 'Infinity'], [-0.0, 'NaN']])
    expect(a[1]['ok']['y']).to eq(65_504.0)
  end

  it 'reads the contract from $DLSCRATCH_OPS_JSON when it is set: an op it does not list is unknown' do
    Dir.mktmpdir do |dir|
      schema = DLScratch::Validate.schema.merge('ops' => DLScratch::Validate.schema['ops'].except('gate.and'))
      File.write(File.join(dir, 'ops.json'), JSON.generate(schema))
      out, = Open3.capture2({ 'DLSCRATCH_OPS_JSON' => File.join(dir, 'ops.json') }, File.join(BinHelpers::BIN, 'runner'),
                            stdin_data: %({"id":"a","op":"gate.and","args":{"x1":1,"x2":1}}\n{"id":"o","op":"gate.or","args":{"x1":1,"x2":1}}\n))
      answers = out.lines.map { |l| JSON.parse(l) }
      expect(answers.map { |a| a.dig('error', 'type') || a['ok'] }).to eq(['UnknownOp', { 'y' => 1 }])
    end
  end

  it 'bin/runner --help lists the ops' do
    expect(expect_help('runner')).to include('gate.and')
  end

  it 'bin/runner answers on stdout, line by line, and exits 0 at the end of input' do
    out, status = Open3.capture2(File.join(BinHelpers::BIN, 'runner'),
                                 stdin_data: "{\"id\":\"1\",\"op\":\"gate.or\",\"args\":{\"x1\":0,\"x2\":1}}\n{oops\n")
    expect(status).to be_success
    expect(out.lines.map { |l| JSON.parse(l) })
      .to eq([{ 'id' => '1', 'ok' => { 'y' => 1 } },
              { 'id' => nil, 'error' => { 'type' => 'BadRequest', 'message' => out.lines[1][/"message":"(.*)"/, 1] } }])
  end
end
