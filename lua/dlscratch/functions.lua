-- Activation functions and losses (the book's common/functions.py).
-- Every function takes and returns tensors (a scalar is a tensor of shape {}).
local tensor = require("dlscratch.tensor")

local exp, log, floor, abs = math.exp, math.log, math.floor, math.abs
local pairwise_sum = tensor.pairwise_sum

local M = {}

-- region: identity
-- identity(x) = x
function M.identity(x)
  return x:clone()
end
-- endregion

-- region: step_function
-- step(x) = 1 if x > 0 else 0
function M.step(x)
  return tensor.map(x, function(v) return v > 0 and 1 or 0 end)
end
-- endregion

-- region: sigmoid
-- sigmoid(x) = 1 / (1 + exp(-x)); exp overflows to inf, so sigmoid(-1000) = 0.
local function sigmoid1(v) return 1.0 / (1.0 + exp(-v)) end
M.sigmoid1 = sigmoid1

function M.sigmoid(x)
  return tensor.map(x, sigmoid1)
end

-- sigmoid_grad(x) = (1 - s)·s with s = sigmoid(x)
function M.sigmoid_grad(x)
  return tensor.map(x, function(v)
    local s = sigmoid1(v)
    return (1.0 - s) * s
  end)
end
-- endregion

-- region: relu
-- relu(x) = max(0, x); NaN stays NaN.
local function relu1(v)
  if v > 0 or v ~= v then return v end
  return 0.0
end

function M.relu(x)
  return tensor.map(x, relu1)
end

-- relu_grad(x) = 1 if x >= 0 else 0 (the book's functions.py)
function M.relu_grad(x)
  return tensor.map(x, function(v) return v >= 0 and 1.0 or 0.0 end)
end
-- endregion

-- region: tanh
-- tanh(x) = (e^x - e^-x) / (e^x + e^-x) = expm1(2|x|) / (expm1(2|x|) + 2), its sign that of x (odd);
-- ±1 beyond |x| = 20 (it rounds to 1 from about 19.06), ±0 and NaN as they are. Lua 5.4 has no
-- math.tanh: expm1 is Kahan's, u = e^x: x when u = 1, -1 when u - 1 = -1, else (u - 1)·x / ln u,
-- whose rounding errors of u - 1 and ln u cancel, so it is accurate to a few ulps even near 0.
local function expm1(x)
  local u = exp(x)
  if u == 1.0 then return x end
  if u - 1.0 == -1.0 then return -1.0 end
  return (u - 1.0) * x / log(u)
end

local function tanh1(x)
  if x == 0 or x ~= x then return x end
  local a, t = abs(x), 1.0
  if a < 20 then
    local e = expm1(2 * a)
    t = e / (e + 2)
  end
  return x < 0 and -t or t
end

function M.tanh(x)
  return tensor.map(x, tanh1)
end
-- endregion

-- region: softmax
-- softmax over a run d[first .. first+n-1] into out:
-- y_i = exp(x_i - max) / Σ_j exp(x_j - max); a NaN max makes the run NaN.
local function softmax_run(d, out, first, n)
  local mx = d[first]
  for i = first + 1, first + n - 1 do
    local v = d[i]
    if v ~= v or mx ~= mx then mx = 0 / 0; break end
    if v > mx then mx = v end
  end
  local e = {}
  for i = 1, n do e[i] = exp(d[first + i - 1] - mx) end
  local s = pairwise_sum(e, 1, n)
  for i = 1, n do out[first + i - 1] = e[i] / s end
end

-- softmax(x): the whole vector for 1-D x, row by row for 2-D x.
function M.softmax(x)
  local out = {}
  local m = x.shape[#x.shape]
  for i = 0, x.size / m - 1 do softmax_run(x.data, out, i * m + 1, m) end
  return tensor.new(tensor.copy_list(x.shape), out)
end
-- endregion

-- region: sum_squared_error
-- sum_squared_error(y, t) = 0.5 · Σ (y - t)²
function M.sum_squared_error(y, t)
  local sq, a, b = {}, y.data, t.data
  for i = 1, y.size do
    local d = a[i] - b[i]
    sq[i] = d * d
  end
  return 0.5 * pairwise_sum(sq, 1, y.size)
end
-- endregion

-- region: cross_entropy_error
-- as_batch(y): a 1-D y is a batch of one (1 x C); a 2-D y is N x C.
function M.as_batch(y)
  if y:ndim() == 1 then return y:reshape({ 1, y.size }) end
  return y
end

-- labels(y2, t): the 0-based label of each row of the N x C batch y2: the row
-- argmax of t when t is one-hot (t.size == y.size; first maximum on ties),
-- else t itself (integers, already checked by the caller).
function M.labels(y2, t)
  if t.size == y2.size then
    return tensor.argmax_rows(t:reshape(y2.shape))
  end
  local out, d = {}, t.data
  for i = 1, y2.shape[1] do out[i] = floor(d[i]) end
  return out
end

-- cross_entropy_error(y, t) = -Σ_i log(y[i, t_i] + 1e-7) / N
function M.cross_entropy_error(y, t)
  local y2 = M.as_batch(y)
  return M.cross_entropy_labels(y2, M.labels(y2, t))
end

-- cross_entropy_labels(y2, labels): the same for an N x C batch and 0-based labels.
function M.cross_entropy_labels(y2, labels)
  local n, c = y2.shape[1], y2.shape[2]
  local logs, d = {}, y2.data
  for i = 1, n do logs[i] = log(d[(i - 1) * c + labels[i] + 1] + 1e-7) end
  return -pairwise_sum(logs, 1, n) / n
end
-- endregion

-- the book's names
-- region: identity
M.identity_function = M.identity
-- endregion
-- region: step_function
M.step_function = M.step
-- endregion
-- region: cross_entropy_error
M.as_labels = M.labels
-- endregion

return M
