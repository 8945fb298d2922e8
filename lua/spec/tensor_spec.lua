-- The flat row-major array module.
local tensor = require("dlscratch.tensor")

describe("tensor", function()
  it("matmul multiplies (2x3)·(3x2) as by hand", function()
    local a = tensor.from_rows({ { 1, 2, 3 }, { 4, 5, 6 } })
    local b = tensor.from_rows({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
    local c = tensor.matmul(a, b)
    assert.are.same({ 2, 2 }, c.shape)
    assert.are.same({ 22, 28, 49, 64 }, c.data)
  end)

  it("zeros in a skip nothing when b holds an infinity", function()
    local a = tensor.from_rows({ { 0, 1 } })
    local b = tensor.from_rows({ { math.huge }, { 1 } })
    local c = tensor.matmul(a, b).data[1]
    assert.is_true(c ~= c) -- 0·inf = NaN
  end)

  it("matmul_tn and matmul_nt agree with an explicit transpose", function()
    local a = tensor.from_rows({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
    local b = tensor.from_rows({ { 1, 0, 2 }, { 0, 1, 3 }, { 1, 1, 1 } })
    assert.are.same(tensor.matmul(tensor.transpose(a), b).data, tensor.matmul_tn(a, b).data)
    local c = tensor.from_rows({ { 1, 2 }, { 0, 1 } })
    assert.are.same(tensor.matmul(a, tensor.transpose(c)).data, tensor.matmul_nt(a, c).data)
  end)

  it("pairwise_sum follows NumPy's blocked order", function()
    local d = {}
    for i = 1, 300 do d[i] = 1 / i end
    -- 300 = 144 + 156 at the top split; each half in 8 partial sums
    local s = tensor.pairwise_sum(d, 1, 300)
    local plain = 0
    for i = 1, 300 do plain = plain + d[i] end
    assert.is_near(plain, s, 1e-13)
    assert.are.equal(6.2826638802995, tonumber(string.format("%.14g", s)))
  end)

  it("reshape checks the element count", function()
    local t = tensor.zeros({ 2, 3 })
    assert.are.same({ 3, 2 }, t:reshape({ 3, -1 }).shape)
    local ok, err = pcall(t.reshape, t, { 4, 2 })
    assert.is_false(ok)
    assert.are.equal("ShapeError", err.type)
  end)

  it("argmax_rows takes the first maximum", function()
    assert.are.same({ 1, 0 }, tensor.argmax_rows(tensor.from_rows({ { 1, 3, 3 }, { 2, 2, 1 } })))
  end)
end)
