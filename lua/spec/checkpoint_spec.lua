-- bin/train's checkpoints (shared_tests/README.md §8, "Interrupted runs and --resume"): a run stopped by
-- --stop-after or by SIGINT / SIGTERM writes its history so far and a checkpoint, and --resume continues
-- it to the uninterrupted run's history exactly; a bad checkpoint is one line and exit status 2.
-- The commands run under the interpreter that runs the specs, on the first images of Fashion-MNIST.
local jsonio = require("dlscratch.jsonio")

local support = require("spec.support")
local LUA, read, write, tmpdir, run = support.LUA, support.read, support.write, support.tmpdir, support.run

-- DATA: a directory of four IDX files, 300 training and 100 test images of 28x28 random bytes,
-- labelled by their first pixel mod 10; TRAIN: bin/train on it
local DATA = support.random_data_dir(300, 100, 5)
local TRAIN = "bin/train --lua " .. LUA .. " --quiet --data-dir " .. DATA

-- the histories agree in everything but the wall time
local function assert_same_run(whole, resumed)
  for _, key in ipairs({ "port", "options", "loss_history", "acc_iters", "train_acc", "test_acc", "final_iter",
    "final_train_acc", "final_test_acc" }) do
    assert.are.same(whole[key], resumed[key], key)
  end
end

