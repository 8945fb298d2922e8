-- im2col and col2im: windows and their sums worked out by hand.
local util = require("dlscratch.util")
local tensor = require("dlscratch.tensor")
local rng = require("dlscratch.rng")

local values = tensor.values

-- image(n, c, h, w, list): a tensor N x C x H x W of the numbers in list, row-major
local function image(n, c, h, w, list) return tensor.new({ n, c, h, w }, list) end

describe("util", function()
  it("conv_output_size rounds (input + 2·pad - filter) / stride down", function()
    assert.are.equal(24, util.conv_output_size(28, 5, 1, 0))
    assert.are.equal(4, util.conv_output_size(7, 3, 2, 1)) -- (7 + 2 - 3) / 2 + 1
    assert.are.equal(2, util.conv_output_size(6, 3, 2, 0)) -- 3 / 2 = 1.5, rounded down, + 1
  end)

  it("im2col: a 2x3 window over a 3x4 image, one row per window position", function()
    local x = image(1, 1, 3, 4, { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 })
    local col = util.im2col(x, 2, 3)
    assert.are.same({ 4, 6 }, col.shape) -- OH = 3 - 2 + 1 = 2, OW = 4 - 3 + 1 = 2
    assert.are.same({ 1, 2, 3, 5, 6, 7, 2, 3, 4, 6, 7, 8, 5, 6, 7, 9, 10, 11, 6, 7, 8, 10, 11, 12 }, values(col))
  end)

  it("im2col: rows in the order (n, i, j), columns (c, y, x)", function()
    -- two images of two channels, each a 1x2 row; a 1x1 window: a row holds channel 0 then channel 1
    local x = image(2, 2, 1, 2, { 1, 2, 3, 4, 5, 6, 7, 8 })
    local col = util.im2col(x, 1, 1)
    assert.are.same({ 4, 2 }, col.shape)
    assert.are.same({ 1, 3, 2, 4, 5, 7, 6, 8 }, values(col))
  end)

  it("im2col: padding reads zeros, stride skips positions", function()
    -- [[1, 2], [3, 4]] padded by 1 to 4x4; a 3x3 window at stride 2 fits at padded (0,0) only:
    -- OH = (2 + 2 - 3) // 2 + 1 = 1
    local col = util.im2col(image(1, 1, 2, 2, { 1, 2, 3, 4 }), 3, 3, 2, 1)
    assert.are.same({ 1, 9 }, col.shape)
    assert.are.same({ 0, 0, 0, 0, 1, 2, 0, 3, 4 }, values(col))
  end)

  it("col2im: windows that do not overlap put their entries back in place", function()
    -- two 2x2 windows at stride 2 over a 2x4 image
    local col = tensor.new({ 2, 4 }, { 1, 2, 3, 4, 5, 6, 7, 8 })
    local x = util.col2im(col, { 1, 1, 2, 4 }, 2, 2, 2, 0)
    assert.are.same({ 1, 1, 2, 4 }, x.shape)
    assert.are.same({ 1, 2, 5, 6, 3, 4, 7, 8 }, values(x))
  end)

  it("col2im: overlapping windows add up, the padding is cut away", function()
    -- a 2x2 image padded by 1: nine 2x2 windows at stride 1, each image pixel in four of them
    local ones = tensor.full({ 9, 4 }, 1.0)
    assert.are.same({ 4, 4, 4, 4 }, values(util.col2im(ones, { 1, 1, 2, 2 }, 2, 2, 1, 1)))
    -- 1x3 image, 1x2 windows at stride 1: the middle pixel gets window 0's second and window 1's first entry
    local col = tensor.new({ 2, 2 }, { 1, 10, 100, 1000 })
    assert.are.same({ 1, 110, 1000 }, values(util.col2im(col, { 1, 1, 1, 3 }, 1, 2)))
  end)

  it("col2im is im2col's adjoint: <im2col(x), c> = <x, col2im(c)>", function()
    local g = rng.new(11)
    local x = g:rand({ 2, 3, 5, 6 })
    local col = util.im2col(x, 3, 2, 2, 1)
    local c = g:rand(col.shape)
    local back = util.col2im(c, x.shape, 3, 2, 2, 1)
    local lhs, rhs = 0, 0
    for i = 1, col.size do lhs = lhs + col.data[i] * c.data[i] end
    for i = 1, x.size do rhs = rhs + x.data[i] * back.data[i] end
    assert.is_true(math.abs(lhs - rhs) <= 1e-12 * math.abs(lhs), lhs .. " vs " .. rhs)
  end)

  it("to_float16 rounds to the nearest binary16 value, ties to even, and keeps it in a double", function()
    local cases = {
      { 0.1, 0.0999755859375 }, { 1 / 3, 0.333251953125 }, { 65504, 65504 }, { 65519.99, 65504 },
      { 65520, math.huge }, { -65520, -math.huge }, { 2 ^ -24, 2 ^ -24 },
      { 2 ^ -25, 0 },                      -- a tie between 0 and 2^-24: to the even 0
      { 3 * 2 ^ -25, 2 ^ -23 },            -- a tie between 1 and 2 quanta: to 2
      { 1 + 2 ^ -11, 1 },                  -- a tie (1.00048828125): to the even significand 1
      { 1 + 3 * 2 ^ -11, 1 + 2 ^ -9 },     -- a tie between 1 + 2^-10 and 1 + 2^-9: to the even one
      { 2 ^ -14, 2 ^ -14 },                -- the smallest normal
      { math.huge, math.huge }, { 0, 0 },
    }
    for _, c in ipairs(cases) do assert.are.equal(c[2], util.half(c[1]), tostring(c[1])) end
    local minus_zero = util.half(-2 ^ -26)
    assert.are.same({ 0, -math.huge }, { minus_zero, 1 / minus_zero }) -- -0.0
    assert.are.equal(-math.huge, 1 / util.half(-0.0))
    local nan = util.half(0 / 0)
    assert.is_true(nan ~= nan)
    local y = util.to_float16(tensor.new({ 2, 2 }, { 0.1, 1 / 3, 65520, 2 ^ -25 }))
    assert.are.same({ { 2, 2 }, { 0.0999755859375, 0.333251953125, math.huge, 0 } }, { y.shape, values(y) })
  end)
end)
