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

  it("state() and set_state: one step worked by hand from s1 = (1, 2, 3), s2 = (4, 5, 6)", function()
    local g = rng.from_state({ s1 = { 1, 2, 3 }, s2 = { 4, 5, 6 } })
    -- p1 = 1403580·2 - 810728·1 = 1996432; p2 = 527612·6 - 1370589·4 = -2316684, + m2 = 4292627759;
    -- p1 <= p2: u = (1996432 - 4292627759 + 4294967087)·norm = 4335760·norm
    assert.are.equal(4335760 * 2.328306549295727688e-10, g:next())
    assert.are.same({ s1 = { 2, 3, 1996432 }, s2 = { 5, 6, 4292627759 } }, g:state())
  end)

  it("a generator set to another's words continues its sequence", function()
    local a = rng.new(7)
    a:uniform(5)
    local b = rng.new(0):set_state(a:state())
    assert.are.same(a:uniform(4), b:uniform(4))
    assert.are.same({ 4294967087, 4294944443 }, { rng.M1, rng.M2 })
  end)
end)
