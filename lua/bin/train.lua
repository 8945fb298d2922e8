-- Lua side of bin/train (see bin/train --help).
local here = (arg and arg[0] or ""):match("^(.*)/bin/[^/]*$") or "."
package.path = here .. "/?.lua;" .. here .. "/?/init.lua;" .. package.path

package.cpath = here .. "/.build/" .. (jit and "luajit" or "lua5.4") .. "/?.so;" .. package.cpath

local checkpoint = require("dlscratch.checkpoint")
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
  --checkpoint FILE     where a stopped run writes its checkpoint (default: the
                        --out name with .ckpt.json for its extension)
  --stop-after N        stop as Ctrl-C does once N iterations of the run are
                        done, exit status 0 (default: run to the end)
  --resume FILE         continue the run stored in a checkpoint, which fixes
                        --net and every training option (default: a new run)
  --quiet               no progress bar (the accuracy lines are still printed)
  --help                this text

Ctrl-C (SIGINT) or SIGTERM lets the step in progress finish, then writes the
history so far to --out and the checkpoint to --checkpoint and exits with status
130 or 143; `bin/train --resume FILE` continues exactly as the uninterrupted run.]]

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
-- the options a checkpoint fixes: giving one with --resume is a usage error
local RUN_OPTIONS = { "net", "iters", "epochs", "evaluate_samples", "batch_size", "hidden", "lr", "optimizer",
  "weight_init_std", "seed", "train_size", "test_size" }

local function dashed(option) return "--" .. option:gsub("_", "-") end

local command = cli.Command.new("bin/train", HELP)

-- parse(argv): the options, those left out taking the network's defaults; an option that the
-- network does not accept is a usage error. With --resume no training option may be given (the
-- checkpoint's options are read by options_from).
local function parse(argv)
  local o = { data_dir = "/usr/share/datasets/fashion-mnist", out = "train-" .. PORT .. ".json", quiet = false }
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
    ["--checkpoint"] = function(v) o.checkpoint = v end,
    ["--stop-after"] = function(v) o.stop_after = command:positive_int("--stop-after", v) end,
    ["--resume"] = function(v) o.resume = v end,
  }
  local extra = command:parse(argv, takes, { ["--quiet"] = function() o.quiet = true end })
  if extra[1] then command:fail("unknown option %s (see --help)", extra[1]) end
  if o.resume then
    for _, option in ipairs(RUN_OPTIONS) do
      if o[option] ~= nil then command:fail("%s cannot be given with --resume: the checkpoint fixes it", dashed(option)) end
    end
    return o
  end
  o.net, o.seed = o.net or "two_layer_net", o.seed or 0
  for _, option in ipairs(NET_OPTIONS) do
    local default = NET_DEFAULTS[o.net][option]
    if default == false and o[option] ~= nil then
      command:fail("%s does not apply to --net %s", dashed(option), o.net)
    end
    if o[option] == nil then o[option] = default end
  end
  return o
end

-- How a checkpoint's options are checked, as their command-line options are: {accepts(v), what it must be}
local function whole(v) return type(v) == "number" and v == math.floor(v) and v - v == 0 end
local function finite(v) return type(v) == "number" and v - v == 0 end
local function count(v) return whole(v) and v >= 1 end
local OPTION_CHECKS = {
  optimizer = { function(v)
    for _, name in ipairs(OPTIMIZER_NAMES) do if v == name then return true end end
    return false
  end, "one of " .. table.concat(OPTIMIZER_NAMES, ", ") },
  lr = { finite, "a finite number" }, weight_init_std = { finite, "a finite number" },
  seed = { function(v) return whole(v) and v >= 0 and v < rng.SEED_LIMIT end, "a seed in 0 <= seed < 2^31" },
}
for _, option in ipairs({ "iters", "epochs", "evaluate_samples", "batch_size", "hidden", "train_size", "test_size" }) do
  OPTION_CHECKS[option] = { count, "a whole number >= 1" }
