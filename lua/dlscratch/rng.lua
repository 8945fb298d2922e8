-- MRG32k3a (L'Ecuyer 1999), the generator every port shares, so that the same
-- seed gives the same weights and the same batches in every language.
--
--   p1 = (a12·s1[1] - a13n·s1[0]) mod m1      s1 <- (s1[1], s1[2], p1)
--   p2 = (a21·s2[2] - a23n·s2[0]) mod m2      s2 <- (s2[1], s2[2], p2)
--   u  = (p1 - p2 + (p1 <= p2 ? m1 : 0)) · 2.328306549295727688e-10
--
-- Every intermediate is an integer below 2^53, kept as a float on both
-- interpreters; math.fmod is exact, and a negative remainder gets m added so
-- the result is the mathematical mod in [0, m).
local class = require("dlscratch.class")
local tensor = require("dlscratch.tensor")

local fmod, floor, sqrt, log, cos, sin = math.fmod, math.floor, math.sqrt, math.log, math.cos, math.sin

-- region: rng
local M1, M2 = 4294967087.0, 4294944443.0
local A12, A13N, A21, A23N = 1403580.0, 810728.0, 527612.0, 1370589.0
local NORM = 2.328306549295727688e-10
local TWO_PI = 2.0 * math.pi
-- endregion

local M = {}

-- seeds are whole numbers 0 <= seed < SEED_LIMIT (2^31)
M.SEED_LIMIT = 2 ^ 31
-- the moduli: the state words of s1 lie in 0 .. M1-1, those of s2 in 0 .. M2-1
M.M1, M.M2 = M1, M2

-- region: rng
local RNG = class()
M.RNG = RNG

-- new(seed): all six state words = 12345 + seed, then 8 outputs discarded.
function M.new(seed)
  local w = 12345.0 + seed
  local self = setmetatable({ s10 = w, s11 = w, s12 = w, s20 = w, s21 = w, s22 = w }, RNG)
  for _ = 1, 8 do self:next() end
  return self
end

-- state(): the six state words, {s1 = {s1[0], s1[1], s1[2]}, s2 = {...}} (integers held in floats).
function RNG:state()
  return { s1 = { self.s10, self.s11, self.s12 }, s2 = { self.s20, self.s21, self.s22 } }
end

-- set_state(state): the words of state() put back, so that the next output follows them (each s1 word
-- in 0 .. M1-1 and not all zero, each s2 word in 0 .. M2-1 and not all zero; the caller checks them).
function RNG:set_state(state)
  local s1, s2 = state.s1, state.s2
  self.s10, self.s11, self.s12 = s1[1] + 0.0, s1[2] + 0.0, s1[3] + 0.0
  self.s20, self.s21, self.s22 = s2[1] + 0.0, s2[2] + 0.0, s2[3] + 0.0
  return self
end

-- from_state(state): a new generator at the words of state()
function M.from_state(state) return setmetatable({}, RNG):set_state(state) end

-- next(): one uniform in (0, 1).
function RNG:next()
  local p1 = fmod(A12 * self.s11 - A13N * self.s10, M1)
  if p1 < 0 then p1 = p1 + M1 end
  self.s10, self.s11, self.s12 = self.s11, self.s12, p1
  local p2 = fmod(A21 * self.s22 - A23N * self.s20, M2)
  if p2 < 0 then p2 = p2 + M2 end
  self.s20, self.s21, self.s22 = self.s21, self.s22, p2
  if p1 <= p2 then
    return (p1 - p2 + M1) * NORM
  end
  return (p1 - p2) * NORM
end

-- uniform(n): a flat list of n draws.
function RNG:uniform(n)
  local out = {}
  for i = 1, n do out[i] = self:next() end
  return out
end

-- normal(n): Box–Muller on pairs (u1, u2): r = sqrt(-2 ln u1),
-- r·cos(2π u2) then r·sin(2π u2); an odd n drops the last.
function RNG:normal(n)
  local out = {}
  local i = 1
  while i <= n do
    local u1, u2 = self:next(), self:next()
    local r = sqrt(-2.0 * log(u1))
    local theta = TWO_PI * u2
    out[i] = r * cos(theta)
    if i + 1 <= n then out[i + 1] = r * sin(theta) end
    i = i + 2
  end
  return out
end

-- permutation(n): 0-based Fisher–Yates, i = n-1 .. 1, j = floor(u·(i+1)).
function RNG:permutation(n)
  local p = {}
  for i = 1, n do p[i] = i - 1 end
  for i = n - 1, 1, -1 do
    local j = floor(self:next() * (i + 1))
    p[i + 1], p[j + 1] = p[j + 1], p[i + 1]
  end
  return p
end

-- choice(n, size): size 0-based indices floor(u·n), with replacement.
function RNG:choice(n, size)
  local out = {}
  for i = 1, size do out[i] = floor(self:next() * n) end
  return out
end

-- rand(shape) / randn(shape): tensors filled row-major.
function RNG:rand(shape)
  return tensor.new(shape, self:uniform(tensor.numel(shape)))
end

function RNG:randn(shape)
  return tensor.new(shape, self:normal(tensor.numel(shape)))
end

-- the reference's names: MRG32k3a(seed), :next_uniform()
M.MRG32k3a = M.new
RNG.next_uniform = RNG.next
-- endregion

return M
