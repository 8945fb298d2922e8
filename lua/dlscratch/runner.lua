-- The conformance runner: one JSON request per line on stdin, one answer per
-- line on stdout (shared_tests/README.md). Each op is a binding from the
-- arguments that dlscratch.validate checked against ops.json to the book's code.
local jsonio = require("dlscratch.jsonio")
local validate = require("dlscratch.validate")
local functions = require("dlscratch.functions")
local gates = require("dlscratch.gates")
local graph = require("dlscratch.graph")
local gradient = require("dlscratch.gradient")
local layers = require("dlscratch.layers")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")
local datasets = require("dlscratch.datasets")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")

local M = {}
local OPS = {}
M.OPS = OPS

for name, gate in pairs({ ["gate.and"] = gates.AND, ["gate.nand"] = gates.NAND, ["gate.or"] = gates.OR,
  ["gate.xor"] = gates.XOR }) do
  OPS[name] = function(v) return { y = gate(v.x1, v.x2) } end
end

for _, f in ipairs({ "identity", "step", "sigmoid", "sigmoid_grad", "relu", "relu_grad", "softmax" }) do
  OPS["fn." .. f] = function(v) return { y = functions[f](v.x) } end
end

OPS["loss.sum_squared_error"] = function(v) return { loss = functions.sum_squared_error(v.y, v.t) } end
OPS["loss.cross_entropy_error"] = function(v) return { loss = functions.cross_entropy_error(v.y, v.t) } end

-- f over an array, summed to a number (function_1 elementwise, as np.sum(function_1(x)))
local SUMMED = {
  function_2 = gradient.function_2,
  function_1 = function(x)
    local s = {}
    for i = 1, x.size do s[i] = gradient.function_1(x.data[i]) end
    return tensor.pairwise_sum(s, 1, x.size)
  end,
}

OPS["grad.numerical_diff"] = function(v) return { d = gradient.numerical_diff(gradient[v.f], v.x) } end
OPS["grad.numerical_gradient"] = function(v) return { grad = gradient.numerical_gradient(SUMMED[v.f], v.x) } end
OPS["grad.gradient_descent"] = function(v)
  return { x = gradient.gradient_descent(SUMMED[v.f], v.init_x, v.lr, v.step_num) }
end

OPS["simple_net.predict"] = function(v) return { p = networks.SimpleNet.new(v.W):predict(v.x) } end
OPS["simple_net.loss"] = function(v) return { loss = networks.SimpleNet.new(v.W):loss(v.x, v.t) } end
OPS["simple_net.numerical_gradient"] = function(v)
  return { dW = networks.SimpleNet.new(v.W):numerical_gradient(v.x, v.t) }
end

for name, class in pairs({ mul = graph.MulLayer, add = graph.AddLayer }) do
  OPS["layer." .. name] = function(v)
    local layer = class.new()
    local out = layer:forward(v.x, v.y)
    local dx, dy = layer:backward(v.dout)
    return { out = out, dx = dx, dy = dy }
  end
end

OPS["graph.buy_apple"] = function(v) return graph.buy_apple(v.apple, v.apple_num, v.tax, v.dprice) end
OPS["graph.buy_apple_orange"] = function(v)
  return graph.buy_apple_orange(v.apple, v.apple_num, v.orange, v.orange_num, v.tax, v.dprice)
end

-- forward then backward through one layer
local function layer_op(layer, v)
  local out = layer:forward(v.x, v.train_flg)
  return { out = out, dx = layer:backward(v.dout) }
end

OPS["layer.relu"] = function(v) return layer_op(layers.Relu.new(), v) end
OPS["layer.sigmoid"] = function(v) return layer_op(layers.Sigmoid.new(), v) end
OPS["layer.dropout"] = function(v) return layer_op(layers.Dropout.new(v.dropout_ratio, rng_mod.new(v.seed)), v) end

OPS["layer.affine"] = function(v)
  local layer = layers.Affine.new(v.W, v.b)
  local out = layer:forward(v.x)
  local dx = layer:backward(v.dout)
  return { out = out, dx = dx, dW = layer.dW, db = layer.db }
end

OPS["layer.softmax_with_loss"] = function(v)
  local layer = layers.SoftmaxWithLoss.new()
  local loss = layer:forward(v.x, v.t)
  return { loss = loss, y = layer:output(), dx = layer:backward() }
end

OPS["layer.batch_norm"] = function(v)
  local layer = layers.BatchNormalization.new(v.gamma, v.beta, v.momentum, v.running_mean, v.running_var)
  local out = layer:forward(v.x, v.train_flg)
  return {
    out = out, dx = layer:backward(v.dout), dgamma = layer.dgamma, dbeta = layer.dbeta,
    running_mean = layer.running_mean, running_var = layer.running_var,
  }
end

OPS["net3.init"] = function() return networks.net3.init() end
OPS["net3.forward"] = function(v) return networks.net3.forward(v.network, v.x, v.output) end

OPS["two_layer_net.init"] = function(v)
  return networks.TwoLayerNet.new(v.input_size, v.hidden_size, v.output_size, v.weight_init_std, v.seed).params
