-- bin/train and bin/bench as a user runs them: one line on stderr and exit
-- status 2 for every bad option or data file, and a small real training run.
-- Both commands run under the interpreter that runs the specs.
local jsonio = require("dlscratch.jsonio")

local LUA = jit and "luajit" or "lua5.4"
local PORT = jit and "luajit" or "lua"
local FASHION = "/usr/share/datasets/fashion-mnist"

local support = require("spec.support")
local run = support.run

-- the file's text, the file removed
local function slurp(path)
  local s = support.read(path)
  os.remove(path)
  return s
end

-- a Lua pattern matching text literally
local function literal(text)
  return (text:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

local function assert_refused(command, message)
  local status, out, err = run(command)
  assert.are.equal(2, status, command)
  assert.are.equal("", out, command)
  assert.are.equal(message .. "\n", err, command)
end

-- a data directory whose test labels are a copy of the test images
local function bad_data_dir()
  local p = io.popen("mktemp -d")
  local dir = p:read("*l")
  p:close()
  assert(os.execute(string.format(
    "ln -s %s/train-images-idx3-ubyte.gz %s/train-labels-idx1-ubyte.gz %s/t10k-images-idx3-ubyte.gz '%s'"
      .. " && cp %s/t10k-images-idx3-ubyte.gz '%s/t10k-labels-idx1-ubyte.gz'",
    FASHION, FASHION, FASHION, dir, FASHION, dir)))
  return dir
end

describe("bin/runner", function()
  it("answers each line read from a pipe, NUL bytes and a last line without newline included", function()
    local input = os.tmpname()
    local f = assert(io.open(input, "wb"))
    f:write('{"id": "a\\u0000", "op": "gate.or", "args": {"x1": 0, "x2": 1}}\n', "{\0}\n", " \t\r\n",
      '{"id": "b", "op": "fn.relu", "args": {"x": [-1, 2]}}')
    f:close()
    local status, out = run(string.format("cat %s | %s bin/runner", input, LUA))
    os.remove(input)
    assert.are.equal(0, status)
    local answers = {}
    for line in out:gmatch("[^\n]+") do answers[#answers + 1] = jsonio.decode(line) end
    assert.are.equal(3, #answers)
    assert.are.same({ id = "a\0", ok = { y = 1 } }, answers[1])
    assert.are.same({ jsonio.null, "BadRequest" }, { answers[2].id, answers[2].error.type })
    assert.are.same({ 0, 2 }, answers[3].ok.y)
  end)
end)

describe("bin/train", function()
  local train = "bin/train --lua " .. LUA

  it("refuses bad options with one line and exit status 2", function()
    assert_refused(train .. " --iters 0", "bin/train: --iters must be at least 1, not 0")
    assert_refused(train .. " --iters 2.5", "bin/train: --iters must be a whole number, not 2.5")
    assert_refused(train .. " --seed -1", "bin/train: --seed must be in 0 <= seed < 2^31, not -1")
    assert_refused(train .. " --seed 2147483648", "bin/train: --seed must be in 0 <= seed < 2^31, not 2147483648")
    assert_refused(train .. " --lr inf", "bin/train: --lr must be a finite number, not inf")
    assert_refused(train .. " --optimizer bogus",
      "bin/train: --optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam, not bogus")
    assert_refused(train .. " --bogus", "bin/train: unknown option --bogus (see --help)")
    assert_refused(train .. " --batch-size", "bin/train: --batch-size needs a value")
    assert_refused("bin/train --lua lua5.1", "bin/train: --lua must be luajit or lua5.4, not lua5.1")
    assert_refused(train .. " --net lenet",
      "bin/train: --net must be one of two_layer_net, simple_conv_net, deep_conv_net, not lenet")
    assert_refused(train .. " --net deep_conv_net --weight-init-std 0.1",
      "bin/train: --weight-init-std does not apply to --net deep_conv_net")
    assert_refused(train .. " --net deep_conv_net --iters 5", "bin/train: --iters does not apply to --net deep_conv_net")
    assert_refused(train .. " --net simple_conv_net --iters 5", "bin/train: --iters does not apply to --net simple_conv_net")
    assert_refused(train .. " --epochs 2", "bin/train: --epochs does not apply to --net two_layer_net")
    assert_refused(train .. " --evaluate-samples 10", "bin/train: --evaluate-samples does not apply to --net two_layer_net")
    assert_refused(train .. " --net simple_conv_net --epochs 0", "bin/train: --epochs must be at least 1, not 0")
    assert_refused(train .. " --stop-after 0", "bin/train: --stop-after must be at least 1, not 0")
    assert_refused(train .. " --checkpoint /nonexistent/c.json",
      "bin/train: cannot write --checkpoint /nonexistent/c.json: No such file or directory")
    assert_refused(train .. " --save-params /nonexistent/p.json",
      "bin/train: cannot write --save-params /nonexistent/p.json: No such file or directory")
  end)

  it("refuses a data directory with a bad file, naming it, with or without --test-size", function()
    local dir = bad_data_dir()
    local message = "bin/train: " .. dir .. "/t10k-labels-idx1-ubyte.gz is 3-D (10000x28x28), not a 1-D list of labels"
    assert_refused(train .. " --quiet --data-dir " .. dir, message)
    assert_refused(train .. " --quiet --data-dir " .. dir .. " --test-size 100", message)
    os.execute("rm -r '" .. dir .. "'")
    assert_refused(train .. " --data-dir /nonexistent",
      "bin/train: /nonexistent has no train-images-idx3-ubyte or train-images-idx3-ubyte.gz")
  end)

  it("lists every option with its default in --help", function()
    local status, out = run(train .. " --help")
    assert.are.equal(0, status)
    assert.truthy(out:find("usage: bin/train", 1, true))
    for _, option in ipairs({ "--lua", "--net", "--data-dir", "--iters", "--epochs", "--evaluate-samples", "--batch-size",
      "--hidden", "--lr", "--optimizer", "--weight-init-std", "--seed", "--train-size", "--test-size", "--out",
      "--save-params", "--checkpoint", "--stop-after", "--resume" }) do
      assert.truthy(out:find("\n  " .. literal(option) .. " [^\n]*\n?[^\n]*%(default: "), option)
    end
    assert.truthy(out:find("sgd, momentum, nesterov, adagrad, rmsprop or adam", 1, true))
  end)

  it("trains, evaluates after the epochs and after the last iteration, and writes the history", function()
    local path = os.tmpname()
    local status, out, err = run(train .. " --train-size 300 --test-size 100 --iters 7 --batch-size 128 --quiet --out " .. path)
    assert.are.equal(0, status, err)
    assert.are.equal("", err)
    local h = jsonio.decode(slurp(path))
    assert.are.equal(PORT, h.port)
    assert.are.equal(7, #h.loss_history)
    -- 300 / 128 = 2.34375 iterations an epoch: among 0..6 only 0 is a multiple
    assert.are.same({ 0 }, h.acc_iters)
    assert.are.equal(1, #h.train_acc)
    assert.are.equal(1, #h.test_acc)
    assert.are.equal(6, h.final_iter)
    for _, key in ipairs({ "final_train_acc", "final_test_acc", "seconds" }) do
      assert.are.equal("number", type(h[key]), key)
    end
    assert.are.equal(300, h.options.train_size)
    assert.are.equal(100, h.options.test_size)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(string.format("epoch 0  train acc %.4f  test acc %.4f", h.train_acc[1], h.test_acc[1]), lines[1])
    assert.truthy(lines[2]:find(string.format("^final %%(after iteration 6%%)  train acc %.4f  test acc %.4f  %%([%%d.]+ s, [%%d.]+ ms/iter%%)$",
      h.final_train_acc, h.final_test_acc)), lines[2])
    assert.are.equal("history written to " .. path, lines[3])
  end)

  it("writes a CSV history when --out ends in .csv", function()
    local path = os.tmpname() .. ".csv"
    local status = run(train .. " --train-size 300 --test-size 100 --iters 2 --quiet --out " .. path)
    assert.are.equal(0, status)
    local csv = slurp(path)
    assert.truthy(csv:find("^iter,loss\n0,[%d.e-]+\n1,[%d.e-]+\n$"), csv)
  end)

  it("trains SimpleConvNet with the Trainer, its defaults and options in the history, the parameters saved", function()
    local path, params = os.tmpname(), os.tmpname()
    -- 20 images in batches of 10: 2 steps an epoch, 2 steps, evaluated after step 0 on 5 images
    local status, out, err = run(train .. " --net simple_conv_net --train-size 20 --test-size 10 --epochs 1 --batch-size 10"
      .. " --evaluate-samples 5 --hidden 4 --quiet --out " .. path .. " --save-params " .. params)
    assert.are.equal(0, status, err)
    local h = jsonio.decode(slurp(path))
    assert.are.equal(2, #h.loss_history)
    assert.are.same({ 0 }, h.acc_iters)
    assert.are.equal(1, h.final_iter)
    -- an accuracy on 5 images is a multiple of 1/5, on the 10 test images of 1/10
    for _, c in ipairs({ h.train_acc[1] * 5, h.final_train_acc * 5, h.final_test_acc * 10 }) do
      assert.is_true(math.abs(c - math.floor(c + 0.5)) < 1e-9, tostring(c))
    end
    assert.are.same({ "simple_conv_net", 1, 5, 4, "adam", 0.001, 2 },
      { h.options.net, h.options.epochs, h.options.evaluate_samples, h.options.hidden, h.options.optimizer, h.options.lr,
        h.options.iters })
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(string.format("epoch 1  train acc %.4f  test acc %.4f", h.train_acc[1], h.test_acc[1]), lines[1])
    assert.truthy(lines[2]:find("^final %(after iteration 1%)  train acc "), lines[2])
    assert.are.equal("parameters written to " .. params, lines[4])
    local text = slurp(params)
    -- the keys in the network's order, every array with its shape and row-major data
    assert.truthy(text:find('^{"format": "dlscratch%-params", "version": 1, "port": "' .. PORT .. '", "network": '), text:sub(1, 80))
    local at = {}
    for _, key in ipairs({ "W1", "b1", "W2", "b2", "W3", "b3" }) do at[#at + 1] = text:find('"' .. key .. '": {"shape"', 1, true) end
    assert.are.equal(6, #at)
    for i = 2, 6 do assert.is_true(at[i - 1] < at[i]) end
    local p = jsonio.decode(text)
    assert.are.same({ 1, 28, 28 }, p.network.input_dim)
    assert.are.equal(30, p.network.conv_param.filter_num)
    assert.are.same({ 30 * 12 * 12, 4 }, p.params.W2.shape)
    assert.are.equal(30 * 12 * 12 * 4, #p.params.W2.data)
  end)

  it("trains DeepConvNet with the Trainer and train_deepnet.py's defaults, W1 .. b8 saved in order", function()
    local path, params = os.tmpname(), os.tmpname()
    -- 4 images in batches of 2: 2 steps an epoch, evaluated after step 0 on 2 images
    local status, out, err = run(train .. " --net deep_conv_net --train-size 4 --test-size 2 --epochs 1 --batch-size 2"
      .. " --evaluate-samples 2 --hidden 3 --quiet --out " .. path .. " --save-params " .. params)
    assert.are.equal(0, status, err)
    local h = jsonio.decode(slurp(path))
    assert.are.equal(2, #h.loss_history)
    assert.are.same({ "deep_conv_net", 1, 2, 3, "adam", 0.001, 2 },
      { h.options.net, h.options.epochs, h.options.evaluate_samples, h.options.hidden, h.options.optimizer, h.options.lr,
        h.options.iters })
    assert.is_nil(h.options.weight_init_std)
    assert.truthy(out:find("parameters written to " .. params, 1, true))
    local text = slurp(params)
    local at, keys = {}, { "W1", "b1", "W2", "b2", "W3", "b3", "W4", "b4", "W5", "b5", "W6", "b6", "W7", "b7", "W8", "b8" }
    for _, key in ipairs(keys) do at[#at + 1] = text:find('"' .. key .. '": {"shape"', 1, true) end
    assert.are.equal(16, #at)
    for i = 2, 16 do assert.is_true(at[i - 1] < at[i]) end
    local p = jsonio.decode(text)
    assert.are.same({ kind = "deep_conv_net", input_dim = { 1, 28, 28 }, hidden_size = 3, output_size = 10 }, p.network)
    -- 28 -> 28, 28, 14 -> 14, 16, 8 -> 8, 8, 4: W7 has 64·4·4 rows
    assert.are.same({ 64 * 4 * 4, 3 }, p.params.W7.shape)
    assert.are.same({ 3, 10 }, p.params.W8.shape)
  end)

  it("saves a TwoLayerNet's parameters, W1 first", function()
    local params = os.tmpname()
    local status = run(train .. " --train-size 100 --test-size 100 --iters 1 --hidden 3 --quiet --out " .. os.tmpname()
      .. " --save-params " .. params)
    assert.are.equal(0, status)
    local p = jsonio.decode(slurp(params))
    assert.are.same({ kind = "two_layer_net", input_size = 784, hidden_size = 3, output_size = 10 }, p.network)
    assert.are.same({ 784, 3 }, p.params.W1.shape)
    assert.are.equal(784 * 3, #p.params.W1.data)
  end)
end)

describe("bin/experiment", function()
  local experiment = "bin/experiment --lua " .. LUA

  it("refuses bad options, names and data files with one line and exit status 2", function()
    assert_refused(experiment .. " overfit_dropout --scale 0", "bin/experiment: --scale must be in 0 < S <= 1, not 0")
    assert_refused(experiment .. " overfit_dropout --scale 1.5", "bin/experiment: --scale must be in 0 < S <= 1, not 1.5")
    assert_refused(experiment .. " overfit_dropout --scale nan", "bin/experiment: --scale must be a finite number, not nan")
    assert_refused(experiment .. " overfit_dropout --seed -1", "bin/experiment: --seed must be in 0 <= seed < 2^31, not -1")
    assert_refused(experiment .. " dropout", "bin/experiment: the experiment must be one of optimizer_compare_naive, "
      .. "optimizer_compare_mnist, weight_init_activation_histogram, weight_init_compare, batch_norm_test, "
      .. "overfit_weight_decay, overfit_dropout, hyperparameter_optimization, not dropout")
    assert_refused(experiment, "bin/experiment: NAME is missing: one of optimizer_compare_naive, optimizer_compare_mnist, "
      .. "weight_init_activation_histogram, weight_init_compare, batch_norm_test, overfit_weight_decay, overfit_dropout, "
      .. "hyperparameter_optimization (see --help)")
    assert_refused(experiment .. " batch_norm_test --bogus", "bin/experiment: unknown option --bogus (see --help)")
    assert_refused(experiment .. " batch_norm_test --out", "bin/experiment: --out needs a value")
    assert_refused(experiment .. " batch_norm_test --quiet --data-dir /nonexistent",
      "bin/experiment: /nonexistent has no train-images-idx3-ubyte or train-images-idx3-ubyte.gz")
    local dir = bad_data_dir()
    assert_refused(experiment .. " overfit_dropout --quiet --data-dir " .. dir,
      "bin/experiment: " .. dir .. "/t10k-labels-idx1-ubyte.gz is 3-D (10000x28x28), not a 1-D list of labels")
    os.execute("rm -r '" .. dir .. "'")
    assert_refused("bin/experiment --lua lua5.1 batch_norm_test", "bin/experiment: --lua must be luajit or lua5.4, not lua5.1")
  end)

  it("lists every option with its default in --help, and every experiment", function()
    local status, out = run(experiment .. " --help")
    assert.are.equal(0, status)
    assert.truthy(out:find("usage: bin/experiment", 1, true))
    for _, option in ipairs({ "--lua", "--scale", "--seed", "--data-dir", "--out", "--quiet" }) do
      assert.truthy(out:find("\n  " .. literal(option) .. " [^\n]*\n?[^\n]*%(default: "), option)
    end
    for _, name in ipairs(require("dlscratch.experiments").NAMES) do assert.truthy(out:find("\n  " .. name .. " "), name) end
  end)

  it("writes the reference's record: experiment, port, options (the scale a float), results, seconds", function()
    local path = os.tmpname()
    local status, out, err = run(experiment .. " optimizer_compare_naive --quiet --out " .. path)
    assert.are.equal(0, status, err)
    assert.truthy(out:find("^optimizer_compare_naive: [%d.]+ s, written to " .. literal(path) .. "\n$"), out)
    local text = slurp(path)
    assert.truthy(text:find('"options":{"data_dir":"/usr/share/datasets/fashion%-mnist","scale":1.0,"seed":0}'), text:sub(1, 200))
    local r = jsonio.decode(text)
    assert.are.same({ "optimizer_compare_naive", PORT, "number" }, { r.experiment, r.port, type(r.seconds) })
    assert.are.same({ -7, -6.335 }, { r.results.paths.SGD.x[1], r.results.paths.SGD.x[2] })
  end)
end)

describe("bin/bench", function()
  local bench = "bin/bench --lua " .. LUA

  it("refuses bad options with one line and exit status 2", function()
    assert_refused(bench .. " --repeats 0", "bin/bench: --repeats must be at least 1, not 0")
    assert_refused(bench .. " --steps 0", "bin/bench: --steps must be at least 1, not 0")
    assert_refused(bench .. " --repeats abc", "bin/bench: --repeats must be a whole number, not abc")
    assert_refused(bench .. " --steps -3", "bin/bench: --steps must be a whole number, not -3")
    assert_refused(bench .. " --bogus", "bin/bench: unknown option --bogus (see --help)")
    assert_refused(bench .. " --no-python", "bin/bench: unknown option --no-python (see --help)")
    assert_refused("bin/bench --lua", "bin/bench: --lua needs a value")
    assert_refused(bench .. " --net lenet", "bin/bench: --net must be two_layer_net, simple_conv_net or deep_conv_net, not lenet")
    assert_refused(bench .. " --net", "bin/bench: --net needs a value")
  end)

  it("lists every option with its default in --help", function()
    local status, out = run("bin/bench --help")
    assert.are.equal(0, status)
    assert.truthy(out:find("usage: bin/bench", 1, true))
    for _, option in ipairs({ "--lua I", "--net NAME", "--repeats N", "--steps N", "--hidden N", "--no-reference", "--json" }) do
      assert.truthy(out:find("\n  " .. literal(option) .. " [^\n]*%(default: [^\n]*%)\n"), option)
    end
    assert.truthy(out:find("(default: 7)", 1, true))
    assert.truthy(out:find("(default: 50)", 1, true))
  end)

  it("ends with one JSON object naming the port and its median", function()
    local status, out, err = run(bench .. " --repeats 1 --steps 1 --no-reference --json")
    assert.are.equal(0, status, err)
    local last = out:match("([^\n]+)\n$")
    local r = jsonio.decode(last)
    assert.are.equal(PORT, r.port)
    assert.are.equal("number", type(r.ms_per_step))
    assert.is_true(r.ms_per_step > 0)
  end)

  it("--net simple_conv_net: the convolutional step's loss, dx1 (N x 1 x 28 x 28) and six gradients", function()
    local status, out, err = run(bench .. " --net simple_conv_net --check --hidden 3 --batch 2")
    assert.are.equal(0, status, err)
    local c = jsonio.decode(out:match("([^\n]+)\n$"))
    -- ten classes at the start: the loss is near log 10
    assert.is_true(math.abs(c.loss - math.log(10)) < 1e-3, tostring(c.loss))
    assert.are.same({ 2, 1, 28 }, { #c.dx1, #c.dx1[1], #c.dx1[1][1] })
    assert.are.same({ 30, 30, 4320, 3, 3, 10 }, { #c.grads.W1, #c.grads.b1, #c.grads.W2, #c.grads.b2, #c.grads.W3, #c.grads.b3 })
    status, out, err = run(bench .. " --net simple_conv_net --repeats 1 --steps 1 --batch 2 --no-reference --json")
    assert.are.equal(0, status, err)
    local r = jsonio.decode(out:match("([^\n]+)\n$"))
    assert.are.same({ PORT, "simple_conv_net" }, { r.port, r.net })
    assert.is_true(r.ms_per_step > 0)
  end)

  it("--net deep_conv_net: DeepConvNet's step, its loss, dx1 and sixteen gradients; 5,263.4 MFLOP a step of 100", function()
    local status, out, err = run(bench .. " --net deep_conv_net --check --hidden 3 --batch 2")
    assert.are.equal(0, status, err)
    local c = jsonio.decode(out:match("([^\n]+)\n$"))
    assert.is_true(c.loss > 0 and c.loss == c.loss, tostring(c.loss))
    assert.are.same({ 2, 1, 28, 28 }, { #c.dx1, #c.dx1[1], #c.dx1[1][1], #c.dx1[1][1][1] })
    -- W1 16 x 1 x 3 x 3 ... W7 (64·4·4) x 3, W8 3 x 10
    assert.are.same({ 16, 16, 16, 16, 32, 32, 32, 32, 64, 64, 64, 64, 1024, 3, 3, 10 },
      { #c.grads.W1, #c.grads.b1, #c.grads.W2, #c.grads.b2, #c.grads.W3, #c.grads.b3, #c.grads.W4, #c.grads.b4,
        #c.grads.W5, #c.grads.b5, #c.grads.W6, #c.grads.b6, #c.grads.W7, #c.grads.b7, #c.grads.W8, #c.grads.b8 })
    assert.are.same({ 1, 3, 3 }, { #c.grads.W1[1], #c.grads.W1[1][1], #c.grads.W1[1][1][1] })
    -- per image 28·28·16·9 + 28·28·16·144 + 14·14·32·144 + 16·16·32·288 + 8·8·64·288 + 8·8·64·576 + 1024·50 + 50·10
    local bench_mod = require("dlscratch.bench")
    assert.are.equal(8772340, bench_mod.deep_conv_macs(50))
    assert.are.equal(5263.404e6, bench_mod.flops(50, 100, "deep_conv_net"))
  end)
end)
