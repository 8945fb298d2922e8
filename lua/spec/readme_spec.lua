-- Every example of README.md prints what the README says it prints: each
-- ```lua block is run as a script (its output is its `--> ` lines, in order),
-- each ```console block's `$ ` commands are run with their output shown below
-- them (stdout and stderr together; `…` stands for any text, the timings).
local support = require("spec.support")
local LUA, read = support.LUA, support.read

-- blocks(text): {lang, lines} of each fenced block
local function blocks(text)
  local out, current = {}, nil
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if current then
      if line == "```" then
        out[#out + 1] = current
        current = nil
      else
        current.lines[#current.lines + 1] = line
      end
    else
      local lang = line:match("^```(%w+)$")
      if lang then current = { lang = lang, lines = {} } end
    end
  end
  return out
end

-- run(command): exit status and everything the command wrote
local function run(command)
  local p = io.popen("(" .. command .. ") 2>&1; echo \"exit $?\"")
  local out = p:read("*a")
  p:close()
  local status = tonumber(out:match("exit (%d+)\n$"))
  return status, out:gsub("exit %d+\n$", "")
end

-- a Lua pattern matching the shown output, with … for any text
local function output_pattern(lines)
  local parts = {}
  for i, line in ipairs(lines) do
    parts[i] = line:gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"):gsub("…", ".-")
  end
  return "^" .. table.concat(parts, "\n") .. "\n$"
end

local examples = blocks(read("README.md"))

describe("README.md", function()
  it("has lua and console examples", function()
    local kinds = {}
    for _, b in ipairs(examples) do kinds[b.lang] = true end
    assert.is_true(kinds.lua and kinds.console)
  end)

  for k, b in ipairs(examples) do
    if b.lang == "lua" then
      it("lua example " .. k .. " prints its --> lines", function()
        local expected = {}
        for _, line in ipairs(b.lines) do
          local shown = line:match("^%-%-> (.*)$")
          if shown then expected[#expected + 1] = shown .. "\n" end
        end
        assert.is_true(#expected > 0, "the example shows no output")
        local path = os.tmpname()
        local f = assert(io.open(path, "w"))
        f:write(table.concat(b.lines, "\n"), "\n")
        f:close()
        local status, out = run(LUA .. " " .. path)
        os.remove(path)
        assert.are.equal(0, status, out)
        assert.are.equal(table.concat(expected), out)
      end)
    elseif b.lang == "console" then
      -- each `$ ` line with the lines below it up to the next one
      local commands = {}
      for _, line in ipairs(b.lines) do
        local command = line:match("^%$ (.*)$")
        if command then
          commands[#commands + 1] = { command = command, output = {} }
        else
          local c = commands[#commands]
          c.output[#c.output + 1] = line
        end
      end
      for _, c in ipairs(commands) do
        it("console example " .. k .. ": " .. c.command, function()
          local _, out = run(c.command)
          assert.truthy(out:find(output_pattern(c.output)), out)
        end)
      end
    end
  end
end)
