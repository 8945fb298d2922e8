"""The harness's own tests: deliberately broken fake ports (crash, hang, garbage, wrong id,
UnknownOp, absent) are each reported as such while every other case still gets its answer;
comparison rules; the conformance command's exit status."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness import REPO_ROOT, SHARED_TESTS
from harness.cases import load_cases
from harness.compare import compare_ok
from harness.jsonio import decode_numbers, dumps, loads_strict
from harness.ports import Port, load_ports
from harness.run import FAIL, MISSING, PASS, run_port

FAKE_DIR = SHARED_TESTS / "fake_ports"
FAKE_CASES = load_cases([FAKE_DIR / "cases.jsonl"], include_default=False)
TIMEOUT = 3.0   # generous: a loaded machine must not turn a slow start into a "hang"


def fake(*flags: str, name: str = "fake") -> Port:
    return Port(name=name, argv=(sys.executable, "fake_runner.py", *flags), cwd=FAKE_DIR, train=None)


def statuses(port: Port) -> dict[str, tuple[str, str]]:
    results = run_port(port, FAKE_CASES, timeout=TIMEOUT)
    assert list(results) == [c.id for c in FAKE_CASES], "every case must get a result"
    return {cid: (r.status, r.answer.kind if r.answer else "") for cid, r in results.items()}


def others_pass(got: dict[str, tuple[str, str]], broken: set[str]) -> None:
    for cid, (status, _) in got.items():
        if cid not in broken:
            assert status == PASS, f"{cid}: {status} although only {broken} should fail"


def test_good_fake_port_passes_everything() -> None:
    got = statuses(fake())
    assert all(s == PASS for s, _ in got.values()), got
    client = fake().client(TIMEOUT)
    line = FAKE_CASES[0].request_line()
    assert client.request(line, FAKE_CASES[0].id).kind == "ok"
    assert client.close() == 0 and client.starts == 1


def test_crash_is_reported_with_exit_status_and_stderr() -> None:
    port = fake("--crash-on", "fn.relu")
    results = run_port(port, FAKE_CASES, timeout=TIMEOUT)
    relu = [c.id for c in FAKE_CASES if c.op == "fn.relu"]
    for cid in relu:
        r = results[cid]
        assert r.status == FAIL and r.answer.kind == "crash"
        assert "exit status 3" in r.answer.detail and "crashing on fn.relu" in r.answer.detail
    others_pass({k: (v.status, "") for k, v in results.items()}, set(relu))


def test_death_in_the_middle_of_an_answer_is_a_crash() -> None:
    results = run_port(fake("--partial-on", "gate.or"), FAKE_CASES, timeout=TIMEOUT)
    r = results["fake/or/00"]
    assert r.status == FAIL and r.answer.kind == "crash" and "middle of a line" in r.answer.detail
    assert "exit status 5" in r.answer.detail
    others_pass({k: (v.status, "") for k, v in results.items()}, {"fake/or/00"})


def test_hang_is_killed_after_the_timeout_and_the_rest_goes_on() -> None:
    t0 = time.monotonic()
    got = statuses(fake("--hang-on", "fn.step"))
    assert time.monotonic() - t0 < 10 * TIMEOUT + 5
    assert got["fake/step/1"] == (FAIL, "hang")
    others_pass(got, {"fake/step/1"})


def test_runner_that_never_answers_is_given_up_after_three_hangs() -> None:
    t0 = time.monotonic()
    results = run_port(fake("--hang-on", "*"), FAKE_CASES, timeout=0.5)
    assert time.monotonic() - t0 < 3 * 0.5 + 10
    details = [r.answer.detail for r in results.values()]
    assert all(r.status == FAIL and r.answer.kind == "hang" for r in results.values())
    assert sum(d.startswith("not sent") for d in details) == len(FAKE_CASES) - 3


def test_garbage_is_reported_and_the_runner_restarted() -> None:
    got = statuses(fake("--garbage-on", "gate.and"))
    assert got["fake/and/11"] == (FAIL, "garbage")
    others_pass(got, {"fake/and/11"})


def test_wrong_id_is_reported() -> None:
    got = statuses(fake("--wrong-id-on", "gate.or"))
    assert got["fake/or/00"] == (FAIL, "wrong_id")
    others_pass(got, {"fake/or/00"})


def test_bare_nan_in_an_answer_is_garbage() -> None:
    got = statuses(fake("--bare-nan-on", "fn.identity"))
    for cid in ("fake/identity/1", "fake/identity/2"):
        assert got[cid] == (FAIL, "garbage")
    others_pass(got, {"fake/identity/1", "fake/identity/2"})


def test_answer_without_ok_or_error_is_garbage() -> None:
    got = statuses(fake("--no-field-on", "gate.and"))
    assert got["fake/and/11"] == (FAIL, "garbage")
    others_pass(got, {"fake/and/11"})


def test_an_extra_answer_line_is_a_wrong_id_for_the_next_request() -> None:
    # fake/or/00 is answered twice: its own answer passes, the stale copy arrives as the
    # answer to the next request (fake/identity/2), which is then a wrong id; the runner is
    # restarted and everything after goes on
    got = statuses(fake("--double-on", "gate.or"))
    assert got["fake/or/00"] == (PASS, "ok")
    assert got["fake/identity/2"] == (FAIL, "wrong_id")
    others_pass(got, {"fake/identity/2"})


def test_unknown_op_for_a_table_op_is_missing() -> None:
    got = statuses(fake("--unknown", "fn.step"))
    assert got["fake/step/1"] == (MISSING, "error")
    others_pass(got, {"fake/step/1"})


def test_absent_port_is_missing_not_an_error() -> None:
    port = Port(name="ghost", argv=("bin/runner",), cwd=REPO_ROOT / "no-such-port", train=None)
    assert port.absent_reason() and "port not present" in port.absent_reason()
    results = run_port(port, FAKE_CASES, timeout=TIMEOUT)
    assert all(r.status == MISSING and "not present" in r.message for r in results.values())


def test_unstartable_runner_is_a_crash() -> None:
    # The runner file exists but its interpreter does not: a present port that fails.
    port = Port(name="bad", argv=("no-such-interpreter-xyz", "./fake_runner.py"), cwd=FAKE_DIR, train=None)
    got = statuses(port)
    assert all(v == (FAIL, "crash") for v in got.values())


def test_bare_nan_is_not_json() -> None:
    with pytest.raises(ValueError):
        loads_strict('{"y": NaN}')
    assert math.isnan(decode_numbers(loads_strict('{"y": ["NaN"]}'))["y"][0])
    assert dumps({"x": [math.inf, -math.inf, math.nan, 0.1]}) == \
        '{"x": ["Infinity", "-Infinity", "NaN", 0.1]}'


@pytest.mark.parametrize("got,want,ok", [
    ({"y": [1.0, 2.0]}, {"y": [1.0, 2.0]}, True),
    ({"y": [1.0, 2.0], "extra": 1}, {"y": [1.0, 2.0]}, True),
    ({"y": [1, 0]}, {"y": [1.0, 0.0]}, True),
    ({"y": [1.0, 2.0 + 3e-9]}, {"y": [1.0, 2.0]}, False),
    ({"y": [1.0, 2.0 + 1e-9]}, {"y": [1.0, 2.0]}, True),
    ({"y": [[1.0, 2.0]]}, {"y": [1.0, 2.0]}, False),
    ({"y": 1.0}, {"y": [1.0]}, False),
    ({"z": 1.0}, {"y": 1.0}, False),
    ({"y": math.nan}, {"y": math.nan}, True),
    ({"y": 1.0}, {"y": math.nan}, False),
    ({"y": math.nan}, {"y": 1.0}, False),
    ({"y": math.inf}, {"y": math.inf}, True),
    ({"y": -math.inf}, {"y": math.inf}, False),
    ({"y": 1e300}, {"y": math.inf}, False),
    ({"y": "1.0"}, {"y": 1.0}, False),
    ({"p": {"W": [[1.0]]}}, {"p": {"W": [[1.0]]}}, True),
    ({"p": {"W": [[1.5]]}}, {"p": {"W": [[1.0]]}}, False),
])
def test_compare_rules(got, want, ok) -> None:
    assert compare_ok(got, want, 1e-9, 1e-12).ok is ok


def test_worst_relative_error() -> None:
    cmp = compare_ok({"y": [1.0 + 1e-12, 0.0, 4.0]}, {"y": [1.0, 0.0, 4.0]}, 1e-9, 1e-12)
    assert cmp.ok and cmp.count == 3 and 0.9e-12 < cmp.worst_rel < 1.1e-12


def _conformance(*args: str, ports_file: Path, timeout: str = "10") -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO_ROOT / "scripts" / "conformance"), "--ports-file", str(ports_file),
                           "--only-cases", "--cases", str(FAKE_DIR / "cases.jsonl"), "--timeout", timeout,
                           *args], capture_output=True, text=True, timeout=120)


def test_conformance_command(tmp_path: Path) -> None:
    ports_file = tmp_path / "ports.json"
    fake_cwd = str(FAKE_DIR.relative_to(REPO_ROOT))
    ports_file.write_text(json.dumps({
        "good": {"argv": [sys.executable, "fake_runner.py"], "cwd": fake_cwd},
        "crashy": {"argv": [sys.executable, "fake_runner.py", "--crash-on", "gate.and"], "cwd": fake_cwd},
        "absent": {"argv": ["bin/runner"], "cwd": "no-such-port"},
    }))
    assert set(load_ports(ports_file)) == {"good", "crashy", "absent"}
    good = _conformance("--port", "good", ports_file=ports_file)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "9/0/0" in good.stdout and "every case passed" in good.stdout
    bad = _conformance(ports_file=ports_file)
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout and "fake/and/11" in bad.stdout and "exit status 3" in bad.stdout
    assert "absent: port not present" in bad.stdout
    js = _conformance("--json", "--op", "gate.*", ports_file=ports_file)
    data = json.loads(js.stdout)
    assert js.returncode == 1 and data["ok"] is False and data["cases"] == 2
    assert data["ports"]["good"]["families"]["gate"]["passed"] == 2
    assert data["ports"]["absent"]["families"]["gate"]["missing"] == 2
    usage = _conformance("--port", "nonesuch", ports_file=ports_file)
    assert usage.returncode == 2 and "nonesuch" in usage.stderr
    helptext = subprocess.run([str(REPO_ROOT / "scripts" / "conformance"), "--help"],
                              capture_output=True, text=True)
    assert helptext.returncode == 0 and "--op" in helptext.stdout


def test_absent_port_is_skipped_in_pytest(tmp_path: Path) -> None:
    ports_file = tmp_path / "ports.json"
    ports_file.write_text(json.dumps({"ghost": {"argv": ["bin/runner"], "train": ["bin/train"],
                                                "cwd": "no-such-port"}}))
    env = dict(os.environ, DLSCRATCH_PORTS_FILE=str(ports_file), DLSCRATCH_PORTS="ghost")
    run = subprocess.run([sys.executable, "-m", "pytest", str(SHARED_TESTS / "test_cases.py"),
                          str(SHARED_TESTS / "test_training.py"), "-q", "-rs", "-p", "no:cacheprovider",
                          "-k", "softmax/book or trainer"],
                         capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "port not present: no-such-port/bin/runner does not exist" in run.stdout
    assert "trainer not present" in run.stdout and " passed" not in run.stdout


MISBEHAVIOURS = [
    (["--crash-on", "gate.and"], {"fake/and/11": "crash"}),
    (["--partial-on", "gate.or"], {"fake/or/00": "crash"}),
    (["--hang-on", "fn.step"], {"fake/step/1": "hang"}),
    (["--garbage-on", "gate.and"], {"fake/and/11": "garbage"}),
    (["--bare-nan-on", "fn.step"], {"fake/step/1": "garbage"}),
    (["--wrong-id-on", "gate.or"], {"fake/or/00": "wrong_id"}),
    (["--double-on", "gate.or"], {"fake/identity/2": "wrong_id"}),
]


@pytest.mark.parametrize("flags,broken", MISBEHAVIOURS, ids=[m[0][0][2:] for m in MISBEHAVIOURS])
def test_other_ports_are_complete_when_one_misbehaves(tmp_path: Path, flags: list[str],
                                                      broken: dict[str, str]) -> None:
    """scripts/conformance with two good ports beside a misbehaving one (ports run in
    parallel): both good ports have every case passed, and the bad one fails exactly the
    broken case, as its kind, with every other case passed."""
    ports_file = tmp_path / "ports.json"
    fake_cwd = str(FAKE_DIR.relative_to(REPO_ROOT))
    ports_file.write_text(json.dumps({
        "good1": {"argv": [sys.executable, "fake_runner.py"], "cwd": fake_cwd},
        "bad": {"argv": [sys.executable, "fake_runner.py", *flags], "cwd": fake_cwd},
        "good2": {"argv": [sys.executable, "fake_runner.py"], "cwd": fake_cwd},
    }))
    run = _conformance("--json", "--verbose", ports_file=ports_file, timeout="3")
    data = json.loads(run.stdout)
    assert run.returncode == 1 and data["cases"] == len(FAKE_CASES)
    ids = [c.id for c in FAKE_CASES]
    for name in ("good1", "good2"):
        results = data["ports"][name]["results"]
        assert [r["id"] for r in results] == ids, f"{name}: results incomplete"
        assert all(r["status"] == PASS for r in results), f"{name}: {results}"
    bad = {r["id"]: r for r in data["ports"]["bad"]["results"]}
    assert list(bad) == ids, "the misbehaving port's results are incomplete"
    for cid, r in bad.items():
        if cid in broken:
            assert r["status"] == FAIL, r
            kind = broken[cid]
            assert any(w in r["message"] for w in {
                "crash": ("closed its output",), "hang": ("no answer within",),
                "garbage": ("answer line",), "wrong_id": ("answer id",)}[kind]), r["message"]
        else:
            assert r["status"] == PASS, r
