-- Lua side of bin/train (see bin/train --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

local cli = require("dlscratch.cli")
local datasets = require("dlscratch.datasets")
local jsonio = require("dlscratch.jsonio")
local progress = require("dlscratch.progress")
local networks = require("dlscratch.networks")
local rng = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")
local Trainer = require("dlscratch.trainer").Trainer

local PORT = jit and "luajit" or "lua"

local HELP = [[
usage: bin/train [--lua luajit|lua5.4] [options]

Train the book's TwoLayerNet (Affine-ReLU-Affine-SoftmaxWithLoss) with the loop of
train_neuralnet.py, or with --net simple_conv_net the book's SimpleConvNet (30 filters
of 5x5, ReLU, 2x2 max pooling, Affine-ReLU-Affine-SoftmaxWithLoss) with its Trainer
(train_convnet.py), or with --net deep_conv_net the book's DeepConvNet (six 3x3
convolutions, three 2x2 poolings, Affine-ReLU-Dropout-Affine-Dropout-SoftmaxWithLoss,
He's initial scales) with its Trainer (train_deepnet.py), on Fashion-MNIST or MNIST.
After step i it prints the train and test accuracy when i mod (train size / batch
size) is 0 ("epoch K ..."), and once more after the last step ("final (after
iteration I) ..."); then it writes the history (JSON or CSV).

options:
  --lua I               interpreter: luajit or lua5.4 (default: luajit)
  --net NAME            two_layer_net, simple_conv_net or deep_conv_net
                        (default: two_layer_net)
  --data-dir DIR        directory with the four IDX files, raw or .gz
                        (default: /usr/share/datasets/fashion-mnist)
  --iters N             iterations, two_layer_net only (default: 10000)
  --epochs N            epochs of the Trainer, simple_conv_net and deep_conv_net
                        only (default: 20)
  --evaluate-samples N  train and test images evaluated each epoch, simple_conv_net
                        and deep_conv_net only (default: 1000)
  --batch-size N        images per batch (default: 100)
  --hidden N            hidden units (default: 50; 100 for simple_conv_net)
  --lr X                learning rate (default: 0.1; 0.001 for simple_conv_net
                        and deep_conv_net)
  --optimizer NAME      sgd, momentum, nesterov, adagrad, rmsprop or adam, the
                        book's other hyper-parameters (default: sgd; adam for
                        simple_conv_net and deep_conv_net)
  --weight-init-std X   standard deviation of the initial weights, two_layer_net
                        and simple_conv_net only (default: 0.01)
  --seed K              0 <= K < 2^31, seeds the one generator (default: 0): the
                        weights, then every batch and DeepConvNet's mask seeds
  --train-size N        use the first N training images (default: all, 60000)
  --test-size N         use the first N test images (default: all, 10000)
  --out FILE            history file, .json or .csv by extension
                        (default: train-]] .. PORT .. [[.json)
  --save-params FILE    write the trained parameters in the portable format
                        (default: not written)
  --quiet               no progress bar (the accuracy lines are still printed)
  --help                this text]]

local OPTIMIZER_NAMES = { "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam" }
local NETS = { "two_layer_net", "simple_conv_net", "deep_conv_net" }

-- Each network's defaults (train_neuralnet.py's, train_convnet.py's and train_deepnet.py's settings);
-- false marks an option the network does not accept.
local NET_DEFAULTS = {
  two_layer_net = { iters = 10000, epochs = false, evaluate_samples = false, batch_size = 100, hidden = 50,
    optimizer = "sgd", lr = 0.1, weight_init_std = 0.01 },
  simple_conv_net = { iters = false, epochs = 20, evaluate_samples = 1000, batch_size = 100, hidden = 100,
    optimizer = "adam", lr = 0.001, weight_init_std = 0.01 },
  deep_conv_net = { iters = false, epochs = 20, evaluate_samples = 1000, batch_size = 100, hidden = 50,
    optimizer = "adam", lr = 0.001, weight_init_std = false },
}
local NET_OPTIONS = { "iters", "epochs", "evaluate_samples", "batch_size", "hidden", "optimizer", "lr", "weight_init_std" }

local command = cli.Command.new("bin/train", HELP)

