"""shared_tests/ops.json, the machine-readable contract: loading it, and the tables of
shared_tests/README.md that are generated from it.

    python -m harness.tables --write-readme    # rewrite the generated tables of the README
    python -m harness.tables --check-readme    # exit 1 when they differ from ops.json
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

SHARED_TESTS = Path(__file__).resolve().parent.parent
OPS_FILE = SHARED_TESTS / "ops.json"
README = SHARED_TESTS / "README.md"


@lru_cache(maxsize=None)
def load_schema(path: Path = OPS_FILE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def op_names() -> tuple[str, ...]:
    """Every op, in the schema's (the book's) order."""
    return tuple(load_schema()["ops"])


def ok_keys(op: str) -> tuple[set[str], bool]:
    """The ok keys of an op, and whether they are a pattern (W{i}, b{i}: one pair per layer)."""
    ok = load_schema()["ops"][op]["ok"]
    return {k for k in ok if "{" not in k}, any("{" in k for k in ok)


def arg_names(op: str) -> list[str]:
    return [a["name"] for a in load_schema()["ops"][op]["args"]]


def concepts_of(op: str) -> list[str]:
    """The compare concepts whose cases an op's cases are (optimizer.run: one per name)."""
    spec = load_schema()["ops"][op]
    if spec.get("concept_by"):
        return list(spec["concept_by"]["concepts"].values())
    return [spec["concept"]]


# --- the generated README tables -----------------------------------------------------------

def _shape(s: str) -> str:
    return " or ".join(p.strip().replace(" ", "×").replace("*", "·") if p.strip() else "scalar" for p in s.split("|"))


def describe_arg(a: dict[str, Any]) -> str:
    kind = a["kind"]
    name = f"`{a['name']}`"
    if kind in ("array", "array_or_number"):
        shape = a["shape"]
        text = "any shape" if shape == "*" else ("the shape of " + shape[1:]) if shape.startswith("=") else _shape(shape)
        what = f"{name} {text}" + (" or a number" if kind == "array_or_number" else "")
    elif kind in ("name", "name_or_number"):
        what = f"{name} " + "/".join(a["choices"]) + (" (any case)" if a.get("fold_case") else "") \
            + (" or a number" if kind == "name_or_number" else "")
    elif kind in ("target", "labels"):
        of = a["scores"]
        of = f"`{of}`" if " " not in of and "|" not in of and of.islower() else _shape(of)
        what = f"{name} " + ("labels" if kind == "labels" else "labels or one-hot") + f" for {of}"
    elif kind == "integer":
        lo, hi = a.get("min"), a.get("max")
        what = f"{name} integer >= {lo}" if lo is not None else f"{name} integer"
    elif kind == "dims":
        what = f"{name} integers " + ", ".join(a["symbols"])
    elif kind == "record":
        what = f"{name} {{" + ", ".join(describe_arg(f)[1:].replace("`", "", 1) for f in a["fields"]) + "}"
    else:
        what = f"{name} {kind.replace('_', ' ')}"
        for key in ("min", "max_exclusive"):
            pass
    if kind == "number" and ("min" in a or "max" in a or "max_exclusive" in a):
        lo = a.get("min")
        hi = a.get("max", a.get("max_exclusive"))
        what += f" in [{lo}, {hi}{')' if 'max_exclusive' in a else ']'}"
    if "default" in a and kind != "record":
        what += f" = {json.dumps(a['default'])}"
    if a.get("then"):
        what += " (then " + ", ".join(a["then"]) + ")"
    return what


def op_table() -> str:
    rows = ["| op | book | arguments, in the order checked (= default) | ok |", "|---|---|---|---|"]
    for name, spec in load_schema()["ops"].items():
        book = f"{spec['section']}" if spec.get("section") else "-"
        args = "; ".join(describe_arg(a) for a in spec["args"]) or "-"
        extra = []
        if spec.get("limits"):
            extra.append("limits: " + ", ".join(lim["what"] for lim in spec["limits"]))
        if spec.get("hooks"):
            extra.append("hooks: " + ", ".join(spec["hooks"]))
        if extra:
            args += " (" + "; ".join(extra) + ")"
        ok = ", ".join(spec["ok"]) if not spec.get("ok_pattern") else "W1, b1, W2, b2, ... (" + spec["ok_pattern"] + ")"
        rows.append(f"| `{name}` | {book} | {args} | {ok} |")
    return "\n".join(rows)


def defaults_table() -> str:
    rows = ["| op | defaults |", "|---|---|"]
    for name, spec in load_schema()["ops"].items():
        d = [f"{a['name']} " + ("{" + ", ".join(f"{f['name']} {f['default']}" for f in a["fields"]) + "}" if a["kind"] == "record"
                               else json.dumps(a["default"])) for a in spec["args"] if "default" in a]
        if d:
            rows.append(f"| `{name}` | {', '.join(d)} |")
    return "\n".join(rows)


def concept_table() -> str:
    """The concepts of scripts/compare: name, the book's chapter, the ops whose cases they cover."""
    schema = load_schema()
    rows = ["| concept | book chapter | cases of |", "|---|---|---|"]
    for name, spec in schema["concepts"].items():
        ops = []
        for op, op_spec in schema["ops"].items():
            by = op_spec.get("concept_by")
            if by:
                ops += [f"`{op}` with `\"{by['arg']}\": \"{v}\"`" for v, c in by["concepts"].items() if c == name]
            elif op_spec.get("concept") == name:
                ops.append(f"`{op}`")
        chapter = spec.get("chapter")
        rows.append(f"| `{name}` | {chapter if chapter else '- (section 12)'} | {', '.join(ops)} |")
    return "\n".join(rows)


TABLES = {"op table": op_table, "defaults table": defaults_table, "concept table": concept_table}
_BLOCK = re.compile(r"(<!-- generated from ops.json: (?P<name>[a-z ]+) -->\n)(?P<body>(?:(?!<!--).)*?)"
                    r"(\n<!-- end of generated table -->)", re.S)


def render_readme(text: str) -> str:
    def sub(m: re.Match[str]) -> str:
        return m.group(1) + TABLES[m.group("name")]() + m.group(4)

    return _BLOCK.sub(sub, text)


def generated_blocks(text: str) -> list[str]:
    return [m.group("name") for m in _BLOCK.finditer(text)]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m harness.tables", description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--write-readme", action="store_true", help="rewrite the generated tables of shared_tests/README.md")
    g.add_argument("--check-readme", action="store_true", help="exit 1 when they differ from ops.json")
    opt = p.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = render_readme(text)
    if opt.check_readme:
        if new != text:
            print("shared_tests/README.md: the generated tables differ from ops.json "
                  "(python -m harness.tables --write-readme)", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
