"""scripts/compare: one concept of the book in Python, Ruby, Lua and Haskell side by side.

The code shown is cut from the real source files by region markers, never guessed:

    # region: affine          (Python, Ruby)        -- region: affine      (Lua, Haskell)
    ...                                             ...
    # endregion                                     -- endregion

A concept may be marked more than once in a language (several fragments, shown in file and
line order). Each concept names the conformance cases it covers (its ops, see CONCEPTS), and
the header of each column gives that port's passed/failed/missing counts for those cases,
obtained by running just those cases through the port's runner with the harness.
"""

from __future__ import annotations

import argparse
import difflib
import fnmatch
import json
import os
import re
import shutil
import sys
import textwrap
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from harness import REPO_ROOT as ROOT

from harness.cases import Case, CaseFormatError, load_cases
from harness.client import default_timeout
from harness.conformance import counts_toward_worst
from harness.ports import Port, load_ports
from harness.run import FAIL, MISSING, PASS, run_port

# --- languages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Language:
    key: str              # also the directory of the port (ports.json "cwd")
    title: str
    globs: tuple[str, ...]  # source files, relative to the repository root
    comment: str          # the line-comment token of the markers
    lexer: str            # the Pygments lexer name


LANGUAGES: tuple[Language, ...] = (
    Language("python", "Python", ("python/dlscratch/*.py",), "#", "python"),
    Language("ruby", "Ruby", ("ruby/lib/**/*.rb",), "#", "ruby"),
    Language("lua", "Lua", ("lua/dlscratch/*.lua",), "--", "lua"),
    Language("haskell", "Haskell", ("haskell/src/**/*.hs",), "--", "haskell"),
)
LANG_BY_KEY = {lang.key: lang for lang in LANGUAGES}

# --- concepts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concept:
    name: str
    title: str
    chapter: str                       # of the book ("2".."6"), or "" for the project's own
    ops: tuple[str, ...]               # op names or globs of the conformance cases it covers
    where: tuple[tuple[str, str], ...] = ()   # extra (arg, value) filters on those cases
    note: str = ""

    def covers(self, case: Case) -> bool:
        if case.op is None or not any(fnmatch.fnmatchcase(case.op, g) for g in self.ops):
            return False
        args = case.args or {}
        return all(isinstance(args.get(k), str) and args[k].lower() == v for k, v in self.where)

    @property
    def ops_text(self) -> str:
        text = ", ".join(self.ops)
        if self.where:
            text += " with " + ", ".join(f'{k}="{v}"' for k, v in self.where)
        return text


def _opt(name: str, title: str) -> Concept:
    return Concept(name, title, "6", ("optimizer.run",), (("name", name),),
                   "the conformance matrix counts every optimizer under one family, "
                   "\"optimizer\"; here the optimizer.run cases are split by their \"name\" argument")


