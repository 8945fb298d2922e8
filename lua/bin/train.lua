-- Lua side of bin/train (see bin/train --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local datasets = require("dlscratch.datasets")
local errors = require("dlscratch.errors")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")

local PORT = jit and "luajit" or "lua"

local HELP = [[
usage: bin/train [--lua luajit|lua5.4] [options]

Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) on Fashion-MNIST
or MNIST with the loop of train_neuralnet.py; print train/test accuracy once an
epoch and write the loss history (JSON or CSV).

options:
  --lua I               interpreter: luajit (default) or lua5.4
  --data-dir DIR        directory with the four IDX files
                        (default: /usr/share/datasets/fashion-mnist)
  --iters N             iterations (default: 10000)
  --batch-size N        (default: 100)
  --hidden N            hidden units (default: 50)
  --lr X                learning rate (default: 0.1)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop, adam (default: sgd)
  --weight-init-std X   (default: 0.01)
  --seed K              seeds the generator of weights and batches (default: 0)
  --train-size N        use the first N training images (default: all)
  --test-size N         use the first N test images (default: all)
  --out FILE            history file, .json or .csv (default: train-]] .. PORT .. [[.json)
  --quiet               no progress bar
  --help                this text]]

local OPTIMIZERS = { sgd = true, momentum = true, nesterov = true, adagrad = true, rmsprop = true, adam = true }

local function fail(msg)
  io.stderr:write("bin/train: ", msg, "\n")
  os.exit(2)
end

local function positive_int(name, text)
  local v = tonumber(text)
  if v == nil or v ~= math.floor(v) or v < 1 then fail(name .. " must be a positive integer, not " .. tostring(text)) end
  return math.floor(v)
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
    ["--lr"] = function(v) o.lr = tonumber(v) or fail("--lr must be a number, not " .. v) end,
    ["--optimizer"] = function(v)
      if not OPTIMIZERS[v] then fail("--optimizer must be one of sgd, momentum, nesterov, adagrad, rmsprop, adam") end
      o.optimizer = v
    end,
    ["--weight-init-std"] = function(v)
      o.weight_init_std = tonumber(v) or fail("--weight-init-std must be a number, not " .. v)
    end,
    ["--seed"] = function(v)
      local s = tonumber(v)
      if s == nil or s ~= math.floor(s) or s < 0 or s >= 2 ^ 31 then fail("--seed must be an integer in 0 .. 2^31-1") end
      o.seed = math.floor(s)
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
      o.quiet = true
      i = i + 1
    elseif takes[name] then
      if value == nil then
        value = argv[i + 1]
        if value == nil then fail(name .. " needs a value") end
        i = i + 2
      else
        i = i + 1
      end
      takes[name](value)
    else
      fail("unknown option " .. a .. " (see --help)")
    end
  end
  return o
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
  if not f then fail("cannot write " .. path .. ": " .. tostring(err)) end
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
  local ok, data = pcall(datasets.load_mnist, o.data_dir, o.train_size, o.test_size)
  if not ok then
    io.stderr:write("error: ", errors.is_error(data) and data.message or tostring(data), "\n")
    os.exit(2)
  end
  local n = data.train_images.n
  local iter_per_epoch = math.max(math.floor(n / o.batch_size), 1)
  local train_acc, test_acc = jsonio.array({}), jsonio.array({})
  local bar = progress_bar(o.iters, not o.quiet and os.getenv("DLSCRATCH_STDERR_TTY") == "1")

  local function on_iter(i, net, loss)
    if i % iter_per_epoch == 0 then
      train_acc[#train_acc + 1] = accuracy(net, data.train_images, data.train_labels)
      test_acc[#test_acc + 1] = accuracy(net, data.test_images, data.test_labels)
      bar.write(string.format("epoch %d  train acc %.4f  test acc %.4f", math.floor(i / iter_per_epoch),
        train_acc[#train_acc], test_acc[#test_acc]))
    end
    bar.update(i + 1, loss)
  end

  local start = os.clock()
  local result = train.two_layer_net(data.train_images, data.train_labels, {
    hidden_size = o.hidden, output_size = 10, weight_init_std = o.weight_init_std, lr = o.lr,
    batch_size = o.batch_size, iters = o.iters, seed = o.seed, optimizer = o.optimizer,
  }, on_iter)
  local seconds = os.clock() - start
  bar.close()

  local record = {
    port = PORT,
    options = {
      data_dir = o.data_dir, iters = o.iters, batch_size = o.batch_size, hidden = o.hidden,
      lr = o.lr, optimizer = o.optimizer, weight_init_std = o.weight_init_std, seed = o.seed,
      train_size = n, test_size = data.test_images.n, interpreter = jit and jit.version or _VERSION,
    },
    loss_history = jsonio.array(result.loss_history),
    train_acc = train_acc, test_acc = test_acc, seconds = seconds,
  }
  write_history(o.out, record)
  print(string.format("final  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)",
    train_acc[#train_acc], test_acc[#test_acc], seconds, 1000 * seconds / o.iters))
  print("history written to " .. o.out)
end

main(arg)
