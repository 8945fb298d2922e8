-- A small dense float64 array: a flat, 1-based, row-major array `data` and a
-- `shape` list. Element (i, j) of an N x M matrix is data[(i-1)*M + j]. A
-- scalar has shape {} and one element. `data` is a Lua list, or under LuaJIT
-- for the results of matrix products an FFI double array of size + 1 (index 0
-- unused): both are read and written as data[i], i = 1 .. size; `values(t)`
-- gives a plain list.
local class = require("dlscratch.class")

local floor = math.floor
local has_ffi, ffi = pcall(require, "ffi")
local double_array = has_ffi and ffi.typeof("double[?]") or nil

local M = {}

local Tensor = class()
M.Tensor = Tensor

local function numel(shape)
  local n = 1
  for i = 1, #shape do n = n * shape[i] end
  return n
end
M.numel = numel

local function copy_list(t)
  local c = {}
  for i = 1, #t do c[i] = t[i] end
  return c
end
M.copy_list = copy_list

-- new(shape, data): wrap a flat array (not copied).
function M.new(shape, data)
  return setmetatable({ shape = shape, data = data, size = numel(shape) }, Tensor)
end

function M.is_tensor(v)
  return getmetatable(v) == Tensor
end

local function filled(n, v)
  local d = {}
  for i = 1, n do d[i] = v end
  return d
end
M.filled = filled

-- buffer(n): n zeros at 1 .. n to be filled in any order: an FFI double
-- array under LuaJIT, a Lua list under Lua 5.4.
local buffer
if has_ffi then
  buffer = function(n) return double_array(n + 1) end
else
  buffer = function(n) return filled(n, 0.0) end
end
M.buffer = buffer

-- dense(t): t with its data in a buffer (a copy under LuaJIT, where the
-- products read FFI arrays in place; t itself under Lua 5.4).
function M.dense(t)
  if not has_ffi then return t end
  local d, s = buffer(t.size), t.data
  for i = 1, t.size do d[i] = s[i] end
  return M.new(copy_list(t.shape), d)
end

function M.zeros(shape)
  shape = copy_list(shape)
  return M.new(shape, filled(numel(shape), 0.0))
end

function M.full(shape, v)
  shape = copy_list(shape)
  return M.new(shape, filled(numel(shape), v))
end

function M.scalar(v)
  return M.new({}, { v })
end

