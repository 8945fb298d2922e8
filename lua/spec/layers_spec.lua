-- Backpropagation layers: values by hand and numerical gradient checks.
local layers = require("dlscratch.layers")
local tensor = require("dlscratch.tensor")
local gradient = require("dlscratch.gradient")
local rng = require("dlscratch.rng")

-- mean |backward - numerical| of Σ out·w, with a fixed weighting w
local function check_input_gradient(make, x, tol)
  local w = rng.new(3):rand(make():forward(x).shape)
  local function f(v)
    local out = make():forward(v)
    local s = 0
    for i = 1, out.size do s = s + out.data[i] * w.data[i] end
    return s
  end
  local layer = make()
  layer:forward(x)
  local dx = layer:backward(w)
  local num = gradient.numerical_gradient(f, x:clone())
  local diff = 0
  for i = 1, x.size do diff = diff + math.abs(dx.data[i] - num.data[i]) end
  assert.is_true(diff / x.size <= tol, "mean difference " .. diff / x.size)
end

describe("layers", function()
  it("Relu masks x <= 0, so the gradient at exactly 0 is 0", function()
    local relu = layers.Relu.new()
    local out = relu:forward(tensor.from_list({ -1, 0, 2 }))
    assert.are.same({ 0, 0, 2 }, out.data)
    assert.are.same({ 0, 0, 5 }, relu:backward(tensor.from_list({ 5, 5, 5 })).data)
  end)

  it("Sigmoid backward is dout·(1 - y)·y", function()
    local s = layers.Sigmoid.new()
    local y = s:forward(tensor.from_list({ 0 })).data[1]
    assert.are.equal(0.5, y)
    assert.are.equal(0.25, s:backward(tensor.from_list({ 1 })).data[1])
  end)

  -- small integers: the products and sums are exact in any order, so exact comparisons hold
  it("Affine forward, dx, dW, db by hand", function()
    local W = tensor.from_rows({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
    local b = tensor.from_list({ 1, -1 })
    local a = layers.Affine.new(W, b)
    local out = a:forward(tensor.from_rows({ { 1, 0, 1 }, { 0, 1, 0 } }))
    assert.are.same({ 7, 7, 4, 3 }, out.data)
    local dx = a:backward(tensor.from_rows({ { 1, 0 }, { 0, 1 } }))
    assert.are.same({ 1, 3, 5, 2, 4, 6 }, tensor.values(dx))
    assert.are.same({ 1, 0, 0, 1, 1, 0 }, tensor.values(a.dW))
    assert.are.same({ 1, 1 }, a.db.data)
  end)

  it("Affine flattens x of 3 dimensions and gives dx back in its shape", function()
    local W = rng.new(1):randn({ 4, 2 })
    local a = layers.Affine.new(W, tensor.zeros({ 2 }))
    local x = rng.new(2):randn({ 3, 2, 2 })
    local out = a:forward(x)
    assert.are.same({ 3, 2 }, out.shape)
    assert.are.same({ 3, 2, 2 }, a:backward(tensor.full({ 3, 2 }, 1.0)).shape)
  end)

  it("Affine, Sigmoid and BatchNormalization pass a numerical gradient check", function()
    local W, b = rng.new(4):randn({ 3, 2 }), tensor.from_list({ 0.1, -0.2 })
    check_input_gradient(function() return layers.Affine.new(W, b) end, rng.new(5):randn({ 4, 3 }), 1e-7)
    check_input_gradient(function() return layers.Sigmoid.new() end, rng.new(6):randn({ 2, 3 }), 1e-7)
    local gamma, beta = tensor.from_list({ 1.5, 0.5, 1 }), tensor.from_list({ 0, 0.1, 0.2 })
    check_input_gradient(function() return layers.BatchNormalization.new(gamma, beta, 0.9) end,
      rng.new(7):randn({ 5, 3 }), 1e-7)
  end)

  it("SoftmaxWithLoss backward is (y - onehot(t)) / N", function()
    local l = layers.SoftmaxWithLoss.new()
    local x = tensor.from_rows({ { 0.3, 2.9, 4.0 }, { 0, 0, 0 } })
    local loss = l:forward(x, tensor.from_list({ 2, 0 }))
    assert.is_near((-math.log(0.7365969137693786 + 1e-7) - math.log(1 / 3 + 1e-7)) / 2, loss, 1e-12)
    local dx = l:backward().data
    assert.is_near((0.7365969137693786 - 1) / 2, dx[3], 1e-12)
    assert.is_near((1 / 3 - 1) / 2, dx[4], 1e-12)
    assert.is_near(0.01821127329554753 / 2, dx[1], 1e-12)
  end)

  it("Dropout keeps x where rand > ratio; test mode scales by 1 - ratio", function()
    local x = tensor.full({ 2, 5 }, 2.0)
    local d = layers.Dropout.new(0.5, rng.new(0))
    local out = d:forward(x, true)
    local u = rng.new(0):uniform(10)
    for i = 1, 10 do assert.are.equal(u[i] > 0.5 and 2 or 0, out.data[i]) end
    local test = layers.Dropout.new(0.25, rng.new(0))
    assert.are.equal(1.5, test:forward(x, false).data[1])
    assert.are.equal(0.75, test:backward(tensor.full({ 2, 5 }, 1.0)).data[1])
  end)

  it("BatchNormalization normalises each column to mean 0, variance ~1", function()
    local bn = layers.BatchNormalization.new(tensor.from_list({ 1, 1 }), tensor.from_list({ 0, 0 }), 0.9)
    local out = bn:forward(tensor.from_rows({ { 1, 10 }, { 3, 20 } }), true).data
    assert.is_near(-1, out[1], 1e-5)
    assert.is_near(1, out[3], 1e-5)
    assert.is_near(-1, out[2], 1e-6)
    assert.is_near(0.2, bn.running_mean.data[1], 1e-15)
    assert.is_near(1.5, bn.running_mean.data[2], 1e-15)
  end)

  it("trusts its inputs: a mismatched shape is an ordinary Lua error", function()
    local affine = layers.Affine.new(tensor.from_rows({ { 1, 2 }, { 3, 4 } }), tensor.from_list({ 0, 0 }))
    local ok, err = pcall(affine.forward, affine, tensor.from_rows({ { 1, 2, 3 } }))
    assert.is_false(ok)
    assert.are.equal("string", type(err))
  end)
end)
