-- The Lua port of dlscratch. The project installs its dependencies from Debian
-- packages (lua5.4, luajit, lua-cjson, lua-busted); this rockspec describes the
-- module layout for anyone who prefers LuaRocks.
rockspec_format = "3.0"
package = "dlscratch"
version = "0.1-1"
source = {
  url = "git+file:///work/main",
}
description = {
  summary = "The networks of Deep Learning from Scratch in pure Lua (Lua 5.4 and LuaJIT 2.1)",
  detailed = [[
    Perceptrons, activation functions, losses, numerical gradients, backpropagation
    layers, TwoLayerNet, MultiLayerNet, MultiLayerNetExtend, the book's optimizers
    and its Trainer, im2col, Convolution, Pooling, SimpleConvNet and DeepConvNet, with a
    shared MRG32k3a generator so results match the Python/NumPy reference; bin/train's
    checkpoints, with the small C module dlscratch.signals for SIGINT and SIGTERM.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1",
}
test_dependencies = {
  "busted >= 2.0",
}
build = {
  type = "builtin",
  modules = {
    ["dlscratch.bench"] = "dlscratch/bench.lua",
    ["dlscratch.checkpoint"] = "dlscratch/checkpoint.lua",
    ["dlscratch.class"] = "dlscratch/class.lua",
    ["dlscratch.cli"] = "dlscratch/cli.lua",
    ["dlscratch.datasets"] = "dlscratch/datasets.lua",
    ["dlscratch.experiments"] = "dlscratch/experiments.lua",
    ["dlscratch.functions"] = "dlscratch/functions.lua",
    ["dlscratch.gates"] = "dlscratch/gates.lua",
    ["dlscratch.gradient"] = "dlscratch/gradient.lua",
    ["dlscratch.graph"] = "dlscratch/graph.lua",
    ["dlscratch.jsonio"] = "dlscratch/jsonio.lua",
    ["dlscratch.layers"] = "dlscratch/layers.lua",
    ["dlscratch.networks"] = "dlscratch/networks.lua",
    ["dlscratch.optimizers"] = "dlscratch/optimizers.lua",
    ["dlscratch.progress"] = "dlscratch/progress.lua",
    ["dlscratch.rng"] = "dlscratch/rng.lua",
    ["dlscratch.runner"] = "dlscratch/runner.lua",
    ["dlscratch.tensor"] = "dlscratch/tensor.lua",
    ["dlscratch.train"] = "dlscratch/train.lua",
    ["dlscratch.trainer"] = "dlscratch/trainer.lua",
    ["dlscratch.util"] = "dlscratch/util.lua",
    ["dlscratch.validate"] = "dlscratch/validate.lua",
    ["dlscratch.signals"] = {
      sources = { "csrc/signals.c" },
    },
  },
  install = {
    bin = {
      ["dlscratch-runner"] = "bin/runner",
    },
  },
}
test = {
  type = "busted",
}
