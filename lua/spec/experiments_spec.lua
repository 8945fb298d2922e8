-- The chapter-6 experiments: the naive paths' first steps worked by hand, the helpers (rounding,
-- histogram, NumPy's mean, std and logspace), and the data experiments at a tiny scale on a small
-- IDX directory, with the draws of the generator in the order §13 pins.
local experiments = require("dlscratch.experiments")
local rng = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")

local idx = require("spec.support").idx

-- a directory of four IDX files: n_train and n_test random 28x28 images, labelled by their first pixel mod 10
local function data_dir(n_train, n_test)
  return require("spec.support").random_data_dir(n_train, n_test, 99)
end

describe("experiments", function()
  it("optimizer_compare_naive: 30 points per path from (-7, 2), the first steps by hand", function()
    local paths = experiments.optimizer_compare_naive().paths
    for _, name in ipairs({ "SGD", "Momentum", "AdaGrad", "Adam" }) do
      assert.are.same({ 30, 30, -7, 2 }, { #paths[name].x, #paths[name].y, paths[name].x[1], paths[name].y[1] })
    end
    -- ∇f(-7, 2) = (-0.7, 4). SGD lr 0.95: (-7 + 0.665, 2 - 3.8)
    assert.is_near(-6.335, paths.SGD.x[2], 1e-15)
    assert.is_near(-1.8, paths.SGD.y[2], 1e-15)
    -- then ∇f = (-0.6335, -3.6): (-6.335 + 0.95·0.6335, -1.8 + 0.95·3.6)
    assert.is_near(-5.733175, paths.SGD.x[3], 1e-14)
    assert.is_near(1.62, paths.SGD.y[3], 1e-14)
    -- Momentum lr 0.1: v = -0.1·g = (0.07, -0.4)
    assert.is_near(-6.93, paths.Momentum.x[2], 1e-15)
    assert.is_near(1.6, paths.Momentum.y[2], 1e-15)
    -- AdaGrad lr 1.5: h = g², a step of 1.5·g / (|g| + 1e-7)
    assert.is_near(-7 + 1.5 * 0.7 / (0.7 + 1e-7), paths.AdaGrad.x[2], 1e-15)
    assert.is_near(2 - 1.5 * 4 / (4 + 1e-7), paths.AdaGrad.y[2], 1e-15)
    -- Adam lr 0.3: m = 0.1·g, v = 0.001·g², lr_t = 0.3·sqrt(0.001) / 0.1: a step of about 0.3
    assert.is_near(-6.7, paths.Adam.x[2], 1e-5)
    assert.is_near(1.7, paths.Adam.y[2], 1e-6)
  end)

  it("scales counts as Python's round does (a tie to the even one), at least 1", function()
    assert.are.same({ 2, 4, 0, 1, 100 }, { experiments.round_half_even(2.5), experiments.round_half_even(3.5),
      experiments.round_half_even(0.5), experiments.round_half_even(0.51), experiments.round_half_even(100.4) })
    local run = experiments.Run.new(rng.new(0), { scale = 0.05 })
    assert.are.same({ 2, 100, 1, 10, 15 }, { run:scaled(50), run:scaled(2000), run:scaled(10), run:scaled(201),
      run:scaled(301) })
    assert.are.equal(100, run:scaled(1000, 100))
  end)

  it("histogram: 30 bins over [lo, hi], hi in the last, values outside dropped; NumPy's mean and std", function()
    local z = tensor.from_list({ 0, 0.0333, 0.034, 0.5, 0.99, 1, 1.5, -0.1, 0 / 0 })
    local h = experiments.histogram(z, 0, 1)
    assert.are.same({ 2, 1 }, { h[1], h[2] }) -- 0.0333·30 = 0.999 is bin 1, 0.034·30 = 1.02 bin 2
    assert.are.same({ 1, 2 }, { h[16], h[30] }) -- 0.5, and 0.99 with 1
    local total = 0
    for _, c in ipairs(h) do total = total + c end
    assert.are.equal(6, total)
    assert.are.same({ 1, 0, 1 }, { experiments.histogram(tensor.from_list({ -1, 0, 1 }), -1, 1)[1],
      experiments.histogram(tensor.from_list({ -1, 0, 1 }), -1, 1)[2], experiments.histogram(tensor.from_list({ 0 }), -1, 1)[16] })
    local mean, std = experiments.mean_std(tensor.from_list({ 1, 2, 3, 4 }))
    assert.are.same({ 2.5, math.sqrt(1.25) }, { mean, std })
  end)

  it("logspace(0, -4, 16) is NumPy's: 10^(i·(-4/15)), from 1 to 1e-4 exactly", function()
    local w = experiments.logspace(0, -4, 16)
    assert.are.same({ 16, 1, 1e-4 }, { #w, w[1], w[16] })
    assert.are.equal(10 ^ (-4 / 15), w[2])
    assert.are.equal(10 ^ (7 * (-4 / 15)), w[8])
  end)

  describe("on a small IDX directory", function()
    local dir
    setup(function() dir = data_dir(500, 100) end)
    teardown(function() os.execute("rm -r '" .. dir .. "'") end)
    local function run(seed, scale) return experiments.Run.new(rng.new(seed), { scale = scale, data_dir = dir, quiet = true }) end

    it("overfit_weight_decay: round(201·0.01) = 2 evaluations, the first after one step", function()
      local r = experiments.overfit_weight_decay(run(3, 0.01))
      assert.are.same({ 0.1, 2, 2 }, { r.weight_decay_lambda, #r.train_acc, #r.test_acc })
      assert.are.same(r, experiments.overfit_weight_decay(run(3, 0.01))) -- one generator: the same run again
      for _, acc in ipairs(r.test_acc) do assert.is_true(acc >= 0 and acc <= 1) end
    end)

    it("hyperparameter_optimization: weight decay then lr from the draws after permutation(500)", function()
      local r = experiments.hyperparameter_optimization(run(5, 0.02))
      local g = rng.new(5)
      g:permutation(500)
      local weight_decay = 10 ^ (-8 + 4 * g:next())
      local lr = 10 ^ (-6 + 4 * g:next())
      assert.are.same({ 1, 2, 1 }, { r.epochs, #r.trials, #r.trials[1].val_acc }) -- 400 / 100: 4 steps, one evaluation
      assert.are.same({ weight_decay, lr }, { r.trials[1].weight_decay, r.trials[1].lr })
      assert.is_true(r.trials[2].lr ~= lr)
    end)

    it("overfit_dropout: the Trainer's lists, round(301·0.005) = 2 epochs of 300 / 100 steps", function()
      local d = experiments.overfit_dropout(run(1, 0.005))
      assert.are.same({ 0.2, 6, 2, 2 }, { d.dropout_ratio, #d.train_loss, #d.train_acc, #d.test_acc })
    end)

    it("weight_init_activation_histogram reads no images: 3 activations x 4 stds x 5 layers", function()
      local r = experiments.weight_init_activation_histogram(run(0, 0.01)).histograms
      for _, act in ipairs({ "sigmoid", "relu", "tanh" }) do
        for _, std in ipairs({ "1", "0.01", "Xavier", "He" }) do
          assert.are.equal(5, #r[act][std].layers)
          assert.are.equal(30, #r[act][std].layers[1].hist)
        end
      end
      assert.are.same({ -1, 1 }, r.tanh.He.range)
      local counted = 0
      for _, c in ipairs(r.sigmoid["1"].layers[1].hist) do counted = counted + c end
      assert.are.equal(10 * 100, counted) -- every sigmoid lies in [0, 1]
    end)
  end)
end)
