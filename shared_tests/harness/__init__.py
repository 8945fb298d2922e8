"""The dlscratch conformance harness: run a port's runner, load case files, compare answers.

Modules:
    jsonio   -- JSON with "NaN"/"Infinity"/"-Infinity" strings for non-finite floats
    cases    -- case-file loading and validation
    compare  -- tolerance comparison of an answer with an expectation
    client   -- RunnerClient: one runner process, one request at a time, crash/hang/garbage safe
    ports    -- ports.json and the presence of a port's runner
    run      -- stream cases through a port and classify each result
    conformance -- the command-line matrix (scripts/conformance)
    schema   -- shared_tests/ops.json, the contract of every op, and the README tables made from it
    tables   -- python -m harness.tables: rewrite or check those tables
    strategies -- the fuzzer's hypothesis strategies, one per fuzz family
    bounds   -- the fuzzer's error bounds and the comparison under them
    fuzz     -- the differential fuzzer's driver (scripts/conformance --fuzz)
"""
from __future__ import annotations

from pathlib import Path

from .schema import load_schema, op_names

SHARED_TESTS = Path(__file__).resolve().parent.parent
REPO_ROOT = SHARED_TESTS.parent
CASES_DIR = SHARED_TESTS / "cases"
PORTS_FILE = SHARED_TESTS / "ports.json"

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
DEFAULT_TIMEOUT = 30.0

ERROR_TYPES = ("BadRequest", "UnknownOp", "BadArgs", "ShapeError", "ValueError")

# Every op, in the book's order: the keys of shared_tests/ops.json.
OPS: tuple[str, ...] = op_names()


def family_of(op: str | None) -> str:
    """The op family of an op name: everything before the last dot ("layer.affine" -> "layer").

    Raw request cases (no op) and ops of no known family form the family "request".
    """
    if not op or "." not in op:
        return "request"
    fam = op.rsplit(".", 1)[0]
    return fam if fam in FAMILIES else "request"


FAMILIES: frozenset[str] = frozenset(op.rsplit(".", 1)[0] for op in OPS)


def machine_rounded(op: str | None, args: dict | None) -> bool:
    """Whether a case's reference result may move by an ulp from one CPU to another: the op's
    `machine_rounded` in ops.json (BLAS products, libm functions; of the optimizers only Adam,
    whose `beta ** iter` is libm's pow)."""
    spec = load_schema()["ops"].get(op or "")
    if spec is None:
        return False
    rule = spec.get("machine_rounded", False)
    if isinstance(rule, dict):
        return isinstance(args, dict) and all(args.get(k) in v for k, v in rule["when"].items())
    return bool(rule)
