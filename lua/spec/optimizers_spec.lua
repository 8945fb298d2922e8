-- The book's optimizers, one parameter p = 1 and gradient g = 0.5, worked by hand.
local optimizers = require("dlscratch.optimizers")
local tensor = require("dlscratch.tensor")

local function run(name, hyper, steps)
  local params = { p = tensor.from_list({ 1.0 }) }
  local opt = optimizers.create(name, hyper)
  for _ = 1, steps do opt:update(params, { p = tensor.from_list({ 0.5 }) }) end
  return params.p.data[1]
end

describe("optimizers", function()
  it("SGD: p -= lr·g", function()
    assert.is_near(0.95, run("sgd", { lr = 0.1 }, 1), 1e-15)
  end)

  it("Momentum keeps its velocity: 0.95 then 0.855", function()
    assert.is_near(0.95, run("momentum", { lr = 0.1 }, 1), 1e-15)
    assert.is_near(0.855, run("momentum", { lr = 0.1 }, 2), 1e-15)
  end)

  it("Nesterov moves p with the previous v, then updates v: W = -1.625", function()
    -- lr 0.5, momentum 0.5, W = 0, g = 1 twice:
    --   step 1: W = 0 + 0.25·0 - 1.5·0.5 = -0.75,       v = 0.5·0 - 0.5 = -0.5
    --   step 2: W = -0.75 + 0.25·(-0.5) - 0.75 = -1.625, v = 0.5·(-0.5) - 0.5 = -0.75
    -- (every step is exact in binary; the book's pre-2021 order gave -1.8125)
    local params = { W = tensor.from_list({ 0.0 }) }
    local opt = optimizers.create("nesterov", { lr = 0.5, momentum = 0.5 })
    opt:update(params, { W = tensor.from_list({ 1.0 }) })
    assert.are.equal(-0.75, params.W.data[1])
    assert.are.equal(-0.5, opt.v.W[1])
    opt:update(params, { W = tensor.from_list({ 1.0 }) })
    assert.are.equal(-1.625, params.W.data[1])
    assert.are.equal(-0.75, opt.v.W[1])
  end)

  it("Nesterov's first step is p -= (1 + momentum)·lr·g: 1 - 1.9·0.1·0.5 = 0.905", function()
    assert.is_near(0.905, run("nesterov", { lr = 0.1 }, 1), 1e-15)
  end)

  it("AdaGrad: 1 - 0.1·0.5 / (0.5 + 1e-7)", function()
    assert.is_near(1 - 0.05 / 0.5000001, run("adagrad", { lr = 0.1 }, 1), 1e-15)
  end)

  it("RMSprop: h = 0.01·0.25, p = 1 - 0.01·0.5 / (0.05 + 1e-7)", function()
    assert.is_near(1 - 0.005 / 0.0500001, run("rmsprop", {}, 1), 1e-15)
  end)

  it("Adam's first step moves p by about lr", function()
    assert.is_near(0.999000006325, run("adam", {}, 1), 1e-11)
  end)

  it("defaults are the book's", function()
    local adam = optimizers.create("adam", {})
    assert.are.same({ 0.001, 0.9, 0.999 }, { adam.lr, adam.beta1, adam.beta2 })
    assert.are.equal(0.99, optimizers.create("rmsprop", {}).decay_rate)
    assert.are.equal(0.9, optimizers.create("momentum", {}).momentum)
  end)

  it("an unknown name is an ordinary error", function()
    assert.has_error(function() optimizers.create("lbfgs", {}) end)
  end)
end)
