-- Lua side of bin/train (see bin/train --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local cli = require("dlscratch.cli")
local datasets = require("dlscratch.datasets")
local jsonio = require("dlscratch.jsonio")
local progress = require("dlscratch.progress")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")

local PORT = jit and "luajit" or "lua"

local HELP = [[
usage: bin/train [--lua luajit|lua5.4] [options]

Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST
or MNIST with the loop of train_neuralnet.py. After iteration i it prints the train
and test accuracy when i mod (train size / batch size) is 0 ("epoch K ..."), and
once more after the last iteration ("final (after iteration I) ..."); then it
writes the history (JSON or CSV).

options:
  --lua I               interpreter: luajit or lua5.4 (default: luajit)
  --data-dir DIR        directory with the four IDX files, raw or .gz
                        (default: /usr/share/datasets/fashion-mnist)
  --iters N             iterations (default: 10000)
  --batch-size N        images per batch (default: 100)
  --hidden N            hidden units (default: 50)
  --lr X                learning rate (default: 0.1)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam, the other
                        hyper-parameters at the book's defaults (default: sgd)
  --weight-init-std X   standard deviation of the initial weights (default: 0.01)
  --seed K              0 <= K < 2^31, seeds the one generator: W1, W2, then every
                        batch (default: 0)
  --train-size N        use the first N training images (default: all, 60000)
  --test-size N         use the first N test images (default: all, 10000)
  --out FILE            history file, .json or .csv by extension
                        (default: train-]] .. PORT .. [[.json)
  --quiet               no progress bar (the accuracy lines are still printed)
  --help                this text]]

local OPTIMIZER_NAMES = { "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" }

local command = cli.Command.new("bin/train", HELP)

local function parse(argv)
  local o = {
    data_dir = "/usr/share/datasets/fashion-mnist", iters = 10000, batch_size = 100, hidden = 50,
    lr = 0.1, optimizer = "sgd", weight_init_std = 0.01, seed = 0, out = "train-" .. PORT .. ".json",
    quiet = false,
  }
  local takes = {
    ["--data-dir"] = function(v) o.data_dir = v end,
    ["--iters"] = function(v) o.iters = command:positive_int("--iters", v) end,
    ["--batch-size"] = function(v) o.batch_size = command:positive_int("--batch-size", v) end,
    ["--hidden"] = function(v) o.hidden = command:positive_int("--hidden", v) end,
    ["--lr"] = function(v) o.lr = command:number("--lr", v) end,
    ["--optimizer"] = function(v) o.optimizer = command:choice("--optimizer", v, OPTIMIZER_NAMES) end,
    ["--weight-init-std"] = function(v) o.weight_init_std = command:number("--weight-init-std", v) end,
    ["--seed"] = function(v) o.seed = command:seed("--seed", v) end,
    ["--train-size"] = function(v) o.train_size = command:positive_int("--train-size", v) end,
    ["--test-size"] = function(v) o.test_size = command:positive_int("--test-size", v) end,
    ["--out"] = function(v) o.out = v end,
  }
  local extra = command:parse(argv, takes, { ["--quiet"] = function() o.quiet = true end })
  if extra[1] then command:fail("unknown option %s (see --help)", extra[1]) end
  return o
end

-- accuracy of the network on every image of a dataset, 1000 rows at a time
local function accuracy(net, images, labels)
  local hits, chunk = 0, 1000
  for first = 0, images.n - 1, chunk do
    local count = math.min(chunk, images.n - first)
    local pred = tensor.argmax_rows(net:predict(images:range(first, count)))
    for r = 1, count do
      if pred[r] == labels[first + r] then hits = hits + 1 end
    end
  end
  return hits / images.n
end

local function write_history(path, record)
  local f, err = io.open(path, "w")
  if not f then command:fail("cannot write %s", tostring(err)) end
  if path:lower():match("%.csv$") then
    f:write("iter,loss\n")
    for i, loss in ipairs(record.loss_history) do
      f:write(i - 1, ",", jsonio.number(loss), "\n")
    end
  else
    f:write(jsonio.encode(record), "\n")
  end
  f:close()
end

local function main(argv)
  local o = parse(argv)
  command:check_writable(o.out)
  local data = datasets.load_mnist(o.data_dir, o.train_size, o.test_size)
  local n = data.train_images.n
  local iter_per_epoch = train.iter_per_epoch(n, o.batch_size)
  local acc_iters, train_acc, test_acc = jsonio.array({}), jsonio.array({}), jsonio.array({})
  local bar = progress.ProgressBar.new(o.iters, not o.quiet and progress.terminal())

  local function accuracies(net)
    return accuracy(net, data.train_images, data.train_labels), accuracy(net, data.test_images, data.test_labels)
  end

  local function on_iter(i, net, loss)
    if train.epoch_end(i, iter_per_epoch) then
      local k = #acc_iters + 1
      acc_iters[k] = i
      train_acc[k], test_acc[k] = accuracies(net)
      bar:write(string.format("epoch %d  train acc %.4f  test acc %.4f", i / iter_per_epoch, train_acc[k], test_acc[k]))
    end
    bar:update(i + 1, "loss", loss)
  end

  local start = cli.wall_clock()
  local result = train.two_layer_net(data.train_images, data.train_labels, {
    hidden_size = o.hidden, output_size = 10, weight_init_std = o.weight_init_std, lr = o.lr,
    batch_size = o.batch_size, iters = o.iters, seed = o.seed, optimizer = o.optimizer,
  }, on_iter)
  local seconds = cli.wall_clock() - start
  bar:close()
  -- the final evaluation, as the book's Trainer.train does after its loop
  -- (the same figures when the last iteration was an epoch's end)
  local final_iter, final_train, final_test = o.iters - 1, nil, nil
  if acc_iters[#acc_iters] == final_iter then
    final_train, final_test = train_acc[#train_acc], test_acc[#test_acc]
  else
    final_train, final_test = accuracies(result.network)
  end

  write_history(o.out, {
    port = PORT,
    options = {
      data_dir = o.data_dir, iters = o.iters, batch_size = o.batch_size, hidden = o.hidden,
      lr = o.lr, optimizer = o.optimizer, weight_init_std = o.weight_init_std, seed = o.seed,
      train_size = n, test_size = data.test_images.n, interpreter = jit and jit.version or _VERSION,
    },
    loss_history = jsonio.array(result.loss_history),
    acc_iters = acc_iters, train_acc = train_acc, test_acc = test_acc,
    final_iter = final_iter, final_train_acc = final_train, final_test_acc = final_test,
    seconds = seconds,
  })
  print(string.format("final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)",
    final_iter, final_train, final_test, seconds, 1000 * seconds / o.iters))
  print("history written to " .. o.out)
end

-- a bad data file is a usage error like a bad option
local ok, err = pcall(main, arg)
if not ok then
  if datasets.is_file_error(err) then command:fail("%s", err.message) end
  io.stderr:write("bin/train: internal error: ", tostring(err), "\n")
  os.exit(1)
end
