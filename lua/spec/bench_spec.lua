-- The benchmark step: one timing per repeat, and their median.
local bench = require("dlscratch.bench")

describe("bench", function()
  it("times each repeat of the training step in milliseconds", function()
    local times = bench.step_times(2, 1)
    assert.are.equal(2, #times)
    for _, ms in ipairs(times) do assert.is_true(ms >= 0) end
  end)

  it("takes the median of odd and even counts", function()
    assert.are.equal(2, bench.median({ 3, 1, 2 }))
    assert.are.equal(2.5, bench.median({ 4, 1, 3, 2 }))
  end)
end)
