-- The generic validator: shared_tests/ops.json (DLSCRATCH_OPS_JSON names
-- another file), read once, turns a request's args into typed values (numbers,
-- integers, names, tensors, targets, params tables, ...) or raises the
-- protocol's error object, by interpreting each op's schema: its arguments in
-- order (presence, JSON type, dimensions, symbols, domain), its limits, its hooks.
local cjson = require("cjson")
local class = require("dlscratch.class")
local datasets = require("dlscratch.datasets")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")

local floor, huge = math.floor, math.huge
local unpack = table.unpack or unpack
local is_array, is_object, null = jsonio.is_array, jsonio.is_object, jsonio.null
local shape_str, same_shape, numel = tensor.shape_str, tensor.same_shape, tensor.numel

local M = {}

-- ProtocolError {type, message}: raised with error(), answered by the runner.
local ProtocolError = class()
ProtocolError.__tostring = function(e) return e.type .. ": " .. e.message end
function M.is_error(v) return getmetatable(v) == ProtocolError end

local function fail(kind, fmt, ...)
  error(setmetatable({ type = kind, message = string.format(fmt, ...) }, ProtocolError), 0)
end
M.fail = fail

local function schema_path()
  local env = os.getenv("DLSCRATCH_OPS_JSON")
  if env and env ~= "" then return env end
  local port = debug.getinfo(1, "S").source:match("^@(.*)/dlscratch/[^/]*$") or "."
  return port .. "/../shared_tests/ops.json"
end

