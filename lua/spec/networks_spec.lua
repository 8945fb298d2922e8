-- The book's networks: the 3-layer network's printed output, simpleNet, and a
-- gradient check (backprop vs numerical) for TwoLayerNet, MultiLayerNet and
-- MultiLayerNetExtend (batch norm, Dropout), whose running statistics and masks
-- are worked by hand.
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

  it("MultiLayerNetExtend with batch norm, Dropout and weight decay: backprop agrees with the numerical gradient", function()
    for _, act in ipairs({ "relu", "sigmoid" }) do
      local g = rng.new(15)
      local net = networks.MultiLayerNetExtend.new({
        input_size = 4, hidden_size_list = { 5, 3 }, output_size = 3, activation = act, weight_decay_lambda = 0.1,
        use_dropout = true, dropout_ration = 0.3, use_batchnorm = true, dropout_seed = 8,
      }, g)
      for _, k in ipairs({ "b1", "b2", "b3" }) do -- keep every ReLU input away from its kink at 0
        local b = net.params[k]
        for i, z in ipairs(g:normal(b.size)) do b.data[i] = 0.1 * z end
      end
      local x, t = g:rand({ 6, 4 }), tensor.from_list({ 1, 2, 0, 0, 2, 1 })
      local num = net:numerical_gradient(x, t)
      local grad = net:gradient(x, t)
      local keys = {}
      for k in pairs(grad) do keys[#keys + 1] = k end
      table.sort(keys)
      assert.are.same({ "W1", "W2", "W3", "b1", "b2", "b3", "beta1", "beta2", "gamma1", "gamma2" }, keys)
      -- the loss differentiated numerically has log(y + 1e-7), backprop differentiates log y: they differ by
      -- about 1e-7 / y; central differences are off by h²/6 times the third derivative
      for _, k in ipairs(keys) do
        local worst, largest = 0, 0
        for i = 1, grad[k].size do
          worst = math.max(worst, math.abs(grad[k].data[i] - num[k].data[i]))
          largest = math.max(largest, math.abs(grad[k].data[i]))
        end
        assert.is_true(worst <= 2e-6 * (largest + 1e-3), string.format("%s %s: %.2e of %.2e", act, k, worst, largest))
      end
      -- the batch mean takes any shift of an Affine before BatchNorm away: its bias has no gradient
      for _, v in ipairs(tensor.values(grad.b1)) do assert.is_true(math.abs(v) < 1e-15) end
    end
  end)

  -- 1 input, W1 = [1, 1, 1, 1]: x = 1 gives four hidden ones; W2's rows 1, 2, 4, 8 then add up the mask bits
  local function mask_net(opts)
    opts.input_size, opts.hidden_size_list, opts.output_size = 1, { 4 }, 1
    opts.params = {
      W1 = tensor.from_rows({ { 1, 1, 1, 1 } }), b1 = tensor.zeros({ 4 }),
      W2 = tensor.from_rows({ { 1 }, { 2 }, { 4 }, { 8 } }), b2 = tensor.zeros({ 1 }),
    }
    return networks.MultiLayerNetExtend.new(opts)
  end

  it("MultiLayerNetExtend: each training-mode pass draws the masks u > ratio from a generator seeded dropout_seed", function()
    local net = mask_net({ use_dropout = true, dropout_ration = 0.5, dropout_seed = 5 })
    local x = tensor.from_rows({ { 1 } })
    local u, bits = rng.new(5):uniform(4), 0
    for j = 1, 4 do bits = bits + (u[j] > 0.5 and 2 ^ (j - 1) or 0) end
    assert.are.equal(bits, net:predict(x, true).data[1])
    assert.are.equal(bits, net:predict(x, true).data[1]) -- the same masks at every pass
    -- test mode (the default) draws nothing and scales by 1 - ratio: (1 + 2 + 4 + 8)·0.5
    assert.are.equal(7.5, net:predict(x).data[1])
    net.dropout_seed = 6
    local u6, bits6 = rng.new(6):uniform(4), 0
    for j = 1, 4 do bits6 = bits6 + (u6[j] > 0.5 and 2 ^ (j - 1) or 0) end
    assert.are.equal(bits6, net:predict(x, true).data[1])
  end)

  it("MultiLayerNetExtend: running statistics start at zeros and move by 0.1·batch value per training pass", function()
    local function net(stats)
      return networks.MultiLayerNetExtend.new({
        input_size = 2, hidden_size_list = { 2 }, output_size = 2, use_batchnorm = true, running_stats = stats,
        params = {
          W1 = tensor.from_rows({ { 1, 0 }, { 0, 1 } }), b1 = tensor.zeros({ 2 }), gamma1 = tensor.full({ 2 }, 1),
          beta1 = tensor.zeros({ 2 }), W2 = tensor.from_rows({ { 1, 0 }, { 0, 1 } }), b2 = tensor.zeros({ 2 }),
        },
      })
    end
    local x = tensor.from_rows({ { 1, 2 }, { 3, 6 } })
    -- none given: a test-mode pass divides by sqrt(0 + 1e-6), as the book's untrained network
    local y = net(nil):predict(x).data
    for i, want in ipairs({ 1000, 2000, 3000, 6000 }) do assert.is_near(want, y[i], want * 1e-12) end
    -- batch mean [2, 4] and variance [1, 4]: 0.9·r + (1 - 0.9)·value from r = 0
    local n, m = net(nil), 1 - 0.9
    n:predict(x, true)
    assert.are.same({ m * 2, m * 4 }, tensor.values(n.running_stats.running_mean1))
    assert.are.same({ m * 1, m * 4 }, tensor.values(n.running_stats.running_var1))
    n:predict(x, true)
    assert.are.same({ 0.9 * (m * 2) + m * 2, 0.9 * (m * 4) + m * 4 }, tensor.values(n.running_stats.running_mean1))
    -- given statistics: test mode normalises with them and leaves them as they are
    local given = { running_mean1 = tensor.from_list({ 2, 4 }), running_var1 = tensor.from_list({ 1 - 1e-6, 4 - 1e-6 }) }
    local g = net(given)
    y = g:predict(x).data
    for i, want in ipairs({ 0, 0, 1, 1 }) do assert.is_near(want, y[i], 1e-9) end -- relu((x - mean) / std)
    assert.are.same({ 2, 4 }, tensor.values(g.running_stats.running_mean1))
  end)

  it("MultiLayerNetExtend draws MultiLayerNet's weights from the same seed, gamma = 1 and beta = 0", function()
    local opts = { input_size = 3, hidden_size_list = { 4, 2 }, output_size = 2, seed = 9, use_batchnorm = true }
    local ext, plain = networks.MultiLayerNetExtend.new(opts).params, networks.MultiLayerNet.new(opts).params
    for _, k in ipairs({ "W1", "W2", "W3" }) do assert.are.same(tensor.values(plain[k]), tensor.values(ext[k])) end
    assert.are.same({ 1, 1, 1, 1 }, tensor.values(ext.gamma1))
    assert.are.same({ 0, 0 }, tensor.values(ext.beta2))
    assert.is_nil(ext.gamma3)
  end)

  it("accuracy counts a NaN score as the largest of its row (numpy's argmax: the first NaN wins)", function()
    local nan = 0 / 0
    local y = tensor.from_rows({ { 1, nan, 3, nan }, { nan, 0, 0, 0 }, { 2, 5, 5, 1 } })
    assert.are.same({ 1, 0, 1 }, tensor.argmax_rows(y))
    assert.are.equal(1, networks.accuracy(y, tensor.from_list({ 1, 0, 1 })))
    assert.are.equal(0, networks.accuracy(y, tensor.from_list({ 2, 1, 2 })))
    -- a NaN pixel makes every score of its row NaN (NaN·0 in the products): label 0 is then right
    local net = networks.TwoLayerNet.new(3, 4, 3, 0.1, 1)
    local x = tensor.from_rows({ { 0.5, nan, 0.5 }, { 0.5, nan, 0.5 } })
    assert.are.equal(0.5, net:accuracy(x, tensor.from_list({ 0, 2 })))
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
