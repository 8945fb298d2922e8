-- The book's networks: the 3-layer forward network (3.4.3), simpleNet (4.4.2),
-- TwoLayerNet (chapter 5), MultiLayerNet (common/multi_layer_net.py) and
-- MultiLayerNetExtend (common/multi_layer_net_extend.py), SimpleConvNet (ch07/simple_convnet.py),
-- DeepConvNet (ch08/deep_convnet.py).
-- Parameters live in a table of named tensors, e.g. params.W1, params.b1.
local tensor = require("dlscratch.tensor")
local functions = require("dlscratch.functions")
local layers = require("dlscratch.layers")
local gradient = require("dlscratch.gradient")
local rng_mod = require("dlscratch.rng")
local class = require("dlscratch.class")
local util = require("dlscratch.util")

local floor, min, sqrt = math.floor, math.min, math.sqrt

local M = {}

-- region: net3
-- region: simple_net
-- part: helper
-- x·W + b for a 1-D x (one sample, 1-D result) or a 2-D x (N rows).
local function dot_add(x, W, b)
  local out = tensor.matmul(functions.as_batch(x), W)
  if b then out = tensor.add_row(out, b) end
  if x:ndim() == 1 then return out:reshape({ W.shape[2] }) end
  return out
end
M.dot_add = dot_add
-- endregion
-- endregion

---------------------------------------------------------------------------
-- region: net3
-- net3: the book's 3-layer network with fixed weights.
M.net3 = {}

function M.net3.init()
  return {
    W1 = tensor.from_rows({ { 0.1, 0.3, 0.5 }, { 0.2, 0.4, 0.6 } }),
    b1 = tensor.from_list({ 0.1, 0.2, 0.3 }),
    W2 = tensor.from_rows({ { 0.1, 0.4 }, { 0.2, 0.5 }, { 0.3, 0.6 } }),
    b2 = tensor.from_list({ 0.1, 0.2 }),
    W3 = tensor.from_rows({ { 0.1, 0.3 }, { 0.2, 0.4 } }),
    b3 = tensor.from_list({ 0.1, 0.2 }),
  }
end

-- forward: a1 = x·W1 + b1, z1 = sigmoid(a1), a2 = z1·W2 + b2, z2 = sigmoid(a2),
-- a3 = z2·W3 + b3, y = identity(a3) or softmax(a3).
function M.net3.forward(network, x, output)
  local r = {}
  r.a1 = dot_add(x, network.W1, network.b1)
  r.z1 = functions.sigmoid(r.a1)
  r.a2 = dot_add(r.z1, network.W2, network.b2)
  r.z2 = functions.sigmoid(r.a2)
  r.a3 = dot_add(r.z2, network.W3, network.b3)
  if output == "softmax" then
    r.y = functions.softmax(r.a3)
  else
    r.y = functions.identity(r.a3)
  end
  return r
end
-- endregion

---------------------------------------------------------------------------
-- region: simple_net
-- SimpleNet (4.4.2): predict = x·W, loss = cross_entropy_error(softmax(x·W), t).
local SimpleNet = class()
M.SimpleNet = SimpleNet

-- part: init
function SimpleNet.new(W)
  return setmetatable({ W = W }, SimpleNet)
end

-- part: predict
function SimpleNet:predict(x)
  return dot_add(x, self.W, nil)
end

-- part: loss
function SimpleNet:loss(x, t)
  local y = functions.softmax(self:predict(x))
  return functions.cross_entropy_error(y, t)
end

-- part: numerical_gradient
function SimpleNet:numerical_gradient(x, t)
  return gradient.numerical_gradient(function() return self:loss(x, t) end, self.W)
end
-- endregion

