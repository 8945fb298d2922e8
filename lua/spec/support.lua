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

--- A directory of four IDX files: n_train and n_test 28x28 images of bytes drawn from the shared
--- generator seeded with `seed`, each labelled by its first pixel mod 10.
function M.random_data_dir(n_train, n_test, seed)
  local rng = require("dlscratch.rng")
  local dir, g = M.tmpdir(), rng.new(seed)
  for _, set in ipairs({ { "train", n_train }, { "t10k", n_test } }) do
    local pixels, labels = {}, {}
    for i = 1, set[2] do
      local image = {}
      for k = 1, 784 do image[k] = string.char(math.floor(g:next() * 256)) end
      pixels[i], labels[i] = table.concat(image), string.char(image[1]:byte() % 10)
    end
    M.write(dir .. "/" .. set[1] .. "-images-idx3-ubyte", M.idx({ set[2], 28, 28 }, table.concat(pixels)))
    M.write(dir .. "/" .. set[1] .. "-labels-idx1-ubyte", M.idx({ set[2] }, table.concat(labels)))
  end
  return dir
end

return M
