-- The benchmark step: one timing per repeat, and their median.
local bench = require("dlscratch.bench")

describe("bench", function()
  it("times each repeat of the training step in milliseconds", function()
    local times = bench.step_times(2, 1)
    assert.are.equal(2, #times)
    for _, ms in ipairs(times) do assert.is_true(ms >= 0) end
  end)

  it("checks the whole step: the loss, dx1 in x's shape and every gradient", function()
    local c = bench.check(3, 4)
    assert.are.equal("number", type(c.loss))
    assert.are.same({ 4, 784 }, c.dx1.shape)
    assert.are.same({ 784, 3 }, c.grads.W1.shape)
    assert.are.same({ 3 }, c.grads.b1.shape)
    assert.are.same({ 3, 10 }, c.grads.W2.shape)
    assert.are.same({ 10 }, c.grads.b2.shape)
  end)

  it("reads a wall clock and the page faults", function()
    local t0 = bench.wall_clock()
    assert.is_true(bench.wall_clock() >= t0)
    assert.are.equal("number", type(bench.minor_faults()))
  end)

  it("takes the median of odd and even counts", function()
    assert.are.equal(2, bench.median({ 3, 1, 2 }))
    assert.are.equal(2.5, bench.median({ 4, 1, 3, 2 }))
  end)
end)