end
OPS["two_layer_net.predict"] = function(v) return { y = networks.TwoLayerNet.from_params(v.params):predict(v.x) } end
OPS["two_layer_net.loss"] = function(v) return { loss = networks.TwoLayerNet.from_params(v.params):loss(v.x, v.t) } end
OPS["two_layer_net.accuracy"] = function(v)
  return { accuracy = networks.TwoLayerNet.from_params(v.params):accuracy(v.x, v.t) }
end
for _, m in ipairs({ "gradient", "numerical_gradient" }) do
  OPS["two_layer_net." .. m] = function(v)
    local net = networks.TwoLayerNet.from_params(v.params)
    return net[m](net, v.x, v.t)
  end
  OPS["multi_layer_net." .. m] = function(v)
    local net = networks.MultiLayerNet.new(v)
    return net[m](net, v.x, v.t)
  end
end

OPS["multi_layer_net.init"] = function(v) return networks.MultiLayerNet.new(v).params end
OPS["multi_layer_net.loss"] = function(v) return { loss = networks.MultiLayerNet.new(v):loss(v.x, v.t) } end

OPS["optimizer.run"] = function(v)
  local opt = optimizers.create(v.name, v.hyper)
  for _, grads in ipairs(v.grads_seq) do opt:update(v.params, grads) end
  return { params = v.params }
end

OPS["rng.uniform"] = function(v) return { x = jsonio.array(rng_mod.new(v.seed):uniform(v.n)) } end
OPS["rng.normal"] = function(v) return { x = jsonio.array(rng_mod.new(v.seed):normal(v.n)) } end
OPS["rng.permutation"] = function(v) return { p = jsonio.array(rng_mod.new(v.seed):permutation(v.n)) } end
OPS["rng.choice"] = function(v) return { idx = jsonio.array(rng_mod.new(v.seed):choice(v.n, v.size)) } end

OPS["train.two_layer_net"] = function(v)
  local result = train.two_layer_net(v.x_train, v.t_train.data, {
    hidden_size = v.hidden_size, output_size = v.output_size, weight_init_std = v.weight_init_std,
    lr = v.lr, batch_size = v.batch_size, iters = v.iters, seed = v.seed,
    optimizer = v.optimizer.name, hyper = v.optimizer.hyper,
  })
  return { loss_history = jsonio.array(result.loss_history), params = result.params }
end

OPS["data.idx"] = function(v)
  local s = datasets.summary(v.path)
  return { shape = jsonio.array(s.shape), sum = s.sum, head = jsonio.array(s.head) }
end

---------------------------------------------------------------------------
local function answer(id, body)
  body.id = id == nil and jsonio.null or id
  return jsonio.encode(body)
end

local function failure(id, kind, message) return answer(id, { error = { type = kind, message = message } }) end

-- handle(line): the answer line to one request line.
function M.handle(line)
  local req, msg = jsonio.decode(line)
  if req == nil then return failure(nil, "BadRequest", "the line is not valid JSON: " .. tostring(msg)) end
  if not jsonio.is_object(req) then
    return failure(nil, "BadRequest", "a request must be a JSON object, not " .. validate.json_type(req))
  end
  local id, op, args = req.id, req.op, req.args
  if type(id) ~= "string" then return failure(nil, "BadRequest", 'a request needs a string "id"') end
  if type(op) ~= "string" then return failure(id, "BadRequest", 'a request needs a string "op"') end
  if args == nil then args = {} end
  if not jsonio.is_object(args) then
    return failure(id, "BadArgs", '"args" must be an object, not ' .. validate.json_type(args))
  end
  if OPS[op] == nil then return failure(id, "UnknownOp", string.format("unknown op %q", op)) end
  local ok, text = pcall(function() return answer(id, { ok = OPS[op](validate.validate(op, args)) }) end)
  if ok then return text end
  if validate.is_error(text) then return failure(id, text.type, text.message) end
  io.stderr:write("internal error: ", tostring(text), "\n")
  return failure(id, "InternalError", tostring(text))
end

-- op_names(): every op, sorted.
function M.op_names()
  local names = {}
  for k in pairs(OPS) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- Lines of standard input through read(2) (LuaJIT's FFI): LuaJIT's own line
-- reader (fgets + strlen) cuts a line at a NUL byte and joins the rest to the next.
local function stdin_lines_ffi()
  local ffi = require("ffi")
  pcall(ffi.cdef, "long read(int fd, void *buf, unsigned long count);")
  local buf, chunk, pos, parts, eof = ffi.new("char[65536]"), "", 1, {}, false
  local function line(last)
    local text = table.concat(parts)
    parts = {}
    if text ~= "" or not last then return text end
  end
  return function()
    while true do
      local nl = chunk:find("\n", pos, true)
      parts[#parts + 1] = chunk:sub(pos, (nl or 0) - 1)
      if nl then pos = nl + 1; return line(false) end
      chunk, pos = "", 1
      if eof then return line(true) end
      local n = tonumber(ffi.C.read(0, buf, 65536))
      if n > 0 then chunk = ffi.string(buf, n)
      elseif n == 0 or ffi.errno() ~= 4 then eof = true end -- 4: EINTR, read again
    end
  end
end

-- main(input, output): answer every line of input that is not blank (ASCII white space, %s).
function M.main(input, output)
  input, output = input or io.stdin, output or io.stdout
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
