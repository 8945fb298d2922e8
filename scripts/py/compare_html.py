"""scripts/compare --html DIR: a static site of the concepts side by side.

DIR/index.html lists the concepts (which languages mark each, each port's status for its cases)
and the conformance matrix (ports x op families); DIR/NAME.html shows one concept with one
column per language, highlighted by Pygments when it is installed (plain text otherwise).
Every page is self-contained: inline CSS, no script, no network (a Content-Security-Policy
forbids loading anything).
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from concepts import CONCEPTS, LANGUAGES, Concept, Language, cases_of
from layout import Column, column_parts, part_order
from markers import HEAD, Fragment, Scan
from status import PortRun, tally, tally_text
from harness.cases import Case
from harness.conformance import family_order, fmt_rel
from harness.ports import Port

import site_pages
from site_pages import esc

try:  # Pygments is optional: without it the code is shown unhighlighted.
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import get_lexer_by_name
except ImportError:  # pragma: no cover - depends on the environment
    highlight = None

CSS = """
:root { --fg: #1d2330; --dim: #5f6b7a; --line: #d8dee6; --bg: #ffffff; --panel: #f6f8fa;
        --ok: #116329; --okbg: #dafbe1; --fail: #a40e26; --failbg: #ffe4e0; --none: #4d5561; }
* { box-sizing: border-box; }
body { margin: 0 auto; padding: 16px 20px 40px; max-width: 1900px; color: var(--fg);
       background: var(--bg); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: #0b57d0; text-decoration: underline; text-underline-offset: 2px; }
h1 { font-size: 1.5em; margin: 0.3em 0 0.1em; } h1 small { font-weight: normal; color: var(--dim); }
h2 { font-size: 1.15em; margin: 0; }
body > h2 { margin: 1.3em 0 0.4em; }
nav { font-size: 0.9em; color: var(--dim); }
.meta { color: var(--dim); margin: 0.2em 0 1em; }
code, pre, .loc, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
/* auto tracks share the width by content: a short "(not marked)" column stays narrow */
.columns { display: grid; grid-template-columns: repeat(4, minmax(11em, auto)); gap: 12px;
           align-items: start; }
@media (max-width: 1100px) { .columns { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
@media (max-width: 700px) { .columns { grid-template-columns: minmax(0, 1fr); } }
.impl { border: 1px solid var(--line); border-radius: 6px; background: var(--panel); min-width: 0; }
.impl > header { padding: 8px 10px; border-bottom: 1px solid var(--line); background: #eef1f5;
                 border-radius: 6px 6px 0 0; }
.loc { font-size: 12px; color: var(--dim); margin: 2px 0 0; overflow-wrap: anywhere; }
.status { font-size: 12px; margin: 4px 0 0; padding: 1px 6px; border-radius: 4px;
          display: inline-block; white-space: nowrap; }
.rel { color: var(--dim); font-size: 11px; }
.ok { color: var(--ok); background: var(--okbg); }
.fail { color: var(--fail); background: var(--failbg); font-weight: 600; }
.none { color: var(--none); background: #eceff3; }
/* The aligned grid: each language's section is a subgrid of the page's rows (its header, then
   one row per part), its <pre> and the box around it dissolved so that each part is a cell. */
.aligned { row-gap: 0; }
.aligned > .impl { display: grid; grid-template-rows: subgrid; }
.aligned .hl, .aligned .hl pre { display: contents; }
.aligned .placeholder { grid-row: 2 / -1; }
.part { display: block; margin: 0; padding: 2px 10px 8px; overflow-x: auto; white-space: pre;
        font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px;
        line-height: 1.4; border-top: 1px dashed var(--line); }
.part::before { content: attr(data-part); display: block; font: 11px system-ui, sans-serif;
                color: var(--dim); }
.part.empty { background: repeating-linear-gradient(45deg, transparent 0 6px, #eef1f5 6px 7px); }
.where { font-size: 11px; color: var(--dim); }
.hl { background: transparent; }
.hl pre { margin: 0; padding: 6px 10px 10px; overflow-x: auto; font-size: 12.5px; line-height: 1.4;
          background: transparent; }
.linenos, .hl .linenos { color: #646d78; user-select: none; padding-right: 6px; }
.placeholder { padding: 14px 10px; color: var(--dim); font-style: italic; }
.placeholder code { font-style: normal; }
.statusline { margin: 4px 0 0; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13.5px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td .status { margin: 1px 2px; }
.note { color: var(--dim); font-size: 0.9em; }
.problems { color: var(--fail); }
footer { margin-top: 2em; color: var(--dim); font-size: 0.85em; }
header.site { display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: baseline;
              padding-bottom: 8px; border-bottom: 1px solid var(--line); margin-bottom: 8px; }
.brand { font-weight: 700; font-size: 1.1em; color: var(--fg); }
nav.top a[aria-current] { font-weight: 700; color: var(--fg); }
.formula { overflow-x: auto; margin: 0.4em 0 1em; padding: 4px 12px; background: var(--panel);
           border: 1px solid var(--line); border-radius: 6px; }
.index { width: 100%; table-layout: auto; }
.index td, .index th { overflow-wrap: anywhere; }
.index th, .index td.sec, .index td.num { white-space: nowrap; overflow-wrap: normal; }
.badges .status { margin: 1px 1px; }
input#filter { font: inherit; padding: 4px 8px; width: min(100%, 28em); margin: 0.5em 0; }
figure { margin: 1em 0 2em; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.9em; color: var(--dim); }
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 380px), 1fr)); gap: 12px; }
pre.box { background: var(--panel); border: 1px solid var(--line); padding: 8px; overflow-x: auto;
          font-size: 12.5px; }
.srcline { display: block; } .srcline:target { background: #fff5b1; }
.toc { columns: 16em; font-size: 0.95em; }
section.concept { margin: 1.5em 0; }
table.names code { font-size: 12.5px; }
a.loc { display: block; }
"""


def page(title: str, body: str, extra_css: str = "", *, current: str = "", prefix: str = "",
         script: str = "", katex: bool = False) -> str:
    """A whole page: the site's navigation, then `body` in <main>; only what the policy of
    site_pages.csp allows (files of the site, an inline script by its hash)."""
    css_link = (f"<link rel=\"stylesheet\" href=\"{prefix}assets/katex/katex.min.css\">\n"
                if katex else "")
    js = f"<script>{script}</script>\n" if script else ""
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{site_pages.csp(script)}\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{esc(title)}</title>\n<link rel=\"icon\" href=\"{prefix}assets/icon.svg\">\n{css_link}<style>{CSS}{extra_css}</style>\n</head>\n<body>\n"
        f"<header class=\"site\"><a class=\"brand\" href=\"{prefix}index.html\">dlscratch</a> "
        f"{site_pages.nav_html(current, prefix)}</header>\n<main>\n{body}\n</main>\n{js}</body>\n</html>\n")


def line_html(frag: Fragment, lang: Language) -> list[str]:
    """Each line of a fragment as HTML, highlighted when Pygments is there (the fragment lexed
    whole, so that a docstring or a string over several lines is coloured right; Pygments
    closes its spans at each line's end)."""
    if highlight is None:
        return [esc(line) for line in frag.lines]
    text = "\n".join(frag.lines) + "\n"
    out = highlight(text, get_lexer_by_name(lang.lexer, stripnl=False),
                    HtmlFormatter(nowrap=True)).split("\n")
    return (out + [""] * len(frag.lines))[:len(frag.lines)]


def numbered(number: int, html_line: str, width: int) -> str:
    return f"<span class=\"linenos\">{number:>{width}} </span>{html_line}"


def code_html(frag: Fragment, lang: Language) -> str:
    """A whole fragment, numbered by its file lines (marker lines left out)."""
    width = len(str(max(frag.numbers)))
    rows = [numbered(n, h, width) for n, h in zip(frag.numbers, line_html(frag, lang))]
    return "<div class=\"hl\"><pre tabindex=\"0\">" + "\n".join(rows) + "</pre></div>"


def parts_html(frags: list[Fragment], lang: Language, order: list[str]) -> str:
    """One <pre> of a language's code cut into one block per part of `order` (empty when the
    language lacks it): the column's cells of the aligned grid."""
    width = max(len(str(max(f.numbers))) for f in frags)
    cells: dict[str, list[str]] = {name: [] for name in order}
    for k, frag in enumerate(frags):
        lines = line_html(frag, lang)
        for j, (name, a, b) in enumerate(frag.parts):
            cell = cells.setdefault(name, [])
            if k and j == 0:
                cell.append(f"<span class=\"where\">... {esc(frag.where)}</span>")
            elif cell:
                cell.append("")
            cell += [numbered(frag.numbers[i], lines[i], width) for i in range(a, b)]
    blocks = [f"<span class=\"part{'' if cells[name] else ' empty'}\" data-part=\"{esc(name)}\" "
              f"tabindex=\"0\">"
              + "\n".join(cells[name]) + "</span>" for name in order]
    return "<div class=\"hl\"><pre>" + "".join(blocks) + "</pre></div>"


def pygments_css() -> str:
    if highlight is None:
        return ""
    return HtmlFormatter(style="default").get_style_defs(".hl")


def status_spans(runs: dict[str, PortRun] | None, lang: Language, cases: list[Case]) -> str:
    if runs is None:
        return ""
    spans = []
    port_runs = [r for r in runs.values() if r.lang == lang.key]
    if not port_runs:
        spans.append("<span class=\"status none\">no port in ports.json</span>")
    for r in port_runs:
        text, kind = tally_text(r, cases)
        spans.append(f"<span class=\"status {kind}\">{esc(text)}</span>")
    return " ".join(spans)


def column_html(concept: Concept, lang: Language, scan: Scan, runs: dict[str, PortRun] | None,
                cases: list[Case], order: list[str]) -> str:
    """A language's column of the aligned grid: its header, then one cell per part of
    `order` (a subgrid of the page's rows)."""
    frags = scan.of(concept.name, lang.key)
    locs = "".join(site_pages.fragment_link(f) for f in frags)
    status = status_spans(runs, lang, cases)
    head = (f"<header><h2>{esc(lang.title)}</h2>{locs}"
            + (f"<p class=\"statusline\">{status}</p>" if status else "") + "</header>")
    if frags:
        body = parts_html(frags, lang, order)
    elif scan.present(lang.key):
        # Short lines, so that the column's max-content width (and so its share of the
        # grid) stays small beside the columns that hold code.
        body = (f"<p class=\"placeholder\">(not marked)<br><span class=\"note\">mark it with"
                f"<br><code>{esc(lang.comment)} region: {esc(concept.name)}</code><br>&hellip;"
                f"<br><code>{esc(lang.comment)} endregion</code></span></p>")
    else:
        body = "<p class=\"placeholder\">(port not present)</p>"
    return (f"<section class=\"impl\" data-lang=\"{esc(lang.key)}\" "
            f"style=\"grid-row: span {len(order) + 1}\">{head}{body}</section>")


def failures_html(runs: dict[str, PortRun] | None, cases: list[Case]) -> str:
    if runs is None:
        return ""
    items = []
    for r in runs.values():
        if not r.present:
            continue
        for cid, status, message in tally(r, cases).failures:
            items.append(f"<li><b>{esc(r.name)}</b> {esc(status)} <code>{esc(cid)}</code>: "
                         f"{esc(message)}</li>")
    if not items:
        return ""
    return ("<h2>Cases that did not pass</h2>\n<ul class=\"mono\">" + "".join(items) + "</ul>\n"
            "<p class=\"note\">Details: <code>scripts/conformance --port NAME --op OP "
            "--verbose</code></p>")


def cases_table(runs: dict[str, PortRun] | None, cases: list[Case]) -> str:
    """The cases behind a concept's status: each case's id, its source (book, derived,
    reference), its file and line, and what each port that ran made of it."""
    if not cases:
        return ""
    shown = [r for r in (runs or {}).values() if r.ran and r.present]
    head = ("<tr><th scope=\"col\">case</th><th scope=\"col\">source</th>"
            "<th scope=\"col\">file</th>"
            + "".join(f"<th scope=\"col\">{esc(r.name)}</th>" for r in shown) + "</tr>")
    verdicts = {r.name: {cid: st for cid, st, _ in tally(r, cases).failures} for r in shown}
    rows = []
    for c in cases:
        cells = "".join(
            f"<td class=\"{'fail' if c.id in verdicts[r.name] else 'ok'}\">"
            f"{esc(verdicts[r.name].get(c.id, 'pass'))}</td>" for r in shown)
        rows.append(f"<tr><td class=\"mono\">{esc(c.id)}</td><td>{esc(c.source)}</td>"
                    f"<td class=\"mono\">{esc(Path(c.file).name)}:{c.line}</td>{cells}</tr>")
    return (f"<details class=\"cases\"><summary>The {len(cases)} conformance cases behind "
            f"the status</summary><table>{head}{''.join(rows)}</table></details>")


def concept_page(k: int, scan: Scan, runs: dict[str, PortRun] | None, all_cases: list[Case],
                 stamp: str, formulas: dict[str, list[str]] | None = None) -> str:
    concept = CONCEPTS[k]
    cases = cases_of(concept, all_cases)
    prev_c, next_c = CONCEPTS[k - 1], CONCEPTS[(k + 1) % len(CONCEPTS)]
    chapter = f"book chapter {concept.chapter}" if concept.chapter else "dlscratch's own"
    if concept.section:
        chapter += f", section {concept.section}"
    nav = (f"<nav aria-label=\"concepts\"><a href=\"index.html\">all concepts</a> &middot; "
           f"<a href=\"{prev_c.name}.html\">&larr; {esc(prev_c.name)}</a> &middot; "
           f"<a href=\"{next_c.name}.html\">{esc(next_c.name)} &rarr;</a></nav>")
    meta = (f"<p class=\"meta\">{esc(chapter)} &middot; conformance cases: "
            f"<code>{esc(concept.ops_text)}</code> ({len(cases)})"
            + (f"<br><span class=\"note\">{esc(concept.note)}</span>" if concept.note else "")
            + "</p>")
    maths = "".join(f"<div class=\"formula\">{m}</div>"
                    for m in (formulas or {}).get(concept.name, []))
    order = part_order([Column(lang, [], scan.of(concept.name, lang.key), "",
                               column_parts(lang, scan.of(concept.name, lang.key)))
                        for lang in LANGUAGES]) or [HEAD]
    cols = "\n".join(column_html(concept, lang, scan, runs, cases, order) for lang in LANGUAGES)
    body = (f"{nav}\n<h1>{esc(concept.name)} <small>{esc(concept.title)}</small></h1>\n{meta}\n"
            f"{maths}\n<div class=\"columns aligned\" data-rows=\"{len(order) + 1}\">\n{cols}\n"
            f"</div>\n{cases_table(runs, cases)}\n{failures_html(runs, cases)}\n"
            f"<footer>{esc(stamp)}</footer>")
    return page(f"{concept.name} - dlscratch", body, pygments_css(), katex=bool(maths))


def matrix_html(ports: list[Port], runs: dict[str, PortRun], cases: list[Case]) -> str:
    shown = [p for p in ports if p.name in runs]
    fams = family_order(cases)
    by_fam = {f: [c for c in cases if c.family == f] for f in fams}
    head = "<tr><th>family</th>" + "".join(f"<th>{esc(p.name)}</th>" for p in shown) + "</tr>"
    rows = []
    for f in fams + ["total"]:
        fam_cases = cases if f == "total" else by_fam[f]
        cells = []
        for p in shown:
            r = runs[p.name]
            if not r.ran:
                cells.append("<td class=\"none\">not run</td>")
                continue
            if not r.present:
                cells.append("<td class=\"none\">not present</td>")
                continue
            t = tally(r, fam_cases)
            kind = "ok" if t.ok else ("fail" if t.total else "none")
            worst = "" if t.worst_rel is None or not t.total else \
                f" <span class=\"rel\">{esc(fmt_rel(t.worst_rel))}</span>"
            cells.append(f"<td class=\"num {kind}\">{t.passed}/{t.failed}/{t.missing}{worst}</td>")
        label = f"<b>{esc(f)}</b>" if f == "total" else esc(f)
        rows.append(f"<tr><td>{label}</td>{''.join(cells)}</tr>")
    return ("<h2>Conformance matrix</h2>\n<p class=\"note\">Ports &times; op families, "
            "passed/failed/missing and the worst relative error over every case of "
            "shared_tests/cases "
            "(as <code>scripts/conformance</code> prints it).</p>\n"
            f"<table>{head}{''.join(rows)}</table>")


def index_page(scan: Scan, ports: list[Port], runs: dict[str, PortRun] | None,
               cases: list[Case], stamp: str) -> str:
    """Every concept by chapter, one status badge per port, and the filter box."""
    head = ("<tr><th scope=\"col\">concept</th><th scope=\"col\">book</th>"
            "<th scope=\"col\">cases</th><th scope=\"col\">languages marked</th>"
            "<th scope=\"col\">status</th></tr>")
    rows = []
    for c in CONCEPTS:
        mine = cases_of(c, cases)
        marked = [lang.title for lang in LANGUAGES if scan.of(c.name, lang.key)]
        badges = " ".join(status_spans(runs, lang, mine) for lang in LANGUAGES) if runs else ""
        book = (c.section or c.chapter) or "-"
        search = " ".join([c.name, c.title, c.chapter, c.section]).lower()
        rows.append(f"<tr data-search=\"{esc(search)}\"><td><a href=\"{c.name}.html\"><b>"
                    f"{esc(c.name)}</b></a><br><span class=\"note\">{esc(c.title)}</span></td>"
                    f"<td class=\"sec\">{esc(book)}</td><td class=\"num\">{len(mine)}</td>"
                    f"<td>{esc(', '.join(marked)) or '-'}</td><td class=\"badges\">{badges}</td></tr>")
    problems = ""
    if scan.problems:
        problems = ("<h2>Marker problems</h2><ul class=\"problems mono\">"
                    + "".join(f"<li>{esc(p)}</li>" for p in scan.problems) + "</ul>")
    status = "" if runs else \
        "<p class=\"note\">Conformance status not computed (--no-status).</p>"
    body = ("<h1>dlscratch <small>the book's concepts in Python, Ruby, Lua and Haskell</small></h1>\n"
            "<p class=\"meta\">Each concept page shows one concept's code in the four languages "
            "side by side, aligned by part and cut from the real sources by region markers "
            "(shared_tests/README.md section 10), with the book's formula, each port's "
            "passed/total for the conformance cases it covers and the cases themselves. Each "
            "language page reads one port like a book.</p>\n"
            "<label for=\"filter\">Filter concepts</label> "
            "<input id=\"filter\" type=\"search\" placeholder=\"name, title or section\"> "
            f"<span class=\"note\"><span id=\"shown\">{len(CONCEPTS)}</span> shown</span>\n"
            f"<table class=\"index\">{head}{''.join(rows)}</table>\n{problems}\n{status}\n"
            f"<footer>{esc(stamp)}</footer>")
    return page("dlscratch", body, current="index.html", script=site_pages.FILTER_JS)


def conformance_page(ports: list[Port], runs: dict[str, PortRun] | None, cases: list[Case],
                     stamp: str) -> str:
    matrix = matrix_html(ports, runs, cases) if runs else \
        "<h2>Conformance matrix</h2><p class=\"note\">Conformance status not computed (--no-status).</p>"
    return page("conformance - dlscratch", f"{matrix}\n<footer>{esc(stamp)}</footer>",
                current="conformance.html")


def stamp_of(root: Path) -> str:
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"Written by scripts/compare --html at {when}" + (f" from commit {commit}" if commit
                                                              else "") + "."


def write_site(out_dir: Path, scan: Scan, cases: list[Case], ports: list[Port],
               runs: dict[str, PortRun] | None, root: Path | None = None) -> Path:
    """Every page of the site (site_pages' docstring lists them) into out_dir."""
    root = root or Path(__file__).resolve().parents[2]
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = stamp_of(root)
    site_pages.copy_katex_assets(out_dir)
    tex = [(c.name, f) for c in CONCEPTS for f in c.formula]
    formulas: dict[str, list[str]] = {}
    for (name, _), out in zip(tex, site_pages.typeset([f for _, f in tex])):
        formulas.setdefault(name, []).append(out)
    for k, concept in enumerate(CONCEPTS):
        (out_dir / f"{concept.name}.html").write_text(
            concept_page(k, scan, runs, cases, stamp, formulas), encoding="utf-8")
    for lang in LANGUAGES:
        body = site_pages.language_body(lang, scan, root, runs, cases, code_html, status_spans)
        (out_dir / f"lang-{lang.key}.html").write_text(
            page(f"{lang.title} - dlscratch", body + f"\n<footer>{esc(stamp)}</footer>",
                 pygments_css(), current=f"lang-{lang.key}.html"), encoding="utf-8")
    (out_dir / "conformance.html").write_text(conformance_page(ports, runs, cases, stamp),
                                              encoding="utf-8")
    for name, title, body in (
            ("bench.html", "benchmarks", site_pages.bench_body(root, out_dir)),
            ("training.html", "training", site_pages.training_body(root, out_dir)),
            ("gallery.html", "figures", site_pages.gallery_body(root, out_dir))):
        (out_dir / name).write_text(page(f"{title} - dlscratch", body + f"\n<footer>{esc(stamp)}</footer>",
                                         current=name), encoding="utf-8")
    (out_dir / "src").mkdir(exist_ok=True)
    for name, (file, body) in site_pages.source_pages(root, scan, line_html).items():
        (out_dir / name).write_text(page(f"{file} - dlscratch", body, pygments_css(), prefix="../"),
                                    encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(index_page(scan, ports, runs, cases, stamp), encoding="utf-8")
    return index
