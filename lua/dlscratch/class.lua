-- The one class helper of the port. class(parent) returns a table that holds
-- the methods and is the metatable of its instances (c.__index = c); a method
-- it does not define is looked up in parent. Constructors are plain functions:
--   local Relu = class()
--   function Relu.new() return setmetatable({}, Relu) end
--   local Nesterov = class(Momentum)
return function(parent)
  local c = {}
  c.__index = c
  if parent then setmetatable(c, { __index = parent }) end
  return c
end
