-- The conformance runner: one JSON request per line on stdin, one answer per
-- line on stdout (shared_tests/README.md). OPS binds each op, with the arguments
-- that dlscratch.validate checked against ops.json, to the book's code.
local jsonio = require("dlscratch.jsonio")
local validate = require("dlscratch.validate")
local datasets = require("dlscratch.datasets")
local functions = require("dlscratch.functions")
local gates = require("dlscratch.gates")
local graph = require("dlscratch.graph")
local gradient = require("dlscratch.gradient")
local layers = require("dlscratch.layers")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")
local util = require("dlscratch.util")
local Trainer = require("dlscratch.trainer").Trainer

local array, TwoLayerNet, MultiLayerNet = jsonio.array, networks.TwoLayerNet, networks.MultiLayerNet
local SimpleConvNet, DeepConvNet = networks.SimpleConvNet, networks.DeepConvNet

local M = {}

-- f over an array, summed to a number (function_1 elementwise, as np.sum(function_1(x)))
local SUMMED = {
  function_1 = function(x) return tensor.sum(tensor.map(x, gradient.function_1)) end,
  function_2 = gradient.function_2,
}

-- run(layer, v, second, ...): forward (x, second) then backward (dout) through a layer; ...: its other outputs
local function run(layer, v, second, ...)
  local answer = { out = layer:forward(v.x, second) }
  answer.dx, answer.dy = layer:backward(v.dout)
  for _, key in ipairs({ ... }) do answer[key] = layer[key] end
  return answer
end

local function simple_net(v) return networks.SimpleNet.new(v.W) end
local function two_layer_net(v) return TwoLayerNet.from_params(v.params) end

-- extend(v): MultiLayerNetExtend around v.params and v.running_stats, its Dropout masks seeded with v.seed
local function extend(v) return networks.MultiLayerNetExtend.new(v) end

-- extend_pass(v, key, method, ...): {key = net:method(...)} with the running statistics after that pass
local function extend_pass(v, key, method, ...)
  local net = extend(v)
  return { [key] = net[method](net, ...), running_stats = net.running_stats }
end

-- deep_net(v): DeepConvNet around v.params, its Dropout masks seeded with v.seed, or drawn from v.seed
local function deep_net(v)
  if v.params then v.dropout_seed = v.seed end
  return DeepConvNet.new(v)
end

-- MODELS[kind](network): the network of a parameters file (model_file), around its params
local MODELS = {
  two_layer_net = function(n) return TwoLayerNet.from_params(n.params) end,
  simple_conv_net = SimpleConvNet.new,
  deep_conv_net = DeepConvNet.new,
}

