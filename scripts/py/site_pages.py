"""scripts/site DIR: the pages of the site beyond the concept pages of compare_html.

The site is static and self-contained (its Content-Security-Policy loads nothing from outside
DIR): KaTeX's stylesheet and fonts are copied into DIR/assets/katex and the formulas are
typeset when the site is written (scripts/js/katex-render.js), so a page needs no script but
the index's filter box. Pages: index.html (concepts by chapter, a filter box), one page per
concept (compare_html), lang-KEY.html (a port read like a book), conformance.html (the matrix
of scripts/conformance), bench.html, training.html and gallery.html (from docs/), and
src/FILE.html (every marked source file, with a #L<n> anchor on every line).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Callable

from concepts import CONCEPTS, LANGUAGES, Language, cases_of
from markers import Fragment, Scan
from status import PortRun
from harness.cases import Case

JS_DIR = Path(__file__).resolve().parents[1] / "js"

# The index's filter box: rows whose name, title or chapter do not contain the query hide.
FILTER_JS = (
    "const q=document.getElementById('filter');"
    "q.addEventListener('input',()=>{const v=q.value.trim().toLowerCase();let n=0;"
    "for(const r of document.querySelectorAll('tr[data-search]')){"
    "const hit=r.dataset.search.includes(v);r.hidden=!hit;if(hit)n++;}"
    "document.getElementById('shown').textContent=n;});"
)

# The site's icon: four squares, one per language.
ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
        '<rect width="7" height="7" fill="#3572a5"/><rect x="9" width="7" height="7" fill="#cc342d"/>'
        '<rect y="9" width="7" height="7" fill="#000080"/><rect x="9" y="9" width="7" height="7" '
        'fill="#5e5086"/></svg>\n')

PAGES = (("index.html", "concepts"), ("lang-python.html", "languages"),
         ("conformance.html", "conformance"), ("bench.html", "benchmarks"),
         ("training.html", "training"), ("gallery.html", "figures"))


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def script_hash(js: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(js.encode()).digest()).decode()


def csp(script: str = "") -> str:
    policy = ("default-src 'none'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
              "img-src 'self'")
    return policy + (f"; script-src '{script_hash(script)}'" if script else "")


def nav_html(current: str, prefix: str = "") -> str:
    links = []
    for href, label in PAGES:
        if href == "lang-python.html":
            links.append("languages: " + " ".join(
                f"<a href=\"{prefix}lang-{lang.key}.html\""
                + (" aria-current=\"page\"" if current == f"lang-{lang.key}.html" else "")
                + f">{esc(lang.title)}</a>" for lang in LANGUAGES))
            continue
        cur = " aria-current=\"page\"" if href == current else ""
        links.append(f"<a href=\"{prefix}{href}\"{cur}>{esc(label)}</a>")
    return "<nav class=\"top\" aria-label=\"site\">" + " &middot; ".join(links) + "</nav>"


# --- formulas --------------------------------------------------------------------------------


def typeset(formulas: list[str]) -> list[str]:
    """The KaTeX HTML of each formula (one node process for all of them)."""
    if not formulas:
        return []
    res = subprocess.run(["node", str(JS_DIR / "katex-render.js")], input=json.dumps(formulas),
                         capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise ValueError(res.stderr.strip() or f"katex-render exited {res.returncode}")
    out = json.loads(res.stdout)
    assert len(out) == len(formulas)
    return out


def copy_katex_assets(out_dir: Path) -> None:
    dist = JS_DIR / "node_modules" / "katex" / "dist"
    if not (dist / "katex.min.css").is_file():
        raise OSError(f"{dist}/katex.min.css is missing: run scripts/setup (npm ci in scripts/js)")
    (out_dir / "assets").mkdir(parents=True, exist_ok=True)
    (out_dir / "assets" / "icon.svg").write_text(ICON, encoding="utf-8")
    dest = out_dir / "assets" / "katex"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dist / "katex.min.css", dest / "katex.min.css")
    fonts = dest / "fonts"
    fonts.mkdir(exist_ok=True)
    for f in (dist / "fonts").glob("*.woff2"):   # every browser of today takes woff2
        shutil.copy2(f, fonts / f.name)


# --- source pages ----------------------------------------------------------------------------


def src_page_name(file: str) -> str:
    return "src/" + file.replace("/", "__") + ".html"


def fragment_link(frag: Fragment, prefix: str = "") -> str:
    first = frag.start
    return (f"<a class=\"loc\" href=\"{prefix}{src_page_name(frag.path)}#L{first}\">"
            f"{esc(frag.where)}</a>")


def source_pages(root: Path, scan: Scan,
                 line_html: Callable[[Fragment, Language], list[str]]) -> dict[str, tuple[str, str]]:
    """One page per marked file (its name -> title and body): its lines numbered, each with
    the anchor L<n> that the fragments' links point to; `line_html` highlights the lines."""
    files = sorted({f.path for c in CONCEPTS for lang in LANGUAGES
                    for f in scan.of(c.name, lang.key)})
    pages = {}
    for file in files:
        lang = next(lg for lg in LANGUAGES if file.startswith(lg.key + "/"))
        lines = (root / file).read_text(encoding="utf-8").expandtabs(8).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        frag = Fragment("", lang.key, file, 1, len(lines), lines, list(range(1, len(lines) + 1)))
        width = len(str(len(lines)))
        rows = "\n".join(f"<span id=\"L{n}\" class=\"srcline\"><span class=\"linenos\">"
                         f"{n:>{width}} </span>{h}</span>"
                         for n, h in zip(frag.numbers, line_html(frag, lang)))
        body = (f"<h1 class=\"mono\">{esc(file)}</h1>\n"
                f"<div class=\"hl\"><pre tabindex=\"0\">{rows}</pre></div>")
        pages[src_page_name(file)] = (file, body)
    return pages