-- parse(argv): the options, those left out taking the network's defaults; an option that the
-- network does not accept is a usage error
local function parse(argv)
  local o = {
    net = "two_layer_net", data_dir = "/usr/share/datasets/fashion-mnist", seed = 0,
    out = "train-" .. PORT .. ".json", quiet = false,
  }
  local takes = {
    ["--net"] = function(v) o.net = command:choice("--net", v, NETS) end,
    ["--data-dir"] = function(v) o.data_dir = v end,
    ["--iters"] = function(v) o.iters = command:positive_int("--iters", v) end,
    ["--epochs"] = function(v) o.epochs = command:positive_int("--epochs", v) end,
    ["--evaluate-samples"] = function(v) o.evaluate_samples = command:positive_int("--evaluate-samples", v) end,
    ["--batch-size"] = function(v) o.batch_size = command:positive_int("--batch-size", v) end,
    ["--hidden"] = function(v) o.hidden = command:positive_int("--hidden", v) end,
    ["--lr"] = function(v) o.lr = command:number("--lr", v) end,
    ["--optimizer"] = function(v) o.optimizer = command:choice("--optimizer", v, OPTIMIZER_NAMES) end,
    ["--weight-init-std"] = function(v) o.weight_init_std = command:number("--weight-init-std", v) end,
    ["--seed"] = function(v) o.seed = command:seed("--seed", v) end,
    ["--train-size"] = function(v) o.train_size = command:positive_int("--train-size", v) end,
    ["--test-size"] = function(v) o.test_size = command:positive_int("--test-size", v) end,
    ["--out"] = function(v) o.out = v end,
    ["--save-params"] = function(v) o.save_params = v end,
  }
  local extra = command:parse(argv, takes, { ["--quiet"] = function() o.quiet = true end })
  if extra[1] then command:fail("unknown option %s (see --help)", extra[1]) end
  for _, option in ipairs(NET_OPTIONS) do
    local default = NET_DEFAULTS[o.net][option]
    if default == false and o[option] ~= nil then
      command:fail("--%s does not apply to --net %s", option:gsub("_", "-"), o.net)
    end
    if o[option] == nil then o[option] = default end
  end
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

local ordered = train.ordered

-- save_params(path, network, params): train.save_params, a file that cannot be written a usage error
local function save_params(path, network, params)
  local ok, err = train.save_params(path, PORT, network, params)
  if not ok then command:fail("cannot write %s", tostring(err)) end
end

