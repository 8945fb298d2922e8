-- The book's perceptron gates (chapter 2): y = 0 if w1·x1 + w2·x2 + b <= 0 else 1.
local M = {}

-- region: gates
-- perceptron(w1, w2, b): the gate x1, x2 -> 0 if w1·x1 + w2·x2 + b <= 0 else 1.
local function perceptron(w1, w2, b)
  return function(x1, x2)
    local tmp = x1 * w1 + x2 * w2 + b
    if tmp <= 0 then return 0 end
    return 1
  end
end

M.perceptron = perceptron

-- AND: w = (0.5, 0.5), b = -0.7
M.AND = perceptron(0.5, 0.5, -0.7)
-- NAND: w = (-0.5, -0.5), b = 0.7
M.NAND = perceptron(-0.5, -0.5, 0.7)
-- OR: w = (0.5, 0.5), b = -0.2
M.OR = perceptron(0.5, 0.5, -0.2)

-- XOR(x1, x2) = AND(NAND(x1, x2), OR(x1, x2)): a two-layer perceptron.
function M.XOR(x1, x2)
  return M.AND(M.NAND(x1, x2), M.OR(x1, x2))
end
-- endregion

return M