---------------------------------------------------------------------------
-- region: two_layer_net
-- part: helper
-- region: multi_layer_net
-- part: init
-- init_weights(rng, sizes, std): W_i = std_i · randn(sizes[i], sizes[i+1]),
-- drawn in order W1, W2, ...; biases zeros. std is a number or "he"/"relu"
-- (sqrt(2 / n_in)) or "xavier"/"sigmoid" (sqrt(1 / n_in)).
local function init_weights(rng, sizes, std)
  local params = {}
  for i = 1, #sizes - 1 do
    local scale = M.init_scale(std, sizes[i])
    local z = rng:randn({ sizes[i], sizes[i + 1] })
    local d = z.data
    for k = 1, z.size do d[k] = scale * d[k] end
    params["W" .. i] = tensor.dense(z)
    params["b" .. i] = tensor.zeros({ sizes[i + 1] })
  end
  return params
end
M.init_weights = init_weights
-- endregion

-- accuracy of scores y (N x C) against labels or one-hot t: mean(argmax(y) == t).
local function accuracy(y, t)
  local pred = tensor.argmax_rows(y)
  local labels = functions.labels(y, t)
  local hits = 0
  for i = 1, #pred do if pred[i] == labels[i] then hits = hits + 1 end end
  return hits / y.shape[1]
end
M.accuracy = accuracy
-- endregion

---------------------------------------------------------------------------
-- region: two_layer_net
-- TwoLayerNet: Affine1 -> Relu -> Affine2 -> SoftmaxWithLoss.
local TwoLayerNet = class()
M.TwoLayerNet = TwoLayerNet

-- part: init
-- new(input_size, hidden_size, output_size, weight_init_std, seed or rng):
-- draws W1 then W2 from one generator (a seed or an existing generator).
function TwoLayerNet.new(input_size, hidden_size, output_size, weight_init_std, seed)
  local rng = type(seed) == "table" and seed or rng_mod.new(seed or 0)
  local params = init_weights(rng, { input_size, hidden_size, output_size }, weight_init_std or 0.01)
  return TwoLayerNet.from_params(params)
end

-- from_params(params): a net around given W1 (D x H), b1 (H), W2 (H x C), b2 (C).
function TwoLayerNet.from_params(params)
  local self = setmetatable({ params = params }, TwoLayerNet)
  self.affine1 = layers.Affine.new(params.W1, params.b1)
  self.relu1 = layers.Relu.new()
  self.affine2 = layers.Affine.new(params.W2, params.b2)
  self.last_layer = layers.SoftmaxWithLoss.new()
  self.layers = { self.affine1, self.relu1, self.affine2 }
  return self
end

-- part: predict
function TwoLayerNet:predict(x)
  for _, layer in ipairs(self.layers) do x = layer:forward(x) end
  return x
end

-- part: loss
function TwoLayerNet:loss(x, t)
  return self.last_layer:forward(self:predict(x), t)
end

-- part: accuracy
function TwoLayerNet:accuracy(x, t)
  return accuracy(self:predict(x), t)
end

-- part: gradient
-- gradient(x, t): backprop through every layer, the first Affine's dx included.
function TwoLayerNet:gradient(x, t)
  self:loss(x, t)
  local dout = self.last_layer:backward()
  for i = #self.layers, 1, -1 do dout = self.layers[i]:backward(dout) end
  return { W1 = self.affine1.dW, b1 = self.affine1.db, W2 = self.affine2.dW, b2 = self.affine2.db }
end

-- part: numerical_gradient
function TwoLayerNet:numerical_gradient(x, t)
  local loss_W = function() return self:loss(x, t) end
  local grads = {}
  for _, k in ipairs({ "W1", "b1", "W2", "b2" }) do
    grads[k] = gradient.numerical_gradient(loss_W, self.params[k])
  end
  return grads
end
-- endregion

---------------------------------------------------------------------------
-- region: multi_layer_net
-- MultiLayerNet: (Affine, activation) per hidden layer, a last Affine,
-- SoftmaxWithLoss; loss += Σ_i 0.5·λ·Σ W_i², dW_i += λ·W_i.
local MultiLayerNet = class()
M.MultiLayerNet = MultiLayerNet

