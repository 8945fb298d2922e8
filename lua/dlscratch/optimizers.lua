-- The book's common/optimizer.py. Each optimizer has :update(params, grads),
-- which changes the parameter tensors in place; its state (v, h, m, iter)
-- persists across calls and starts at zeros. :state_dict(params) and
-- :load_state_dict(state) read and set that state (bin/train's checkpoint).
local tensor = require("dlscratch.tensor")
local class = require("dlscratch.class")

local sqrt = math.sqrt

local M = {}

-- state(self, name, params): a per-parameter table of zero arrays.
local function state(self, name, params)
  local s = self[name]
  if s == nil then
    s = {}
    for k, p in pairs(params) do s[k] = tensor.filled(p.size, 0.0) end
    self[name] = s
  end
  return s
end

-- copy(list, n): the first n entries of a list or an FFI array, as a list
local function copy(list, n)
  local out = {}
  for i = 1, n do out[i] = list[i] end
  return out
end

-- What every optimizer shares: the names of its per-parameter state (state_keys) and their reading and setting.
local Optimizer = class()
M.Optimizer = Optimizer
Optimizer.state_keys = {}

-- state_dict(params): what the update keeps between steps, by name (shared_tests/README.md §8):
-- for each of state_keys a table of tensors of the params' keys and shapes (copies).
function Optimizer:state_dict(params)
  local out = {}
  for _, name in ipairs(self.state_keys) do
    local s, arrays = state(self, name, params), {}
    for k, p in pairs(params) do arrays[k] = tensor.new(tensor.copy_list(p.shape), copy(s[k], p.size)) end
    out[name] = arrays
  end
  return out
end

-- load_state_dict(state): the state of state_dict (tensors, or anything with size and data), copied in.
function Optimizer:load_state_dict(st)
  for _, name in ipairs(self.state_keys) do
    local arrays = {}
    for k, a in pairs(st[name]) do arrays[k] = copy(a.data, a.size) end
    self[name] = arrays
  end
end

-- optimizer(defaults, parent, state_keys): a class whose new(hyper) takes each
-- hyper-parameter from hyper or, when absent, from defaults.
local function optimizer(defaults, parent, state_keys)
  local c = class(parent or Optimizer)
  c.defaults = defaults
  c.state_keys = state_keys or (parent and parent.state_keys) or {}
  c.new = function(hyper)
    local self = setmetatable({}, c)
    for k, v in pairs(defaults) do
      local h = hyper and hyper[k]
      if h == nil then h = v end
      self[k] = h
    end
    return self
  end
  return c
end

-- region: sgd
-- SGD: p -= lr·g
-- part: init
local SGD = optimizer({ lr = 0.01 })
M.SGD = SGD
-- part: update
function SGD:update(params, grads)
  local lr = self.lr
  for k, p in pairs(params) do
    local pd, g = p.data, grads[k].data
    for i = 1, p.size do pd[i] = pd[i] - lr * g[i] end
  end
end
-- endregion

-- region: momentum
-- Momentum: v = momentum·v - lr·g; p += v
-- part: init
local Momentum = optimizer({ lr = 0.01, momentum = 0.9 }, nil, { "v" })
M.Momentum = Momentum
-- part: update
function Momentum:update(params, grads)
  local v, lr, mom = state(self, "v", params), self.lr, self.momentum
  for k, p in pairs(params) do
    local pd, g, vk = p.data, grads[k].data, v[k]
    for i = 1, p.size do
      vk[i] = mom * vk[i] - lr * g[i]
      pd[i] = pd[i] + vk[i]
    end
  end
end
-- endregion

-- region: nesterov
-- Nesterov (the book's common/optimizer.py since 2021): the parameters move
-- with the previous v, then v is updated:
--   p += momentum²·v; p -= (1 + momentum)·lr·g; v *= momentum; v -= lr·g
-- part: init
local Nesterov = optimizer(Momentum.defaults, Momentum)
M.Nesterov = Nesterov
-- part: update
function Nesterov:update(params, grads)
  local v, lr, mom = state(self, "v", params), self.lr, self.momentum
  local mom2, step = mom * mom, (1 + mom) * lr
  for k, p in pairs(params) do
    local pd, g, vk = p.data, grads[k].data, v[k]
    for i = 1, p.size do
      pd[i] = pd[i] + mom2 * vk[i]
      pd[i] = pd[i] - step * g[i]
      vk[i] = vk[i] * mom
      vk[i] = vk[i] - lr * g[i]
    end
  end
end
-- endregion

-- region: adagrad
-- AdaGrad: h += g·g; p -= lr·g / (sqrt(h) + 1e-7)
-- part: init
local AdaGrad = optimizer({ lr = 0.01 }, nil, { "h" })
M.AdaGrad = AdaGrad
-- part: update
function AdaGrad:update(params, grads)
  local h, lr = state(self, "h", params), self.lr
  for k, p in pairs(params) do
    local pd, g, hk = p.data, grads[k].data, h[k]
    for i = 1, p.size do
      hk[i] = hk[i] + g[i] * g[i]
      pd[i] = pd[i] - lr * g[i] / (sqrt(hk[i]) + 1e-7)
    end
  end
end
-- endregion

-- region: rmsprop
-- RMSprop: h *= decay_rate; h += (1 - decay_rate)·g·g; p -= lr·g / (sqrt(h) + 1e-7)
-- part: init
local RMSprop = optimizer({ lr = 0.01, decay_rate = 0.99 }, nil, { "h" })
M.RMSprop = RMSprop
-- part: update
function RMSprop:update(params, grads)
  local h, lr, dr = state(self, "h", params), self.lr, self.decay_rate
  for k, p in pairs(params) do
    local pd, g, hk = p.data, grads[k].data, h[k]
    for i = 1, p.size do
      hk[i] = hk[i] * dr
      hk[i] = hk[i] + (1 - dr) * g[i] * g[i]
      pd[i] = pd[i] - lr * g[i] / (sqrt(hk[i]) + 1e-7)
    end
  end
end
-- endregion

-- region: adam
-- Adam: iter += 1; lr_t = lr·sqrt(1 - beta2^iter) / (1 - beta1^iter);
-- m += (1 - beta1)·(g - m); v += (1 - beta2)·(g² - v); p -= lr_t·m / (sqrt(v) + 1e-7)
-- part: init
local Adam = optimizer({ lr = 0.001, beta1 = 0.9, beta2 = 0.999 }, nil, { "m", "v" })
M.Adam = Adam
-- part: update
function Adam:update(params, grads)
  local m, v = state(self, "m", params), state(self, "v", params)
  self.iter = (self.iter or 0) + 1
  local b1, b2 = self.beta1, self.beta2
  local lr_t = self.lr * sqrt(1.0 - b2 ^ self.iter) / (1.0 - b1 ^ self.iter)
  for k, p in pairs(params) do
    local pd, g, mk, vk = p.data, grads[k].data, m[k], v[k]
    for i = 1, p.size do
      local gi = g[i]
      mk[i] = mk[i] + (1 - b1) * (gi - mk[i])
      vk[i] = vk[i] + (1 - b2) * (gi * gi - vk[i])
      pd[i] = pd[i] - lr_t * mk[i] / (sqrt(vk[i]) + 1e-7)
    end
  end
end

-- part: state
-- Adam's state adds iter, the updates so far
function Adam:state_dict(params)
  local out = Optimizer.state_dict(self, params)
  out.iter = self.iter or 0
  return out
end

function Adam:load_state_dict(st)
  Optimizer.load_state_dict(self, st)
  self.iter = st.iter
end
-- endregion

M.by_name = {
  sgd = SGD, momentum = Momentum, nesterov = Nesterov,
  adagrad = AdaGrad, rmsprop = RMSprop, adam = Adam,
}

-- create(name, hyper): an optimizer by its lower-case name.
function M.create(name, hyper)
  return assert(M.by_name[name], "unknown optimizer").new(hyper)
end

M.make_optimizer = M.create

return M
