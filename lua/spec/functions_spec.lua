-- Activation functions and losses, against the book's printed values.
local functions = require("dlscratch.functions")
local tensor = require("dlscratch.tensor")

local function vec(t) return tensor.from_list(t) end

local function assert_close(expected, got, tol)
  assert.are.equal(#expected, #got)
  for i = 1, #expected do assert.is_near(expected[i], got[i], tol) end
end

describe("functions", function()
  it("step is 1 only where x > 0", function()
    assert.are.same({ 0, 0, 1 }, functions.step(vec({ -1.0, 0.0, 2.0 })).data)
  end)

  it("sigmoid([-1, 1, 2]) = [0.26894142, 0.73105858, 0.88079708]", function()
    assert_close({ 0.26894142, 0.73105858, 0.88079708 }, functions.sigmoid(vec({ -1, 1, 2 })).data, 1e-8)
  end)

  it("sigmoid saturates without NaN", function()
    local y = functions.sigmoid(vec({ -1000, 1000 })).data
    assert.are.equal(0, y[1])
    assert.are.equal(1, y[2])
  end)

  it("relu and relu_grad", function()
    assert.are.same({ 0, 0, 3 }, functions.relu(vec({ -2, 0, 3 })).data)
    assert.are.same({ 0, 1, 1 }, functions.relu_grad(vec({ -2, 0, 3 })).data)
  end)

  it("softmax([0.3, 2.9, 4.0]) = [0.01821127, 0.24519181, 0.73659691]", function()
    local y = functions.softmax(vec({ 0.3, 2.9, 4.0 })).data
    assert_close({ 0.01821127, 0.24519181, 0.73659691 }, y, 1e-8)
    assert.is_near(1.0, y[1] + y[2] + y[3], 1e-15)
  end)

  it("softmax of a matrix works row by row and survives large inputs", function()
    local y = functions.softmax(tensor.from_rows({ { 1010, 1000, 990 }, { 0, 0, 0 } })).data
    assert_close({ 9.99954600e-01, 4.53978686e-05, 2.06106005e-09 }, { y[1], y[2], y[3] }, 1e-9)
    assert_close({ 1 / 3, 1 / 3, 1 / 3 }, { y[4], y[5], y[6] }, 1e-15)
  end)

  -- within k ulps of want (the spacing of doubles at |want|)
  local function within_ulps(want, got, k)
    local ulp = want == 0 and 2 ^ -1074 or 2 ^ (math.floor(math.log(math.abs(want), 2)) - 52)
    assert.is_true(math.abs(got - want) <= k * ulp, string.format("%.17g is not within %d ulps of %.17g", got, k, want))
  end

  it("tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6 and tanh(ln 3) = (3 - 1/3) / (3 + 1/3) = 0.8", function()
    local y = functions.tanh(vec({ math.log(2), math.log(3), -math.log(2), -math.log(3) })).data
    within_ulps(0.6, y[1], 2)
    within_ulps(0.8, y[2], 2)
    assert.are.same({ -y[1], -y[2] }, { y[3], y[4] }) -- odd, to the bit
  end)

  it("tanh near 0: x itself at 1e-10 and 1e-300 (x³/3 is below half an ulp); tanh(ln(17/16)) = 33/545", function()
    local y = functions.tanh(vec({ 1e-300, 1e-10, -1e-10, math.log(17 / 16) })).data
    assert.are.same({ 1e-300, 1e-10, -1e-10 }, { y[1], y[2], y[3] })
    -- tanh(ln a) = (a² - 1) / (a² + 1): (289 - 256) / (289 + 256) for a = 17/16
    within_ulps(33 / 545, y[4], 3)
  end)

  it("tanh is ±1 at ±20 (1 - 2e^-40 rounds to 1) and at ±inf, keeps ±0 and NaN", function()
    local y = functions.tanh(vec({ 20, -20, math.huge, -math.huge, 0 / 0 })).data
    assert.are.same({ 1, -1, 1, -1 }, { y[1], y[2], y[3], y[4] })
    assert.is_true(y[5] ~= y[5])
    assert.are.equal(-math.huge, 1 / functions.tanh(tensor.scalar(-0.0)).data[1])
    -- still below 1 at 18: 1 - 2e^-36 = 1 - 4.18·2^-53, nearest to the double 1 - 4·2^-53 (spacing 2^-53 below 1)
    local at18 = functions.tanh(tensor.scalar(18)).data[1]
    assert.is_true(math.abs(at18 - (1 - 4 * 2 ^ -53)) <= 2 * 2 ^ -53, string.format("%.17g", at18))
  end)

  local y = vec({ 0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0 })
  local y2 = vec({ 0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0 })
  local t = vec({ 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 })

  it("sum_squared_error: 0.0975 and 0.5975", function()
    assert.is_near(0.0975, functions.sum_squared_error(y, t), 1e-12)
    assert.is_near(0.5975, functions.sum_squared_error(y2, t), 1e-12)
  end)

  it("cross_entropy_error: 0.510825457099338 and 2.302584092994546", function()
    assert.is_near(0.510825457099338, functions.cross_entropy_error(y, t), 1e-15)
    assert.is_near(2.302584092994546, functions.cross_entropy_error(y2, t), 1e-15)
  end)

  it("cross_entropy_error takes labels as well as one-hot", function()
    assert.is_near(0.510825457099338, functions.cross_entropy_error(y, tensor.scalar(2)), 1e-15)
  end)

  it("a zero probability costs -log(1e-7), never infinity", function()
    assert.is_near(16.11809565095832, functions.cross_entropy_error(vec({ 0, 1 }), tensor.scalar(0)), 1e-12)
  end)
end)
