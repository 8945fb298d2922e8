-- The generic validator: shared_tests/ops.json (DLSCRATCH_OPS_JSON names
-- another file), read once, turns a request's args into typed values
-- (numbers, integers, names, tensors, targets, params tables, ...) or raises
-- the protocol's error object, by interpreting each op's schema: its arguments
-- in order (presence, JSON type, dimensions, symbols, domain), its limits, its hooks.
local cjson = require("cjson")
local datasets = require("dlscratch.datasets")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")

local floor, huge, unpack = math.floor, math.huge, table.unpack or unpack
local is_array, is_object, null, EMPTY = jsonio.is_array, jsonio.is_object, jsonio.null, jsonio.EMPTY_ARRAY
local shape_str, same_shape = tensor.shape_str, tensor.same_shape

local M = {}

-- A protocol error is the table {type, message, protocol = true}, raised with error().
function M.is_error(v) return type(v) == "table" and v.protocol == true end

local function fail(kind, fmt, ...)
  error({ type = kind, message = string.format(fmt, ...), protocol = true }, 0)
end

function M.load(path)
  local f = assert(io.open(path, "rb"))
  M.schema = cjson.decode(f:read("*a"))
  f:close()
  M.ops, M.limits = M.schema.ops, M.schema.limits
end
local port = debug.getinfo(1, "S").source:match("^@(.*)/dlscratch/[^/]*$") or "."
M.load(os.getenv("DLSCRATCH_OPS_JSON") or port .. "/../shared_tests/ops.json")

local NON_FINITE = { NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge }

function M.json_type(v)
  if v == nil or v == null then return "null" end
  if type(v) == "string" then return string.format("the string %q", v) end
  if type(v) ~= "table" then return "a " .. type(v) end
  return is_array(v) and "a list" or "an object"
end

local function number(v, name)
  if type(v) == "number" then return v + 0.0 end
  return NON_FINITE[v] or fail("BadArgs", "%s must be a number, not %s", name, M.json_type(v))
end

