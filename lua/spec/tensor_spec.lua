-- The flat row-major array module.
local tensor = require("dlscratch.tensor")

describe("tensor", function()
  -- exact comparisons of products hold here: every product and partial sum
  -- is a small integer, exact in any order and with or without fused multiply-add
  it("matmul multiplies (2x3)·(3x2) as by hand", function()
    local a = tensor.from_rows({ { 1, 2, 3 }, { 4, 5, 6 } })
    local b = tensor.from_rows({ { 1, 2 }, { 3, 4 }, { 5, 6 } })
    local c = tensor.matmul(a, b)
    assert.are.same({ 2, 2 }, c.shape)
    assert.are.same({ 22, 28, 49, 64 }, tensor.values(c))
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
    assert.are.same(tensor.values(tensor.matmul(tensor.transpose(a), b)), tensor.values(tensor.matmul_tn(a, b)))
    local c = tensor.from_rows({ { 1, 2 }, { 0, 1 } })
    assert.are.same(tensor.values(tensor.matmul(a, tensor.transpose(c))), tensor.values(tensor.matmul_nt(a, c)))
  end)

  -- c[i, j] = ((0 + a[i,1]·b[1,j]) + a[i,2]·b[2,j]) + ...: the tiled kernels
  -- give the bits of that loop for every size around the tile edges
  it("every product sums each dot product in order, bit for bit", function()
    local g = require("dlscratch.rng").new(7)
    local function naive(A, B, n, k, m, at, bt)
      local C = {}
      for i = 0, n - 1 do
        for j = 0, m - 1 do
          local s = 0.0
          for p = 0, k - 1 do s = s + A[at(i, p)] * B[bt(p, j)] end
          C[i * m + j + 1] = s
        end
      end
      return C
    end
    for _, size in ipairs({ { 1, 1, 1 }, { 3, 5, 2 }, { 4, 7, 4 }, { 9, 3, 7 }, { 13, 17, 11 }, { 8, 1, 6 } }) do
      local n, k, m = size[1], size[2], size[3]
      local a, b = g:randn({ n, k }), g:randn({ k, m })
      local want = naive(a.data, b.data, n, k, m, function(i, p) return i * k + p + 1 end,
        function(p, j) return p * m + j + 1 end)
      assert.are.same(want, tensor.values(tensor.matmul(a, b)))
      local at, bt = tensor.transpose(a), tensor.transpose(b)
      assert.are.same(want, tensor.values(tensor.matmul_tn(at, b)))
      assert.are.same(want, tensor.values(tensor.matmul_nt(a, bt)))
      assert.are.same(want, tensor.values(tensor.matmul_tn(at, tensor.transpose(bt))))
    end
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
    assert.truthy(err:find("cannot reshape 2x3 into 4x2", 1, true), err)
  end)

  it("tostring shows the shape and the values, as NumPy prints them", function()
    assert.are.equal("tensor(3) [0.01821127, 0.24519181, 0.73659691]",
      tostring(tensor.from_list({ 0.018211273295547534, 0.24519181293507392, 0.7365969137693786 })))
    assert.are.equal("tensor(2x2) [[1, 2], [3, 4.5]]", tostring(tensor.from_rows({ { 1, 2 }, { 3, 4.5 } })))
    assert.are.equal("tensor(2x1x2) [[[1, 2]], [[3, 4]]]", tostring(tensor.new({ 2, 1, 2 }, { 1, 2, 3, 4 })))
    assert.are.equal("tensor(scalar) 220", tostring(tensor.scalar(100 * 2 * 1.1)))
    assert.are.equal("tensor(5) [nan, inf, -inf, 1e-300, 1.2345679e+08]",
      tostring(tensor.from_list({ 0 / 0, math.huge, -math.huge, 1e-300, 123456789 })))
    assert.are.equal("tensor(0) []", tostring(tensor.zeros({ 0 })))
  end)

  it("tostring of more than 1000 elements shows 3 at each end of every dimension", function()
    local t = tensor.zeros({ 3, 400 })
    for i = 1, t.size do t.data[i] = i end
    assert.are.equal("tensor(3x400) [[1, 2, 3, ..., 398, 399, 400], [401, 402, 403, ..., 798, 799, 800], "
      .. "[801, 802, 803, ..., 1198, 1199, 1200]]", tostring(t))
    assert.are.equal("tensor(1001) [0, 0, 0, ..., 0, 0, 0]", tostring(tensor.zeros({ 1001 })))
  end)

  it("argmax_rows takes the first maximum", function()
    assert.are.same({ 1, 0 }, tensor.argmax_rows(tensor.from_rows({ { 1, 3, 3 }, { 2, 2, 1 } })))
  end)
end)
