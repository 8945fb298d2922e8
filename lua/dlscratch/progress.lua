-- A one-line progress bar on stderr for bin/train and bin/experiment:
--   [#########.....................] 450/1500  30%  loss 0.4123  81 it/s  eta 13s
-- redrawn in place at most every 0.1 s of CPU time; lines written through it go to stdout above it.
local class = require("dlscratch.class")

local M = {}

local ProgressBar = class()
M.ProgressBar = ProgressBar

-- new(total, enabled, first): a bar of total steps, drawn only when enabled (a terminal, no --quiet), its
-- rate counted from step first (default 0: a resumed run starts later)
function ProgressBar.new(total, enabled, first)
  return setmetatable({ total = math.max(total, 1), enabled = enabled, last = -1, start = os.clock(), first = first or 0 },
    ProgressBar)
end

-- update(done, name, value, ...): done of total steps, with each name's value (%.4f) shown.
function ProgressBar:update(done, ...)
  if not self.enabled then return end
  local now = os.clock()
  if done < self.total and now - self.last < 0.1 then return end
  self.last = now
  local fields, width = {}, 30
  for i = 1, select("#", ...), 2 do
    local name, value = select(i, ...)
    fields[#fields + 1] = string.format("%s %.4f", name, value)
  end
  local filled = math.floor(done / self.total * width)
  local rate = (done - self.first) / math.max(now - self.start, 1e-9)
  io.stderr:write(string.format("\r[%s%s] %d/%d %3d%%  %s  %.0f it/s  eta %.0fs\27[K",
    string.rep("#", filled), string.rep(".", width - filled), done, self.total,
    math.floor(100 * done / self.total), table.concat(fields, "  "), rate, (self.total - done) / rate))
  io.stderr:flush()
end

-- write(text): a line on stdout, above the bar.
function ProgressBar:write(text)
  if self.enabled then io.stderr:write("\r\27[K") end
  io.stdout:write(text, "\n")
  io.stdout:flush()
end

function ProgressBar:close()
  if self.enabled then io.stderr:write("\n") end
end

-- terminal(): whether stderr is a terminal, as the commands' shell wrappers tell (DLSCRATCH_STDERR_TTY)
function M.terminal() return os.getenv("DLSCRATCH_STDERR_TTY") == "1" end

return M
