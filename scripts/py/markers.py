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

# The parts a region may be cut into ("# part: NAME" / "-- part: NAME"), in the order they
# usually come; the rows of the aligned view follow the order of Python's parts.
PARTS: dict[str, str] = {
    "head": "what comes before the first part: the class line, its formula comment, types",
    "init": "the constructor, the parameters' initialisation or the optimizer's state",
    "layers": "the network's layers built from its parameters",
    "forward": "the forward pass",
    "backward": "the backward pass",
    "update": "the update rule of an optimizer",
    "state": "what a checkpoint keeps of it: state_dict and load_state_dict",
    "predict": "a network's prediction (the layers' forwards)",
    "loss": "a network's loss",
    "accuracy": "a network's accuracy",
    "gradient": "the gradients by backpropagation",
    "numerical_gradient": "the gradients by central differences",
    "step": "one training step",
    "epoch": "the end of an epoch: evaluation and records",
    "train": "the training loop",
    "save": "writing a checkpoint or parameters",
    "load": "reading a checkpoint or parameters back",
    "helper": "a helper only this concept uses",
}
HEAD = "head"


@dataclass
class Fragment:
    concept: str
    lang: str
    path: str        # relative to the repository root
    start: int       # first shown line (1-based)
    end: int         # last shown line
    lines: list[str]  # the code, tabs expanded, common indentation removed, no marker lines
    numbers: list[int] = field(default_factory=list)   # the file line of each of `lines`
    # (part name, first index, end index) into `lines`, in order; "head" for the code before
    # the region's first part marker (the whole region when it has none)
    parts: list[tuple[str, int, int]] = field(default_factory=list)

    def part_lines(self, name: str) -> list[tuple[int, str]]:
        """The (file line, text) pairs of one part; [] when the fragment lacks it."""
        return [(self.numbers[i], self.lines[i]) for part, a, b in self.parts if part == name
                for i in range(a, b)]

    @property
    def part_names(self) -> list[str]:
        return [part for part, _, _ in self.parts]

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


@dataclass(frozen=True)
class Patterns:
    opening: re.Pattern[str]
    closing: re.Pattern[str]
    part: re.Pattern[str]
    loose: re.Pattern[str]          # a near-miss region marker
    loose_part: re.Pattern[str]     # a near-miss part marker


def marker_patterns(comment: str) -> Patterns:
    c = re.escape(comment)
    opening = re.compile(rf"^\s*{c}\s*region:\s*({NAME_RE})\s*$")
    closing = re.compile(rf"^\s*{c}\s*endregion(?::\s*({NAME_RE}))?\s*$")
    part = re.compile(rf"^\s*{c}\s*part:\s*({NAME_RE})\s*$")
    # A comment that is nothing but a near-miss marker ("# region affine", "#Region: Affine",
    # "-- end region", "# part forward", "# Part: Forward") is reported, not skipped; prose
    # that starts with "region" or "part" is not.
    loose = re.compile(rf"^\s*{c}\s*(end\s*)?region\b\s*:?\s*[\w-]*\s*$", re.IGNORECASE)
    loose_part = re.compile(rf"^\s*{c}\s*parts?\b\s*:?\s*[\w-]*\s*$", re.IGNORECASE)
    return Patterns(opening, closing, part, loose, loose_part)


@dataclass
class _Open:
    """A region being read: its name, the line of its marker and its part markers."""
    name: str
    first: int
    parts: list[tuple[str, int]] = field(default_factory=list)   # (part, line of the marker)


