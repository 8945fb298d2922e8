-- IDX files: the small files of shared_tests/data (contents listed in make_idx.py).
local datasets = require("dlscratch.datasets")

local DATA = "../shared_tests/data/"

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

  it("refuses a truncated file and a bad magic with ValueError", function()
    for _, name in ipairs({ "truncated.idx", "bad_magic.idx", "no-such-file.idx" }) do
      local ok, err = pcall(datasets.read_idx, DATA .. name)
      assert.is_false(ok)
      assert.are.equal("ValueError", err.type)
    end
  end)

  it("keeps images as bytes and converts a batch to byte / 255", function()
    local d = datasets.load_mnist("/usr/share/datasets/fashion-mnist", 100, 10)
    assert.are.equal(100, d.train_images.n)
    assert.are.equal(784, d.train_images.cols)
    assert.are.equal(100, #d.train_labels)
    assert.are.equal(9, d.train_labels[1]) -- the first Fashion-MNIST training label (ankle boot)
    local x = d.train_images:rows({ 0, 1 })
    assert.are.same({ 2, 784 }, x.shape)
    for i = 1, x.size do assert.is_true(x.data[i] >= 0 and x.data[i] <= 1) end
  end)
end)
