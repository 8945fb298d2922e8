-- The conformance runner: one JSON request per line on stdin, one answer per
-- line on stdout (shared_tests/README.md). Each op is a binding from the
-- arguments that dlscratch.validate checked against ops.json to the book's
-- code; a result that is not a table of ok keys is the op's only ok key.
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

local unpack = table.unpack or unpack
local TwoLayerNet, MultiLayerNet = networks.TwoLayerNet, networks.MultiLayerNet

local M = {}
local OPS = {}
M.OPS = OPS

-- Book functions called with the arguments in the schema's order.
local POSITIONAL = {
  ["gate.and"] = gates.AND, ["gate.nand"] = gates.NAND, ["gate.or"] = gates.OR, ["gate.xor"] = gates.XOR,
  ["fn.identity"] = functions.identity, ["fn.step"] = functions.step, ["fn.sigmoid"] = functions.sigmoid,
  ["fn.sigmoid_grad"] = functions.sigmoid_grad, ["fn.relu"] = functions.relu, ["fn.relu_grad"] = functions.relu_grad,
  ["fn.softmax"] = functions.softmax, ["loss.sum_squared_error"] = functions.sum_squared_error,
  ["loss.cross_entropy_error"] = functions.cross_entropy_error, ["graph.buy_apple"] = graph.buy_apple,
  ["graph.buy_apple_orange"] = graph.buy_apple_orange, ["net3.init"] = networks.net3.init,
  ["net3.forward"] = networks.net3.forward,
}
for op, fn in pairs(POSITIONAL) do
  OPS[op] = function(v)
    local args = {}
    for i, a in ipairs(validate.ops[op].args) do args[i] = v[a.name] end
    return fn(unpack(args, 1, #validate.ops[op].args))
  end
end

-- f over an array, summed to a number (function_1 elementwise, as np.sum(function_1(x)))
local SUMMED = {
  function_2 = gradient.function_2,
  function_1 = function(x)
    local s = {}
    for i = 1, x.size do s[i] = gradient.function_1(x.data[i]) end
    return tensor.pairwise_sum(s, 1, x.size)
  end,
}
OPS["grad.numerical_diff"] = function(v) return gradient.numerical_diff(gradient[v.f], v.x) end
OPS["grad.numerical_gradient"] = function(v) return gradient.numerical_gradient(SUMMED[v.f], v.x) end
OPS["grad.gradient_descent"] = function(v) return gradient.gradient_descent(SUMMED[v.f], v.init_x, v.lr, v.step_num) end

-- method(make, m): an op calling method m of make(v) on the arguments x and t
local function method(make, m)
  return function(v)
    local object = make(v)
    return object[m](object, v.x, v.t)
  end
end
for _, m in ipairs({ "predict", "loss", "numerical_gradient" }) do
  OPS["simple_net." .. m] = method(function(v) return networks.SimpleNet.new(v.W) end, m)
end

-- forward (x and a second argument) then backward (dout) through one layer;
-- fields: the layer's other outputs
local function through(layer, v, second, fields)
  local answer = { out = layer:forward(v.x, second) }
  answer.dx, answer.dy = layer:backward(v.dout)
  for _, field in ipairs(fields or {}) do answer[field] = layer[field] end
  return answer
end
OPS["layer.mul"] = function(v) return through(graph.MulLayer.new(), v, v.y) end
OPS["layer.add"] = function(v) return through(graph.AddLayer.new(), v, v.y) end
OPS["layer.relu"] = function(v) return through(layers.Relu.new(), v) end
OPS["layer.sigmoid"] = function(v) return through(layers.Sigmoid.new(), v) end
OPS["layer.affine"] = function(v) return through(layers.Affine.new(v.W, v.b), v, nil, { "dW", "db" }) end
OPS["layer.dropout"] = function(v)
  return through(layers.Dropout.new(v.dropout_ratio, rng.new(v.seed)), v, v.train_flg)
end
OPS["layer.batch_norm"] = function(v)
  return through(layers.BatchNormalization.new(v.gamma, v.beta, v.momentum, v.running_mean, v.running_var), v,
    v.train_flg, { "dgamma", "dbeta", "running_mean", "running_var" })
end
OPS["layer.softmax_with_loss"] = function(v)
  local layer = layers.SoftmaxWithLoss.new()
  return { loss = layer:forward(v.x, v.t), y = layer:output(), dx = layer:backward() }
end

OPS["two_layer_net.init"] = function(v)
  return TwoLayerNet.new(v.input_size, v.hidden_size, v.output_size, v.weight_init_std, v.seed).params
end
OPS["multi_layer_net.init"] = function(v) return MultiLayerNet.new(v).params end
for _, m in ipairs({ "predict", "accuracy", "loss", "gradient", "numerical_gradient" }) do
  OPS["two_layer_net." .. m] = method(function(v) return TwoLayerNet.from_params(v.params) end, m)
end
for _, m in ipairs({ "loss", "gradient", "numerical_gradient" }) do
  OPS["multi_layer_net." .. m] = method(MultiLayerNet.new, m)
end

OPS["optimizer.run"] = function(v)
  local opt = optimizers.create(v.name, v.hyper)
  for _, grads in ipairs(v.grads_seq) do opt:update(v.params, grads) end
  return v.params
end

for _, m in ipairs({ "uniform", "normal", "permutation", "choice" }) do
  OPS["rng." .. m] = function(v)
    local generator = rng.new(v.seed)
    return jsonio.array(generator[m](generator, v.n, v.size))
  end
end

OPS["train.two_layer_net"] = function(v)
  v.optimizer, v.hyper = v.optimizer.name, v.optimizer.hyper
  local result = train.two_layer_net(v.x_train, v.t_train.data, v)
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

-- the ok object of an op's result
local function ok_object(op, result)
  local keys = {}
  for k in pairs(validate.ops[op].ok) do keys[#keys + 1] = k end
  if #keys == 1 then return { [keys[1]] = result } end
  return result
end

-- handle(line): the answer line to one request line.
function M.handle(line)
  local req, msg = jsonio.decode(line)
  if req == nil then return failure(nil, "BadRequest", "the line is not valid JSON: " .. tostring(msg)) end
  if not jsonio.is_object(req) then return failure(nil, "BadRequest", "a request must be a JSON object") end
  local id, op, args = req.id, req.op, req.args
  if args == nil then args = {} end
  if type(id) ~= "string" then return failure(nil, "BadRequest", 'a request needs a string "id"') end
  if type(op) ~= "string" then return failure(id, "BadRequest", 'a request needs a string "op"') end
  if not jsonio.is_object(args) then return failure(id, "BadArgs", '"args" must be an object') end
  if OPS[op] == nil then return failure(id, "UnknownOp", string.format("unknown op %q", op)) end
  local ok, text = pcall(function() return answer(id, { ok = ok_object(op, OPS[op](validate.validate(op, args))) }) end)
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
  return function()
    while true do
      local nl = chunk:find("\n", pos, true)
      parts[#parts + 1] = chunk:sub(pos, (nl or 0) - 1)
      chunk, pos = nl and chunk or "", nl and nl + 1 or 1
      if nl or (eof and #table.concat(parts) > 0) then
        local line = table.concat(parts)
        parts = {}
        return line
      end
      if eof then return nil end
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
