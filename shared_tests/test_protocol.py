"""Transport rules of README sections 1-3 that a case line cannot express: blank lines get no
answer, "args" may be omitted, the runner survives a run of bad requests, exit status 0 at the
end of input, one answer per request in order when requests arrive all at once."""
from __future__ import annotations

import json
import subprocess

from conftest import require_present
from harness.client import default_timeout
from harness.jsonio import loads_strict
from harness.ports import Port

GOOD = '{"id": "protocol/good", "op": "gate.and", "args": {"x1": 1, "x2": 1}}'


def run_batch(port: Port, text: str) -> tuple[list[dict], int, str]:
    """Feed the whole input at once, close stdin, read every answer and the exit status."""
    proc = subprocess.run(list(port.client().argv), cwd=port.cwd, input=text, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=max(60.0, default_timeout()))
    answers = [loads_strict(line) for line in proc.stdout.splitlines()]
    return answers, proc.returncode, proc.stderr[-2000:]


def test_blank_lines_omitted_args_and_exit_status(port: Port) -> None:
    require_present(port)
    text = "\n   \n" + GOOD + "\n\t\n \v\f\r\n" + '{"id": "protocol/no-args", "op": "net3.init"}\n' + "\n"
    answers, status, stderr = run_batch(port, text)
    assert [a.get("id") for a in answers] == ["protocol/good", "protocol/no-args"], answers
    assert answers[0].get("ok", {}).get("y") == 1
    assert "W1" in answers[1].get("ok", {}), answers[1]
    assert status == 0, f"exit status {status} at end of input; stderr: {stderr}"


def test_many_bad_requests_then_a_good_one(port: Port) -> None:
    require_present(port)
    bad = ["{", "[]", "null", '"x"', '{"id": 1}', '{"id": "b1"}', '{"id": "b2", "op": 3}',
           '{"id": "b3", "op": "no.such"}', '{"id": "b4", "op": "fn.relu", "args": 5}',
           '{"id": "b5", "op": "fn.relu", "args": {"x": [[1], [2, 3]]}}',
           '{"id": "b6", "op": "fn.relu", "args": {"x": "NaN"}}'] * 3
    answers, status, stderr = run_batch(port, "\n".join(bad + [GOOD]) + "\n")
    assert len(answers) == len(bad) + 1, f"{len(answers)} answers to {len(bad) + 1} requests"
    for req, ans in zip(bad, answers):
        if '"b6"' in req:
            assert ans.get("ok", {}).get("y") == "NaN", f"{req} -> {json.dumps(ans)}"
        else:
            assert "error" in ans and isinstance(ans["error"].get("type"), str), f"{req} -> {ans}"
    assert answers[-1] == {"id": "protocol/good", "ok": {"y": 1}} or \
        answers[-1].get("ok", {}).get("y") == 1, answers[-1]
    assert status == 0, stderr


def test_unicode_id_round_trips(port: Port) -> None:
    require_present(port)
    rid = "protocol/ユニコード/\u00e9\\\"quote"
    line = json.dumps({"id": rid, "op": "fn.identity", "args": {"x": 1.5}}, ensure_ascii=False)
    answers, status, _ = run_batch(port, line + "\n")
    assert len(answers) == 1 and answers[0].get("id") == rid and answers[0].get("ok") == {"y": 1.5}
    assert status == 0
