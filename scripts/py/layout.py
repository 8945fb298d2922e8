"""The terminal views of scripts/compare: a concept's languages in columns when the terminal is
wide enough, stacked otherwise, with line numbers, status headers and failures."""

from __future__ import annotations

import re
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field

from harness.cases import Case

from harness.run import FAIL

from concepts import CONCEPTS, LANGUAGES, Concept, Language, cases_of
from markers import HEAD, Fragment, Scan
from status import PortRun, tally, tally_text

try:  # Pygments gives the tokens that lines are wrapped between; without it, a plain tokenizer.
    from pygments.lexers import get_lexer_by_name
    from pygments.token import Comment, String
except ImportError:  # pragma: no cover - depends on the environment
    get_lexer_by_name = None
    Comment = String = None


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


# A fallback tokenizer for when Pygments is missing: strings, numbers, words, spaces, one
# character of anything else.
_TOKEN_RE = re.compile(r"(?:[rbfuRBFU]{1,2})?(?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*')"
                       r"|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?\w*|\w+|\s+|.")


def tokenize(lines: list[str], lexer: str | None) -> list[list[tuple[str, str]]]:
    """The (kind, text) tokens of each line, kind "comment" (prose, broken between words),
    "space" or "code" (never broken). A string literal with everything inside it is one token;
    a docstring counts as prose. `lexer` is a Pygments lexer name (None: a plain tokenizer)."""
    out: list[list[tuple[str, str]]] = [[] for _ in lines]
    raw = _pygments_tokens(lines, lexer) if lexer else None
    if raw is None:
        for k, line in enumerate(lines):
            out[k] = [("space" if t.isspace() else "code", t) for t in _TOKEN_RE.findall(line)]
        return out
    k, depth, in_string = 0, 0, False
    for ttype, text in raw:
        kind = ("comment" if ttype in Comment or ttype in String.Doc else
                "string" if ttype in String else "space" if text.isspace() else "code")
        if kind == "string" and ttype in String.Interpol:
            depth += text.count("{") - text.count("}")
        for j, chunk in enumerate(text.split("\n")):
            if j:
                k += 1
                in_string = False
            if k >= len(lines) or not chunk:
                continue
            toks = out[k]
            # One token from a string's first piece to its last, interpolations included.
            if (kind == "string" or depth > 0) and in_string and toks:
                toks[-1] = ("code", toks[-1][1] + chunk)
            else:
                toks.append(("code" if kind == "string" else kind, chunk))
            in_string = kind == "string" or depth > 0
        if kind != "string" and depth <= 0:
            in_string = False
    return out


def _pygments_tokens(lines: list[str], lexer: str) -> list[tuple[object, str]] | None:
    if get_lexer_by_name is None:
        return None
    try:
        lex = get_lexer_by_name(lexer, stripnl=False, ensurenl=True)
    except Exception:   # pragma: no cover - an unknown lexer name: plain tokens
        return None
    return list(lex.get_tokens("\n".join(lines) + "\n"))


def _atoms(tokens: list[tuple[str, str]]) -> list[str]:
    """The unbreakable pieces of a line: code tokens whole, comments split into words."""
    atoms: list[str] = []
    for kind, text in tokens:
        atoms += re.findall(r"\s+|\S+", text) if kind == "comment" else [text]
    return atoms


