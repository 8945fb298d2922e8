-- The book's training loop: epochs by true division, evaluated where the exact
-- remainder i mod iter_per_epoch is 0.
local train = require("dlscratch.train")
local tensor = require("dlscratch.tensor")

-- the iterations among 0 .. last after which the trainer evaluates
local function evaluations(train_size, batch_size, last)
  local ipe, out = train.iter_per_epoch(train_size, batch_size), {}
  for i = 0, last do
    if train.epoch_end(i, ipe) then out[#out + 1] = i end
  end
  return out
end

describe("train", function()
  it("iter_per_epoch is the float quotient, at least 1", function()
    assert.are.equal(600, train.iter_per_epoch(60000, 100))
    assert.are.equal(468.75, train.iter_per_epoch(60000, 128))
    assert.are.equal(1, train.iter_per_epoch(50, 100))
  end)

  it("60000 images in batches of 100 or 128: evaluations every 600 or 1875 iterations", function()
    assert.are.same({ 0, 600, 1200, 1800 }, evaluations(60000, 100, 2000))
    assert.are.same({ 0, 1875, 3750, 5625, 7500, 9375 }, evaluations(60000, 128, 9999))
  end)

  it("where train_size / batch_size is not a binary fraction, only after iteration 0", function()
    assert.are.same({ 0 }, evaluations(60000, 7, 9999))
    -- 8 / 3: a - floor(a/b)·b (LuaJIT's %) rounds to 0 at 8, 16, ...; fmod does not
    local ipe = train.iter_per_epoch(8, 3)
    assert.are.equal(0, 8 - math.floor(8 / ipe) * ipe)
    assert.are.same({ 0 }, evaluations(8, 3, 100))
  end)

  it("a batch larger than the training set evaluates after every iteration", function()
    assert.are.same({ 0, 1, 2 }, evaluations(50, 100, 2))
  end)

  it("records the loss of each batch after the update, from one generator", function()
    local x = tensor.from_rows({ { 0, 1 }, { 1, 0 }, { 1, 1 }, { 0, 0 } })
    local t = { 0, 1, 1, 0 }
    local opts = { hidden_size = 3, output_size = 2, weight_init_std = 0.5, lr = 0.5, batch_size = 2, iters = 5, seed = 7 }
    local a = train.two_layer_net(x, t, opts)
    local b = train.two_layer_net(x, t, opts)
    assert.are.equal(5, #a.loss_history)
    assert.are.same(a.loss_history, b.loss_history) -- the same code twice on one machine: equal
    local iters = {}
    train.two_layer_net(x, t, opts, function(i) iters[#iters + 1] = i end)
    assert.are.same({ 0, 1, 2, 3, 4 }, iters)
  end)

  it("batch_rows picks whole images of an N x C x H x W tensor", function()
    local x = tensor.new({ 3, 1, 1, 2 }, { 1, 2, 3, 4, 5, 6 })
    local b = train.batch_rows(x, { 2, 0, 2 })
    assert.are.same({ 3, 1, 1, 2 }, b.shape)
    assert.are.same({ 5, 6, 1, 2, 5, 6 }, b.data)
  end)
end)
