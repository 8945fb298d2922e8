-- IDX files: the small files of shared_tests/data (contents listed in make_idx.py).
local datasets = require("dlscratch.datasets")

local DATA = "../shared_tests/data/"
local FASHION = "/usr/share/datasets/fashion-mnist"

-- the error a call raises
local function refusal(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok, "no error")
  return err
end

local function write_temp(bytes, path)
  path = path or os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(bytes)
  f:close()
  return path
end

-- idx(code, shape, bytes): an IDX file's bytes
local function idx(code, shape, bytes)
  return require("spec.support").idx(shape, bytes, code)
end

-- a directory holding the four MNIST files given as bytes (or, for a string
-- starting with "/", a symbolic link to that file)
local function mnist_dir(files)
  local p = io.popen("mktemp -d")
  local dir = p:read("*l")
  p:close()
  for name, content in pairs(files) do
    if content:sub(1, 1) == "/" then
      assert(os.execute(string.format("ln -s '%s' '%s/%s'", content, dir, name)))
    else
      write_temp(content, dir .. "/" .. name)
    end
  end
  return dir
end

local function remove_dir(dir)
  os.execute(string.format("rm -r '%s'", dir))
end

describe("datasets", function()
  it("reads raw and gzip-compressed unsigned bytes alike", function()
    for _, name in ipairs({ "u8_3x4.idx", "u8_3x4.idx.gz" }) do
      local s = datasets.summary(datasets.read_idx(DATA .. name))
      assert.are.same({ 3, 4 }, s.shape)
      assert.are.equal(1375, s.sum) -- 20·(0+1+…+9) + 220 + 255
      assert.are.same({ 0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 220, 255 }, s.head)
    end
  end)

  it("decodes big-endian int32, int8 and float64 by hand", function()
    local i32 = datasets.summary(datasets.read_idx(DATA .. "i32_2x3.idx"))
    assert.are.same({ -2147483648, -1, 0, 1, 65536, 2147483647 }, i32.head)
    assert.are.same({ -128, -1, 0, 1, 127 }, datasets.summary(datasets.read_idx(DATA .. "i8_5.idx")).head)
    local f64 = datasets.summary(datasets.read_idx(DATA .. "f64_2x2x2.idx"))
    assert.are.same({ 2, 2, 2 }, f64.shape)
    assert.are.same({ 0.5, -1.25, 3.0, 1e-300, -0.0, 2.0 ^ 60, 0.1, -7.75 }, f64.head)
  end)

  it("refuses a truncated file, a bad magic and a missing file with a file error naming it", function()
    for _, name in ipairs({ "truncated.idx", "bad_magic.idx", "no-such-file.idx" }) do
      local err = refusal(datasets.read_idx, DATA .. name)
      assert.is_true(datasets.is_file_error(err))
      assert.truthy(err.message:find(DATA .. name, 1, true), err.message)
    end
  end)

  it("reports a cut-short .gz as bad gzip data, under both interpreters", function()
    local f = io.open(DATA .. "u8_3x4.idx.gz", "rb")
    local gz = f:read("*a")
    f:close()
    -- without its last 4 bytes (the length trailer) gzip still writes every byte,
    -- then fails; cut in the middle it writes part of them
    for _, keep in ipairs({ #gz - 4, math.floor(#gz / 2) }) do
      local path = write_temp(gz:sub(1, keep))
      local err = refusal(datasets.read_idx, path)
      os.remove(path)
      assert.is_true(datasets.is_file_error(err))
      assert.are.equal(path .. ": bad gzip data (truncated or corrupt)", err.message)
    end
  end)

  describe("load_mnist checks the four files before anything is cut", function()
    local good = {
      ["train-images-idx3-ubyte"] = idx(0x08, { 3, 2, 2 }, string.rep("\1", 12)),
      ["train-labels-idx1-ubyte"] = idx(0x08, { 3 }, "\0\9\5"),
      ["t10k-images-idx3-ubyte"] = idx(0x08, { 2, 2, 2 }, string.rep("\2", 8)),
      ["t10k-labels-idx1-ubyte"] = idx(0x08, { 2 }, "\1\2"),
    }
    local function with(name, content)
      local files = {}
      for k, v in pairs(good) do files[k] = v end
      files[name] = content
      return files
    end

    it("reads a good directory and cuts each set to its size", function()
      local dir = mnist_dir(good)
      local d = datasets.load_mnist(dir, 2, nil)
      remove_dir(dir)
      assert.are.equal(2, d.train_images.n)
      assert.are.same({ 0, 9 }, d.train_labels)
      assert.are.equal(4, d.test_images.cols)
      assert.are.same({ 1, 2 }, d.test_labels)
    end)

    local bad = {
      { "a missing file", "t10k-images-idx3-ubyte", nil, "has no t10k%-images%-idx3%-ubyte or t10k%-images%-idx3%-ubyte%.gz" },
      { "images of 2 dimensions", "train-images-idx3-ubyte", idx(0x08, { 3, 4 }, string.rep("\1", 12)), "is 2%-D" },
      { "int32 images", "train-images-idx3-ubyte", idx(0x0C, { 3, 1, 1 }, string.rep("\0", 12)), "holds int32 values" },
      { "test images of another size", "t10k-images-idx3-ubyte", idx(0x08, { 2, 1, 4 }, string.rep("\2", 8)),
        "holds 1x4 images but the training images are 2x2" },
      { "labels of 2 dimensions", "t10k-labels-idx1-ubyte", idx(0x08, { 2, 1 }, "\1\2"), "is 2%-D" },
      { "fewer labels than images", "train-labels-idx1-ubyte", idx(0x08, { 2 }, "\0\9"), "holds 2 labels for 3 images" },
      { "a label above 9", "train-labels-idx1-ubyte", idx(0x08, { 3 }, "\0\9\10"), "label 10 %(entry 2%) is outside 0%.%.9" },
      { "a file cut short", "t10k-labels-idx1-ubyte", idx(0x08, { 2 }, "\1"), "shorter than its header says" },
    }
    for _, case in ipairs(bad) do
      local what, name, content, message = case[1], case[2], case[3], case[4]
      it("refuses " .. what .. ", naming the file", function()
        local files = with(name, content or "")
        if content == nil then files[name] = nil end
        local dir = mnist_dir(files)
        local err = refusal(datasets.load_mnist, dir, 1, 1)
        remove_dir(dir)
        assert.is_true(datasets.is_file_error(err))
        local path = dir .. "/" .. name
        if content ~= nil then
          assert.are.equal(path, err.message:sub(1, #path), err.message)
        end
        assert.truthy(err.message:find(message), err.message)
      end)
    end

    it("refuses an images file under the test labels' name, with or without a test size", function()
      local dir = mnist_dir({
        ["train-images-idx3-ubyte.gz"] = FASHION .. "/train-images-idx3-ubyte.gz",
        ["train-labels-idx1-ubyte.gz"] = FASHION .. "/train-labels-idx1-ubyte.gz",
        ["t10k-images-idx3-ubyte.gz"] = FASHION .. "/t10k-images-idx3-ubyte.gz",
        ["t10k-labels-idx1-ubyte.gz"] = FASHION .. "/t10k-images-idx3-ubyte.gz",
      })
      for _, test_size in ipairs({ false, 100 }) do
        local err = refusal(datasets.load_mnist, dir, 100, test_size or nil)
        assert.are.equal(dir .. "/t10k-labels-idx1-ubyte.gz is 3-D (10000x28x28), not a 1-D list of labels",
          err.message)
      end
      remove_dir(dir)
    end)
  end)

  it("keeps images as bytes and converts a batch to byte / 255", function()
    local d = datasets.load_mnist(FASHION, 100, 10)
    assert.are.equal(100, d.train_images.n)
    assert.are.equal(784, d.train_images.cols)
    assert.are.equal(100, #d.train_labels)
    assert.are.equal(9, d.train_labels[1]) -- the first Fashion-MNIST training label (ankle boot)
    local x = d.train_images:rows({ 0, 1 })
    assert.are.same({ 2, 784 }, x.shape)
    for i = 1, x.size do assert.is_true(x.data[i] >= 0 and x.data[i] <= 1) end
  end)
end)