# In the order of the book.
CONCEPTS: tuple[Concept, ...] = (
    Concept("gates", "Perceptron gates AND, NAND, OR, XOR", "2", ("gate.*",)),
    Concept("step_function", "Step function: 1 if x > 0 else 0", "3", ("fn.step",)),
    Concept("sigmoid", "Sigmoid 1 / (1 + exp(-x)) and its derivative", "3",
            ("fn.sigmoid", "fn.sigmoid_grad")),
    Concept("relu", "ReLU max(0, x) and its derivative", "3", ("fn.relu", "fn.relu_grad")),
    Concept("identity", "Identity output function", "3", ("fn.identity",)),
    Concept("softmax", "Softmax, shifted by the (row) maximum", "3", ("fn.softmax",)),
    Concept("net3", "The 3-layer network with the book's fixed weights", "3", ("net3.*",)),
    Concept("idx", "Reading IDX files (the MNIST format)", "3", ("data.idx",)),
    Concept("sum_squared_error", "Sum of squared errors 0.5 * sum((y - t)^2)", "4",
            ("loss.sum_squared_error",)),
    Concept("cross_entropy_error", "Cross-entropy error -sum(log(y[t] + 1e-7)) / N", "4",
            ("loss.cross_entropy_error",)),
    Concept("numerical_diff", "Central difference (f(x+h) - f(x-h)) / 2h", "4",
            ("grad.numerical_diff",)),
    Concept("numerical_gradient", "Numerical gradient of f over every element", "4",
            ("grad.numerical_gradient",)),
    Concept("gradient_descent", "Gradient descent x <- x - lr * grad f(x)", "4",
            ("grad.gradient_descent",)),
    Concept("simple_net", "simpleNet: one 2x3 weight matrix", "4", ("simple_net.*",)),
    Concept("mul_layer", "MulLayer: out = x * y", "5", ("layer.mul",)),
    Concept("add_layer", "AddLayer: out = x + y", "5", ("layer.add",)),
    Concept("buy_apple", "The shopping graphs: apples, oranges and tax", "5", ("graph.*",)),
    Concept("relu_layer", "ReLU layer (mask x <= 0)", "5", ("layer.relu",)),
    Concept("sigmoid_layer", "Sigmoid layer: dx = dout * (1 - y) * y", "5", ("layer.sigmoid",)),
    Concept("affine", "Affine layer: out = x W + b", "5", ("layer.affine",)),
    Concept("softmax_with_loss", "Softmax-with-Loss: dx = (y - t) / N", "5",
            ("layer.softmax_with_loss",)),
    Concept("two_layer_net", "TwoLayerNet: Affine, ReLU, Affine, SoftmaxWithLoss", "5",
            ("two_layer_net.*",)),
    Concept("train_loop", "The training loop of train_neuralnet.py", "5", ("train.*",)),
    _opt("sgd", "SGD: W <- W - lr * g"),
    _opt("momentum", "Momentum: v <- m v - lr g; W <- W + v"),
    _opt("nesterov", "Nesterov's accelerated gradient"),
    _opt("adagrad", "AdaGrad: h <- h + g^2"),
    _opt("rmsprop", "RMSprop: h <- d h + (1 - d) g^2"),
    _opt("adam", "Adam with the bias-corrected lr_t"),
    Concept("multi_layer_net", "MultiLayerNet with L2 weight decay", "6", ("multi_layer_net.*",)),
    Concept("dropout", "Dropout: mask = rand(shape) > ratio", "6", ("layer.dropout",)),
    Concept("batch_norm", "Batch normalization", "6", ("layer.batch_norm",)),
    Concept("rng", "The shared generator MRG32k3a (protocol section 12)", "", ("rng.*",)),
)
CONCEPT_BY_NAME = {c.name: c for c in CONCEPTS}

# --- region markers ------------------------------------------------------------------------------

NAME_RE = r"[a-z][a-z0-9_]*"


@dataclass
class Fragment:
    concept: str
    lang: str
    path: str        # relative to the repository root
    start: int       # first shown line (1-based)
    end: int         # last shown line
    lines: list[str]  # the code, tabs expanded, common indentation removed

    @property
    def where(self) -> str:
        return f"{self.path}:{self.start}-{self.end}" if self.end > self.start else \
            f"{self.path}:{self.start}"


@dataclass
class Scan:
    """Every marked fragment of every language, and what is wrong with the markers."""
    fragments: dict[str, dict[str, list[Fragment]]] = field(default_factory=dict)  # concept, lang
    files: dict[str, list[str]] = field(default_factory=dict)    # lang -> source files scanned
    problems: list[str] = field(default_factory=list)

    def of(self, concept: str, lang: str) -> list[Fragment]:
        return self.fragments.get(concept, {}).get(lang, [])

    def present(self, lang: str) -> bool:
        return bool(self.files.get(lang))


