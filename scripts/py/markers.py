"""Region markers: the fragments of each concept that the sources mark, and what is wrong with
the markers (shared_tests/README.md section 10)."""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from harness import REPO_ROOT as ROOT

from concepts import CONCEPT_BY_NAME, LANGUAGES, Language


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


