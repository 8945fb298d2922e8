-- JSON in and out: exact numbers, non-finite strings, empty arrays.
local jsonio = require("dlscratch.jsonio")
local rng = require("dlscratch.rng")

describe("jsonio", function()
  it("writes floats that read back to the same double", function()
    local r = rng.new(9)
    for _ = 1, 2000 do
      local x = (r:next() - 0.5) * 10 ^ math.floor(r:next() * 40 - 20)
      assert.are.equal(x, tonumber(jsonio.number(x)))
    end
    assert.are.equal("0.1", jsonio.number(0.1))
    assert.are.equal("0.30000000000000004", jsonio.number(0.1 + 0.2))
    assert.are.equal(5e-324, tonumber(jsonio.number(5e-324)))
    assert.are.equal("3", jsonio.number(3.0))
  end)

  it("writes NaN and infinities as strings", function()
    assert.are.equal('"NaN"', jsonio.number(0 / 0))
    assert.are.equal('"Infinity"', jsonio.number(math.huge))
    assert.are.equal('"-Infinity"', jsonio.number(-math.huge))
  end)

  it("tells [] from {} when decoding", function()
    local v = jsonio.decode('{"a": [], "b": {}, "c": [ ], "s": "[]"}')
    assert.are.equal(jsonio.EMPTY_ARRAY, v.a)
    assert.are.equal(jsonio.EMPTY_ARRAY, v.c)
    assert.is_true(jsonio.is_object(v.b))
    assert.are.equal("[]", v.s)
  end)

  it("rejects bare NaN as not JSON", function()
    assert.is_nil(jsonio.decode("[NaN]"))
  end)

  it("refuses the numbers strtod reads but JSON does not, and raw control characters in strings", function()
    for _, s in ipairs({ "[1.]", "[-.5]", "[1.e5]", "1.", "[01]", "[-01]", "[0x10]", "[+1]", '["a\tb"]', '{"k": "\0"}' }) do
      assert.is_nil(jsonio.decode(s), s)
    end
    assert.are.same({ 1.5e-3, -0.5, 0, "1.", "a\tb" }, jsonio.decode('[1.5e-3, -0.5, -0, "1.", "a\\tb"]'))
    assert.are.same({ ["x."] = { 2.5 } }, jsonio.decode('{"x.": [2.5]}'))
  end)

  it("writes strings as JSON, / as it is", function()
    assert.are.equal('["a/b","q\\"\\\\","\\n\\u0001"]', jsonio.encode({ "a/b", 'q"\\', "\n\1" }))
    assert.are.same({ "a/b", 'q"\\/', "\n\1" }, jsonio.decode(jsonio.encode({ "a/b", 'q"\\/', "\n\1" })))
  end)

  it("encodes tensors as nested lists", function()
    local tensor = require("dlscratch.tensor")
    assert.are.equal("[[1,2],[3,4.5]]", jsonio.encode(tensor.from_rows({ { 1, 2 }, { 3, 4.5 } })))
    assert.are.equal("2.5", jsonio.encode(tensor.scalar(2.5)))
  end)
end)
