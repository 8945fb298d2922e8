-- Numerical differentiation (chapter 4), against the book's printed values.
local gradient = require("dlscratch.gradient")
local tensor = require("dlscratch.tensor")

describe("gradient", function()
  it("numerical_diff(function_1, 5) = 0.1999999999990898", function()
    assert.are.equal(0.1999999999990898, gradient.numerical_diff(gradient.function_1, 5))
  end)

  it("numerical_diff(function_1, 10) = 0.2999999999986347", function()
    assert.are.equal(0.2999999999986347, gradient.numerical_diff(gradient.function_1, 10))
  end)

  it("numerical_gradient(function_2) at (3, 4), (0, 2), (3, 0) is (6, 8), (0, 4), (6, 0)", function()
    local cases = { { { 3, 4 }, { 6, 8 } }, { { 0, 2 }, { 0, 4 } }, { { 3, 0 }, { 6, 0 } } }
    for _, c in ipairs(cases) do
      local g = gradient.numerical_gradient(gradient.function_2, tensor.from_list(c[1])).data
      assert.is_near(c[2][1], g[1], 1e-7)
      assert.is_near(c[2][2], g[2], 1e-7)
    end
  end)

  it("numerical_gradient restores x exactly", function()
    local x = tensor.from_list({ 0.1, 0.7, -3.3 })
    gradient.numerical_gradient(gradient.function_2, x)
    assert.are.same({ 0.1, 0.7, -3.3 }, x.data)
  end)

  it("gradient_descent(function_2, [-3, 4], lr 0.1, 100 steps) ~ [-6.11110793e-10, 8.14814391e-10]", function()
    local x = gradient.gradient_descent(gradient.function_2, tensor.from_list({ -3, 4 }), 0.1, 100).data
    assert.is_near(-6.11110793e-10, x[1], 1e-18)
    assert.is_near(8.14814391e-10, x[2], 1e-18)
  end)
end)
