-- The book's perceptron gates (chapter 2): truth tables entered by hand.
local gates = require("dlscratch.gates")

describe("gates", function()
  local inputs = { { 0, 0 }, { 1, 0 }, { 0, 1 }, { 1, 1 } }
  local tables = {
    AND = { 0, 0, 0, 1 },
    NAND = { 1, 1, 1, 0 },
    OR = { 0, 1, 1, 1 },
    XOR = { 0, 1, 1, 0 },
  }
  for name, expected in pairs(tables) do
    it(name .. " follows its truth table", function()
      for i, xs in ipairs(inputs) do
        assert.are.equal(expected[i], gates[name](xs[1], xs[2]))
      end
    end)
  end
end)
