-- The conformance runner: one JSON request per line on stdin, one answer per
-- line on stdout (shared_tests/README.md). Every request runs under pcall, so a
-- bad line gets an error object and the loop goes on.
local jsonio = require("dlscratch.jsonio")
local errors = require("dlscratch.errors")
local class = require("dlscratch.class")
local tensor = require("dlscratch.tensor")
local functions = require("dlscratch.functions")
local gates = require("dlscratch.gates")
local graph = require("dlscratch.graph")
local gradient = require("dlscratch.gradient")
local layers = require("dlscratch.layers")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")
local datasets = require("dlscratch.datasets")
local train = require("dlscratch.train")

local floor, huge = math.floor, math.huge
local shape_str, numel = tensor.shape_str, tensor.numel
local is_array, is_object, null = jsonio.is_array, jsonio.is_object, jsonio.null

local M = {}

-- No size argument or shape may ask for more elements than this.
local MAX_ELEMENTS = 10000000
local SEED_LIMIT = 2147483648
-- Arrays deeper than this are refused (ShapeError), as the reference (numpy stops at 64).
local MAX_NDIM = 32
M.MAX_ELEMENTS = MAX_ELEMENTS

local NON_FINITE = { NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge }

local function json_type(v)
  if v == nil or v == null then return "null" end
  local t = type(v)
  if t == "boolean" then return "a boolean" end
  if t == "number" then return "a number" end
  if t == "string" then return string.format("the string %q", v) end
  if is_array(v) then return "a list" end
  return "an object"
end

local function scalar(v, where)
  if type(v) == "number" then return v + 0.0 end
  if type(v) == "string" and NON_FINITE[v] then return NON_FINITE[v] end
  errors.badargs("%s must be a number, not %s", where, json_type(v))
end

