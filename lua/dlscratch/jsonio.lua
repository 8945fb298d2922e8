-- JSON in and out for the runner and the trainer. Decoding goes through lua-cjson (strtod: every
-- number reads to the exact double); cjson turns both [] and {} into an empty table, so empty arrays
-- are marked before decoding and come back as the EMPTY_ARRAY sentinel. Encoding is our own (strings
-- through cjson): numbers in the shortest of %.15g, %.16g, %.17g that reads back to the same double,
-- NaN and infinities as strings.
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

-- marked(s): s with each empty array outside strings replaced by the marker string, and whether
-- there was one; or nil and what lua-cjson would let through although it is not JSON: a raw control
-- character inside a string, a number whose "." lacks a digit on one side ("1.", "-.5", "1.e5"), which
-- strtod reads (cjson itself refuses leading zeros, hex, inf and nan).
local function marked(s)
  local bad
  -- s with its escape pairs, then its strings' contents, blanked in place: the rest is outside strings
  local skeleton = s:gsub("\\.", "__"):gsub('"[^"]*"', function(str)
    local ctl = str:match(CONTROL)
    bad = bad or (ctl and format("a raw control character (byte %d) inside a string", ctl:byte()))
    return '"' .. ("_"):rep(#str - 2) .. '"'
  end)
  local dot = skeleton:find("[^%d]%.") or skeleton:find("%.[^%d]") or skeleton:find("%.$")
  bad = bad or (dot and format('a number with a bare "." at character %d', dot))
  if bad then return nil, bad end
  -- an empty array: [, white space, ]; outside strings, where the skeleton keeps its [
  local text = s:gsub("()%[[ \t\r\n]*%]", function(at) return skeleton:byte(at) == 91 and '"' .. MARK .. '"' or nil end)
  return text, text ~= s
end

local function unmark(v)
  if v == MARK then return M.EMPTY_ARRAY end
  for k, x in pairs(type(v) == "table" and v or {}) do v[k] = unmark(x) end
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

function M.is_array(v) return v == M.EMPTY_ARRAY or (type(v) == "table" and v[1] ~= nil) end

function M.is_object(v) return type(v) == "table" and v ~= M.EMPTY_ARRAY and v[1] == nil end

-- number(x): the JSON text of a number: a whole number as an integer (-0.0 as itself), else %.15g or %.16g when it
-- reads back to x, else %.17g (which always does).
function M.number(x)
  if x ~= x then return '"NaN"' end
  if x == huge or x == -huge then return x > 0 and '"Infinity"' or '"-Infinity"' end
  if x == 0 and 1 / x < 0 then return "-0.0" end -- %d would drop the sign
  if x == floor(x) and x > -2 ^ 53 and x < 2 ^ 53 then return format("%d", x) end
  local s = format("%.15g", x)
  if tonumber(s) ~= x then s = format("%.16g", x) end
  return tonumber(s) == x and s or format("%.17g", x)
end

-- string_lit(s): cjson's JSON string, with its "\/" (it escapes every "/") back to "/"
local function string_lit(s) return (cjson.encode(s):gsub("\\/", "/")) end

-- Marks a Lua list to be written as a JSON array (even when empty).
local ARRAY = {}
function M.array(t) return setmetatable(t, ARRAY) end

-- tensor_text(t, dim, offset): t's block at offset over dimensions dim.. as nested lists (0-D: the number)
local function tensor_text(t, dim, offset)
  if dim > #t.shape then return M.number(t.data[offset + 1]) end
  local parts, stride = {}, 1
  for k = dim + 1, #t.shape do stride = stride * t.shape[k] end
  for i = 1, t.shape[dim] do parts[i] = tensor_text(t, dim + 1, offset + (i - 1) * stride) end
  return "[" .. table.concat(parts, ",") .. "]"
end

local SCALARS = { number = M.number, string = string_lit, boolean = tostring }

-- encode(v): JSON text. Tensors become nested lists (a 0-d tensor a number); lists become arrays;
-- other tables objects, their members sorted.
function M.encode(v)
  local scalar, parts = SCALARS[type(v)], {}
  if scalar then return scalar(v) end
  if v == nil or v == M.null then return "null" end
  if tensor.is_tensor(v) then return tensor_text(v, 1, 0) end
  if getmetatable(v) == ARRAY or v[1] ~= nil or v == M.EMPTY_ARRAY then
    for i = 1, #v do parts[i] = M.encode(v[i]) end
    return "[" .. table.concat(parts, ",") .. "]"
  end
  for k, x in pairs(v) do parts[#parts + 1] = string_lit(tostring(k)) .. ":" .. M.encode(x) end
  table.sort(parts) -- by key: each part starts with its key
  return "{" .. table.concat(parts, ",") .. "}"
end

-- member_keys(s, member): the keys, in the order written, of the object that is the value of `member` in
-- the top-level object of the JSON text s (nil when there is none); s is JSON that decode accepted.
function M.member_keys(s, member)
  local pos, depth, last_key, keys = 1, 0, nil, nil
  while true do
    local at, _, c = s:find('([%[%]{}"])', pos)
    if not at then return keys end
    if c == '"' then
      local close = at + 1
      while s:byte(s:find('["\\]', close)) == 92 do close = s:find('["\\]', close) + 2 end
      close = s:find('"', close, true)
      local after = s:find("%S", close + 1)
      if after and s:byte(after) == 58 then -- a key: the next thing is ":"
        local key = decoder.decode(s:sub(at, close))
        if depth == 1 then last_key = key elseif depth == 2 and keys then keys[#keys + 1] = key end
      end
      pos = close + 1
    elseif c == "{" or c == "[" then
      depth = depth + 1
      if depth == 2 and c == "{" and last_key == member and not keys then keys = {} end
      pos = at + 1
    else
      if depth == 2 and keys then return keys end
      depth, pos = depth - 1, at + 1
    end
  end
end

return M
