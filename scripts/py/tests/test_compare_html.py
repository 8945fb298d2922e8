"""scripts/compare --html: the static site, checked as files and loaded in headless Chromium."""

from __future__ import annotations

import html.parser
import os
import re
import subprocess
from pathlib import Path

import pytest

import compare
import concepts
import markers
from concepts import CONCEPTS
from conftest import REPO

CHROMIUM = "/usr/bin/chromium"


def write_site(root: Path, out: Path, *extra: str) -> Path:
    msgs: list[str] = []
    code = compare.main(["--html", str(out), "--root", str(root), "--timeout", "20", *extra],
                        out=msgs.append)
    assert code == 0, msgs
    return out


class Page(html.parser.HTMLParser):
    """What the tests look at in a page: its links, scripts and the code columns."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: list[str] = []
        self.columns: list[dict] = []          # {"lang", "pre", "text"}
        self._in_column = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self.refs += [a[k] for k in ("href", "src") if a.get(k)]
        if tag == "section" and "impl" in (a.get("class") or "").split():
            self.columns.append({"lang": a.get("data-lang"), "pre": 0, "text": ""})
            self._in_column = 1
        elif self._in_column:
            if tag == "section":
                self._in_column += 1
            if tag == "pre":
                self.columns[-1]["pre"] += 1

    def handle_endtag(self, tag):
        if self._in_column and tag == "section":
            self._in_column -= 1

    def handle_data(self, data):
        if self._in_column:
            self.columns[-1]["text"] += data


SITE_PAGES = {"index.html", "conformance.html", "bench.html", "training.html", "gallery.html"}


def check_static(site: Path) -> None:
    """Every page: the site's pages, nothing to fetch from outside the site, every link and
    every stylesheet, image or icon a file of the site, a script only inline (allowed by hash)."""
    pages = sorted(p for p in site.glob("*.html"))
    assert {p.name for p in pages} == SITE_PAGES | {f"{c.name}.html" for c in CONCEPTS} \
        | {f"lang-{lang.key}.html" for lang in concepts.LANGUAGES}
    for p in pages + sorted(site.glob("src/*.html")):
        text = p.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in text and "default-src 'none'" in text
        page = Page(text)
        assert not {"iframe", "object", "embed"} & set(page.tags), p.name
        assert ("script" in page.tags) == (p.name == "index.html"), p.name
        assert "<script src" not in text, p.name
        for ref in page.refs:
            assert "://" not in ref and not ref.startswith("//"), (p.name, ref)
            target = ref.split("#")[0]
            assert not target or (p.parent / target).is_file(), (p.name, ref)


def test_site_of_four_marked_ports(fake_repo, tmp_path):
    site = write_site(fake_repo, tmp_path / "site")
    check_static(site)
    page = Page((site / "affine.html").read_text(encoding="utf-8"))
    assert [c["lang"] for c in page.columns] == ["python", "ruby", "lua", "haskell"]
    assert all(c["pre"] == 1 for c in page.columns)
    text = [re.sub(r"\s+", " ", c["text"]) for c in page.columns]
    assert "python/dlscratch/layers.py:14-18" in text[0] and "class Affine" in text[0]
    assert "python: 2/2 passed" in text[0]
    assert "ruby: 0/2 passed (2 failed)" in text[1]
    assert "lua: 0/2 passed (2 missing)" in text[2]
    assert "haskell: not present" in text[3] and "affineForward" in text[3]
    raw = (site / "affine.html").read_text(encoding="utf-8")
    assert 'class="status ok"' in raw and 'class="status fail"' in raw
    assert "t/affine/1" in raw               # the cases that did not pass are listed


def test_not_marked_column_and_index(fake_repo, tmp_path):
    site = write_site(fake_repo, tmp_path / "site", "--no-status")
    page = Page((site / "relu_layer.html").read_text(encoding="utf-8"))
    assert len(page.columns) == 4
    assert page.columns[2]["pre"] == 0 and "(not marked)" in page.columns[2]["text"]
    assert "-- region: relu_layer" in page.columns[2]["text"]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{c.name}.html"' in index for c in CONCEPTS)
    assert "not computed" in index


def test_index_has_the_conformance_matrix(fake_repo, tmp_path):
    site = write_site(fake_repo, tmp_path / "site")
    index = (site / "conformance.html").read_text(encoding="utf-8")
    matrix = index[index.index("Conformance matrix"):]
    # ports x families: layer (relu 1 + affine 2) and optimizer (2 cases)
    rel = r'(?: <span class="rel">([^<]*)</span>)?'
    m = re.search(rf'<td>layer</td><td class="num ok">3/0/0{rel}</td>'
                  rf'<td class="num fail">1/2/0{rel}</td><td class="num fail">1/0/2{rel}</td>'
                  r'<td class="none">not present</td>', matrix)
    assert m, matrix
    assert m.group(1) == "0" and m.group(2) == "1e+00"    # ruby answers twice the value


def test_site_of_the_real_repository(tmp_path):
    site = write_site(REPO, tmp_path / "site", "--port", "python")
    check_static(site)
    page = Page((site / "affine.html").read_text(encoding="utf-8"))
    assert [c["lang"] for c in page.columns] == ["python", "ruby", "lua", "haskell"]
    assert page.columns[0]["pre"] == 1 and "class Affine" in page.columns[0]["text"]
    assert "python:" in page.columns[0]["text"] and "passed" in page.columns[0]["text"]


# --- headless Chromium -----------------------------------------------------------------------


def chromium(url: str, profile: Path) -> tuple[str, str]:
    """Load a page; its DOM after load (stdout) and Chromium's log (stderr)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
           "--window-size=1600,1000", "--virtual-time-budget=2000", "--dump-dom", url]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "HOME": str(profile)})
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout, res.stderr


