-- The book's Trainer (common/trainer.py): mini-batch training of any of the book's
-- networks (networks.NETWORKS), with an evaluation at every epoch and a final test accuracy.
local class = require("dlscratch.class")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")

local floor, min = math.floor, math.min

local M = {}

-- region: trainer
-- iter_per_epoch = max(train_size / mini_batch_size, 1) (a float, as the book's) and
-- max_iter = int(epochs·iter_per_epoch). Each step draws a batch with replacement from
-- rng, updates by the gradient, then records the loss of that batch in the network's
-- default mode (test mode for MultiLayerNetExtend). When the step's index mod
-- iter_per_epoch is 0 (exactly: train.epoch_end), the accuracies of the first
-- evaluate_sample_num_per_epoch train and test images (all when nil) are recorded.
-- A network with Dropout takes, after each batch, its mask seed floor(u·2^31) of the
-- next uniform u.
local Trainer = class()
M.Trainer = Trainer

-- rows(x, t, idx): the images and the labels at the 0-based indices idx
local function rows(x, t, idx)
  local labels = {}
  for r, i in ipairs(idx) do labels[r] = t.data[i + 1] end
  return train.batch_rows(x, idx), tensor.new({ #idx }, labels)
end

-- part: init
-- new(network, x_train, t_train, x_test, t_test, opts): x N x D tensors, t tensors
-- of N labels; opts: epochs (20), mini_batch_size (100), optimizer (a lower-case
-- name, "sgd"), optimizer_param ({lr = 0.01}), evaluate_sample_num_per_epoch (nil:
-- all), rng (a generator seeded 0), on_step(trainer, loss) after every step (a true result stops
-- the training after it; trainer.current_iter is then still the step's index).
function Trainer.new(network, x_train, t_train, x_test, t_test, opts)
  opts = opts or {}
  local self = setmetatable({
    network = network, x_train = x_train, t_train = t_train, x_test = x_test, t_test = t_test,
    epochs = opts.epochs or 20, batch_size = opts.mini_batch_size or 100,
    evaluate_sample_num_per_epoch = opts.evaluate_sample_num_per_epoch,
    rng = opts.rng or rng_mod.new(0), on_step = opts.on_step,
    optimizer = optimizers.create(opts.optimizer or "sgd", opts.optimizer_param or { lr = 0.01 }),
    train_size = x_train.shape[1], current_iter = 0, current_epoch = 0,
    train_loss_list = {}, train_acc_list = {}, test_acc_list = {},
  }, Trainer)
  self.iter_per_epoch = train.iter_per_epoch(self.train_size, self.batch_size)
  self.max_iter = floor(self.epochs * self.iter_per_epoch)
  return self
end

-- part: helper
-- first(x, t, n): the first n rows (all of them when n is nil or larger)
local function first(x, t, n)
  local idx = {}
  for i = 1, min(n or x.shape[1], x.shape[1]) do idx[i] = i - 1 end
  return rows(x, t, idx)
end

-- first_train(n): the first n training images (all when n is nil) and their labels
function Trainer:first_train(n) return first(self.x_train, self.t_train, n) end

-- part: step
function Trainer:train_step()
  local net = self.network
  local x_batch, t_batch = rows(self.x_train, self.t_train, self.rng:choice(self.train_size, self.batch_size))
  if net.use_dropout then net.dropout_seed = floor(self.rng:next() * rng_mod.SEED_LIMIT) end

  local grads = net:gradient(x_batch, t_batch)
  self.optimizer:update(net.params, grads)
  local loss = net:loss(x_batch, t_batch)
  self.train_loss_list[#self.train_loss_list + 1] = loss

  if train.epoch_end(self.current_iter, self.iter_per_epoch) then
    self.current_epoch = self.current_epoch + 1
    local n = self.evaluate_sample_num_per_epoch
    self.train_acc_list[self.current_epoch] = net:accuracy(first(self.x_train, self.t_train, n))
    self.test_acc_list[self.current_epoch] = net:accuracy(first(self.x_test, self.t_test, n))
  end
  local stop = self.on_step and self.on_step(self, loss)
  self.current_iter = self.current_iter + 1
  return stop
end

-- part: train
-- train(): the steps current_iter .. max_iter-1 (a trainer whose state was restored continues where it
-- stopped), then the accuracy on the whole test set (test_acc). When on_step returns true the training
-- stops after that step, and train returns nil.
function Trainer:train()
  while self.current_iter < self.max_iter do
    if self:train_step() and self.current_iter < self.max_iter then return nil end
  end
  self.test_acc = self.network:accuracy(self.x_test, self.t_test)
  return self.test_acc
end
-- endregion

return M
