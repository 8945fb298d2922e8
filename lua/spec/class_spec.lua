-- The one class helper: methods on the class table, lookups that fall back to the parent.
local class = require("dlscratch.class")

describe("class", function()
  it("makes a table that is the metatable of its instances", function()
    local Counter = class()
    function Counter.new() return setmetatable({ n = 0 }, Counter) end
    function Counter:bump() self.n = self.n + 1; return self end
    assert.are.equal(2, Counter.new():bump():bump().n)
    assert.are.equal(Counter, getmetatable(Counter.new()))
  end)

  it("looks a method it does not define up in the parent", function()
    local Base = class()
    function Base:name() return "base" end
    function Base:greet() return "hello from " .. self:name() end
    local Child = class(Base)
    function Child:name() return "child" end
    assert.are.equal("hello from child", setmetatable({}, Child):greet())
  end)
end)
