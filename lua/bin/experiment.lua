-- Lua side of bin/experiment (see bin/experiment --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local cli = require("dlscratch.cli")
local datasets = require("dlscratch.datasets")
local experiments = require("dlscratch.experiments")
local jsonio = require("dlscratch.jsonio")
local rng = require("dlscratch.rng")

local PORT = jit and "luajit" or "lua"

local HELP = [[
usage: bin/experiment [--lua luajit|lua5.4] NAME [options]

Run one of the book's chapter-6 experiments (ch06/*.py) and write its result as JSON for
scripts/figures. Everything it draws comes from one generator seeded with --seed, in the
order of the book's script (shared_tests/README.md section 13).

experiments (NAME):
  optimizer_compare_naive           figure 6-8: SGD, Momentum, AdaGrad, Adam on x²/20 + y²
  optimizer_compare_mnist           figure 6-9: the four optimizers on 784-100x4-10 networks
  weight_init_activation_histogram  figures 6-10 to 6-14: activations of 5 layers by init
  weight_init_compare               figure 6-15: std 0.01, Xavier and He weights
  batch_norm_test                   figure 6-19: with and without batch norm, 16 weight scales
  overfit_weight_decay              figure 6-21: 300 images, weight decay 0.1
  overfit_dropout                   figure 6-23: 300 images, Dropout 0.2, the Trainer
  hyperparameter_optimization       figure 6-24: random search of lr and weight decay

options:
  --lua I           interpreter: luajit or lua5.4 (default: luajit)
  --scale S         0 < S <= 1: the book's iterations, epochs, trials or rows times S,
                    rounded half to even, at least 1 (default: 1)
  --seed K          0 <= K < 2^31, seeds the experiment's one generator (default: 0)
  --data-dir DIR    directory with the four IDX files, raw or .gz
                    (default: /usr/share/datasets/fashion-mnist)
  --out FILE        the result (default: experiment-NAME-]] .. PORT .. [[.json)
  --quiet           no progress bar (default: off)
  --help            this text]]

local command = cli.Command.new("bin/experiment", HELP)

local function parse(argv)
  local o = { scale = 1.0, seed = 0, data_dir = experiments.DATA_DIR, quiet = false }
  local takes = {
    ["--scale"] = function(v)
      local s = command:number("--scale", v)
      if not (s > 0 and s <= 1) then command:fail("--scale must be in 0 < S <= 1, not %s", v) end
      o.scale = s
    end,
    ["--seed"] = function(v) o.seed = command:seed("--seed", v) end,
    ["--data-dir"] = function(v) o.data_dir = v end,
    ["--out"] = function(v) o.out = v end,
  }
  local names = command:parse(argv, takes, { ["--quiet"] = function() o.quiet = true end })
  if #names == 0 then command:fail("NAME is missing: one of %s (see --help)", table.concat(experiments.NAMES, ", ")) end
  if #names > 1 then command:fail("one experiment at a time, not %s", table.concat(names, " ")) end
  o.name = command:choice("the experiment", names[1], experiments.NAMES)
  o.out = o.out or ("experiment-" .. o.name .. "-" .. PORT .. ".json")
  return o
end

local function main(argv)
  local o = parse(argv)
  command:check_writable(o.out)
  local run = experiments.Run.new(rng.new(o.seed), o)
  if experiments.READS_IMAGES[o.name] then run:data() end -- the four files checked before the work
  local start = cli.wall_clock()
  local results = experiments[o.name](run)
  local seconds = cli.wall_clock() - start
  local record = jsonio.encode({
    experiment = o.name, port = PORT, options = { scale = o.scale, seed = o.seed, data_dir = o.data_dir },
    results = results, seconds = seconds,
  })
  -- the scale as the float it is (1.0, not 1): scripts/figures groups the ports' results by the
  -- options' JSON; the members are sorted, so the first "scale" is the options' one
  record = record:gsub('"scale":(%-?%d+)([,}])', '"scale":%1.0%2', 1)
  local f, err = io.open(o.out, "w")
  if not f then command:fail("cannot write %s", tostring(err)) end
  f:write(record, "\n")
  f:close()
  print(string.format("%s: %.1f s, written to %s", o.name, seconds, o.out))
end

-- a bad data file is a usage error like a bad option
local ok, err = pcall(main, arg)
if not ok then
  if datasets.is_file_error(err) then command:fail("%s", err.message) end
  io.stderr:write("bin/experiment: internal error: ", tostring(err), "\n")
  os.exit(1)
end