end

-- options_from(o, options): the run's options from a checkpoint's "options": net, then those the
-- network accepts, seed, train_size, test_size and iters (for the Trainer's networks recomputed from
-- the epochs), each checked as its command-line option is
local function options_from(o, options)
  local function refuse(option, what)
    command:fail("%s: options.%s is %s, not %s", o.resume, option, jsonio.encode(options[option] or jsonio.null):sub(1, 40),
      what)
  end
  local net = options.net
  if type(net) ~= "string" or not NET_DEFAULTS[net] then refuse("net", "one of " .. table.concat(NETS, ", ")) end
  o.net = net
  for _, option in ipairs(RUN_OPTIONS) do
    if option ~= "net" and (option == "iters" or NET_DEFAULTS[net][option] ~= false) then
      local v, check = options[option], OPTION_CHECKS[option]
      if not check[1](v) then refuse(option, check[2]) end
      o[option] = check[1] == finite and v or (whole(v) and math.floor(v) or v)
    end
  end
  if NET_DEFAULTS[net].iters == false then o.iters = nil end
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

-- A run: {network, structure (the JSON text of the parameters file's "network"), stepper (the train.Loop
-- or the Trainer: its network, optimizer, rng, current_iter), go(stop) (the iterations from the
-- stepper's current_iter on, stop(i) asked after each: whether every iteration was done), final() (the
-- final train and test accuracies)}; history = {loss_history, acc_iters, train_acc, test_acc}, the lists
-- that the run fills (a restored run's lists are refilled in place).

-- the two_layer_net run: the loop of train_neuralnet.py, evaluated on the whole sets
local function two_layer_run(o, data, bar, history)
  local iter_per_epoch = train.iter_per_epoch(data.train_images.n, o.batch_size)
  local function accuracies(net)
    return accuracy(net, data.train_images, data.train_labels), accuracy(net, data.test_images, data.test_labels)
  end
  local loop = train.Loop.new(data.train_images, data.train_labels, {
    hidden_size = o.hidden, output_size = 10, weight_init_std = o.weight_init_std, lr = o.lr,
    batch_size = o.batch_size, iters = o.iters, seed = o.seed, optimizer = o.optimizer,
  })
  history.loss_history = loop.loss_history
  local run = { network = loop.network, stepper = loop,
    structure = ordered({ { "kind", '"two_layer_net"' }, { "input_size", tostring(data.train_images.cols) },
      { "hidden_size", tostring(o.hidden) }, { "output_size", "10" } }) }
  function run.go(stop)
    return loop:run(function(i, net, loss)
      if train.epoch_end(i, iter_per_epoch) then
        local k = #history.acc_iters + 1
        history.acc_iters[k] = i
        history.train_acc[k], history.test_acc[k] = accuracies(net)
        bar:write(string.format("epoch %d  train acc %.4f  test acc %.4f", i / iter_per_epoch, history.train_acc[k],
          history.test_acc[k]))
      end
      bar:update(i + 1, "loss", loss)
      return stop(i)
    end)
  end
  -- the final evaluation, as the book's Trainer.train does after its loop
  -- (the same figures when the last iteration was an epoch's end)
  function run.final()
    local k = #history.acc_iters
    if history.acc_iters[k] == o.iters - 1 then return history.train_acc[k], history.test_acc[k] end
    return accuracies(loop.network)
  end
  return run
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
local function conv_run(o, data, bar, history)
  local x_train, x_test = data.train_images:as_images(), data.test_images:as_images()
  if o.net == "deep_conv_net" and (x_train.height < 4 or x_train.width < 4) then
    command:fail("DeepConvNet's three poolings need images of at least 4x4, not %dx%d", x_train.height, x_train.width)
  end
  local t_train = tensor.new({ #data.train_labels }, data.train_labels)
  local t_test = tensor.new({ #data.test_labels }, data.test_labels)
  local generator = rng.new(o.seed)
  local net, structure = CONV_NETS[o.net](o, { 1, x_train.height, x_train.width }, generator)
  local stop
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
      return stop(i)
    end,
  })
  history.loss_history, history.train_acc, history.test_acc = trainer.train_loss_list, trainer.train_acc_list,
    trainer.test_acc_list
  local network = { { "kind", jsonio.encode(o.net) },
    { "input_dim", string.format("[1, %d, %d]", x_train.height, x_train.width) } }
  for _, kv in ipairs(structure) do network[#network + 1] = kv end
  network[#network + 1] = { "hidden_size", tostring(o.hidden) }
  network[#network + 1] = { "output_size", "10" }
  local run = { network = net, stepper = trainer, structure = ordered(network) }
  function run.go(stop_after)
    stop = stop_after
    return trainer:train() ~= nil
  end
  function run.final() return net:accuracy(trainer:first_train(o.evaluate_samples)), trainer.test_acc end
  return run
end

-- refill(list, values): list holds exactly values (the lists a run shares with its history stay the same tables)
local function refill(list, values)
  for i = #list, 1, -1 do list[i] = nil end
  for i, v in ipairs(values) do list[i] = v end
end

-- restore(o, saved, run, steps, iter_per_epoch): the checkpoint's state put into the freshly built run
-- (its parameters in place, the optimizer's state, the generator's words, the history, the next
-- iteration) after checkpoint.restore has checked it against the run; the checkpoint's seconds.
local function restore(o, saved, run, history, steps, iter_per_epoch)
  local ok, ck = pcall(checkpoint.restore, saved, {
    network = jsonio.decode(run.structure), params = run.network.params, optimizer = o.optimizer, steps = steps,
    epoch_end = function(i) return train.epoch_end(i, iter_per_epoch) end,
  })
  if not ok then
    if checkpoint.is_error(ck) then command:fail("%s: %s", o.resume, ck.message) end
    error(ck, 0)
  end
  for key, p in pairs(ck.params) do
    local d, s = run.network.params[key].data, p.data
    for i = 1, p.size do d[i] = s[i] end
  end
  local stepper = run.stepper
  stepper.optimizer:load_state_dict(ck.state)
  stepper.rng:set_state(ck.words)
  for _, key in ipairs(checkpoint.HISTORY_LISTS) do refill(history[key], ck.history[key]) end
  stepper.current_iter = ck.iteration
  if stepper.current_epoch then stepper.current_epoch = #history.acc_iters end
  return ck.history.seconds
end

-- checkpoint_path(out): the --out name with .ckpt.json for its extension
local function checkpoint_path(out)
  local dir, name = out:match("^(.-)([^/]*)$")
  return dir .. (name:match("^(.+)%.[^.]*$") or name) .. ".ckpt.json"
end

-- the signal module (csrc/signals.c, built by build-signals.sh), without which a run could not be stopped cleanly
local function load_signals()
  local ok, signals = pcall(require, "dlscratch.signals")
  if not ok then
    command:fail("the C module dlscratch.signals is missing (%s/.build/%s/dlscratch/signals.so): run %s/build-signals.sh",
      here, jit and "luajit" or "lua5.4", here)
  end
  return signals
end

local signals

-- the exit status of a run ended by a signal: 128 + its number (130 for SIGINT, 143 for SIGTERM)
local function exit_if_signalled()
  local sig = signals and signals.pending()
  if sig then os.exit(128 + sig) end
end

local function main(argv)
  local o = parse(argv)
  local saved
  if o.resume then
    local ok, obj = pcall(checkpoint.read, o.resume)
    if not ok then
      if checkpoint.is_error(obj) then command:fail("%s: %s", o.resume, obj.message) end
      error(obj, 0)
    end
    saved = obj
    options_from(o, saved.options)
  end
  signals = load_signals()
  signals.install()
  o.checkpoint = o.checkpoint or checkpoint_path(o.out)
  command:check_writable(o.out)
  if o.save_params then command:check_writable(o.save_params, "--save-params") end
  command:check_writable(o.checkpoint, "--checkpoint")
  local data = datasets.load_mnist(o.data_dir, o.train_size, o.test_size)
  if saved then
    for _, set in ipairs({ { "training", o.train_size, data.train_images.n }, { "test", o.test_size, data.test_images.n } }) do
      if set[2] ~= set[3] then
        command:fail("%s: the run used %d %s images; %s has %d", o.resume, set[2], set[1], o.data_dir, set[3])
      end
    end
  end
  local conv = CONV_NETS[o.net] ~= nil
  local iter_per_epoch = train.iter_per_epoch(data.train_images.n, o.batch_size)
  local steps = conv and math.floor(o.epochs * iter_per_epoch) or o.iters
  local bar = progress.ProgressBar.new(steps, not o.quiet and progress.terminal())
  local history = { acc_iters = jsonio.array({}), train_acc = jsonio.array({}), test_acc = jsonio.array({}) }
  local run = (conv and conv_run or two_layer_run)(o, data, bar, history)
  local seconds = saved and restore(o, saved, run, history, steps, iter_per_epoch) or 0.0
  bar.first = run.stepper.current_iter
  exit_if_signalled() -- a signal before training: nothing is written

  local start = cli.wall_clock()
  local finished = run.go(function(i) return signals.pending() ~= nil or i + 1 == o.stop_after end)
  seconds = seconds + cli.wall_clock() - start
  bar:close()

  local options = {
    net = o.net, data_dir = o.data_dir, iters = steps, batch_size = o.batch_size, hidden = o.hidden,
    lr = o.lr, optimizer = o.optimizer, weight_init_std = o.weight_init_std or nil, seed = o.seed,
    train_size = data.train_images.n, test_size = data.test_images.n, interpreter = jit and jit.version or _VERSION,
  }
  if conv then options.epochs, options.evaluate_samples = o.epochs, o.evaluate_samples end
  local record = {
    port = PORT, options = options, loss_history = jsonio.array(history.loss_history), acc_iters = history.acc_iters,
    train_acc = jsonio.array(history.train_acc), test_acc = jsonio.array(history.test_acc), seconds = seconds,
  }
  if not finished then
    local done = run.stepper.current_iter
    local ok, err = checkpoint.write(o.checkpoint, {
      port = PORT, network = run.structure, options = options, iteration = done, rng = run.stepper.rng,
      optimizer_name = o.optimizer, optimizer = run.stepper.optimizer, params = run.network.params,
      history = { loss_history = history.loss_history, acc_iters = history.acc_iters, train_acc = history.train_acc,
        test_acc = history.test_acc, seconds = seconds },
    })
    if not ok then command:fail("cannot write --checkpoint %s", tostring(err)) end
    record.stopped_after, record.checkpoint = done, o.checkpoint
    write_history(o.out, record)
    print(string.format("interrupted after iteration %d: checkpoint written to %s (continue with --resume %s)", done - 1,
      o.checkpoint, o.checkpoint))
    exit_if_signalled()
    os.exit(0)
  end
  local final_train, final_test = run.final()
  record.final_iter, record.final_train_acc, record.final_test_acc = steps - 1, final_train, final_test
  write_history(o.out, record)
  print(string.format("final (after iteration %d)  train acc %.4f  test acc %.4f  (%.1f s, %.2f ms/iter)",
    steps - 1, final_train, final_test, seconds, 1000 * seconds / steps))
  print("history written to " .. o.out)
  if o.save_params then
    save_params(o.save_params, run.structure, run.network.params)
    print("parameters written to " .. o.save_params)
  end
end

-- a bad data file is a usage error like a bad option; a signal before training ends the command quietly
local ok, err = pcall(main, arg)
if not ok then
  exit_if_signalled()
  if datasets.is_file_error(err) then command:fail("%s", err.message) end
  io.stderr:write("bin/train: internal error: ", tostring(err), "\n")
  os.exit(1)
end
