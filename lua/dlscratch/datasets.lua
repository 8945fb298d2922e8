-- IDX files (MNIST / Fashion-MNIST). A .gz file (recognised by its magic
-- bytes 1f 8b) is decompressed by the `gzip -dc` program. Integers are
-- decoded big-endian by hand, since LuaJIT has no string.unpack.
local class = require("dlscratch.class")
local tensor = require("dlscratch.tensor")

local byte, floor = string.byte, math.floor

local M = {}

-- FileError {message}: a data file that cannot be read or is not well formed.
local FileError = class()
FileError.__tostring = function(e) return e.message end
function M.is_file_error(v) return getmetatable(v) == FileError end

local function fail(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, FileError), 0)
end

-- region: idx
-- element types: code -> {name, bytes per element}
local TYPES = {
  [0x08] = { "ubyte", 1 }, [0x09] = { "byte", 1 }, [0x0B] = { "int16", 2 },
  [0x0C] = { "int32", 4 }, [0x0D] = { "float32", 4 }, [0x0E] = { "float64", 8 },
}

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- gunzip(path): the decompressed content, from `gzip -dc`; the shell appends
-- gzip's exit status after the data, since io.popen's close does not report
-- it under LuaJIT. Truncated or corrupt data makes gzip fail.
local function gunzip(path)
  local p = io.popen("gzip -dc " .. shell_quote(path) .. " 2>/dev/null; printf ' %d' $?", "r")
  if not p then fail("cannot run gzip to read %s", path) end
  local out = p:read("*a") or ""
  p:close()
  local status = out:match(" (%d+)$", math.max(1, #out - 4))
  if status == "127" then fail("cannot run gzip to read %s", path) end
  if status ~= "0" then fail("%s: bad gzip data (truncated or corrupt)", path) end
  return out:sub(1, #out - #status - 1)
end

-- read_bytes(path): the file's content, gunzipped when it starts with 1f 8b.
function M.read_bytes(path)
  if path:find("\0", 1, true) then fail("cannot open %q: the path holds a NUL byte", path) end
  local f, err = io.open(path, "rb")
  if not f then fail("cannot open %s", tostring(err)) end
  local content, rerr = f:read("*a")
  f:close()
  if content == nil then fail("cannot read %s: %s", path, tostring(rerr)) end
  if content:sub(1, 2) == "\31\139" then content = gunzip(path) end
  return content
end

local function u32(s, i)
  local a, b, c, d = byte(s, i, i + 3)
  return ((a * 256 + b) * 256 + c) * 256 + d
end

-- decode one element of type code at byte offset i (1-based) of s.
local function decoder(code)
  if code == 0x08 then
    return function(s, i) return byte(s, i) end
  elseif code == 0x09 then
    return function(s, i)
      local v = byte(s, i)
      return v >= 128 and v - 256 or v
    end
  elseif code == 0x0B then
    return function(s, i)
      local a, b = byte(s, i, i + 1)
      local v = a * 256 + b
      return v >= 32768 and v - 65536 or v
    end
  elseif code == 0x0C then
    return function(s, i)
      local v = u32(s, i)
      return v >= 2147483648 and v - 4294967296 or v
    end
  elseif code == 0x0D then
    -- float32: sign, 8-bit exponent (bias 127), 23-bit fraction
    return function(s, i)
      local v = u32(s, i)
      local sign = v >= 2147483648 and -1.0 or 1.0
      local e = floor(v / 8388608) % 256
      local frac = v % 8388608
      if e == 255 then
        if frac == 0 then return sign * math.huge end
        return 0 / 0
      elseif e == 0 then
        return sign * frac * 2.0 ^ -149
      end
      return sign * (frac + 8388608) * 2.0 ^ (e - 150)
    end
  elseif code == 0x0E then
    -- float64: sign, 11-bit exponent (bias 1023), 52-bit fraction
    return function(s, i)
      local hi, lo = u32(s, i), u32(s, i + 4)
      local sign = hi >= 2147483648 and -1.0 or 1.0
      local e = floor(hi / 1048576) % 2048
      local frac = (hi % 1048576) * 4294967296 + lo
      if e == 2047 then
        if frac == 0 then return sign * math.huge end
        return 0 / 0
      elseif e == 0 then
        return sign * frac * 2.0 ^ -1074
      end
      return sign * (frac + 4503599627370496) * 2.0 ^ (e - 1075)
    end
  end
end

-- parse_idx(s, name): the header of an IDX byte string.
-- Returns {shape, size, code, offset (1-based start of the data), get}.
function M.parse_idx(s, name)
  name = name or "IDX data"
  if #s < 4 then fail("%s is too short for an IDX header", name) end
  local z1, z2, code, ndim = byte(s, 1, 4)
  if z1 ~= 0 or z2 ~= 0 then fail("%s is not an IDX file (bad magic)", name) end
  local t = TYPES[code]
  if not t then fail("%s has unknown IDX type 0x%02X", name, code) end
  if #s < 4 + 4 * ndim then fail("%s is shorter than its header", name) end
  local shape, size = {}, 1
  for k = 1, ndim do
    shape[k] = u32(s, 1 + 4 * k)
    size = size * shape[k]
  end
  local offset = 5 + 4 * ndim
  local need = size * t[2]
  if #s - offset + 1 < need then
    fail("%s is shorter than its header says (%d bytes of data, %d expected)", name,
      #s - offset + 1, need)
  end
  return { shape = shape, size = size, code = code, width = t[2], offset = offset, get = decoder(code), bytes = s }
end

-- read_idx(path): the parsed IDX file (see parse_idx).
function M.read_idx(path)
  return M.parse_idx(M.read_bytes(path), path)
end

-- summary(idx): shape, the sum of all values, the first 16 values.
function M.summary(idx)
  local s, get, w, off = idx.bytes, idx.get, idx.width, idx.offset
  local head, total = {}, 0.0
  if idx.code == 0x08 then
    -- byte sums are exact integers; sum in chunks through string.byte
    local last = off + idx.size - 1
    local i = off
    while i <= last do
      local j = math.min(i + 3999, last)
      local vals = { byte(s, i, j) }
      for k = 1, #vals do total = total + vals[k] end
      i = j + 1
    end
    for k = 1, math.min(16, idx.size) do head[k] = byte(s, off + k - 1) end
  else
    local vals = {}
    for k = 1, idx.size do vals[k] = get(s, off + (k - 1) * w) end
    total = tensor.pairwise_sum(vals, 1, idx.size)
    for k = 1, math.min(16, idx.size) do head[k] = vals[k] end
  end
  return { shape = idx.shape, sum = total + 0.0, head = head }
end

-- load_idx(path): the whole IDX array as a float tensor (for small files; the
-- trainer keeps images as bytes instead).
function M.load_idx(path)
  local idx = M.read_idx(path)
  local vals = {}
  for k = 1, idx.size do vals[k] = idx.get(idx.bytes, idx.offset + (k - 1) * idx.width) + 0.0 end
  return tensor.new(idx.shape, vals)
end
-- endregion

-- Fashion-MNIST / MNIST as byte strings: images stay bytes (one byte per
-- pixel) and are converted to floats one batch at a time.
local FILES = {
  train_images = "train-images-idx3-ubyte", train_labels = "train-labels-idx1-ubyte",
  test_images = "t10k-images-idx3-ubyte", test_labels = "t10k-labels-idx1-ubyte",
}

-- find_file(dir, base): dir/base, else dir/base.gz; ValueError if neither opens.
local function find_file(dir, base)
  for _, name in ipairs({ base, base .. ".gz" }) do
    local path = dir .. "/" .. name
    local f, err, code = io.open(path, "rb")
    if f then f:close(); return path end
    if code ~= 2 then fail("cannot open %s", tostring(err)) end -- anything but ENOENT
  end
  fail("%s has no %s or %s.gz", dir, base, base)
end

-- Images: {n, height, width, cols = height·width, bytes, offset}; row r
-- (1-based) starts at offset + (r-1)·cols.
local Images = class()
M.Images = Images

-- rows(idx_list): a tensor of the given 0-based rows as byte / 255.0, each flattened to cols
-- values, or an image 1 x height x width after as_images().
function Images:rows(idx_list)
  local cols, s, off = self.cols, self.bytes, self.offset
  local n = #idx_list
  local out = tensor.buffer(n * cols)
  for r = 1, n do
    local start = off + idx_list[r] * cols
    local base = (r - 1) * cols
    for c = 1, cols do out[base + c] = byte(s, start + c - 1) / 255.0 end
  end
  if self.images then return tensor.new({ n, 1, self.height, self.width }, out) end
  return tensor.new({ n, cols }, out)
end

-- as_images(): the same images whose rows are N x 1 x height x width (not flattened), with the
-- shape {n, 1, height, width} that the Trainer and SimpleConvNet read.
function Images:as_images()
  local view = { images = true, shape = { self.n, 1, self.height, self.width } }
  for k, v in pairs(self) do view[k] = view[k] == nil and v or view[k] end
  return setmetatable(view, Images)
end

-- range(first, count): rows first .. first+count-1 (0-based) as a tensor.
function Images:range(first, count)
  local idx = {}
  for r = 1, count do idx[r] = first + r - 1 end
  return self:rows(idx)
end

local function type_name(idx)
  return TYPES[idx.code][1]
end

-- images(path, like): the IDX file as Images of every image: unsigned bytes,
-- count x rows x cols, with like's rows x cols when like is given.
local function images(path, like)
  local idx = M.read_idx(path)
  if idx.code ~= 0x08 then fail("%s holds %s values, not unsigned-byte images", path, type_name(idx)) end
  if #idx.shape ~= 3 then
    fail("%s is %d-D (%s), not images (count x rows x cols)", path, #idx.shape, tensor.shape_str(idx.shape))
  end
  if idx.size == 0 then fail("%s holds no images (%s)", path, tensor.shape_str(idx.shape)) end
  local rows, cols = idx.shape[2], idx.shape[3]
  if like and (rows ~= like.height or cols ~= like.width) then
    fail("%s holds %dx%d images but the training images are %dx%d", path, rows, cols,
      like.height, like.width)
  end
  return setmetatable({
    n = idx.shape[1], height = rows, width = cols, cols = rows * cols, bytes = idx.bytes, offset = idx.offset,
  }, Images)
end

-- labels(path, count, keep): the first keep (default all) labels as a 0-based
-- list; the file must hold unsigned bytes, 1-D, count of them (one per
-- image), each in 0..9.
local function labels(path, count, keep)
  local idx = M.read_idx(path)
  if idx.code ~= 0x08 then fail("%s holds %s values, not unsigned-byte labels", path, type_name(idx)) end
  if #idx.shape ~= 1 then
    fail("%s is %d-D (%s), not a 1-D list of labels", path, #idx.shape, tensor.shape_str(idx.shape))
  end
  local n = idx.shape[1]
  if n ~= count then fail("%s holds %d labels for %d images", path, n, count) end
  local s, off = idx.bytes, idx.offset
  local bad = s:find("[\10-\255]", off)
  if bad and bad < off + n then
    fail("%s: label %d (entry %d) is outside 0..9", path, byte(s, bad), bad - off)
  end
  local out = {}
  for k = 1, math.min(keep or n, n) do out[k] = byte(s, off + k - 1) end
  return out
end

-- load_mnist(dir, train_size, test_size): {train_images, train_labels,
-- test_images, test_labels}, the images as Images, the labels as 0-based
-- lists, the first train_size / test_size of each set (default all). The
-- four files are checked whole, in that order, before anything is cut; the
-- first bad one is named in a ValueError.
function M.load_mnist(dir, train_size, test_size)
  local train_images = images(find_file(dir, FILES.train_images))
  local train_labels = labels(find_file(dir, FILES.train_labels), train_images.n, train_size)
  local test_images = images(find_file(dir, FILES.test_images), train_images)
  local test_labels = labels(find_file(dir, FILES.test_labels), test_images.n, test_size)
  train_images.n, test_images.n = #train_labels, #test_labels
  return {
    train_images = train_images, train_labels = train_labels,
    test_images = test_images, test_labels = test_labels,
  }
end

return M
