-- The shared MRG32k3a generator: fixed outputs, identical on every interpreter
-- (the first uniforms were cross-checked against the Python reference).
local rng = require("dlscratch.rng")

describe("rng (MRG32k3a)", function()
  it("seed 0 gives the fixed first uniforms", function()
    local u = rng.new(0):uniform(5)
    assert.are.same({ 0.13598841039594017, 0.7558522371615436, 0.5755553189002691,
      0.4100640936040626, 0.3263296794324586 }, u)
  end)

  it("uniforms lie in (0, 1) and depend on the seed", function()
    local a, b = rng.new(1):uniform(1000), rng.new(2):uniform(1000)
    local differ = false
    for i = 1, 1000 do
      assert.is_true(a[i] > 0 and a[i] < 1)
      if a[i] ~= b[i] then differ = true end
    end
    assert.is_true(differ)
  end)

  it("normal(seed 42) is Box-Muller on the uniforms", function()
    local z = rng.new(42):normal(4)
    local expected = { -0.12547437270161357, -0.07751275897692844, -1.055061282453117, -0.24030750233186627 }
    for i = 1, 4 do assert.is_near(expected[i], z[i], 1e-15 * math.abs(expected[i])) end
    -- the same numbers from the formula
    local r = rng.new(42)
    local u1, u2 = r:next(), r:next()
    assert.are.equal(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2), z[1])
  end)

  it("an odd normal(n) drops the last of the pair", function()
    local z3, z4 = rng.new(5):normal(3), rng.new(5):normal(4)
    assert.are.equal(3, #z3)
    assert.are.same({ z4[1], z4[2], z4[3] }, z3)
  end)

  it("permutation(seed 1, 10) is fixed and a permutation", function()
    local p = rng.new(1):permutation(10)
    assert.are.same({ 8, 5, 0, 4, 6, 2, 1, 7, 9, 3 }, p)
  end)

  it("choice(seed 1, 10, 10) draws with replacement", function()
    assert.are.same({ 3, 3, 8, 2, 4, 2, 2, 0, 1, 4 }, rng.new(1):choice(10, 10))
  end)
end)