# --- language pages --------------------------------------------------------------------------


def markdown_table(md: str) -> str:
    """A GitHub pipe table as HTML (inline `code` kept, everything else escaped)."""
    rows = [r.strip().strip("|").split(" | ") for r in md.strip().splitlines()
            if r.strip().startswith("|")]
    rows = [[c.strip() for c in r] for r in rows if not re.fullmatch(r"[-| :]*", "|".join(r))]
    if not rows:
        return ""

    def cell(text: str) -> str:
        parts = re.split(r"(`[^`]*`)", text)
        return "".join(f"<code>{esc(p[1:-1])}</code>" if p.startswith("`") else esc(p)
                       for p in parts)
    head = "".join(f"<th scope=\"col\">{cell(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table class=\"names\"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def name_table(root: Path, lang: Language) -> str:
    readme = root / lang.key / "README.md"
    if not readme.is_file():
        return ""
    text = readme.read_text(encoding="utf-8")
    m = re.search(r"^## (Python name[^\n]*)\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m:
        return ""
    table = markdown_table(m.group(2))
    return (f"<section><h2>{esc(m.group(1))}</h2><p class=\"note\">From "
            f"<code>{esc(lang.key)}/README.md</code>.</p>{table}</section>") if table else ""


# --- benchmark, training and figure pages ----------------------------------------------------


def copy_image(root: Path, out_dir: Path, rel: str) -> str | None:
    src = root / rel
    if not src.is_file():
        return None
    dest = out_dir / "img" / src.name
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    return f"img/{src.name}"


def figure(root: Path, out_dir: Path, rel: str, caption: str) -> str:
    href = copy_image(root, out_dir, rel)
    if href is None:
        return f"<p class=\"note\">{esc(rel)} is not there yet.</p>"
    return (f"<figure><img src=\"{href}\" alt=\"{esc(caption)}\">"
            f"<figcaption>{esc(caption)} <span class=\"note\">({esc(rel)})</span>"
            f"</figcaption></figure>")


def bench_table(title: str, net: dict) -> str:
    head = ("<tr><th scope=\"col\">row</th><th scope=\"col\">ms/step</th>"
            "<th scope=\"col\">× reference</th><th scope=\"col\">GFLOP/s</th>"
            "<th scope=\"col\">page faults/step</th><th scope=\"col\">target</th></tr>")
    rows = "".join(
        f"<tr><td>{esc(r['name'])}</td><td class=\"num\">{r['ms_per_step']:.3f}</td>"
        f"<td class=\"num\">{r['ratio']:.2f}</td><td class=\"num\">{r['gflops']:.2f}</td>"
        f"<td class=\"num\">{r['page_faults_per_step']:.1f}</td><td>{esc(r.get('target', ''))}</td></tr>"
        for r in net["rows"])
    what = (f"hidden {net['hidden']}, batch {net['batch']}, "
            f"{net['flops_per_step'] / 1e6:,.1f} MFLOP a step")
    return (f"<h2>{esc(title)}</h2><p class=\"note\">{esc(what)}; the median over repeats, "
            f"wall clock, every row the same step.</p><table>{head}{rows}</table>")


def bench_body(root: Path, out_dir: Path) -> str:
    parts = ["<h1>Benchmarks <small>one training step, equal work in every row</small></h1>",
             "<p class=\"meta\">From <code>scripts/bench</code> (protocol section 9): forward, "
             "loss, the whole backward pass and the update, forced to completion, timed by the "
             "wall clock.</p>"]
    found = False
    for rel, nets in (("docs/bench.json", (("two_layer_net", "TwoLayerNet"),
                                            ("simple_conv_net", "SimpleConvNet"))),
                      ("docs/bench-deep.json", (("deep_conv_net", "DeepConvNet"),))):
        path = root / rel
        if not path.is_file():
            continue
        found = True
        data = json.loads(path.read_text(encoding="utf-8"))
        parts.append(f"<p class=\"note\">{esc(rel)}: {esc(data.get('machine', ''))}, "
                     f"{esc(data.get('date', ''))}.</p>")
        for key, title in nets:
            if key in data:
                parts.append(bench_table(title, data[key]))
    if not found:
        parts.append("<p class=\"note\">No benchmark yet: run <code>scripts/bench</code>.</p>")
    for rel, cap in (("docs/bench.png", "TwoLayerNet step, every port"),
                     ("docs/bench-conv.png", "SimpleConvNet step, every port"),
                     ("docs/bench-deep.png", "DeepConvNet step, every port")):
        if (root / rel).is_file():
            parts.append(figure(root, out_dir, rel, cap))
    return "\n".join(parts)


def training_body(root: Path, out_dir: Path) -> str:
    parts = ["<h1>Training curves <small>the same run in every port</small></h1>",
             "<p class=\"meta\">From <code>scripts/train --all</code> and "
             "<code>bin/train</code>: loss and accuracy per port on Fashion-MNIST.</p>"]
    shown = 0
    for rel, cap in (("docs/train-all.png", "TwoLayerNet: the loss of every port, and its "
                                              "largest relative difference from the reference"),
                     ("docs/train-all-conv.png", "SimpleConvNet, every port"),
                     ("docs/train-all-deep.png", "DeepConvNet, a short run in every port"),
                     ("docs/train-python.png", "TwoLayerNet, the reference's whole run"),
                     ("docs/train-conv-python.png", "SimpleConvNet, the reference's whole run"),
                     ("docs/train-deep-python.png", "DeepConvNet, 5 epochs of the reference")):
        if (root / rel).is_file():
            parts.append(figure(root, out_dir, rel, cap))
            shown += 1
    txt = root / "docs" / "train-all.txt"
    if txt.is_file():
        parts.append(f"<h2>scripts/train --all</h2><pre class=\"box\" tabindex=\"0\">"
                     f"{esc(txt.read_text(encoding='utf-8'))}</pre>")
        shown += 1
    if not shown:
        parts.append("<p class=\"note\">No training run yet: run <code>scripts/train --all</code>.</p>")
    return "\n".join(parts)


def gallery_body(root: Path, out_dir: Path) -> str:
    parts = ["<h1>Figures <small>the book's figures, drawn from every port</small></h1>",
             "<p class=\"meta\">From <code>scripts/figures</code>; a <code>-ports</code> figure "
             "overlays every port's run of the same experiment.</p>"]
    figs = sorted((root / "docs" / "figures").glob("*.png")) if (root / "docs" / "figures").is_dir() else []
    if not figs:
        parts.append("<p class=\"note\">No figures yet: run <code>scripts/figures</code>.</p>")
    parts.append("<div class=\"gallery\">")
    for f in figs:
        name = f.stem.replace("_", " ").replace("-ports", " (every port)")
        parts.append(figure(root, out_dir, f"docs/figures/{f.name}", name))
    parts.append("</div>")
    return "\n".join(parts)


def language_body(lang: Language, scan: Scan, root: Path, runs: dict[str, PortRun] | None,
                  cases: list[Case], code_html: Callable[[Fragment, Language], str],
                  status_spans: Callable[[dict[str, PortRun] | None, Language, list[Case]], str]
                  ) -> str:
    """A port read like a book: its name table, then every concept it marks in the book's
    order, with its status (`status_spans`) and code (`code_html`)."""
    toc, sections = [], []
    for c in CONCEPTS:
        frags = scan.of(c.name, lang.key)
        if not frags:
            continue
        mine = cases_of(c, cases)
        st = status_spans(runs, lang, mine)
        chap = f"chapter {c.chapter}" if c.chapter else "dlscratch's own"
        toc.append(f"<li><a href=\"#{c.name}\">{esc(c.name)}</a></li>")
        code = "".join(f"<p>{fragment_link(f)}</p>{code_html(f, lang)}" for f in frags)
        sections.append(f"<section id=\"{c.name}\" class=\"concept\"><h2><a href=\"{c.name}.html\">"
                        f"{esc(c.name)}</a> <small>{esc(c.title)}</small></h2>"
                        f"<p class=\"meta\">{esc(chap)} &middot; {len(mine)} cases"
                        f"{' &middot; ' + st if st else ''}</p>{code}</section>")
    if not scan.present(lang.key):
        sections.append("<p class=\"note\">This port is not present in this checkout.</p>")
    return (f"<h1>{esc(lang.title)} <small>every concept of the port, in the book's order</small>"
            f"</h1>\n{name_table(root, lang)}\n<nav aria-label=\"concepts\"><ol class=\"toc\">"
            f"{''.join(toc)}</ol></nav>\n" + "\n".join(sections))
