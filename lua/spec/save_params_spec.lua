-- The book's save_params / load_params in the portable format (shared_tests/README.md §8):
-- train.save_params and train.read_params, and the validator's model_file hook that checks a
-- file for model.evaluate (the good and bad files of shared_tests/data/models).
local train = require("dlscratch.train")
local validate = require("dlscratch.validate")
local runner = require("dlscratch.runner")
local jsonio = require("dlscratch.jsonio")
local tensor = require("dlscratch.tensor")

local MODELS = "../shared_tests/data/models/"
local X6 = { { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 } }

-- evaluate(path, x, t): the validated values of model.evaluate, or the raised protocol error
local function evaluate(path, x, t)
  return pcall(validate.validate, "model.evaluate", { path = path, x = x or X6, t = t or { 0 } })
end

local function refused(path, fragment)
  local ok, err = evaluate(path)
  assert.is_false(ok, path)
  assert.are.equal("ValueError", err.type, err.message)
  assert.truthy(err.message:find(fragment, 1, true), err.message)
end

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

describe("save_params", function()
  it("member_keys: the keys of a top-level member's object in the order written", function()
    local text = '{"a": {"z": 1}, "params": {"W1": {"shape": [2], "data": [1, "}"]}, "b\\"1": {}, "A": []}, "c": 2}'
    assert.are.same({ "W1", 'b"1', "A" }, jsonio.member_keys(text, "params"))
    assert.is_nil(jsonio.member_keys('{"params": [1, 2]}', "params"))
  end)

  it("writes W1, b1, W2, b2 in order and reads back the same doubles", function()
    local path = os.tmpname()
    local params = { b2 = tensor.from_list({ 0.1, -0.0 }), W1 = tensor.from_rows({ { 1 / 3, 2 } }),
      b1 = tensor.from_list({ 0.5, 1e-300 }), W2 = tensor.from_rows({ { 1, 2 }, { 3, 4 } }) }
    assert.is_true(train.save_params(path, "lua", '{"kind": "two_layer_net", "input_size": 1, "hidden_size": 2, '
      .. '"output_size": 2}', params))
    local record, keys = train.read_params(path)
    os.remove(path)
    assert.are.same({ "W1", "b1", "W2", "b2" }, keys)
    assert.are.equal("dlscratch-params", record.format)
    assert.are.same({ 1, 2 }, record.params.W1.shape)
    assert.are.equal(1 / 3, record.params.W1.data[1])
    assert.are.equal(1e-300, record.params.b1.data[2])
    assert.are.same({ 1, 2, 3, 4 }, record.params.W2.data)
  end)

  it("loads a good file: the network checked, its params as tensors of init's shapes", function()
    local ok, v = evaluate(MODELS .. "two_layer_net.json")
    assert.is_true(ok, tostring(v and v.message))
    local net = v.path
    assert.are.same({ "two_layer_net", 6, 4, 3 }, { net.kind, net.input_size, net.hidden_size, net.output_size })
    assert.are.same({ 6, 4 }, net.params.W1.shape)
    assert.are.same({ 3 }, net.params.b2.shape)
    -- the file's first number, as written there
    assert.are.equal(0.8121726818316208, net.params.W1.data[1])
    ok, v = evaluate(MODELS .. "deep_conv_net.json", { { { { 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 },
      { 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 },
      { 0, 0, 0, 0, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0, 0, 0, 0 } } } })
    assert.is_true(ok, tostring(v and v.message))
    assert.are.same({ 64, 5 }, v.path.params.W7.shape) -- 8x8 pools down to 1x1
  end)

  it("refuses every bad file of shared_tests/data/models as ValueError, naming the fault", function()
    refused(MODELS .. "no-such-model.json", "cannot read")
    refused(MODELS .. "not-json.json", "cannot read")
    refused(MODELS .. "bad-format.json", '"format": "dlscratch-params"')
    refused(MODELS .. "bad-shape.json", "params.W1 is 4x6")
    refused(MODELS .. "bad-keys.json", "its params are W1, b1, W2, not W1, b1, W2, b2")
    refused(MODELS .. "bad-count.json", "params.W1 is 6x4 with 23 numbers")
    refused(MODELS .. "bad-kind.json", "network.kind")
  end)

  it("refuses params out of order and a network that its kind's init refuses", function()
    local f = assert(io.open(MODELS .. "two_layer_net.json", "rb"))
    local text = f:read("*a")
    f:close()
    local record = jsonio.decode(text)
    local path = os.tmpname()
    local p = record.params
    write(path, train.ordered({ { "format", '"dlscratch-params"' }, { "version", "1" },
      { "network", jsonio.encode(record.network) },
      { "params", train.ordered({ { "b1", jsonio.encode(p.b1) }, { "W1", jsonio.encode(p.W1) },
        { "W2", jsonio.encode(p.W2) }, { "b2", jsonio.encode(p.b2) } }) } }))
    refused(path, "its params are b1, W1, W2, b2, not W1, b1, W2, b2")
    write(path, (text:gsub('"hidden_size": 4', '"hidden_size": 0')))
    refused(path, "network: hidden_size = 0")
    write(path, (text:gsub('"version": 1', '"version": 2')))
    refused(path, '"version": 1')
    os.remove(path)
  end)

  it("model.evaluate: a hand-set TwoLayerNet's test-mode scores and accuracy", function()
    -- W1 = I, b1 = (0, -1), W2 = [[1, 0], [0, -1]], b2 = (0.5, 0): x = (2, 3) -> relu(2, 2) -> (2.5, -2)
    local path = os.tmpname()
    write(path, '{"format": "dlscratch-params", "version": 1, "port": "lua", "network": {"kind": "two_layer_net", '
      .. '"input_size": 2, "hidden_size": 2, "output_size": 2}, "params": {"W1": {"shape": [2, 2], "data": [1, 0, 0, 1]}, '
      .. '"b1": {"shape": [2], "data": [0, -1]}, "W2": {"shape": [2, 2], "data": [1, 0, 0, -1]}, '
      .. '"b2": {"shape": [2], "data": [0.5, 0]}}}')
    local answer = jsonio.decode(runner.handle(jsonio.encode({ id = "m", op = "model.evaluate",
      args = { path = path, x = { { 2, 3 }, { -1, 0 } }, t = jsonio.array({ 0, 0 }) } })))
    os.remove(path)
    -- x = (-1, 0) -> relu(-1, -1) = (0, 0) -> (0.5, 0): both rows class 0
    assert.are.same({ { 2.5, -2 }, { 0.5, 0 } }, answer.ok.y)
    assert.are.equal(1, answer.ok.accuracy)
  end)

  it("model.evaluate with half: the weights and x rounded to binary16, the arithmetic in float64", function()
    -- W1 = [[0.1, 0], [0, 1]], b1 = 0, W2 = I, b2 = (1/3, 0); rounded: 0.1 -> 0.0999755859375,
    -- 1/3 -> 0.333251953125, x's 3.0001 -> 3 (quantum 2^-9). x = (2, 3): (2·0.0999755859375 + 0.333251953125, 3)
    local path = os.tmpname()
    write(path, '{"format": "dlscratch-params", "version": 1, "port": "lua", "network": {"kind": "two_layer_net", '
      .. '"input_size": 2, "hidden_size": 2, "output_size": 2}, "params": {"W1": {"shape": [2, 2], "data": [0.1, 0, 0, 1]}, '
      .. '"b1": {"shape": [2], "data": [0, 0]}, "W2": {"shape": [2, 2], "data": [1, 0, 0, 1]}, '
      .. '"b2": {"shape": [2], "data": [0.3333333333333333, 0]}}}')
    local function scores(half)
      local answer = jsonio.decode(runner.handle(jsonio.encode({ id = "h", op = "model.evaluate",
        args = { path = path, x = { { 2, 3.0001 } }, t = jsonio.array({ 1 }), half = half } })))
      return answer.ok.y[1]
    end
    assert.are.same({ 0.533203125, 3 }, scores(true))
    local exact = scores(false)
    assert.is_near(0.2 + 1 / 3, exact[1], 1e-15)
    assert.are.equal(3.0001, exact[2])
    os.remove(path)
  end)
end)
