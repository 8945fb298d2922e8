-- The validator interprets ops.json: kinds, shapes and symbols, defaults, null
-- as absent, limits and hooks, each refused with its protocol error type.
local validate = require("dlscratch.validate")
local jsonio = require("dlscratch.jsonio")

-- refusal(op, args_json): the error type validate raises for these arguments
local function refusal(op, args)
  local ok, err = pcall(validate.validate, op, jsonio.decode(args))
  assert.is_false(ok, op .. " " .. args)
  assert.is_true(validate.is_error(err), tostring(err))
  return err.type
end

local function values(op, args) return validate.validate(op, jsonio.decode(args)) end

describe("validate", function()
  it("reads ops.json once, with every op's arguments in order", function()
    assert.are.equal(10000000, validate.limits.max_elements)
    assert.are.same({ "x1", "x2" }, { validate.ops["gate.and"].args[1].name, validate.ops["gate.and"].args[2].name })
  end)

  it("number: a JSON number or a non-finite string", function()
    local v = values("graph.buy_apple", '{"apple": 100, "apple_num": "Infinity", "tax": "NaN", "dprice": -1}')
    assert.are.equal(100, v.apple)
    assert.are.equal(math.huge, v.apple_num)
    assert.is_true(v.tax ~= v.tax)
    assert.are.equal("BadArgs", refusal("gate.and", '{"x1": "1", "x2": 0}'))
    assert.are.equal("BadArgs", refusal("gate.and", '{"x1": true, "x2": 0}'))
  end)

  it("number with a domain: ValueError outside it", function()
    assert.are.equal("ValueError", refusal("layer.dropout", '{"x": [1], "dropout_ratio": 1, "dout": [1]}'))
    assert.are.equal("ValueError", refusal("layer.dropout", '{"x": [1], "dropout_ratio": "NaN", "dout": [1]}'))
    assert.are.equal(0, values("layer.dropout", '{"x": [1], "dropout_ratio": 0, "dout": [1]}').dropout_ratio)
  end)

  it("integer and seed: whole numbers within their bounds", function()
    assert.are.equal(3, values("rng.uniform", '{"seed": 2.0, "n": 3}').n)
    assert.are.equal("BadArgs", refusal("rng.uniform", '{"seed": 0, "n": 2.5}'))
    assert.are.equal("BadArgs", refusal("rng.uniform", '{"seed": 0, "n": "Infinity"}'))
    assert.are.equal("ValueError", refusal("rng.uniform", '{"seed": 0, "n": 0}'))
    assert.are.equal("ValueError", refusal("rng.uniform", '{"seed": 0, "n": 1e12}'))
    assert.are.equal("ValueError", refusal("rng.uniform", '{"seed": 2147483648, "n": 1}'))
    assert.are.equal("ValueError", refusal("rng.uniform", '{"seed": -1, "n": 1}'))
  end)

  it("boolean, name (fold_case only where the book lower-cases) and name_or_number", function()
    assert.are.equal("BadArgs", refusal("layer.dropout", '{"x": [1], "train_flg": 1, "dout": [1]}'))
    assert.are.equal("BadArgs", refusal("grad.numerical_diff", '{"f": "Function_1", "x": 1}'))
    assert.are.equal("adam", values("optimizer.run", '{"name": "Adam", "params": {}, "grads_seq": []}').name)
    local mln = '{"input_size": 2, "hidden_size_list": [3], "output_size": 2, "weight_init_std": %s}'
    assert.are.equal("he", values("multi_layer_net.init", mln:format('"He"')).weight_init_std)
    assert.are.equal(0.5, values("multi_layer_net.init", mln:format("0.5")).weight_init_std)
    assert.are.equal("BadArgs", refusal("multi_layer_net.init", mln:format('"lecun"')))
  end)

  it("array: ragged and non-numbers are BadArgs; ndim, size 0 and > 32 dimensions ShapeError", function()
    assert.are.same({ 2, 2 }, values("fn.softmax", '{"x": [[1, 2], [3, 4]]}').x.shape)
    assert.are.equal("BadArgs", refusal("fn.relu", '{"x": [[1], [2, 3]]}'))
    assert.are.equal("BadArgs", refusal("fn.relu", '{"x": [1, "a"]}'))
    assert.are.equal("ShapeError", refusal("fn.softmax", '{"x": 1.0}'))
    assert.are.equal("ShapeError", refusal("fn.softmax", '{"x": [[[1]]]}'))
    assert.are.equal("ShapeError", refusal("fn.relu", '{"x": [[]]}'))
    assert.are.equal("ShapeError", refusal("fn.relu", '{"x": ' .. ("["):rep(33) .. "1" .. ("]"):rep(33) .. "}"))
    assert.are.same({}, values("fn.relu", '{"x": 2}').x.shape)
  end)

  it("symbols bind left to right and must match: D, M and D... of the affine layer", function()
    local affine = '{"W": [[1, 2, 3], [4, 5, 6]], "b": %s, "x": %s, "dout": %s}'
    local v = values("layer.affine", affine:format("[0, 0, 0]", "[[[1], [2]]]", "[[1, 1, 1]]"))
    assert.are.same({ 1, 2, 1 }, v.x.shape)
    assert.are.equal("ShapeError", refusal("layer.affine", affine:format("[0, 0]", "[1, 2]", "[1, 1, 1]")))
    assert.are.equal("ShapeError", refusal("layer.affine", affine:format("[0, 0, 0]", "[1, 2, 3]", "[1, 1, 1]")))
    -- dout has the shape of out: M for a 1-D x, N x M for a batch
    assert.are.equal("ShapeError", refusal("layer.affine", affine:format("[0, 0, 0]", "[1, 2]", "[[1, 1, 1]]")))
    assert.are.equal("ShapeError", refusal("loss.sum_squared_error", '{"y": [1, 2], "t": [1]}'))
  end)

  it("array_or_number keeps a number a number, of the shape of x", function()
    local v = values("layer.mul", '{"x": 2, "y": 3, "dout": 1}')
    assert.are.same({ 2, 3, 1 }, { v.x, v.y, v.dout })
    assert.are.equal("ShapeError", refusal("layer.mul", '{"x": 2, "y": [3], "dout": 1}'))
    -- a non-number where a number may stand is BadArgs before its shape is looked at, as in the reference
    assert.are.equal("BadArgs", refusal("layer.mul", '{"x": [1, 2], "y": "abc", "dout": [1, 1]}'))
    assert.are.equal("BadArgs", refusal("layer.add", '{"x": [1, 2], "y": [1, 2], "dout": true}'))
  end)

  it("target and labels: one-hot or integer labels in 0 .. C-1", function()
    assert.are.same({ 2 }, values("loss.cross_entropy_error", '{"y": [[0.5, 0.5], [0.1, 0.9]], "t": [0, 1]}').t.shape)
    assert.are.same({ 2, 2 }, values("loss.cross_entropy_error", '{"y": [[0.5, 0.5], [0.1, 0.9]], "t": [[1, 0], [0, 1]]}').t.shape)
    assert.are.equal("ValueError", refusal("loss.cross_entropy_error", '{"y": [[0.5, 0.5]], "t": [2]}'))
    assert.are.equal("BadArgs", refusal("loss.cross_entropy_error", '{"y": [[0.5, 0.5]], "t": [0.5]}'))
    assert.are.equal("ShapeError", refusal("loss.cross_entropy_error", '{"y": [[0.5, 0.5]], "t": [0, 1, 0]}'))
    assert.are.equal("ShapeError", refusal("train.two_layer_net",
      '{"x_train": [[1], [2]], "output_size": 2, "t_train": [[1, 0], [0, 1]], "hidden_size": 1, "iters": 1}'))
  end)

  it("int_list: possibly empty, integers, each within its bounds", function()
    local mln = '{"input_size": 2, "hidden_size_list": %s, "output_size": 2}'
    assert.are.same({}, values("multi_layer_net.init", mln:format("[]")).hidden_size_list)
    assert.are.equal("BadArgs", refusal("multi_layer_net.init", mln:format("[1.5]")))
    assert.are.equal("BadArgs", refusal("multi_layer_net.init", mln:format("{}")))
    assert.are.equal("ValueError", refusal("multi_layer_net.init", mln:format("[0]")))
  end)

  it("params, grads_seq and hyper: keys, shapes and numbers", function()
    local tln = '{"params": {"W1": [[1, 2]], "b1": [0, 0], "W2": [[1], [2]], "b2": %s}, "x": [1]}'
    assert.are.same({ 1 }, values("two_layer_net.predict", tln:format("[0]")).params.b2.shape)
    assert.are.equal("ShapeError", refusal("two_layer_net.predict", tln:format("[0, 0]")))
    assert.are.equal("BadArgs", refusal("two_layer_net.predict", tln:format('"b"')))
    local run = '{"name": "sgd", "hyper": %s, "params": {"w": [1, 2]}, "grads_seq": %s}'
    assert.are.equal(1, #values("optimizer.run", run:format("{}", '[{"w": [1, 1]}]')).grads_seq)
    assert.are.equal("ShapeError", refusal("optimizer.run", run:format("{}", '[{"v": [1, 1]}]')))
    assert.are.equal("ShapeError", refusal("optimizer.run", run:format("{}", '[{"w": [1]}]')))
    assert.are.equal("BadArgs", refusal("optimizer.run", run:format('{"lr": "fast"}', "[]")))
    assert.are.equal("BadArgs", refusal("optimizer.run", run:format("[]", "[]")))
  end)

  it("a default fills an absent argument, and null counts as absent", function()
    local v = values("grad.gradient_descent", '{"f": "function_2", "init_x": [1], "lr": null}')
    assert.are.same({ 0.01, 100 }, { v.lr, v.step_num })
    assert.is_nil(values("layer.batch_norm", '{"x": [[1]], "gamma": [1], "beta": [0], "dout": [[1]]}').running_mean)
    assert.are.same({ name = "sgd", hyper = {} }, values("train.two_layer_net",
      '{"x_train": [[1]], "output_size": 2, "t_train": [1], "hidden_size": 1, "iters": 1}').optimizer)
    assert.are.equal("BadArgs", refusal("gate.and", '{"x1": null, "x2": 1}'))
    local tln = '{"params": {"W1": [[1, 2]], "b1": [0, 0], "W2": [[1], [2]], "b2": null}, "x": [1]}'
    assert.are.equal("ShapeError", refusal("two_layer_net.predict", tln))
  end)

  it("limits: element counts above max_elements are ValueError", function()
    assert.are.equal("ValueError", refusal("two_layer_net.init", '{"input_size": 100000, "hidden_size": 1000, "output_size": 1}'))
    assert.are.equal("ValueError", refusal("grad.gradient_descent", '{"f": "function_2", "init_x": [1, 2], "step_num": 6000000}'))
  end)

  it("hooks: layer_sizes, layer_params and momentum_domain", function()
    assert.are.equal("ValueError", refusal("multi_layer_net.init",
      '{"input_size": 5000, "hidden_size_list": [5000], "output_size": 1}'))
    local mln = '{"input_size": 1, "hidden_size_list": [], "output_size": 2, "params": {"W1": %s, "b1": [0, 0]}, '
      .. '"x": [[1]], "t": [1]}'
    assert.are.same({ 1, 2 }, values("multi_layer_net.loss", mln:format("[[1, 1]]")).params.W1.shape)
    assert.are.equal("ShapeError", refusal("multi_layer_net.loss", mln:format("[[1], [1]]")))
    local run = '{"name": "%s", "hyper": {"momentum": 1.5}, "params": {"w": [1]}, "grads_seq": []}'
    assert.are.equal("ValueError", refusal("optimizer.run", run:format("momentum")))
    assert.are.equal("sgd", values("optimizer.run", run:format("sgd")).name)
  end)

  it("hooks: extend_params and running_stats add the batch-norm keys of every hidden layer", function()
    local ext = '{"input_size": 2, "hidden_size_list": [3], "output_size": 2, "use_batchnorm": %s, "params": %s, '
      .. '"running_stats": %s, "x": [[1, 2]]}'
    local p = '{"W1": [[1, 1, 1], [1, 1, 1]], "b1": [0, 0, 0], "W2": [[1, 1], [1, 1], [1, 1]], "b2": [0, 0]%s}'
    local bn = p:format(', "gamma1": [1, 1, 1], "beta1": [0, 0, 0]')
    local stats = '{"running_mean1": [0, 0, 0], "running_var1": %s}'
    local v = values("multi_layer_net_extend.predict", ext:format("true", bn, stats:format("[1, 1, 1]")))
    assert.are.same({ 3 }, v.params.gamma1.shape)
    assert.are.same({ 3 }, v.running_stats.running_var1.shape)
    assert.is_nil(values("multi_layer_net_extend.predict", ext:format("true", bn, "null")).running_stats)
    assert.are.equal("ShapeError", refusal("multi_layer_net_extend.predict", ext:format("true", p:format(""), "null")))
    assert.are.equal("ShapeError", refusal("multi_layer_net_extend.predict", ext:format("true", bn, "{}")))
    assert.are.equal("ShapeError", refusal("multi_layer_net_extend.predict", ext:format("true", bn, stats:format("[1]"))))
    -- without batch norm neither gamma nor running statistics are looked at
    v = values("multi_layer_net_extend.predict", ext:format("false", p:format(""), "{}"))
    assert.is_nil(v.params.gamma1)
    assert.are.same({}, v.running_stats)
  end)

  it("network: the arguments of <kind>.init but seed, prefixed in a refusal; S0 and SL bound", function()
    local tr = '{"network": %s, "x_train": %s, "t_train": [0, 1], "x_test": [[1, 2]], "t_test": %s}'
    local net = '{"kind": "multi_layer_net_extend", "input_size": 2, "hidden_size_list": [3], "output_size": 2%s}'
    local v = values("train.trainer", tr:format(net:format(', "use_dropout": true, "seed": -5'), "[[1, 2], [3, 4]]", "[1]"))
    assert.are.same({ "multi_layer_net_extend", true, 0.5 }, { v.network.kind, v.network.use_dropout, v.network.dropout_ration })
    assert.are.same({ 20, 100, "sgd" }, { v.epochs, v.mini_batch_size, v.optimizer })
    assert.are.equal("ShapeError", refusal("train.trainer", tr:format(net:format(""), "[[1, 2, 3], [3, 4, 5]]", "[1]")))
    assert.are.equal("ValueError", refusal("train.trainer", tr:format(net:format(""), "[[1, 2], [3, 4]]", "[2]")))
    assert.are.equal("BadArgs", refusal("train.trainer", tr:format('{"kind": "simple_net"}', "[[1]]", "[1]")))
    assert.are.equal("BadArgs", refusal("train.trainer", tr:format('[1]', "[[1]]", "[1]")))
    local ok, err = pcall(validate.validate, "train.trainer", jsonio.decode(tr:format(net:format(', "dropout_ration": 1'),
      "[[1, 2], [3, 4]]", "[1]")))
    assert.is_false(ok)
    assert.are.same({ "ValueError", "network: " }, { err.type, err.message:sub(1, 9) })
    local tln = '{"kind": "two_layer_net", "input_size": 2, "hidden_size": 3, "output_size": %d}'
    assert.are.equal(2, values("train.trainer", tr:format(tln:format(2), "[[1, 2], [3, 4]]", "[1]")).network.output_size)
    assert.are.equal("ValueError", refusal("train.trainer", tr:format(tln:format(20000000), "[[1, 2], [3, 4]]", "[1]")))
  end)

  it("hooks: trainer_steps counts int(epochs·max(N / batch, 1))·batch elements", function()
    local tr = '{"network": {"kind": "two_layer_net", "input_size": 1, "hidden_size": 1, "output_size": 2}, '
      .. '"x_train": [[1], [2], [3]], "t_train": [0, 1, 1], "x_test": [[1]], "t_test": [1], "epochs": %d, "mini_batch_size": %d}'
    -- 3 images in batches of 2: 1.5 steps an epoch; int(1.5·3333333)·2 = 9999998, int(1.5·3333334)·2 = 10000002
    assert.are.equal(3333333, values("train.trainer", tr:format(3333333, 2)).epochs)
    assert.are.equal("ValueError", refusal("train.trainer", tr:format(3333334, 2)))
    -- a batch larger than the set: one step an epoch
    assert.are.equal(100000, values("train.trainer", tr:format(100000, 100)).epochs)
    assert.are.equal("ValueError", refusal("train.trainer", tr:format(100001, 100)))
  end)

  it("path: a string, not read here (the runner answers a file it cannot read as ValueError)", function()
    assert.are.equal("/nonexistent", values("data.idx", '{"path": "/nonexistent"}').path)
    assert.are.equal("BadArgs", refusal("data.idx", '{"path": 3}'))
  end)

  it("dims: integers first (BadArgs), then their count (ShapeError), each in 1 .. max_elements, bound", function()
    local col8 = "[" .. string.rep("[1, 1, 1, 1], ", 7) .. "[1, 1, 1, 1]]"
    assert.are.equal("BadArgs", refusal("util.col2im", '{"input_shape": [1, "a", 3], "filter_h": 2, "filter_w": 2, "col": [[1]]}'))
    assert.are.equal("ShapeError", refusal("util.col2im", '{"input_shape": [1, 1, 3], "filter_h": 2, "filter_w": 2, "col": [[1]]}'))
    assert.are.equal("ValueError", refusal("util.col2im", '{"input_shape": [1, 1, 0, 3], "filter_h": 1, "filter_w": 1, "col": [[1]]}'))
    -- N = 2 binds: col has N·OH·OW = 2·2·2 rows of C·FH·FW = 4
    local v = values("util.col2im", '{"input_shape": [2, 1, 3, 3], "filter_h": 2, "filter_w": 2, "col": ' .. col8 .. '}')
    assert.are.same({ 2, 1, 3, 3 }, v.input_shape)
    assert.are.same({ 8, 4 }, v.col.shape)
    assert.are.equal("ShapeError", refusal("util.col2im",
      '{"input_shape": [1, 1, 3, 3], "filter_h": 2, "filter_w": 2, "col": ' .. col8 .. '}'))
  end)

  it("record: each field by its kind, null or missing taking its default, an unknown key BadArgs", function()
    assert.are.same({ filter_num = 30, filter_size = 5, pad = 0, stride = 1 }, values("simple_conv_net.init", "{}").conv_param)
    local v = values("simple_conv_net.init", '{"conv_param": {"filter_num": null, "pad": 1, "stride": 2.0}}')
    assert.are.same({ filter_num = 30, filter_size = 5, pad = 1, stride = 2 }, v.conv_param)
    assert.are.equal("BadArgs", refusal("simple_conv_net.init", '{"conv_param": {"filters": 3}}'))
    assert.are.equal("BadArgs", refusal("simple_conv_net.init", '{"conv_param": {"filter_size": 2.5}}'))
    assert.are.equal("BadArgs", refusal("simple_conv_net.init", '{"conv_param": [30, 5, 0, 1]}'))
    assert.are.equal("ValueError", refusal("simple_conv_net.init", '{"conv_param": {"stride": 0}}'))
  end)

  it("then-hooks run right after their argument: window before the later arguments and the limits", function()
    -- a 4-wide window on a 3-wide image is refused before dout is looked at
    assert.are.equal("ShapeError", refusal("layer.pooling", '{"x": [[[[1, 2, 3]]]], "pool_h": 1, "pool_w": 4, "dout": "no"}'))
    -- and before the limit (10^7-high window, pad 4000: the image alone would pass 10^7 elements)
    assert.are.equal("ShapeError", refusal("util.im2col", '{"input_data": [[[[1]]]], "filter_h": 10000000, "filter_w": 1, "pad": 4000}'))
    assert.are.equal("ValueError", refusal("util.im2col", '{"input_data": [[[[1]]]], "filter_h": 1, "filter_w": 1, "pad": 5000}'))
  end)

  it("window binds OH = (IH + 2·pad - FH) // stride + 1 and OW, the shape of dout", function()
    local x, W = "[[[[1, 2, 3], [4, 5, 6], [7, 8, 9]]]]", "[[[[1, 1], [1, 1]]]]"
    local args = '{"W": ' .. W .. ', "b": [0], "x": ' .. x .. ', "stride": 2, "pad": 1, "dout": %s}'
    -- (3 + 2 - 2) // 2 + 1 = 2
    assert.are.same({ 1, 1, 2, 2 }, values("layer.convolution", args:format("[[[[1, 2], [3, 4]]]]")).dout.shape)
    assert.are.equal("ShapeError", refusal("layer.convolution", args:format(x)))
  end)

  it("pool_window: the convolution's output must hold one 2x2 pooling window", function()
    local v = values("simple_conv_net.init", '{"input_dim": [1, 3, 3], "conv_param": {"filter_num": 1, "filter_size": 2}}')
    assert.are.same({ 1, 3, 3 }, v.input_dim)
    assert.are.equal("ShapeError", refusal("simple_conv_net.init",
      '{"input_dim": [1, 3, 3], "conv_param": {"filter_num": 1, "filter_size": 3}}'))
  end)

  it("conv_net_size counts past 2^63 without wrapping", function()
    -- filter_num·PH·PW·hidden = 10^7 · (5·10^6)² · 10^7 = 2.5e27 weights
    assert.are.equal("ValueError", refusal("simple_conv_net.init",
      '{"input_dim": [1, 10000000, 10000000], "conv_param": {"filter_num": 10000000, "filter_size": 1}, "hidden_size": 10000000}'))
    -- the book's net with hidden 2400: W2 alone is 4320 x 2400, above 10^7
    assert.are.equal("ValueError", refusal("simple_conv_net.init", '{"hidden_size": 2400}'))
  end)

  it("network simple_conv_net binds C, IH, IW: the trainer's images are N x C x IH x IW", function()
    local net = '{"kind": "simple_conv_net", "input_dim": [1, 3, 3], "conv_param": {"filter_num": 1, "filter_size": 2},'
      .. ' "hidden_size": 1, "output_size": 2}'
    local img = "[[[[0, 0, 0], [0, 0, 0], [0, 0, 0]]]]"
    local function trainer(network, x) return '{"network": ' .. network .. ', "x_train": ' .. x .. ', "t_train": [0], "x_test": '
      .. x .. ', "t_test": [1]}' end
    assert.are.same({ 1, 1, 3, 3 }, values("train.trainer", trainer(net, img)).x_train.shape)
    assert.are.equal("ShapeError", refusal("train.trainer", trainer(net, "[[[[0, 0], [0, 0], [0, 0]]]]")))
    assert.are.equal("ShapeError", refusal("train.trainer", trainer(net, "[[0, 0, 0, 0, 0, 0, 0, 0, 0]]")))
    local dense = '{"kind": "two_layer_net", "input_size": 9, "hidden_size": 2, "output_size": 2}'
    assert.are.equal("ShapeError", refusal("train.trainer", trainer(dense, img)))
  end)
end)
