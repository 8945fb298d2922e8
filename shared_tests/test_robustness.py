"""Bad input never breaks a runner: for every op, the first ok-case's args are mutated (each
argument dropped, or replaced by a string, a ragged array, an empty array, an object, null, a
boolean, a negative number) and every answer must be an ok-object or an error of one of the five
protocol types: no crash, hang, garbage or InternalError."""
from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest

from conftest import CASES, Session, require_present
from harness import ERROR_TYPES, OPS
from harness.cases import resolve_paths
from harness.jsonio import dumps
from harness.ports import Port

REPLACEMENTS: list[tuple[str, Any]] = [
    ("string", "abc"), ("ragged", [[1.0], [2.0, 3.0]]), ("empty", []), ("empty-row", [[]]),
    ("object", {"a": 1}), ("null", None), ("bool", True), ("negative", -1), ("nan", "NaN"),
]


def seed_args() -> dict[str, dict[str, Any]]:
    seeds: dict[str, dict[str, Any]] = {}
    for c in CASES:
        if c.op in OPS and c.expected_error is None and c.op not in seeds:
            seeds[c.op] = c.args or {}
    return seeds


SEEDS = seed_args()


def mutations(op: str, args: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in args:
        dropped = dict(args)
        del dropped[key]
        yield f"{key}:dropped", dropped
        for tag, value in REPLACEMENTS:
            changed = copy.deepcopy(args)
            changed[key] = value
            yield f"{key}:{tag}", changed
        if isinstance(args[key], dict):       # params, network, hyper: mutate one level down
            for sub in list(args[key])[:2]:
                for tag, value in REPLACEMENTS[:3]:
                    changed = copy.deepcopy(args)
                    changed[key][sub] = value
                    yield f"{key}.{sub}:{tag}", changed


@pytest.mark.parametrize("op", sorted(SEEDS))
def test_bad_arguments_get_error_objects(port: Port, op: str, session: Session) -> None:
    require_present(port)
    client = session.client(port.name)
    bad = []
    for tag, args in mutations(op, SEEDS[op]):
        rid = f"robust/{op}/{tag}"
        answer = client.request(dumps({"id": rid, "op": op, "args": resolve_paths(op, args)}), rid)
        if answer.kind == "ok":
            continue
        if answer.kind == "error" and answer.error_type in ERROR_TYPES:
            continue
        bad.append(f"{tag}: {answer.describe().splitlines()[0]}")
    assert not bad, f"{port.name} {op}:\n  " + "\n  ".join(bad)
