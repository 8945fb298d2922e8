-- Backpropagation layers (chapters 5 and 6, the book's common/layers.py).
-- Each layer is an object with :forward and :backward; the state needed by
-- backward is kept on the layer between the two calls.
local tensor = require("dlscratch.tensor")
local functions = require("dlscratch.functions")
local class = require("dlscratch.class")

local exp, sqrt = math.exp, math.sqrt
local copy_list = tensor.copy_list

local M = {}

---------------------------------------------------------------------------
-- region: relu_layer
-- Relu: out = max(0, x); mask = (x <= 0), dx = 0 there and dout elsewhere.
local Relu = class()
M.Relu = Relu

function Relu.new() return setmetatable({}, Relu) end

function Relu:forward(x)
  local s, out, mask = x.data, {}, {}
  for i = 1, x.size do
    local v = s[i]
    if v <= 0 then
      mask[i] = true; out[i] = 0.0
    else
      mask[i] = false; out[i] = v
    end
  end
  self.mask = mask
  return tensor.new(copy_list(x.shape), out)
end

function Relu:backward(dout)
  local s, dx, mask = dout.data, {}, self.mask
  for i = 1, dout.size do
    if mask[i] then dx[i] = 0.0 else dx[i] = s[i] end
  end
  return tensor.new(copy_list(dout.shape), dx)
end
-- endregion

---------------------------------------------------------------------------
-- region: sigmoid_layer
-- Sigmoid: out = 1 / (1 + exp(-x)); dx = dout·(1 - out)·out.
local Sigmoid = class()
M.Sigmoid = Sigmoid

function Sigmoid.new() return setmetatable({}, Sigmoid) end

function Sigmoid:forward(x)
  local s, out = x.data, {}
  for i = 1, x.size do out[i] = 1.0 / (1.0 + exp(-s[i])) end
  self.out = tensor.new(copy_list(x.shape), out)
  return self.out
end

function Sigmoid:backward(dout)
  local s, o, dx = dout.data, self.out.data, {}
  for i = 1, dout.size do dx[i] = s[i] * (1.0 - o[i]) * o[i] end
  return tensor.new(copy_list(dout.shape), dx)
end
-- endregion

---------------------------------------------------------------------------
-- region: affine
-- Affine: out = x·W + b with x reshaped to (N, D); dx = dout·Wᵀ (in x's
-- shape), dW = xᵀ·dout, db = Σ_rows dout. A 1-D x of length D is one sample.
local Affine = class()
M.Affine = Affine

function Affine.new(W, b)
  return setmetatable({ W = W, b = b }, Affine)
end

function Affine:forward(x)
  local D, nd = self.W.shape[1], x:ndim()
  local x2 = x:reshape({ nd == 1 and 1 or x.shape[1], D })
  self.x, self.x_shape = x2, copy_list(x.shape)
  local out = tensor.add_row(tensor.matmul(x2, self.W), self.b)
  if nd == 1 then out = out:reshape({ self.W.shape[2] }) end
  return out
end

function Affine:backward(dout)
  local d2 = dout:reshape({ self.x.shape[1], self.W.shape[2] })
  self.dW = tensor.matmul_tn(self.x, d2)
  self.db = tensor.col_sums(d2)
  return tensor.matmul_nt(d2, self.W):reshape(self.x_shape)
end
-- endregion

---------------------------------------------------------------------------
-- region: softmax_with_loss
-- SoftmaxWithLoss: y = softmax(x), loss = cross_entropy_error(y, t);
-- backward dx = (y - t) / N for a one-hot t, else y with 1 taken off at each
-- label, over N; dout is ignored. A 1-D x is a batch of one.
local SoftmaxWithLoss = class()
M.SoftmaxWithLoss = SoftmaxWithLoss

function SoftmaxWithLoss.new() return setmetatable({}, SoftmaxWithLoss) end

function SoftmaxWithLoss:forward(x, t)
  local x2 = functions.as_batch(x)
  self.t = t
  self.labels = functions.labels(x2, t)
  self.y = functions.softmax(x2)
  self.x_shape = copy_list(x.shape)
  self.loss = functions.cross_entropy_labels(self.y, self.labels)
  return self.loss
end

-- y in the input's shape (1-D for a 1-D x).
function SoftmaxWithLoss:output()
  return self.y:reshape(self.x_shape)
end

function SoftmaxWithLoss:backward()
  local n, c = self.y.shape[1], self.y.shape[2]
  local y, dx = self.y.data, {}
  if self.t.size == n * c then
    -- one-hot t: (y - t) / N
    local t = self.t.data
    for i = 1, n * c do dx[i] = (y[i] - t[i]) / n end
  else
    local labels = self.labels
    for i = 1, n * c do dx[i] = y[i] end
    for i = 1, n do
      local k = (i - 1) * c + labels[i] + 1
      dx[k] = dx[k] - 1.0
    end
    for i = 1, n * c do dx[i] = dx[i] / n end
  end
  return tensor.new(copy_list(self.x_shape), dx)
end
-- endregion

---------------------------------------------------------------------------
-- region: dropout
-- Dropout: train: mask = rand(x.shape) > ratio, out = x·mask, dx = dout·mask;
-- test: out = x·(1 - ratio), dx = dout·(1 - ratio).
local Dropout = class()
M.Dropout = Dropout

function Dropout.new(dropout_ratio, rng)
  return setmetatable({ ratio = dropout_ratio, rng = rng }, Dropout)
end

function Dropout:forward(x, train_flg)
  local s, out = x.data, {}
  self.train = train_flg
  if train_flg then
    local u = self.rng:uniform(x.size)
    local mask = {}
    for i = 1, x.size do
      mask[i] = u[i] > self.ratio and 1.0 or 0.0
      out[i] = s[i] * mask[i]
    end
    self.mask = mask
  else
    local k = 1.0 - self.ratio
    for i = 1, x.size do out[i] = s[i] * k end
  end
  return tensor.new(copy_list(x.shape), out)
end

function Dropout:backward(dout)
  local s, dx = dout.data, {}
  if self.train then
    local mask = self.mask
    for i = 1, dout.size do dx[i] = s[i] * mask[i] end
  else
    local k = 1.0 - self.ratio
    for i = 1, dout.size do dx[i] = s[i] * k end
  end
  return tensor.new(copy_list(dout.shape), dx)
end
-- endregion

---------------------------------------------------------------------------
-- region: batch_norm
-- BatchNormalization (eps = 10e-7), x reshaped to (N, D):
--   train: mu = mean_rows(x), xc = x - mu, var = mean_rows(xc²),
--          std = sqrt(var + eps), xn = xc / std, out = gamma·xn + beta,
--          running <- m·running + (1 - m)·batch statistic;
--   test:  xn = (x - running_mean) / sqrt(running_var + eps).
local EPS = 10e-7
local BatchNormalization = class()
M.BatchNormalization = BatchNormalization

function BatchNormalization.new(gamma, beta, momentum, running_mean, running_var)
  return setmetatable({
    gamma = gamma, beta = beta, momentum = momentum or 0.9,
    running_mean = running_mean, running_var = running_var,
  }, BatchNormalization)
end

function BatchNormalization:forward(x, train_flg)
  local n = x.shape[1]
  local D = math.floor(x.size / n)
  if self.running_mean == nil then self.running_mean = tensor.zeros({ D }) end
  if self.running_var == nil then self.running_var = tensor.zeros({ D }) end

  local xd, g, b = x.data, self.gamma.data, self.beta.data
  local xn, out = {}, {}
  self.x_shape, self.n, self.D, self.train = copy_list(x.shape), n, D, train_flg
  if train_flg then
    local mu = tensor.col_sums(x:reshape({ n, D })).data
    for j = 1, D do mu[j] = mu[j] / n end
    local xc, sq = {}, {}
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do
        local v = xd[base + j] - mu[j]
        xc[base + j] = v
        sq[base + j] = v * v
      end
    end
    local var = tensor.col_sums(tensor.new({ n, D }, sq)).data
    local std = {}
    for j = 1, D do
      var[j] = var[j] / n
      std[j] = sqrt(var[j] + EPS)
    end
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do xn[base + j] = xc[base + j] / std[j] end
    end
    self.xc, self.std = xc, std
    local m, rm, rv = self.momentum, {}, {}
    local orm, orv = self.running_mean.data, self.running_var.data
    for j = 1, D do
      rm[j] = m * orm[j] + (1 - m) * mu[j]
      rv[j] = m * orv[j] + (1 - m) * var[j]
    end
    self.running_mean, self.running_var = tensor.new({ D }, rm), tensor.new({ D }, rv)
  else
    local rm, rv, den = self.running_mean.data, self.running_var.data, {}
    for j = 1, D do den[j] = sqrt(rv[j] + EPS) end
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do xn[base + j] = (xd[base + j] - rm[j]) / den[j] end
    end
    self.den = den
  end
  for i = 0, n - 1 do
    local base = i * D
    for j = 1, D do out[base + j] = g[j] * xn[base + j] + b[j] end
  end
  self.xn = xn
  return tensor.new(copy_list(x.shape), out)
end

-- backward (book): dbeta = Σ dout, dgamma = Σ xn·dout, dxn = gamma·dout,
-- dxc = dxn / std, dstd = -Σ (dxn·xc) / (std·std), dvar = 0.5·dstd / std,
-- dxc += (2/N)·xc·dvar, dmu = Σ dxc, dx = dxc - dmu / N.
-- In test mode dx = gamma·dout / sqrt(running_var + eps).
function BatchNormalization:backward(dout)
  local n, D = self.n, self.D
  local dd, g, xn = dout.data, self.gamma.data, self.xn
  local prod = {}
  for i = 1, n * D do prod[i] = xn[i] * dd[i] end
  local dbeta = tensor.col_sums(tensor.new({ n, D }, dd))
  local dgamma = tensor.col_sums(tensor.new({ n, D }, prod))
  local dx = {}
  if self.train then
    local xc, std = self.xc, self.std
    local dxn, dxc, q = {}, {}, {}
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do
        local k = base + j
        dxn[k] = g[j] * dd[k]
        dxc[k] = dxn[k] / std[j]
        q[k] = (dxn[k] * xc[k]) / (std[j] * std[j])
      end
    end
    local dstd = tensor.col_sums(tensor.new({ n, D }, q)).data
    local dvar = {}
    for j = 1, D do dvar[j] = 0.5 * -dstd[j] / std[j] end
    local two_n = 2.0 / n
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do
        local k = base + j
        dxc[k] = dxc[k] + two_n * xc[k] * dvar[j]
      end
    end
    local dmu = tensor.col_sums(tensor.new({ n, D }, dxc)).data
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do dx[base + j] = dxc[base + j] - dmu[j] / n end
    end
  else
    local den = self.den
    for i = 0, n - 1 do
      local base = i * D
      for j = 1, D do dx[base + j] = g[j] * dd[base + j] / den[j] end
    end
  end
  self.dgamma, self.dbeta = dgamma, dbeta
  return tensor.new(copy_list(self.x_shape), dx)
end
-- endregion

return M