def scan_file(path: Path, rel: str, lang: Language, scan: Scan) -> None:
    pat = marker_patterns(lang.comment)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        scan.problems.append(f"{rel}: cannot read: {exc}")
        return
    lines = text.splitlines()
    hidden: set[int] = set()          # marker lines (and near misses): never shown
    stack: list[_Open] = []           # open regions, innermost last
    closed: list[tuple[_Open, int]] = []
    for no, line in enumerate(lines, 1):
        m = pat.opening.match(line)
        if m:
            hidden.add(no)
            stack.append(_Open(m.group(1), no))
            continue
        m = pat.closing.match(line)
        if m:
            hidden.add(no)
            if not stack:
                scan.problems.append(f"{rel}:{no}: endregion without an open region")
                continue
            region = stack.pop()
            if m.group(1) and m.group(1) != region.name:
                scan.problems.append(f"{rel}:{no}: 'endregion: {m.group(1)}' closes region "
                                     f"'{region.name}' opened at line {region.first}")
            closed.append((region, no))
            continue
        m = pat.part.match(line)
        if m:
            hidden.add(no)
            _add_part(scan, rel, no, m.group(1), stack)
            continue
        if pat.loose.match(line):
            hidden.add(no)
            scan.problems.append(f"{rel}:{no}: not a marker: {line.strip()!r} (write "
                                 f"'{lang.comment} region: NAME' or '{lang.comment} endregion')")
        elif pat.loose_part.match(line):
            hidden.add(no)
            scan.problems.append(f"{rel}:{no}: not a part marker: {line.strip()!r} (write "
                                 f"'{lang.comment} part: NAME')")
    for region in stack:
        scan.problems.append(f"{rel}:{region.first}: region '{region.name}' is never closed")
    # In file order, whatever the nesting.
    for region, last in sorted(closed, key=lambda rl: rl[0].first):
        _add_fragment(scan, lang, rel, region, last, lines, hidden)


def _add_part(scan: Scan, rel: str, no: int, name: str, stack: list[_Open]) -> None:
    """Record a part marker in the innermost open region, or report it."""
    if not stack:
        scan.problems.append(f"{rel}:{no}: part marker '{name}' outside a region")
        return
    region = stack[-1]
    if name not in PARTS:
        close = difflib.get_close_matches(name, PARTS, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        scan.problems.append(f"{rel}:{no}: unknown part '{name}'{hint}; the parts are "
                             + ", ".join(PARTS))
        return
    earlier = [n for part, n in region.parts if part == name]
    if earlier or (name == HEAD and region.parts):
        where = f" (already at line {earlier[0]})" if earlier else " (it must come first)"
        scan.problems.append(f"{rel}:{no}: part '{name}' twice in region '{region.name}'{where}"
                             if earlier else
                             f"{rel}:{no}: part '{HEAD}' after other parts in region "
                             f"'{region.name}'{where}")
        return
    region.parts.append((name, no))


def _add_fragment(scan: Scan, lang: Language, rel: str, region: _Open, last: int,
                  lines: list[str], hidden: set[int]) -> None:
    name, first = region.name, region.first
    if name not in CONCEPT_BY_NAME:
        close = difflib.get_close_matches(name, CONCEPT_BY_NAME, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        scan.problems.append(f"{rel}:{first}: unknown concept '{name}'{hint}; "
                             "see scripts/compare --list")
    # The lines between the two markers without any marker line (nested regions' and parts'),
    # each assigned to the part whose marker is the last one above it.
    numbers = [n for n in range(first + 1, last) if n not in hidden]
    while numbers and not lines[numbers[0] - 1].strip():
        numbers.pop(0)
    while numbers and not lines[numbers[-1] - 1].strip():
        numbers.pop()
    if not numbers:
        scan.problems.append(f"{rel}:{first}: region '{name}' is empty")
        return
    body = [lines[n - 1].expandtabs(4).rstrip() for n in numbers]
    body = textwrap.dedent("\n".join(body)).split("\n")
    owner = []
    for n in numbers:
        above = [part for part, at in region.parts if at < n]
        owner.append(above[-1] if above else HEAD)
    parts: list[tuple[str, int, int]] = []
    i = 0
    while i < len(numbers):
        j = i
        while j < len(numbers) and owner[j] == owner[i]:
            j += 1
        a, b = i, j                      # without the blank lines at the part's edges
        while a < b and not body[a].strip():
            a += 1
        while b > a and not body[b - 1].strip():
            b -= 1
        if b > a:
            parts.append((owner[i], a, b))
        i = j
    scan.fragments.setdefault(name, {}).setdefault(lang.key, []).append(
        Fragment(name, lang.key, rel, numbers[0], numbers[-1], body, numbers, parts))


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