local OPS = {
  ["loss.sum_squared_error"] = function(v) return { loss = functions.sum_squared_error(v.y, v.t) } end,
  ["loss.cross_entropy_error"] = function(v) return { loss = functions.cross_entropy_error(v.y, v.t) } end,
  ["grad.numerical_diff"] = function(v) return { d = gradient.numerical_diff(gradient[v.f], v.x) } end,
  ["grad.numerical_gradient"] = function(v) return { grad = gradient.numerical_gradient(SUMMED[v.f], v.x) } end,
  ["grad.gradient_descent"] = function(v)
    return { x = gradient.gradient_descent(SUMMED[v.f], v.init_x, v.lr, v.step_num) }
  end,
  ["simple_net.predict"] = function(v) return { p = simple_net(v):predict(v.x) } end,
  ["simple_net.loss"] = function(v) return { loss = simple_net(v):loss(v.x, v.t) } end,
  ["simple_net.numerical_gradient"] = function(v) return { dW = simple_net(v):numerical_gradient(v.x, v.t) } end,
  ["layer.mul"] = function(v) return run(graph.MulLayer.new(), v, v.y) end,
  ["layer.add"] = function(v) return run(graph.AddLayer.new(), v, v.y) end,
  ["graph.buy_apple"] = function(v) return graph.buy_apple(v.apple, v.apple_num, v.tax, v.dprice) end,
  ["graph.buy_apple_orange"] = function(v)
    return graph.buy_apple_orange(v.apple, v.apple_num, v.orange, v.orange_num, v.tax, v.dprice)
  end,
  ["layer.relu"] = function(v) return run(layers.Relu.new(), v) end,
  ["layer.sigmoid"] = function(v) return run(layers.Sigmoid.new(), v) end,
  ["layer.affine"] = function(v) return run(layers.Affine.new(v.W, v.b), v, nil, "dW", "db") end,
  ["layer.softmax_with_loss"] = function(v)
    local layer = layers.SoftmaxWithLoss.new()
    return { loss = layer:forward(v.x, v.t), y = layer:output(), dx = layer:backward() }
  end,
  ["layer.dropout"] = function(v) return run(layers.Dropout.new(v.dropout_ratio, rng.new(v.seed)), v, v.train_flg) end,
  ["layer.batch_norm"] = function(v)
    local layer = layers.BatchNormalization.new(v.gamma, v.beta, v.momentum, v.running_mean, v.running_var)
    return run(layer, v, v.train_flg, "dgamma", "dbeta", "running_mean", "running_var")
  end,
  ["net3.init"] = function() return networks.net3.init() end,
  ["net3.forward"] = function(v) return networks.net3.forward(v.network, v.x, v.output) end,
  ["two_layer_net.init"] = function(v)
    return TwoLayerNet.new(v.input_size, v.hidden_size, v.output_size, v.weight_init_std, v.seed).params
  end,
  ["two_layer_net.predict"] = function(v) return { y = two_layer_net(v):predict(v.x) } end,
  ["two_layer_net.loss"] = function(v) return { loss = two_layer_net(v):loss(v.x, v.t) } end,
  ["two_layer_net.accuracy"] = function(v) return { accuracy = two_layer_net(v):accuracy(v.x, v.t) } end,
  ["two_layer_net.gradient"] = function(v) return two_layer_net(v):gradient(v.x, v.t) end,
  ["two_layer_net.numerical_gradient"] = function(v) return two_layer_net(v):numerical_gradient(v.x, v.t) end,
  ["multi_layer_net.init"] = function(v) return MultiLayerNet.new(v).params end,
  ["multi_layer_net.loss"] = function(v) return { loss = MultiLayerNet.new(v):loss(v.x, v.t) } end,
  ["multi_layer_net.gradient"] = function(v) return MultiLayerNet.new(v):gradient(v.x, v.t) end,
  ["multi_layer_net.numerical_gradient"] = function(v) return MultiLayerNet.new(v):numerical_gradient(v.x, v.t) end,
  ["multi_layer_net_extend.init"] = function(v) return extend(v).params end,
  ["multi_layer_net_extend.predict"] = function(v) return extend_pass(v, "y", "predict", v.x, v.train_flg) end,
  ["multi_layer_net_extend.loss"] = function(v) return extend_pass(v, "loss", "loss", v.x, v.t, v.train_flg) end,
  ["multi_layer_net_extend.accuracy"] = function(v) return { accuracy = extend(v):accuracy(v.x, v.t) } end,
  ["multi_layer_net_extend.gradient"] = function(v) return extend(v):gradient(v.x, v.t) end,
  ["multi_layer_net_extend.numerical_gradient"] = function(v) return extend(v):numerical_gradient(v.x, v.t) end,
  ["util.im2col"] = function(v) return { col = util.im2col(v.input_data, v.filter_h, v.filter_w, v.stride, v.pad) } end,
  ["util.to_float16"] = function(v) return { y = util.to_float16(v.x) } end,
  ["util.col2im"] = function(v)
    return { x = util.col2im(v.col, v.input_shape, v.filter_h, v.filter_w, v.stride, v.pad) }
  end,
  ["layer.convolution"] = function(v) return run(layers.Convolution.new(v.W, v.b, v.stride, v.pad), v, nil, "dW", "db") end,
  ["layer.pooling"] = function(v) return run(layers.Pooling.new(v.pool_h, v.pool_w, v.stride, v.pad), v) end,
  ["simple_conv_net.init"] = function(v) return SimpleConvNet.new(v).params end,
  ["simple_conv_net.predict"] = function(v) return { y = SimpleConvNet.new(v):predict(v.x) } end,
  ["simple_conv_net.loss"] = function(v) return { loss = SimpleConvNet.new(v):loss(v.x, v.t) } end,
  ["simple_conv_net.accuracy"] = function(v) return { accuracy = SimpleConvNet.new(v):accuracy(v.x, v.t) } end,
  ["simple_conv_net.gradient"] = function(v) return SimpleConvNet.new(v):gradient(v.x, v.t) end,
  ["simple_conv_net.numerical_gradient"] = function(v) return SimpleConvNet.new(v):numerical_gradient(v.x, v.t) end,
  ["deep_conv_net.init"] = function(v) return deep_net(v).params end,
  ["deep_conv_net.predict"] = function(v) return { y = deep_net(v):predict(v.x, v.train_flg) } end,
  ["deep_conv_net.loss"] = function(v) return { loss = deep_net(v):loss(v.x, v.t, v.train_flg) } end,
  ["deep_conv_net.accuracy"] = function(v) return { accuracy = deep_net(v):accuracy(v.x, v.t) } end,
  ["deep_conv_net.gradient"] = function(v) return deep_net(v):gradient(v.x, v.t) end,
  ["model.evaluate"] = function(v)
    local x = v.x
    if v.half then -- ch08/half_float_network.py: binary16 weights and images, float64 arithmetic
      for key, p in pairs(v.path.params) do v.path.params[key] = util.to_float16(p) end
      x = util.to_float16(x)
    end
    local net = MODELS[v.path.kind](v.path)
    return { y = net:predict(x), accuracy = net:accuracy(x, v.t) }
  end,
  ["optimizer.run"] = function(v)
    local opt = optimizers.create(v.name, v.hyper)
    for _, grads in ipairs(v.grads_seq) do opt:update(v.params, grads) end
    return { params = v.params }
  end,
  ["rng.uniform"] = function(v) return { x = array(rng.new(v.seed):uniform(v.n)) } end,
  ["rng.normal"] = function(v) return { x = array(rng.new(v.seed):normal(v.n)) } end,
  ["rng.permutation"] = function(v) return { p = array(rng.new(v.seed):permutation(v.n)) } end,
  ["rng.choice"] = function(v) return { idx = array(rng.new(v.seed):choice(v.n, v.size)) } end,
  ["train.two_layer_net"] = function(v)
    v.optimizer, v.hyper = v.optimizer.name, v.optimizer.hyper
    local result = train.two_layer_net(v.x_train, v.t_train.data, v)
    return { loss_history = array(result.loss_history), params = result.params }
  end,
  ["train.trainer"] = function(v)
    v.rng = rng.new(v.seed) -- the network's weights, then each step's batch (and Dropout mask seed)
    local net = networks.NETWORKS[v.network.kind](v.network, v.rng)
    local t = Trainer.new(net, v.x_train, v.t_train, v.x_test, v.t_test, v)
    t:train()
    return { train_loss_list = t.train_loss_list, train_acc_list = t.train_acc_list, test_acc_list = t.test_acc_list,
      test_acc = t.test_acc, params = net.params }
  end,
  ["data.idx"] = function(v)
    local s = datasets.summary(datasets.read_idx(v.path))
    return { shape = array(s.shape), sum = s.sum, head = array(s.head) }
  end,
}
for _, gate in ipairs({ "AND", "NAND", "OR", "XOR" }) do
  OPS["gate." .. gate:lower()] = function(v) return { y = gates[gate](v.x1, v.x2) } end
