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

  it("Nesterov: 1 - 0.81·0.05 - 1.9·0.1·0.5 = 0.8645", function()
    assert.is_near(0.8645, run("nesterov", { lr = 0.1 }, 1), 1e-15)
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

  it("an unknown name is BadArgs", function()
    local ok, err = pcall(optimizers.create, "lbfgs", {})
    assert.is_false(ok)
    assert.are.equal("BadArgs", err.type)
  end)
end)
