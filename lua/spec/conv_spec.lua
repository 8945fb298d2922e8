-- Chapter 7: Convolution, Pooling and SimpleConvNet, by hand and by numerical gradients.
local layers = require("dlscratch.layers")
local networks = require("dlscratch.networks")
local tensor = require("dlscratch.tensor")
local gradient = require("dlscratch.gradient")
local rng = require("dlscratch.rng")

local values = tensor.values

local function t4(n, c, h, w, list) return tensor.new({ n, c, h, w }, list) end

-- weighted(out, w) = Σ out·w, a scalar whose gradient with respect to out is w
local function weighted(out, w)
  local s = 0
  for i = 1, out.size do s = s + out.data[i] * w.data[i] end
  return s
end

-- mean |a - b| over the elements
local function mean_diff(a, b)
  local d = 0
  for i = 1, a.size do d = d + math.abs(a.data[i] - b.data[i]) end
  return d / a.size
end

describe("Convolution", function()
  -- x = 1..9 in a 3x3 image, W = [[1, 2], [3, 4]], b = 0.5
  local x = t4(1, 1, 3, 3, { 1, 2, 3, 4, 5, 6, 7, 8, 9 })
  local function conv() return layers.Convolution.new(t4(1, 1, 2, 2, { 1, 2, 3, 4 }), tensor.from_list({ 0.5 })) end

  it("forward: out[i, j] = Σ W[y, x]·x[i + y, j + x] + b", function()
    local out = conv():forward(x)
    assert.are.same({ 1, 1, 2, 2 }, out.shape)
    -- 1·1 + 2·2 + 3·4 + 4·5 = 37, 2 + 6 + 15 + 24 = 47, 4 + 10 + 21 + 32 = 67, 5 + 12 + 24 + 36 = 77
    assert.are.same({ 37.5, 47.5, 67.5, 77.5 }, values(out))
  end)

  it("backward: db = Σ dout, dW[y, x] = Σ dout[i, j]·x[i + y, j + x], dx = Σ dout[i, j]·W shifted by (i, j)", function()
    local layer = conv()
    layer:forward(x)
    local dx = layer:backward(t4(1, 1, 2, 2, { 1, 0, 0, 2 }))
    assert.are.same({ 3 }, values(layer.db))
    -- dW = 1·x[0.., 0..] + 2·x[1.., 1..]: 1 + 10, 2 + 12, 4 + 16, 5 + 18
    assert.are.same({ 1, 1, 2, 2 }, layer.dW.shape)
    assert.are.same({ 11, 14, 20, 23 }, values(layer.dW))
    -- W at (0, 0) plus 2·W at (1, 1)
    assert.are.same({ 1, 2, 0, 3, 6, 4, 0, 6, 8 }, values(dx))
  end)

  it("two filters: out is N x FN x OH x OW, each filter with its bias", function()
    -- 1x1 filters 1 and -1 on two channels: filter 0 adds the channels, filter 1 subtracts them
    local W = t4(2, 2, 1, 1, { 1, 1, 1, -1 })
    local out = layers.Convolution.new(W, tensor.from_list({ 0, 100 })):forward(t4(1, 2, 1, 2, { 1, 2, 10, 20 }))
    assert.are.same({ 1, 2, 1, 2 }, out.shape)
    assert.are.same({ 11, 22, 91, 82 }, values(out))
  end)

  it("stride 2 and pad 1: dx, dW and db match the numerical gradient of Σ out·w", function()
    local g = rng.new(5)
    local xs, W, b = g:rand({ 2, 2, 5, 5 }), g:randn({ 3, 2, 3, 3 }), g:randn({ 3 })
    local function make() return layers.Convolution.new(W, b, 2, 1) end
    local layer = make()
    local w = g:rand(layer:forward(xs).shape)
    assert.are.same({ 2, 3, 3, 3 }, w.shape) -- (5 + 2 - 3) // 2 + 1 = 3
    local dx = layer:backward(w)
    local f = function() return weighted(make():forward(xs), w) end
    assert.is_true(mean_diff(dx, gradient.numerical_gradient(f, xs)) < 1e-8)
    assert.is_true(mean_diff(layer.dW, gradient.numerical_gradient(f, W)) < 1e-8)
    assert.is_true(mean_diff(layer.db, gradient.numerical_gradient(f, b)) < 1e-8)
  end)
end)

