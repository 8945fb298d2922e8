-- Time one TwoLayerNet training step (784-50-10, batch 100, float64: forward,
-- backward, SGD update), the same step as the Python reference's bench.
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")

local M = {}

M.INPUT, M.HIDDEN, M.OUTPUT, M.BATCH = 784, 50, 10, 100

-- step_times(repeats, steps): ms per step of each repeat.
function M.step_times(repeats, steps, seed)
  local rng = rng_mod.new(seed or 0)
  local x = rng:rand({ M.BATCH, M.INPUT })
  local labels = {}
  for i = 1, M.BATCH do labels[i] = (i - 1) % M.OUTPUT end
  local t = tensor.new({ M.BATCH }, labels)
  local net = networks.TwoLayerNet.new(M.INPUT, M.HIDDEN, M.OUTPUT, 0.01, rng)
  local opt = optimizers.SGD.new({ lr = 0.1 })
  for _ = 1, 3 do opt:update(net.params, net:gradient(x, t)) end -- warm-up (and JIT traces)
  local out = {}
  for r = 1, repeats do
    local start = os.clock()
    for _ = 1, steps do opt:update(net.params, net:gradient(x, t)) end
    out[r] = 1000 * (os.clock() - start) / steps
  end
  return out
end

function M.median(xs)
  local s = {}
  for i = 1, #xs do s[i] = xs[i] end
  table.sort(s)
  local n = #s
  if n % 2 == 1 then return s[(n + 1) / 2] end
  return (s[n / 2] + s[n / 2 + 1]) / 2
end

return M
