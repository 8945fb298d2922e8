"""Fixtures for the tests of scripts/compare: a small repository of four ports, built in a
temporary directory, with marked sources, two case files and fake runners."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

SCRIPTS_PY = Path(__file__).resolve().parents[1]   # on sys.path by scripts/py/pytest.ini

REPO = SCRIPTS_PY.parents[1]

PY_LAYERS = '''\
"""Layers."""
import numpy as np


# region: relu_layer
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)
# endregion


# region: affine
class Affine:
    """out = x·W + b"""

    def forward(self, x):
        return np.dot(x, self.W) + self.b
# endregion
'''

RB_LAYERS = '''\
module DLScratch
  # region: relu_layer
  class Relu
    def forward(x)
      @mask = x.le(0)
      x * @mask.not
    end
  end
  # endregion

  # region: affine
  class Affine
    def forward(x)
      x.dot(@w) + @b
    end
  end
  # endregion
end
'''

LUA_LAYERS = '''\
local M = {}

-- The ReLU layer is here but not marked.
function M.relu_forward(x) return x end

-- region: affine
function M.affine_forward(self, x)
  return self.W:dot(x) + self.b
end
-- endregion

return M
'''

HS_LAYERS = '''\
module DLScratch.Layers where

-- region: relu_layer
reluForward :: Double -> Double
reluForward = max 0
-- endregion

-- region: affine
affineForward :: Matrix Double -> Vector Double -> Matrix Double -> Matrix Double
affineForward w b x = x <> w + asRow b
-- endregion
'''

# The fake runners answer from the case file: "good" as expected, "wrong" doubles every
# number of layer.affine answers, "unknown" answers UnknownOp for layer.affine.
FAKE_RUNNER = '''\
import json, sys
mode = sys.argv[1]
cases = {}
for line in open(sys.argv[2]):
    if line.strip():
        c = json.loads(line)
        cases[c["id"]] = c
def twice(v):
    return [twice(e) for e in v] if isinstance(v, list) else v * 2
for line in sys.stdin:
    if not line.strip():
        continue
    req = json.loads(line)
    c = cases[req["id"]]
    ok = c["expect"]
    if req["op"] == "layer.affine" and mode == "wrong":
        ok = {k: twice(v) for k, v in ok.items()}
    if req["op"] == "layer.affine" and mode == "unknown":
        ans = {"id": req["id"], "error": {"type": "UnknownOp", "message": "no affine yet"}}
    else:
        ans = {"id": req["id"], "ok": ok}
    print(json.dumps(ans), flush=True)
'''

CASES = [
    {"id": "t/relu/1", "op": "layer.relu", "args": {"x": [1.0, -1.0], "dout": [1.0, 1.0]},
     "expect": {"out": [1.0, 0.0], "dx": [1.0, 0.0]}, "source": "derived"},
    {"id": "t/affine/1", "op": "layer.affine",
     "args": {"W": [[1.0]], "b": [0.5], "x": [[2.0]], "dout": [[1.0]]},
     "expect": {"out": [[2.5]], "dx": [[1.0]], "dW": [[2.0]], "db": [1.0]}, "source": "derived"},
    {"id": "t/affine/2", "op": "layer.affine",
     "args": {"W": [[2.0]], "b": [0.0], "x": [[1.0]], "dout": [[1.0]]},
     "expect": {"out": [[2.0]], "dx": [[2.0]], "dW": [[1.0]], "db": [1.0]}, "source": "derived"},
    {"id": "t/adam/1", "op": "optimizer.run",
     "args": {"name": "adam", "params": {"w": [1.0]}, "grads_seq": [{"w": [1.0]}]},
     "expect": {"params": {"w": [0.999]}}, "source": "derived"},
    {"id": "t/sgd/1", "op": "optimizer.run",
     "args": {"name": "sgd", "params": {"w": [1.0]}, "grads_seq": [{"w": [1.0]}]},
     "expect": {"params": {"w": [0.99]}}, "source": "derived"},
]


def make_repo(root: Path, with_haskell: bool = True) -> Path:
    files = {
        "python/dlscratch/layers.py": PY_LAYERS,
        "ruby/lib/dlscratch/layers.rb": RB_LAYERS,
        "lua/dlscratch/layers.lua": LUA_LAYERS,
    }
    if with_haskell:
        files["haskell/src/DLScratch/Layers.hs"] = HS_LAYERS
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    cases = root / "shared_tests" / "cases" / "t.jsonl"
    cases.parent.mkdir(parents=True, exist_ok=True)
    cases.write_text("".join(json.dumps(c) + "\n" for c in CASES), encoding="utf-8")
    runner = root / "shared_tests" / "fake_runner.py"
    runner.write_text(FAKE_RUNNER, encoding="utf-8")
    ports = {}
    for name, mode in (("python", "good"), ("ruby", "wrong"), ("lua", "unknown")):
        # The harness takes the first argument with a "/" as the port's program file.
        ports[name] = {"argv": [sys.executable, str(runner), mode, str(cases)], "cwd": name}
    # No haskell/bin/runner: the port counts as not present.
    ports["haskell"] = {"argv": ["bin/runner"], "cwd": "haskell"}
    (root / "haskell").mkdir(exist_ok=True)
    (root / "shared_tests" / "ports.json").write_text(json.dumps(ports), encoding="utf-8")
    return root


@pytest.fixture
def fake_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")
