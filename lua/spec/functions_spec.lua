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
