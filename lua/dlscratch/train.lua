-- The book's training loop (train_neuralnet.py) for TwoLayerNet.
-- One generator seeded with `seed` draws W1, then W2, then every batch:
--   for i = 0 .. iters-1:
--     idx = choice(train_size, batch_size); grads = backprop on the batch;
--     optimizer update; record the loss of the same batch after the update.
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")

local M = {}

-- region: train_loop
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

-- two_layer_net(x_train, t_train, opts, on_iter):
-- x_train: N x D tensor or a dataset (n, cols, :rows(idx)); t_train: a list of
-- N 0-based labels; opts: hidden_size, output_size, weight_init_std (0.01),
-- lr (0.1), batch_size (100), iters, seed (0), optimizer ("sgd"), hyper ({},
-- lr taken from opts.lr when absent). on_iter(i, network, loss) after each
-- iteration. Returns {loss_history, params, network}.
function M.two_layer_net(x_train, t_train, opts, on_iter)
  local n = x_train.n or x_train.shape[1]
  local d = x_train.cols or x_train.shape[2]
  local rng = rng_mod.new(opts.seed or 0)
  local net = networks.TwoLayerNet.new(d, opts.hidden_size, opts.output_size,
    opts.weight_init_std or 0.01, rng)
  local hyper = {}
  for k, v in pairs(opts.hyper or {}) do hyper[k] = v end
  if hyper.lr == nil then hyper.lr = opts.lr or 0.1 end
  local opt = optimizers.create(opts.optimizer or "sgd", hyper)
  local batch_size = opts.batch_size or 100
  local history = {}
  for i = 0, opts.iters - 1 do
    local idx = rng:choice(n, batch_size)
    local x_batch = batch_rows(x_train, idx)
    local t_batch = batch_labels(t_train, idx)
    local grads = net:gradient(x_batch, t_batch)
    opt:update(net.params, grads)
    local loss = net:loss(x_batch, t_batch)
    history[i + 1] = loss
    if on_iter then on_iter(i, net, loss) end
  end
  return { loss_history = history, params = net.params, network = net }
end

M.train_two_layer_net = M.two_layer_net

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
function M.save_params(path, port, network, params)
  local arrays = {}
  for i, key in ipairs(M.param_keys(params)) do
    local p, data = params[key], {}
    for k = 1, p.size do data[k] = jsonio.number(p.data[k]) end
    arrays[i] = { key, M.ordered({ { "shape", jsonio.encode(jsonio.array(tensor.copy_list(p.shape))) },
      { "data", "[" .. table.concat(data, ", ") .. "]" } }) }
  end
  local f, err = io.open(path, "w")
  if not f then return nil, err end
  f:write(M.ordered({ { "format", '"dlscratch-params"' }, { "version", "1" }, { "port", jsonio.encode(port) },
    { "network", network }, { "params", M.ordered(arrays) } }), "\n")
  f:close()
  return true
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