def wrap_code(line: str, width: int, tokens: list[tuple[str, str]] | None = None) -> list[str]:
    """Wrap a code line to `width` cells between tokens (never inside an identifier, number
    or string; comments between words): break at the last space of a piece when it is in the
    piece's second half, else after its last whole token; continue with a hanging indent (the
    line's indentation + 2). Only a token longer than a whole line is cut."""
    if cell_width(line) <= width or width <= 8:
        return cut(line, width) if width > 0 else [line]
    if tokens is None:
        tokens = tokenize([line], None)[0]
    indent = " " * min(len(line) - len(line.lstrip(" ")) + 2, width // 2)
    queue = _atoms(tokens)
    pieces: list[str] = []
    cur: list[str] = []
    room = width
    while queue:
        atom = queue.pop(0)
        if cell_width("".join(cur) + atom) <= room:
            cur.append(atom)
            continue
        if not "".join(cur).strip():        # one token wider than the line: cut it
            head = cut(atom, room - cell_width("".join(cur)))
            pieces.append("".join(cur) + head[0])
            queue[:0] = ["".join(head[1:])] if len(head) > 1 else []
        else:
            spaces = [k for k, a in enumerate(cur) if a.isspace()
                      and cell_width("".join(cur[:k])) > room // 2 and "".join(cur[:k]).strip()]
            # A space that does not fit is the break itself.
            k = len(cur) if atom.isspace() or not spaces else spaces[-1]
            pieces.append("".join(cur[:k]).rstrip())
            queue[:0] = cur[k:] + [atom]
        cur = []
        room = width - len(indent)
        while queue and queue[0].isspace():
            queue.pop(0)
    if "".join(cur).strip() or not pieces:
        pieces.append("".join(cur).rstrip())
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
class CodeLine:
    number: int | None                   # the file line; None for a "... file:lines" note
    text: str
    tokens: list[tuple[str, str]] | None = None


@dataclass
class Column:
    lang: Language
    head: list[tuple[str, str]]          # (text, style) lines
    fragments: list[Fragment]
    placeholder: str = ""                # "(not marked)" / "(port not present)"
    # part name -> its lines, over the fragments in file order
    parts: dict[str, list[CodeLine]] = field(default_factory=dict)


def column_parts(lang: Language, frags: list[Fragment]) -> dict[str, list[CodeLine]]:
    """Each part's lines over the fragments; a later fragment's first part starts with a note
    of where that fragment is."""
    parts: dict[str, list[CodeLine]] = {}
    for k, frag in enumerate(frags):
        tokens = tokenize(frag.lines, lang.lexer)
        for j, (name, a, b) in enumerate(frag.parts):
            lines = parts.setdefault(name, [])
            if k and j == 0:
                lines += ([CodeLine(None, "")] if lines else []) + [CodeLine(None, f"... {frag.where}")]
            elif lines:
                lines.append(CodeLine(None, ""))
            lines += [CodeLine(frag.numbers[i], frag.lines[i], tokens[i]) for i in range(a, b)]
    return parts


def part_order(cols: list[Column]) -> list[str]:
    """The rows of the aligned view: the union of the columns' parts in the first column's
    order (Python's, the book's), a part only a later column has right after the part it
    follows there."""
    order: list[str] = []
    for col in cols:
        after = -1
        for name in col.parts:
            if name in order:
                after = order.index(name)
            else:
                after += 1
                order.insert(after, name)
    if HEAD in order:          # a language whose first fragment is a helper: head still first
        order.remove(HEAD)
        order.insert(0, HEAD)
    return order


def shown_order(concept: Concept, scan: Scan, cols: list[Column]) -> list[str]:
    """The rows of the columns shown, in the order of every language's parts (Python's first),
    whichever languages --lang shows and in whatever order."""
    every = [Column(lang, [], scan.of(concept.name, lang.key), "",
                    column_parts(lang, scan.of(concept.name, lang.key))) for lang in LANGUAGES]
    return [p for p in part_order(every) if any(p in c.parts for c in cols)]


def build_columns(concept: Concept, scan: Scan, runs: dict[str, PortRun] | None,
                  cases: list[Case], languages: tuple[Language, ...] = LANGUAGES) -> list[Column]:
    cols = []
    for lang in languages:
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
        cols.append(Column(lang, head, frags, placeholder, column_parts(lang, frags)))
    return cols


def code_rows(col: Column, part: str, width: int | None, numbers: bool) -> list[tuple[str, str]]:
    """One part of a column as (text, style) rows of at most `width` cells (None: no wrap)."""
    rows: list[tuple[str, str]] = []
    for line in col.parts.get(part, []):
        if line.number is None:
            rows.append((line.text if width is None else cut(line.text, width)[0], "dim"))
            continue
        gutter = f"{line.number:>{GUTTER - 1}} " if numbers else ""
        if width is None:
            rows.append((gutter + line.text, ""))
            continue
        for j, piece in enumerate(wrap_code(line.text, width - len(gutter), line.tokens)):
            rows.append(((gutter if j == 0 else " " * len(gutter)) + piece, ""))
    return rows


def part_rule(part: str | None, width: int) -> str:
    """The rule above a row of the aligned view, with the part's name: "── forward ─────"."""
    bar = "\u2500" if _utf8() else "-"
    if part is None:
        return bar * width
    return cut(f"{bar * 2} {part} " + bar * max(0, width - cell_width(part) - 4), width)[0]


def natural_width(col: Column, numbers: bool) -> int:
    """The cells a column needs to show everything without wrapping."""
    code = [cell_width(line.text) + (GUTTER if numbers and line.number is not None else 0)
            for lines in col.parts.values() for line in lines]
    code += [cell_width(name) + 6 for name in col.parts]
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
                   numbers: bool, order: list[str] | None = None) -> str:
    """The aligned view: one column per language, one row per part (a language lacking the
    part leaves its cell empty), each row under a rule that names the part."""
    sep = separator()
    widths = column_widths(cols, width, sep, numbers)
    order = part_order(cols) if order is None else order
    named = len(order) > 1 or order[:1] != [HEAD]
    heads = []
    for c, w in zip(cols, widths):
        rows: list[tuple[str, str]] = []
        for text, kind in c.head:
            rows += [(piece, kind) for piece in cut(text, w)]
        heads.append(rows)
    head_h = max(len(h) for h in heads)
    blocks = [h + [("", "")] * (head_h - len(h)) for h in heads]
    if not order:
        order, named = [HEAD], False
    for k, part in enumerate(order):
        cells = [code_rows(c, part, w, numbers) for c, w in zip(cols, widths)]
        if k == 0:
            cells = [cell or [(c.placeholder, "none")] if c.placeholder else cell
                     for c, cell in zip(cols, cells)]
        height = max(len(cell) for cell in cells)
        for block, cell, w in zip(blocks, cells, widths):
            block.append((part_rule(part if named else None, w), "rule"))
            block += cell + [("", "")] * (height - len(cell))
    out = list(title) + [""]
    for i in range(len(blocks[0])):
        parts = []
        for b, w in zip(blocks, widths):
            text, kind = b[i]
            parts.append(style(pad(text, w), kind))
        out.append(sep.join(parts).rstrip())
    return "\n".join(out)


def separator() -> str:
    return " \u2502 " if _utf8() else " | "


def render_stacked(title: list[str], cols: list[Column], width: int, style: Style,
                   numbers: bool, order: list[str] | None = None) -> str:
    """One language after the other, each in its parts (named when there is more than one)."""
    out = list(title)
    bar = "\u2500" if _utf8() else "-"
    order = part_order(cols) if order is None else order
    named = len(order) > 1 or order[:1] != [HEAD]
    for c in cols:
        out.append("")
        out.append(style(f"{bar * 2} {c.lang.title} " + bar * max(0, width - len(c.lang.title) - 4),
                         "lang"))
        out += [style(text, kind) for text, kind in c.head[1:]]
        if not c.parts:
            out.append(style(c.placeholder, "none"))
        for part in order:
            if part not in c.parts:
                continue
            if named:
                out.append(style(f"{bar} {part}", "rule"))
            out += [style(text, kind).rstrip() for text, kind in code_rows(c, part, None, numbers)]
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
                   numbers: bool = True, languages: tuple[Language, ...] = LANGUAGES) -> str:
    return "\n".join([render_code(concept, scan, runs, cases, width, layout, color, numbers,
                                  languages)]
                     + failure_lines(runs, cases, Style(color)))


def render_code(concept: Concept, scan: Scan, runs: dict[str, PortRun] | None,
                cases: list[Case], width: int, layout: str, color: bool, numbers: bool,
                languages: tuple[Language, ...] = LANGUAGES) -> str:
    style = Style(color)
    cols = build_columns(concept, scan, runs, cases, languages)
    order = shown_order(concept, scan, cols)
    title = title_lines(concept, cases, style, width)
    naturals = [natural_width(c, numbers) for c in cols]
    widths = column_widths(cols, width, separator(), numbers)
    # Columns when no column has to be squeezed below MIN_COLUMN cells (or its natural width).
    fits = all(w >= min(n, MIN_COLUMN) for w, n in zip(widths, naturals))
    if layout == "columns" or (layout == "auto" and fits):
        return render_columns(title, cols, max(width, len(cols) * 14), style, numbers, order)
    return render_stacked(title, cols, width, style, numbers, order)


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


