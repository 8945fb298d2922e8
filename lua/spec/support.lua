-- Helpers shared by the specs that run commands and write files: not a spec itself.
local M = {}

--- The interpreter running the specs, as bin/* takes it after --lua.
M.LUA = jit and "luajit" or "lua5.4"

--- The whole file at `path`.
function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

--- Write `text` to `path`.
function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- A new temporary directory.
function M.tmpdir()
  local p = io.popen("mktemp -d")
  local dir = p:read("*l")
  p:close()
  return dir
end

--- run(command): its exit status, stdout and stderr.
function M.run(command)
  local out, err = os.tmpname(), os.tmpname()
  local p = io.popen(string.format("%s >%s 2>%s; echo $?", command, out, err))
  local status = tonumber(p:read("*a"))
  p:close()
  local o, e = M.read(out), M.read(err)
  os.remove(out)
  os.remove(err)
  return status, o, e
end

--- An IDX file's bytes: the type code (default 0x08, unsigned bytes), the big-endian dimensions, the data.
function M.idx(shape, bytes, code)
  local head = { "\0\0", string.char(code or 8, #shape) }
  for _, n in ipairs(shape) do
    head[#head + 1] = string.char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256,
      math.floor(n / 256) % 256, n % 256)
  end
  return table.concat(head) .. bytes
end

return M
