-- Typed errors shared by every module: error({type = ..., message = ...}).
-- The runner turns such a table into the protocol's error object; any other
-- error value (a Lua runtime error) becomes an InternalError.
local class = require("dlscratch.class")

local M = {}

local Error = class()
Error.__tostring = function(e) return e.type .. ": " .. e.message end

function M.new(kind, message)
  return setmetatable({ type = kind, message = message }, Error)
end

-- raise(kind, fmt, ...): throw a typed error with a formatted message.
function M.raise(kind, fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  error(M.new(kind, msg), 0)
end

function M.is_error(v)
  return getmetatable(v) == Error
end

function M.shape(fmt, ...) M.raise("ShapeError", fmt, ...) end
function M.value(fmt, ...) M.raise("ValueError", fmt, ...) end
function M.badargs(fmt, ...) M.raise("BadArgs", fmt, ...) end

return M
