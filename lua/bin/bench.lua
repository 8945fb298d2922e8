-- Lua side of bin/bench: times the training step under the interpreter running
-- this file and prints one JSON line {"interpreter", "ms_per_step", "repeats"}.
--   luajit bin/bench.lua [--repeats N (7)] [--steps N (50)]
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
  local targets = { luajit = 40, ["lua5.4"] = 600 }
  local ports = { luajit = "luajit", ["lua5.4"] = "lua" }
  local out = { results = jsonio.array({}) }
  for k = 1, #lines - 1 do
    local r = jsonio.decode(lines[k])
    if ref_ms then r.ratio = r.ms_per_step / ref_ms end
    r.target_ratio = targets[r.interpreter]
    out.results[k] = r
  end
  -- the port measured first (luajit when both are) is the one of "ms_per_step"
  out.ms_per_step = out.results[1].ms_per_step
  out.interpreter = out.results[1].interpreter
  out.port = ports[out.interpreter]
  if ref_ms then out.reference_ms_per_step, out.reference = ref_ms, ref.port end
  if mode == "json" then
    print(jsonio.encode(out))
    return
  end
  print(string.format("%-8s %12s %10s %8s", "", "ms/step", "x ref", "target"))
  if ref_ms then print(string.format("%-8s %12.3f %10s %8s", ref.port, ref_ms, "1", "")) end
  for _, r in ipairs(out.results) do
    print(string.format("%-8s %12.3f %10s %7sx", r.interpreter, r.ms_per_step,
      r.ratio and string.format("%.1f", r.ratio) or "-", tostring(r.target_ratio)))
  end
  print("(784-50-10 TwoLayerNet, batch 100, forward + backward + SGD; median of the repeats;")
  print(" Lua in CPU time, the reference in wall time)")
end

local function count(name, text)
  local v = tonumber(text)
  if v == nil or v ~= math.floor(v) or v < 1 or v == math.huge then
    io.stderr:write("bin/bench: ", name, " must be a whole number >= 1, not ", tostring(text), "\n")
    os.exit(2)
  end
  return v
end

local repeats, steps = 7, 50
local i = 1
while i <= #arg do
  if arg[i] == "--summarize" then summarize(arg[i + 1]); os.exit(0)
  elseif arg[i] == "--repeats" then repeats = count("--repeats", arg[i + 1]); i = i + 2
  elseif arg[i] == "--steps" then steps = count("--steps", arg[i + 1]); i = i + 2
  else io.stderr:write("bin/bench: unknown option ", arg[i], "\n"); os.exit(2) end
end
local interpreter = jit and "luajit" or "lua5.4"
local times = bench.step_times(repeats, steps)
print(jsonio.encode({
  interpreter = interpreter, version = jit and jit.version or _VERSION,
  ms_per_step = bench.median(times), repeats = jsonio.array(times), steps = steps,
}))
