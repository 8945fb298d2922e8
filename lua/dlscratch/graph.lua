-- Computational graphs of chapter 5.3: the multiplication and addition nodes
-- and the book's shopping examples. Values are plain numbers or tensors of
-- one shape (no broadcasting).
local tensor = require("dlscratch.tensor")
local class = require("dlscratch.class")

local M = {}

-- region: mul_layer
-- part: helper
local function mul(a, b)
  if tensor.is_tensor(a) then return tensor.zip(a, b, function(u, v) return u * v end) end
  return a * b
end
-- endregion

-- region: add_layer
-- part: helper
local function add(a, b)
  if tensor.is_tensor(a) then return tensor.zip(a, b, function(u, v) return u + v end) end
  return a + b
end

local function copy(a)
  if tensor.is_tensor(a) then return a:clone() end
  return a
end
-- endregion

-- region: mul_layer
-- MulLayer: out = x·y; dx = dout·y, dy = dout·x.
local MulLayer = class()
M.MulLayer = MulLayer

-- part: init
function MulLayer.new()
  return setmetatable({}, MulLayer)
end

-- part: forward
function MulLayer:forward(x, y)
  self.x, self.y = x, y
  return mul(x, y)
end

-- part: backward
function MulLayer:backward(dout)
  return mul(dout, self.y), mul(dout, self.x)
end
-- endregion

-- region: add_layer
-- AddLayer: out = x + y; dx = dy = dout.
local AddLayer = class()
M.AddLayer = AddLayer

-- part: init
function AddLayer.new()
  return setmetatable({}, AddLayer)
end

-- part: forward
function AddLayer:forward(x, y)
  return add(x, y)
end

-- part: backward
function AddLayer:backward(dout)
  return copy(dout), copy(dout)
end
-- endregion

-- region: buy_apple
-- part: forward
-- buy_apple: price = (apple · apple_num) · tax, then backward from dprice.
function M.buy_apple(apple, apple_num, tax, dprice)
  local mul_apple, mul_tax = MulLayer.new(), MulLayer.new()
  local apple_price = mul_apple:forward(apple, apple_num)
  local price = mul_tax:forward(apple_price, tax)
  -- part: backward
  local dapple_price, dtax = mul_tax:backward(dprice)
  local dapple, dapple_num = mul_apple:backward(dapple_price)
  return { price = price, dapple = dapple, dapple_num = dapple_num, dtax = dtax }
end

-- endregion

-- region: buy_apple
-- part: forward
-- buy_apple_orange: price = (apple·apple_num + orange·orange_num) · tax.
function M.buy_apple_orange(apple, apple_num, orange, orange_num, tax, dprice)
  local mul_apple, mul_orange = MulLayer.new(), MulLayer.new()
  local add_fruit, mul_tax = AddLayer.new(), MulLayer.new()
  local apple_price = mul_apple:forward(apple, apple_num)
  local orange_price = mul_orange:forward(orange, orange_num)
  local all_price = add_fruit:forward(apple_price, orange_price)
  local price = mul_tax:forward(all_price, tax)
  -- part: backward
  local dall_price, dtax = mul_tax:backward(dprice)
  local dapple_price, dorange_price = add_fruit:backward(dall_price)
  local dorange, dorange_num = mul_orange:backward(dorange_price)
  local dapple, dapple_num = mul_apple:backward(dapple_price)
  return {
    price = price, dapple = dapple, dapple_num = dapple_num,
    dorange = dorange, dorange_num = dorange_num, dtax = dtax,
  }
end
-- endregion

return M