-- the two_layer_net run: the loop of train_neuralnet.py, evaluated on the whole sets
local function train_two_layer_net(o, data, bar, history)
  local iter_per_epoch = train.iter_per_epoch(data.train_images.n, o.batch_size)
  local function accuracies(net)
    return accuracy(net, data.train_images, data.train_labels), accuracy(net, data.test_images, data.test_labels)
  end
  local function on_iter(i, net, loss)
    if train.epoch_end(i, iter_per_epoch) then
      local k = #history.acc_iters + 1
      history.acc_iters[k] = i
      history.train_acc[k], history.test_acc[k] = accuracies(net)
      bar:write(string.format("epoch %d  train acc %.4f  test acc %.4f", i / iter_per_epoch, history.train_acc[k],
        history.test_acc[k]))
    end
    bar:update(i + 1, "loss", loss)
  end
  local result = train.two_layer_net(data.train_images, data.train_labels, {
    hidden_size = o.hidden, output_size = 10, weight_init_std = o.weight_init_std, lr = o.lr,
    batch_size = o.batch_size, iters = o.iters, seed = o.seed, optimizer = o.optimizer,
  }, on_iter)
  -- the final evaluation, as the book's Trainer.train does after its loop
  -- (the same figures when the last iteration was an epoch's end)
  local acc_iters = history.acc_iters
  if acc_iters[#acc_iters] == o.iters - 1 then
    history.final_train_acc, history.final_test_acc = history.train_acc[#acc_iters], history.test_acc[#acc_iters]
  else
    history.final_train_acc, history.final_test_acc = accuracies(result.network)
  end
  history.loss_history = result.loss_history
  return result.network,
    ordered({ { "kind", '"two_layer_net"' }, { "input_size", tostring(data.train_images.cols) },
      { "hidden_size", tostring(o.hidden) }, { "output_size", "10" } })
end

-- the convolutional networks (their "network" objects of a parameters file, README §8) and how each is drawn
local CONV_NETS = {
  simple_conv_net = function(o, dim, generator)
    local c = networks.CONV_PARAM
    return networks.SimpleConvNet.new({ input_dim = dim, hidden_size = o.hidden, output_size = 10,
      weight_init_std = o.weight_init_std }, generator),
      { { "conv_param", ordered({ { "filter_num", tostring(c.filter_num) }, { "filter_size", tostring(c.filter_size) },
        { "pad", tostring(c.pad) }, { "stride", tostring(c.stride) } }) } }
  end,
  deep_conv_net = function(o, dim, generator)
    return networks.DeepConvNet.new({ input_dim = dim, hidden_size = o.hidden, output_size = 10 }, generator), {}
  end,
}

-- the simple_conv_net and deep_conv_net runs: the book's Trainer (train_convnet.py, train_deepnet.py) on
-- 1 x 28 x 28 images, one generator for the weights and then every batch (and DeepConvNet's mask seed of
-- each step); each epoch and the final train accuracy on the first evaluate_samples images, the final
-- test accuracy on the whole test set
local function train_conv_net(o, data, bar, history)
  local x_train, x_test = data.train_images:as_images(), data.test_images:as_images()
  if o.net == "deep_conv_net" and (x_train.height < 4 or x_train.width < 4) then
    command:fail("DeepConvNet's three poolings need images of at least 4x4, not %dx%d", x_train.height, x_train.width)
  end
  local t_train = tensor.new({ #data.train_labels }, data.train_labels)
  local t_test = tensor.new({ #data.test_labels }, data.test_labels)
  local generator = rng.new(o.seed)
  local net, structure = CONV_NETS[o.net](o, { 1, x_train.height, x_train.width }, generator)
  local trainer = Trainer.new(net, x_train, t_train, x_test, t_test, {
    epochs = o.epochs, mini_batch_size = o.batch_size, optimizer = o.optimizer, optimizer_param = { lr = o.lr },
    evaluate_sample_num_per_epoch = o.evaluate_samples, rng = generator,
    on_step = function(tr, loss)
      local i = tr.current_iter
      if train.epoch_end(i, tr.iter_per_epoch) then
        history.acc_iters[#history.acc_iters + 1] = i
        bar:write(string.format("epoch %d  train acc %.4f  test acc %.4f", tr.current_epoch,
          tr.train_acc_list[tr.current_epoch], tr.test_acc_list[tr.current_epoch]))
      end
      bar:update(i + 1, "loss", loss)
    end,
  })
  history.final_test_acc = trainer:train()
  history.final_train_acc = net:accuracy(trainer:first_train(o.evaluate_samples))
  history.loss_history, history.train_acc, history.test_acc = trainer.train_loss_list, trainer.train_acc_list,
    trainer.test_acc_list
  local network = { { "kind", jsonio.encode(o.net) },
    { "input_dim", string.format("[1, %d, %d]", x_train.height, x_train.width) } }
  for _, kv in ipairs(structure) do network[#network + 1] = kv end
  network[#network + 1] = { "hidden_size", tostring(o.hidden) }
  network[#network + 1] = { "output_size", "10" }
  return net, ordered(network)
end

local function main(argv)
  local o = parse(argv)
  command:check_writable(o.out)
  if o.save_params then command:check_writable(o.save_params, "--save-params") end
  local data = datasets.load_mnist(o.data_dir, o.train_size, o.test_size)
  local conv = CONV_NETS[o.net] ~= nil
  local steps = conv and math.floor(o.epochs * train.iter_per_epoch(data.train_images.n, o.batch_size)) or o.iters
  local bar = progress.ProgressBar.new(steps, not o.quiet and progress.terminal())
  local history = { acc_iters = jsonio.array({}), train_acc = jsonio.array({}), test_acc = jsonio.array({}) }

  local start = cli.wall_clock()
  local net, network = (conv and train_conv_net or train_two_layer_net)(o, data, bar, history)
  local seconds = cli.wall_clock() - start
  bar:close()

  local options = {
    net = o.net, data_dir = o.data_dir, iters = steps, batch_size = o.batch_size, hidden = o.hidden,
    lr = o.lr, optimizer = o.optimizer, weight_init_std = o.weight_init_std or nil, seed = o.seed,
    train_size = data.train_images.n, test_size = data.test_images.n, interpreter = jit and jit.version or _VERSION,
  }
  if conv then options.epochs, options.evaluate_samples = o.epochs, o.evaluate_samples end
  write_history(o.out, {
    port = PORT, options = options,
    loss_history = jsonio.array(history.loss_history),
    acc_iters = history.acc_iters, train_acc = jsonio.array(history.train_acc), test_acc = jsonio.array(history.test_acc),
    final_iter = steps - 1, final_train_acc = history.final_train_acc, final_test_acc = history.final_test_acc,
    seconds = seconds,
  })
  print(string.format("final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)",
    steps - 1, history.final_train_acc, history.final_test_acc, seconds, 1000 * seconds / steps))
  print("history written to " .. o.out)
  if o.save_params then
    save_params(o.save_params, network, net.params)
    print("parameters written to " .. o.save_params)
  end
end

-- a bad data file is a usage error like a bad option
local ok, err = pcall(main, arg)
if not ok then
  if datasets.is_file_error(err) then command:fail("%s", err.message) end
  io.stderr:write("bin/train: internal error: ", tostring(err), "\n")
  os.exit(1)
end