describe("bin/train --stop-after and --resume", function()
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() os.execute("rm -r '" .. dir .. "'") end)

  it("TwoLayerNet with Adam: stopped after 4 of 9 iterations, resumed, the uninterrupted history bit for bit", function()
    local args = " --train-size 300 --test-size 100 --iters 9 --batch-size 100 --hidden 5 --optimizer adam"
    assert.are.equal(0, (run(TRAIN .. args .. " --out " .. dir .. "/whole.json")))
    local status, out, err = run(TRAIN .. args .. " --out " .. dir .. "/part.json --stop-after 4")
    assert.are.same({ 0, "" }, { status, err })
    local ck = dir .. "/part.ckpt.json" -- the default: --out with .ckpt.json
    -- 300 / 100 = 3 iterations an epoch: evaluated after 0 and 3, stopped after 3
    assert.are.equal("epoch 0  train acc ", out:sub(1, 19))
    assert.truthy(out:find("\ninterrupted after iteration 3: checkpoint written to " .. ck .. " %(continue with %-%-resume "
      .. ck .. "%)\n$"), out)
    local part = jsonio.decode(read(dir .. "/part.json"))
    assert.are.same({ 4, ck, 4 }, { part.stopped_after, part.checkpoint, #part.loss_history })
    assert.are.same({ 0, 3 }, part.acc_iters)
    assert.is_nil(part.final_iter or part.final_train_acc or part.final_test_acc)
    local c = jsonio.decode(read(ck))
    assert.are.same({ "dlscratch-checkpoint", 1, 4, "adam" }, { c.format, c.version, c.iteration, c.optimizer.name })
    assert.are.same({ kind = "two_layer_net", input_size = 784, hidden_size = 5, output_size = 10 }, c.network)
    assert.are.equal(4, c.optimizer.state.iter)
    assert.are.same({ 784, 5 }, c.optimizer.state.m.W1.shape)
    assert.are.same(part.loss_history, c.history.loss_history)

    status, out, err = run(TRAIN .. " --resume " .. ck .. " --out " .. dir .. "/resumed.json")
    assert.are.equal(0, status, err)
    -- the epoch after iteration 6 only, then the final line
    assert.truthy(out:find("^epoch 2  train acc [%d.]+  test acc [%d.]+\nfinal %(after iteration 8%)"), out)
    local whole, resumed = jsonio.decode(read(dir .. "/whole.json")), jsonio.decode(read(dir .. "/resumed.json"))
    assert_same_run(whole, resumed)
    assert.is_true(resumed.seconds >= c.history.seconds)
  end)

  it("SimpleConvNet (Momentum) stopped twice, the second time on resuming, then resumed to the end", function()
    local args = " --net simple_conv_net --train-size 40 --test-size 20 --epochs 2 --batch-size 10 --evaluate-samples 10"
      .. " --hidden 4 --optimizer momentum --lr 0.01"
    assert.are.equal(0, (run(TRAIN .. args .. " --out " .. dir .. "/whole.json")))
    assert.are.equal(0, (run(TRAIN .. args .. " --out " .. dir .. "/a.json --checkpoint " .. dir .. "/a.ckpt --stop-after 2")))
    -- --stop-after counts from the run's start: 3 more iterations, 2 .. 4
    local status, out = run(TRAIN .. " --resume " .. dir .. "/a.ckpt --out " .. dir .. "/b.json --stop-after 5")
    assert.are.equal(0, status)
    assert.truthy(out:find("interrupted after iteration 4: ", 1, true), out)
    local b = jsonio.decode(read(dir .. "/b.json"))
    assert.are.same({ 5, { 0, 4 } }, { b.stopped_after, b.acc_iters })
    status = run(TRAIN .. " --resume " .. dir .. "/b.ckpt.json --out " .. dir .. "/c.json")
    assert.are.equal(0, status)
    assert_same_run(jsonio.decode(read(dir .. "/whole.json")), jsonio.decode(read(dir .. "/c.json")))
  end)

  it("DeepConvNet: the batches and the mask seeds after the checkpoint are the uninterrupted run's", function()
    local args = " --net deep_conv_net --train-size 6 --test-size 2 --epochs 1 --batch-size 2 --evaluate-samples 2 --hidden 3"
    assert.are.equal(0, (run(TRAIN .. args .. " --out " .. dir .. "/whole.json")))
    assert.are.equal(0, (run(TRAIN .. args .. " --out " .. dir .. "/a.json --stop-after 1")))
    assert.are.equal(0, (run(TRAIN .. " --resume " .. dir .. "/a.ckpt.json --out " .. dir .. "/b.json")))
    assert_same_run(jsonio.decode(read(dir .. "/whole.json")), jsonio.decode(read(dir .. "/b.json")))
  end)

  it("--stop-after N at or beyond the run's iterations has no effect", function()
    local status, out = run(TRAIN .. " --train-size 100 --test-size 100 --iters 2 --hidden 3 --stop-after 2 --out "
      .. dir .. "/h.json")
    assert.are.equal(0, status)
    assert.truthy(out:find("^epoch 0 .*\nfinal %(after iteration 1%)"), out)
    assert.is_nil(io.open(dir .. "/h.ckpt.json"))
  end)
end)

describe("bin/train --resume refuses a bad checkpoint", function()
  local dir, good
  setup(function()
    dir = tmpdir()
    assert.are.equal(0, (run(TRAIN .. " --train-size 200 --test-size 100 --iters 6 --hidden 3 --optimizer rmsprop"
      .. " --stop-after 3 --out " .. dir .. "/h.json")))
    good = read(dir .. "/h.ckpt.json")
  end)
  teardown(function() os.execute("rm -r '" .. dir .. "'") end)

  -- refused(change, message): the good checkpoint changed by change(c) (or replaced by a string) is
  -- refused with `bin/train: FILE: message`, exit status 2, nothing on stdout
  local function refused(change, message)
    local path = dir .. "/bad.json"
    if type(change) == "string" then
      write(path, change)
    else
      local c = jsonio.decode(good)
      change(c)
      write(path, jsonio.encode(c))
    end
    local status, out, err = run(TRAIN .. " --resume " .. path .. " --out " .. dir .. "/x.json")
    assert.are.same({ 2, "", "bin/train: " .. path .. ": " .. message .. "\n" }, { status, out, err })
  end

  it("not JSON, another format or version", function()
    refused("{", "it is not JSON (Expected object key string but found T_END at character 2)")
    refused(function(c) c.format = "dlscratch-params" end,
      'it is not a dlscratch checkpoint (its "format" is not "dlscratch-checkpoint")')
    refused(function(c) c.version = 2 end, "it is a checkpoint of version 2; this trainer reads version 1")
  end)

  it("params or optimizer state of another shape or with other keys", function()
    refused(function(c) c.params.W2.shape = { 3, 9 } end, "params.W2 has the shape [3,9], not [3,10]")
    refused(function(c) c.params.b1.data[4] = 0 end, "params.b1 has 4 numbers for the shape [3]")
    refused(function(c) c.optimizer.state.h.W3 = c.optimizer.state.h.W2 end,
      'optimizer.state.h has a key "W3", not one of W1, b1, W2, b2')
    refused(function(c) c.optimizer.state = { v = c.optimizer.state.h } end, "optimizer.state has the keys v, not h")
    refused(function(c) c.optimizer.name = "adagrad" end, 'optimizer.name is "adagrad", not the options\' "rmsprop"')
  end)

  it("an iteration outside 0 < I < the run's iterations, or a history of another length", function()
    refused(function(c) c.iteration = 0 end, "its iteration 0 is not in 1 .. 5 (the run has 6)")
    refused(function(c) c.iteration = 6 end, "its iteration 6 is not in 1 .. 5 (the run has 6)")
    refused(function(c) c.iteration = 2 end, "history.loss_history has 3 losses for iteration 2")
    refused(function(c) c.history.acc_iters = jsonio.array({}) end,
      "history.acc_iters is [], not the epochs' ends before iteration 3: [0,2]")
  end)

  it("state words outside the generator's ranges, a non-number, another network", function()
    refused(function(c) c.rng.s1 = { 0, 0, 0 } end, "rng.s1 is all zeros, which the generator never reaches")
    refused(function(c) c.rng.s2[2] = 4294944443 end, "rng.s2 must be three integers in 0 .. 4294944442")
    refused(function(c) c.params.W1.data[1] = "1.5" end, 'params.W1.data is "1.5", not a number')
    refused(function(c) c.history.loss_history[1] = jsonio.null end, "history.loss_history is null, not a number")
    refused(function(c) c.network.hidden_size = 4 end, 'its network {"hidden_size":4,"input_size":784,"kind":"two_layer_net",'
      .. '"output_size":10} is not its options\' {"hidden_size":3,"input_size":784,"kind":"two_layer_net","output_size":10}')
    refused(function(c) c.options.lr = "fast" end, 'options.lr is "fast", not a finite number')
    refused(function(c) c.options.train_size = 70000 end,
      "the run used 70000 training images; " .. DATA .. " has 300")
  end)

  it("a training option given as well, a checkpoint that cannot be read", function()
    local path = dir .. "/h.ckpt.json"
    for _, option in ipairs({ "--iters 9", "--seed 1", "--net two_layer_net", "--lr 0.1", "--test-size 10" }) do
      local status, out, err = run(TRAIN .. " --resume " .. path .. " " .. option)
      assert.are.same({ 2, "", "bin/train: " .. option:match("^%S+") .. " cannot be given with --resume: the checkpoint fixes it\n" },
        { status, out, err })
    end
    local status, _, err = run(TRAIN .. " --resume " .. dir .. "/none.json")
    assert.are.same({ 2, "bin/train: " .. dir .. "/none.json: cannot read it: No such file or directory\n" }, { status, err })
  end)
end)

describe("bin/train interrupted by a signal", function()
  for _, case in ipairs({ { "INT", 130 }, { "TERM", 143 } }) do
    it("SIG" .. case[1] .. " finishes the step, writes the history and the checkpoint, exit status " .. case[2], function()
      local dir = tmpdir()
      -- a run far longer than the test: the signal comes once the first epoch line is out
      local command = string.format("cd '%s' && { %s/bin/train --lua %s --data-dir %s --train-size 100 --test-size 10 --iters 100000000"
        .. " --batch-size 10 --hidden 3 --out h.json >out 2>err & pid=$!;"
        .. " n=0; until grep -qs '^epoch 0' out || [ $n -ge 600 ]; do sleep 0.1; n=$((n+1)); done;"
        .. " kill -%s $pid; wait $pid; echo $?; }", dir, os.getenv("PWD"), LUA, DATA, case[1])
      local p = io.popen(command)
      local status = tonumber(p:read("*a"))
      p:close()
      assert.are.equal(case[2], status, read(dir .. "/err"))
      assert.are.equal("", read(dir .. "/err"))
      local h = jsonio.decode(read(dir .. "/h.json"))
      local done = h.stopped_after
      assert.are.same({ done, "h.ckpt.json" }, { #h.loss_history, h.checkpoint })
      assert.truthy(read(dir .. "/out"):find(string.format("\ninterrupted after iteration %d: checkpoint written to h.ckpt.json"
        .. " %%(continue with %%-%%-resume h.ckpt.json%%)\n$", done - 1)))
      -- the checkpoint resumes: one more iteration, then stopped again
      local s = run(string.format("cd '%s' && %s/bin/train --lua %s --quiet --data-dir %s --resume h.ckpt.json --out h2.json"
        .. " --stop-after %d", dir, os.getenv("PWD"), LUA, DATA, done + 1))
      assert.are.equal(0, s)
      local h2 = jsonio.decode(read(dir .. "/h2.json"))
      assert.are.equal(done + 1, h2.stopped_after)
      for i = 1, done do assert.are.equal(h.loss_history[i], h2.loss_history[i]) end
      os.execute("rm -r '" .. dir .. "'")
    end)
  end
end)

describe("dlscratch.signals", function()
  teardown(function() os.execute("rm -r '" .. DATA .. "'") end)

  it("catches SIGTERM and SIGINT into pending(), the first one kept, until restore", function()
    package.cpath = "./.build/" .. LUA .. "/?.so;" .. package.cpath
    local signals = require("dlscratch.signals")
    assert.are.same({ 2, 15 }, { signals.SIGINT, signals.SIGTERM })
    signals.install()
    assert.is_nil(signals.pending())
    signals.raise(signals.SIGTERM)
    assert.are.equal(15, signals.pending())
    signals.raise(signals.SIGINT)
    assert.are.equal(15, signals.pending())
    signals.install() -- installing again clears it
    assert.is_nil(signals.pending())
    signals.raise(signals.SIGINT)
    assert.are.equal(2, signals.pending())
    signals.restore()
  end)
end)
