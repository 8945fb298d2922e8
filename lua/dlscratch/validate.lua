-- The validator: shared_tests/ops.json (or the file DLSCRATCH_OPS_JSON names), read once, turns a request's args
-- into typed values or raises the protocol's error object, checking in order each argument (presence, JSON type,
-- dimensions, symbols, domain, its `then` hooks), then the op's limits (the elements its arguments ask for), then its hooks.
local cjson = require("cjson")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")
local networks = require("dlscratch.networks")
local train = require("dlscratch.train")

local floor, huge = math.floor, math.huge
local is_array, is_object, null = jsonio.is_array, jsonio.is_object, jsonio.null
local shape_str, same_shape = tensor.shape_str, tensor.same_shape

local M = {}

-- the kinds of network whose input is N x C x IH x IW
local CONVOLUTIONAL = { simple_conv_net = true, deep_conv_net = true }

local port = debug.getinfo(1, "S").source:match("^@(.*)/dlscratch/[^/]*$") or "."
local file = assert(io.open(os.getenv("DLSCRATCH_OPS_JSON") or port .. "/../shared_tests/ops.json", "rb"))
M.schema = cjson.decode(file:read("*a"))
file:close()
M.ops, M.limits = M.schema.ops, M.schema.limits

-- A protocol error is the table {type, message, protocol = true}, raised with error().
function M.is_error(v) return type(v) == "table" and v.protocol == true end

local function fail(kind, fmt, ...) error({ type = kind, message = string.format(fmt, ...), protocol = true }, 0) end

-- expect(ok, name, v, what): v, or BadArgs "name must be what, not v".
local function expect(ok, name, v, what)
  if not ok then fail("BadArgs", "%s must be %s, not %s", name, what, jsonio.encode(v):sub(1, 40)) end
  return v
end

local NON_FINITE = { NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge }

-- number(v, name): a JSON number or one of the strings "NaN", "Infinity", "-Infinity".
local function number(v, name) return NON_FINITE[v] or expect(type(v) == "number", name, v, "a number") + 0.0 end

local function is_whole(v) return type(v) == "number" and v == floor(v) and v - v == 0 end

-- whole(v, name): an integer; a whole-number float is the integer.
local function whole(v, name) return floor(expect(is_whole(v), name, v, "an integer")) end

local function object(v, name) return expect(is_object(v), name, v, "an object") end

-- in_domain(a, x): x within a.min, a.max, a.max_exclusive (numbers or names of limits); NaN is outside.
local function in_domain(a, x)
  local lo, hi, below = M.limits[a.min] or a.min, M.limits[a.max] or a.max, M.limits[a.max_exclusive] or a.max_exclusive
  if (lo and not (x >= lo)) or (hi and not (x <= hi)) or (below and not (x < below)) then
    fail("ValueError", "%s = %s is outside [%.15g, %.15g%s", a.name, jsonio.number(x), lo or -huge, below or hi or huge,
      below and ")" or "]")
  end
  return x
end

-- sorted_keys(t): the keys of t, sorted (the runner lists its ops with it)
local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end
M.sorted_keys = sorted_keys

