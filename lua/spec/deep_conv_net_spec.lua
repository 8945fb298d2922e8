-- Chapter 8: DeepConvNet's geometry, draws, a forward pass by hand, its Dropout masks and a sampled
-- gradient check of its training-mode loss.
local networks = require("dlscratch.networks")
local rng = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")
local validate = require("dlscratch.validate")
local jsonio = require("dlscratch.jsonio")

local DeepConvNet, values = networks.DeepConvNet, tensor.values

local KEYS = { "W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4", "W5", "b5", "W6", "b6", "W7", "b7", "W8", "b8" }

local function close(a, b, tol) return math.abs(a - b) <= tol * math.max(1, math.abs(b)) end

describe("DeepConvNet", function()
  it("sizes: a 3x3 convolution makes s into s + 2·pad − 2, a pooling into s // 2", function()
    -- pads 1, 1, 1, 2, 1, 1: 28 28 | 14 | 14 16 | 8 | 8 8 | 4 (the book's 64·4·4)
    local sizes = {}
    for i, s in ipairs(networks.deep_conv_sizes(28, 28)) do sizes[i] = s[1] end
    assert.are.same({ 28, 28, 14, 14, 16, 8, 8, 8, 4 }, sizes)
    -- 8 x 5: rows 8 8 4 4 6 3 3 3 1, columns 5 5 2 2 4 2 2 2 1
    local last = networks.deep_conv_sizes(8, 5)
    assert.are.same({ 1, 1 }, last[#last])
  end)

  it("refuses images smaller than 4x4 (ShapeError) and binds PH, PW for W7", function()
    local ok, err = pcall(validate.validate, "deep_conv_net.init", jsonio.decode('{"input_dim": [1, 3, 3]}'))
    assert.is_false(ok)
    assert.are.equal("ShapeError", err.type)
    -- 4x4: 4 4 2 2 4 2 2 2 1, so W7 is 64 x hidden
    local v = validate.validate("deep_conv_net.init", jsonio.decode('{"input_dim": [1, 4, 4], "hidden_size": 2}'))
    assert.are.same({ 1, 4, 4 }, v.input_dim)
    ok, err = pcall(validate.validate, "deep_conv_net.init", jsonio.decode('{"hidden_size": 0}'))
    assert.are.equal("ValueError", err.type)
  end)

  it("init: W1 .. W8 = sqrt(2/n)·randn in that order from one generator, zero biases", function()
    local net = DeepConvNet.new({ input_dim = { 2, 8, 8 }, hidden_size = 5, output_size = 3, seed = 3 })
    local p = net.params
    local shapes = { W1 = { 16, 2, 3, 3 }, W2 = { 16, 16, 3, 3 }, W3 = { 32, 16, 3, 3 }, W4 = { 32, 32, 3, 3 },
      W5 = { 64, 32, 3, 3 }, W6 = { 64, 64, 3, 3 }, W7 = { 64, 5 }, W8 = { 5, 3 } }
    -- n: 2·9, 16·9, 16·9, 32·9, 32·9, 64·9, 64·1·1 (8x8 pools down to 1x1), 5
    local fan_in = { 18, 144, 144, 288, 288, 576, 64, 5 }
    local biases = { 16, 16, 32, 32, 64, 64, 5, 3 }
    local g = rng.new(3)
    for i = 1, 8 do
      local W = p["W" .. i]
      assert.are.same(shapes["W" .. i], W.shape)
      assert.are.same({ biases[i] }, p["b" .. i].shape)
      for _, b in ipairs(values(p["b" .. i])) do assert.are.equal(0, b) end
      local z = g:randn(W.shape)
      local scale = math.sqrt(2 / fan_in[i])
      for k = 1, W.size do assert.is_true(close(W.data[k], scale * z.data[k], 1e-15), "W" .. i) end
    end
  end)

  -- zero weights: every convolution gives its bias, W7 = 0 gives b7, W8 = 0 gives b8
  local function zero_net(b8)
    local params, channels = {}, 1
    for i, conv in ipairs(networks.DEEP_CONVS) do
      params["W" .. i] = tensor.zeros({ conv[1], channels, 3, 3 })
      params["b" .. i] = tensor.full({ conv[1] }, 0.25)
      channels = conv[1]
    end
    params.W7, params.b7 = tensor.zeros({ 64, 2 }), tensor.from_list({ 1, -1 })
    params.W8, params.b8 = tensor.zeros({ 2, 3 }), tensor.from_list(b8)
    return DeepConvNet.new({ input_dim = { 1, 4, 4 }, hidden_size = 2, output_size = 3, params = params,
      dropout_seed = 11 })
  end
  local x = rng.new(1):rand({ 2, 1, 4, 4 })

  it("predict in test mode: each Dropout multiplies by 1 − 0.5, so zero weights give b8 / 2", function()
    assert.are.same({ 1, -2, 3, 1, -2, 3 }, values(zero_net({ 2, -4, 6 }):predict(x)))
  end)

  it("a training-mode pass draws the N x hidden mask, then the N x output one, from rand(dropout_seed)", function()
    -- the second mask alone reaches y (W8 = 0): y = b8 where u > 0.5, after the 2·2 draws of the first
    local u = rng.new(11):uniform(2 * 2 + 2 * 3)
    local want, b8 = {}, { 2, -4, 6 }
    for k = 1, 6 do want[k] = u[4 + k] > 0.5 and b8[(k - 1) % 3 + 1] or 0 end
    local net = zero_net(b8)
    assert.are.same(want, values(net:predict(x, true)))
    assert.are.same(want, values(net:predict(x, true))) -- every pass the same masks
  end)

  it("loss: a training-mode pass unless train_flg is false", function()
    local net, t = zero_net({ 2, -4, 6 }), tensor.from_list({ 2, 0 })
    -- scores (1, -2, 3): -log(e^3 / Σ) = log(1 + e^-5 + e^-2), -log(e^1 / Σ) = log(1 + e^-3 + e^2)
    local want = (math.log(1 + math.exp(-5) + math.exp(-2)) + math.log(1 + math.exp(-3) + math.exp(2))) / 2
    assert.is_true(math.abs(net:loss(x, t, false) - want) < 1e-6)
    local trained = net.last_layer:forward(net:predict(x, true), t)
    assert.are.equal(trained, net:loss(x, t))
  end)

  it("accuracy: test mode over every sample (argmax of b8 / 2)", function()
    -- always class 2: labels 2, 0 give 1/2
    assert.are.equal(0.5, zero_net({ 2, -4, 6 }):accuracy(x, tensor.from_list({ 2, 0 })))
  end)

  it("gradient matches central differences of the training-mode loss (same masks) on every parameter", function()
    local g = rng.new(7)
    local net = DeepConvNet.new({ input_dim = { 1, 8, 8 }, hidden_size = 6, output_size = 3 }, g)
    net.dropout_seed = 5
    local xs, t = g:rand({ 2, 1, 8, 8 }), tensor.from_list({ 1, 2 })
    local grads = {}
    for k, v in pairs(net:gradient(xs, t)) do grads[k] = values(v) end
    local h = 1e-5
    for _, key in ipairs(KEYS) do
      local p = net.params[key]
      assert.are.same(p.size, #grads[key])
      local largest = 0
      for _, d in ipairs(grads[key]) do largest = math.max(largest, math.abs(d)) end
      assert.is_true(largest > 1e-6, key .. " is all but zero")
      for _, i in ipairs({ 1, math.floor(p.size / 2) + 1, p.size }) do
        local old = p.data[i]
        p.data[i] = old + h
        local up = net:loss(xs, t)
        p.data[i] = old - h
        local down = net:loss(xs, t)
        p.data[i] = old
        local num = (up - down) / (2 * h)
        assert.is_true(math.abs(num - grads[key][i]) < 1e-6 + 1e-4 * math.abs(num),
          string.format("%s[%d]: numerical %.12g, backprop %.12g", key, i, num, grads[key][i]))
      end
    end
  end)
end)