local function whole(v) return type(v) == "number" and v == floor(v) and v - v == 0 end
local function list(v) return v == EMPTY and {} or v end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- to_array(v, name): a nested list (a number is 0-D) as a tensor; BadArgs when ragged
-- or holding a non-number, ShapeError beyond max_ndim dimensions.
local function shape_of(v, name)
  if not is_array(v) then return {} end
  local first = v == EMPTY and { -1 } or shape_of(v[1], name)
  for i = 2, #v do
    if not same_shape(shape_of(v[i], name), first) then fail("BadArgs", "%s is ragged", name) end
  end
  return v == EMPTY and { 0 } or { #v, unpack(first) }
end

local function flatten(v, out, name)
  if not is_array(v) then out[#out + 1] = number(v, name); return end
  for _, x in ipairs(list(v)) do flatten(x, out, name) end
end

local function to_array(v, name)
  local shape, flat = shape_of(v, name), {}
  if #shape > M.limits.max_ndim then fail("ShapeError", "%s has more than %d dimensions", name, M.limits.max_ndim) end
  flatten(v, flat, "every element of " .. name)
  return tensor.new(shape, flat)
end

---------------------------------------------------------------------------
-- Shapes: alternatives "D | N D" chosen by the number of dimensions; a symbol
-- binds the first time it is met (an integer argument's name, or a number,
-- stands for its value); "D..." is the product of the trailing dimensions;
-- "*" any shape; "=name" the shape of an argument, or of an ok value.
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

-- resolve(spec, ctx): a concrete shape, the longest alternative whose symbols are all bound.
local function resolve(spec, ctx)
  local ref, best = spec:match("^=(.*)$"), nil
  if ref and ctx.values[ref] == nil then return resolve(M.ops[ctx.op].ok[ref].shape, ctx) end
  if ref then return type(ctx.values[ref]) == "number" and {} or ctx.values[ref].shape end
  for _, alt in ipairs(alternatives(spec)) do
    local shape = {}
    for _, tok in ipairs(alt) do shape[#shape + 1] = dim_of(tok, ctx) end
    if #shape == #alt and (best == nil or #shape > #best) then best = shape end
  end
  return best
end

local function match(shape, spec, ctx, name)
  local dims = {}
  if spec:sub(1, 1) == "=" then
    local want = resolve(spec, ctx)
    if not same_shape(shape, want) then fail("ShapeError", "%s is %s, not %s", name, shape_str(shape), shape_str(want)) end
  elseif spec ~= "*" then
    dims = nil
    for _, alt in ipairs(alternatives(spec)) do
      if #shape == #alt or (#alt > 0 and alt[#alt]:sub(-3) == "..." and #shape > #alt) then dims = alt; break end
    end
    if not dims then fail("ShapeError", "%s must be %s, but it is %s", name, spec, shape_str(shape)) end
  end
  for i = 1, #shape do
    if shape[i] == 0 then fail("ShapeError", "%s is empty (%s)", name, shape_str(shape)) end
  end
  for i, tok in ipairs(dims) do
    local sym, d = tok:match("^(.-)%.%.%.$"), shape[i]
    for k = i + 1, sym and #shape or 0 do d = d * shape[k] end
    sym = sym or tok
    local want = dim_of(sym, ctx)
    if want and want ~= d then fail("ShapeError", "%s is %s: %s must be %d", name, shape_str(shape), sym, want) end
    ctx.dims[sym] = d
  end
end

---------------------------------------------------------------------------
-- Kinds: kinds[kind](raw, arg, ctx) is the typed value of a present argument.
local kinds = {}
M.kinds = kinds

function kinds.number(raw, a)
  local v, hi = number(raw, a.name), a.max or a.max_exclusive
  if (a.min and not (v >= a.min)) or (hi and not (v <= hi)) or (a.max_exclusive and v == hi) then
    fail("ValueError", "%s = %s is outside [%s, %s%s", a.name, jsonio.number(v), tostring(a.min), tostring(hi),
      a.max and "]" or ")")
  end
  return v
end

function kinds.integer(raw, a)
  if not whole(raw) then fail("BadArgs", "%s must be an integer, not %s", a.name, M.json_type(raw)) end
  local lo, hi = a.min, M.limits[a.max] or a.max
  if lo and raw < lo then fail("ValueError", "%s = %s must be at least %d", a.name, jsonio.number(raw), lo) end
  if hi and raw > hi then fail("ValueError", "%s = %s is above the limit %d", a.name, jsonio.number(raw), hi) end
  return floor(raw)
end

function kinds.seed(raw, a)
  return kinds.integer(raw, { name = a.name, min = 0, max = M.limits.seed_limit - 1 })
end

function kinds.boolean(raw, a)
  if type(raw) ~= "boolean" then fail("BadArgs", "%s must be true or false, not %s", a.name, M.json_type(raw)) end
  return raw
end

function kinds.name(raw, a)
  local key = type(raw) == "string" and a.fold_case and raw:lower() or raw
  for _, c in ipairs(a.choices) do if c == key then return key end end
  fail("BadArgs", "%s must be one of %s, not %s", a.name, table.concat(a.choices, ", "), M.json_type(raw))
end

function kinds.name_or_number(raw, a)
  return type(raw) == "string" and kinds.name(raw, a) or number(raw, a.name)
end

function kinds.array(raw, a, ctx)
  local t = to_array(raw, a.name)
  match(t.shape, a.shape, ctx, a.name)
  return t
end

function kinds.array_or_number(raw, a, ctx)
  if is_array(raw) then return kinds.array(raw, a, ctx) end
  match({}, a.shape, ctx, a.name)
  return number(raw, a.name)
end

-- target: one-hot (the scores' shape) or labels, one integer in 0 .. C-1 per
-- row of the scores (a number or a 1-element list for 1-D scores).
function kinds.target(raw, a, ctx)
  local y = resolve(ctx.values[a.scores] and "=" .. a.scores or a.scores, ctx)
  local t = is_array(raw) and to_array(raw, a.name) or tensor.scalar(number(raw, a.name))
  if same_shape(t.shape, y) then return t end
  local n, c, nd = #y == 2 and y[1] or 1, y[#y], #t.shape
  if t.size == tensor.numel(y) and nd >= 1 and (nd ~= 1 or #y ~= 2 or n ~= t.size) then
    fail("ShapeError", "one-hot %s is %s but the scores are %s", a.name, shape_str(t.shape), shape_str(y))
  end
  if (#y == 1 and (t.size ~= 1 or nd > 1)) or (#y == 2 and (nd ~= 1 or t.shape[1] ~= n)) then
    fail("ShapeError", "%s must be %d label(s) or one-hot %s, not %s", a.name, n, shape_str(y), shape_str(t.shape))
  end
  for i, v in ipairs(t.data) do
    if not whole(v) then fail("BadArgs", "%s[%d] = %s is not an integer label", a.name, i - 1, jsonio.number(v)) end
    if v < 0 or v >= c then
      fail("ValueError", "%s[%d] = %s is outside 0..%d", a.name, i - 1, jsonio.number(v), c - 1)
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
  for _, v in ipairs(is_array(raw) and list(raw) or { false }) do
    if not whole(v) then fail("BadArgs", "%s must be a list of integers", a.name) end
  end
  local out = {}
  for i, v in ipairs(list(raw)) do out[i] = kinds.integer(v, { name = a.name, min = a.min, max = a.max }) end
  return out
end

local function object(raw, name)
  return is_object(raw) and raw or fail("BadArgs", "%s must be an object, not %s", name, M.json_type(raw))
end

local hooks = {}
M.hooks = hooks

-- params: each key of `keys` (or of keys_hook's list of {key, shape, given}) an
-- array of its shape; a required key missing or null is ShapeError.
function kinds.params(raw, a, ctx)
  local entries, out = a.keys_hook and hooks[a.keys_hook](ctx, object(raw, a.name)) or {}, {}
  for _, k in ipairs(a.keys and sorted_keys(a.keys) or {}) do entries[#entries + 1] = { k, a.keys[k] } end
  for _, e in ipairs(entries) do
    local key, v, where = e[1], object(raw, a.name)[e[1]], a.name .. "." .. e[1]
    if v == nil or (v == null and not e[3]) then fail("ShapeError", "%s has no %s", a.name, key) end
    out[key] = to_array(v, where)
    match(out[key].shape, e[2], ctx, where)
  end
  return out
end

-- grads_seq: a list of objects with exactly the keys of `like`, each array of its shape.
function kinds.grads_seq(raw, a, ctx)
  if not is_array(raw) then fail("BadArgs", "%s must be a list of objects", a.name) end
  local like, seq = ctx.values[a.like], {}
  for i, g in ipairs(list(raw)) do
    local where, keys = string.format("%s[%d]", a.name, i - 1), sorted_keys(object(g, a.name))
    if table.concat(keys, "\0") ~= table.concat(sorted_keys(like), "\0") then
      fail("ShapeError", "%s has keys [%s], not those of %s", where, table.concat(keys, ", "), a.like)
    end
    seq[i] = kinds.params(g, { name = where, keys_hook = "any_keys" }, { values = like, dims = {}, like = true })
  end
  return seq
end

function kinds.hyper(raw, a)
  local out = {}
  for key, v in pairs(object(raw, a.name)) do out[key] = number(v, a.name .. "." .. key) end
  return out
end

function kinds.optimizer(raw, a)
  local names = M.ops["optimizer.run"].args[1].choices
  return M.check({ { name = "name", kind = "name", choices = names, fold_case = true, default = "sgd" },
    { name = "hyper", kind = "hyper", default = {} } }, object(raw, a.name), {})
end

function kinds.path(raw, a)
  if type(raw) ~= "string" then fail("BadArgs", "%s must be a string, not %s", a.name, M.json_type(raw)) end
  local ok, idx = pcall(datasets.read_idx, raw)
  if not ok and datasets.is_file_error(idx) then fail("ValueError", "%s", idx.message) end
  return ok and idx or error(idx, 0)
end

---------------------------------------------------------------------------
-- Hooks, by their names in ops.json.

-- S = [input_size, *hidden_size_list, output_size]
local function layer_sizes(v)
  local s = { v.input_size }
  for _, h in ipairs(v.hidden_size_list) do s[#s + 1] = h end
  s[#s + 1] = v.output_size
  return s
end

function hooks.layer_sizes(ctx)
  local s, total = layer_sizes(ctx.values), 0
  for i = 2, #s do total = total + s[i - 1] * s[i] end
  return total
end

function hooks.layer_params(ctx)
  local s, entries = layer_sizes(ctx.values), {}
  for i = 2, #s do
    entries[#entries + 1] = { "W" .. (i - 1), s[i - 1] .. " " .. s[i] }
    entries[#entries + 1] = { "b" .. (i - 1), tostring(s[i]) }
  end
  ctx.dims.S0, ctx.dims.SL = s[1], s[#s]
  return entries
end

-- every key of the object as given, sorted: of any shape, or of `like`'s when checking grads
function hooks.any_keys(ctx, raw)
  local entries = {}
  for i, k in ipairs(sorted_keys(raw)) do entries[i] = { k, ctx.like and "=" .. k or "*", true } end
  return entries
end

function hooks.momentum_domain(ctx)
  local m, name = ctx.values.hyper.momentum, ctx.values.name
  if m and (name == "momentum" or name == "nesterov") and not (m >= 0 and m <= 1) then
    fail("ValueError", "momentum = %s is outside [0, 1]", jsonio.number(m))
  end
end

-- a limit: the sum of products of integer arguments (or name.size, name.columns of an array)
local function check_limit(ctx, lim)
  local total = lim.hook and hooks[lim.hook](ctx) or 0
  for _, product in ipairs(lim.sum_of_products or {}) do
    local p = 1
    for _, ref in ipairs(product) do
      local name, field = ref:match("^(.-)%.(%a+)$")
      local t = ctx.values[name or ref]
      p = p * (field == "size" and t.size or field == "columns" and t.shape[#t.shape] or t)
    end
    total = total + p
  end
  if total > M.limits.max_elements then
    fail("ValueError", "%s would hold %.0f elements, above the limit of %d", lim.what, total, M.limits.max_elements)
  end
end

---------------------------------------------------------------------------
-- check(args, raw, ctx): the values of the arguments in order; null counts as absent.
function M.check(args, raw, ctx)
  ctx.values, ctx.dims = ctx.values or {}, ctx.dims or {}
  for _, a in ipairs(args) do
    local v = raw[a.name]
    if v == nil or v == null then v = a.default end
    if v == nil then fail("BadArgs", 'missing argument "%s"', a.name) end
    if v ~= null then ctx.values[a.name] = kinds[a.kind](v, a, ctx) end
  end
  return ctx.values
end

-- validate(op, raw_args): the typed values of an op's arguments by name, or a raised protocol error.
function M.validate(op, raw)
  local spec, ctx = M.ops[op], { op = op }
  M.check(spec.args, raw, ctx)
  for _, lim in ipairs(spec.limits or {}) do check_limit(ctx, lim) end
  for _, name in ipairs(spec.hooks or {}) do hooks[name](ctx) end
  return ctx.values
end

return M
