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
  local int, rest = tok:match("^%-?(%d+)(.*)$")
  if not int or (#int > 1 and int:sub(1, 1) == "0") then return false end
  rest = rest:gsub("^%.%d+", "", 1)
  return rest == "" or rest:match("^[eE][%+%-]?%d+$") ~= nil
end

-- scan(s): s with each empty array outside strings replaced by the marker
-- string, and whether there was one; or nil and what lua-cjson would let
-- through although it is not JSON: a raw control character inside a string,
-- a number token that strtod reads ("1.", "-.5", "01", "0x10").
local function scan(s)
  local out, pos, i, ctl = {}, 1, 1, s:find(CONTROL)
  while true do
    local j = s:find('["%[%-%d]', i)
    if not j then break end
    local c = s:byte(j)
    if c == 34 then -- a string: up to its closing quote
      local q = j + 1
      repeat
        q = s:find('["\\]', q)
        if q and s:byte(q) == 92 then q = q + 2 else break end
      until false
      if not q then return s, false end -- unterminated: lua-cjson refuses it
      while ctl and ctl < j do ctl = s:find(CONTROL, ctl + 1) end
      if ctl and ctl < q then return nil, format("a raw control character (byte %d) inside a string", s:byte(ctl)) end
      i = q + 1
    elseif c == 91 then -- [
      local k = s:find("[^ \t\r\n]", j + 1)
      if k and s:byte(k) == 93 then
        out[#out + 1] = s:sub(pos, j - 1) .. '"' .. MARK .. '"'
        pos = k + 1
      end
      i = j + 1
    else
      local tok = s:match("^%-?[%w%.%+%-]*", j)
      if not valid_number(tok) then return nil, format("%q is not a JSON number", tok) end
      i = j + #tok
    end
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out), #out > 1
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
  local text, marked = scan(s)
  if text == nil then return nil, marked end
  local ok, v = pcall(decoder.decode, text)
  if not ok then return nil, tostring(v) end
  return marked and unmark(v) or v
end

-- is_array / is_object for decoded values.
function M.is_array(v)
  return v == M.EMPTY_ARRAY or (type(v) == "table" and v[1] ~= nil)
end

function M.is_object(v)
  return type(v) == "table" and v ~= M.EMPTY_ARRAY and v[1] == nil
end

-- number(x): the JSON text of a number.
function M.number(x)
  if x ~= x then return '"NaN"' end
  if x == huge or x == -huge then return x > 0 and '"Infinity"' or '"-Infinity"' end
  if x == floor(x) and x > -2 ^ 53 and x < 2 ^ 53 then return format("%d", x) end
  for _, digits in ipairs({ "%.15g", "%.16g" }) do
    local s = format(digits, x)
    if tonumber(s) == x then return s end
  end
  return format("%.17g", x)
end

local function string_lit(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return (c == '"' or c == "\\") and "\\" .. c or format("\\u%04x", c:byte())
  end) .. '"'
end

-- Marks a Lua list to be written as a JSON array (even when empty).
local ARRAY = {}
function M.array(t) return setmetatable(t, ARRAY) end

-- nested(data, shape, dim, offset): a tensor's block as nested lists (0-D: the number).
local function nested(data, shape, dim, offset)
  if dim > #shape then return data[offset + 1] end
  local list, stride = M.array({}), 1
  for k = dim + 1, #shape do stride = stride * shape[k] end
  for i = 1, shape[dim] do list[i] = nested(data, shape, dim + 1, offset + (i - 1) * stride) end
  return list
end

local function encode(buf, v)
  local tv = type(v)
  if tensor.is_tensor(v) then
    v = nested(v.data, v.shape, 1, 0)
    tv = type(v)
  end
  if tv == "number" then
    buf[#buf + 1] = M.number(v)
  elseif tv == "string" then
    buf[#buf + 1] = string_lit(v)
  elseif tv == "boolean" then
    buf[#buf + 1] = tostring(v)
  elseif v == nil or v == cjson.null then
    buf[#buf + 1] = "null"
  elseif getmetatable(v) == ARRAY or v[1] ~= nil or v == M.EMPTY_ARRAY then
    for i = 1, #v do
      buf[#buf + 1] = i == 1 and "[" or ","
      encode(buf, v[i])
    end
    buf[#buf + 1] = #v == 0 and "[]" or "]"
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for i, k in ipairs(keys) do
      buf[#buf + 1] = (i == 1 and "{" or ",") .. string_lit(k) .. ":"
      encode(buf, v[k])
    end
    buf[#buf + 1] = #keys == 0 and "{}" or "}"
  end
end

-- encode(v): JSON text. Tensors become nested
-- lists (a 0-d tensor a number); lists become arrays; other tables objects.
function M.encode(v)
  local buf = {}
  encode(buf, v)
  return table.concat(buf)
end

return M
