-- The experiments of the book's chapter 6 (ch06/*.py), one function each (shared_tests/README.md §13).
-- Every experiment draws from one shared generator (MRG32k3a) in the order its book script does, so
-- that every port computes the same curves; its result is a table written as JSON for scripts/figures.
local class = require("dlscratch.class")
local datasets = require("dlscratch.datasets")
local functions = require("dlscratch.functions")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local progress = require("dlscratch.progress")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")
local Trainer = require("dlscratch.trainer").Trainer

local floor, sqrt, fmod = math.floor, math.sqrt, math.fmod
local MultiLayerNet, MultiLayerNetExtend = networks.MultiLayerNet, networks.MultiLayerNetExtend

local M = {}

-- round_half_even(v): v rounded to the nearest integer, a tie to the even one (Python's round)
local function round_half_even(v)
  local f = floor(v)
  local d = v - f
  if d > 0.5 or (d == 0.5 and fmod(f, 2) ~= 0) then return f + 1 end
  return f
end
M.round_half_even = round_half_even

-- Run: what an experiment gets: the generator, the scale, the data (loaded on first use) and progress bars.
local Run = class()
M.Run = Run

-- new(rng, opts): opts.scale (1), data_dir (Fashion-MNIST's), quiet (false).
function Run.new(rng, opts)
  opts = opts or {}
  return setmetatable({ rng = rng, scale = opts.scale or 1, data_dir = opts.data_dir or M.DATA_DIR,
    quiet = opts.quiet or false }, Run)
end

M.DATA_DIR = "/usr/share/datasets/fashion-mnist"

-- data(): datasets.load_mnist of data_dir: the images as datasets.Images, the labels as 0-based lists.
function Run:data()
  if self.loaded == nil then self.loaded = datasets.load_mnist(self.data_dir) end
  return self.loaded
end

-- scaled(n, least): n times the scale, rounded half to even, at least `least` (default 1).
function Run:scaled(n, least)
  return math.max(least or 1, round_half_even(n * self.scale))
end

function Run:bar(total)
  return progress.ProgressBar.new(total, not self.quiet and progress.terminal())
end

-- rows(images, labels, idx): the images (a tensor) and labels (a tensor) at the 0-based indices idx
local function rows(images, labels, idx)
  local t = {}
  for r, i in ipairs(idx) do t[r] = labels[i + 1] end
  return train.batch_rows(images, idx), tensor.new({ #idx }, t)
end

-- first(images, labels, n): the first n images and labels
local function first(images, labels, n)
  local idx = {}
  for i = 1, n do idx[i] = i - 1 end
  return rows(images, labels, idx)
end

-- the layer sizes of the book's networks: n hidden layers of 100
local function hidden(n)
  local sizes = {}
  for i = 1, n do sizes[i] = 100 end
  return sizes
end

-- net(hidden_layers, opts): 784 inputs, hidden layers of 100, 10 outputs and the other opts
local function net_opts(hidden_layers, opts)
  opts.input_size, opts.hidden_size_list, opts.output_size = 784, hidden(hidden_layers), 10
  return opts
end

-- f(x, y) = x²/20 + y², ∇f = (x/10, 2y)
function M.f_naive(x, y) return x * x / 20.0 + y * y end

function M.df_naive(x, y) return x / 10.0, 2.0 * y end

local NAIVE = { { "SGD", 0.95 }, { "Momentum", 0.1 }, { "AdaGrad", 1.5 }, { "Adam", 0.3 } }

-- Figure 6-8: 30 steps of SGD (lr 0.95), Momentum (0.1), AdaGrad (1.5), Adam (0.3) on f from (−7, 2);
-- each path records the point before every step.
function M.optimizer_compare_naive()
  local paths = {}
  for _, entry in ipairs(NAIVE) do
    local name, lr = entry[1], entry[2]
    local opt = optimizers.create(name:lower(), { lr = lr })
    local params = { x = tensor.scalar(-7.0), y = tensor.scalar(2.0) }
    local xs, ys = {}, {}
    for k = 1, 30 do
      local x, y = params.x.data[1], params.y.data[1]
      xs[k], ys[k] = x, y
      local gx, gy = M.df_naive(x, y)
      opt:update(params, { x = tensor.scalar(gx), y = tensor.scalar(gy) })
    end
    paths[name] = { x = xs, y = ys }
  end
  return { paths = paths }
end

-- race(run, names, nets, opts, iterations, batch_size): the loop of optimizer_compare_mnist.py and
-- weight_init_compare.py: one batch choice(N, batch_size) per iteration for every network in
-- turn (gradient, update, the loss of the batch).
local function race(run, names, nets, opts, iterations, batch_size)
  local data = run:data()
  local images, labels = data.train_images, data.train_labels
  local losses = {}
  for _, key in ipairs(names) do losses[key] = {} end
  local bar = run:bar(iterations)
  for i = 1, iterations do
    local x_batch, t_batch = rows(images, labels, run.rng:choice(images.n, batch_size))
    local loss
    for _, key in ipairs(names) do
      local net = nets[key]
      opts[key]:update(net.params, net:gradient(x_batch, t_batch))
      loss = net:loss(x_batch, t_batch)
      losses[key][i] = loss
    end
    bar:update(i, "loss", loss)
  end
  bar:close()
  return losses
end

local OPTIMIZER_NAMES = { "SGD", "Momentum", "AdaGrad", "Adam" }

-- Figure 6-9: SGD, Momentum, AdaGrad, Adam (the book's default hyper-parameters) on
-- 784-100-100-100-100-10 networks, batch 128, 2000 iterations (times the scale).
function M.optimizer_compare_mnist(run)
  local nets, opts = {}, {}
  for _, key in ipairs(OPTIMIZER_NAMES) do
    nets[key] = MultiLayerNet.new(net_opts(4, {}), run.rng)
    opts[key] = optimizers.create(key:lower(), {})
  end
  local iterations = run:scaled(2000)
  return { iterations = iterations, train_loss = race(run, OPTIMIZER_NAMES, nets, opts, iterations, 128) }
end

-- Figure 6-15: std 0.01, Xavier and He weights on ReLU networks 784-100-100-100-100-10, SGD lr 0.01,
-- batch 128, 2000 iterations (times the scale).
function M.weight_init_compare(run)
  local names, stds = { "std=0.01", "Xavier", "He" }, { ["std=0.01"] = 0.01, Xavier = "sigmoid", He = "relu" }
  local nets, opts, sgd = {}, {}, optimizers.create("sgd", { lr = 0.01 })
  for _, key in ipairs(names) do
    nets[key] = MultiLayerNet.new(net_opts(4, { weight_init_std = stds[key] }), run.rng)
    opts[key] = sgd
  end
  local iterations = run:scaled(2000)
  return { iterations = iterations, train_loss = race(run, names, nets, opts, iterations, 128) }
end

local HISTOGRAM_STDS = { { "1", 1.0 }, { "0.01", 0.01 }, { "Xavier", sqrt(1.0 / 100) }, { "He", sqrt(2.0 / 100) } }
local HISTOGRAM_ACTIVATIONS = { { "sigmoid", 0.0, 1.0 }, { "relu", 0.0, 1.0 }, { "tanh", -1.0, 1.0 } }

-- histogram(z, lo, hi, bins): counts of bins (30) equal bins over [lo, hi]: v falls in bin
-- floor((v − lo)·bins / (hi − lo)), hi in the last; values outside are not counted.
function M.histogram(z, lo, hi, bins)
  bins = bins or 30
  local counts, d = {}, z.data
  for b = 1, bins do counts[b] = 0 end
  for i = 1, z.size do
    local v = d[i]
    if v >= lo and v <= hi then
      local b = math.min(floor((v - lo) * bins / (hi - lo)), bins - 1) + 1
      counts[b] = counts[b] + 1
    end
  end
  return counts
end

-- mean_std(z): NumPy's z.mean() and z.std(): m = Σz / n, sqrt(Σ (z − m)² / n), the sums pairwise.
function M.mean_std(z)
  local d, sq = z.data, {}
  local m = tensor.pairwise_sum(d, 1, z.size) / z.size
  for i = 1, z.size do sq[i] = (d[i] - m) * (d[i] - m) end
  return m, sqrt(tensor.pairwise_sum(sq, 1, z.size) / z.size)
end

-- Figures 6-10 to 6-14: 1000 (times the scale) × 100 standard normals through 5 layers of 100 units,
-- z = act(z·W) with W = std·randn(100, 100), for every activation and std; the histogram (30 bins
-- over [0, 1], over [−1, 1] for tanh), mean and standard deviation of every layer.
function M.weight_init_activation_histogram(run)
  local x0, results = run.rng:randn({ run:scaled(1000), 100 }), {}
  for _, act in ipairs(HISTOGRAM_ACTIVATIONS) do
    local name, lo, hi = act[1], act[2], act[3]
    results[name] = {}
    for _, entry in ipairs(HISTOGRAM_STDS) do
      local z, layers = x0, {}
      for k = 1, 5 do
        local W = run.rng:randn({ 100, 100 })
        for i = 1, W.size do W.data[i] = W.data[i] * entry[2] end
        z = functions[name](tensor.matmul(z, W))
        local mean, std = M.mean_std(z)
        layers[k] = { hist = M.histogram(z, lo, hi), mean = mean, std = std }
      end
      results[name][entry[1]] = { range = { lo, hi }, layers = layers }
    end
  end
  return { histograms = results }
end

-- logspace(a, b, n): NumPy's logspace: 10^(a + i·(b − a)/(n − 1)), i = 0 .. n−1, the last 10^b exactly.
function M.logspace(a, b, n)
  local out, step = {}, (b - a) / (n - 1)
  for i = 0, n - 1 do out[i + 1] = 10 ^ (i == n - 1 and b or i * step + a) end
  return out
end

-- Figure 6-19: for 16 weight scales logspace(0, −4), a 784-(100×5)-10 network with batch norm and one
-- without, trained side by side on the first 1000 images (SGD lr 0.01, batch 100) for 20 epochs (times
-- the scale); the train accuracy at the start of every epoch. With the largest scales the network
-- without batch norm overflows to inf and NaN, as in the book's run.
function M.batch_norm_test(run)
  local data = run:data()
  local x, t = first(data.train_images, data.train_labels, 1000)
  local epochs, batch_size = run:scaled(20), 100
  local iter_per_epoch = train.iter_per_epoch(1000, batch_size)
  local sgd, curves = optimizers.create("sgd", { lr = 0.01 }), {}
  local bar = run:bar(16 * epochs)
  for _, w in ipairs(M.logspace(0, -4, 16)) do
    local bn_network = MultiLayerNetExtend.new(net_opts(5, { weight_init_std = w, use_batchnorm = true }), run.rng)
    local network = MultiLayerNetExtend.new(net_opts(5, { weight_init_std = w }), run.rng)
    local acc, bn_acc, i = {}, {}, 0
    while #acc < epochs do
      local x_batch, t_batch = rows(x, t.data, run.rng:choice(1000, batch_size))
      for _, net in ipairs({ bn_network, network }) do sgd:update(net.params, net:gradient(x_batch, t_batch)) end
      if train.epoch_end(i, iter_per_epoch) then
        acc[#acc + 1] = network:accuracy(x, t)
        bn_acc[#bn_acc + 1] = bn_network:accuracy(x, t)
        bar:update(#curves * epochs + #acc)
      end
      i = i + 1
    end
    curves[#curves + 1] = { weight_scale = w, train_acc = acc, bn_train_acc = bn_acc }
  end
  bar:close()
  return { epochs = epochs, runs = curves }
end

-- overfit_data(run): the first 300 training images and the first test images (all times the scale,
-- at least 100): x_train, t_train, x_test, t_test as tensors.
local function overfit_data(run)
  local data = run:data()
  local n = run:scaled(data.test_images.n, math.min(100, data.test_images.n))
  local x_train, t_train = first(data.train_images, data.train_labels, 300)
  local x_test, t_test = first(data.test_images, data.test_labels, n)
  return x_train, t_train, x_test, t_test
end

-- Figure 6-21: a 784-(100×6)-10 network with weight decay λ = 0.1 on 300 images, SGD lr 0.01, batch
-- 100, 201 epochs (times the scale); train and test accuracy at the start of every epoch.
function M.overfit_weight_decay(run)
  local x_train, t_train, x_test, t_test = overfit_data(run)
  local network = MultiLayerNet.new(net_opts(6, { weight_decay_lambda = 0.1 }), run.rng)
  local sgd = optimizers.create("sgd", { lr = 0.01 })
  local epochs, batch_size = run:scaled(201), 100
  local iter_per_epoch = train.iter_per_epoch(x_train.shape[1], batch_size)
  local train_acc, test_acc, i = {}, {}, 0
  local bar = run:bar(epochs)
  while #train_acc < epochs do
    local x_batch, t_batch = rows(x_train, t_train.data, run.rng:choice(x_train.shape[1], batch_size))
    sgd:update(network.params, network:gradient(x_batch, t_batch))
    if train.epoch_end(i, iter_per_epoch) then
      train_acc[#train_acc + 1] = network:accuracy(x_train, t_train)
      test_acc[#test_acc + 1] = network:accuracy(x_test, t_test)
      bar:update(#train_acc, "test", test_acc[#test_acc])
    end
    i = i + 1
  end
  bar:close()
  return { weight_decay_lambda = 0.1, train_acc = train_acc, test_acc = test_acc }
end

-- Figure 6-23: a 784-(100×6)-10 MultiLayerNetExtend with Dropout 0.2 on 300 images, the Trainer (SGD
-- lr 0.01, batch 100, 301 epochs times the scale).
function M.overfit_dropout(run)
  local x_train, t_train, x_test, t_test = overfit_data(run)
  local network = MultiLayerNetExtend.new(net_opts(6, { use_dropout = true, dropout_ration = 0.2 }), run.rng)
  local epochs = run:scaled(301)
  local bar = run:bar(floor(epochs * 3))
  local trainer = Trainer.new(network, x_train, t_train, x_test, t_test, {
    epochs = epochs, mini_batch_size = 100, optimizer = "sgd", optimizer_param = { lr = 0.01 }, rng = run.rng,
    on_step = function(tr, loss) bar:update(tr.current_iter + 1, "loss", loss) end,
  })
  trainer:train()
  bar:close()
  return { dropout_ratio = 0.2, train_acc = trainer.train_acc_list, test_acc = trainer.test_acc_list,
    train_loss = trainer.train_loss_list }
end

-- Figure 6-24: 100 trials (times the scale) of weight decay 10^U(−8, −4) and lr 10^U(−6, −2) on a
-- 784-(100×6)-10 network, the Trainer for 50 epochs (times the scale) on 400 of the first 500 images
-- (shuffled), validated on the other 100.
function M.hyperparameter_optimization(run)
  local data = run:data()
  local perm = run.rng:permutation(500)
  local val, rest = {}, {}
  for k, i in ipairs(perm) do
    if k <= 100 then val[k] = i else rest[k - 100] = i end
  end
  local x_val, t_val = rows(data.train_images, data.train_labels, val)
  local x_train, t_train = rows(data.train_images, data.train_labels, rest)
  local trials, epochs = run:scaled(100), run:scaled(50)
  local bar, results = run:bar(trials), {}
  for k = 1, trials do
    local weight_decay = 10 ^ (-8 + 4 * run.rng:next())
    local lr = 10 ^ (-6 + 4 * run.rng:next())
    local network = MultiLayerNet.new(net_opts(6, { weight_decay_lambda = weight_decay }), run.rng)
    local trainer = Trainer.new(network, x_train, t_train, x_val, t_val, {
      epochs = epochs, mini_batch_size = 100, optimizer = "sgd", optimizer_param = { lr = lr }, rng = run.rng,
    })
    trainer:train()
    results[k] = { lr = lr, weight_decay = weight_decay, val_acc = trainer.test_acc_list,
      train_acc = trainer.train_acc_list }
    bar:update(k, "val", trainer.test_acc_list[#trainer.test_acc_list])
  end
  bar:close()
  return { epochs = epochs, trials = results }
end

-- the experiments by name, in the book's order; reads_images: whether it needs the data set
M.NAMES = { "optimizer_compare_naive", "optimizer_compare_mnist", "weight_init_activation_histogram",
  "weight_init_compare", "batch_norm_test", "overfit_weight_decay", "overfit_dropout", "hyperparameter_optimization" }
M.READS_IMAGES = {
  optimizer_compare_naive = false, weight_init_activation_histogram = false, optimizer_compare_mnist = true,
  weight_init_compare = true, batch_norm_test = true, overfit_weight_decay = true, overfit_dropout = true,
  hyperparameter_optimization = true,
}

return M