-- shape of a nested list; BadArgs when ragged
local function shape_of(v, name)
  if not is_array(v) then return {} end
  if v == jsonio.EMPTY_ARRAY then return { 0 } end
  local first = shape_of(v[1], name)
  for i = 2, #v do
    local s = is_array(v[i]) and shape_of(v[i], name) or {}
    if not tensor.same_shape(s, first) then
      errors.badargs("%s is ragged: its rows differ in length or depth", name)
    end
  end
  local shape = { #v }
  for i = 1, #first do shape[i + 1] = first[i] end
  return shape
end

local function flatten(v, out, where)
  if is_array(v) then
    if v ~= jsonio.EMPTY_ARRAY then
      for i = 1, #v do flatten(v[i], out, where) end
    end
  else
    out[#out + 1] = scalar(v, where)
  end
end

local function check_elements(count, what)
  if count > MAX_ELEMENTS then
    errors.value("%s would hold %.0f elements, above the limit of %d", what, count, MAX_ELEMENTS)
  end
end

---------------------------------------------------------------------------
-- Args: typed access to a request's arguments, raising the protocol's errors.
-- null counts as absent; a nil default means the argument is required.
local Args = class()
M.Args = Args

function Args.new(raw) return setmetatable({ raw = raw }, Args) end

function Args:has(name)
  local v = self.raw[name]
  return v ~= nil and v ~= null
end

function Args:get(name, default)
  local v = self.raw[name]
  if v ~= nil and v ~= null then return v end
  if default == nil then errors.badargs('missing argument "%s"', name) end
  return default
end

local function ndims_str(ndims)
  local parts = {}
  for i, d in ipairs(ndims) do parts[i] = d .. "-D" end
  return table.concat(parts, " or ")
end

-- array(name, ndims, default, value): a tensor; ndims lists the allowed
-- numbers of dimensions; size-0 dimensions are ShapeError.
function Args:array(name, ndims, default, value)
  local v = value
  if v == nil then v = self:get(name, default) end
  if tensor.is_tensor(v) then return v end
  local shape = shape_of(v, name)
  if #shape > MAX_NDIM then
    errors.shape("%s has %d dimensions; at most %d are supported", name, #shape, MAX_NDIM)
  end
  local flat = {}
  flatten(v, flat, "every element of " .. name)
  local t = tensor.new(shape, flat)
  if ndims then
    local ok = false
    for _, d in ipairs(ndims) do if #shape == d then ok = true end end
    if not ok then
      errors.shape("%s must be %s, but it is %d-D (%s)", name, ndims_str(ndims), #shape, shape_str(shape))
    end
  end
  for i = 1, #shape do
    if shape[i] == 0 then errors.shape("%s is empty (%s)", name, shape_str(shape)) end
  end
  return t
end

function Args:number(name, default)
  return scalar(self:get(name, default), name)
end

function Args:integer(name, default, minimum, maximum)
  if minimum == nil then minimum = 1 end
  if maximum == nil then maximum = MAX_ELEMENTS end
  local v = self:get(name, default)
  if type(v) ~= "number" or v ~= floor(v) or v == huge or v == -huge then
    errors.badargs("%s must be an integer, not %s", name,
      type(v) == "number" and jsonio.number(v) or json_type(v))
  end
  if minimum ~= false and v < minimum then
    errors.value("%s = %s must be at least %d", name, jsonio.number(v), minimum)
  end
  if maximum ~= false and v > maximum then
    errors.value("%s = %s is larger than the limit %d", name, jsonio.number(v), maximum)
  end
  return floor(v)
end

function Args:seed(name, default)
  return self:integer(name or "seed", default, 0, SEED_LIMIT - 1)
end

function Args:boolean(name, default)
  local v = self:get(name, default)
  if type(v) ~= "boolean" then errors.badargs("%s must be true or false, not %s", name, json_type(v)) end
  return v
end

-- choice(name, choices, default): a string among choices (case-insensitive),
-- returned in lower case; exact_choice: one of choices as it is written. Only
-- weight_init_std and the optimizer name are lower-cased, as the book does
-- (str(w).lower() in multi_layer_net.py, optimizer.lower() in trainer.py);
-- f, output and activation are matched as written (README section 3).
local function pick(self, name, choices, default, fold)
  local v = self:get(name, default)
  if type(v) == "string" then
    local key = fold and v:lower() or v
    for _, c in ipairs(choices) do if c == key then return key end end
  end
  errors.badargs("%s must be one of %s, not %s", name, table.concat(choices, ", "), json_type(v))
end

function Args:choice(name, choices, default) return pick(self, name, choices, default, true) end
function Args:exact_choice(name, choices, default) return pick(self, name, choices, default, false) end

function Args:obj(name, default)
  local v = self:get(name, default)
  if not is_object(v) then errors.badargs("%s must be an object, not %s", name, json_type(v)) end
  return v
end

function Args:int_list(name, default)
  local v = self:get(name, default)
  if not is_array(v) then errors.badargs("%s must be a list of integers", name) end
  local out = {}
  if v == jsonio.EMPTY_ARRAY then return out end
  for i = 1, #v do
    local x = v[i]
    if type(x) ~= "number" or x ~= floor(x) or x == huge or x == -huge then
      errors.badargs("%s must be a list of integers", name)
    end
    out[i] = floor(x)
  end
  for i = 1, #out do
    if out[i] < 1 then errors.value("%s[%d] = %d must be at least 1", name, i - 1, out[i]) end
  end
  return out
end

-- params(name, keys, shapes): an object of named arrays with exactly the given shapes.
function Args:params(name, keys, shapes)
  local raw = self:obj(name)
  local out = {}
  for _, key in ipairs(keys) do
    if raw[key] == nil or raw[key] == null then errors.shape("%s has no %s", name, key) end
    local arr = self:array(name .. "." .. key, nil, nil, raw[key])
    if not tensor.same_shape(arr.shape, shapes[key]) then
      errors.shape("%s.%s is %s but must be %s", name, key, shape_str(arr.shape), shape_str(shapes[key]))
    end
    out[key] = arr
  end
  return out
end

-- target(t_raw, y_shape, name): validate a target for a batch of y's shape
-- (1-D = one sample, 2-D = N rows of C classes): one-hot (y's shape) or labels
-- (one integer per row, 0 <= label < C). Returns a tensor.
local function target(t_raw, y_shape, name)
  name = name or "t"
  local a = Args.new({ [name] = t_raw })
  local t
  if is_array(t_raw) then t = a:array(name) else t = tensor.scalar(a:number(name)) end
  local ysize, ynd = numel(y_shape), #y_shape
  local n, c
  if ynd == 1 then n, c = 1, y_shape[1] else n, c = y_shape[1], y_shape[2] end
  local tnd = t:ndim()
  if t.size == ysize and tensor.same_shape(t.shape, y_shape) then return t end
  if t.size == ysize and tnd >= 1 and (tnd ~= 1 or ynd ~= 2 or n ~= ysize) then
    errors.shape("one-hot %s is %s but y is %s", name, shape_str(t.shape), shape_str(y_shape))
  end
  if ynd == 1 then
    if t.size ~= 1 or tnd > 1 then
      errors.shape("%s must be one label (or one-hot of %d) for a 1-D y, but it is %s", name, c, shape_str(t.shape))
    end
  elseif tnd ~= 1 or t.shape[1] ~= n then
    errors.shape("%s must hold %d labels (or be one-hot %dx%d), but it is %s", name, n, n, c, shape_str(t.shape))
  end
  local d = t.data
  for i = 1, t.size do
    local v = d[i]
    if v ~= v or v == huge or v == -huge or v ~= floor(v) then
      errors.badargs("%s[%d] = %s is not an integer label", name, i - 1, jsonio.number(v))
    end
    if v < 0 or v >= c then
      errors.value("%s[%d] = %s is outside 0..%d", name, i - 1, jsonio.number(v), c - 1)
    end
  end
  if ynd == 2 then return tensor.new({ t.size }, d) end
  return tensor.new({}, d)
end
M.target = target

local function same_shape_all(named)
  local name0, a0 = named[1][1], named[1][2]
  for i = 2, #named do
    local name, a = named[i][1], named[i][2]
    if not tensor.same_shape(a.shape, a0.shape) then
      errors.shape("%s is %s but %s is %s", name, shape_str(a.shape), name0, shape_str(a0.shape))
    end
  end
end

---------------------------------------------------------------------------
local OPS = {}
M.OPS = OPS

-- chapter 2
local GATES = { ["gate.and"] = gates.AND, ["gate.nand"] = gates.NAND, ["gate.or"] = gates.OR, ["gate.xor"] = gates.XOR }
for name, gate in pairs(GATES) do
  OPS[name] = function(a) return { y = gate(a:number("x1"), a:number("x2")) } end
end

-- chapter 3
local ELEMENTWISE = {
  ["fn.identity"] = functions.identity, ["fn.step"] = functions.step,
  ["fn.sigmoid"] = functions.sigmoid, ["fn.sigmoid_grad"] = functions.sigmoid_grad,
  ["fn.relu"] = functions.relu, ["fn.relu_grad"] = functions.relu_grad,
}
for name, f in pairs(ELEMENTWISE) do
  OPS[name] = function(a) return { y = f(a:array("x")) } end
end

OPS["fn.softmax"] = function(a)
  return { y = functions.softmax(a:array("x", { 1, 2 })) }
end

OPS["loss.sum_squared_error"] = function(a)
  local y, t = a:array("y"), a:array("t")
  same_shape_all({ { "y", y }, { "t", t } })
  return { loss = functions.sum_squared_error(y, t) }
end

OPS["loss.cross_entropy_error"] = function(a)
  local y = a:array("y", { 1, 2 })
  local t = target(a:get("t"), y.shape)
  return { loss = functions.cross_entropy_error(y, t) }
end

-- chapter 4
local NAMED_FUNCTIONS = { function_1 = gradient.function_1, function_2 = gradient.function_2 }
local FUNCTION_NAMES = { "function_1", "function_2" }

-- f over an array, summed to a number (function_1 is elementwise)
local function summed(fname)
  if fname == "function_2" then return gradient.function_2 end
  return function(x)
    local v, d = {}, x.data
    for i = 1, x.size do v[i] = gradient.function_1(d[i]) end
    return tensor.pairwise_sum(v, 1, x.size)
  end
end

OPS["grad.numerical_diff"] = function(a)
  local f = NAMED_FUNCTIONS[a:exact_choice("f", FUNCTION_NAMES)]
  return { d = gradient.numerical_diff(f, a:number("x")) }
end

OPS["grad.numerical_gradient"] = function(a)
  local f = summed(a:exact_choice("f", FUNCTION_NAMES))
  local x = a:array("x", { 1, 2 }):clone()
  return { grad = gradient.numerical_gradient(f, x) }
end

OPS["grad.gradient_descent"] = function(a)
  local f = summed(a:exact_choice("f", FUNCTION_NAMES))
  local x = a:array("init_x", { 1, 2 })
  local lr = a:number("lr", 0.01)
  local steps = a:integer("step_num", 100)
  check_elements(steps * x.size, "step_num x init_x")
  return { x = gradient.gradient_descent(f, x, lr, steps) }
end

local function simple_net_inputs(a, with_t)
  local W = a:array("W", { 2 })
  local x = a:array("x", { 1, 2 })
  if x.shape[#x.shape] ~= W.shape[1] then
    errors.shape("W is %s but x has %d columns", shape_str(W.shape), x.shape[#x.shape])
  end
  local net = networks.SimpleNet.new(W)
  local t
  if with_t then t = target(a:get("t"), net:predict(x).shape) end
  return net, x, t
end

OPS["simple_net.predict"] = function(a)
  local net, x = simple_net_inputs(a, false)
  return { p = net:predict(x) }
end

OPS["simple_net.loss"] = function(a)
  local net, x, t = simple_net_inputs(a, true)
  return { loss = net:loss(x, t) }
end

OPS["simple_net.numerical_gradient"] = function(a)
  local net, x, t = simple_net_inputs(a, true)
  return { dW = net:numerical_gradient(x, t) }
end

-- chapter 5: a number or an array, as given (numbers stay plain numbers)
local function scalar_or_array(a, name)
  if is_array(a:get(name)) then return a:array(name) end
  return a:number(name)
end

local function shape_or_scalar(v)
  if tensor.is_tensor(v) then return v end
  return { shape = {} }
end

local function simple_layer_op(class)
  return function(a)
    local x, y, dout = scalar_or_array(a, "x"), scalar_or_array(a, "y"), scalar_or_array(a, "dout")
    same_shape_all({ { "x", shape_or_scalar(x) }, { "y", shape_or_scalar(y) }, { "dout", shape_or_scalar(dout) } })
    local layer = class.new()
    local out = layer:forward(x, y)
    local dx, dy = layer:backward(dout)
    return { out = out, dx = dx, dy = dy }
  end
end
OPS["layer.mul"] = simple_layer_op(graph.MulLayer)
OPS["layer.add"] = simple_layer_op(graph.AddLayer)

OPS["graph.buy_apple"] = function(a)
  return graph.buy_apple(a:number("apple"), a:number("apple_num"), a:number("tax"), a:number("dprice"))
end

OPS["graph.buy_apple_orange"] = function(a)
  return graph.buy_apple_orange(a:number("apple"), a:number("apple_num"), a:number("orange"),
    a:number("orange_num"), a:number("tax"), a:number("dprice"))
end

local function activation_layer_op(class)
  return function(a)
    local x, dout = a:array("x"), a:array("dout")
    same_shape_all({ { "x", x }, { "dout", dout } })
    local layer = class.new()
    local out = layer:forward(x)
    return { out = out, dx = layer:backward(dout) }
  end
end
OPS["layer.relu"] = activation_layer_op(layers.Relu)
OPS["layer.sigmoid"] = activation_layer_op(layers.Sigmoid)

OPS["layer.affine"] = function(a)
  local W, b, x = a:array("W", { 2 }), a:array("b", { 1 }), a:array("x")
  local d, m = W.shape[1], W.shape[2]
  if b.size ~= m then
    errors.shape("W is %s so b must have %d elements, but it is %s", shape_str(W.shape), m, shape_str(b.shape))
  end
  local features = x:ndim() == 1 and x.size or (x:ndim() > 0 and floor(x.size / x.shape[1]) or 0)
  if x:ndim() == 0 or features ~= d then
    errors.shape("W is %s but x (%s) has %d features per sample", shape_str(W.shape), shape_str(x.shape), features)
  end
  local layer = layers.Affine.new(W, b)
  local out = layer:forward(x)
  local dout = a:array("dout")
  if not tensor.same_shape(dout.shape, out.shape) then
    errors.shape("dout is %s but out is %s", shape_str(dout.shape), shape_str(out.shape))
  end
  local dx = layer:backward(dout)
  return { out = out, dx = dx, dW = layer.dW, db = layer.db }
end

OPS["layer.softmax_with_loss"] = function(a)
  local x = a:array("x", { 1, 2 })
  local t = target(a:get("t"), x.shape)
  local layer = layers.SoftmaxWithLoss.new()
  local loss = layer:forward(x, t)
  return { loss = loss, y = layer:output(), dx = layer:backward() }
end

OPS["layer.dropout"] = function(a)
  local x = a:array("x")
  local ratio = a:number("dropout_ratio", 0.5)
  if not (ratio >= 0 and ratio < 1) then
    errors.value("dropout_ratio = %s is outside [0, 1)", jsonio.number(ratio))
  end
  local train_flg = a:boolean("train_flg", true)
  local layer = layers.Dropout.new(ratio, rng_mod.new(a:seed("seed", 0)))
  local dout = a:array("dout")
  same_shape_all({ { "x", x }, { "dout", dout } })
  local out = layer:forward(x, train_flg)
  return { out = out, dx = layer:backward(dout) }
end

OPS["layer.batch_norm"] = function(a)
  local x = a:array("x")
  if x:ndim() < 2 then
    errors.shape("x must have at least 2 dimensions (a batch), but it is %s", shape_str(x.shape))
  end
  local d = floor(x.size / x.shape[1])
  local vecs = {}
  for _, name in ipairs({ "gamma", "beta", "running_mean", "running_var" }) do
    if not (name:sub(1, 7) == "running" and not a:has(name)) then
      local v = a:array(name, { 1 })
      if v.size ~= d then
        errors.shape("x has %d features per sample but %s is %s", d, name, shape_str(v.shape))
      end
      vecs[name] = v:clone()
    end
  end
  local momentum = a:number("momentum", 0.9)
  if not (momentum >= 0 and momentum <= 1) then
    errors.value("momentum = %s is outside [0, 1]", jsonio.number(momentum))
  end
  local train_flg = a:boolean("train_flg", true)
  local dout = a:array("dout")
  same_shape_all({ { "x", x }, { "dout", dout } })
  local layer = layers.BatchNormalization.new(vecs.gamma, vecs.beta, momentum, vecs.running_mean, vecs.running_var)
  local out = layer:forward(x, train_flg)
  local dx = layer:backward(dout)
  return {
    out = out, dx = dx, dgamma = layer.dgamma, dbeta = layer.dbeta,
    running_mean = layer.running_mean, running_var = layer.running_var,
  }
end

-- networks
OPS["net3.init"] = function()
  return networks.net3.init()
end

local NET3_KEYS = { "W1", "b1", "W2", "b2", "W3", "b3" }

OPS["net3.forward"] = function(a)
  local raw = a:obj("network")
  local arrays = {}
  for _, key in ipairs(NET3_KEYS) do
    if raw[key] == nil or raw[key] == null then errors.shape("network has no %s", key) end
    arrays[key] = a:array("network." .. key, key:sub(1, 1) == "W" and { 2 } or { 1 }, nil, raw[key])
  end
  local x = a:array("x", { 1, 2 })
  local width = x.shape[#x.shape]
  for i = 1, 3 do
    local W, b = arrays["W" .. i], arrays["b" .. i]
    if W.shape[1] ~= width then
      errors.shape("W%d is %s but its input has %d values", i, shape_str(W.shape), width)
    end
    if b.size ~= W.shape[2] then
      errors.shape("b%d is %s but W%d is %s", i, shape_str(b.shape), i, shape_str(W.shape))
    end
    width = W.shape[2]
  end
  local output = a:exact_choice("output", { "identity", "softmax" }, "identity")
  return networks.net3.forward(arrays, x, output)
end

local TLN_KEYS = { "W1", "b1", "W2", "b2" }

local function two_layer_params(a)
  local raw = a:obj("params")
  for _, key in ipairs({ "W1", "W2" }) do
    if raw[key] == nil or raw[key] == null then errors.shape("params has no %s", key) end
  end
  local W1 = a:array("params.W1", { 2 }, nil, raw.W1)
  local W2 = a:array("params.W2", { 2 }, nil, raw.W2)
  local d, h = W1.shape[1], W1.shape[2]
  local h2, c = W2.shape[1], W2.shape[2]
  if h2 ~= h then errors.shape("W1 is %s but W2 is %s", shape_str(W1.shape), shape_str(W2.shape)) end
  return a:params("params", TLN_KEYS, { W1 = { d, h }, b1 = { h }, W2 = { h, c }, b2 = { c } })
end

local function tln_setup(a, with_t, ndims)
  local params = two_layer_params(a)
  local net = networks.TwoLayerNet.from_params(params)
  local d = params.W1.shape[1]
  local x = a:array("x", ndims or { 1, 2 })
  if x.shape[#x.shape] ~= d then
    errors.shape("W1 is for %d inputs but x has %d columns", d, x.shape[#x.shape])
  end
  if not with_t then return net, x end
  local c = params.W2.shape[2]
  local scores_shape = x:ndim() == 2 and { x.shape[1], c } or { c }
  return net, x, target(a:get("t"), scores_shape)
end

OPS["two_layer_net.init"] = function(a)
  local sizes = {}
  for i, k in ipairs({ "input_size", "hidden_size", "output_size" }) do sizes[i] = a:integer(k) end
  check_elements(sizes[1] * sizes[2] + sizes[2] * sizes[3], "the network")
  local std = a:number("weight_init_std", 0.01)
  local net = networks.TwoLayerNet.new(sizes[1], sizes[2], sizes[3], std, rng_mod.new(a:seed("seed", 0)))
  return net.params
end

OPS["two_layer_net.predict"] = function(a)
  local net, x = tln_setup(a, false)
  return { y = net:predict(x) }
end

OPS["two_layer_net.loss"] = function(a)
  local net, x, t = tln_setup(a, true)
  return { loss = net:loss(x, t) }
end

OPS["two_layer_net.accuracy"] = function(a)
  local net, x, t = tln_setup(a, true, { 2 })
  return { accuracy = net:accuracy(x, t) }
end

OPS["two_layer_net.gradient"] = function(a)
  local net, x, t = tln_setup(a, true)
  return net:gradient(x, t)
end

OPS["two_layer_net.numerical_gradient"] = function(a)
  local net, x, t = tln_setup(a, true)
  return net:numerical_gradient(x, t)
end

local function weight_init_std(a)
  local raw = a:get("weight_init_std", "relu")
  if type(raw) == "string" then
    return a:choice("weight_init_std", { "relu", "he", "sigmoid", "xavier" }, "relu")
  end
  return a:number("weight_init_std")
end

local function mln_structure(a)
  local input_size = a:integer("input_size")
  local hidden = a:int_list("hidden_size_list")
  local output_size = a:integer("output_size")
  local sizes = { input_size }
  for _, h in ipairs(hidden) do sizes[#sizes + 1] = h end
  sizes[#sizes + 1] = output_size
  local total = 0
  for i = 1, #sizes - 1 do total = total + sizes[i] * sizes[i + 1] end
  check_elements(total, "the network")
  return {
    input_size = input_size, hidden_size_list = hidden, output_size = output_size,
    -- the book looks the activation up as given, but lower-cases weight_init_std
    activation = a:exact_choice("activation", { "relu", "sigmoid" }, "relu"),
    weight_init_std = weight_init_std(a), sizes = sizes,
  }
end

OPS["multi_layer_net.init"] = function(a)
  local s = mln_structure(a)
  s.seed = a:seed("seed", 0)
  return networks.MultiLayerNet.new(s).params
end

local function mln_setup(a)
  local s = mln_structure(a)
  local sizes = s.sizes
  local keys, shapes = {}, {}
  for i = 1, #sizes - 1 do
    keys[#keys + 1] = "W" .. i
    keys[#keys + 1] = "b" .. i
    shapes["W" .. i] = { sizes[i], sizes[i + 1] }
    shapes["b" .. i] = { sizes[i + 1] }
  end
  s.params = a:params("params", keys, shapes)
  s.weight_decay_lambda = a:number("weight_decay_lambda", 0.0)
  local net = networks.MultiLayerNet.new(s)
  local x = a:array("x", { 1, 2 })
  if x.shape[#x.shape] ~= sizes[1] then
    errors.shape("input_size is %d but x has %d columns", sizes[1], x.shape[#x.shape])
  end
  local c = sizes[#sizes]
  local scores_shape = x:ndim() == 2 and { x.shape[1], c } or { c }
  return net, x, target(a:get("t"), scores_shape)
end

OPS["multi_layer_net.loss"] = function(a)
  local net, x, t = mln_setup(a)
  return { loss = net:loss(x, t) }
end

OPS["multi_layer_net.gradient"] = function(a)
  local net, x, t = mln_setup(a)
  return net:gradient(x, t)
end

OPS["multi_layer_net.numerical_gradient"] = function(a)
  local net, x, t = mln_setup(a)
  return net:numerical_gradient(x, t)
end

-- chapter 6
local OPTIMIZER_NAMES = { "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" }

local function hyper_of(a, name)
  local raw = a:obj(name, {})
  local out = {}
  for key, v in pairs(raw) do
    out[key] = Args.new({ [name .. "." .. key] = v }):number(name .. "." .. key)
  end
  return out
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

OPS["optimizer.run"] = function(a)
  local name = a:choice("name", OPTIMIZER_NAMES)
  local hyper = hyper_of(a, "hyper")
  local raw_params = a:obj("params")
  local params = {}
  for _, key in ipairs(sorted_keys(raw_params)) do
    params[key] = a:array("params." .. key, nil, nil, raw_params[key]):clone()
  end
  local seq = a:get("grads_seq")
  if not is_array(seq) then errors.badargs("grads_seq must be a list of grads objects") end
  local grads_seq = {}
  if seq ~= jsonio.EMPTY_ARRAY then
    for i = 1, #seq do
      local raw = seq[i]
      if not is_object(raw) then errors.badargs("grads_seq[%d] must be an object", i - 1) end
      local gk, pk = sorted_keys(raw), sorted_keys(params)
      if table.concat(gk, "\0") ~= table.concat(pk, "\0") or #gk ~= #pk then
        errors.shape("grads_seq[%d] has keys [%s] but params has [%s]", i - 1,
          table.concat(gk, ", "), table.concat(pk, ", "))
      end
      local grads = {}
      for _, key in ipairs(gk) do
        local g = a:array(string.format("grads_seq[%d].%s", i - 1, key), nil, nil, raw[key])
        if not tensor.same_shape(g.shape, params[key].shape) then
          errors.shape("grads_seq[%d].%s is %s but params.%s is %s", i - 1, key, shape_str(g.shape),
            key, shape_str(params[key].shape))
        end
        grads[key] = g
      end
      grads_seq[i] = grads
    end
  end
  if hyper.momentum ~= nil and (name == "momentum" or name == "nesterov")
      and not (hyper.momentum >= 0 and hyper.momentum <= 1) then
    errors.value("momentum = %s is outside [0, 1]", jsonio.number(hyper.momentum))
  end
  local opt = optimizers.create(name, hyper)
  for _, grads in ipairs(grads_seq) do opt:update(params, grads) end
  return { params = params }
end

-- the generator
OPS["rng.uniform"] = function(a)
  local seed = a:seed()
  return { x = jsonio.array(rng_mod.new(seed):uniform(a:integer("n"))) }
end

OPS["rng.normal"] = function(a)
  local seed = a:seed()
  return { x = jsonio.array(rng_mod.new(seed):normal(a:integer("n"))) }
end

OPS["rng.permutation"] = function(a)
  local seed = a:seed()
  return { p = jsonio.array(rng_mod.new(seed):permutation(a:integer("n"))) }
end

OPS["rng.choice"] = function(a)
  local seed, n, size = a:seed(), a:integer("n"), a:integer("size")
  return { idx = jsonio.array(rng_mod.new(seed):choice(n, size)) }
end

-- training and data
OPS["train.two_layer_net"] = function(a)
  local x = a:array("x_train", { 2 })
  local n, d = x.shape[1], x.shape[2]
  local raw_t = a:get("t_train")
  local t = target(raw_t, { n, a:integer("output_size") }, "t_train")
  if t:ndim() ~= 1 then errors.shape("t_train must be labels, one integer per row of x_train") end
  local hidden = a:integer("hidden_size")
  local output = a:integer("output_size")
  local batch = a:integer("batch_size", 100)
  local iters = a:integer("iters")
  check_elements(d * hidden + hidden * output, "the network")
  check_elements(iters * batch, "iters x batch_size")
  local opt_raw = a:obj("optimizer", { name = "sgd" })
  local opt_args = Args.new(opt_raw)
  local name = opt_args:choice("name", OPTIMIZER_NAMES, "sgd")
  local hyper = hyper_of(opt_args, "hyper")
  local result = train.two_layer_net(x, t.data, {
    hidden_size = hidden, output_size = output,
    weight_init_std = a:number("weight_init_std", 0.01),
    lr = a:number("lr", 0.1), batch_size = batch, iters = iters,
    seed = a:seed("seed", 0), optimizer = name, hyper = hyper,
  })
  return { loss_history = jsonio.array(result.loss_history), params = result.params }
end

OPS["data.idx"] = function(a)
  local path = a:get("path")
  if type(path) ~= "string" then errors.badargs("path must be a string") end
  local s = datasets.summary(datasets.read_idx(path))
  return { shape = jsonio.array(s.shape), sum = s.sum, head = jsonio.array(s.head) }
end

---------------------------------------------------------------------------
local function error_answer(id, kind, message)
  return jsonio.encode({ id = id == nil and null or id, error = { type = kind, message = message } })
end

-- handle(line): the answer line to one request line.
function M.handle(line)
  local req = jsonio.decode(line)
  if req == nil then
    local _, msg = jsonio.decode(line)
    return error_answer(nil, "BadRequest", "the line is not valid JSON: " .. tostring(msg))
  end
  if not is_object(req) then
    return error_answer(nil, "BadRequest", "a request must be a JSON object, not " .. json_type(req))
  end
  local id = req.id
  if type(id) ~= "string" then return error_answer(nil, "BadRequest", 'a request needs a string "id"') end
  local op = req.op
  if type(op) ~= "string" then return error_answer(id, "BadRequest", 'a request needs a string "op"') end
  local args = req.args
  if args == nil then args = {} end
  if not is_object(args) then
    return error_answer(id, "BadArgs", '"args" must be an object, not ' .. json_type(args))
  end
  local fn = OPS[op]
  if fn == nil then return error_answer(id, "UnknownOp", string.format("unknown op %q", op)) end
  local ok, result = pcall(fn, Args.new(args))
  if ok then
    local enc_ok, text = pcall(jsonio.encode, { id = id, ok = result })
    if enc_ok then return text end
    result = text
  end
  if errors.is_error(result) then return error_answer(id, result.type, result.message) end
  io.stderr:write("internal error: ", tostring(result), "\n")
  return error_answer(id, "InternalError", tostring(result))
end

-- op_names(): every op, sorted.
function M.op_names()
  local names = {}
  for k in pairs(OPS) do names[#names + 1] = k end
  table.sort(names)
  return names
end

-- Lines of standard input read with read(2) through LuaJIT's FFI. LuaJIT's own
-- line reader (fgets + strlen) cuts a line at a NUL byte and then appends the
-- next line to it, so a request holding a NUL would get no answer of its own.
-- read(2) returns what the pipe holds, so a request is answered as soon as its
-- line is complete.
local function stdin_lines_ffi()
  local ffi = require("ffi")
  pcall(ffi.cdef, "long read(int fd, void *buf, unsigned long count);")
  local size = 65536
  local buf = ffi.new("char[?]", size)
  local pending, chunk, pos, eof = {}, "", 1, false
  return function()
    while true do
      local nl = chunk:find("\n", pos, true)
      if nl then
        pending[#pending + 1] = chunk:sub(pos, nl - 1)
        pos = nl + 1
        local line = table.concat(pending)
        pending = {}
        return line
      end
      if pos <= #chunk then pending[#pending + 1] = chunk:sub(pos) end
      chunk, pos = "", 1
      if eof then return nil end
      local n = tonumber(ffi.C.read(0, buf, size))
      if n < 0 and ffi.errno() == 4 then -- EINTR: try again
        n = 0
      elseif n <= 0 then
        eof = true
        if #pending > 0 then
          local line = table.concat(pending)
          pending = {}
          return line
        end
        return nil
      else
        chunk = ffi.string(buf, n)
      end
    end
  end
end

-- main(input, output): answer every non-blank line of input (blank: ASCII
-- white space only, %s).
function M.main(input, output)
  input, output = input or io.stdin, output or io.stdout
  local lines
  if input == io.stdin and jit then
    lines = stdin_lines_ffi()
  else
    lines = input:lines()
  end
  for line in lines do
    if line:find("%S") then
      local ok, answer = pcall(M.handle, line)
      if not ok then
        answer = error_answer(nil, "InternalError", tostring(answer))
      end
      output:write(answer, "\n")
      output:flush()
    end
  end
  return 0
end

return M
