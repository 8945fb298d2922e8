"""Case files: loading, validation, and the request line of a case (see README section 6)."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import CASES_DIR, DEFAULT_ATOL, DEFAULT_RTOL, ERROR_TYPES, REPO_ROOT, family_of
from .jsonio import decode_numbers, dumps, loads_strict

SOURCES = ("book", "derived", "reference")
CASE_KEYS = {"id", "op", "args", "raw", "expect", "tol", "source", "note", "tier"}
#: core: a valid request and its numbers; strict: an error type or a transport edge case.
TIERS = ("core", "strict")


class CaseFormatError(ValueError):
    """A case line that does not follow README section 6."""


@dataclass(frozen=True)
class Case:
    id: str
    op: str | None                 # None for a raw case
    args: dict[str, Any] | None    # as written in the file (strings for non-finite numbers)
    raw: str | None                # the verbatim request line of a raw case
    expect: dict[str, Any]         # decoded: "NaN" etc. are floats
    rtol: float
    atol: float
    source: str
    file: str
    line: int
    note: str = field(default="", compare=False)
    tier_given: str | None = field(default=None, compare=False)

    @property
    def tier(self) -> str:
        """The case's tier: as given, else core for an ok-case (a valid request and its
        numbers) and strict for a case that must be refused (error types, transport edges)."""
        if self.tier_given is not None:
            return self.tier_given
        return "core" if self.expected_error is None else "strict"

    @property
    def family(self) -> str:
        return family_of(self.op)

    @property
    def expected_error(self) -> str | None:
        """The error type the case must be refused with, or None for an ok-case."""
        return self.expect.get("error") if set(self.expect) == {"error"} else None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def request_line(self, root: Path = REPO_ROOT) -> str:
        """The line sent to a runner (no trailing newline)."""
        if self.raw is not None:
            return self.raw
        args = resolve_paths(self.op, self.args or {}, root)
        return dumps({"id": self.id, "op": self.op, "args": args})

    def answer_id(self) -> str | None:
        """The id the answer must carry: the case id, or for a raw line its string id or null."""
        return self.id if self.raw is None else answer_id_of(self.raw)


def answer_id_of(raw: str) -> str | None:
    """The id the answer to a verbatim request line must carry: its string id, or null when the
    line is not JSON, not an object, without a string id, or not Unicode text."""
    try:
        obj = loads_strict(raw)    # a line with a bare NaN/Infinity is not JSON
    except (ValueError, RecursionError):
        return None
    try:
        # an unpaired surrogate escape anywhere: the line is not Unicode text, its id null
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError):
        return None
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return obj["id"]
    return None


def resolve_paths(op: str | None, args: dict[str, Any], root: Path = REPO_ROOT) -> dict[str, Any]:
    """Paths in case files (the arguments of kind path: data.idx, model.evaluate) are relative to the
    repository root: make them absolute."""
    from .schema import load_schema
    spec = load_schema()["ops"].get(op or "", {})
    names = [a["name"] for a in spec.get("args", []) if a["kind"] == "path"]
    if not isinstance(args, dict) or not any(isinstance(args.get(n), str) and not os.path.isabs(args[n]) for n in names):
        return args
    return {k: (str(root / v) if k in names and isinstance(v, str) and not os.path.isabs(v) else v) for k, v in args.items()}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def parse_case(obj: Any, file: str, line: int) -> Case:
    """Validate one decoded case line and build a Case; CaseFormatError says what is wrong."""
    where = f"{file}:{line}"
    if not isinstance(obj, dict):
        raise CaseFormatError(f"{where}: a case is a JSON object")
    unknown = set(obj) - CASE_KEYS
    if unknown:
        raise CaseFormatError(f"{where}: unknown keys {sorted(unknown)}")
    cid = obj.get("id")
    if not isinstance(cid, str) or not cid or any(c.isspace() for c in cid):
        raise CaseFormatError(f"{where}: id must be a non-empty string without spaces")
    raw = obj.get("raw")
    op = obj.get("op")
    args = obj.get("args")
    if raw is not None:
        if op is not None or args is not None:
            raise CaseFormatError(f"{where} ({cid}): a raw case has no op/args")
        if not isinstance(raw, str) or "\n" in raw or not raw.strip(" \t\v\f\r"):
            raise CaseFormatError(f"{where} ({cid}): raw must be one non-blank line")
    else:
        if not isinstance(op, str) or not op:
            raise CaseFormatError(f"{where} ({cid}): op must be a non-empty string")
        if args is None:
            args = {}
        if not isinstance(args, dict):
            raise CaseFormatError(f"{where} ({cid}): args must be an object")
    expect = obj.get("expect")
    if not isinstance(expect, dict) or not expect:
        raise CaseFormatError(f"{where} ({cid}): expect must be a non-empty object")
    if "error" in expect:
        if set(expect) != {"error"} or expect["error"] not in ERROR_TYPES:
            raise CaseFormatError(
                f"{where} ({cid}): an error expectation is exactly {{\"error\": one of {ERROR_TYPES}}}")
    elif raw is not None:
        raise CaseFormatError(f"{where} ({cid}): a raw case must expect an error")
    tol = obj.get("tol", {})
    if not isinstance(tol, dict) or set(tol) - {"rtol", "atol"}:
        raise CaseFormatError(f"{where} ({cid}): tol is {{\"rtol\", \"atol\"}}")
    rtol = tol.get("rtol", DEFAULT_RTOL)
    atol = tol.get("atol", DEFAULT_ATOL)
    if not (_is_number(rtol) and _is_number(atol) and rtol >= 0 and atol >= 0):
        raise CaseFormatError(f"{where} ({cid}): rtol and atol must be numbers >= 0")
    source = obj.get("source")
    if source not in SOURCES:
        raise CaseFormatError(f"{where} ({cid}): source must be one of {SOURCES}")
    note = obj.get("note", "")
    if not isinstance(note, str):
        raise CaseFormatError(f"{where} ({cid}): note must be a string")
    tier = obj.get("tier")
    if tier is not None and tier not in TIERS:
        raise CaseFormatError(f"{where} ({cid}): tier must be one of {TIERS}")
    return Case(id=cid, op=op if raw is None else None, args=args if raw is None else None,
                raw=raw, expect=decode_numbers(expect), rtol=float(rtol), atol=float(atol),
                source=source, file=file, line=line, note=note, tier_given=tier)


def load_file(path: Path | str) -> list[Case]:
    """All cases of one .jsonl file (blank lines skipped); CaseFormatError on a bad line."""
    path = Path(path)
    cases: list[Case] = []
    name = path.name if path.parent == CASES_DIR else str(path)
    with open(path, encoding="utf-8") as fh:
        for lineno, text in enumerate(fh, 1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text)
            except ValueError as exc:
                raise CaseFormatError(f"{name}:{lineno}: not JSON: {exc}") from None
            cases.append(parse_case(obj, name, lineno))
    return cases


def case_files(directory: Path = CASES_DIR) -> list[Path]:
    return sorted(directory.glob("*.jsonl"))


def load_cases(extra: Iterable[Path | str] = (), directory: Path = CASES_DIR,
               include_default: bool = True) -> list[Case]:
    """Every case of cases/*.jsonl (unless include_default is False) plus extra files.

    Ids must be unique over everything loaded (CaseFormatError otherwise).
    """
    files: list[Path] = case_files(directory) if include_default else []
    files += [Path(p) for p in extra]
    cases: list[Case] = []
    seen: dict[str, str] = {}
    for f in files:
        for c in load_file(f):
            if c.id in seen:
                raise CaseFormatError(f"{c.where}: id {c.id!r} already used at {seen[c.id]}")
            seen[c.id] = c.where
            cases.append(c)
    return cases