# Chromium writes every message of a page's console (console.error, uncaught exceptions,
# Content-Security-Policy violations, i.e. any attempt to fetch something) to the log as
# `...:INFO:CONSOLE:12] "message", source: URL (12)` (older versions: `CONSOLE(12)`), whatever
# the level. The pages have no script at all, so the page is clean only when there is no such
# line. Failed loads of local files are not logged, so check_static checks every link instead.
# The canary page below proves that this detector sees errors in this Chromium version: if the
# log format changes, the test fails instead of passing blindly.
CONSOLE_LINE = re.compile(r":CONSOLE[:(]\d*\)?\]\s*(.*)")


def console_messages(log: str) -> list[str]:
    return [m.group(1) for m in map(CONSOLE_LINE.search, log.splitlines()) if m]


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK),
                    reason="chromium is not installed (Debian package chromium; "
                           "scripts/setup.d/50-compare.sh installs it)")
def test_pages_load_in_headless_chromium(fake_repo, tmp_path):
    canary = tmp_path / "canary.html"
    canary.write_text("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"
                      "<script>console.error('canary-error'); undefinedCanary();</script>"
                      "</body></html>", encoding="utf-8")
    _, log = chromium(canary.as_uri(), tmp_path / "profile")
    seen = console_messages(log)
    assert any("canary-error" in m for m in seen) and any("undefinedCanary" in m for m in seen), \
        "the console detector does not see a page's errors:\n" + log[-3000:]

    for root, name in ((fake_repo, "fake"), (REPO, "real")):
        site = write_site(root, tmp_path / name, *(["--port", "python"] if name == "real" else []))
        for page_name in ("affine.html", "index.html"):
            dom, log = chromium((site / page_name).as_uri(), tmp_path / "profile")
            assert console_messages(log) == [], f"{name} {page_name}:\n{log[-3000:]}"
            if page_name == "index.html":
                assert dom.count('<tr data-search=') == len(CONCEPTS)
                continue
            page = Page(dom)
            assert [c["lang"] for c in page.columns] == ["python", "ruby", "lua", "haskell"]
            if name == "fake":     # every port marks affine: four columns of code
                assert [c["pre"] for c in page.columns] == [1, 1, 1, 1]
            else:
                assert page.columns[0]["pre"] == 1


def test_plain_code_without_pygments(fake_repo, monkeypatch):
    import compare_html
    monkeypatch.setattr(compare_html, "highlight", None)
    (frag,) = markers.scan_sources(fake_repo).of("affine", "haskell")
    out = compare_html.code_html(frag, concepts.LANG_BY_KEY["haskell"])
    assert out.startswith('<div class="hl"><pre tabindex="0"><span class="linenos"> 9 </span>affineForward ::')
    assert "x &lt;&gt; w" in out
    assert compare_html.pygments_css() == ""


def test_site_matrix_has_the_figures_of_scripts_conformance(tmp_path):
    """One computation for both: every cell of the site's matrix is the cell that
    scripts/conformance prints (passed/failed/missing and the worst relative error)."""
    from harness.cases import load_cases
    from harness.conformance import family_order, fmt_rel, summarize
    from harness.ports import load_ports
    from harness.run import run_port

    cases = load_cases([], include_default=True)
    cli = summarize(run_port(load_ports()["python"], cases, 30))
    site = write_site(REPO, tmp_path / "site", "--port", "python")
    matrix = (site / "conformance.html").read_text(encoding="utf-8").split("Conformance matrix", 1)[1]
    for fam in family_order(cases):
        c = cli[fam]
        want = f"{c['passed']}/{c['failed']}/{c['missing']}"
        m = re.search(rf'<td>{re.escape(fam)}</td><td class="num \w+">([^<]*)(?: <span class="rel">([^<]*)</span>)?</td>',
                      matrix)
        assert m, f"no cell for {fam}"
        assert (m.group(1), m.group(2)) == (want, fmt_rel(c["worst_rel"])), fam


def test_site_into_a_file_is_one_error_line(fake_repo, tmp_path, capsys):
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory", encoding="utf-8")
    code = compare.main(["--html", str(blocker), "--root", str(fake_repo), "--no-status"],
                        out=lambda s: None)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"scripts/compare: --html {blocker}: ")
