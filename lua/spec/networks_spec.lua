-- The book's networks: the 3-layer network's printed output, simpleNet, and a
-- gradient check (backprop vs numerical) for TwoLayerNet and MultiLayerNet.
local networks = require("dlscratch.networks")
local tensor = require("dlscratch.tensor")
local rng = require("dlscratch.rng")

local function mean_abs_diff(a, b)
  local s = 0
  for i = 1, a.size do s = s + math.abs(a.data[i] - b.data[i]) end
  return s / a.size
end

describe("networks", function()
  it("net3 forward of x = [1.0, 0.5] is [0.31682708, 0.69627909]", function()
    local r = networks.net3.forward(networks.net3.init(), tensor.from_list({ 1.0, 0.5 }))
    assert.is_near(0.31682708, r.y.data[1], 1e-8)
    assert.is_near(0.69627909, r.y.data[2], 1e-8)
  end)

  it("simpleNet predicts x·W and takes the loss of softmax(x·W)", function()
    local W = tensor.from_rows({ { 0.47355232, 0.9977393, 0.84668094 }, { 0.85557411, 0.03563661, 0.69422093 } })
    local net = networks.SimpleNet.new(W)
    local x = tensor.from_list({ 0.6, 0.9 })
    local p = net:predict(x).data
    -- the book's printed prediction and loss for this W
    assert.is_near(1.05414809, p[1], 1e-8)
    assert.is_near(0.63071653, p[2], 1e-8)
    assert.is_near(1.1328074, p[3], 1e-7)
    -- the book printed the loss and dW of its unrounded W (its loss without the
    -- 1e-7 inside the log), so these agree to about 1e-6
    assert.is_near(0.92806853663411326, net:loss(x, tensor.from_list({ 0, 0, 1 })), 1e-6)
    local dW = net:numerical_gradient(x, tensor.from_list({ 0, 0, 1 })).data
    local book = { 0.21924763, 0.14356247, -0.36281009, 0.32887144, 0.2153437, -0.54421514 }
    for i = 1, 6 do assert.is_near(book[i], dW[i], 1e-6) end
  end)

  it("TwoLayerNet: backprop agrees with the numerical gradient", function()
    local net = networks.TwoLayerNet.new(4, 5, 3, 0.5, 11)
    local x = rng.new(12):randn({ 3, 4 })
    local t = tensor.from_list({ 0, 2, 1 })
    local num = net:numerical_gradient(x, t)
    local grad = net:gradient(x, t)
    for _, k in ipairs({ "W1", "b1", "W2", "b2" }) do
      assert.is_true(mean_abs_diff(grad[k], num[k]) <= 1e-7, k)
    end
  end)

  it("MultiLayerNet with weight decay: backprop agrees with the numerical gradient", function()
    for _, act in ipairs({ "relu", "sigmoid" }) do
      local net = networks.MultiLayerNet.new({
        input_size = 4, hidden_size_list = { 5, 3 }, output_size = 3, activation = act,
        weight_init_std = act == "relu" and "he" or "xavier", weight_decay_lambda = 0.1, seed = 3,
      })
      local x = rng.new(14):randn({ 2, 4 })
      local t = tensor.from_list({ 1, 2 })
      local num = net:numerical_gradient(x, t)
      local grad = net:gradient(x, t)
      for i = 1, 3 do
        assert.is_true(mean_abs_diff(grad["W" .. i], num["W" .. i]) <= 1e-7, act .. " W" .. i)
        assert.is_true(mean_abs_diff(grad["b" .. i], num["b" .. i]) <= 1e-7, act .. " b" .. i)
      end
    end
  end)

  it("TwoLayerNet weights come from the shared generator (W1 then W2)", function()
    local net = networks.TwoLayerNet.new(3, 2, 2, 0.01, 42)
    local z = rng.new(42):normal(6)
    assert.are.equal(0.01 * z[1], net.params.W1.data[1])
    assert.are.same({ 0, 0 }, net.params.b1.data)
  end)

  it("weight_init_std names are case-insensitive, as the book's str(...).lower()", function()
    assert.are.equal(0.5, networks.init_scale("He", 8))
    assert.are.equal(0.5, networks.init_scale("RELU", 8))
    assert.are.equal(0.25, networks.init_scale("Xavier", 16))
    assert.are.equal(0.01, networks.init_scale(0.01, 16))
    local function w1(std)
      return tensor.values(networks.MultiLayerNet.new({ input_size = 3, hidden_size_list = { 2 }, output_size = 2,
        weight_init_std = std, seed = 2 }).params.W1)
    end
    assert.are.same(w1("sigmoid"), w1("SIGMOID"))
  end)

  it("accuracy is the share of rows whose argmax is the label", function()
    local net = networks.TwoLayerNet.from_params({
      W1 = tensor.from_rows({ { 1, 0 }, { 0, 1 } }), b1 = tensor.zeros({ 2 }),
      W2 = tensor.from_rows({ { 1, 0 }, { 0, 1 } }), b2 = tensor.zeros({ 2 }),
    })
    local x = tensor.from_rows({ { 1, 0 }, { 0, 1 }, { 2, 1 }, { 0, 3 } })
    assert.are.equal(0.75, net:accuracy(x, tensor.from_list({ 0, 1, 1, 1 })))
  end)
end)