function M.load(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  M.schema = cjson.decode(text)
  M.ops = M.schema.ops
end
M.load(schema_path())

local function limit(name) return M.schema.limits[name] end

local NON_FINITE = { NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge }

local function json_type(v)
  if v == nil or v == null then return "null" end
  if type(v) == "string" then return string.format("the string %q", v) end
  if type(v) ~= "table" then return "a " .. type(v) end
  return is_array(v) and "a list" or "an object"
end

local function number(v, name)
  if type(v) == "number" then return v + 0.0 end
  if NON_FINITE[v] then return NON_FINITE[v] end
  fail("BadArgs", "%s must be a number, not %s", name, json_type(v))
end

local function whole(v) return type(v) == "number" and v == floor(v) and v - v == 0 end

-- the shape of a nested list (a number is 0-D); BadArgs when ragged
local function shape_of(v, name)
  if not is_array(v) then return {} end
  if v == jsonio.EMPTY_ARRAY then return { 0 } end
  local first = shape_of(v[1], name)
  for i = 2, #v do
    if not same_shape(shape_of(v[i], name), first) then
      fail("BadArgs", "%s is ragged: its rows differ in length or depth", name)
    end
  end
  return { #v, unpack(first) }
end

local function flatten(v, out, name)
  if not is_array(v) then out[#out + 1] = number(v, name); return end
  for i = 1, (v == jsonio.EMPTY_ARRAY and 0 or #v) do flatten(v[i], out, name) end
end

local function to_array(v, name)
  local shape = shape_of(v, name)
  if #shape > limit("max_ndim") then
    fail("ShapeError", "%s has %d dimensions; at most %d are supported", name, #shape, limit("max_ndim"))
  end
  local flat = {}
  flatten(v, flat, "every element of " .. name)
  return tensor.new(shape, flat)
end

---------------------------------------------------------------------------
-- Shapes: "D | N D" alternatives chosen by ndim; a symbol binds the first
-- time it is met (an integer argument's name stands for its value);
-- "D..." is the product of the trailing dimensions; "*" any; "=name" the
-- shape of an argument (or of an ok value, resolved from its own shape).
local function alternatives(spec)
  local alts = {}
  for alt in (spec .. "|"):gmatch("([^|]*)|") do
    local dims = {}
    for tok in alt:gmatch("%S+") do dims[#dims + 1] = tok end
    alts[#alts + 1] = dims
  end
  return alts
end

local function dim_of(sym, ctx)
  local v = ctx.values[sym]
  return tonumber(sym) or ctx.dims[sym] or (type(v) == "number" and v or nil)
end

-- resolve(spec, ctx): a concrete shape: the longest alternative whose symbols are all bound.
local function resolve(spec, ctx)
  local ref = spec:match("^=(.*)$")
  if ref then
    local v = ctx.values[ref]
    if v == nil then return resolve(M.ops[ctx.op].ok[ref].shape, ctx) end
    return type(v) == "number" and {} or v.shape
  end
  local best
  for _, alt in ipairs(alternatives(spec)) do
    local shape = {}
    for _, tok in ipairs(alt) do shape[#shape + 1] = dim_of(tok, ctx) end
    if #shape == #alt and (best == nil or #shape > #best) then best = shape end
  end
  return best
end

local function match(shape, spec, ctx, name)
  if spec:sub(1, 1) == "=" then
    local want = resolve(spec, ctx)
    if not same_shape(shape, want) then
      fail("ShapeError", "%s is %s but %s is %s", name, shape_str(shape), spec:sub(2), shape_str(want))
    end
  end
  local dims = {}
  if spec ~= "*" and spec:sub(1, 1) ~= "=" then
    dims = nil
    for _, alt in ipairs(alternatives(spec)) do
      local open = #alt > 0 and alt[#alt]:sub(-3) == "..."
      if #shape == #alt or (open and #shape > #alt) then dims = alt; break end
    end
    if not dims then fail("ShapeError", "%s must be %s, but it is %s", name, spec, shape_str(shape)) end
  end
  for i = 1, #shape do
    if shape[i] == 0 then fail("ShapeError", "%s is empty (%s)", name, shape_str(shape)) end
  end
  for i, tok in ipairs(dims) do
    local sym, d = tok:match("^(.-)%.%.%.$"), shape[i]
    if sym then
      for k = i + 1, #shape do d = d * shape[k] end
    else
      sym = tok
    end
    local want = dim_of(sym, ctx)
    if want and want ~= d then
      fail("ShapeError", "%s is %s: %s must be %d, not %d", name, shape_str(shape), sym, want, d)
    end
    ctx.dims[sym] = d
  end
end

---------------------------------------------------------------------------
-- Kinds: kind(raw, arg, ctx) -> the typed value of a present argument.
local kinds = {}

function kinds.number(raw, a)
  local v = number(raw, a.name)
  local hi = a.max or a.max_exclusive
  if (a.min and not (v >= a.min)) or (hi and not (v <= hi)) or (a.max_exclusive and v == hi) then
    fail("ValueError", "%s = %s is outside [%s, %s%s", a.name, jsonio.number(v), tostring(a.min or "-inf"),
      tostring(hi or "inf"), a.max_exclusive and ")" or "]")
  end
  return v
end

local function bound(a, key)
  local b = a[key]
  return type(b) == "string" and limit(b) or b
end

function kinds.integer(raw, a)
  if not whole(raw) then fail("BadArgs", "%s must be an integer, not %s", a.name, json_type(raw)) end
  local lo, hi = bound(a, "min"), bound(a, "max")
  if lo and raw < lo then fail("ValueError", "%s = %s must be at least %d", a.name, jsonio.number(raw), lo) end
  if hi and raw > hi then fail("ValueError", "%s = %s is larger than the limit %d", a.name, jsonio.number(raw), hi) end
  return floor(raw)
end

function kinds.seed(raw, a)
  return kinds.integer(raw, { name = a.name, min = 0, max = limit("seed_limit") - 1 })
end

function kinds.boolean(raw, a)
  if type(raw) ~= "boolean" then fail("BadArgs", "%s must be true or false, not %s", a.name, json_type(raw)) end
  return raw
end

function kinds.name(raw, a)
  local key = type(raw) == "string" and a.fold_case and raw:lower() or raw
  for _, c in ipairs(a.choices) do if c == key then return key end end
  fail("BadArgs", "%s must be one of %s, not %s", a.name, table.concat(a.choices, ", "), json_type(raw))
end

function kinds.name_or_number(raw, a)
  if type(raw) == "string" then return kinds.name(raw, a) end
  return number(raw, a.name)
end

function kinds.array(raw, a, ctx)
  local t = to_array(raw, a.name)
  match(t.shape, a.shape, ctx, a.name)
  return t
end

function kinds.array_or_number(raw, a, ctx)
  if is_array(raw) then return kinds.array(raw, a, ctx) end
  local v = number(raw, a.name)
  match({}, a.shape, ctx, a.name)
  return v
end

-- target: one-hot (the scores' shape) or labels, one integer in 0 .. C-1 per
-- row (a number or a 1-element list for 1-D scores); a tensor of labels or one-hot.
function kinds.target(raw, a, ctx)
  local name = a.name
  local y = resolve(ctx.values[a.scores] and "=" .. a.scores or a.scores, ctx)
  local t = is_array(raw) and to_array(raw, name) or tensor.scalar(number(raw, name))
  local n, c = 1, y[1]
  if #y == 2 then n, c = y[1], y[2] end
  if same_shape(t.shape, y) then return t end
  local nd = #t.shape
  if t.size == numel(y) and nd >= 1 and (nd ~= 1 or #y ~= 2 or n ~= t.size) then
    fail("ShapeError", "one-hot %s is %s but the scores are %s", name, shape_str(t.shape), shape_str(y))
  end
  if (#y == 1 and (t.size ~= 1 or nd > 1)) or (#y == 2 and (nd ~= 1 or t.shape[1] ~= n)) then
    fail("ShapeError", "%s must hold %d label(s) or be one-hot %s, but it is %s", name, n, shape_str(y),
      shape_str(t.shape))
  end
  for i, v in ipairs(t.data) do
    if not whole(v) then fail("BadArgs", "%s[%d] = %s is not an integer label", name, i - 1, jsonio.number(v)) end
    if v < 0 or v >= c then
      fail("ValueError", "%s[%d] = %s is outside 0..%d", name, i - 1, jsonio.number(v), c - 1)
    end
  end
  return tensor.new(#y == 2 and { t.size } or {}, t.data)
end

function kinds.labels(raw, a, ctx)
  local t = kinds.target(raw, a, ctx)
  if #t.shape ~= 1 then fail("ShapeError", "%s must be labels, one integer per row", a.name) end
  return t
end

function kinds.int_list(raw, a)
  if not is_array(raw) then fail("BadArgs", "%s must be a list of integers", a.name) end
  local list = raw == jsonio.EMPTY_ARRAY and {} or raw
  for _, v in ipairs(list) do
    if not whole(v) then fail("BadArgs", "%s must be a list of integers", a.name) end
  end
  local out = {}
  for i, v in ipairs(list) do out[i] = kinds.integer(v, { name = a.name .. "[" .. (i - 1) .. "]", min = a.min, max = a.max }) end
  return out
end

local function object(raw, name)
  if not is_object(raw) then fail("BadArgs", "%s must be an object, not %s", name, json_type(raw)) end
  return raw
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- keys in layer order (W1, b1, W2, b2, ...): a JSON object's order is not kept.
local function layer_order(keys)
  local list = sorted_keys(keys)
  local function rank(k) return tonumber(k:match("%d+")) or 0 end
  table.sort(list, function(p, q) return rank(p) < rank(q) or (rank(p) == rank(q) and p < q) end)
  local out = {}
  for i, k in ipairs(list) do out[i] = { k, keys[k] } end
  return out
end

local hooks = {}

function kinds.params(raw, a, ctx)
  object(raw, a.name)
  local out = {}
  for _, entry in ipairs(a.keys_hook and hooks[a.keys_hook](ctx, raw) or layer_order(a.keys)) do
    local key, spec = entry[1], entry[2]
    local where = a.name .. "." .. key
    if raw[key] == nil or (raw[key] == null and spec ~= "*") then fail("ShapeError", "%s has no %s", a.name, key) end
    out[key] = to_array(raw[key], where)
    match(out[key].shape, spec, ctx, where)
  end
  return out
end

function kinds.grads_seq(raw, a, ctx)
  if not is_array(raw) then fail("BadArgs", "%s must be a list of objects", a.name) end
  local like, seq = ctx.values[a.like], {}
  local want = sorted_keys(like)
  for i, g in ipairs(raw == jsonio.EMPTY_ARRAY and {} or raw) do
    local where = string.format("%s[%d]", a.name, i - 1)
    object(g, where)
    local keys = sorted_keys(g)
    for _, k in ipairs(keys) do if like[k] == nil then keys.n = 0 end end
    if #keys ~= #want or keys.n then
      fail("ShapeError", "%s has keys [%s] but %s has [%s]", where, table.concat(keys, ", "), a.like,
        table.concat(want, ", "))
    end
    seq[i] = {}
    for key, v in pairs(g) do
      seq[i][key] = to_array(v, where .. "." .. key)
      match(seq[i][key].shape, "=" .. key, { values = like, dims = {} }, where .. "." .. key)
    end
  end
  return seq
end

function kinds.hyper(raw, a)
  local out = {}
  for key, v in pairs(object(raw, a.name)) do out[key] = number(v, a.name .. "." .. key) end
  return out
end

function kinds.optimizer(raw, a)
  local choices = M.ops["optimizer.run"].args[1]
  local sub = { { name = "name", kind = "name", choices = choices.choices, fold_case = true, default = "sgd" },
    { name = "hyper", kind = "hyper", default = {} } }
  return M.check(sub, object(raw, a.name), {})
end

function kinds.path(raw, a)
  if type(raw) ~= "string" then fail("BadArgs", "%s must be a string, not %s", a.name, json_type(raw)) end
  local ok, idx = pcall(datasets.read_idx, raw)
  if ok then return idx end
  if datasets.is_file_error(idx) then fail("ValueError", "%s", idx.message) end
  error(idx, 0)
end

---------------------------------------------------------------------------
-- Hooks, by their names in ops.json.

-- S = [input_size, *hidden_size_list, output_size]
local function layer_sizes(ctx)
  local v, s = ctx.values, { ctx.values.input_size }
  for _, h in ipairs(v.hidden_size_list) do s[#s + 1] = h end
  s[#s + 1] = v.output_size
  return s
end

function hooks.layer_sizes(ctx)
  local s, total = layer_sizes(ctx), 0
  for i = 2, #s do total = total + s[i - 1] * s[i] end
  return total
end

function hooks.layer_params(ctx)
  local s, keys = layer_sizes(ctx), {}
  for i = 2, #s do
    keys[#keys + 1] = { "W" .. (i - 1), s[i - 1] .. " " .. s[i] }
    keys[#keys + 1] = { "b" .. (i - 1), tostring(s[i]) }
  end
  ctx.dims.S0, ctx.dims.SL = s[1], s[#s]
  return keys
end

function hooks.any_keys(_, raw)
  local keys = {}
  for i, k in ipairs(sorted_keys(raw)) do keys[i] = { k, "*" } end
  return keys
end

function hooks.momentum_domain(ctx)
  local m, name = ctx.values.hyper.momentum, ctx.values.name
  if m ~= nil and (name == "momentum" or name == "nesterov") and not (m >= 0 and m <= 1) then
    fail("ValueError", "momentum = %s is outside [0, 1]", jsonio.number(m))
  end
end

-- a term of a limit: an integer argument, or name.size / name.columns of an array
local function term(ctx, ref)
  local name, field = ref:match("^(.-)%.(%a+)$")
  if not name then return ctx.values[ref] end
  local t = ctx.values[name]
  return field == "size" and t.size or t.shape[#t.shape]
end

local function check_limit(ctx, lim)
  local total = 0
  if lim.hook then total = hooks[lim.hook](ctx) end
  for _, product in ipairs(lim.sum_of_products or {}) do
    local p = 1
    for _, ref in ipairs(product) do p = p * term(ctx, ref) end
    total = total + p
  end
  if total > limit("max_elements") then
    fail("ValueError", "%s would hold %.0f elements, above the limit of %d", lim.what, total, limit("max_elements"))
  end
end

---------------------------------------------------------------------------
-- check(args_spec, raw, ctx): the values of the arguments, in order; null is absent.
function M.check(args_spec, raw, ctx)
  ctx.values, ctx.dims = ctx.values or {}, ctx.dims or {}
  for _, a in ipairs(args_spec) do
    local v = raw[a.name]
    if v == nil or v == null then
      if a.default == nil then fail("BadArgs", 'missing argument "%s"', a.name) end
      v = a.default
    end
    if v ~= null then ctx.values[a.name] = kinds[a.kind](v, a, ctx) end
  end
  return ctx.values
end

-- validate(op, raw_args): the typed values of an op's arguments, or a raised ProtocolError.
function M.validate(op, raw)
  local spec = M.ops[op]
  local ctx = { op = op }
  M.check(spec.args, raw, ctx)
  for _, lim in ipairs(spec.limits or {}) do check_limit(ctx, lim) end
  for _, name in ipairs(spec.hooks or {}) do hooks[name](ctx) end
  return ctx.values
end

M.kinds, M.hooks, M.json_type = kinds, hooks, json_type

return M
