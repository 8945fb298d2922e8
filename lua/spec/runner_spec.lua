-- The runner answers every line, in order, with an ok or a typed error.
local runner = require("dlscratch.runner")
local jsonio = require("dlscratch.jsonio")
local validate = require("dlscratch.validate")

local function answer(line)
  return jsonio.decode(runner.handle(line))
end

local function error_type(line)
  local a = answer(line)
  return a.error and a.error.type
end

describe("runner", function()
  it("answers the book's softmax", function()
    local a = answer('{"id": "s", "op": "fn.softmax", "args": {"x": [0.3, 2.9, 4.0]}}')
    assert.are.equal("s", a.id)
    assert.is_near(0.73659691, a.ok.y[3], 1e-8)
  end)

  it("gives each kind of bad request its error type", function()
    assert.are.equal("BadRequest", error_type("{not json"))
    assert.are.equal("BadRequest", error_type("[1, 2]"))
    assert.are.equal("BadRequest", error_type('{"op": "fn.relu"}'))
    assert.are.equal("BadRequest", error_type('{"id": "x", "op": 3}'))
    assert.are.equal("UnknownOp", error_type('{"id": "x", "op": "fn.cosh", "args": {"x": 1}}'))
    assert.are.equal("BadArgs", error_type('{"id": "x", "op": "fn.relu", "args": [1]}'))
    assert.are.equal("BadArgs", error_type('{"id": "x", "op": "fn.relu", "args": {}}'))
    assert.are.equal("BadArgs", error_type('{"id": "x", "op": "fn.relu", "args": {"x": [[1], [2, 3]]}}'))
    assert.are.equal("BadArgs", error_type('{"id": "x", "op": "rng.uniform", "args": {"seed": 0.5, "n": 3}}'))
    assert.are.equal("ValueError", error_type('{"id": "x", "op": "rng.uniform", "args": {"seed": -1, "n": 3}}'))
    assert.are.equal("ValueError", error_type('{"id": "x", "op": "rng.uniform", "args": {"seed": 0, "n": 100000000}}'))
    assert.are.equal("ShapeError", error_type('{"id": "x", "op": "fn.softmax", "args": {"x": []}}'))
    assert.are.equal("ShapeError",
      error_type('{"id": "x", "op": "layer.affine", "args": {"W": [[1, 2]], "b": [0, 0], "x": [[1, 2]], "dout": [[1, 1]]}}'))
    assert.are.equal("ValueError",
      error_type('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [[0.5, 0.5]], "t": [7]}}'))
    assert.are.equal("BadArgs",
      error_type('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [[0.5, 0.5]], "t": [1.5]}}'))
    assert.are.equal("ValueError", error_type('{"id": "x", "op": "data.idx", "args": {"path": "/nonexistent"}}'))
    assert.are.equal("ValueError", error_type('{"id": "x", "op": "data.idx", "args": {"path": "spec/runner_spec.lua"}}'))
    assert.are.equal("BadArgs", error_type('{"id": "x", "op": "fn.relu", "args": null}'))
  end)

  it("takes weight_init_std names in any case but the activation only as the book writes it", function()
    local mln = '{"id": "m", "op": "multi_layer_net.init", "args": {"input_size": 2, "hidden_size_list": [2], '
      .. '"output_size": 2, %s}}'
    assert.is_table(answer(mln:format('"weight_init_std": "He"')).ok)
    assert.is_table(answer(mln:format('"activation": "sigmoid", "weight_init_std": "Xavier"')).ok)
    assert.are.equal("BadArgs", error_type(mln:format('"activation": "ReLU"')))
    assert.are.equal("BadArgs", error_type(mln:format('"weight_init_std": "lecun"')))
  end)

  it("matches f and output names as written, lower-cases only the optimizer name", function()
    assert.is_number(answer('{"id": "d", "op": "grad.numerical_diff", "args": {"f": "function_1", "x": 1.0}}').ok.d)
    for _, op in ipairs({ "numerical_diff", "numerical_gradient", "gradient_descent" }) do
      local arg = op == "numerical_diff" and '"x": 1.0' or op == "numerical_gradient" and '"x": [1.0]' or '"init_x": [1.0]'
      assert.are.equal("BadArgs",
        error_type(('{"id": "d", "op": "grad.%s", "args": {"f": "Function_1", %s}}'):format(op, arg)))
    end
    local net3 = '{"id": "n", "op": "net3.forward", "args": {"network": {"W1": [[0.1]], "b1": [0.1], '
      .. '"W2": [[0.1]], "b2": [0.1], "W3": [[0.1]], "b3": [0.1]}, "x": [1.0], "output": "%s"}}'
    assert.is_table(answer(net3:format("softmax")).ok)
    assert.are.equal("BadArgs", error_type(net3:format("Softmax")))
    local opt = '{"id": "o", "op": "optimizer.run", "args": {"name": "%s", "hyper": {"lr": 0.5}, '
      .. '"params": {"w": [1.0, -2.0]}, "grads_seq": [{"w": [1.0, 0.5]}]}}'
    assert.are.same({ 0.5, -2.25 }, answer(opt:format("SGD")).ok.params.w)
    assert.is_table(answer(opt:format("Adam")).ok)
    assert.are.equal("BadArgs", error_type(opt:format("S G D")))
  end)

  it("answers a MultiLayerNetExtend pass with its running statistics, the Trainer with its lists", function()
    local init = answer('{"id": "i", "op": "multi_layer_net_extend.init", "args": {"input_size": 2, '
      .. '"hidden_size_list": [3], "output_size": 2, "use_batchnorm": true}}').ok
    assert.are.same({ 1, 1, 1 }, init.gamma1)
    local pass = '{"id": "p", "op": "multi_layer_net_extend.predict", "args": {"input_size": 2, "hidden_size_list": [3], '
      .. '"output_size": 2, "use_batchnorm": %s, "params": %s, "x": [[1, 2], [3, 5]], "train_flg": true}}'
    local a = answer(pass:format("true", jsonio.encode(init))).ok
    assert.are.equal(2, #a.y)
    -- the batch mean of x·W1 is [2, 3.5]·W1, a tenth of it the running mean after one pass from zeros
    for j = 1, 3 do
      assert.is_near(0.1 * (2 * init.W1[1][j] + 3.5 * init.W1[2][j]), a.running_stats.running_mean1[j], 1e-15)
    end
    assert.are.equal(3, #a.running_stats.running_var1)
    init.gamma1, init.beta1 = nil, nil
    assert.are.equal("{}", runner.handle(pass:format("false", jsonio.encode(init))):match('"running_stats":(%b{})'))
    local t = answer('{"id": "t", "op": "train.trainer", "args": {"network": {"kind": "multi_layer_net", "input_size": 1, '
      .. '"hidden_size_list": [2], "output_size": 2}, "x_train": [[0], [1], [2]], "t_train": [0, 1, 1], '
      .. '"x_test": [[3]], "t_test": [1], "epochs": 3, "mini_batch_size": 2}}').ok
    -- 1.5 steps an epoch: int(3 · 1.5) = 4 steps, evaluated after steps 0 and 3
    assert.are.same({ 4, 2, 2 }, { #t.train_loss_list, #t.train_acc_list, #t.test_acc_list })
    assert.are.same({ 1, 2 }, { #t.params.W1, #t.params.W1[1] })
    assert.is_number(t.test_acc)
  end)

  it("answers with a null id when the id cannot be read", function()
    local a = answer("42")
    assert.are.equal(jsonio.null, a.id)
  end)

  it("takes NaN and infinities as strings and writes them back", function()
    local a = answer('{"id": "n", "op": "fn.relu", "args": {"x": ["NaN", "-Infinity", "Infinity"]}}')
    assert.are.same({ "NaN", 0, "Infinity" }, a.ok.y)
  end)

  it("goes on after a bad line and skips blank ones", function()
    local lines = { '{"id": "1", "op": "gate.and", "args": {"x1": 1, "x2": 1}}', "garbage", "   ",
      '{"id": "2", "op": "gate.xor", "args": {"x1": 1, "x2": 1}}' }
    local input = { lines = function() local i = 0; return function() i = i + 1; return lines[i] end end }
    local out = {}
    local output = { write = function(_, ...) for _, s in ipairs({ ... }) do out[#out + 1] = s end end, flush = function() end }
    runner.main(input, output)
    local text = table.concat(out)
    local answers = {}
    for l in text:gmatch("[^\n]+") do answers[#answers + 1] = jsonio.decode(l) end
    assert.are.equal(3, #answers)
    assert.are.equal(1, answers[1].ok.y)
    assert.are.equal("BadRequest", answers[2].error.type)
    assert.are.equal(0, answers[3].ok.y)
  end)

  it("knows exactly the ops of ops.json", function()
    local schema_ops = {}
    for op in pairs(validate.ops) do schema_ops[#schema_ops + 1] = op end
    table.sort(schema_ops)
    assert.are.same(schema_ops, runner.op_names())
  end)

  it("answers chapter 7's ops: im2col's col, a pooling's out and dx, a SimpleConvNet's parameters", function()
    local a = answer('{"id": "c", "op": "util.im2col", "args": {"input_data": [[[[1, 2], [3, 4]]]], "filter_h": 1, '
      .. '"filter_w": 2, "pad": 1, "stride": 2}}')
    -- padded 4x4 [0 0 0 0; 0 1 2 0; 0 3 4 0; 0 0 0 0], 1x2 windows at stride 2: rows 0 and 2, columns 0 and 2
    assert.are.same({ { 0, 0 }, { 0, 0 }, { 0, 3 }, { 4, 0 } }, a.ok.col)
    a = answer('{"id": "p", "op": "layer.pooling", "args": {"x": [[[[1, 7], [3, 4]]]], "pool_h": 2, "pool_w": 2, '
      .. '"dout": [[[[5]]]]}}')
    assert.are.same({ { { { 7 } } } }, a.ok.out)
    assert.are.same({ { { { 0, 5 }, { 0, 0 } } } }, a.ok.dx)
    a = answer('{"id": "n", "op": "simple_conv_net.init", "args": {"input_dim": [2, 5, 5], '
      .. '"conv_param": {"filter_num": 3, "filter_size": 2}, "hidden_size": 4, "output_size": 3}}')
    assert.are.equal(3, #a.ok.W1)
    assert.are.equal(2, #a.ok.W1[1])
    assert.are.equal(3 * 2 * 2, #a.ok.W2) -- conv 4x4, pooled 2x2
    assert.are.equal("ShapeError", error_type('{"id": "e", "op": "simple_conv_net.init", "args": {"input_dim": [1, 2, 2], '
      .. '"conv_param": {"filter_size": 2}}}'))
  end)
end)
