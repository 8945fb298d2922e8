-- Lua side of bin/train (see bin/train --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local datasets = require("dlscratch.datasets")
local jsonio = require("dlscratch.jsonio")
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

local function fail(fmt, ...)
  io.stderr:write("bin/train: ", string.format(fmt, ...), "\n")
  os.exit(2)
end

local function finite(v)
  return v ~= nil and v == v and v ~= math.huge and v ~= -math.huge
end

local function whole(name, text)
  local v = tonumber(text)
  if not finite(v) or v ~= math.floor(v) then fail("%s must be a whole number, not %s", name, text) end
  return math.floor(v)
end

local function positive_int(name, text)
  local v = whole(name, text)
  if v < 1 then fail("%s must be at least 1, not %s", name, text) end
  return v
end

local function number(name, text)
  local v = tonumber(text)
  if not finite(v) then fail("%s must be a finite number, not %s", name, text) end
  return v
end

local function parse(argv)
  local o = {
    data_dir = "/usr/share/datasets/fashion-mnist", iters = 10000, batch_size = 100, hidden = 50,
    lr = 0.1, optimizer = "sgd", weight_init_std = 0.01, seed = 0, out = "train-" .. PORT .. ".json",
    quiet = false,
  }
  local takes = {
    ["--data-dir"] = function(v) o.data_dir = v end,
    ["--iters"] = function(v) o.iters = positive_int("--iters", v) end,
    ["--batch-size"] = function(v) o.batch_size = positive_int("--batch-size", v) end,
    ["--hidden"] = function(v) o.hidden = positive_int("--hidden", v) end,
    ["--lr"] = function(v) o.lr = number("--lr", v) end,
    ["--optimizer"] = function(v)
      for _, name in ipairs(OPTIMIZER_NAMES) do
        if v == name then o.optimizer = v; return end
      end
      fail("--optimizer must be one of %s, not %s", table.concat(OPTIMIZER_NAMES, ", "), v)
    end,
    ["--weight-init-std"] = function(v) o.weight_init_std = number("--weight-init-std", v) end,
    ["--seed"] = function(v)
      local s = whole("--seed", v)
      if s < 0 or s >= 2 ^ 31 then fail("--seed must be in 0 <= seed < 2^31, not %s", v) end
      o.seed = s
    end,
    ["--train-size"] = function(v) o.train_size = positive_int("--train-size", v) end,
    ["--test-size"] = function(v) o.test_size = positive_int("--test-size", v) end,
    ["--out"] = function(v) o.out = v end,
  }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local name, value = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--help" or name == "-h" then
      print(HELP)
      os.exit(0)
    elseif name == "--quiet" then
      if value ~= nil then fail("--quiet takes no value") end
      o.quiet = true
      i = i + 1
    elseif takes[name] then
      if value == nil then
        value = argv[i + 1]
        if value == nil then fail("%s needs a value", name) end
        i = i + 2
      else
        i = i + 1
      end
      takes[name](value)
    else
      fail("unknown option %s (see --help)", a)
    end
  end
  return o
end

-- check_writable(path): fail now rather than after training; a file that
-- did not exist is not left behind.
local function check_writable(path)
  local existed = io.open(path, "rb")
  if existed then existed:close() end
  local f, err = io.open(path, "ab")
  if not f then fail("cannot write --out %s", tostring(err)) end
  f:close()
  if not existed then os.remove(path) end
end

-- wall_clock(): seconds since the epoch. Lua has no sub-second wall clock, so
-- this asks date(1) (GNU date prints nanoseconds with %N); os.time() elsewhere.
local function wall_clock()
  local p = io.popen("date +%s.%N 2>/dev/null")
  local text = p and p:read("*l")
  if p then p:close() end
  return tonumber(text or "") or os.time()
end

-- A one-line progress bar on stderr, redrawn at most every 0.1 s of CPU time.
local function progress_bar(total, enabled)
  local bar = { last = -1, start = os.clock() }
  function bar.update(done, loss)
    if not enabled then return end
    local now = os.clock()
    if done < total and now - bar.last < 0.1 then return end
    bar.last = now
    local width = 30
    local filled = math.floor(done / total * width)
    local rate = done / math.max(now - bar.start, 1e-9)
    io.stderr:write(string.format("\r[%s%s] %d/%d %3d%%  loss %.4f  %.0f it/s  eta %.0fs\27[K",
      string.rep("#", filled), string.rep(".", width - filled), done, total,
      math.floor(100 * done / total), loss, rate, (total - done) / rate))
    io.stderr:flush()
  end
  function bar.write(text)
    if enabled then io.stderr:write("\r\27[K") end
    io.stdout:write(text, "\n")
    io.stdout:flush()
  end
  function bar.close()
    if enabled then io.stderr:write("\n") end
  end
  return bar
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
  if not f then fail("cannot write %s", tostring(err)) end
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
  check_writable(o.out)
  local data = datasets.load_mnist(o.data_dir, o.train_size, o.test_size)
  local n = data.train_images.n
  local iter_per_epoch = train.iter_per_epoch(n, o.batch_size)
  local acc_iters, train_acc, test_acc = jsonio.array({}), jsonio.array({}), jsonio.array({})
  local bar = progress_bar(o.iters, not o.quiet and os.getenv("DLSCRATCH_STDERR_TTY") == "1")

  local function accuracies(net)
    return accuracy(net, data.train_images, data.train_labels), accuracy(net, data.test_images, data.test_labels)
  end

  local function on_iter(i, net, loss)
    if train.epoch_end(i, iter_per_epoch) then
      local k = #acc_iters + 1
      acc_iters[k] = i
      train_acc[k], test_acc[k] = accuracies(net)
      bar.write(string.format("epoch %d  train acc %.4f  test acc %.4f", i / iter_per_epoch, train_acc[k], test_acc[k]))
    end
    bar.update(i + 1, loss)
  end

  local start = wall_clock()
  local result = train.two_layer_net(data.train_images, data.train_labels, {
    hidden_size = o.hidden, output_size = 10, weight_init_std = o.weight_init_std, lr = o.lr,
    batch_size = o.batch_size, iters = o.iters, seed = o.seed, optimizer = o.optimizer,
  }, on_iter)
  local seconds = wall_clock() - start
  bar.close()
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
  if datasets.is_file_error(err) then fail("%s", err.message) end
  io.stderr:write("bin/train: internal error: ", tostring(err), "\n")
  os.exit(1)
end