-- from_rows({{...}, {...}}) and from_list({...}): convenience constructors.
function M.from_list(list)
  local d = {}
  for i = 1, #list do d[i] = list[i] + 0.0 end
  return M.new({ #list }, d)
end

function M.from_rows(rows)
  local n, m = #rows, #rows[1]
  local d = {}
  for i = 1, n do
    local r = rows[i]
    for j = 1, m do d[(i - 1) * m + j] = r[j] + 0.0 end
  end
  return M.new({ n, m }, d)
end

function M.shape_str(shape)
  if #shape == 0 then return "a scalar" end
  local parts = {}
  for i = 1, #shape do parts[i] = tostring(floor(shape[i])) end
  return table.concat(parts, "x")
end

function M.same_shape(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do if a[i] ~= b[i] then return false end end
  return true
end

function Tensor:ndim() return #self.shape end

-- values(t): the elements as a plain Lua list (data may be an FFI array).
function M.values(t)
  local d, s = {}, t.data
  for i = 1, t.size do d[i] = s[i] end
  return d
end

function Tensor:clone()
  local d, s = {}, self.data
  for i = 1, self.size do d[i] = s[i] end
  return M.new(copy_list(self.shape), d)
end

-- reshape shares the data (a view); -1 in one place is inferred.
function Tensor:reshape(shape)
  shape = copy_list(shape)
  local known, hole = 1, nil
  for i = 1, #shape do
    if shape[i] == -1 then hole = i else known = known * shape[i] end
  end
  if hole then shape[hole] = known == 0 and 0 or floor(self.size / known) end
  if numel(shape) ~= self.size then
    error(string.format("cannot reshape %s into %s", M.shape_str(self.shape), M.shape_str(shape)), 2)
  end
  return M.new(shape, self.data)
end

-- format_number(v): v as NumPy prints it: at most 8 decimals, trailing
-- zeros dropped (0.01821127, 2.2, 220), in exponent form below 1e-4 and from
-- 1e8 up (1e-300), nan and inf by name.
local function format_number(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  local a = math.abs(v)
  if a ~= 0 and (a < 1e-4 or a >= 1e8) then return (string.format("%.8g", v)) end
  return (string.format("%.8f", v):gsub("0+$", ""):gsub("%.$", ""))
end
M.format_number = format_number

-- tostring(t): the shape, then the values as nested lists:
-- "tensor(2x2) [[1, 2], [3, 4.5]]"; above 1000 elements each dimension shows
-- its first and last 3 entries.
function Tensor:__tostring()
  local shape, data, nd = self.shape, self.data, #self.shape
  if nd == 0 then return "tensor(scalar) " .. format_number(data[1]) end
  local edge = self.size > 1000 and 3 or math.huge
  local strides = { [nd] = 1 }
  for d = nd - 1, 1, -1 do strides[d] = strides[d + 1] * shape[d + 1] end
  -- list(dim, offset): dimension dim of the block that starts after data[offset]
  local function list(dim, offset)
    local n, parts = shape[dim], {}
    local cut = n > 2 * edge
    for i = 0, n - 1 do
      if cut and i == edge then parts[#parts + 1] = "..." end
      if not cut or i < edge or i >= n - edge then
        local at = offset + i * strides[dim]
        parts[#parts + 1] = dim == nd and format_number(data[at + 1]) or list(dim + 1, at)
      end
    end
    return "[" .. table.concat(parts, ", ") .. "]"
  end
  return "tensor(" .. M.shape_str(shape) .. ") " .. list(1, 0)
end

-- slice_rows(t, first, count): rows first .. first + count - 1 (0-based) of the first
-- dimension, copied, the other dimensions kept.
function M.slice_rows(t, first, count)
  local shape = copy_list(t.shape)
  local row = floor(t.size / shape[1])
  local s, d, from = t.data, {}, first * row
  for i = 1, count * row do d[i] = s[from + i] end
  shape[1] = count
  return M.new(shape, d)
end

-- t:range(first, count): slice_rows, as a dataset's range
function Tensor:range(first, count) return M.slice_rows(self, first, count) end

-- map(t, f): elementwise f into a new tensor of t's shape.
function M.map(t, f)
  local d, s = {}, t.data
  for i = 1, t.size do d[i] = f(s[i]) end
  return M.new(copy_list(t.shape), d)
end

-- zip(a, b, f): elementwise f(a_i, b_i); shapes must agree.
function M.zip(a, b, f, what)
  if not M.same_shape(a.shape, b.shape) then
    error(string.format("%s: shapes %s and %s differ", what or "elementwise",
      M.shape_str(a.shape), M.shape_str(b.shape)), 2)
  end
  local d, x, y = {}, a.data, b.data
  for i = 1, a.size do d[i] = f(x[i], y[i]) end
  return M.new(copy_list(a.shape), d)
end

function M.scale(t, k)
  local d, s = {}, t.data
  for i = 1, t.size do d[i] = s[i] * k end
  return M.new(copy_list(t.shape), d)
end

-- pairwise_sum(d, first, n): Σ d[first .. first+n-1] in NumPy's order
-- (runs under 8 in sequence; up to 128 in eight interleaved partial sums,
-- combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)); longer runs split in two
-- at a multiple of 8), so sums agree with the reference to the last bit.
local function pairwise_sum(d, first, n)
  if n < 8 then
    local r = 0.0
    for i = first, first + n - 1 do r = r + d[i] end
    return r
  elseif n <= 128 then
    local r0, r1, r2, r3 = d[first], d[first + 1], d[first + 2], d[first + 3]
    local r4, r5, r6, r7 = d[first + 4], d[first + 5], d[first + 6], d[first + 7]
    local stop = first + n - (n % 8)
    local i = first + 8
    while i < stop do
      r0 = r0 + d[i]; r1 = r1 + d[i + 1]; r2 = r2 + d[i + 2]; r3 = r3 + d[i + 3]
      r4 = r4 + d[i + 4]; r5 = r5 + d[i + 5]; r6 = r6 + d[i + 6]; r7 = r7 + d[i + 7]
      i = i + 8
    end
    local res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for k = i, first + n - 1 do res = res + d[k] end
    return res
  else
    local n2 = floor(n / 2)
    n2 = n2 - n2 % 8
    return pairwise_sum(d, first, n2) + pairwise_sum(d, first + n2, n - n2)
  end
end
M.pairwise_sum = pairwise_sum

-- sum(t): Σ of every element.
function M.sum(t)
  return pairwise_sum(t.data, 1, t.size)
end

-- row_sums(a): (N, M) -> (N,), each row summed as NumPy's sum(axis=-1).
function M.row_sums(a)
  local n, m = a.shape[1], a.shape[2]
  local d = {}
  for i = 1, n do d[i] = pairwise_sum(a.data, (i - 1) * m + 1, m) end
  return M.new({ n }, d)
end

-- col_sums(a): (N, M) -> (M,), Σ over rows, accumulated row after row.
function M.col_sums(a)
  local n, m = a.shape[1], a.shape[2]
  local s, d = a.data, {}
  for j = 1, m do d[j] = s[j] end
  for i = 1, n - 1 do
    local base = i * m
    for j = 1, m do d[j] = d[j] + s[base + j] end
  end
  return M.new({ m }, d)
end

-- add_row(a, v): a (N, M) + v (M,) broadcast over rows.
function M.add_row(a, v)
  local n, m = a.shape[1], a.shape[2]
  local s, b, d = a.data, v.data, {}
  for i = 0, n - 1 do
    local base = i * m
    for j = 1, m do d[base + j] = s[base + j] + b[j] end
  end
  return M.new({ n, m }, d)
end

-- Matrix products. Every entry is one dot product summed in order from 0.0,
-- c[i, j] = ((0 + a[i,1]·b[1,j]) + a[i,2]·b[2,j]) + ..., whatever the layout
-- of the factors, and every term is computed (no work depends on the data).
-- The factors are first copied as "rows of a" and "columns of b" (each dot
-- product reads two contiguous runs), then register-blocked kernels compute a
-- tile of c per pass over k: under LuaJIT 4 x 2 entries from flat FFI double
-- arrays (8 accumulators and 6 loaded values fill the 16 SSE registers),
-- under Lua 5.4 5 x 5 entries from row tables (one table read per factor
-- element, 25 multiply-adds per 10 reads; 5 divides the book's 10, 50 and 100,
-- and measured faster than 4 x 4, 4 x 5 and 4 x 10). Rows and columns left
-- over from the tiles get single dot products.
local product
if has_ffi then
  -- scratch arrays, kept referenced, and double* views of them: the kernel
  -- sees one ctype whether a factor was copied or is read in place
  local scratch = { double_array(1), double_array(1) }
  local view = { ffi.cast("double *", scratch[1]), ffi.cast("double *", scratch[2]) }
  local capacity = { 0, 0 }

  -- pack(slot, src, rows, k, rs, ps): a 0-based array of `rows` runs of k
  -- values, run r holding src[1 + r·rs + p·ps] for p = 0 .. k-1 (src itself,
  -- from its element 1, when it is an FFI array laid out so).
  local function pack(slot, src, rows, k, rs, ps)
    if ps == 1 and rs == k and type(src) == "cdata" then return src + 1 end -- already runs
    local n = rows * k
    if n > capacity[slot] then
      scratch[slot], capacity[slot] = double_array(n), n
      view[slot] = ffi.cast("double *", scratch[slot])
    end
    local dst = view[slot]
    for r = 0, rows - 1 do
      local s, d = 1 + r * rs, r * k
      for p = 0, k - 1 do dst[d + p] = src[s + p * ps] end
    end
    return dst
  end

  local function dot(a, b, k)
    local s = 0.0
    for p = 0, k - 1 do s = s + a[p] * b[p] end
    return s
  end

  product = function(A, a_rs, a_ps, B, b_ps, b_cs, n, k, m)
    local ap = pack(1, A, n, k, a_rs, a_ps)
    local bp = pack(2, B, m, k, b_cs, b_ps)
    local C = buffer(n * m)
    local n4, m2 = n - n % 4, m - m % 2
    for i = 0, n4 - 1, 4 do
      local a0, a1, a2, a3 = ap + i * k, ap + (i + 1) * k, ap + (i + 2) * k, ap + (i + 3) * k
      for j = 0, m2 - 1, 2 do
        -- columns j, j+1 by offset: a pointer object per tile would cost more than
        -- the tile when k is short
        local b0, b1 = j * k, (j + 1) * k
        local s00, s01, s10, s11, s20, s21, s30, s31 = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
        for p = 0, k - 1 do
          local x0, x1, x2, x3, y0, y1 = a0[p], a1[p], a2[p], a3[p], bp[b0 + p], bp[b1 + p]
          s00 = s00 + x0 * y0; s01 = s01 + x0 * y1
          s10 = s10 + x1 * y0; s11 = s11 + x1 * y1
          s20 = s20 + x2 * y0; s21 = s21 + x2 * y1
          s30 = s30 + x3 * y0; s31 = s31 + x3 * y1
        end
        local c = i * m + j + 1
        C[c], C[c + 1] = s00, s01; c = c + m
        C[c], C[c + 1] = s10, s11; c = c + m
        C[c], C[c + 1] = s20, s21; c = c + m
        C[c], C[c + 1] = s30, s31
      end
      if m2 < m then
        for r = i, i + 3 do C[r * m + m] = dot(ap + r * k, bp + m2 * k, k) end
      end
    end
    for i = n4, n - 1 do
      for j = 0, m - 1 do C[i * m + j + 1] = dot(ap + i * k, bp + j * k, k) end
    end
    return C
  end
else
  local scratch = { {}, {} }

  -- pack(slot, src, rows, k, rs, ps): `rows` tables of k values, table r
  -- (1-based) holding src[1 + (r-1)·rs + (p-1)·ps] for p = 1 .. k; the tables
  -- are reused from call to call.
  local function pack(slot, src, rows, k, rs, ps)
    local list = scratch[slot]
    for r = 1, rows do
      local run = list[r]
      if run == nil then run = {}; list[r] = run end
      local s = 1 + (r - 1) * rs - ps
      for p = 1, k do run[p] = src[s + p * ps] end
    end
    return list
  end

  local function dot(a, b, k)
    local s = 0.0
    for p = 1, k do s = s + a[p] * b[p] end
    return s
  end

  product = function(A, a_rs, a_ps, B, b_ps, b_cs, n, k, m)
    local ar = pack(1, A, n, k, a_rs, a_ps)
    local bc = pack(2, B, m, k, b_cs, b_ps)
    local C = filled(n * m, 0.0)
    local n5, m5 = n - n % 5, m - m % 5
    for i = 1, n5, 5 do
      local a0, a1, a2, a3, a4 = ar[i], ar[i + 1], ar[i + 2], ar[i + 3], ar[i + 4]
      for j = 1, m5, 5 do
        local b0, b1, b2, b3, b4 = bc[j], bc[j + 1], bc[j + 2], bc[j + 3], bc[j + 4]
        local s00, s01, s02, s03, s04 = 0.0, 0.0, 0.0, 0.0, 0.0
        local s10, s11, s12, s13, s14 = 0.0, 0.0, 0.0, 0.0, 0.0
        local s20, s21, s22, s23, s24 = 0.0, 0.0, 0.0, 0.0, 0.0
        local s30, s31, s32, s33, s34 = 0.0, 0.0, 0.0, 0.0, 0.0
        local s40, s41, s42, s43, s44 = 0.0, 0.0, 0.0, 0.0, 0.0
        for p = 1, k do
          local x0, x1, x2, x3, x4 = a0[p], a1[p], a2[p], a3[p], a4[p]
          local y0, y1, y2, y3, y4 = b0[p], b1[p], b2[p], b3[p], b4[p]
          s00 = s00 + x0 * y0; s01 = s01 + x0 * y1; s02 = s02 + x0 * y2; s03 = s03 + x0 * y3; s04 = s04 + x0 * y4
          s10 = s10 + x1 * y0; s11 = s11 + x1 * y1; s12 = s12 + x1 * y2; s13 = s13 + x1 * y3; s14 = s14 + x1 * y4
          s20 = s20 + x2 * y0; s21 = s21 + x2 * y1; s22 = s22 + x2 * y2; s23 = s23 + x2 * y3; s24 = s24 + x2 * y4
          s30 = s30 + x3 * y0; s31 = s31 + x3 * y1; s32 = s32 + x3 * y2; s33 = s33 + x3 * y3; s34 = s34 + x3 * y4
          s40 = s40 + x4 * y0; s41 = s41 + x4 * y1; s42 = s42 + x4 * y2; s43 = s43 + x4 * y3; s44 = s44 + x4 * y4
        end
        local c = (i - 1) * m + j
        C[c], C[c + 1], C[c + 2], C[c + 3], C[c + 4] = s00, s01, s02, s03, s04; c = c + m
        C[c], C[c + 1], C[c + 2], C[c + 3], C[c + 4] = s10, s11, s12, s13, s14; c = c + m
        C[c], C[c + 1], C[c + 2], C[c + 3], C[c + 4] = s20, s21, s22, s23, s24; c = c + m
        C[c], C[c + 1], C[c + 2], C[c + 3], C[c + 4] = s30, s31, s32, s33, s34; c = c + m
        C[c], C[c + 1], C[c + 2], C[c + 3], C[c + 4] = s40, s41, s42, s43, s44
      end
      for r = i, i + 4 do
        for j = m5 + 1, m do C[(r - 1) * m + j] = dot(ar[r], bc[j], k) end
      end
    end
    for i = n5 + 1, n do
      for j = 1, m do C[(i - 1) * m + j] = dot(ar[i], bc[j], k) end
    end
    return C
  end
end
M.product = product

local function shape_error(what, a, b)
  error(string.format(what, M.shape_str(a.shape), M.shape_str(b.shape)), 3)
end

-- matmul(a, b) = a · b for a (N, K), b (K, M).
function M.matmul(a, b)
  local n, k, m = a.shape[1], a.shape[2], b.shape[2]
  if k ~= b.shape[1] then shape_error("cannot multiply %s by %s", a, b) end
  return M.new({ n, m }, product(a.data, k, 1, b.data, m, 1, n, k, m))
end

-- transpose(a): (N, M) -> (M, N).
function M.transpose(a)
  local n, m = a.shape[1], a.shape[2]
  local s, d = a.data, {}
  for i = 0, n - 1 do
    local base = i * m
    for j = 1, m do d[(j - 1) * n + i + 1] = s[base + j] end
  end
  return M.new({ m, n }, d)
end

-- matmul_tn(a, b) = aᵀ · b for a (K, N), b (K, M).
function M.matmul_tn(a, b)
  local k, n, m = a.shape[1], a.shape[2], b.shape[2]
  if k ~= b.shape[1] then shape_error("cannot multiply the transpose of %s by %s", a, b) end
  return M.new({ n, m }, product(a.data, 1, n, b.data, m, 1, n, k, m))
end

-- matmul_nt(a, b) = a · bᵀ for a (N, K), b (M, K).
function M.matmul_nt(a, b)
  local n, k, m = a.shape[1], a.shape[2], b.shape[1]
  if k ~= b.shape[2] then shape_error("cannot multiply %s by the transpose of %s", a, b) end
  return M.new({ n, m }, product(a.data, k, 1, b.data, 1, k, n, k, m))
end

-- argmax_rows(a): 0-based index of the first maximum of each row of a 2-D
-- array; a NaN counts as the maximum, as NumPy's argmax.
function M.argmax_rows(a)
  local n, m = a.shape[1], a.shape[2]
  local s, out = a.data, {}
  for i = 0, n - 1 do
    local base = i * m
    local best, bi = s[base + 1], 0
    if best == best then
      for j = 2, m do
        local v = s[base + j]
        if v ~= v then bi = j - 1; break end
        if v > best then best, bi = v, j - 1 end
      end
    end
    out[i + 1] = bi
  end
  return out
end

return M
