"""scripts/compare's aligned view: part markers inside regions, one row per part in Python's
order, marker lines never shown, wrapping between tokens, --lang and the two-column layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import compare
from concepts import CONCEPTS, LANG_BY_KEY, LANGUAGES
from layout import cell_width, render_concept, tokenize, wrap_code
from markers import Scan, scan_file, scan_sources
from conftest import REPO

# Any marker line, in any of the four languages.
MARKER = re.compile(r"^\s*(#|--)\s*(end\s*)?(region|part)\b", re.IGNORECASE)
RULE = re.compile(r"^(?:──|--) ([a-z_]+) (?:─|-)*$")

PY_OPT = '''\
# region: sgd
class SGD:
    """W <- W - lr * dW"""

    # part: init
    def __init__(self, lr=0.01):
        self.lr = lr

    # part: update
    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]

    # part: state
    def state_dict(self):
        return {}
# endregion
'''

RB_OPT = '''\
module DLScratch
  # region: sgd
  class SGD
    # part: init
    def initialize(lr: 0.01)
      @lr = lr
    end

    # part: update
    def update(params, grads)
      params.each_key { |k| params[k] -= @lr * grads[k] }
    end
  end
  # endregion
end
'''

LUA_OPT = '''\
-- region: sgd
local SGD = class()
-- part: init
function SGD.new(lr) return setmetatable({ lr = lr or 0.01 }, SGD) end
-- part: helper
local function scaled(lr, g) return lr * g end
-- part: update
function SGD:update(params, grads)
  for k, p in pairs(params) do p:sub(scaled(self.lr, grads[k])) end
end
-- endregion
'''

HS_OPT = '''\
module DLScratch.Optimizers where

-- region: sgd
-- part: update
-- | p <- p - lr g
sgdUpdate :: Double -> Double -> Double -> Double
sgdUpdate lr p g = p - lr * g
-- endregion
'''


@pytest.fixture
def parts_repo(fake_repo: Path) -> Path:
    for rel, text in (("python/dlscratch/optimizers.py", PY_OPT),
                      ("ruby/lib/dlscratch/optimizers.rb", RB_OPT),
                      ("lua/dlscratch/optimizers.lua", LUA_OPT),
                      ("haskell/src/DLScratch/Optimizers.hs", HS_OPT)):
        (fake_repo / rel).write_text(text, encoding="utf-8")
    return fake_repo


def run(argv: list[str]) -> tuple[int, str]:
    out: list[str] = []
    code = compare.main(argv, out=out.append)
    return code, "\n".join(out)


def scan_text(tmp_path: Path, text: str, lang: str = "python", name: str = "x.py") -> Scan:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    scan = Scan()
    scan_file(p, name, LANG_BY_KEY[lang], scan)
    return scan


def rows_of(out: str) -> list[tuple[str, list[str]]]:
    """The aligned view's rows: (part name, the text of each column's cell) from the rule that
    names the part to the next one."""
    rows: list[tuple[str, list[str]]] = []
    for line in out.splitlines():
        cells = re.split(r" [│|](?: |$)", line)
        names = [RULE.match(c.strip()) for c in cells]
        if cells and all(names) and len(cells) > 1:
            assert len({m.group(1) for m in names}) == 1, line    # one part across the row
            rows.append((names[0].group(1), [""] * len(cells)))
        elif rows:
            for k, c in enumerate(cells[:len(rows[-1][1])]):
                rows[-1][1][k] += c.strip() + "\n"
    return rows


# --- part markers ----------------------------------------------------------------------------


def test_parts_split_a_region_and_their_markers_are_dropped(tmp_path):
    scan = scan_text(tmp_path, PY_OPT)
    assert scan.problems == []
    (frag,) = scan.of("sgd", "python")
    assert frag.part_names == ["head", "init", "update", "state"]
    assert frag.part_lines("head") == [(2, "class SGD:"), (3, '    """W <- W - lr * dW"""')]
    assert frag.part_lines("init") == [(6, "    def __init__(self, lr=0.01):"),
                                       (7, "        self.lr = lr")]
    assert [n for n, _ in frag.part_lines("update")] == [10, 11, 12]
    assert frag.part_lines("state")[-1] == (16, "        return {}")
    assert frag.part_lines("backward") == []
    assert not any("part:" in line for line in frag.lines)
    assert (frag.start, frag.end) == (2, 16)


def test_a_region_without_parts_is_all_head(tmp_path):
    scan = scan_text(tmp_path, "# region: relu\ndef relu(x):\n    return x\n# endregion\n")
    (frag,) = scan.of("relu", "python")
    assert frag.part_names == ["head"] and frag.numbers == [2, 3]


def test_part_markers_of_lua_and_haskell_use_double_dash(tmp_path):
    scan = scan_text(tmp_path, LUA_OPT, "lua", "o.lua")
    (frag,) = scan.of("sgd", "lua")
    assert frag.part_names == ["head", "init", "helper", "update"]
    assert frag.part_lines("helper") == [(6, "local function scaled(lr, g) return lr * g end")]
    scan = scan_text(tmp_path, HS_OPT, "haskell", "O.hs")
    (frag,) = scan.of("sgd", "haskell")
    assert frag.part_names == ["update"]          # nothing before the first part: no head


@pytest.mark.parametrize("text, fragment", [
    ("# part: forward\nx = 1\n", "x.py:1: part marker 'forward' outside a region"),
    ("# region: affine\n# part: forwrd\nx = 1\n# endregion\n",
     "x.py:2: unknown part 'forwrd' (did you mean 'forward'?)"),
    ("# region: affine\n# part: forward\nx = 1\n# part: forward\ny = 2\n# endregion\n",
     "x.py:4: part 'forward' twice in region 'affine' (already at line 2)"),
    ("# region: affine\n# part forward\nx = 1\n# endregion\n",
     "x.py:2: not a part marker: '# part forward'"),
    ("# region: affine\n#Part: Forward\nx = 1\n# endregion\n", "x.py:2: not a part marker"),
    ("# region: affine\n# part: init\nx = 1\n# part: head\ny = 2\n# endregion\n",
     "x.py:4: part 'head' after other parts"),
])
def test_part_marker_problems_are_reported(tmp_path, text, fragment):
    scan = scan_text(tmp_path, text)
    assert any(p.startswith(fragment) for p in scan.problems), scan.problems


def test_prose_about_parts_is_not_a_marker(tmp_path):
    text = ("# region: affine\n# part of the backward pass: dW\nx = 1\n"
            "# Parts are rows\n# endregion\n")
    scan = scan_text(tmp_path, text)
    assert scan.problems == []
    (frag,) = scan.of("affine", "python")
    assert frag.part_names == ["head"] and len(frag.lines) == 3


def test_a_part_belongs_to_the_innermost_region_and_nested_markers_are_hidden(tmp_path):
    text = ("# region: two_layer_net\nclass Net:\n    # part: init\n    a = 1\n"
            "    # region: affine\n    # part: forward\n    def f(self):\n        pass\n"
            "    # endregion: affine\n    # part: loss\n    b = 2\n# endregion\n")
    scan = scan_text(tmp_path, text)
    assert scan.problems == []
    (outer,) = scan.of("two_layer_net", "python")
    (inner,) = scan.of("affine", "python")
    assert outer.part_names == ["head", "init", "loss"]
    assert inner.part_names == ["forward"]
    # The outer region shows the inner one's code, without any marker line.
    assert outer.part_lines("init") == [(4, "    a = 1"), (7, "    def f(self):"),
                                        (8, "        pass")]
    assert not any(MARKER.match(line) for line in outer.lines + inner.lines)


def test_check_reports_part_problems(parts_repo):
    code, out = run(["--check", "--root", str(parts_repo)])
    assert code == 0, out
    (parts_repo / "lua/dlscratch/bad.lua").write_text(
        "-- region: dropout\n-- part: forward\nlocal x = 1\n-- part: forward\n-- endregion\n"
        "-- part: backward\n")
    code, out = run(["--check", "--root", str(parts_repo)])
    assert code == 1
    assert "lua/dlscratch/bad.lua:4: part 'forward' twice in region 'dropout'" in out
    assert "lua/dlscratch/bad.lua:6: part marker 'backward' outside a region" in out
    assert "2 marker problem(s)" in out


# --- the aligned rows ------------------------------------------------------------------------


def test_rows_are_the_parts_in_pythons_order_with_each_languages_code(parts_repo):
    code, out = run(["sgd", "--root", str(parts_repo), "--width", "260", "--no-status"])
    assert code == 0
    rows = rows_of(out)
    # Python's head, init, update, state; Lua's helper right after the init it follows.
    assert [name for name, _ in rows] == ["head", "init", "helper", "update", "state"]
    cells = dict(rows)
    py, rb, lua, hs = cells["update"]
    assert "def update(self, params, grads):" in py and "self.lr * grads[key]" in py
    assert "def update(params, grads)" in rb
    assert "function SGD:update(params, grads)" in lua
    assert "sgdUpdate lr p g = p - lr * g" in hs
    py, rb, lua, hs = cells["init"]
    assert "def __init__" in py and "def initialize" in rb and "function SGD.new" in lua
    assert hs.strip() == ""                   # Haskell has no init: an empty cell
    assert [c.strip() == "" for c in cells["helper"]] == [True, True, False, True]
    assert [c.strip() == "" for c in cells["state"]] == [False, True, True, True]
    assert "class SGD:" in cells["head"][0] and "local SGD = class()" in cells["head"][2]
    # No row holds another row's code.
    assert "def update" not in cells["init"][0] and "__init__" not in cells["update"][0]


def test_stacked_layout_names_the_parts_in_the_same_order(parts_repo):
    _, out = run(["sgd", "--root", str(parts_repo), "--width", "60", "--no-status"])
    lua = out[out.index(" Lua "):out.index(" Haskell ")]
    labels = [m.group(1) for m in re.finditer(r"^(?:─|-) ([a-z_]+)$", lua, re.M)]
    assert labels == ["head", "init", "helper", "update"]
    assert lua.index("function SGD.new") < lua.index("local function scaled") \
        < lua.index("function SGD:update")


def test_no_marker_line_is_ever_printed_for_the_real_sources():
    scan = scan_sources(REPO)
    for concept in CONCEPTS:
        for width, layout in ((240, "columns"), (80, "stacked")):
            out = render_concept(concept, scan, None, [], width, layout)
            bad = [line for line in out.splitlines()
                   if any(MARKER.match(cell) for cell in re.split(r" [│|] ", line))
                   or re.search(r"(#|--)\s*(region|endregion|part):", line)]
            assert bad == [], (concept.name, layout, bad[:3])


def test_real_affine_in_two_columns_at_120():
    code, out = run(["affine", "--lang", "python,lua", "--width", "120", "--no-status"])
    assert code == 0
    lines = out.splitlines()
    head = next(line for line in lines if line.startswith("Python"))
    assert re.match(r"^Python\s+│ Lua$", head), head
    assert all(cell_width(line) <= 120 for line in lines)
    rows = rows_of(out)
    assert [name for name, _ in rows] == ["head", "init", "forward", "backward"]
    cells = dict(rows)
    assert "def forward(self, x" in cells["forward"][0]
    assert "function Affine:forward(x)" in cells["forward"][1]
    assert "def backward(self, dout" in cells["backward"][0]
    assert "function Affine:backward(dout)" in cells["backward"][1]
    assert "def __init__(self, W" in cells["init"][0] and "function Affine.new(W, b)" in cells["init"][1]
    # No marker, and no argument checking of the protocol.
    assert not any(re.search(r"(region|endregion|part):", line) for line in lines)
    assert not re.search(r"\braise\b|\berror\(|\bassert\b", out)


def test_four_languages_at_120_are_stacked_two_are_not(parts_repo):
    _, out = run(["sgd", "--root", str(parts_repo), "--width", "120", "--no-status",
                  "--no-line-numbers", "--lang", "python,ruby,lua,haskell"])
    # Four columns would need 4 x 38 cells: stacked.
    assert not any(line.startswith("Python") for line in out.splitlines())
    _, out = run(["sgd", "--root", str(parts_repo), "--width", "120", "--no-status",
                  "--lang", "ruby,haskell"])
    head = next(line for line in out.splitlines() if line.startswith("Ruby"))
    assert re.match(r"^Ruby\s+│ Haskell$", head), head


# --- --lang ------------------------------------------------------------------------------------


def test_lang_chooses_the_columns_in_its_order(parts_repo):
    code, out = run(["sgd", "--root", str(parts_repo), "--width", "160", "--no-status",
                     "--lang", "haskell,python"])
    assert code == 0
    head = next(line for line in out.splitlines() if line.startswith("Haskell"))
    assert re.match(r"^Haskell\s+│ Python$", head), head
    assert "def update" in out and "sgdUpdate" in out
    assert "def initialize" not in out and "SGD.new" not in out
    # The rows stay in Python's order when Python is not the first column, and Lua's helper,
    # not shown, is no row.
    assert [name for name, _ in rows_of(out)] == ["head", "init", "update", "state"]
    _, out = run(["sgd", "--root", str(parts_repo), "--width", "160", "--no-status",
                  "--lang", "haskell,ruby"])
    assert [name for name, _ in rows_of(out)] == ["head", "init", "update"]


@pytest.mark.parametrize("value", ["python,cobol", "", "python,,lua", "Pyton"])
def test_an_unknown_language_is_one_line_and_exit_2(parts_repo, capsys, value):
    code, out = run(["sgd", "--root", str(parts_repo), "--no-status", "--lang", value])
    assert code == 2 and out == ""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("scripts/compare: --lang"), err
    assert "python, ruby, lua, haskell" in err[0]


# --- wrapping between tokens -----------------------------------------------------------------


def test_wrapping_never_cuts_an_identifier_number_or_string():
    line = '    total = accumulate_the_gradient(1.5e-08, "a long string literal", other_value)'
    atoms = ["total", "accumulate_the_gradient", "1.5e-08", '"a long string literal"',
             "other_value"]
    for lexer in ("python", None):
        tokens = tokenize([line], lexer)[0]
        for width in (30, 36, 45, 60):
            pieces = wrap_code(line, width, tokens)
            assert len(pieces) > 1
            assert all(cell_width(p) <= width for p in pieces), (lexer, width, pieces)
            for atom in atoms:   # each whole in one piece
                assert sum(atom in p for p in pieces) == 1, (lexer, width, atom, pieces)
            # Nothing lost or added but the breaks' spaces and the hanging indent.
            assert "".join(p.strip() for p in pieces).replace(" ", "") == line.replace(" ", "")
            assert all(p.startswith(" " * 6) for p in pieces[1:])


def test_wrapping_breaks_comments_between_words_and_strings_across_languages():
    line = "  -- | the gradient of the loss with respect to every weight"
    pieces = wrap_code(line, 26, tokenize([line], "haskell")[0])
    assert [p.strip() for p in pieces] == ["-- | the gradient of the", "loss with respect to",
                                           "every weight"]
    ruby = '      raise ArgumentError, "unknown optimizer #{name} for this run"'
    pieces = wrap_code(ruby, 50, tokenize([ruby], "ruby")[0])
    assert sum('"unknown optimizer #{name} for this run"' in p for p in pieces) == 1
    lua = "  local s = 'a quoted lua string' .. tostring(1e-7)"
    pieces = wrap_code(lua, 30, tokenize([lua], "lua")[0])
    assert sum("'a quoted lua string'" in p for p in pieces) == 1
    assert sum("1e-7" in p for p in pieces) == 1


def test_only_a_token_wider_than_the_column_is_cut():
    line = "x = " + "a" * 30
    pieces = wrap_code(line, 20, tokenize([line], "python")[0])
    assert pieces[0] == "x ="
    assert "".join(p.strip() for p in pieces[1:]) == "a" * 30
    assert all(cell_width(p) <= 20 for p in pieces)


def test_multiline_strings_and_docstrings_tokenize_line_by_line():
    lines = ['    """The first line of a docstring', '    and its second line."""', "    x = 1"]
    toks = tokenize(lines, "python")
    assert len(toks) == 3
    assert [k for k, _ in toks[1] if k != "space"] == ["comment"]   # prose: breaks between words
    assert ("code", "x") in toks[2] and ("code", "1") in toks[2]


# --- the HTML page -------------------------------------------------------------------------------


def test_html_concept_page_is_the_same_aligned_grid(parts_repo, tmp_path):
    code, _ = run(["--html", str(tmp_path / "site"), "--root", str(parts_repo), "--no-status"])
    assert code == 0
    text = (tmp_path / "site" / "sgd.html").read_text(encoding="utf-8")
    sections = re.findall(r'<section class="impl" data-lang="(\w+)" style="grid-row: span (\d+)">'
                          r'(.*?)</section>', text, re.S)
    assert [(lang, span) for lang, span, _ in sections] == \
        [("python", "6"), ("ruby", "6"), ("lua", "6"), ("haskell", "6")]   # header + 5 parts
    cells = {lang: re.findall(r'<span class="part( empty)?" data-part="(\w+)" tabindex="0">', body)
             for lang, _, body in sections}
    rows = ["head", "init", "helper", "update", "state"]
    for lang, empty in (("python", {"helper"}), ("ruby", {"helper", "state"}),
                        ("lua", {"state"}), ("haskell", {"head", "init", "helper", "state"})):
        assert [name for _, name in cells[lang]] == rows, lang
        assert {name for e, name in cells[lang] if e} == empty, lang
    body = dict((lang, b) for lang, _, b in sections)
    update = body["haskell"].split('data-part="update" tabindex="0">', 1)[1].split("</span></pre>")[0]
    assert "sgdUpdate" in re.sub(r"<[^>]+>", "", update)
    assert "grid-template-rows: subgrid" in text
    assert not re.search(r"(region|endregion|part):", re.sub(r"<[^>]+>", "", text.split("<main", 1)[1]))
