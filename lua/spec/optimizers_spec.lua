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

  -- state written as a checkpoint writes it (arrays_text, then JSON) and read back into a new optimizer
  local train = require("dlscratch.train")
  local jsonio = require("dlscratch.jsonio")
  local function round_trip(st)
    local out = {}
    for name, v in pairs(st) do
      if name == "iter" then
        out.iter = jsonio.decode(jsonio.number(v))
      else
        out[name] = {}
        for key, a in pairs(jsonio.decode(train.arrays_text(v))) do out[name][key] = tensor.new(a.shape, a.data) end
      end
    end
    return out
  end

  for _, name in ipairs({ "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" }) do
    it(name .. ": its state written and read back gives the same next update", function()
      local function params() return { W1 = tensor.new({ 2, 2 }, { 1.0, -2.0, 0.5, 3.0 }), b1 = tensor.from_list({ 0.25, -1.0 }) } end
      local g1 = { W1 = tensor.new({ 2, 2 }, { 0.5, -0.25, 1.0, 2.0 }), b1 = tensor.from_list({ -0.5, 0.125 }) }
      local g2 = { W1 = tensor.new({ 2, 2 }, { -1.0, 0.75, 0.5, -2.0 }), b1 = tensor.from_list({ 0.375, 1.5 }) }
      local pa = params()
      local a = optimizers.create(name, { lr = 0.1 })
      a:update(pa, g1)
      local pb = { W1 = tensor.new({ 2, 2 }, tensor.values(pa.W1)), b1 = tensor.new({ 2 }, tensor.values(pa.b1)) }
      local b = optimizers.create(name, { lr = 0.1 })
      b:load_state_dict(round_trip(a:state_dict(pa)))
      a:update(pa, g2)
      b:update(pb, g2)
      for _, k in ipairs({ "W1", "b1" }) do assert.are.same(tensor.values(pa[k]), tensor.values(pb[k])) end
    end)
  end

  it("state_dict holds each optimizer's state by name, shaped as the params", function()
    local params = { W1 = tensor.new({ 1, 2 }, { 1.0, 1.0 }) }
    local g = { W1 = tensor.new({ 1, 2 }, { 0.5, -0.5 }) }
    local m = optimizers.create("momentum", { lr = 0.1 })
    m:update(params, g)
    local st = m:state_dict(params)
    -- v = 0.9·0 - 0.1·g
    assert.are.same({ { 1, 2 }, { -0.05, 0.05 } }, { st.v.W1.shape, tensor.values(st.v.W1) })
    assert.are.same({}, optimizers.create("sgd", {}):state_dict(params))
    local adagrad = optimizers.create("adagrad", {})
    adagrad:update(params, g)
    assert.are.same({ 0.25, 0.25 }, tensor.values(adagrad:state_dict(params).h.W1))
    local adam = optimizers.create("adam", {})
    adam:update(params, g)
    adam:update(params, g)
    local s = adam:state_dict(params)
    -- m = 0.1·g, then m + 0.1·(g - m); v = 0.001·g², then v + 0.001·(g² - v): after two updates iter = 2
    assert.are.equal(2, s.iter)
    assert.is_near(0.095, s.m.W1.data[1], 1e-16)
    assert.is_near(0.25 * 0.001999, s.v.W1.data[1], 1e-18)
  end)
end)
