-- The command-line conventions of bin/train and bin/experiment (shared_tests/README.md §8, §13):
-- `--help` lists every option with its default; a bad option, value or data file is one line
-- `PROG: what is wrong` on stderr and exit status 2, before any work.
local class = require("dlscratch.class")
local bench = require("dlscratch.bench")
local rng = require("dlscratch.rng")

local M = {}

-- wall_clock(): seconds of a wall clock (bench's: clock_gettime under LuaJIT, date(1) under Lua 5.4)
M.wall_clock = bench.wall_clock

local Command = class()
M.Command = Command

-- new(prog, help): the command named prog ("bin/train"), its --help text.
function Command.new(prog, help)
  return setmetatable({ prog = prog, help = help }, Command)
end

-- fail(fmt, ...): the one-line refusal, exit status 2.
function Command:fail(fmt, ...)
  io.stderr:write(self.prog, ": ", string.format(fmt, ...), "\n")
  os.exit(2)
end

local function finite(v) return v ~= nil and v == v and v ~= math.huge and v ~= -math.huge end

-- The option values: each returns the value of `text` for the option `name`, or refuses it.
function Command:number(name, text)
  local v = tonumber(text)
  if not finite(v) then self:fail("%s must be a finite number, not %s", name, text) end
  return v
end

function Command:whole(name, text)
  local v = tonumber(text)
  if not finite(v) or v ~= math.floor(v) then self:fail("%s must be a whole number, not %s", name, text) end
  return math.floor(v)
end

function Command:positive_int(name, text)
  local v = self:whole(name, text)
  if v < 1 then self:fail("%s must be at least 1, not %s", name, text) end
  return v
end

function Command:seed(name, text)
  local s = self:whole(name, text)
  if s < 0 or s >= rng.SEED_LIMIT then self:fail("%s must be in 0 <= seed < 2^31, not %s", name, text) end
  return s
end

function Command:choice(name, text, choices)
  for _, c in ipairs(choices) do
    if text == c then return c end
  end
  self:fail("%s must be one of %s, not %s", name, table.concat(choices, ", "), text)
end

-- parse(argv, takes, flags): the positional arguments, in order; `--name value` or `--name=value`
-- calls takes[name](value); a flag of flags (`--quiet`) takes no value and calls flags[name]();
-- --help (or -h) prints the help and exits 0; anything else starting with - is refused.
function Command:parse(argv, takes, flags)
  local positional, i = {}, 1
  while i <= #argv do
    local a = argv[i]
    local name, value = a:match("^(%-%-[%w-]+)=(.*)$")
    name = name or a
    if name == "--help" or name == "-h" then
      print(self.help)
      os.exit(0)
    elseif flags[name] then
      if value ~= nil then self:fail("%s takes no value", name) end
      flags[name]()
      i = i + 1
    elseif takes[name] then
      if value == nil then
        value = argv[i + 1]
        if value == nil then self:fail("%s needs a value", name) end
        i = i + 2
      else
        i = i + 1
      end
      takes[name](value)
    elseif a:sub(1, 1) == "-" then
      self:fail("unknown option %s (see --help)", a)
    else
      positional[#positional + 1] = a
      i = i + 1
    end
  end
  return positional
end

-- check_writable(path, option): refuse an --out (or the option named) that cannot be written now
-- rather than after the work; a file that did not exist is not left behind.
function Command:check_writable(path, option)
  local existed = io.open(path, "rb")
  if existed then existed:close() end
  local f, err = io.open(path, "ab")
  if not f then self:fail("cannot write %s %s", option or "--out", tostring(err)) end
  f:close()
  if not existed then os.remove(path) end
end

return M
