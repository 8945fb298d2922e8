-- Numerical differentiation (chapter 4): central differences with h = 1e-4.
local tensor = require("dlscratch.tensor")

local M = {}

-- region: numerical_diff
-- region: numerical_gradient
local H = 1e-4
-- endregion
-- endregion

-- region: numerical_diff
-- function_1(x) = 0.01·x² + 0.1·x
function M.function_1(x)
  return 0.01 * (x * x) + 0.1 * x
end
-- endregion

-- region: numerical_gradient
-- function_2(x) = Σ x² over the whole array (x² for a plain number)
function M.function_2(x)
  if type(x) == "number" then return x * x end
  local sq, d = {}, x.data
  for i = 1, x.size do sq[i] = d[i] * d[i] end
  return tensor.pairwise_sum(sq, 1, x.size)
end
-- endregion

-- region: numerical_diff
-- numerical_diff(f, x) = (f(x + h) - f(x - h)) / 2h
function M.numerical_diff(f, x)
  return (f(x + H) - f(x - H)) / (2 * H)
end
-- endregion

-- region: numerical_gradient
-- numerical_gradient(f, x): ∂f/∂x_i = (f(x + h·e_i) - f(x - h·e_i)) / 2h for
-- every element in row-major order; f sees the whole tensor x, which is
-- changed in place and each element restored exactly afterwards.
function M.numerical_gradient(f, x)
  local d = x.data
  local grad = {}
  for i = 1, x.size do
    local tmp = d[i]
    d[i] = tmp + H
    local fxh1 = f(x)
    d[i] = tmp - H
    local fxh2 = f(x)
    grad[i] = (fxh1 - fxh2) / (2 * H)
    d[i] = tmp
  end
  return tensor.new(tensor.copy_list(x.shape), grad)
end
-- endregion

-- region: gradient_descent
-- gradient_descent(f, init_x, lr, step_num): step_num times x <- x - lr·∇f(x).
function M.gradient_descent(f, init_x, lr, step_num)
  local x = init_x:clone()
  for _ = 1, step_num do
    local g = M.numerical_gradient(f, x)
    local d, gd = x.data, g.data
    for i = 1, x.size do d[i] = d[i] - lr * gd[i] end
  end
  return x
end
-- endregion

return M
