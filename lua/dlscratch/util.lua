-- im2col and col2im (book 7.4.3, common/util.py): the windows of a batch of images as the rows
-- of one matrix, so that a convolution or a pooling is one matrix operation. Images are tensors
-- N x C x H x W over flat row-major storage; the padding is never stored. And to_float16 (8.3.4),
-- the rounding of numpy's astype(np.float16), for ch08/half_float_network.py.
local tensor = require("dlscratch.tensor")

local floor, max, min, fmod, huge = math.floor, math.max, math.min, math.fmod, math.huge

local M = {}

-- region: im2col
-- conv_output_size(input, filter, stride, pad) = (input + 2·pad - filter) // stride + 1
local function conv_output_size(input_size, filter_size, stride, pad)
  return floor((input_size + 2 * (pad or 0) - filter_size) / (stride or 1)) + 1
end
M.conv_output_size = conv_output_size

-- im2col(x, FH, FW, stride, pad): N·OH·OW rows of C·FH·FW,
--   col[(n·OH + i)·OW + j, (c·FH + y)·FW + x] = padded[n, c, i·stride + y, j·stride + x],
-- padded = x with pad zeros on every side (the zeros are the buffer's own).
function M.im2col(input_data, filter_h, filter_w, stride, pad)
  stride, pad = stride or 1, pad or 0
  local s = input_data.shape
  local n, c, h, w = s[1], s[2], s[3], s[4]
  local oh, ow = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
  local cols = c * filter_h * filter_w
  local src, col = input_data.data, tensor.buffer(n * oh * ow * cols)
  local k = 0 -- col[k + 1] is the next entry, row by row
  for b = 0, n - 1 do
    for i = 0, oh - 1 do
      local top = i * stride - pad
      for j = 0, ow - 1 do
        local left = j * stride - pad
        -- the window's columns x0 .. x1 lie inside the image
        local x0, x1 = max(0, -left), min(filter_w - 1, w - 1 - left)
        for ch = 0, c - 1 do
          local plane = (b * c + ch) * h
          for y = 0, filter_h - 1 do
            local r = top + y
            if r >= 0 and r < h then
              local from = (plane + r) * w + left + 1 -- src[from + x] is padded[.., r + pad, left + x + pad]
              for x = x0, x1 do col[k + x + 1] = src[from + x] end
            end
            k = k + filter_w
          end
        end
      end
    end
  end
  return tensor.new({ n * oh * ow, cols }, col)
end

-- col2im(col, {N, C, H, W}, FH, FW, stride, pad): im2col's adjoint, x[n, c, h, w] = the sum of
-- every col entry that im2col took from padded[n, c, h + pad, w + pad] (entries of the padding are
-- dropped). Each pixel adds its windows in the order of their offsets (y, x), as the reference.
function M.col2im(col, input_shape, filter_h, filter_w, stride, pad)
  stride, pad = stride or 1, pad or 0
  local n, c, h, w = input_shape[1], input_shape[2], input_shape[3], input_shape[4]
  local oh, ow = conv_output_size(h, filter_h, stride, pad), conv_output_size(w, filter_w, stride, pad)
  local cols = c * filter_h * filter_w
  local src, img = col.data, tensor.buffer(n * c * h * w)
  for b = 0, n - 1 do
    for ch = 0, c - 1 do
      local plane = (b * c + ch) * h
      for y = 0, filter_h - 1 do
        for x = 0, filter_w - 1 do
          local entry = (ch * filter_h + y) * filter_w + x + 1
          -- the windows j0 .. j1 put their (y, x) entry inside the image's columns
          local j0 = max(0, floor((pad - x + stride - 1) / stride))
          local j1 = min(ow - 1, floor((w - 1 + pad - x) / stride))
          for i = 0, oh - 1 do
            local r = i * stride + y - pad
            if r >= 0 and r < h then
              local row = (plane + r) * w + x - pad + 1 -- img[row + j·stride] is x[b, ch, r, j·stride + x - pad]
              local at = (b * oh + i) * ow * cols + entry -- src[at + j·cols] is col[(b, i, j), (ch, y, x)]
              for j = j0, j1 do
                local p = row + j * stride
                img[p] = img[p] + src[at + j * cols]
              end
            end
          end
        end
      end
    end
  end
  return tensor.new({ n, c, h, w }, img)
end
-- endregion

-- region: half_float
local HALF_MAX, HALF_MIN_NORMAL = 65504.0, 2.0 ^ -14

-- half(x): x rounded to the nearest IEEE binary16 value, ties to the even significand, as a double.
-- For finite x ≠ 0: q = 2^(e−10) with e = floor(log2 |x|) for |x| >= 2^−14, q = 2^−24 below (the
-- subnormals); y = roundTiesToEven(|x| / q)·q with x's sign, every step exact (scalings by powers of two
-- and a whole part taken of a number below 2^12); |y| > 65504 (every |x| >= 65520) is ±Infinity. ±0,
-- ±Infinity and NaN are themselves; a negative x that rounds to 0 gives −0.0.
local function half(x)
  if x ~= x or x == 0 then return x end
  local a = x < 0 and -x or x
  if a >= 65520.0 then return x < 0 and -huge or huge end
  local q = 2.0 ^ -24
  if a >= HALF_MIN_NORMAL then
    local e = floor(math.log(a) / math.log(2.0)) -- then corrected to 2^e <= a < 2^(e+1)
    while 2.0 ^ e > a do e = e - 1 end
    while 2.0 ^ (e + 1) <= a do e = e + 1 end
    q = 2.0 ^ (e - 10)
  end
  local v = a / q
  local r = floor(v)
  local rest = v - r
  if rest > 0.5 or (rest == 0.5 and fmod(r, 2) ~= 0) then r = r + 1 end
  local y = r * q
  if y > HALF_MAX then y = huge end
  return x < 0 and -y or y
end
M.half = half

-- to_float16(x): each element of the tensor x rounded by half, a new tensor of x's shape
function M.to_float16(x)
  local d, s = {}, x.data
  for i = 1, x.size do d[i] = half(s[i]) end
  return tensor.new(tensor.copy_list(x.shape), d)
end
-- endregion

return M
