"""scripts/compare: region markers, the terminal renderer in both layouts, --list, --check,
the status of each port, and the real repository's Python markers."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

import compare
import concepts
from concepts import CONCEPTS, LANG_BY_KEY
from layout import cell_width, wrap_code
from markers import Scan, scan_file, scan_sources
from conftest import REPO, make_repo


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


# --- markers ---------------------------------------------------------------------------------


def test_region_lines_exclude_markers_and_blank_edges(tmp_path):
    scan = scan_text(tmp_path, "a = 1\n# region: affine\n\nclass Affine:\n    pass\n\n# endregion\n")
    (frag,) = scan.of("affine", "python")
    assert (frag.start, frag.end) == (4, 5)
    assert frag.lines == ["class Affine:", "    pass"]
    assert frag.where == "x.py:4-5"
    assert scan.problems == []


def test_indented_region_is_dedented_and_lua_markers_use_double_dash(tmp_path):
    text = "local M = {}\n  -- region: sgd\n  function M.sgd()\n    return 1\n  end\n  -- endregion\n"
    scan = scan_text(tmp_path, text, "lua", "o.lua")
    (frag,) = scan.of("sgd", "lua")
    assert frag.lines == ["function M.sgd()", "  return 1", "end"]
    assert (frag.start, frag.end) == (3, 5)
    # A '#' marker means nothing in Lua: no region, and not reported (it is not a Lua comment).
    scan = scan_text(tmp_path, "# region: sgd\nx = 1\n# endregion\n", "lua", "p.lua")
    assert scan.fragments == {} and scan.problems == []


def test_several_fragments_of_one_concept_in_file_order(tmp_path):
    text = ("# region: rng\nM1 = 1\n# endregion\n\nother = 2\n\n"
            "# region: rng\nclass G:\n    pass\n# endregion\n")
    scan = scan_text(tmp_path, text)
    frags = scan.of("rng", "python")
    assert [(f.start, f.end) for f in frags] == [(2, 2), (8, 9)]
    assert frags[0].where == "x.py:2"


def test_nested_regions_and_named_endregion(tmp_path):
    text = ("# region: two_layer_net\nclass Net:\n    # region: affine\n    def f(self):\n"
            "        pass\n    # endregion: affine\n    x = 1\n# endregion: two_layer_net\n")
    scan = scan_text(tmp_path, text)
    assert scan.problems == []
    (inner,) = scan.of("affine", "python")
    assert inner.lines == ["def f(self):", "    pass"]
    (outer,) = scan.of("two_layer_net", "python")
    assert (outer.start, outer.end) == (2, 7)


@pytest.mark.parametrize("text, fragment", [
    ("# region: affine\nx = 1\n", "region 'affine' is never closed"),
    ("x = 1\n# endregion\n", "endregion without an open region"),
    ("# region: afine\nx = 1\n# endregion\n", "unknown concept 'afine' (did you mean 'affine'?)"),
    ("# region affine\nx = 1\n", "not a marker"),
    ("# region: affine\nx = 1\n# endregion: relu\n", "closes region 'affine'"),
    ("# region: affine\n\n# endregion\n", "region 'affine' is empty"),
])
def test_marker_problems_are_reported(tmp_path, text, fragment):
    scan = scan_text(tmp_path, text)
    assert any(fragment in p for p in scan.problems), scan.problems


def test_prose_comments_are_not_markers(tmp_path):
    text = "# region of interest: the rows of x\n# Regions are rows\nx = 1\n"
    scan = scan_text(tmp_path, text)
    assert scan.problems == [] and scan.fragments == {}
    scan = scan_text(tmp_path, "-- Region: Affine\nx = 1\n-- end region\n", "haskell", "A.hs")
    assert len(scan.problems) == 2 and all("not a marker" in p for p in scan.problems)


def test_check_exits_1_on_problems(fake_repo):
    code, out = run(["--check", "--root", str(fake_repo)])
    assert code == 0, out
    assert "python: 2/" in out and "lua: 1/" in out
    (fake_repo / "lua/dlscratch/bad.lua").write_text("-- region: dropout\nlocal x = 1\n")
    code, out = run(["--check", "--root", str(fake_repo)])
    assert code == 1
    assert "lua/dlscratch/bad.lua:1: region 'dropout' is never closed" in out


# --- terminal rendering ----------------------------------------------------------------------


def columns_header(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("Python"))


def test_columns_layout_when_wide(fake_repo):
    code, out = run(["affine", "--root", str(fake_repo), "--width", "160", "--no-status"])
    assert code == 0
    head = columns_header(out)
    # The four language titles on one line, split by the column separator.
    assert re.match(r"Python\s+[│|] Ruby\s+[│|] Lua\s+[│|] Haskell$", head), head
    assert all(cell_width(line) <= 160 for line in out.splitlines())
    for where in ("python/dlscratch/layers.py:14-18", "ruby/lib/dlscratch/layers.rb:12-16",
                  "lua/dlscratch/layers.lua:7-9", "haskell/src/DLScratch/Layers.hs:9-10"):
        assert where in out
    # Each language's code sits in its own column, on the same rows.
    row = next(line for line in out.splitlines() if "class Affine:" in line)
    cells = re.split(r" [│|] ", row)
    assert len(cells) == 4
    assert "class Affine:" in cells[0] and "class Affine" in cells[1]
    assert "function M.affine_forward" in cells[2] and "affineForward ::" in cells[3]


def test_stacked_layout_when_narrow(fake_repo):
    code, out = run(["affine", "--root", str(fake_repo), "--width", "60", "--no-status"])
    assert code == 0
    lines = out.splitlines()
    titles = [line for line in lines if re.match(r"^(──|--) (Python|Ruby|Lua|Haskell) ", line)]
    assert [t.split()[1] for t in titles] == ["Python", "Ruby", "Lua", "Haskell"]
    assert not any(" │ " in line for line in lines)
    # Blocks in language order, each with its own code and line numbers.
    at = {name: out.index(f" {name} ") for name in ("Python", "Ruby", "Lua", "Haskell")}
    assert at["Python"] < out.index("class Affine:") < at["Ruby"] < out.index("12 class Affine") \
        < at["Lua"] < out.index("function M.affine_forward") < at["Haskell"] < out.index("affineForward ::")
    assert "  14 class Affine:" in out


def test_layout_can_be_forced(fake_repo):
    _, out = run(["affine", "--root", str(fake_repo), "--width", "60", "--no-status",
                  "--layout", "columns"])
    assert re.match(r"Python\s+[│|] Ruby", columns_header(out))
    _, out = run(["affine", "--root", str(fake_repo), "--width", "250", "--no-status",
                  "--layout", "stacked"])
    assert not any(line.startswith("Python") for line in out.splitlines())


def test_terminal_width_comes_from_the_terminal(fake_repo, monkeypatch):
    monkeypatch.setenv("COLUMNS", "170")
    _, out = run(["affine", "--root", str(fake_repo), "--no-status"])
    assert any(line.startswith("Python") for line in out.splitlines())
    monkeypatch.setenv("COLUMNS", "50")
    _, out = run(["affine", "--root", str(fake_repo), "--no-status"])
    assert not any(line.startswith("Python") for line in out.splitlines())


def test_long_lines_wrap_inside_their_column():
    line = "        self.x = x.reshape(1, -1) if x.ndim == 1 else x.reshape(x.shape[0], -1)"
    pieces = wrap_code(line, 40)
    assert all(cell_width(p) <= 40 for p in pieces)
    assert "".join(p.strip() + " " for p in pieces).split() == line.split()
    assert pieces[1].startswith(" " * 10)     # hanging indent: the line's own + 2


def test_concept_missing_in_a_port_says_not_marked(fake_repo):
    code, out = run(["relu_layer", "--root", str(fake_repo), "--width", "200", "--no-status"])
    assert code == 0
    row = next(line for line in out.splitlines() if "(not marked)" in line)
    cells = re.split(r" [│|] ", row)
    assert "(not marked)" in cells[2]          # Lua has the code, but no marker
    assert "class Relu:" in out and "reluForward" in out
    # A language with no source files at all is a port not present, not "not marked".
    repo2 = make_repo(fake_repo.parent / "repo2", with_haskell=False)
    _, out = run(["relu_layer", "--root", str(repo2), "--width", "60", "--no-status"])
    assert "(not marked)" in out and "(port not present)" in out


def test_unknown_concept_suggests(fake_repo, capsys):
    code, _ = run(["afine", "--root", str(fake_repo), "--no-status"])
    assert code == 2
    assert "did you mean affine" in capsys.readouterr().err


def test_needs_exactly_one_mode(capsys):
    assert run([])[0] == 2
    assert run(["affine", "--list"])[0] == 2


# --- status ----------------------------------------------------------------------------------


def test_status_counts_each_ports_cases_of_the_concept(fake_repo):
    code, out = run(["affine", "--root", str(fake_repo), "--width", "60", "--timeout", "20"])
    assert code == 0
    assert "cases: layer.affine: 2" in out
    assert "python: 2/2 passed" in out
    assert "ruby: 0/2 passed (2 failed)" in out
    assert "lua: 0/2 passed (2 missing)" in out
    assert "haskell: not present" in out
    # Below the code: the cases that did not pass, port by port.
    tail = out[out.index("cases that did not pass"):]
    assert re.search(r"^ruby +FAIL +t/affine/1: 4 mismatch", tail, re.M)
    assert re.search(r"^lua +MISSING +t/affine/2: UnknownOp for layer.affine", tail, re.M)
    assert "python " not in tail


def test_ports_left_out_are_not_run(fake_repo):
    _, out = run(["affine", "--root", str(fake_repo), "--width", "60", "--port", "ruby"])
    assert "ruby: 0/2 passed (2 failed)" in out
    assert "python: not run" in out and "lua: not run" in out
    assert run(["affine", "--root", str(fake_repo), "--port", "cobol"])[0] == 2


def test_optimizer_concepts_take_their_own_cases(fake_repo):
    _, out = run(["adam", "--root", str(fake_repo), "--width", "60"])
    assert 'cases: optimizer.run with name="adam": 1' in out
    assert "python: 1/1 passed" in out
    assert "(not marked)" in out


def test_status_from_conformance_json(fake_repo, tmp_path):
    results = {"python": {"present": True, "results": []},
               "ruby": {"present": True, "results": [
                   {"id": "t/affine/2", "op": "layer.affine", "status": "fail", "message": "x"}]},
               "haskell": {"present": False, "results": []}}
    path = tmp_path / "conf.json"
    path.write_text(json.dumps({"ok": False, "cases": 5, "ports": results}))
    _, out = run(["affine", "--root", str(fake_repo), "--width", "60", "--status-json", str(path)])
    assert "python: 2/2 passed" in out
    assert "ruby: 1/2 passed (1 failed)" in out
    assert "haskell: not present" in out
    assert "lua: not run" in out               # not in the JSON
    path.write_text(json.dumps({"ok": True, "cases": 3, "ports": results}))
    code, _ = run(["affine", "--root", str(fake_repo), "--status-json", str(path)])
    assert code == 2                          # written over another selection of cases


# --- --list ----------------------------------------------------------------------------------


def test_list_shows_every_concept_and_who_marks_it(fake_repo):
    code, out = run(["--list", "--root", str(fake_repo)])
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:] if line.strip()}
    assert all(c.name in rows for c in CONCEPTS)
    # concept, chapter, cases, ops..., then python ruby lua haskell
    assert rows["affine"][-4:] == ["yes", "yes", "yes", "yes"]
    assert rows["relu_layer"][-4:] == ["yes", "yes", "-", "yes"]
    assert rows["affine"][2] == "2" and rows["adam"][2] == "1"
    assert "lua: 1/" in out


# --- the real repository ---------------------------------------------------------------------


def test_python_reference_marks_every_concept():
    scan = scan_sources(REPO)
    missing = [c.name for c in CONCEPTS if not scan.of(c.name, "python")]
    assert missing == []
    assert [p for p in scan.problems if p.startswith("python/")] == []


def test_every_concept_covers_cases_of_the_real_case_files():
    from harness.cases import load_cases
    cases = load_cases()
    empty = [c.name for c in CONCEPTS if not concepts.cases_of(c, cases) and not c.tested_by]
    assert empty == []
    for c in CONCEPTS:
        if c.tested_by:     # a concept without an op names the harness test that shows it
            assert not c.ops and (REPO / c.tested_by).is_file(), c.name


def test_real_status_through_the_python_runner():
    from harness.cases import load_cases
    n = len([c for c in load_cases() if c.op == "fn.step"])
    code, out = run(["step_function", "--port", "python", "--width", "70"])
    assert code == 0
    assert f"python: {n}/{n} passed" in out
    assert "def step_function(x: ArrayLike)" in out


def test_command_help():
    res = subprocess.run([str(REPO / "scripts/compare"), "--no-setup", "--help"], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0
    assert "usage: scripts/compare" in res.stdout and "region: NAME" in res.stdout


def test_command_runs_and_pipes(fake_repo):
    res = subprocess.run([str(REPO / "scripts/compare"), "--no-setup", "affine", "--root", str(fake_repo),
                          "--no-status", "--width", "120"], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert "\033[" not in res.stdout          # no colour when stdout is not a terminal
    assert "class Affine:" in res.stdout


def test_a_broken_case_file_still_shows_the_code(fake_repo, capsys):
    (fake_repo / "shared_tests/cases/bad.jsonl").write_text("{not json\n")
    code, out = run(["affine", "--root", str(fake_repo), "--width", "60"])
    assert code == 0
    assert "class Affine:" in out and "passed" not in out
    assert "no conformance status" in capsys.readouterr().err
