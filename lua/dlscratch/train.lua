-- The book's training loop (train_neuralnet.py) for TwoLayerNet.
-- One generator seeded with `seed` draws W1, then W2, then every batch:
--   for i = 0 .. iters-1:
--     idx = choice(train_size, batch_size); grads = backprop on the batch;
--     optimizer update; record the loss of the same batch after the update.
local class = require("dlscratch.class")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")

local M = {}

-- region: train_loop
-- part: helper
-- rows of x (a tensor N x D or N x C x H x W, or a dataset with :rows) at 0-based indices.
local function batch_rows(x, idx)
  if x.rows then return x:rows(idx) end
  local shape = tensor.copy_list(x.shape)
  local d = math.floor(x.size / shape[1])
  local s, out = x.data, {}
  for r = 1, #idx do
    local src, dst = idx[r] * d, (r - 1) * d
    for c = 1, d do out[dst + c] = s[src + c] end
  end
  shape[1] = #idx
  return tensor.new(shape, out)
end
M.batch_rows = batch_rows

local function batch_labels(t, idx)
  local out = {}
  for r = 1, #idx do out[r] = t[idx[r] + 1] end
  return tensor.new({ #idx }, out)
end

-- part: init
-- Loop: the loop of train_two_layer_net, one iteration at a time, so that a run can stop after any
-- iteration and continue from its state (network, optimizer, rng, current_iter, loss_history).
local Loop = class()
M.Loop = Loop

-- Loop.new(x_train, t_train, opts): x_train: N x D tensor or a dataset (n, cols, :rows(idx));
-- t_train: a list of N 0-based labels; opts: hidden_size, output_size, weight_init_std (0.01),
-- lr (0.1), batch_size (100), iters, seed (0), optimizer ("sgd"), hyper ({}, lr taken from opts.lr
-- when absent). One generator seeded with seed draws W1, W2, then every batch.
function Loop.new(x_train, t_train, opts)
  local rng = rng_mod.new(opts.seed or 0)
  local net = networks.TwoLayerNet.new(x_train.cols or x_train.shape[2], opts.hidden_size, opts.output_size,
    opts.weight_init_std or 0.01, rng)
  local hyper = {}
  for k, v in pairs(opts.hyper or {}) do hyper[k] = v end
  if hyper.lr == nil then hyper.lr = opts.lr or 0.1 end
  return setmetatable({
    x_train = x_train, t_train = t_train, train_size = x_train.n or x_train.shape[1],
    batch_size = opts.batch_size or 100, iters = opts.iters, network = net, rng = rng,
    optimizer = optimizers.create(opts.optimizer or "sgd", hyper), current_iter = 0, loss_history = {},
  }, Loop)
end

-- part: step
-- step(): iteration current_iter: idx = choice(train_size, batch_size), the gradient on that batch,
-- the update, then the loss of the same batch (recorded); returns the loss.
function Loop:step()
  local idx = self.rng:choice(self.train_size, self.batch_size)
  local x_batch, t_batch = batch_rows(self.x_train, idx), batch_labels(self.t_train, idx)
  local net = self.network
  self.optimizer:update(net.params, net:gradient(x_batch, t_batch))
  local loss = net:loss(x_batch, t_batch)
  self.current_iter = self.current_iter + 1
  self.loss_history[self.current_iter] = loss
  return loss
end

-- part: train
-- run(on_iter): the iterations current_iter .. iters-1; on_iter(i, network, loss) after each, and a
-- true result stops the loop after that iteration. Whether every iteration was done.
function Loop:run(on_iter)
  while self.current_iter < self.iters do
    local i = self.current_iter
    local loss = self:step()
    if on_iter and on_iter(i, self.network, loss) then return self.current_iter == self.iters end
  end
  return true
end

-- two_layer_net(x_train, t_train, opts, on_iter): the whole loop of Loop.new's opts.
-- Returns {loss_history, params, network}.
function M.two_layer_net(x_train, t_train, opts, on_iter)
  local loop = Loop.new(x_train, t_train, opts)
  loop:run(on_iter)
  return { loss_history = loop.loss_history, params = loop.network.params, network = loop.network }
end

M.train_two_layer_net = M.two_layer_net

-- part: epoch
-- The book's epochs: iter_per_epoch = max(train_size / batch_size, 1) by true
-- (float) division, and an evaluation after iteration i (0-based) when
-- i mod iter_per_epoch == 0, the remainder exact: math.fmod, not LuaJIT's %
-- (a - floor(a/b)·b rounds: 8 % (8/3) is 0 there, fmod gives 4.4e-16).
function M.iter_per_epoch(train_size, batch_size)
  return math.max(train_size / batch_size, 1.0)
end

function M.epoch_end(i, iter_per_epoch)
  return math.fmod(i, iter_per_epoch) == 0
end
-- endregion

-- region: save_params
-- The book's save_params / load_params in the portable format of shared_tests/README.md §8:
-- {"format": "dlscratch-params", "version": 1, "port", "network", "params": {key: {"shape", "data"}}},
-- each array's data in row-major order, the keys in the network's order W1, b1, W2, b2, ...

-- ordered(list): the JSON object of the {key, JSON text} pairs in list, in that order
function M.ordered(list)
  local parts = {}
  for i, kv in ipairs(list) do parts[i] = jsonio.encode(kv[1]) .. ": " .. kv[2] end
  return "{" .. table.concat(parts, ", ") .. "}"
end

-- param_keys(params): the keys W1, b1, W2, b2, ... in the network's order (by index, W before b)
function M.param_keys(params)
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = k end
  local function rank(k) return tonumber(k:match("%d+$")) * 2 + (k:sub(1, 1) == "W" and 0 or 1) end
  table.sort(keys, function(a, b) return rank(a) < rank(b) end)
  return keys
end

-- save_params(path, port, network, params): writes the parameters file; network is the JSON text of the
-- network object. Returns true, or nil and the reason the file cannot be written.
-- arrays_text(arrays, keys): the JSON object {key: {"shape": [...], "data": [...]}} of the tensors of arrays,
-- in the order of keys (default: param_keys), each number written so that it reads back to the same double
function M.arrays_text(arrays, keys)
  local parts = {}
  for i, key in ipairs(keys or M.param_keys(arrays)) do
    local p, data = arrays[key], {}
    for k = 1, p.size do data[k] = jsonio.number(p.data[k]) end
    parts[i] = { key, M.ordered({ { "shape", jsonio.encode(jsonio.array(tensor.copy_list(p.shape))) },
      { "data", "[" .. table.concat(data, ", ") .. "]" } }) }
  end
  return M.ordered(parts)
end

-- write_text(path, text): the file holds text and a newline; true, or nil and why it cannot be written
function M.write_text(path, text)
  local f, err = io.open(path, "w")
  if not f then return nil, err end
  local ok, write_err = f:write(text, "\n")
  f:close()
  if not ok then return nil, write_err end
  return true
end

function M.save_params(path, port, network, params)
  return M.write_text(path, M.ordered({ { "format", '"dlscratch-params"' }, { "version", "1" },
    { "port", jsonio.encode(port) }, { "network", network }, { "params", M.arrays_text(params) } }))
end

-- read_params(path): the decoded JSON of a parameters file and the keys of its params in the order
-- written (nil when it has no params object), or nil and why the file cannot be read as JSON. The
-- validator (hook model_file) checks what it holds.
function M.read_params(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text, read_err = f:read("*a")
  f:close()
  if text == nil then return nil, read_err end
  local record, msg = jsonio.decode(text)
  if record == nil then return nil, msg end
  return record, jsonio.member_keys(text, "params")
end
-- endregion

return M
