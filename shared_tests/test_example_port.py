"""The worked example port of shared_tests/PORTING.md (shared_tests/examples/javascript, Node.js)
run by the harness through its own ports file: it passes every core-tier case of the ops of the
book's chapters 2 and 3 (the op families gate, fn, net3 and data), answers UnknownOp to every
other op (missing), and keeps to the transport rules of README section 1."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from harness import SHARED_TESTS
from harness.cases import Case, load_cases
from harness.ports import Port, load_ports
from harness.run import MISSING, PASS, Result, run_port
from harness.schema import load_schema

EXAMPLE = SHARED_TESTS / "examples" / "javascript"
PORTS_FILE = EXAMPLE / "ports.json"
#: The op families the example implements: those of the ops of chapters 2 and 3 in ops.json.
FAMILIES = ("gate", "fn", "net3", "data")


@pytest.fixture(scope="module")
def example() -> Port:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the example port is JavaScript on Node.js")
    port = load_ports(PORTS_FILE)["javascript"]
    assert port.present, port.absent_reason()
    return port


def data_file_exists(case: Case) -> bool:
    """A data.idx case whose file is not on this machine (the Fashion-MNIST files under
    /usr/share/datasets) says nothing about the example: every port fails it alike."""
    if case.op != "data.idx":
        return True
    path = json.loads(case.request_line())["args"].get("path")
    return not isinstance(path, str) or Path(path).exists()


@pytest.fixture(scope="module")
def core_results(example: Port) -> dict[str, Result]:
    cases = [c for c in load_cases() if c.tier == "core" and data_file_exists(c)]
    return run_port(example, cases, timeout=30.0)


def test_families_are_those_of_chapters_2_and_3() -> None:
    ops = load_schema()["ops"]
    assert {spec["family"] for spec in ops.values() if spec["chapter"] in (2, 3)} == set(FAMILIES)


def test_core_tier_of_its_ops_passes(core_results: dict[str, Result]) -> None:
    mine = [r for r in core_results.values() if r.case.family in FAMILIES]
    assert {r.case.family for r in mine} == set(FAMILIES)
    failed = [r.report() for r in mine if r.status != PASS]
    assert not failed, f"{len(failed)} of {len(mine)} core cases not passed:\n" + "\n".join(failed)


def test_every_other_op_is_unknown(core_results: dict[str, Result]) -> None:
    others = [r for r in core_results.values() if r.case.family not in FAMILIES]
    assert others, "no core case of another op family"
    wrong = [f"{r.case.id}: {r.status} {r.message}" for r in others
             if r.status != MISSING or r.answer is None or r.answer.error_type != "UnknownOp"]
    assert not wrong, "\n".join(wrong)


def test_transport(example: Port) -> None:
    """Blank lines get no answer, a line that is not JSON (or not UTF-8) is BadRequest with id
    null, the runner goes on after it, a last line without a newline is answered, exit 0."""
    lines = [b"", b" \t\v\f\r", b"not json", b"\xff\xfe{}", b"\xc2\xa0",
             b'{"id": "t/unknown", "op": "layer.affine", "args": {"x": "bad"}}',
             b'{"id": "t/args", "op": "fn.relu", "args": null}',
             b'{"id": "t/last", "op": "gate.xor", "args": {"x1": 1, "x2": 0}}']
    proc = subprocess.run(list(example.argv), cwd=example.cwd, input=b"\n".join(lines),
                          capture_output=True, timeout=30)
    answers = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [(a["id"], a.get("error", {}).get("type")) for a in answers] == [
        (None, "BadRequest"), (None, "BadRequest"), (None, "BadRequest"),
        ("t/unknown", "UnknownOp"), ("t/args", "BadArgs"), ("t/last", None)], answers
    assert answers[-1]["ok"] == {"y": 1}
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
