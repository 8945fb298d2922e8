"""The terminal views of scripts/compare: a concept's languages in columns when the terminal is
wide enough, stacked otherwise, with line numbers, status headers and failures."""

from __future__ import annotations

import sys
import textwrap
import unicodedata
from dataclasses import dataclass

from harness.cases import Case

from harness.run import FAIL

from concepts import CONCEPTS, LANGUAGES, Concept, Language, cases_of
from markers import Fragment, Scan
from status import PortRun, tally, tally_text


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


