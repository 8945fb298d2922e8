-- JSON in and out for the runner and the trainer.
-- Decoding goes through lua-cjson (strtod: every number reads to the exact
-- double). cjson turns both [] and {} into an empty table, so empty arrays
-- are marked before decoding and come back as the EMPTY_ARRAY sentinel.
-- Encoding is our own: numbers are written in the shortest of %.15g, %.16g,
-- %.17g that reads back to the same double; NaN and infinities as strings.
local cjson = require("cjson")
local tensor = require("dlscratch.tensor")

local format, floor, huge = string.format, math.floor, math.huge

local M = {}

local decoder = cjson.new()
decoder.decode_invalid_numbers(false)
decoder.decode_max_depth(1000)

M.null = cjson.null
M.EMPTY_ARRAY = setmetatable({}, { __tostring = function() return "[]" end })

local MARK = "\1dlscratch:empty-array\1"
-- A control character U+0000..U+001F (LuaJIT's patterns need %z for NUL).
local CONTROL = _VERSION == "Lua 5.1" and "[%z\1-\31]" or "[\0-\31]"

-- A JSON number token: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
local function valid_number(tok)
  local rest = tok:match("^%-?0(.*)$") or tok:match("^%-?[1-9]%d*(.*)$")
  return rest ~= nil and rest:gsub("^%.%d+", "", 1):gsub("^[eE][%+%-]?%d+", "", 1) == ""
end

-- marked(s): s with each empty array outside strings replaced by the marker
-- string, and whether there was one; or nil and what lua-cjson would let
-- through although it is not JSON: a raw control character inside a string,
-- a number token that strtod reads ("1.", "-.5", "01", "0x10").
local function marked(s)
  local bad, any = nil, false
  -- s with its escape pairs and then its strings' contents blanked, at the same
  -- positions: what is left of it is outside strings
  local skeleton = s:gsub("\\.", "__"):gsub('"[^"]*"', function(str)
    local ctl = str:match(CONTROL)
    bad = bad or (ctl and format("a raw control character (byte %d) inside a string", ctl:byte()))
    return '"' .. ("_"):rep(#str - 2) .. '"'
  end)
  for tok in skeleton:gmatch("[%-%d][%w%.%+%-]*") do
    bad = bad or (not valid_number(tok) and format("%q is not a JSON number", tok))
  end
  if bad then return nil, bad end
  local text = s:gsub("()%[[ \t\r\n]*%]", function(at)
    if skeleton:byte(at) == 91 then -- a [ outside strings
      any = true
      return '"' .. MARK .. '"'
    end
  end)
  return text, any
end

local function unmark(v)
  if v == MARK then return M.EMPTY_ARRAY end
  if type(v) == "table" then
    for k, x in pairs(v) do v[k] = unmark(x) end
  end
  return v
end

-- decode(s): value or nil, message.
function M.decode(s)
  local text, any = marked(s)
  if text == nil then return nil, any end
  local ok, v = pcall(decoder.decode, text)
  if not ok then return nil, tostring(v) end
  return any and unmark(v) or v
end

-- is_array / is_object for decoded values.
function M.is_array(v) return v == M.EMPTY_ARRAY or (type(v) == "table" and v[1] ~= nil) end

function M.is_object(v) return type(v) == "table" and v ~= M.EMPTY_ARRAY and v[1] == nil end

-- number(x): the JSON text of a number (%.17g always reads back).
function M.number(x)
  if x ~= x then return '"NaN"' end
  if x == huge or x == -huge then return x > 0 and '"Infinity"' or '"-Infinity"' end
  if x == floor(x) and x > -2 ^ 53 and x < 2 ^ 53 then return format("%d", x) end
  for _, digits in ipairs({ "%.15g", "%.16g", "%.17g" }) do
    local s = format(digits, x)
    if tonumber(s) == x then return s end
  end
end

local function string_lit(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return (c == '"' or c == "\\") and "\\" .. c or format("\\u%04x", c:byte())
  end) .. '"'
end

-- Marks a Lua list to be written as a JSON array (even when empty).
local ARRAY = {}
function M.array(t) return setmetatable(t, ARRAY) end

-- tensor_text(t, dim, offset): the block of t at offset over dimensions dim..
-- as nested lists (0-D: the number).
local function tensor_text(t, dim, offset)
  if dim > #t.shape then return M.number(t.data[offset + 1]) end
  local parts, stride = {}, 1
  for k = dim + 1, #t.shape do stride = stride * t.shape[k] end
  for i = 1, t.shape[dim] do parts[i] = tensor_text(t, dim + 1, offset + (i - 1) * stride) end
  return "[" .. table.concat(parts, ",") .. "]"
end

-- encode(v): JSON text. Tensors become nested lists (a 0-d tensor a number);
-- lists become arrays; other tables objects, their keys sorted.
function M.encode(v)
  local tv, parts = type(v), {}
  if tv == "number" then return M.number(v) end
  if tv == "string" then return string_lit(v) end
  if tv == "boolean" then return tostring(v) end
  if v == nil or v == M.null then return "null" end
  if tensor.is_tensor(v) then return tensor_text(v, 1, 0) end
  if getmetatable(v) == ARRAY or v[1] ~= nil or v == M.EMPTY_ARRAY then
    for i = 1, #v do parts[i] = M.encode(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = tostring(k) end
  table.sort(keys)
  for i, k in ipairs(keys) do parts[i] = string_lit(k) .. ":" .. M.encode(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

return M