describe("Pooling", function()
  it("forward: the maximum of each 2x2 window at stride 2 (the default); backward routes dout to it", function()
    local x = t4(1, 1, 4, 4, { 1, 3, 2, 0, 4, -1, 5, 6, -7, -8, 0, 1, -9, -2, 1, 1 })
    local pool = layers.Pooling.new(2, 2)
    local out = pool:forward(x)
    assert.are.same({ 1, 1, 2, 2 }, out.shape)
    assert.are.same({ 4, 6, -2, 1 }, values(out))
    -- the last window [0, 1; 1, 1] has its first maximum at (2, 3)
    local dx = pool:backward(t4(1, 1, 2, 2, { 10, 20, 30, 40 }))
    assert.are.same({ 0, 0, 0, 0, 10, 0, 0, 20, 0, 0, 0, 40, 0, 30, 0, 0 }, values(dx))
  end)

  it("channels pool separately", function()
    local out = layers.Pooling.new(1, 2, 1):forward(t4(1, 2, 1, 3, { 1, 5, 2, -1, -3, -2 }))
    assert.are.same({ 1, 2, 1, 2 }, out.shape)
    assert.are.same({ 5, 5, -1, -2 }, values(out))
  end)

  it("padding is zeros: negative windows reaching into it give 0 and no gradient", function()
    local pool = layers.Pooling.new(2, 2, 2, 1)
    local out = pool:forward(t4(1, 1, 2, 2, { -1, -2, -3, -4 }))
    assert.are.same({ 0, 0, 0, 0 }, values(out))
    assert.are.same({ 0, 0, 0, 0 }, values(pool:backward(t4(1, 1, 2, 2, { 1, 2, 3, 4 }))))
  end)

  it("a NaN is a maximum (the first one), -0.0 stays -0.0", function()
    local pool = layers.Pooling.new(2, 2)
    local out = pool:forward(t4(1, 1, 2, 4, { 1, 0 / 0, -0.0, 0.0, 5, 0 / 0, -1, -2 }))
    local y = values(out)
    assert.is_true(y[1] ~= y[1])
    assert.are.equal(-math.huge, 1 / y[2]) -- -0.0 comes first of the equal -0.0 and 0.0
    -- the first NaN of window [1, NaN; 5, NaN] is at (0, 1), the -0.0 of window [-0.0, 0.0; -1, -2] at (0, 2)
    assert.are.same({ 0, 7, 9, 0, 0, 0, 0, 0 }, values(pool:backward(t4(1, 1, 1, 2, { 7, 9 }))))
  end)

  it("overlapping windows add their dout at a shared maximum", function()
    local pool = layers.Pooling.new(2, 2, 1)
    pool:forward(t4(1, 1, 2, 3, { 0, 8, 0, 0, 0, 0 }))
    assert.are.same({ 0, 3, 0, 0, 0, 0 }, values(pool:backward(t4(1, 1, 1, 2, { 1, 2 }))))
  end)

  it("dx matches the numerical gradient of Σ out·w (no ties)", function()
    local g = rng.new(8)
    local xs = g:rand({ 2, 3, 6, 5 })
    local function make() return layers.Pooling.new(3, 2, 2, 1) end
    local layer = make()
    local w = g:rand(layer:forward(xs).shape)
    local dx = layer:backward(w)
    local num = gradient.numerical_gradient(function() return weighted(make():forward(xs), w) end, xs)
    assert.is_true(mean_diff(dx, num) < 1e-8)
  end)
end)

