"""Bad input never breaks a runner: for every op, the smallest ok-case's args are mutated (each
argument dropped, or replaced by a string, a ragged array, an empty array, an object, null, a
boolean, a negative number) and every answer must be an ok-object or an error of one of the five
protocol types: no crash, hang, garbage or InternalError."""
from __future__ import annotations

import json
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


#: An op whose smallest case is larger than this in its arguments and answer (a DeepConvNet's
#: 72,000 weights) gets only the first SMALL_REPLACEMENTS replacements per argument, so that
#: every port is not sent, and does not answer, gigabytes.
LARGE = 100_000
SMALL_REPLACEMENTS = 1


def seed_args() -> tuple[dict[str, dict[str, Any]], set[str]]:
    """Per op, the arguments of its smallest ok-case; and the ops whose smallest case is large
    in its arguments or in its answer (DeepConvNet.init answers 72,000 weights for any image)."""
    seeds: dict[str, dict[str, Any]] = {}
    sizes: dict[str, int] = {}
    for c in CASES:
        if c.op in OPS and c.expected_error is None:
            size = len(json.dumps(c.args or {}))
            if c.op not in seeds or size < sizes[c.op]:
                seeds[c.op] = c.args or {}
                sizes[c.op] = size + len(json.dumps(c.expect, default=str))
    return seeds, {op for op, size in sizes.items() if size > LARGE}


SEEDS, LARGE_OPS = seed_args()


def mutations(op: str, args: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    replacements = REPLACEMENTS[:SMALL_REPLACEMENTS] if op in LARGE_OPS else REPLACEMENTS
    for key in args:
        dropped = dict(args)
        del dropped[key]
        yield f"{key}:dropped", dropped
        for tag, value in replacements:
            yield f"{key}:{tag}", {**args, key: value}       # the other arguments shared, never changed
        if isinstance(args[key], dict):       # params, network, hyper: mutate one level down
            for sub in list(args[key])[:2]:
                for tag, value in replacements[:3]:
                    yield f"{key}.{sub}:{tag}", {**args, key: {**args[key], sub: value}}


def encoded(value: Any, memo: dict[int, str]) -> str:
    """The JSON of a value whose parts the mutations share: each shared array encoded once."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encoded(v, memo)}" for k, v in value.items()) + "}"
    if id(value) not in memo:
        memo[id(value)] = json.dumps(value)           # case arguments are JSON values already ("NaN" as a string)
    return memo[id(value)]


@pytest.mark.parametrize("op", sorted(SEEDS))
def test_bad_arguments_get_error_objects(port: Port, op: str, session: Session) -> None:
    require_present(port)
    client = session.client(port.name)
    bad, memo = [], {}
    for tag, args in mutations(op, SEEDS[op]):
        rid = f"robust/{op}/{tag}"
        line = f'{{"id":{json.dumps(rid)},"op":{json.dumps(op)},"args":{encoded(resolve_paths(op, args), memo)}}}'
        answer = client.request(line, rid)
        if answer.kind == "ok":
            continue
        if answer.kind == "error" and answer.error_type in ERROR_TYPES:
            continue
        bad.append(f"{tag}: {answer.describe().splitlines()[0]}")
    assert not bad, f"{port.name} {op}:\n  " + "\n  ".join(bad)
