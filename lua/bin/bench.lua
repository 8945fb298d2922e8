-- Lua side of bin/bench: times the training step under the interpreter running
-- this file and prints one JSON line {"interpreter", "ms_per_step",
-- "page_faults_per_step", "repeats", ...}, or with --check the step's values.
--   luajit bin/bench.lua [--net two_layer_net|simple_conv_net|deep_conv_net] [--repeats N (7)] [--steps N (50)]
--                        [--hidden N (50; 100 for simple_conv_net)] [--batch N (100)] [--check]
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local bench = require("dlscratch.bench")
local jsonio = require("dlscratch.jsonio")

-- summarize(mode): stdin holds one JSON line per interpreter, then the
-- reference's line (or null); print a table or one JSON line.
local function summarize(mode)
  local lines = {}
  for l in io.lines() do lines[#lines + 1] = l end
  local ref = jsonio.decode(lines[#lines])
  local ref_ms = jsonio.is_object(ref) and ref.ms_per_step or nil
  local targets = { luajit = 8, ["lua5.4"] = 150 }
  local ports = { luajit = "luajit", ["lua5.4"] = "lua" }
  local out = { results = jsonio.array({}) }
  for k = 1, #lines - 1 do
    local r = jsonio.decode(lines[k])
    if ref_ms then r.ratio = r.ms_per_step / ref_ms end
    r.target_ratio = r.net == "two_layer_net" and targets[r.interpreter] or nil -- the targets are TwoLayerNet's
    out.results[k] = r
  end
  -- the port measured first (luajit when both are) is the one of "ms_per_step"
  out.ms_per_step = out.results[1].ms_per_step
  out.interpreter, out.net = out.results[1].interpreter, out.results[1].net
  out.port = ports[out.interpreter]
  out.page_faults_per_step = out.results[1].page_faults_per_step
  if ref_ms then out.reference_ms_per_step, out.reference = ref_ms, ref.port end
  if mode == "json" then
    print(jsonio.encode(out))
    return
  end
  print(string.format("%-8s %12s %10s %8s %9s %12s", "", "ms/step", "x ref", "target", "GFLOP/s", "faults/step"))
  if ref_ms then
    print(string.format("%-8s %12.3f %10s %8s %9.2f %12.1f", ref.port, ref_ms, "1", "", ref.gflops or 0,
      ref.page_faults_per_step or 0))
  end
  local r1 = out.results[1]
  for _, r in ipairs(out.results) do
    print(string.format("%-8s %12.3f %10s %7sx %9.2f %12.1f", r.interpreter, r.ms_per_step,
      r.ratio and string.format("%.1f", r.ratio) or "-", r.target_ratio and tostring(r.target_ratio) or "-", r.gflops,
      r.page_faults_per_step))
  end
  if r1.net == "deep_conv_net" then
    print(string.format("(DeepConvNet 6 conv 3x3-3 pool-%d-10, batch %d: forward in training mode, loss, the whole backward, SGD;",
      r1.hidden, r1.batch))
  elseif r1.net == "simple_conv_net" then
    print(string.format("(SimpleConvNet conv 30x5x5-pool-%d-10, batch %d: forward, loss, the whole backward, SGD;",
      r1.hidden, r1.batch))
  else
    print(string.format("(784-%d-10 TwoLayerNet, batch %d: forward, loss, the whole backward, SGD;", r1.hidden, r1.batch))
  end
  print(" median of the repeats, wall time)")
end

local function count(name, text)
  local v = tonumber(text)
  if v == nil or v ~= math.floor(v) or v < 1 or v == math.huge then
    io.stderr:write("bin/bench: ", name, " must be a whole number >= 1, not ", tostring(text), "\n")
    os.exit(2)
  end
  return v
end

local o = { repeats = 7, steps = 50, batch = bench.BATCH, hidden = false }
local check, net = false, "two_layer_net"
local i = 1
while i <= #arg do
  local name = arg[i]:match("^%-%-(%a+)$")
  if arg[i] == "--summarize" then summarize(arg[i + 1]); os.exit(0)
  elseif arg[i] == "--check" then check = true; i = i + 1
  elseif arg[i] == "--net" and bench.DEFAULT_HIDDEN[arg[i + 1]] then net = arg[i + 1]; i = i + 2
  elseif name and o[name] ~= nil then o[name] = count(arg[i], arg[i + 1]); i = i + 2
  else io.stderr:write("bin/bench: unknown option ", arg[i], "\n"); os.exit(2) end
end
o.hidden = o.hidden or bench.DEFAULT_HIDDEN[net]
if check then
  print(jsonio.encode(bench.check(o.hidden, o.batch, net)))
  os.exit(0)
end
local interpreter = jit and "luajit" or "lua5.4"
local times, faults = bench.step_times(o.repeats, o.steps, o.hidden, o.batch, net)
local ms = bench.median(times)
print(jsonio.encode({
  interpreter = interpreter, version = jit and jit.version or _VERSION, net = net,
  ms_per_step = ms, page_faults_per_step = faults, repeats = jsonio.array(times), steps = o.steps,
  hidden = o.hidden, batch = o.batch, gflops = bench.flops(o.hidden, o.batch, net) / (ms * 1e6),
  clock = bench.clock_name,
}))