-- part: init
-- new({input_size, hidden_size_list, output_size, activation, weight_init_std,
-- weight_decay_lambda, seed, params}, rng): params given replace the drawn ones,
-- which come from rng (default: a generator seeded with seed, default 0).
function MultiLayerNet.new(opts, rng)
  return setmetatable({}, MultiLayerNet):build(opts, opts.params or MultiLayerNet.draw(opts, rng))
end

-- draw(opts, rng): W_i = std_i·randn(S_{i-1}, S_i) in order, b_i = zeros, S = [input, *hidden, output].
function MultiLayerNet.draw(opts, rng)
  local sizes = { opts.input_size }
  for _, h in ipairs(opts.hidden_size_list) do sizes[#sizes + 1] = h end
  sizes[#sizes + 1] = opts.output_size
  return init_weights(rng or rng_mod.new(opts.seed or 0), sizes, opts.weight_init_std or "relu")
end

-- build(opts, params): the layers around params, Affine_i then self:hidden_layers(i, activation) for
-- each hidden layer, a last Affine.
function MultiLayerNet:build(opts, params)
  local activation = opts.activation or "relu"
  self.params, self.n_affine = params, #opts.hidden_size_list + 1
  self.lambda, self.layers, self.affines = opts.weight_decay_lambda or 0, {}, {}
  for i = 1, self.n_affine do
    local affine = layers.Affine.new(params["W" .. i], params["b" .. i])
    self.affines[i] = affine
    self.layers[#self.layers + 1] = affine
    if i < self.n_affine then
      self:hidden_layers(i, activation == "relu" and layers.Relu.new() or layers.Sigmoid.new())
    end
  end
  self.last_layer = layers.SoftmaxWithLoss.new()
  return self
end

-- part: layers
-- hidden_layers(i, activation): the layers after Affine_i: the activation alone.
function MultiLayerNet:hidden_layers(_, activation)
  self.layers[#self.layers + 1] = activation
end

-- part: predict
-- predict(x, train_flg): every layer in order; train_flg reaches the layers that
-- have a mode (MultiLayerNetExtend's), the others ignore it.
function MultiLayerNet:predict(x, train_flg)
  for _, layer in ipairs(self.layers) do x = layer:forward(x, train_flg) end
  return x
end

-- part: loss
function MultiLayerNet:loss(x, t, train_flg)
  local y = self:predict(x, train_flg)
  local weight_decay = 0.0
  for i = 1, self.n_affine do
    weight_decay = weight_decay + 0.5 * self.lambda * gradient.function_2(self.params["W" .. i])
  end
  return self.last_layer:forward(y, t) + weight_decay
end

-- part: accuracy
function MultiLayerNet:accuracy(x, t)
  return accuracy(self:predict(x), t)
end

-- part: gradient
-- gradient(x, t): backprop through a training-mode pass.
function MultiLayerNet:gradient(x, t)
  self:loss(x, t, true)
  local dout = self.last_layer:backward()
  for i = #self.layers, 1, -1 do dout = self.layers[i]:backward(dout) end
  local grads = {}
  for i = 1, self.n_affine do
    local a = self.affines[i]
    local dW, W, lambda = a.dW.data, a.W.data, self.lambda
    for k = 1, a.dW.size do dW[k] = dW[k] + lambda * W[k] end
    grads["W" .. i], grads["b" .. i] = a.dW, a.db
  end
  return grads
end

-- part: numerical_gradient
-- numerical_gradient(x, t): central differences of the training-mode loss over
-- every parameter (each result is independent of the order of the parameters).
function MultiLayerNet:numerical_gradient(x, t)
  local loss_W = function() return self:loss(x, t, true) end
  local grads = {}
  for k, p in pairs(self.params) do grads[k] = gradient.numerical_gradient(loss_W, p) end
  return grads
end

-- part: helper
-- init_scale(std, n_in): the number itself, sqrt(2/n_in) for "he"/"relu",
-- sqrt(1/n_in) for "xavier"/"sigmoid", names in any case (the book's
-- str(weight_init_std).lower()).
function M.init_scale(std, n_in)
  if type(std) == "string" then std = std:lower() end
  if std == "relu" or std == "he" then return sqrt(2.0 / n_in) end
  if std == "sigmoid" or std == "xavier" then return sqrt(1.0 / n_in) end
  return std
end
-- endregion

---------------------------------------------------------------------------
-- region: multi_layer_net_extend
-- MultiLayerNetExtend (common/multi_layer_net_extend.py): MultiLayerNet whose
-- hidden layer i is Affine_i -> [BatchNorm_i] -> activation -> [Dropout_i];
-- gamma_i = 1, beta_i = 0 with batch norm. Each training-mode pass draws its
-- Dropout masks from one generator seeded with dropout_seed, layer by layer,
-- so repeated passes (the numerical gradient) see the same masks.
local MultiLayerNetExtend = class(MultiLayerNet)
M.MultiLayerNetExtend = MultiLayerNetExtend

-- part: init
-- new(opts, rng): opts as MultiLayerNet's, plus use_dropout (false), dropout_ration (0.5),
-- use_batchnorm (false), running_stats (running_mean{i}, running_var{i}; absent: zeros
-- at the first pass) and dropout_seed (the masks' seed; default: seed, else 0).
function MultiLayerNetExtend.new(opts, rng)
  local params = opts.params
  if params == nil then
    params = MultiLayerNet.draw(opts, rng)
    for i, size in ipairs(opts.use_batchnorm and opts.hidden_size_list or {}) do
      params["gamma" .. i], params["beta" .. i] = tensor.full({ size }, 1.0), tensor.zeros({ size })
    end
  end
  local self = setmetatable({
    use_dropout = opts.use_dropout or false, use_batchnorm = opts.use_batchnorm or false,
    dropout_ratio = opts.dropout_ration or 0.5, dropout_seed = opts.dropout_seed or opts.seed or 0,
    running_stats = {}, batch_norms = {}, dropouts = {},
  }, MultiLayerNetExtend)
  self.given_stats = opts.running_stats or {}
  return self:build(opts, params)
end

-- part: layers
function MultiLayerNetExtend:hidden_layers(i, activation)
  local list, p, stats = self.layers, self.params, self.given_stats
  if self.use_batchnorm then
    self.batch_norms[i] = layers.BatchNormalization.new(p["gamma" .. i], p["beta" .. i], 0.9,
      stats["running_mean" .. i], stats["running_var" .. i])
    list[#list + 1] = self.batch_norms[i]
  end
  list[#list + 1] = activation
  if self.use_dropout then
    self.dropouts[#self.dropouts + 1] = layers.Dropout.new(self.dropout_ratio)
    list[#list + 1] = self.dropouts[#self.dropouts]
  end
end

-- part: predict
-- predict(x, train_flg): test mode unless train_flg (the book's default); a training-mode
-- pass gives the Dropout layers one generator seeded with dropout_seed. running_stats then
-- holds running_mean{i} and running_var{i} of every batch-norm layer after the pass.
function MultiLayerNetExtend:predict(x, train_flg)
  local masks = train_flg and self.use_dropout and rng_mod.new(self.dropout_seed) or nil
  for _, dropout in ipairs(self.dropouts) do dropout.rng = masks end
  local y = MultiLayerNet.predict(self, x, train_flg)
  for i, bn in pairs(self.batch_norms) do
    self.running_stats["running_mean" .. i], self.running_stats["running_var" .. i] = bn.running_mean, bn.running_var
  end
  return y
end

-- part: gradient
-- gradient(x, t): MultiLayerNet's (a training-mode pass, dW_i + λ·W_i), and
-- dgamma_i, dbeta_i of each batch-norm layer.
function MultiLayerNetExtend:gradient(x, t)
  local grads = MultiLayerNet.gradient(self, x, t)
  for i, bn in pairs(self.batch_norms) do grads["gamma" .. i], grads["beta" .. i] = bn.dgamma, bn.dbeta end
  return grads
end
-- endregion

---------------------------------------------------------------------------
-- region: simple_conv_net
-- SimpleConvNet (7.5): Convolution(W1, b1, stride, pad) -> Relu -> Pooling(2, 2, stride 2) ->
-- Affine(W2, b2) -> Relu -> Affine(W3, b3) -> SoftmaxWithLoss, drawn from one generator in order
-- W1 = std·randn(FN, C, FS, FS), W2 = std·randn(FN·PH·PW, hidden), W3 = std·randn(hidden, output),
-- zero biases; PH x PW is the pooled size, (conv output) // 2 on each side.
local SimpleConvNet = class()
M.SimpleConvNet = SimpleConvNet

-- the book's conv_param: 30 filters of 5 x 5, no padding, stride 1
M.CONV_PARAM = { filter_num = 30, filter_size = 5, pad = 0, stride = 1 }
-- accuracy predicts this many samples at a time
M.ACCURACY_BATCH = 100

-- drawn(rng, shape, std) = std·randn(shape)
local function drawn(rng, shape, std)
  local z = rng:randn(shape)
  local d = z.data
  for k = 1, z.size do d[k] = std * d[k] end
  return tensor.dense(z)
end

-- part: init
-- new({input_dim ({1, 28, 28}), conv_param (fields missing take CONV_PARAM's), hidden_size (100),
-- output_size (10), weight_init_std (0.01), seed (0), params}, rng): params given replace the drawn
-- ones, which come from rng (default: a generator seeded with seed).
function SimpleConvNet.new(opts, rng)
  local dim, given, conv = opts.input_dim or { 1, 28, 28 }, opts.conv_param or {}, {}
  for k, v in pairs(M.CONV_PARAM) do conv[k] = given[k] or v end
  local fn, fs, hidden, output = conv.filter_num, conv.filter_size, opts.hidden_size or 100, opts.output_size or 10
  local params = opts.params
  if params == nil then
    local ph = floor(util.conv_output_size(dim[2], fs, conv.stride, conv.pad) / 2)
    local pw = floor(util.conv_output_size(dim[3], fs, conv.stride, conv.pad) / 2)
    local std = opts.weight_init_std or 0.01
    rng = rng or rng_mod.new(opts.seed or 0)
    params = { W1 = drawn(rng, { fn, dim[1], fs, fs }, std), b1 = tensor.zeros({ fn }) }
    params.W2, params.b2 = drawn(rng, { fn * ph * pw, hidden }, std), tensor.zeros({ hidden })
    params.W3, params.b3 = drawn(rng, { hidden, output }, std), tensor.zeros({ output })
  end
  local self = setmetatable({ params = params, output_size = output }, SimpleConvNet)
  self.conv1 = layers.Convolution.new(params.W1, params.b1, conv.stride, conv.pad)
  self.affine1 = layers.Affine.new(params.W2, params.b2)
  self.affine2 = layers.Affine.new(params.W3, params.b3)
  self.layers = { self.conv1, layers.Relu.new(), layers.Pooling.new(2, 2, 2), self.affine1, layers.Relu.new(),
    self.affine2 }
  self.last_layer = layers.SoftmaxWithLoss.new()
  return self
end

-- part: predict
function SimpleConvNet:predict(x)
  for _, layer in ipairs(self.layers) do x = layer:forward(x) end
  return x
end

-- part: loss
function SimpleConvNet:loss(x, t)
  return self.last_layer:forward(self:predict(x), t)
end

-- part: accuracy
-- accuracy(x, t): the fraction of all N samples whose argmax is t, predicted ACCURACY_BATCH at a
-- time, a last partial batch included; x is a tensor or a dataset (x.shape, x:range(first, count)).
function SimpleConvNet:accuracy(x, t)
  local n = x.shape[1]
  local labels = functions.labels(tensor.new({ n, self.output_size }, {}), t)
  local hits = 0
  for first = 0, n - 1, M.ACCURACY_BATCH do
    local count = min(M.ACCURACY_BATCH, n - first)
    local pred = tensor.argmax_rows(self:predict(x:range(first, count)))
    for i = 1, count do if pred[i] == labels[first + i] then hits = hits + 1 end end
  end
  return hits / n
end

-- part: gradient
-- gradient(x, t): backprop, the layers' backward in reverse order.
function SimpleConvNet:gradient(x, t)
  self:loss(x, t)
  local dout = self.last_layer:backward()
  for i = #self.layers, 1, -1 do dout = self.layers[i]:backward(dout) end
  self.dx = dout
  return { W1 = self.conv1.dW, b1 = self.conv1.db, W2 = self.affine1.dW, b2 = self.affine1.db,
    W3 = self.affine2.dW, b3 = self.affine2.db }
end

-- part: numerical_gradient
-- numerical_gradient(x, t): central differences of the loss over W1, b1, W2, b2, W3, b3.
function SimpleConvNet:numerical_gradient(x, t)
  local loss_W = function() return self:loss(x, t) end
  local grads = {}
  for _, k in ipairs({ "W1", "b1", "W2", "b2", "W3", "b3" }) do
    grads[k] = gradient.numerical_gradient(loss_W, self.params[k])
  end
  return grads
end
-- endregion

---------------------------------------------------------------------------
-- region: deep_conv_net
-- DeepConvNet (8.1, ch08/deep_convnet.py): (Convolution -> Relu -> Convolution -> Relu ->
-- Pooling(2, 2, stride 2)) three times with 16, 16, 32, 32, 64, 64 filters of 3 x 3, stride 1,
-- then Affine(W7, b7) -> Relu -> Dropout(0.5) -> Affine(W8, b8) -> Dropout(0.5) -> SoftmaxWithLoss.
-- W_i = sqrt(2 / n_i)·randn, n_i a unit's inputs (C·9, 16·9, 16·9, 32·9, 32·9, 64·9, 64·PH·PW,
-- hidden), drawn W1 .. W8 in order; zero biases. A training-mode pass draws both Dropout masks from
-- one generator seeded with dropout_seed, the N x hidden one first.
local DeepConvNet = class()
M.DeepConvNet = DeepConvNet
DeepConvNet.use_dropout = true

-- the six convolutions {filter_num, pad}, a pooling after the 2nd, 4th and 6th
M.DEEP_CONVS = { { 16, 1 }, { 16, 1 }, { 32, 1 }, { 32, 2 }, { 64, 1 }, { 64, 1 } }
local DEEP_POOL_AFTER = { [2] = true, [4] = true, [6] = true }

-- deep_conv_sizes(h, w): the image size {h, w} after each convolution (s + 2·pad − 2) and each
-- pooling (s // 2), in order; the last is PH x PW.
function M.deep_conv_sizes(h, w)
  local sizes = {}
  for i, conv in ipairs(M.DEEP_CONVS) do
    h, w = h + 2 * conv[2] - 2, w + 2 * conv[2] - 2
    sizes[#sizes + 1] = { h, w }
    if DEEP_POOL_AFTER[i] then
      h, w = floor(h / 2), floor(w / 2)
      sizes[#sizes + 1] = { h, w }
    end
  end
  return sizes
end

-- part: init
-- new({input_dim ({1, 28, 28}), hidden_size (50), output_size (10), seed (0), params, dropout_seed (0)},
-- rng): params given replace the drawn ones, which come from rng (default: a generator seeded with seed).
function DeepConvNet.new(opts, rng)
  local dim, hidden, output = opts.input_dim or { 1, 28, 28 }, opts.hidden_size or 50, opts.output_size or 10
  local params = opts.params
  if params == nil then
    local sizes = M.deep_conv_sizes(dim[2], dim[3])
    local ph, pw = sizes[#sizes][1], sizes[#sizes][2]
    rng = rng or rng_mod.new(opts.seed or 0)
    params = {}
    local channels = dim[1]
    for i, conv in ipairs(M.DEEP_CONVS) do
      params["W" .. i] = drawn(rng, { conv[1], channels, 3, 3 }, sqrt(2.0 / (channels * 9)))
      params["b" .. i] = tensor.zeros({ conv[1] })
      channels = conv[1]
    end
    params.W7, params.b7 = drawn(rng, { channels * ph * pw, hidden }, sqrt(2.0 / (channels * ph * pw))),
      tensor.zeros({ hidden })
    params.W8, params.b8 = drawn(rng, { hidden, output }, sqrt(2.0 / hidden)), tensor.zeros({ output })
  end
  local self = setmetatable({ params = params, output_size = output, dropout_seed = opts.dropout_seed or 0,
    layers = {}, weighted = {}, dropouts = {} }, DeepConvNet)
  local list = self.layers
  local function add(layer, kind)
    list[#list + 1] = layer
    if kind then table.insert(self[kind], layer) end
  end
  for i, conv in ipairs(M.DEEP_CONVS) do
    add(layers.Convolution.new(params["W" .. i], params["b" .. i], 1, conv[2]), "weighted")
    add(layers.Relu.new())
    if DEEP_POOL_AFTER[i] then add(layers.Pooling.new(2, 2, 2)) end
  end
  add(layers.Affine.new(params.W7, params.b7), "weighted")
  add(layers.Relu.new())
  add(layers.Dropout.new(0.5), "dropouts")
  add(layers.Affine.new(params.W8, params.b8), "weighted")
  add(layers.Dropout.new(0.5), "dropouts")
  self.last_layer = layers.SoftmaxWithLoss.new()
  return self
end

-- part: predict
-- predict(x, train_flg): test mode unless train_flg (each Dropout then multiplies by 1 − 0.5).
function DeepConvNet:predict(x, train_flg)
  local masks = train_flg and rng_mod.new(self.dropout_seed) or nil
  for _, dropout in ipairs(self.dropouts) do dropout.rng = masks end
  for _, layer in ipairs(self.layers) do x = layer:forward(x, train_flg) end
  return x
end

-- part: loss
-- loss(x, t, train_flg): the book's loss is a training-mode pass unless train_flg is false.
function DeepConvNet:loss(x, t, train_flg)
  if train_flg == nil then train_flg = true end
  return self.last_layer:forward(self:predict(x, train_flg), t)
end

-- accuracy(x, t): SimpleConvNet's: every sample, ACCURACY_BATCH at a time, in test mode.
DeepConvNet.accuracy = SimpleConvNet.accuracy

-- part: gradient
-- gradient(x, t): backprop through a training-mode pass; W_i, b_i of the i-th Convolution or Affine.
function DeepConvNet:gradient(x, t)
  self:loss(x, t, true)
  local dout = self.last_layer:backward()
  for i = #self.layers, 1, -1 do dout = self.layers[i]:backward(dout) end
  local grads = {}
  for i, layer in ipairs(self.weighted) do grads["W" .. i], grads["b" .. i] = layer.dW, layer.db end
  return grads
end
-- endregion

-- NETWORKS[kind](opts, rng): the networks a Trainer can train, by the name of their ops, the weights drawn from rng.
M.NETWORKS = {
  two_layer_net = function(o, rng)
    return TwoLayerNet.new(o.input_size, o.hidden_size, o.output_size, o.weight_init_std, rng)
  end,
  multi_layer_net = MultiLayerNet.new,
  multi_layer_net_extend = MultiLayerNetExtend.new,
  simple_conv_net = SimpleConvNet.new,
  deep_conv_net = DeepConvNet.new,
}

-- the book's names
-- region: net3
M.init_network = M.net3.init
M.forward_trace = M.net3.forward
function M.forward(network, x) return M.net3.forward(network, x).y end
-- endregion
-- region: simple_net
M.simpleNet = SimpleNet
-- endregion
-- region: two_layer_net
M.accuracy_of = accuracy
-- endregion

return M