end
for _, f in ipairs({ "identity", "step", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "tanh", "softmax" }) do
  OPS["fn." .. f] = function(v) return { y = functions[f](v.x) } end
end

-- answer(id, body): the answer line, with the request's id (null when it had none)
local function answer(id, body)
  body.id = id == nil and jsonio.null or id
  return jsonio.encode(body)
end

local function failure(id, kind, message) return answer(id, { error = { type = kind, message = message } }) end

function M.handle(line)
  local req, msg = jsonio.decode(line)
  if req == nil then return failure(nil, "BadRequest", "the line is not valid JSON: " .. tostring(msg)) end
  if not jsonio.is_object(req) then return failure(nil, "BadRequest", "a request must be a JSON object") end
  local id, op, args = req.id, req.op, req.args
  if type(id) ~= "string" then return failure(nil, "BadRequest", 'a request needs a string "id"') end
  if type(op) ~= "string" then return failure(id, "BadRequest", 'a request needs a string "op"') end
  if args ~= nil and not jsonio.is_object(args) then return failure(id, "BadArgs", '"args" must be an object') end
  if OPS[op] == nil then return failure(id, "UnknownOp", string.format("unknown op %q", op)) end
  local ok, text = pcall(function() return answer(id, { ok = OPS[op](validate.validate(op, args or {})) }) end)
  if ok then return text end
  if validate.is_error(text) then return failure(id, text.type, text.message) end
  if datasets.is_file_error(text) then return failure(id, "ValueError", text.message) end -- unreadable, or not IDX
  io.stderr:write("internal error: ", tostring(text), "\n")
  return failure(id, "InternalError", tostring(text))
end

function M.op_names() return validate.sorted_keys(OPS) end

-- Lines of standard input through getline(3) (LuaJIT's FFI): LuaJIT's own line
-- reader (fgets + strlen) cuts a line at a NUL byte and joins the rest to the next.
local function stdin_lines_ffi()
  local ffi = require("ffi")
  pcall(ffi.cdef, "extern void *stdin; long getline(char **line, unsigned long *size, void *stream);")
  local line, size = ffi.new("char *[1]"), ffi.new("unsigned long[1]")
  return function()
    local n = tonumber(ffi.C.getline(line, size, ffi.C.stdin))
    if n > 0 then return ffi.string(line[0], line[0][n - 1] == 10 and n - 1 or n) end
  end
end

-- main(input, output): answer every line of input that is not blank (ASCII white space, %s).
function M.main(input, output)
  for line in (input == io.stdin and jit) and stdin_lines_ffi() or input:lines() do
    if line:find("%S") then
      local ok, text = pcall(M.handle, line)
      output:write(ok and text or failure(nil, "InternalError", tostring(text)), "\n")
      output:flush()
    end
  end
  return 0
end

return M