def marker_patterns(comment: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    c = re.escape(comment)
    opening = re.compile(rf"^\s*{c}\s*region:\s*({NAME_RE})\s*$")
    closing = re.compile(rf"^\s*{c}\s*endregion(?::\s*({NAME_RE}))?\s*$")
    # A comment that is nothing but a near-miss marker ("# region affine", "#Region: Affine",
    # "-- end region") is reported, not skipped; prose that starts with "region" is not.
    loose = re.compile(rf"^\s*{c}\s*(end\s*)?region\b\s*:?\s*[\w-]*\s*$", re.IGNORECASE)
    return opening, closing, loose


def scan_file(path: Path, rel: str, lang: Language, scan: Scan) -> None:
    opening, closing, loose = marker_patterns(lang.comment)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        scan.problems.append(f"{rel}: cannot read: {exc}")
        return
    lines = text.splitlines()
    stack: list[tuple[str, int]] = []     # open regions: (name, line of the marker)
    for no, line in enumerate(lines, 1):
        m = opening.match(line)
        if m:
            stack.append((m.group(1), no))
            continue
        m = closing.match(line)
        if m:
            if not stack:
                scan.problems.append(f"{rel}:{no}: endregion without an open region")
                continue
            name, first = stack.pop()
            if m.group(1) and m.group(1) != name:
                scan.problems.append(f"{rel}:{no}: 'endregion: {m.group(1)}' closes region "
                                     f"'{name}' opened at line {first}")
            _add_fragment(scan, lang, rel, name, first, no, lines)
            continue
        if loose.match(line):
            scan.problems.append(f"{rel}:{no}: not a marker: {line.strip()!r} (write "
                                 f"'{lang.comment} region: NAME' or '{lang.comment} endregion')")
    for name, first in stack:
        scan.problems.append(f"{rel}:{first}: region '{name}' is never closed")


def _add_fragment(scan: Scan, lang: Language, rel: str, name: str, first: int, last: int,
                  lines: list[str]) -> None:
    if name not in CONCEPT_BY_NAME:
        close = difflib.get_close_matches(name, CONCEPT_BY_NAME, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        scan.problems.append(f"{rel}:{first}: unknown concept '{name}'{hint}; "
                             "see scripts/compare --list")
    start, end = first + 1, last - 1           # the lines between the two markers
    while start <= end and not lines[start - 1].strip():
        start += 1
    while end >= start and not lines[end - 1].strip():
        end -= 1
    if start > end:
        scan.problems.append(f"{rel}:{first}: region '{name}' is empty")
        return
    body = [lines[i - 1].expandtabs(4).rstrip() for i in range(start, end + 1)]
    body = textwrap.dedent("\n".join(body)).split("\n")
    scan.fragments.setdefault(name, {}).setdefault(lang.key, []).append(
        Fragment(name, lang.key, rel, start, end, body))


def scan_sources(root: Path = ROOT, languages: Iterable[Language] = LANGUAGES) -> Scan:
    scan = Scan()
    for lang in languages:
        files: list[Path] = []
        for g in lang.globs:
            files += [p for p in sorted(root.glob(g)) if p.is_file()]
        scan.files[lang.key] = [str(p.relative_to(root)) for p in files]
        for p in files:
            scan_file(p, str(p.relative_to(root)), lang, scan)
    return scan


# --- conformance status ------------------------------------------------------------------------


@dataclass
class CaseStatus:
    status: str          # PASS, FAIL or MISSING
    message: str = ""
    worst_rel: float | None = 0.0   # the worst relative error (None: not known)


@dataclass
class PortRun:
    """The results of one port over the cases that were run ({} when the port is absent)."""
    name: str
    lang: str | None     # the language column it belongs to (by its ports.json cwd)
    present: bool
    absent_reason: str = ""
    results: dict[str, CaseStatus] = field(default_factory=dict)
    ran: bool = True     # False: a port of ports.json that the status JSON does not mention


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    missing: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (id, status, message)
    worst_rel: float | None = 0.0      # over the cases answered; None when one is not known

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.missing

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


def port_language(port: Port, root: Path) -> str | None:
    try:
        rel = port.cwd.relative_to(root.resolve())
    except ValueError:
        return None
    head = rel.parts[0] if rel.parts else ""
    return head if head in LANG_BY_KEY else None


def run_status(ports: list[Port], cases: list[Case], root: Path,
               timeout: float | None = None) -> dict[str, PortRun]:
    """Each case once through each port's runner (the ports in parallel)."""
    timeout = default_timeout() if timeout is None else timeout

    def one(port: Port) -> PortRun:
        reason = port.absent_reason()
        run = PortRun(port.name, port_language(port, root), reason is None, reason or "")
        if reason is None and cases:
            for cid, r in run_port(port, cases, timeout).items():
                run.results[cid] = CaseStatus(r.status, r.message, r.worst_rel)
        return run

    with ThreadPoolExecutor(max_workers=max(1, len(ports))) as pool:
        runs = list(pool.map(one, ports))
    return {r.name: r for r in runs}


def status_from_json(path: Path, ports: list[Port], cases: list[Case],
                     root: Path) -> dict[str, PortRun]:
    """The results written by `scripts/conformance --json` (run over every case file).

    That JSON lists every case that did not pass (every case with --verbose); a case of a
    present port that it does not list passed. A port it does not mention was not run.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("ports"), dict):
        raise ValueError(f"{path}: not the output of scripts/conformance --json")
    if data.get("cases") != len(cases):
        raise ValueError(f"{path} was written over {data.get('cases')} cases, not the "
                         f"{len(cases)} of shared_tests/cases: run scripts/conformance --json "
                         "without --op or --cases")
    runs: dict[str, PortRun] = {}
    for port in ports:
        entry = data["ports"].get(port.name)
        if entry is None:
            runs[port.name] = PortRun(port.name, port_language(port, root), port.present,
                                      ran=False)
            continue
        present = bool(entry.get("present", True))
        run = PortRun(port.name, port_language(port, root), present,
                      "" if present else "port not present")
        if present:
            listed = {r["id"]: CaseStatus(r["status"], r.get("message", ""),
                                          r.get("worst_rel"))
                      for r in entry.get("results", [])}
            for c in cases:   # unlisted: passed, with an error the JSON does not give
                run.results[c.id] = listed.get(c.id, CaseStatus(PASS, "", None))
        runs[port.name] = run
    return runs


def tally(run: PortRun, cases: list[Case]) -> Tally:
    t = Tally()
    for c in cases:
        r = run.results.get(c.id)
        if r is None:
            continue
        if counts_toward_worst(c, r.status) and t.worst_rel is not None:
            t.worst_rel = None if r.worst_rel is None else max(t.worst_rel, r.worst_rel)
        if r.status == PASS:
            t.passed += 1
        elif r.status == FAIL:
            t.failed += 1
            t.failures.append((c.id, r.status, r.message))
        else:
            t.missing += 1
            t.failures.append((c.id, r.status, r.message))
    return t


def tally_text(run: PortRun | None, cases: list[Case]) -> tuple[str, str]:
    """A one-line status of a port for a concept, and its kind: ok, fail, none."""
    if run is None or not run.ran:
        return f"{run.name if run else 'port'}: not run", "none"
    if not run.present:
        return f"{run.name}: not present", "none"
    if not cases:
        return f"{run.name}: no cases", "none"
    t = tally(run, cases)
    if t.total == 0:
        return f"{run.name}: not run", "none"
    text = f"{run.name}: {t.passed}/{t.total} passed"
    extra = [f"{n} {w}" for n, w in ((t.failed, "failed"), (t.missing, "missing")) if n]
    if extra:
        text += " (" + ", ".join(extra) + ")"
    return text, "ok" if t.ok else "fail"


def cases_of(concept: Concept, cases: list[Case]) -> list[Case]:
    return [c for c in cases if concept.covers(c)]


# --- terminal rendering ------------------------------------------------------------------------

MIN_COLUMN = 38          # code columns narrower than this are unreadable: stack instead
GUTTER = 5               # "1234 " line numbers


def cell_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in text)


def cut(text: str, width: int) -> list[str]:
    """Hard-wrap one line into pieces of at most `width` cells."""
    if width <= 0:
        return [text]
    pieces, cur, w = [], "", 0
    for ch in text:
        cw = cell_width(ch)
        if w + cw > width and cur:
            pieces.append(cur)
            cur, w = "", 0
        cur += ch
        w += cw
    pieces.append(cur)
    return pieces


def wrap_code(line: str, width: int) -> list[str]:
    """Wrap a code line to `width` cells: break after the last space of a piece when there is
    one in its second half, continue with a hanging indent (the line's indentation + 2)."""
    if cell_width(line) <= width or width <= 8:
        return cut(line, width) if width > 0 else [line]
    indent = " " * min(len(line) - len(line.lstrip(" ")) + 2, width // 2)
    pieces, rest, room = [], line, width
    while cell_width(rest) > room:
        piece = cut(rest, room)[0]
        space = piece.rfind(" ")
        if space > room // 2 and piece[:space].strip():
            piece = piece[:space + 1]
        pieces.append(piece.rstrip())
        rest = rest[len(piece):]
        room = width - len(indent)
    pieces.append(rest)
    return [pieces[0]] + [indent + p for p in pieces[1:]]


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_width(text))


class Style:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, kind: str) -> str:
        codes = {"title": "1", "lang": "1;36", "ok": "32", "fail": "1;31", "none": "2",
                 "dim": "2", "rule": "2"}
        if not self.enabled or kind not in codes:
            return text
        return f"\033[{codes[kind]}m{text}\033[0m"


@dataclass
class Column:
    lang: Language
    head: list[tuple[str, str]]          # (text, style) lines
    fragments: list[Fragment]
    placeholder: str = ""                # "(not marked)" / "(port not present)"


def build_columns(concept: Concept, scan: Scan, runs: dict[str, PortRun] | None,
                  cases: list[Case]) -> list[Column]:
    cols = []
    for lang in LANGUAGES:
        frags = scan.of(concept.name, lang.key)
        head: list[tuple[str, str]] = [(lang.title, "lang")]
        head += [(f.where, "dim") for f in frags]
        placeholder = ""
        if not frags:
            placeholder = "(not marked)" if scan.present(lang.key) else "(port not present)"
        if runs is not None:
            port_runs = [r for r in runs.values() if r.lang == lang.key]
            if not port_runs:
                head.append(("no port in ports.json", "none"))
            for r in port_runs:
                head.append(tally_text(r, cases))
        cols.append(Column(lang, head, frags, placeholder))
    return cols


def code_rows(col: Column, width: int | None, numbers: bool) -> list[tuple[str, str]]:
    """The code of a column as (text, style) rows of at most `width` cells (None: no wrap)."""
    if not col.fragments:
        return [(col.placeholder, "none")]
    rows: list[tuple[str, str]] = []
    for k, frag in enumerate(col.fragments):
        if k:
            rows.append(("", ""))
            rows.append((f"... {frag.where}" if width is None else
                         cut(f"... {frag.where}", width)[0], "dim"))
        for i, line in enumerate(frag.lines):
            gutter = f"{frag.start + i:>{GUTTER - 1}} " if numbers else ""
            if width is None:
                rows.append((gutter + line, ""))
                continue
            room = width - len(gutter)
            for j, piece in enumerate(wrap_code(line, room)):
                rows.append(((gutter if j == 0 else " " * len(gutter)) + piece, ""))
    return rows


def natural_width(col: Column, numbers: bool) -> int:
    """The cells a column needs to show everything without wrapping."""
    code = [cell_width(line) + (GUTTER if numbers else 0) for f in col.fragments for line in f.lines]
    code += [cell_width(f"... {f.where}") for f in col.fragments[1:]]
    return max([12, cell_width(col.placeholder)] + code + [cell_width(t) for t, _ in col.head])


def share_width(naturals: list[int], avail: int) -> list[int]:
    """Column widths: each its natural width if they all fit, else every column wider than a
    common cap is cut to it (the cap chosen so that the widths add up to `avail`)."""
    if sum(naturals) <= avail:
        return list(naturals)
    widths = [0] * len(naturals)
    remaining, left = avail, len(naturals)
    for i in sorted(range(len(naturals)), key=lambda i: naturals[i]):
        share = remaining // left
        widths[i] = min(naturals[i], share)
        remaining -= widths[i]
        left -= 1
    return widths


def column_widths(cols: list[Column], width: int, sep: str, numbers: bool) -> list[int]:
    return share_width([natural_width(c, numbers) for c in cols],
                       width - cell_width(sep) * (len(cols) - 1))


def render_columns(title: list[str], cols: list[Column], width: int, style: Style,
                   numbers: bool) -> str:
    sep = separator()
    widths = column_widths(cols, width, sep, numbers)
    heads = []
    for c, w in zip(cols, widths):
        rows: list[tuple[str, str]] = []
        for text, kind in c.head:
            rows += [(piece, kind) for piece in cut(text, w)]
        heads.append(rows)
    head_h = max(len(h) for h in heads)
    blocks = []
    for c, h, w in zip(cols, heads, widths):
        rule = ("\u2500" if _utf8() else "-") * w
        blocks.append(h + [("", "")] * (head_h - len(h)) + [(rule, "rule")]
                      + code_rows(c, w, numbers))
    height = max(len(b) for b in blocks)
    out = list(title) + [""]
    for i in range(height):
        parts = []
        for b, w in zip(blocks, widths):
            text, kind = b[i] if i < len(b) else ("", "")
            parts.append(style(pad(text, w), kind))
        out.append(sep.join(parts).rstrip())
    return "\n".join(out)


def separator() -> str:
    return " \u2502 " if _utf8() else " | "


def render_stacked(title: list[str], cols: list[Column], width: int, style: Style,
                   numbers: bool) -> str:
    out = list(title)
    bar = "\u2500" if _utf8() else "-"
    for c in cols:
        out.append("")
        out.append(style(f"{bar * 2} {c.lang.title} " + bar * max(0, width - len(c.lang.title) - 4),
                         "lang"))
        out += [style(text, kind) for text, kind in c.head[1:]]
        out += [style(text, kind).rstrip() for text, kind in code_rows(c, None, numbers)]
    return "\n".join(out)


def title_lines(concept: Concept, cases: list[Case], style: Style, width: int) -> list[str]:
    chap = f"  (book chapter {concept.chapter})" if concept.chapter else "  (dlscratch)"
    lines = [style(f"{concept.name}: {concept.title}", "title") + style(chap, "dim"),
             style(f"cases: {concept.ops_text}: {len(cases)}", "dim")]
    if concept.note:
        lines += [style(line, "dim") for line in textwrap.wrap(f"note: {concept.note}", max(width, 40))]
    return lines


def failure_lines(runs: dict[str, PortRun] | None, cases: list[Case], style: Style,
                  limit: int = 8) -> list[str]:
    """The cases of the concept that did not pass, at most `limit` per port."""
    lines: list[str] = []
    for r in (runs or {}).values():
        if not r.ran or not r.present:
            continue
        failures = tally(r, cases).failures
        for cid, status, message in failures[:limit]:
            lines.append(style(f"{r.name:8} {status.upper():8} {cid}: {message}",
                               "fail" if status == FAIL else "none"))
        if len(failures) > limit:
            lines.append(f"{r.name:8} ... and {len(failures) - limit} more")
    if lines:
        lines = ["", style("cases that did not pass (scripts/conformance --port NAME --op OP "
                           "--verbose for the diffs):", "title")] + lines
    return lines


def render_concept(concept: Concept, scan: Scan, runs: dict[str, PortRun] | None,
                   cases: list[Case], width: int, layout: str = "auto", color: bool = False,
                   numbers: bool = True) -> str:
    return "\n".join([render_code(concept, scan, runs, cases, width, layout, color, numbers)]
                     + failure_lines(runs, cases, Style(color)))


def render_code(concept: Concept, scan: Scan, runs: dict[str, PortRun] | None,
                cases: list[Case], width: int, layout: str, color: bool, numbers: bool) -> str:
    style = Style(color)
    cols = build_columns(concept, scan, runs, cases)
    title = title_lines(concept, cases, style, width)
    naturals = [natural_width(c, numbers) for c in cols]
    widths = column_widths(cols, width, separator(), numbers)
    # Columns when no column has to be squeezed below MIN_COLUMN cells (or its natural width).
    fits = all(w >= min(n, MIN_COLUMN) for w, n in zip(widths, naturals))
    if layout == "columns" or (layout == "auto" and fits):
        return render_columns(title, cols, max(width, len(cols) * 14), style, numbers)
    return render_stacked(title, cols, width, style, numbers)


def render_list(scan: Scan, cases: list[Case], style: Style) -> str:
    head = ["concept", "ch", "cases", "ops"] + [lang.key for lang in LANGUAGES]
    rows = [head]
    for c in CONCEPTS:
        row = [c.name, c.chapter or "-", str(len(cases_of(c, cases))), c.ops_text]
        for lang in LANGUAGES:
            frags = scan.of(c.name, lang.key)
            row.append(("yes" if len(frags) == 1 else f"yes ({len(frags)})") if frags else
                       ("-" if scan.present(lang.key) else "absent"))
        rows.append(row)
    widths = [max(cell_width(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for k, r in enumerate(rows):
        line = "  ".join(pad(v, widths[i]) for i, v in enumerate(r)).rstrip()
        lines.append(style(line, "title") if k == 0 else line)
    lines.append("")
    for lang in LANGUAGES:
        if not scan.present(lang.key):
            lines.append(f"{lang.key}: no source files ({', '.join(lang.globs)})")
            continue
        marked = sum(1 for c in CONCEPTS if scan.of(c.name, lang.key))
        lines.append(f"{lang.key}: {marked}/{len(CONCEPTS)} concepts marked "
                     f"(markers: '{lang.comment} region: NAME' ... '{lang.comment} endregion')")
    lines.append("yes (N): marked in N fragments; -: not marked; absent: no source files")
    return "\n".join(lines)


def _utf8() -> bool:
    enc = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return enc.startswith("utf8")


# --- command line ------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="scripts/compare",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Show one concept of the book in Python, Ruby, Lua and Haskell side by side, "
        "cut from the real source files by region markers, with each port's conformance status "
        "for that concept's cases.",
        epilog=textwrap.dedent("""\
            markers (comment lines in the sources):
              Python, Ruby   # region: NAME   ...   # endregion
              Lua, Haskell   -- region: NAME   ...   -- endregion
            scanned: python/dlscratch/*.py, ruby/lib/**/*.rb, lua/dlscratch/*.lua,
            haskell/src/**/*.hs. See shared_tests/README.md section 10.

            examples:
              scripts/compare affine
              scripts/compare adam --width 100 --no-status
              scripts/compare --list
              scripts/compare --html site/   (then open site/index.html)
              scripts/compare --check"""))
    p.add_argument("concept", nargs="?", help="the concept to show (see --list)")
    p.add_argument("--list", action="store_true",
                   help="list the concepts, their ops, case counts and which ports mark them")
    p.add_argument("--html", metavar="DIR",
                   help="write a static site: DIR/index.html and one page per concept")
    p.add_argument("--no-setup", action="store_true", help="do not run scripts/setup first")
    p.add_argument("--check", action="store_true",
                   help="report malformed, unclosed or unknown region markers; exit 1 if any")
    p.add_argument("--width", type=int, metavar="N",
                   help="terminal width (default: the terminal's, or $COLUMNS, or 80)")
    p.add_argument("--layout", choices=("auto", "columns", "stacked"), default="auto",
                   help=f"columns when every column gets at least {MIN_COLUMN} characters "
                        "(auto, the default), or force one layout")
    p.add_argument("--no-status", action="store_true",
                   help="do not run the conformance cases (no status in the headers)")
    p.add_argument("--status-json", metavar="FILE",
                   help="take the status from the output of `scripts/conformance --json` "
                        "(over every case file) instead of running the harness")
    p.add_argument("--port", action="append", metavar="NAME",
                   help="run only these ports of ports.json (repeatable; default: all)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds to wait for each answer (default: $DLSCRATCH_TIMEOUT or 30)")
    p.add_argument("--no-line-numbers", action="store_true", help="no line numbers in the code")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="ANSI colours (auto: when stdout is a terminal and NO_COLOR is unset)")
    p.add_argument("--root", metavar="DIR", default=str(ROOT),
                   help="the repository to read (default: this checkout)")
    p.add_argument("--ports-file", metavar="FILE",
                   help="the ports description (default: ROOT/shared_tests/ports.json)")
    return p


def terminal_width(opt_width: int | None) -> int:
    """--width, else $COLUMNS or stdout's terminal (shutil), else the terminal of stderr or
    stdin (so that `scripts/compare affine | less -S` still fits the screen), else 80."""
    if opt_width:
        return max(20, opt_width)
    columns = shutil.get_terminal_size((0, 0)).columns
    if columns > 0:
        return columns
    for fd in (2, 0):
        try:
            return os.get_terminal_size(fd).columns
        except OSError:
            continue
    return 80


def load_everything(opt: argparse.Namespace) -> tuple[Path, list[Port], list[Case]]:
    root = Path(opt.root).resolve()
    ports_file = Path(opt.ports_file) if opt.ports_file else root / "shared_tests" / "ports.json"
    ports = list(load_ports(ports_file, root).values()) if ports_file.is_file() else []
    if opt.port:
        known = {p.name for p in ports}
        unknown = [n for n in opt.port if n not in known]
        if unknown:
            raise KeyError(f"unknown port(s) {', '.join(unknown)}; {ports_file} has "
                           f"{', '.join(sorted(known))}")
    cases_dir = root / "shared_tests" / "cases"
    try:
        cases = load_cases(directory=cases_dir) if cases_dir.is_dir() else []
    except CaseFormatError as exc:
        # The code can still be shown; the status cannot.
        print(f"scripts/compare: warning: {exc}; no conformance status", file=sys.stderr)
        cases, opt.no_status = [], True
    return root, ports, cases


def get_status(opt: argparse.Namespace, ports: list[Port], cases: list[Case], root: Path,
               subset: list[Case] | None = None) -> dict[str, PortRun] | None:
    """None with --no-status; else the results of `subset` (default: every case) of every
    port (those left out by --port, or not in the --status-json file, marked not run)."""
    if opt.no_status:
        return None
    chosen = [p for p in ports if not opt.port or p.name in opt.port]
    if opt.status_json:
        runs = status_from_json(Path(opt.status_json), chosen, cases, root)
    else:
        runs = run_status(chosen, cases if subset is None else subset, root, opt.timeout)
    for p in ports:
        if p.name not in runs:
            runs[p.name] = PortRun(p.name, port_language(p, root), p.present, ran=False)
    return {p.name: runs[p.name] for p in ports}


def main(argv: list[str] | None = None, out: Callable[[str], None] | None = None) -> int:
    parser = build_parser()
    opt = parser.parse_args(argv)
    write = out or (lambda s: print(s))
    modes = sum(bool(x) for x in (opt.concept, opt.list, opt.html, opt.check))
    if modes != 1:
        parser.print_usage(sys.stderr)
        print("scripts/compare: give one CONCEPT, or --list, --html DIR or --check",
              file=sys.stderr)
        return 2
    try:
        root, ports, cases = load_everything(opt)
    except (KeyError, CaseFormatError, OSError, ValueError) as exc:
        print(f"scripts/compare: {exc.args[0] if isinstance(exc, KeyError) else exc}",
              file=sys.stderr)
        return 2
    scan = scan_sources(root)
    color = opt.color == "always" or (opt.color == "auto" and sys.stdout.isatty()
                                      and not os.environ.get("NO_COLOR"))

    if opt.check:
        for p in scan.problems:
            write(p)
        for lang in LANGUAGES:
            marked = sum(1 for c in CONCEPTS if scan.of(c.name, lang.key))
            state = f"{marked}/{len(CONCEPTS)} concepts marked" if scan.present(lang.key) \
                else "no source files"
            write(f"{lang.key}: {state}")
        write(f"{len(scan.problems)} marker problem(s)")
        return 1 if scan.problems else 0

    for p in scan.problems:
        print(f"scripts/compare: warning: {p}", file=sys.stderr)

    if opt.list:
        write(render_list(scan, cases, Style(color)))
        return 0

    if opt.html:
        import compare_html
        try:
            runs = get_status(opt, ports, cases, root)
        except (OSError, ValueError) as exc:
            print(f"scripts/compare: {exc}", file=sys.stderr)
            return 2
        index = compare_html.write_site(Path(opt.html), scan, cases, ports, runs, root)
        write(f"wrote {index} and {len(CONCEPTS)} concept pages")
        return 0

    concept = CONCEPT_BY_NAME.get(opt.concept.lower().replace("-", "_"))
    if concept is None:
        close = difflib.get_close_matches(opt.concept, CONCEPT_BY_NAME, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        print(f"scripts/compare: unknown concept {opt.concept!r}{hint}; see scripts/compare --list",
              file=sys.stderr)
        return 2
    mine = cases_of(concept, cases)
    try:
        runs = get_status(opt, ports, cases, root, subset=mine)
    except (OSError, ValueError) as exc:
        print(f"scripts/compare: {exc}", file=sys.stderr)
        return 2
    write(render_concept(concept, scan, runs, mine, terminal_width(opt.width), opt.layout,
                         color, not opt.no_line_numbers))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:   # `scripts/compare affine | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
