-- The book's training step, timed (shared_tests/README.md §9): TwoLayerNet's forward, the
-- SoftmaxWithLoss loss, the whole backward (the first Affine's dx1 = dout·W1ᵀ included), SGD with
-- lr 0.1, float64; or with net "simple_conv_net" the same three parts for chapter 7's SimpleConvNet
-- (dx1 = col2im(dout·W_col), the convolution's input gradient), with net "deep_conv_net" for chapter
-- 8's DeepConvNet (a training-mode pass, the Dropout masks of seed 0 every step). Inputs from one
-- generator seeded 0: x = rand(batch, 784) (as N x 1 x 28 x 28 for the convolutions), then the weights
-- as the network draws them (std 0.01; He's scales for DeepConvNet), t_i = i mod 10.
local networks = require("dlscratch.networks")
local optimizers = require("dlscratch.optimizers")
local rng_mod = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")

local M = {}

M.INPUT, M.OUTPUT, M.LR = 784, 10, 0.1
M.HIDDEN, M.BATCH = 50, 100
M.NETS = { "two_layer_net", "simple_conv_net", "deep_conv_net" }
-- the hidden units of each network's step unless told
M.DEFAULT_HIDDEN = { two_layer_net = 50, simple_conv_net = 100, deep_conv_net = 50 }
-- SimpleConvNet's convolution (the book's conv_param) and its output side on 28 x 28 images
local FILTERS, FILTER_SIZE, CONV_OUT = 30, 5, 24

-- inputs(hidden, batch, net): the network, x and t of §9.
function M.inputs(hidden, batch, net)
  local rng = rng_mod.new(0)
  local x = tensor.dense(rng:rand({ batch, M.INPUT })) -- stored as the trainer's batches are
  local labels = {}
  for i = 1, batch do labels[i] = (i - 1) % M.OUTPUT end
  local t = tensor.new({ batch }, labels)
  if net == "simple_conv_net" then
    return networks.SimpleConvNet.new({ hidden_size = hidden, weight_init_std = 0.01 }, rng), x:reshape({ batch, 1, 28, 28 }), t
  end
  if net == "deep_conv_net" then -- its masks: those of dropout_seed 0, every step
    return networks.DeepConvNet.new({ hidden_size = hidden, dropout_seed = 0 }, rng), x:reshape({ batch, 1, 28, 28 }), t
  end
  return networks.TwoLayerNet.new(M.INPUT, hidden, M.OUTPUT, 0.01, rng), x, t
end

-- deep_conv_macs(hidden): the multiply-adds of one image's forward products in DeepConvNet: each
-- convolution's OH·OW·FN·(C·3·3) (a side s becomes s + 2·pad − 2, and s // 2 after a pooling), then
-- the Affines' 64·4·4·hidden + hidden·10 (8,772,340 for hidden 50)
function M.deep_conv_macs(hidden)
  local sizes = networks.deep_conv_sizes(28, 28)
  local outputs = { sizes[1], sizes[2], sizes[4], sizes[5], sizes[7], sizes[8] } -- each convolution's output
  local macs, channels = 0, 1
  for i, conv in ipairs(networks.DEEP_CONVS) do
    macs = macs + outputs[i][1] * outputs[i][2] * conv[1] * channels * 9
    channels = conv[1]
  end
  local last = sizes[#sizes]
  return macs + channels * last[1] * last[2] * hidden + hidden * M.OUTPUT
end

-- flops(hidden, batch, net): 2 per multiply-add of the step's products: per Affine x·W, xᵀ·dout
-- and dout·Wᵀ; per convolution col·W_colᵀ, doutᵀ·col and dout·W_col.
function M.flops(hidden, batch, net)
  if net == "deep_conv_net" then return 3 * 2 * batch * M.deep_conv_macs(hidden) end
  if net ~= "simple_conv_net" then return 3 * 2 * batch * (M.INPUT * hidden + hidden * M.OUTPUT) end
  local pooled = FILTERS * (CONV_OUT / 2) ^ 2
  local conv = batch * CONV_OUT * CONV_OUT * FILTERS * FILTER_SIZE * FILTER_SIZE
  return 3 * 2 * (conv + batch * (pooled * hidden + hidden * M.OUTPUT))
end

-- check(hidden, batch, net): one step of the book's gradient before its update (DeepConvNet's loss a
-- training-mode pass): {loss, dx1, grads = {W1, b1, W2, b2[, W3, b3 .. W8, b8]}}.
function M.check(hidden, batch, net)
  local network, x, t = M.inputs(hidden, batch, net)
  local loss = network:loss(x, t)
  local dout = network.last_layer:backward()
  for i = #network.layers, 1, -1 do dout = network.layers[i]:backward(dout) end
  local owners = network.weighted or network.conv1 and { network.conv1, network.affine1, network.affine2 } or
    { network.affine1, network.affine2 }
  local grads = {}
  for i, layer in ipairs(owners) do grads["W" .. i], grads["b" .. i] = layer.dW, layer.db end
  return { loss = loss, dx1 = dout, grads = grads }
end

-- wall_clock(): seconds of a wall clock. LuaJIT: clock_gettime(CLOCK_MONOTONIC)
-- through the FFI. Lua 5.4 has no sub-second clock of its own: `date +%s.%N`
-- read through a pipe (CLOCK_REALTIME, nanoseconds; each reading costs a
-- process start, about a millisecond, so only whole repeats are timed with it).
local has_ffi, ffi = pcall(require, "ffi")
local wall_clock
if has_ffi then
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } dlscratch_timespec;
    int clock_gettime(int clock_id, dlscratch_timespec *tp);
  ]])
  local CLOCK_MONOTONIC = 1
  local ts = ffi.new("dlscratch_timespec")
  wall_clock = function()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
  end
  M.clock_name = "clock_gettime(CLOCK_MONOTONIC)"
else
  wall_clock = function()
    local pipe = assert(io.popen("date +%s.%N"))
    local s = pipe:read("*l")
    pipe:close()
    return assert(tonumber(s), "date +%s.%N gave no number")
  end
  M.clock_name = "date +%s.%N"
end
M.wall_clock = wall_clock

-- minor_faults(): this process's minor page faults so far (field 10 of
-- /proc/self/stat, the 8th after the parenthesised command name); nil
-- without /proc.
local function minor_faults()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local stat = f:read("*a")
  f:close()
  local fields = {}
  for w in stat:match("^.*%)(.*)$"):gmatch("%S+") do fields[#fields + 1] = w end
  return tonumber(fields[8])
end
M.minor_faults = minor_faults

-- step_times(repeats, steps, hidden, batch, net): the ms per step of each repeat
-- of `steps` steps after 3 warm-up steps, and the page faults per step.
function M.step_times(repeats, steps, hidden, batch, network)
  local net, x, t = M.inputs(hidden or M.DEFAULT_HIDDEN[network or "two_layer_net"], batch or M.BATCH, network)
  local opt = optimizers.SGD.new({ lr = M.LR })
  for _ = 1, 3 do opt:update(net.params, net:gradient(x, t)) end -- warm-up (and JIT traces)
  local out, faults = {}, 0
  for r = 1, repeats do
    local start = wall_clock()
    local f0 = minor_faults()
    for _ = 1, steps do opt:update(net.params, net:gradient(x, t)) end
    local f1 = minor_faults()
    out[r] = 1000 * (wall_clock() - start) / steps
    if f0 and f1 then faults = faults + (f1 - f0) end
  end
  return out, faults / (repeats * steps)
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
