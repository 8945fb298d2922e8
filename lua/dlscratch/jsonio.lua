-- JSON in and out for the runner and the trainer.
-- Decoding goes through lua-cjson (strtod: every number reads to the exact
-- double). cjson turns both [] and {} into an empty table, so empty arrays
-- are marked before decoding and come back as the EMPTY_ARRAY sentinel.
-- Encoding is our own: numbers are written in the shortest of %.15g, %.16g,
-- %.17g that reads back to the same double; NaN and infinities as strings.
local cjson = require("cjson")

local format, floor, huge = string.format, math.floor, math.huge

local M = {}

local decoder = cjson.new()
decoder.decode_invalid_numbers(false)
decoder.decode_max_depth(1000)

M.null = cjson.null
M.EMPTY_ARRAY = setmetatable({}, { __tostring = function() return "[]" end })

local MARK = "\1dlscratch:empty-array\1"

-- replace each [ ] outside strings by the marker string
local function mark_empty_arrays(s)
  local out, pos, n = {}, 1, #s
  local i = 1
  while i <= n do
    local c = s:sub(i, i)
    if c == '"' then
      local j = i + 1
      while j <= n do
        local cj = s:sub(j, j)
        if cj == "\\" then j = j + 2
        elseif cj == '"' then break
        else j = j + 1 end
      end
      i = j + 1
    elseif c == "[" then
      local j = s:find("[^ \t\r\n]", i + 1)
      if j and s:sub(j, j) == "]" then
        out[#out + 1] = s:sub(pos, i - 1)
        out[#out + 1] = '"' .. MARK .. '"'
        pos = j + 1
        i = j + 1
      else
        i = i + 1
      end
    else
      local j = s:find('["%[]', i)
      if not j then break end
      i = j
    end
  end
  out[#out + 1] = s:sub(pos)
  return table.concat(out)
end

local function unmark(v)
  if v == MARK then return M.EMPTY_ARRAY end
  if type(v) == "table" then
    for k, x in pairs(v) do
      local y = unmark(x)
      if y ~= x then v[k] = y end
    end
  end
  return v
end

-- A JSON number token: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
local function valid_number(tok)
  local int, rest = tok:match("^%-?(%d+)(.*)$")
  if not int or (#int > 1 and int:sub(1, 1) == "0") then return false end
  if rest == "" then return true end
  local frac = rest:match("^%.%d+")
  if frac then rest = rest:sub(#frac + 1) end
  return rest == "" or rest:match("^[eE][%+%-]?%d+$") ~= nil
end

-- A control character U+0000..U+001F (LuaJIT's patterns need %z for NUL).
local CONTROL = _VERSION == "Lua 5.1" and "[%z\1-\31]" or "[\0-\31]"

-- What lua-cjson would let through although it is not JSON, or nil: a number
-- token that strtod reads but JSON does not ("1.", "-.5", "01", "0x10"), or a
-- raw control character inside a string (JSON needs it escaped).
local function json_fault(s)
  local i, n = 1, #s
  while i <= n do
    local j = s:find('[\"%-%d]', i)
    if not j then return nil end
    if s:byte(j) == 34 then -- a string: skip to its closing quote
      local k = j + 1
      local q
      while true do
        q = s:find('[\"\\]', k)
        if not q then return nil end -- unterminated: cjson refuses the line
        if s:byte(q) == 92 then k = q + 2 else break end
      end
      local c = s:find(CONTROL, j + 1)
      if c and c < q then
        return string.format("a raw control character (byte %d) inside a string", s:byte(c))
      end
      i = q + 1
    else
      local tok = s:match("^%-?[%w%.%+%-]*", j)
      if not valid_number(tok) then return string.format("%q is not a JSON number", tok) end
      i = j + #tok
    end
  end
  return nil
end

-- decode(s): value or nil, message.
function M.decode(s)
  local fault = json_fault(s)
  if fault then return nil, fault end
  local has_empty = s:find("%[%s*%]") ~= nil
  if has_empty then s = mark_empty_arrays(s) end
  local ok, v = pcall(decoder.decode, s)
  if not ok then return nil, tostring(v) end
  if has_empty then v = unmark(v) end
  return v
end

-- is_array / is_object for decoded values.
function M.is_array(v)
  return v == M.EMPTY_ARRAY or (type(v) == "table" and v[1] ~= nil)
end

function M.is_object(v)
  return type(v) == "table" and v ~= M.EMPTY_ARRAY and v[1] == nil
end

-- number(x): the JSON text of a number.
local function number(x)
  if x ~= x then return '"NaN"' end
  if x == huge then return '"Infinity"' end
  if x == -huge then return '"-Infinity"' end
  if x == floor(x) and x > -9007199254740992 and x < 9007199254740992 then
    return format("%d", x)
  end
  local s = format("%.15g", x)
  if tonumber(s) == x then return s end
  s = format("%.16g", x)
  if tonumber(s) == x then return s end
  return format("%.17g", x)
end
M.number = number

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}
local function string_lit(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or format("\\u%04x", c:byte())
  end) .. '"'
end
M.string = string_lit

-- Marks a Lua list to be written as a JSON array (even when empty).
local ARRAY = {}
function M.array(t) return setmetatable(t, ARRAY) end

local encode

-- nested(buf, data, shape, dim, offset): a tensor as nested lists
local function nested(buf, data, shape, dim, offset)
  local n = shape[dim]
  buf[#buf + 1] = "["
  if dim == #shape then
    for i = 1, n do
      if i > 1 then buf[#buf + 1] = "," end
      buf[#buf + 1] = number(data[offset + i])
    end
  else
    local stride = 1
    for k = dim + 1, #shape do stride = stride * shape[k] end
    for i = 1, n do
      if i > 1 then buf[#buf + 1] = "," end
      nested(buf, data, shape, dim + 1, offset + (i - 1) * stride)
    end
  end
  buf[#buf + 1] = "]"
end

encode = function(buf, v)
  local tv = type(v)
  if tv == "number" then
    buf[#buf + 1] = number(v)
  elseif tv == "string" then
    buf[#buf + 1] = string_lit(v)
  elseif tv == "boolean" then
    buf[#buf + 1] = v and "true" or "false"
  elseif v == nil or v == cjson.null then
    buf[#buf + 1] = "null"
  elseif tv == "table" and v.shape and v.data then
    if #v.shape == 0 then
      buf[#buf + 1] = number(v.data[1])
    else
      nested(buf, v.data, v.shape, 1, 0)
    end
  elseif tv == "table" and (getmetatable(v) == ARRAY or v[1] ~= nil or v == M.EMPTY_ARRAY) then
    buf[#buf + 1] = "["
    for i = 1, #v do
      if i > 1 then buf[#buf + 1] = "," end
      encode(buf, v[i])
    end
    buf[#buf + 1] = "]"
  elseif tv == "table" then
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    buf[#buf + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then buf[#buf + 1] = "," end
      buf[#buf + 1] = string_lit(k)
      buf[#buf + 1] = ":"
      encode(buf, v[k])
    end
    buf[#buf + 1] = "}"
  else
    error("cannot encode a " .. tv)
  end
end

-- encode(v): JSON text. Tensors (tables with shape and data) become nested
-- lists (a 0-d tensor a number); lists become arrays; other tables objects.
function M.encode(v)
  local buf = {}
  encode(buf, v)
  return table.concat(buf)
end

return M
