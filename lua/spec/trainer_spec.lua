-- The book's Trainer: max_iter = int(epochs·max(N / batch, 1)) steps, evaluations where
-- the step's index mod iter_per_epoch is exactly 0, one generator for the weights, the
-- batches and the Dropout seeds, the loss recorded in the network's default mode.
local Trainer = require("dlscratch.trainer").Trainer
local networks = require("dlscratch.networks")
local rng = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")

-- n images of 3 pixels from seed, labelled 0 or 1 by whether the first pixel exceeds 0.5
local function data(seed, n)
  local x = rng.new(seed):rand({ n, 3 })
  local t = {}
  for i = 1, n do t[i] = x.data[(i - 1) * 3 + 1] > 0.5 and 1 or 0 end
  return x, tensor.new({ n }, t)
end

local OPTS = { input_size = 3, hidden_size_list = { 4 }, output_size = 2, use_dropout = true, dropout_ration = 0.2,
  use_batchnorm = true }

describe("Trainer", function()
  it("takes int(epochs·N / batch) steps and evaluates where the step index mod N / batch is 0", function()
    local x, t = data(1, 10)
    local xt, tt = data(2, 5)
    local net = networks.MultiLayerNet.new({ input_size = 3, hidden_size_list = { 4 }, output_size = 2 })
    -- 10 / 4 = 2.5 steps an epoch, int(3 · 2.5) = 7 steps: evaluations after steps 0 and 5
    local trainer = Trainer.new(net, x, t, xt, tt, { epochs = 3, mini_batch_size = 4 })
    local seen = {}
    trainer.on_step = function(tr) seen[#seen + 1] = #tr.train_acc_list end
    trainer:train()
    assert.are.equal(7, #trainer.train_loss_list)
    assert.are.same({ 1, 1, 1, 1, 1, 2, 2 }, seen)
    assert.are.equal(2, #trainer.test_acc_list)
    assert.are.equal(net:accuracy(xt, tt), trainer.test_acc)
    -- a batch larger than the set: one step an epoch, each evaluated
    local big = Trainer.new(net, x, t, xt, tt, { epochs = 3, mini_batch_size = 20 })
    big:train()
    assert.are.same({ 3, 3 }, { #big.train_loss_list, #big.train_acc_list })
  end)

  it("evaluates the first evaluate_sample_num_per_epoch images only", function()
    local x, t = data(3, 8)
    local net = networks.TwoLayerNet.new(3, 5, 2, 0.5, 4)
    local trainer = Trainer.new(net, x, t, x, t, { epochs = 1, mini_batch_size = 8, evaluate_sample_num_per_epoch = 3,
      optimizer = "adam", optimizer_param = { lr = 0 } })
    trainer:train()
    local first = tensor.new({ 3, 3 }, { x.data[1], x.data[2], x.data[3], x.data[4], x.data[5], x.data[6], x.data[7],
      x.data[8], x.data[9] })
    local want = net:accuracy(first, tensor.new({ 3 }, { t.data[1], t.data[2], t.data[3] }))
    assert.are.same({ want }, trainer.train_acc_list)
    assert.are.same({ want }, trainer.test_acc_list)
    assert.are_not.equal(want, net:accuracy(x, t)) -- all eight would give another figure
    assert.are.equal(net:accuracy(x, t), trainer.test_acc)
  end)

  it("draws the weights, then each step's batch and Dropout seed floor(u·2^31), from one generator", function()
    local x, t = data(5, 12)
    local gen = rng.new(7)
    local net = networks.MultiLayerNetExtend.new(OPTS, gen)
    local trainer = Trainer.new(net, x, t, x, t, { epochs = 2, mini_batch_size = 6, rng = gen })
    trainer:train()
    -- the same draws replayed: 4 steps of choice(12, 6) and one uniform
    local replay = rng.new(7)
    networks.MultiLayerNetExtend.new(OPTS, replay)
    local idx, u
    for _ = 1, 4 do
      idx, u = replay:choice(12, 6), replay:next()
    end
    assert.are.equal(math.floor(u * 2 ^ 31), net.dropout_seed)
    assert.are.equal(replay:next(), gen:next())
    -- the last loss: the last batch after the last update, in test mode (no masks, running statistics)
    local rows, labels = {}, {}
    for r, i in ipairs(idx) do
      for c = 1, 3 do rows[(r - 1) * 3 + c] = x.data[i * 3 + c] end
      labels[r] = t.data[i + 1]
    end
    local xb, tb = tensor.new({ 6, 3 }, rows), tensor.new({ 6 }, labels)
    assert.are.equal(net:loss(xb, tb), trainer.train_loss_list[4])
    assert.are_not.equal(net:loss(xb, tb, true), trainer.train_loss_list[4])
  end)

  it("trains: the loss falls on a separable problem", function()
    local x, t = data(6, 40)
    local net = networks.MultiLayerNetExtend.new({ input_size = 3, hidden_size_list = { 8 }, output_size = 2,
      use_batchnorm = true, seed = 2 })
    local trainer = Trainer.new(net, x, t, x, t, { epochs = 30, mini_batch_size = 10, optimizer = "adam",
      optimizer_param = { lr = 0.05 } })
    trainer:train()
    local losses = trainer.train_loss_list
    assert.are.equal(120, #losses)
    assert.is_true(losses[#losses] < 0.5 * losses[1], losses[1] .. " -> " .. losses[#losses])
    assert.is_true(trainer.test_acc >= 0.9, tostring(trainer.test_acc))
  end)

  it("trains a SimpleConvNet on 4-D batches, the weights drawn first from its generator", function()
    local g = rng.new(3)
    local x, labels = g:rand({ 6, 1, 4, 4 }), {}
    for i = 1, 6 do labels[i] = (i - 1) % 2 end
    local t = tensor.new({ 6 }, labels)
    local opts = { input_dim = { 1, 4, 4 }, conv_param = { filter_num = 2, filter_size = 3 }, hidden_size = 3, output_size = 2 }
    local seed = rng.new(9)
    local net = networks.SimpleConvNet.new(opts, seed)
    local W1 = tensor.values(net.params.W1)
    local batches = {}
    local trainer = Trainer.new(net, x, t, x, t, { epochs = 2, mini_batch_size = 3, optimizer = "sgd",
      optimizer_param = { lr = 0.1 }, rng = seed })
    -- 6 / 3 = 2 steps an epoch, 4 steps, evaluated after steps 0 and 2
    local real = net.gradient
    net.gradient = function(self, xb, tb) batches[#batches + 1] = xb.shape; return real(self, xb, tb) end
    trainer:train()
    assert.are.same({ 4, 2 }, { #trainer.train_loss_list, #trainer.train_acc_list })
    for _, shape in ipairs(batches) do assert.are.same({ 3, 1, 4, 4 }, shape) end
    -- the weights are the first 18 normals of the generator seeded 9
    local z = rng.new(9):normal(18)
    for i = 1, 18 do assert.are.equal(0.01 * z[i], W1[i]) end
    -- and the SGD steps moved the parameters (b3 by lr·(y - t) at each step)
    assert.are_not.same({ 0, 0 }, tensor.values(net.params.b3))
  end)
end)
