"""scripts/site in a real browser: every page of the real repository's site loaded in headless
Chromium (Playwright) at 1400 and 800 px: no console message, every internal link (and its
#fragment) resolves, the index fits without horizontal scrolling, a concept page's aligned grid
has one row per part, formulas are typeset, and axe-core finds no serious violation."""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

import compare
from conftest import REPO

CHROMIUM = "/usr/bin/chromium"
AXE = REPO / "scripts" / "js" / "node_modules" / "axe-core" / "axe.min.js"
playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK) or not AXE.is_file(),
                                reason="chromium or axe-core missing: run scripts/setup")
WIDTHS = (1400, 800)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):   # no access log in the test output
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    msgs: list[str] = []
    assert compare.main(["--html", str(out), "--port", "python", "--timeout", "60"],
                        out=msgs.append) == 0, msgs
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield out, f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def load(browser, url: str, width: int):
    """The page and every console message, page error and failed request while it loads."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    seen: list[str] = []
    page.on("console", lambda m: seen.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: seen.append(f"error: {e}"))
    # A request the test's own next navigation cancels (net::ERR_ABORTED) is not the page's
    # fault; a missing file is still seen, as a 404 response and its console message.
    page.on("requestfailed", lambda r: r.failure != "net::ERR_ABORTED"
            and seen.append(f"failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and seen.append(f"{r.status}: {r.url}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, seen


def pages_of(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*.html"))


def test_the_console_detector_sees_errors(browser, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=\"en\"><head><title>x</title></head><body>"
                   "<script>console.error('canary'); undefinedCanary();</script>"
                   "<img src=\"missing.png\" alt=\"\"></body></html>", encoding="utf-8")
    page, seen = load(browser, bad.as_uri(), 800)
    assert any("canary" in s for s in seen) and any("undefinedCanary" in s for s in seen), seen
    assert any("missing.png" in s for s in seen), seen
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_loads_clean_and_every_link_resolves(site, browser, width):
    out, base = site
    names = pages_of(out)
    assert {"index.html", "affine.html", "lang-ruby.html", "conformance.html", "bench.html",
            "training.html", "gallery.html"} <= set(names)
    ids: dict[str, set[str]] = {}
    links: list[tuple[str, str]] = []
    page, seen = load(browser, "about:blank", width)     # one tab, every page in turn
    for name in names:
        seen.clear()
        page.goto(base + name, wait_until="load")
        page.wait_for_function("[...document.images].every(i => i.complete)")
        assert seen == [], (name, seen)
        assert page.evaluate("[...document.images].every(i => i.naturalWidth > 0)"), name
        ids[name] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        links += [(name, href) for href in
                  page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")]
    page.close()
    assert len(links) > 1000
    for name, href in links:
        url = urlparse(href)
        assert url.netloc == urlparse(base).netloc, (name, href)       # nothing external
        target = urlparse(urljoin(base, url.path)).path.lstrip("/")
        assert target in ids, (name, href)
        if url.fragment:
            assert url.fragment in ids[target], (name, href)


@pytest.mark.parametrize("width", WIDTHS)
def test_index_fits_and_filters(site, browser, width):
    out, base = site
    page, _ = load(browser, base + "index.html", width)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    rows = page.locator("tr[data-search]")
    total = rows.count()
    assert total == 44
    page.fill("#filter", "affine")
    visible = [r for r in rows.all() if r.is_visible()]
    assert 1 <= len(visible) < total
    assert page.inner_text("#shown") == str(len(visible))
    assert all("affine" in (r.get_attribute("data-search") or "") for r in visible)
    page.close()


def test_concept_page_grid_and_formulas(site, browser):
    out, base = site
    page, _ = load(browser, base + "affine.html", 1400)
    grid = page.locator(".aligned")
    rows = int(grid.get_attribute("data-rows"))
    cells = page.eval_on_selector_all(".aligned > .impl[data-lang='python'] .part",
                                      "els => els.map(e => e.dataset.part)")
    assert cells[:3] == ["head", "init", "forward"] and rows == len(cells) + 1
    # the same part starts on the same line of the screen in every column
    tops = page.evaluate("""() => [...document.querySelectorAll('.aligned > .impl')].map(s =>
        [...s.querySelectorAll('.part')].map(p => Math.round(p.getBoundingClientRect().top)))""")
    assert all(t == tops[0] for t in tops), tops
    # KaTeX's rendering, not raw TeX: the typeset spans and their MathML are there
    assert page.locator(".formula .katex-html").count() == 2
    assert page.locator(".formula math").count() == 2
    text = page.inner_text(".formula")
    assert "\\frac" not in text and "\\partial" not in text
    assert page.evaluate("document.fonts.check('16px KaTeX_Main')")
    page.close()


@pytest.mark.parametrize("name", ["index.html", "affine.html", "lang-haskell.html",
                                  "conformance.html", "bench.html", "gallery.html"])
def test_axe_finds_no_serious_violation(site, browser, name):
    out, base = site
    page, _ = load(browser, base + name, 1400)
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["html"][:120])
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.close()
