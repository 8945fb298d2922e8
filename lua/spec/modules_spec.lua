-- Every module returns a table (class returns the helper function) and sets no global.
local MODULES = { "bench", "checkpoint", "class", "cli", "datasets", "experiments", "functions", "gates", "gradient", "graph",
  "jsonio", "layers", "networks", "optimizers", "progress", "rng", "runner", "tensor", "train", "trainer", "util", "validate" }

describe("modules", function()
  it("load afresh without touching the global table", function()
    local before = {}
    for k in pairs(_G) do before[k] = true end
    local loaded = {}
    for _, name in ipairs(MODULES) do
      loaded[name] = package.loaded["dlscratch." .. name]
      package.loaded["dlscratch." .. name] = nil
    end
    for _, name in ipairs(MODULES) do
      local m = require("dlscratch." .. name)
      assert.are.equal(name == "class" and "function" or "table", type(m), name)
    end
    -- the other specs keep the modules they loaded
    for _, name in ipairs(MODULES) do package.loaded["dlscratch." .. name] = loaded[name] end
    for k in pairs(_G) do assert.is_true(before[k], "new global " .. tostring(k)) end
  end)
end)