describe("SimpleConvNet", function()
  local SimpleConvNet = networks.SimpleConvNet

  it("init: W1, W2, W3 = std·randn in that order from one generator, W2 of the pooled size", function()
    -- 1x6x6 images, 2 filters of 3x3: conv 4x4, pooled 2x2, W2 has 2·2·2 = 8 rows
    local net = SimpleConvNet.new({ input_dim = { 1, 6, 6 }, conv_param = { filter_num = 2, filter_size = 3 },
      hidden_size = 3, output_size = 2, weight_init_std = 0.5, seed = 4 })
    local p = net.params
    assert.are.same({ 2, 1, 3, 3 }, p.W1.shape)
    assert.are.same({ 8, 3 }, p.W2.shape)
    assert.are.same({ 3, 2 }, p.W3.shape)
    assert.are.same({ 0, 0 }, values(p.b1))
    assert.are.same({ 0, 0, 0 }, values(p.b2))
    -- 18 + 24 + 6 normals, each count even, so one stream of 48 draws holds them in order
    local z = rng.new(4):normal(48)
    local all = {}
    for _, k in ipairs({ "W1", "W2", "W3" }) do
      for _, v in ipairs(values(p[k])) do all[#all + 1] = v end
    end
    for i = 1, 48 do assert.are.equal(0.5 * z[i], all[i]) end
  end)

  it("init: the pooled size rounds an odd conv output down, on each side", function()
    -- 1x8x11, filter 2: conv 7x10, pooled 3x5; the book's formula would give int(4·3.5·3.5) = 49 rows
    local net = SimpleConvNet.new({ input_dim = { 1, 8, 11 }, conv_param = { filter_num = 4, filter_size = 2 },
      hidden_size = 2, output_size = 2 })
    assert.are.same({ 60, 2 }, net.params.W2.shape)
    assert.are.same({ 30, 1, 5, 5 }, SimpleConvNet.new({}).params.W1.shape) -- the book's defaults
    assert.are.same({ 4320, 100 }, SimpleConvNet.new({}).params.W2.shape) -- 30·12·12
  end)

  -- a hand-set net: 1x4x4 images, one 1x1 filter 2 with bias -1, hidden 2, two classes
  local function hand_net()
    local params = {
      W1 = t4(1, 1, 1, 1, { 2 }), b1 = tensor.from_list({ -1 }),
      W2 = tensor.from_rows({ { 1, 0 }, { 0, 1 }, { 0, 1 }, { -1, 0 } }), b2 = tensor.from_list({ 3, 0 }),
      W3 = tensor.from_rows({ { 1, 0 }, { 0, -1 } }), b3 = tensor.from_list({ 0, 0.5 }),
    }
    return SimpleConvNet.new({ input_dim = { 1, 4, 4 }, conv_param = { filter_num = 1, filter_size = 1 },
      hidden_size = 2, output_size = 2, params = params })
  end
  local x = t4(1, 1, 4, 4, { 1, 2, 0, 0, 0, 3, 1, 1, 0, 0, 2, 0, 0, 1, 0, 4 })

  it("predict: conv, relu, 2x2 pooling, affine, relu, affine", function()
    -- relu(2x - 1) = [1 3 0 0; 0 5 1 1; 0 0 3 0; 0 1 0 7], pooled [5 1; 1 7] -> (5, 1, 1, 7);
    -- hidden relu(5 - 7 + 3, 1 + 1) = (1, 2); scores (1, -2 + 0.5)
    assert.are.same({ 1, -1.5 }, values(hand_net():predict(x)))
  end)

  it("loss: the cross-entropy of the softmax of the scores", function()
    -- -log(softmax(1, -1.5)[0]) = log(1 + e^-2.5), shifted by the 1e-7 inside the log
    local loss = hand_net():loss(x, tensor.from_list({ 0 }))
    assert.is_true(math.abs(loss - math.log(1 + math.exp(-2.5))) < 2e-7, loss)
  end)

  it("accuracy counts every sample, a last partial batch of the 100 included", function()
    -- 130 images of 1x2x2, the net always predicts class 0 (score m against -m, m >= 0; ties: the first);
    -- the first 100 labels are 1, the last 30 are 0: 30 / 130 (the book's loop would see 0 of them)
    local params = {
      W1 = t4(1, 1, 1, 1, { 1 }), b1 = tensor.from_list({ 0 }), W2 = tensor.from_rows({ { 1 } }),
      b2 = tensor.from_list({ 0 }), W3 = tensor.from_rows({ { 1, -1 } }), b3 = tensor.from_list({ 0, 0 }),
    }
    local net = SimpleConvNet.new({ input_dim = { 1, 2, 2 }, conv_param = { filter_num = 1, filter_size = 1 },
      hidden_size = 1, output_size = 2, params = params })
    local xs, labels = rng.new(2):rand({ 130, 1, 2, 2 }), {}
    for i = 1, 130 do labels[i] = i <= 100 and 1 or 0 end
    assert.are.equal(30 / 130, net:accuracy(xs, tensor.new({ 130 }, labels)))
  end)

  it("the book's gradient check: backprop matches the numerical gradient (ch07/gradient_check.py)", function()
    local g = rng.new(0)
    local net = SimpleConvNet.new({ input_dim = { 1, 10, 10 }, conv_param = { filter_num = 10, filter_size = 3 },
      hidden_size = 10, output_size = 10, weight_init_std = 0.01 }, g)
    local xs, t = g:rand({ 1, 1, 10, 10 }), tensor.from_list({ 1 })
    local num = net:numerical_gradient(xs, t)
    local grad = net:gradient(xs, t)
    -- the loss is -log(y_t + 1e-7), whose derivative is y_t / (y_t + 1e-7) times backprop's (which
    -- leaves the 1e-7 out): a relative 1e-6 at y_t of about 0.1, above 1e-7 for b3
    local y_t = net.last_layer.y.data[2]
    local shrink = y_t / (y_t + 1e-7)
    for _, k in ipairs({ "W1", "b1", "W2", "b2", "W3", "b3" }) do
      assert.are.same(net.params[k].shape, grad[k].shape)
      local diff, scale = mean_diff(grad[k], num[k]), 0
      for i = 1, grad[k].size do scale = math.max(scale, math.abs(grad[k].data[i])) end
      assert.is_true(scale > 1e-6, k .. " is all but zero")
      assert.is_true(diff < 2e-7, k .. ": mean difference " .. diff)
      assert.is_true(mean_diff(tensor.scale(grad[k], shrink), num[k]) < 1e-9, k .. " against the shifted loss")
    end
  end)

  it("gradient keeps the input gradient dx of the convolution, N x C x H x W", function()
    local net = hand_net()
    net:gradient(x, tensor.from_list({ 1 }))
    assert.are.same({ 1, 1, 4, 4 }, net.dx.shape)
  end)
end)