-- to_array(v, name): a nested list (a number is 0-D) as a tensor; BadArgs when ragged or
-- holding a non-number, ShapeError beyond max_ndim dimensions or with a dimension 0.
local function to_array(v, name)
  local shape, leaves, x = {}, {}, v
  while is_array(x) do shape[#shape + 1], x = #x, x[1] end
  -- every list at depth d holds shape[d] elements, and the leaves lie at depth #shape + 1
  local function walk(e, d)
    local list = d <= #shape
    if is_array(e) ~= list or (list and #e ~= shape[d]) then fail("BadArgs", "%s is ragged", name) end
    if not list then leaves[#leaves + 1] = e end
    for _, y in ipairs(list and e or {}) do walk(y, d + 1) end
  end
  walk(v, 1)
  if #shape > M.limits.max_ndim then fail("ShapeError", "%s has more than %d dimensions", name, M.limits.max_ndim) end
  for i, e in ipairs(leaves) do leaves[i] = number(e, "every element of " .. name) end
  local t = tensor.new(shape, leaves)
  if t.size == 0 then fail("ShapeError", "%s is empty (%s)", name, shape_str(shape)) end
  return t
end

-- Shapes: alternatives "D | N D" chosen by the number of dimensions; a symbol binds the first time
-- it is met (an integer argument's name, or a number, stands for its value); "D..." is the product
-- of the trailing dimensions; "*" any shape; "=name" the shape of an argument, or of an ok value.
local function alternatives(spec)
  local alts = {}
  for alt in (spec .. "|"):gmatch("([^|]*)|") do
    alts[#alts + 1] = {}
    for tok in alt:gmatch("%S+") do table.insert(alts[#alts], tok) end
  end
  return alts
end

-- dim(tok, ctx): a literal, an integer argument, a symbol bound before, a product a*b*... of
-- those, or nil.
local function dim(tok, ctx)
  if tok:find("*", 1, true) then
    local p = 1
    for factor in tok:gmatch("[^*]+") do
      local n = dim(factor, ctx)
      if n == nil then return nil end
      p = p * n
    end
    return p
  end
  return tonumber(tok) or (type(ctx.values[tok]) == "number" and ctx.values[tok]) or ctx.dims[tok]
end

-- resolve(ref, ctx): the shape of an argument ("y" or "=x"), of an ok value ("=out",
-- by its spec), or of a spec: its longest alternative whose dimensions are all known.
local function resolve(ref, ctx)
  local name = ref:match("^=?(.*)$")
  local v = ctx.values[name]
  if v ~= nil then return type(v) == "number" and {} or v.shape end
  if name ~= ref then return resolve(M.ops[ctx.op].ok[name].shape, ctx) end
  local best
  for _, alt in ipairs(alternatives(ref)) do
    local shape = {}
    for _, tok in ipairs(alt) do shape[#shape + 1] = dim(tok, ctx) end
    if #shape == #alt then best = shape end
  end
  return best
end

-- fit(shape, spec, ctx, name): the shape checked against the spec, its symbols bound.
local function fit(shape, spec, ctx, name)
  if spec:sub(1, 1) == "=" then
    local want = resolve(spec, ctx)
    return same_shape(shape, want) or fail("ShapeError", "%s is %s, not %s", name, shape_str(shape), shape_str(want))
  end
  if spec == "*" then return end
  local tokens
  for _, alt in ipairs(alternatives(spec)) do
    if #shape == #alt or (#alt > 0 and alt[#alt]:sub(-3) == "..." and #shape > #alt) then tokens = alt; break end
  end
  if not tokens then fail("ShapeError", "%s must be %s, but it is %s", name, spec, shape_str(shape)) end
  for i, tok in ipairs(tokens) do
    local sym, n = tok:match("^(.-)%.%.%.$"), shape[i]
    for k = i + 1, sym and #shape or 0 do n = n * shape[k] end
    sym = sym or tok
    local want = dim(sym, ctx)
    if want and want ~= n then fail("ShapeError", "%s is %s: %s must be %d", name, shape_str(shape), sym, want) end
    if not want then ctx.dims[sym] = n end
  end
end

-- Kinds: kinds[kind](raw, arg, ctx) is the typed value of a present argument.
local kinds, hooks = {}, {}

function kinds.number(raw, a) return in_domain(a, number(raw, a.name)) end

function kinds.integer(raw, a) return in_domain(a, whole(raw, a.name)) end

function kinds.seed(raw, a) return kinds.integer(raw, { name = a.name, min = 0, max_exclusive = "seed_limit" }) end

function kinds.boolean(raw, a) return expect(type(raw) == "boolean", a.name, raw, "true or false") end

-- name: one of the choices as written; fold_case lower-cases it first, as the book does.
function kinds.name(raw, a)
  local key = type(raw) == "string" and a.fold_case and raw:lower() or raw
  for _, c in ipairs(a.choices) do if c == key then return key end end
  expect(false, a.name, raw, "one of " .. table.concat(a.choices, ", "))
end

function kinds.name_or_number(raw, a) return type(raw) == "string" and kinds.name(raw, a) or number(raw, a.name) end

-- array: a tensor of the argument's shape; array_or_number: a number stays a number.
function kinds.array(raw, a, ctx)
  local v = (a.kind == "array_or_number" and not is_array(raw)) and number(raw, a.name) or to_array(raw, a.name)
  fit(type(v) == "number" and {} or v.shape, a.shape, ctx, a.name)
  return v
end

-- target: one-hot (the scores' shape; not for labels) or labels, one integer in
-- 0 .. C-1 per row of the scores (a number or a 1-element list for 1-D scores).
function kinds.target(raw, a, ctx)
  local y = resolve(a.scores, ctx)
  local t = is_array(raw) and to_array(raw, a.name) or tensor.scalar(number(raw, a.name))
  if same_shape(t.shape, y) and a.kind == "target" then return t end
  local n, c, nd = #y == 2 and y[1] or 1, y[#y], #t.shape
  if not ((#y == 1 and t.size == 1 and nd <= 1) or (#y == 2 and nd == 1 and t.shape[1] == n)) then
    fail("ShapeError", "%s is %s: not %d label(s) for the scores %s", a.name, shape_str(t.shape), n, shape_str(y))
  end
  for i, v in ipairs(t.data) do
    if not is_whole(v) then fail("BadArgs", "%s[%d] = %s is not an integer label", a.name, i - 1, jsonio.number(v)) end
    if v < 0 or v >= c then fail("ValueError", "%s[%d] = %s: not in 0..%d", a.name, i - 1, jsonio.number(v), c - 1) end
  end
  return tensor.new(#y == 2 and { t.size } or {}, t.data)
end

function kinds.int_list(raw, a)
  local list, out = expect(is_array(raw), a.name, raw, "a list"), {}
  for i, v in ipairs(list) do out[i] = whole(v, a.name .. "[" .. (i - 1) .. "]") end
  for i, v in ipairs(out) do in_domain({ name = a.name .. "[" .. (i - 1) .. "]", min = a.min, max = a.max }, v) end
  return out
end

-- params: for each key of `keys` or of keys_hook's table (key -> shape), sorted, an array
-- of its shape; a key missing or null is ShapeError.
function kinds.params(raw, a, ctx)
  local given, out = object(raw, a.name), {}
  local shapes = a.keys or hooks[a.keys_hook](ctx, given)
  for _, key in ipairs(sorted_keys(shapes)) do
    if given[key] == nil or given[key] == null then fail("ShapeError", "%s has no %s", a.name, key) end
    out[key] = kinds.array(given[key], { name = a.name .. "." .. key, shape = shapes[key] }, ctx)
  end
  return out
end

-- bind(name, symbol, n, ctx): binds a symbol, or checks it against the value it was bound to.
local function bind(name, symbol, n, ctx)
  local was = ctx.dims[symbol]
  if was and was ~= n then fail("ShapeError", "%s: %s is %d here but %d before", name, symbol, n, was) end
  ctx.dims[symbol] = n
end

-- dims: as many integers as the argument's symbols (their types first, then their count), each in
-- 1 .. max_elements and bound to its symbol in order.
function kinds.dims(raw, a, ctx)
  local list, out = expect(is_array(raw), a.name, raw, "a list"), {}
  for i, v in ipairs(list) do out[i] = whole(v, a.name .. "[" .. (i - 1) .. "]") end
  if #out ~= #a.symbols then
    fail("ShapeError", "%s has %d entries, not %d (%s)", a.name, #out, #a.symbols, table.concat(a.symbols, " "))
  end
  for i, symbol in ipairs(a.symbols) do
    in_domain({ name = a.name .. "[" .. (i - 1) .. "]", min = 1, max = "max_elements" }, out[i])
    bind(a.name, symbol, out[i], ctx)
  end
  return out
end

-- record: an object of the argument's fields (unknown key: BadArgs), each checked by its own kind,
-- null or missing taking the field's default, and bound as the symbol of its name.
function kinds.record(raw, a, ctx)
  local given, out, known = object(raw, a.name), {}, {}
  for _, f in ipairs(a.fields) do known[f.name] = true end
  for _, key in ipairs(sorted_keys(given)) do
    if not known[key] then fail("BadArgs", "%s has no field %q", a.name, key) end
  end
  for _, f in ipairs(a.fields) do
    local v = given[f.name]
    if v == nil or v == null then v = f.default end
    out[f.name] = kinds[f.kind](v, setmetatable({ name = a.name .. "." .. f.name }, { __index = f }), ctx)
    bind(a.name, f.name, out[f.name], ctx)
  end
  return out
end

-- grads_seq: a list of objects with exactly the keys of `like`, each array of its shape there.
function kinds.grads_seq(raw, a, ctx)
  local like, seq = ctx.values[a.like], {}
  for i, g in ipairs(expect(is_array(raw), a.name, raw, "a list of objects")) do
    local where = string.format("%s[%d]", a.name, i - 1)
    if table.concat(sorted_keys(object(g, where)), "\0") ~= table.concat(sorted_keys(like), "\0") then
      fail("ShapeError", "%s has keys [%s], not those of %s", where, table.concat(sorted_keys(g), ", "), a.like)
    end
    seq[i] = kinds.params(g, { name = where, keys_hook = "any_keys" }, ctx)
    for k, grad in pairs(seq[i]) do fit(grad.shape, "=" .. k, { values = like }, where .. "." .. k) end
  end
  return seq
end

function kinds.hyper(raw, a)
  local out = {}
  for key, v in pairs(object(raw, a.name)) do out[key] = number(v, a.name .. "." .. key) end
  return out
end

-- optimizer: {"name": a name of optimizer.run (default: the default's), "hyper": hyper}.
function kinds.optimizer(raw, a)
  local run = M.ops["optimizer.run"].args
  local name = setmetatable({ default = a.default.name }, { __index = run[1] })
  return M.check({ name, run[2] }, object(raw, a.name), { values = {}, dims = {} })
end

-- network: {"kind": one of a.kinds, ...}: the other keys but seed are the arguments of the op <kind>.init,
-- checked there (a refusal's message prefixed "network: "); S0 and SL are its input_size and output_size,
-- or for simple_conv_net and deep_conv_net C, IH, IW its input_dim and SL its output_size.
function kinds.network(raw, a, ctx)
  local kind = kinds.name(object(raw, a.name).kind, { name = a.name .. ".kind", choices = a.kinds })
  local ok, net = pcall(M.validate, kind .. ".init", setmetatable({ seed = null }, { __index = raw }))
  if not ok then error(M.is_error(net) and fail(net.type, "%s: %s", a.name, net.message) or net, 0) end
  net.kind, ctx.dims.SL = kind, net.output_size
  if CONVOLUTIONAL[kind] then
    ctx.dims.C, ctx.dims.IH, ctx.dims.IW = net.input_dim[1], net.input_dim[2], net.input_dim[3]
  else
    ctx.dims.S0 = net.input_size
  end
  return net
end

-- path: a string (the runner answers a file that cannot be read, or is not IDX, as ValueError)
function kinds.path(raw, a) return expect(type(raw) == "string", a.name, raw, "the path of a file") end

kinds.array_or_number, kinds.labels = kinds.array, kinds.target

-- Hooks, by their names in ops.json. layer_sizes(v): S = [input_size, *hidden_size_list,
-- output_size] and Σ S_{i-1}·S_i, the weights of the network (the limit of the hook layer_sizes).
local function layer_sizes(v)
  local s, total = { v.input_size }, 0
  for _, h in ipairs(v.hidden_size_list) do s[#s + 1] = h end
  s[#s + 1] = v.output_size
  for i = 2, #s do total = total + s[i - 1] * s[i] end
  return s, total
end

function hooks.layer_sizes(ctx) return select(2, layer_sizes(ctx.values)) end

-- layer_params: W{i} of S_{i-1} x S_i and b{i} of S_i; S0 and SL stand for input_size and output_size
function hooks.layer_params(ctx)
  local s, shapes = layer_sizes(ctx.values), {}
  for i = 2, #s do shapes["W" .. (i - 1)], shapes["b" .. (i - 1)] = s[i - 1] .. " " .. s[i], tostring(s[i]) end
  ctx.dims.S0, ctx.dims.SL = s[1], s[#s]
  return shapes
end

-- with use_batchnorm, extend_params adds gamma{i} and beta{i} to layer_params and running_stats gives
-- running_mean{i} and running_var{i}, each of S_i for every hidden layer i (no keys without batch norm)
local function batch_norm_keys(ctx, shapes, a, b)
  for i, n in ipairs(ctx.values.use_batchnorm and ctx.values.hidden_size_list or {}) do
    shapes[a .. i], shapes[b .. i] = tostring(n), tostring(n)
  end
  return shapes
end

function hooks.extend_params(ctx) return batch_norm_keys(ctx, hooks.layer_params(ctx), "gamma", "beta") end

function hooks.running_stats(ctx) return batch_norm_keys(ctx, {}, "running_mean", "running_var") end

-- trainer_steps: int(epochs·max(N / mini_batch_size, 1))·mini_batch_size, the book's float epochs
function hooks.trainer_steps(ctx)
  local v = ctx.values
  return floor(v.epochs * math.max(v.x_train.shape[1] / v.mini_batch_size, 1)) * v.mini_batch_size
end

-- any_keys: every key of the object, of any shape (a null entry is not an array: BadArgs)
function hooks.any_keys(_, raw)
  local shapes = {}
  for k, v in pairs(raw) do shapes[k] = v ~= null and "*" or fail("BadArgs", "params.%s is null, not an array", k) end
  return shapes
end

-- momentum_domain: for momentum and nesterov, hyper.momentum is in [0, 1]
function hooks.momentum_domain(ctx)
  local m, name = ctx.values.hyper.momentum, ctx.values.name
  if m and (name == "momentum" or name == "nesterov") then in_domain({ name = "momentum", min = 0, max = 1 }, m) end
end

-- window: im2col's geometry, after pad: the op's window FH x FW fits the padded image (ShapeError);
-- binds OH = (IH + 2·pad - FH) // stride + 1 and OW likewise (stride and pad: arguments or conv_param's).
function hooks.window(ctx)
  local tokens, stride, pad = M.ops[ctx.op].window, dim("stride", ctx), dim("pad", ctx)
  local fh, fw = dim(tokens[1], ctx), dim(tokens[2], ctx)
  for _, side in ipairs({ { "height", ctx.dims.IH, fh, "OH" }, { "width", ctx.dims.IW, fw, "OW" } }) do
    local what, size, f, out = side[1], side[2], side[3], side[4]
    if f > size + 2 * pad then
      fail("ShapeError", "the window's %s %d is larger than the padded input's %d + 2·%d", what, f, size, pad)
    end
    ctx.dims[out] = floor((size + 2 * pad - f) / stride) + 1
  end
end

-- pool_window: the 2x2 pooling of stride 2 after the convolution: OH, OW >= 2; binds PH = OH // 2, PW = OW // 2
function hooks.pool_window(ctx)
  local oh, ow = ctx.dims.OH, ctx.dims.OW
  if oh < 2 or ow < 2 then fail("ShapeError", "the convolution's output %dx%d is smaller than the 2x2 pooling", oh, ow) end
  ctx.dims.PH, ctx.dims.PW = floor(oh / 2), floor(ow / 2)
end

-- im2col_size: the padded image N·C·(IH + 2·pad)·(IW + 2·pad) plus col N·OH·OW·C·FH·FW, in float64
-- (the counts may exceed 2^63)
function hooks.im2col_size(ctx)
  local s, tokens, pad = ctx.dims, M.ops[ctx.op].window, dim("pad", ctx) + 0.0
  local n, c = s.N + 0.0, s.C + 0.0
  return n * c * (s.IH + 2 * pad) * (s.IW + 2 * pad) + n * s.OH * s.OW * c * dim(tokens[1], ctx) * dim(tokens[2], ctx)
end

-- conv_net_size: the weights filter_num·C·filter_size² + filter_num·PH·PW·hidden + hidden·output, plus
-- for an op with x the convolution's col N·OH·OW·C·filter_size², in float64
function hooks.conv_net_size(ctx)
  local s, v = ctx.dims, ctx.values
  local filters, hidden = s.filter_num + 0.0, v.hidden_size + 0.0
  local k = s.C * (s.filter_size + 0.0) ^ 2
  local col = v.x and s.N * (s.OH + 0.0) * s.OW * k or 0.0
  return filters * k + filters * s.PH * s.PW * hidden + hidden * v.output_size + col
end

-- network_input: the trainer's images are 2-D for the dense kinds, 4-D for the convolutional ones;
-- model_input: the same for model.evaluate's x and the network of its parameters file
function hooks.network_input(ctx, a, source)
  local kind, nd = ctx.values[source or "network"].kind, #ctx.values[a.name].shape
  local want = CONVOLUTIONAL[kind] and 4 or 2
  if nd ~= want then fail("ShapeError", "%s is %d-D, but a %s takes %d-D input", a.name, nd, kind, want) end
end

function hooks.model_input(ctx, a) hooks.network_input(ctx, a, "path") end

-- deep_geometry: the image through DeepConvNet's convolutions (s + 2·pad − 2) and poolings (s // 2, at
-- least 1); binds PH, PW, the last pooling's output
function hooks.deep_geometry(ctx)
  local ih, iw = ctx.dims.IH, ctx.dims.IW
  local sizes = networks.deep_conv_sizes(ih, iw)
  for _, s in ipairs(sizes) do
    if s[1] < 1 or s[2] < 1 then
      fail("ShapeError", "a %dx%d image is too small for DeepConvNet's three poolings (at least 4x4)", ih, iw)
    end
  end
  ctx.dims.PH, ctx.dims.PW = sizes[#sizes][1], sizes[#sizes][2]
end

-- deep_conv_net_size: the weights Σ (F·C_in·9 + F) + 64·PH·PW·hidden + hidden·(1 + output) + output, plus for
-- an op with x the largest convolution's col N·OH·OW·C_in·9, in float64
function hooks.deep_conv_net_size(ctx)
  local s, v = ctx.dims, ctx.values
  local sizes, convs = networks.deep_conv_sizes(s.IH, s.IW), networks.DEEP_CONVS
  local inputs = { { s.IH, s.IW }, sizes[1], sizes[3], sizes[4], sizes[6], sizes[7] } -- each convolution's input
  local hidden, channels, weights, col = v.hidden_size + 0.0, s.C + 0.0, 0.0, 0.0
  for i, conv in ipairs(convs) do
    local f, pad, h, w = conv[1], conv[2], inputs[i][1] + 0.0, inputs[i][2] + 0.0
    weights = weights + f * channels * 9 + f
    local c = channels * 9 * (h + 2 * pad - 2) * (w + 2 * pad - 2)
    if c > col then col = c end
    channels = f
  end
  weights = weights + 64.0 * s.PH * s.PW * hidden + hidden * (1 + v.output_size) + v.output_size
  return weights + (v.x and v.x.shape[1] * col or 0.0)
end

-- the kinds of network a parameters file may hold (those bin/train saves)
local MODEL_KINDS = { "two_layer_net", "simple_conv_net", "deep_conv_net" }

-- model_file: the parameters file at the path as the network's arguments with kind and params: format
-- "dlscratch-params", version 1, the network checked as the network kind checks one, the params exactly
-- the keys, in order, and the shapes that <kind>.init draws for it; any fault is ValueError.
function hooks.model_file(ctx, a)
  local path = ctx.values[a.name]
  local record, keys = train.read_params(path)
  if record == nil then fail("ValueError", "cannot read %s as JSON: %s", path, tostring(keys)) end
  local ok, net = pcall(function()
    if not is_object(record) or record.format ~= "dlscratch-params" or record.version ~= 1 then
      fail("BadArgs", 'it has no "format": "dlscratch-params", "version": 1')
    end
    local net = kinds.network(record.network, { name = "network", kinds = MODEL_KINDS }, ctx)
    local like = networks.NETWORKS[net.kind](net).params
    local arrays, want = object(record.params, "params"), train.param_keys(like)
    if table.concat(keys, ", ") ~= table.concat(want, ", ") then
      fail("BadArgs", "its params are %s, not %s", table.concat(keys, ", "), table.concat(want, ", "))
    end
    net.params = {}
    for _, key in ipairs(want) do
      local name, entry = "params." .. key, object(arrays[key], "params." .. key)
      local shape = kinds.int_list(entry.shape, { name = name .. ".shape", min = 0, max = "max_elements" })
      local data = expect(is_array(entry.data), name .. ".data", entry.data, "a list")
      local values, count = {}, 1
      for i = 1, #data do values[i] = number(data[i], name .. ".data") end
      for _, n in ipairs(shape) do count = count * n end
      if not same_shape(shape, like[key].shape) or #values ~= count then
        fail("BadArgs", "%s is %s with %d numbers, not %s", name, shape_str(shape), #values, shape_str(like[key].shape))
      end
      net.params[key] = tensor.new(shape, values)
    end
    return net
  end)
  if not ok then
    if M.is_error(net) then fail("ValueError", "%s is not a parameters file of section 8: %s", path, net.message) end
    error(net, 0)
  end
  ctx.values[a.name] = net
end

-- factor(ref, values): an integer argument, or an array's size or columns (its last dimension).
local function factor(ref, values)
  local name, field = ref:match("^(.-)%.(%a+)$")
  local v = values[name or ref]
  return field == "size" and v.size or field == "columns" and v.shape[#v.shape] or v
end

-- check(args, raw, ctx): the values of the arguments in order, each followed by its `then` hooks;
-- null counts as absent.
function M.check(args, raw, ctx)
  for _, a in ipairs(args) do
    local v = raw[a.name]
    if v == nil or v == null then v = a.default end
    if v == nil then fail("BadArgs", 'missing argument "%s"', a.name) end
    if v ~= null then ctx.values[a.name] = kinds[a.kind](v, a, ctx) end
    for _, hook in ipairs(a["then"] or {}) do hooks[hook](ctx, a) end
  end
  return ctx.values
end

-- validate(op, raw_args): the typed values of an op's arguments by name, or a raised protocol
-- error. A limit counts the elements a hook gives, or a sum of products of factors.
function M.validate(op, raw)
  local spec, ctx = M.ops[op], { op = op, values = {}, dims = {} }
  M.check(spec.args, raw, ctx)
  for _, lim in ipairs(spec.limits or {}) do
    local total = lim.hook and hooks[lim.hook](ctx) or 0
    for _, product in ipairs(lim.sum_of_products or {}) do
      local p = 1
      for _, ref in ipairs(product) do p = p * factor(ref, ctx.values) end
      total = total + p
    end
    in_domain({ name = lim.what, min = 0, max = "max_elements" }, total)
  end
  for _, name in ipairs(spec.hooks or {}) do hooks[name](ctx) end
  return ctx.values
end

return M
