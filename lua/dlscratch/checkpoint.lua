-- The checkpoint of a stopped bin/train run (shared_tests/README.md §8, "Interrupted runs and
-- --resume"): the parameters, the optimizer's state, the generator's six words, the iteration and
-- the history so far, in the notation of the parameters file, so that any port resumes any port's run:
--   {"format": "dlscratch-checkpoint", "version": 1, "port", "network", "options", "iteration": I,
--    "rng": {"s1": [...], "s2": [...]}, "optimizer": {"name", "state"}, "params",
--    "history": {"loss_history", "acc_iters", "train_acc", "test_acc", "seconds"}}
local jsonio = require("dlscratch.jsonio")
local rng_mod = require("dlscratch.rng")
local tensor = require("dlscratch.tensor")
local train = require("dlscratch.train")

local format, floor, huge = string.format, math.floor, math.huge
local is_array, is_object, array = jsonio.is_array, jsonio.is_object, jsonio.array

local M = {}

M.FORMAT, M.VERSION = "dlscratch-checkpoint", 1
M.HISTORY_LISTS = { "loss_history", "acc_iters", "train_acc", "test_acc" }
-- the optimizer state's keys by name: arrays of the params' shapes, and Adam's count of updates
M.STATE_KEYS = { sgd = {}, momentum = { "v" }, nesterov = { "v" }, adagrad = { "h" }, rmsprop = { "h" },
  adam = { "iter", "m", "v" } }

-- A checkpoint that cannot be read or resumed: the error {message}, raised with error().
local CheckpointError = {}
local function fail(fmt, ...) error(setmetatable({ message = format(fmt, ...) }, CheckpointError), 0) end
function M.is_error(v) return getmetatable(v) == CheckpointError end

-- shown(v): v as JSON for a message, cut at 40 characters
local function shown(v) return jsonio.encode(v == nil and jsonio.null or v):sub(1, 40) end

-- region: checkpoint
-- part: save
-- write(path, c): the checkpoint of c = {port, network (the JSON text of the parameters file's "network"),
-- options (the history's), iteration, rng (the generator), optimizer_name, optimizer (its object), params,
-- history = {loss_history, acc_iters, train_acc, test_acc, seconds}}, written whole to path .. ".tmp"
-- and then renamed to path. true, or nil and why it cannot be written.
function M.write(path, c)
  local keys = train.param_keys(c.params)
  local st, state = c.optimizer:state_dict(c.params), {}
  for _, name in ipairs(M.STATE_KEYS[c.optimizer_name]) do
    state[#state + 1] = { name, name == "iter" and jsonio.number(st.iter) or train.arrays_text(st[name], keys) }
  end
  local words, history = c.rng:state(), {}
  for _, key in ipairs(M.HISTORY_LISTS) do history[#history + 1] = { key, jsonio.encode(array(c.history[key])) } end
  history[#history + 1] = { "seconds", jsonio.number(c.history.seconds) }
  local text = train.ordered({
    { "format", jsonio.encode(M.FORMAT) }, { "version", tostring(M.VERSION) }, { "port", jsonio.encode(c.port) },
    { "network", c.network }, { "options", jsonio.encode(c.options) }, { "iteration", jsonio.number(c.iteration) },
    { "rng", train.ordered({ { "s1", jsonio.encode(array(words.s1)) }, { "s2", jsonio.encode(array(words.s2)) } }) },
    { "optimizer", train.ordered({ { "name", jsonio.encode(c.optimizer_name) }, { "state", train.ordered(state) } }) },
    { "params", train.arrays_text(c.params, keys) }, { "history", train.ordered(history) },
  })
  local tmp = path .. ".tmp"
  local ok, err = train.write_text(tmp, text)
  if not ok then return nil, err end
  local renamed, rename_err = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rename_err
  end
  return true
end
-- endregion

-- read(path): the decoded checkpoint, after the checks that need nothing but the file (JSON, its
-- format and version, an options object); a CheckpointError otherwise.
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then fail("cannot read it: %s", tostring(err):match("^.-: (.*)$") or tostring(err)) end
  local text = f:read("*a")
  f:close()
  local obj, msg = jsonio.decode(text or "")
  if obj == nil then fail("it is not JSON (%s)", tostring(msg)) end
  if not is_object(obj) or obj.format ~= M.FORMAT then
    fail('it is not a dlscratch checkpoint (its "format" is not "%s")', M.FORMAT)
  end
  if obj.version ~= M.VERSION then
    fail("it is a checkpoint of version %s; this trainer reads version %d", shown(obj.version), M.VERSION)
  end
  if not is_object(obj.options) then fail('it has no "options" object') end
  return obj
end

-- number(v, where): a JSON number, or one of the strings "NaN", "Infinity", "-Infinity", as a double
local NON_FINITE = { NaN = 0 / 0, Infinity = huge, ["-Infinity"] = -huge }
local function number(v, where)
  if NON_FINITE[v] then return NON_FINITE[v] end
  if type(v) ~= "number" then fail("%s is %s, not a number", where, shown(v)) end
  return v + 0.0
end

local function is_whole(v) return type(v) == "number" and v == floor(v) and v - v == 0 end

-- need(obj, key, kind, where): obj[key], which must be an "object", a "list" or an "integer"
local KINDS = { object = is_object, list = is_array, integer = is_whole }
local function need(obj, key, kind, where)
  local v = is_object(obj) and obj[key] or nil
  if v == nil then fail('%s has no "%s"', where, key) end
  if not KINDS[kind](v) then fail("%s.%s is %s, not %s", where, key, shown(v), kind == "integer" and "an integer" or "an " .. kind) end
  return v
end

-- same(a, b): equal JSON values (objects by their keys, whatever their order)
local function same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do if not same(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

-- arrays(obj, like, where): tensors of exactly the keys and shapes of the tensors of like
local function arrays(obj, like, where)
  if not is_object(obj) then fail("%s is not an object", where) end
  local want = train.param_keys(like)
  for key in pairs(obj) do
    if like[key] == nil then fail("%s has a key %s, not one of %s", where, shown(key), table.concat(want, ", ")) end
  end
  local out = {}
  for _, key in ipairs(want) do
    local name = where .. "." .. key
    if obj[key] == nil then fail("%s has no %s", where, key) end
    local shape, data, expected = need(obj[key], "shape", "list", name), need(obj[key], "data", "list", name),
      like[key].shape
    local ok = #shape == #expected
    for i = 1, #expected do ok = ok and shape[i] == expected[i] end
    if not ok then fail("%s has the shape %s, not %s", name, shown(shape), shown(array(tensor.copy_list(expected)))) end
    if #data ~= like[key].size then fail("%s has %d numbers for the shape %s", name, #data, shown(shape)) end
    local values = {}
    for i = 1, #data do values[i] = number(data[i], name .. ".data") end
    out[key] = tensor.new(tensor.copy_list(expected), values)
  end
  return out
end

-- words(v, modulus, where): three integers in 0 .. modulus-1, not all zero (a state the generator reaches)
local function words(v, modulus, where)
  local ok = is_array(v) and #v == 3
  for i = 1, 3 do ok = ok and is_whole(v[i]) and v[i] >= 0 and v[i] < modulus end
  if not ok then fail("%s must be three integers in 0 .. %d", where, modulus - 1) end
  if v[1] == 0 and v[2] == 0 and v[3] == 0 then fail("%s is all zeros, which the generator never reaches", where) end
  return v
end

-- restore(obj, expect): the checkpoint read by read(), checked against the run its options build,
-- expect = {network (the parameters file's network, decoded), params (the network's tensors: their keys
-- and shapes), optimizer (the options' optimizer name), steps (the run's iterations), epoch_end(i)}:
-- {iteration, words = {s1, s2}, params, state (of optimizer:load_state_dict), history}; a CheckpointError
-- naming what is wrong otherwise.
function M.restore(obj, expect)
  if not same(obj.network, expect.network) then
    fail("its network %s is not its options' %s", jsonio.encode(obj.network or jsonio.null):sub(1, 100),
      jsonio.encode(expect.network))
  end
  local iteration = floor(need(obj, "iteration", "integer", "the checkpoint"))
  if not (iteration > 0 and iteration < expect.steps) then
    fail("its iteration %s is not in 1 .. %d (the run has %d)", jsonio.number(iteration), expect.steps - 1, expect.steps)
  end
  local rng = need(obj, "rng", "object", "the checkpoint")
  local state_words = { s1 = words(rng.s1, rng_mod.M1, "rng.s1"), s2 = words(rng.s2, rng_mod.M2, "rng.s2") }
  local params = arrays(obj.params, expect.params, "params")
  local opt = need(obj, "optimizer", "object", "the checkpoint")
  if opt.name ~= expect.optimizer then fail("optimizer.name is %s, not the options' %q", shown(opt.name), expect.optimizer) end
  local state_obj, keys = need(opt, "state", "object", "optimizer"), M.STATE_KEYS[expect.optimizer]
  local given = {}
  for k in pairs(state_obj) do given[#given + 1] = k end
  table.sort(given)
  if table.concat(given, ", ") ~= table.concat(keys, ", ") then
    fail("optimizer.state has the keys %s, not %s", #given > 0 and table.concat(given, ", ") or "none",
      #keys > 0 and table.concat(keys, ", ") or "none")
  end
  local state = {}
  for _, key in ipairs(keys) do
    if key == "iter" then
      state.iter = need(state_obj, "iter", "integer", "optimizer.state")
      if state.iter < 1 then fail("optimizer.state.iter is %s, not a count of updates >= 1", jsonio.number(state.iter)) end
    else
      state[key] = arrays(state_obj[key], expect.params, "optimizer.state." .. key)
    end
  end
  local hist, history = need(obj, "history", "object", "the checkpoint"), {}
  for _, key in ipairs(M.HISTORY_LISTS) do
    local values = need(hist, key, "list", "history")
    history[key] = {}
    for i = 1, #values do history[key][i] = number(values[i], "history." .. key) end
  end
  if #history.loss_history ~= iteration then
    fail("history.loss_history has %d losses for iteration %d", #history.loss_history, iteration)
  end
  local ends = {}
  for i = 0, iteration - 1 do if expect.epoch_end(i) then ends[#ends + 1] = i end end
  if not same(history.acc_iters, ends) then
    fail("history.acc_iters is %s, not the epochs' ends before iteration %d: %s", shown(array(history.acc_iters)),
      iteration, shown(array(ends)))
  end
  for _, key in ipairs({ "train_acc", "test_acc" }) do
    if #history[key] ~= #ends then fail("history.%s has %d accuracies for %d evaluations", key, #history[key], #ends) end
  end
  history.seconds = number(hist.seconds, "history.seconds")
  return { iteration = iteration, words = state_words, params = params, state = state, history = history }
end

return M
