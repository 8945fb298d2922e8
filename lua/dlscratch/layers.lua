-- Backpropagation layers (chapters 5, 6 and 7, the book's common/layers.py).
-- Each layer is an object with :forward and :backward; the state needed by
-- backward is kept on the layer between the two calls.
local tensor = require("dlscratch.tensor")
local functions = require("dlscratch.functions")
local class = require("dlscratch.class")
local util = require("dlscratch.util")

local exp, floor, sqrt = math.exp, math.floor, math.sqrt
local copy_list = tensor.copy_list

local M = {}

---------------------------------------------------------------------------
-- region: relu_layer
-- Relu: out = max(0, x); mask = (x <= 0), dx = 0 there and dout elsewhere.
local Relu = class()
M.Relu = Relu

-- part: init
function Relu.new() return setmetatable({}, Relu) end

-- part: forward
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

-- part: backward
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

-- part: init
function Sigmoid.new() return setmetatable({}, Sigmoid) end

-- part: forward
function Sigmoid:forward(x)
  local s, out = x.data, {}
  for i = 1, x.size do out[i] = 1.0 / (1.0 + exp(-s[i])) end
  self.out = tensor.new(copy_list(x.shape), out)
  return self.out
end

-- part: backward
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

-- part: init
function Affine.new(W, b)
  return setmetatable({ W = W, b = b }, Affine)
end

-- part: forward
function Affine:forward(x)
  local D, nd = self.W.shape[1], x:ndim()
  local x2 = x:reshape({ nd == 1 and 1 or x.shape[1], D })
  self.x, self.x_shape = x2, copy_list(x.shape)
  local out = tensor.add_row(tensor.matmul(x2, self.W), self.b)
  if nd == 1 then out = out:reshape({ self.W.shape[2] }) end
  return out
end

-- part: backward
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

-- part: init
function SoftmaxWithLoss.new() return setmetatable({}, SoftmaxWithLoss) end

-- part: forward
function SoftmaxWithLoss:forward(x, t)
  local x2 = functions.as_batch(x)
  self.t = t
  self.labels = functions.labels(x2, t)
  self.y = functions.softmax(x2)
  self.x_shape = copy_list(x.shape)
  self.loss = functions.cross_entropy_labels(self.y, self.labels)
  return self.loss
end

-- part: helper
-- y in the input's shape (1-D for a 1-D x).
function SoftmaxWithLoss:output()
  return self.y:reshape(self.x_shape)
end

-- part: backward
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

-- part: init
function Dropout.new(dropout_ratio, rng)
  return setmetatable({ ratio = dropout_ratio, rng = rng }, Dropout)
end

-- part: forward
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

-- part: backward
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

-- part: init
function BatchNormalization.new(gamma, beta, momentum, running_mean, running_var)
  return setmetatable({
    gamma = gamma, beta = beta, momentum = momentum or 0.9,
    running_mean = running_mean, running_var = running_var,
  }, BatchNormalization)
end

-- part: forward
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

-- part: backward
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

---------------------------------------------------------------------------
-- chapter 7

-- region: convolution
-- Convolution: out[n, f, i, j] = Σ_{c,y,x} W[f, c, y, x]·padded[n, c, i·stride + y, j·stride + x] + b[f],
-- computed as col·W_colᵀ + b with col = im2col(x) and W_col = W as FN rows of C·FH·FW, one row of the
-- product per window (n, i, j), transposed to N x FN x OH x OW. Backward, with dout as one row of FN
-- per window: db = Σ_rows dout, dW = doutᵀ·col, dx = col2im(dout·W_col).
local Convolution = class()
M.Convolution = Convolution

-- part: init
function Convolution.new(W, b, stride, pad)
  return setmetatable({ W = W, b = b, stride = stride or 1, pad = pad or 0 }, Convolution)
end

-- part: helper
-- W_col: W's FN rows of C·FH·FW (a view)
function Convolution:w_col()
  local fn = self.W.shape[1]
  return self.W:reshape({ fn, floor(self.W.size / fn) })
end

-- part: forward
function Convolution:forward(x)
  local fn, fh, fw = self.W.shape[1], self.W.shape[3], self.W.shape[4]
  local n = x.shape[1]
  local oh = util.conv_output_size(x.shape[3], fh, self.stride, self.pad)
  local ow = util.conv_output_size(x.shape[4], fw, self.stride, self.pad)
  self.x_shape = copy_list(x.shape)
  self.col = util.im2col(x, fh, fw, self.stride, self.pad)
  local rows, bias = tensor.matmul_nt(self.col, self:w_col()).data, self.b.data
  -- rows[(n·P + p)·FN + f] + b[f] -> out[(n·FN + f)·P + p], P = OH·OW windows per image
  local windows, out = oh * ow, {}
  for b = 0, n - 1 do
    for f = 0, fn - 1 do
      local to, from, bf = (b * fn + f) * windows, b * windows * fn + f + 1, bias[f + 1]
      for p = 0, windows - 1 do out[to + p + 1] = rows[from + p * fn] + bf end
    end
  end
  return tensor.new({ n, fn, oh, ow }, out)
end

-- part: backward
function Convolution:backward(dout)
  local n, fn = dout.shape[1], dout.shape[2]
  local windows = dout.shape[3] * dout.shape[4]
  -- dout[(n·FN + f)·P + p] -> d[(n·P + p)·FN + f], one row per window as col
  local s, d = dout.data, tensor.buffer(dout.size)
  for b = 0, n - 1 do
    for f = 0, fn - 1 do
      local from, to = (b * fn + f) * windows + 1, b * windows * fn + f + 1
      for p = 0, windows - 1 do d[to + p * fn] = s[from + p] end
    end
  end
  local d2 = tensor.new({ n * windows, fn }, d)
  self.db = tensor.col_sums(d2)
  self.dW = tensor.matmul_tn(d2, self.col):reshape(self.W.shape)
  local dcol = tensor.matmul(d2, self:w_col())
  return util.col2im(dcol, self.x_shape, self.W.shape[3], self.W.shape[4], self.stride, self.pad)
end
-- endregion

-- region: pooling
-- Pooling (max): out[n, c, i, j] = the first maximum, in window order (a NaN counts as one), of the
-- pool_h x pool_w window at (i·stride, j·stride) of x zero-padded by pad: im2col's rows cut into one
-- run of pool_h·pool_w per channel. Backward routes dout[n, c, i, j] to that element (col2im adds
-- where windows overlap, and drops what falls on the padding).
local Pooling = class()
M.Pooling = Pooling

-- part: init
function Pooling.new(pool_h, pool_w, stride, pad)
  return setmetatable({ pool_h = pool_h, pool_w = pool_w, stride = stride or 2, pad = pad or 0 }, Pooling)
end

-- part: forward
function Pooling:forward(x)
  local n, c = x.shape[1], x.shape[2]
  local oh = util.conv_output_size(x.shape[3], self.pool_h, self.stride, self.pad)
  local ow = util.conv_output_size(x.shape[4], self.pool_w, self.stride, self.pad)
  local size = self.pool_h * self.pool_w
  local col = util.im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
  local arg_max = tensor.argmax_rows(col:reshape({ floor(col.size / size), size })) -- row (n, i, j, c)
  -- the element itself (so -0.0 stays -0.0): out[(n·C + c)·P + p] = window (n·P + p)·C + c
  local v, windows, out = col.data, oh * ow, {}
  for b = 0, n - 1 do
    for ch = 0, c - 1 do
      local to = (b * c + ch) * windows
      for p = 0, windows - 1 do
        local r = (b * windows + p) * c + ch
        out[to + p + 1] = v[r * size + arg_max[r + 1] + 1]
      end
    end
  end
  self.x_shape, self.arg_max = copy_list(x.shape), arg_max
  return tensor.new({ n, c, oh, ow }, out)
end

-- part: backward
function Pooling:backward(dout)
  local n, c = dout.shape[1], dout.shape[2]
  local windows, size, arg_max = dout.shape[3] * dout.shape[4], self.pool_h * self.pool_w, self.arg_max
  local s, dmax = dout.data, tensor.buffer(dout.size * size)
  for b = 0, n - 1 do
    for ch = 0, c - 1 do
      local from = (b * c + ch) * windows
      for p = 0, windows - 1 do
        local r = (b * windows + p) * c + ch
        dmax[r * size + arg_max[r + 1] + 1] = s[from + p + 1]
      end
    end
  end
  local dcol = tensor.new({ n * windows, c * size }, dmax)
  return util.col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)
end
-- endregion

return M
