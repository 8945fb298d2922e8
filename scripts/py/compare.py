"""scripts/compare: one concept of the book in Python, Ruby, Lua and Haskell side by side.

The code shown is cut from the real source files by region markers, never guessed:

    # region: affine          (Python, Ruby)        -- region: affine      (Lua, Haskell)
    ...                                             ...
    # endregion                                     -- endregion

Inside a region, part markers (`# part: forward`, `-- part: forward`) cut the code into its
ideas; the view is a grid aligned by part, one row per part in Python's order, one column per
language (--lang chooses them). No marker line is ever shown.

A concept may be marked more than once in a language (several fragments, shown in file and
line order). Each concept names the conformance cases it covers (its ops, see CONCEPTS), and
the header of each column gives that port's passed/failed/missing counts for those cases,
obtained by running just those cases through the port's runner with the harness.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Callable

from harness import REPO_ROOT as ROOT
from harness.cases import Case, CaseFormatError, load_cases
from harness.ports import Port, load_ports

from concepts import CONCEPT_BY_NAME, CONCEPTS, LANG_BY_KEY, LANGUAGES, Language, cases_of
from layout import MIN_COLUMN, Style, render_concept, render_list
from markers import scan_sources
from status import PortRun, port_language, run_status, status_from_json

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
            inside a region, '# part: NAME' / '-- part: NAME' starts a part (forward,
            backward, update, ...): the languages are aligned part by part.
            scanned: python/dlscratch/*.py, ruby/lib/**/*.rb, lua/dlscratch/*.lua,
            haskell/src/**/*.hs. See shared_tests/README.md section 10.

            examples:
              scripts/compare affine
              scripts/compare adam --width 100 --no-status
              scripts/compare affine --lang python,lua --width 120
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
    p.add_argument("--lang", metavar="KEYS",
                   help="the columns to show, comma-separated, in this order (default: "
                        + ",".join(lang.key for lang in LANGUAGES) + ")")
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


def parse_languages(text: str | None) -> tuple[Language, ...]:
    """--lang python,haskell: the languages of those keys, in that order (ValueError: a key
    that is not one, or none at all)."""
    if text is None:
        return LANGUAGES
    keys = [k.strip().lower() for k in text.split(",")]
    if not all(keys):
        raise ValueError(f"--lang {text!r}: an empty language key; give comma-separated keys "
                         f"among {', '.join(LANG_BY_KEY)}")
    unknown = [k for k in keys if k not in LANG_BY_KEY]
    if unknown:
        raise ValueError(f"--lang: unknown language {', '.join(map(repr, unknown))}; the "
                         f"languages are {', '.join(LANG_BY_KEY)}")
    return tuple(LANG_BY_KEY[k] for k in dict.fromkeys(keys))


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
        languages = parse_languages(opt.lang)
    except ValueError as exc:
        print(f"scripts/compare: {exc}", file=sys.stderr)
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
        try:
            index = compare_html.write_site(Path(opt.html), scan, cases, ports, runs, root)
        except (OSError, ValueError) as exc:   # DIR not writable, KaTeX missing or failing
            print(f"scripts/compare: --html {opt.html}: {exc}", file=sys.stderr)
            return 2
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
                         color, not opt.no_line_numbers, languages))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:   # `scripts/compare affine | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)

