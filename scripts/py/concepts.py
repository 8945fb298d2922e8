"""The concepts of scripts/compare and the languages it reads: each concept of the book is a
region marker name in the sources and the conformance cases it covers, both taken from
shared_tests/ops.json ("concepts", and each op's "concept" or "concept_by")."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from harness.cases import Case
from harness.schema import load_schema

# --- languages -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Language:
    key: str              # also the directory of the port (ports.json "cwd")
    title: str
    globs: tuple[str, ...]  # source files, relative to the repository root
    comment: str          # the line-comment token of the markers
    lexer: str            # the Pygments lexer name


LANGUAGES: tuple[Language, ...] = (
    Language("python", "Python", ("python/dlscratch/*.py",), "#", "python"),
    Language("ruby", "Ruby", ("ruby/lib/**/*.rb",), "#", "ruby"),
    Language("lua", "Lua", ("lua/dlscratch/*.lua",), "--", "lua"),
    Language("haskell", "Haskell", ("haskell/src/**/*.hs",), "--", "haskell"),
)
LANG_BY_KEY = {lang.key: lang for lang in LANGUAGES}



@dataclass(frozen=True)
class Concept:
    name: str
    title: str
    chapter: str                       # of the book ("2".."6"), or "" for the project's own
    ops: tuple[str, ...]               # op names or globs of the conformance cases it covers
    where: tuple[tuple[str, str], ...] = ()   # extra (arg, value) filters on those cases
    note: str = ""
    tested_by: str = ""                # a harness test instead of cases (a command's behaviour, no op)
    section: str = ""                  # of the book, "5.6.2"
    formula: tuple[str, ...] = ()      # TeX, typeset by KaTeX on the site

    def covers(self, case: Case) -> bool:
        if case.op is None or not any(fnmatch.fnmatchcase(case.op, g) for g in self.ops):
            return False
        args = case.args or {}
        return all(isinstance(args.get(k), str) and args[k].lower() == v for k, v in self.where)

    @property
    def ops_text(self) -> str:
        text = ", ".join(self.ops)
        if self.where:
            text += " with " + ", ".join(f'{k}="{v}"' for k, v in self.where)
        return text



def concepts_from_schema() -> tuple[Concept, ...]:
    """Every concept of ops.json in the book's order, with the ops whose cases it covers (the
    optimizer.run cases split by their "name" argument)."""
    schema = load_schema()
    out = []
    for name, spec in schema["concepts"].items():
        ops, where = [], ()
        for op, op_spec in schema["ops"].items():
            by = op_spec.get("concept_by")
            if by:
                for value, concept in by["concepts"].items():
                    if concept == name:
                        ops.append(op)
                        where = ((by["arg"], value),)
            elif op_spec.get("concept") == name:
                ops.append(op)
        chapter = spec.get("chapter")
        out.append(Concept(name, spec["title"], str(chapter) if chapter else "", tuple(ops), where,
                           spec.get("note", ""), spec.get("tested_by", ""),
                           spec.get("section", ""), tuple(spec.get("formula", ()))))
    return tuple(out)


# In the order of the book.
CONCEPTS: tuple[Concept, ...] = concepts_from_schema()
CONCEPT_BY_NAME = {c.name: c for c in CONCEPTS}


def cases_of(concept: Concept, cases: list[Case]) -> list[Case]:
    return [c for c in cases if concept.covers(c)]
