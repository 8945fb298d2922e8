"""The runner: one binding for every op of ops.json, answers and errors, going on after a bad line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlscratch.functions import softmax
from dlscratch.runner import OPS, handle
from dlscratch.validate import SCHEMA


def ask(request):
    line = request if isinstance(request, str) else json.dumps(request)
    return json.loads(handle(line))


def test_the_runner_serves_exactly_the_ops_of_ops_json():
    assert set(OPS) == set(SCHEMA["ops"])


def test_ok_answer_round_trips_doubles():
    answer = ask({"id": "s", "op": "fn.softmax", "args": {"x": [0.1, 0.2, 0.3]}})
    assert answer["id"] == "s"
    assert answer["ok"]["y"] == softmax([0.1, 0.2, 0.3]).tolist()  # bit for bit through JSON


def test_non_finite_numbers_are_strings_both_ways():
    answer = ask({"id": "n", "op": "fn.relu", "args": {"x": ["NaN", "Infinity", "-Infinity", -1]}})
    assert answer["ok"]["y"] == ["NaN", "Infinity", 0.0, 0.0]


@pytest.mark.parametrize("request_line, kind, rid", [
    ("{not json", "BadRequest", None),
    ('{"id": "x", "args": {}}', "BadRequest", "x"),
    ('{"id": "x", "op": "fn.nope", "args": {"x": "bad"}}', "UnknownOp", "x"),
    ('{"id": "x", "op": "fn.relu", "args": []}', "BadArgs", "x"),
    ('{"id": "x", "op": "fn.relu", "args": {}}', "BadArgs", "x"),
    ('{"id": "x", "op": "fn.relu", "args": {"x": [[1, 2], [3]]}}', "BadArgs", "x"),
    ('{"id": "x", "op": "fn.softmax", "args": {"x": []}}', "ShapeError", "x"),
    ('{"id": "x", "op": "layer.affine", "args": {"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0], "x": [[1, 2, 3, 4]], "dout": [[1, 1]]}}', "ShapeError", "x"),
    ('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [[0.5, 0.5]], "t": [2]}}', "ValueError", "x"),
    ('{"id": "x", "op": "rng.uniform", "args": {"seed": 0, "n": 100000000000}}', "ValueError", "x"),
    ('{"id": "x", "op": "data.idx", "args": {"path": "/nonexistent/file"}}', "ValueError", "x"),
])
def test_errors(request_line, kind, rid):
    answer = ask(request_line)
    assert answer["id"] == rid
    assert answer["error"]["type"] == kind
    assert answer["error"]["message"]


def test_bindings_call_the_book():
    ok = ask({"id": "a", "op": "layer.affine", "args": {"W": [[1, 2], [3, 4]], "b": [0, 1], "x": [1, 2], "dout": [1, 1]}})["ok"]
    assert ok == {"out": [7.0, 11.0], "dx": [3.0, 7.0], "dW": [[1.0, 1.0], [2.0, 2.0]], "db": [1.0, 1.0]}
    ok = ask({"id": "b", "op": "layer.batch_norm", "args": {"x": [[1.0], [3.0]], "gamma": [1], "beta": [0], "dout": [[0.0], [0.0]]}})["ok"]
    assert ok["running_mean"] == pytest.approx([0.2]) and ok["running_var"] == pytest.approx([0.1])  # from zeros, momentum 0.9
    assert [row[0] for row in ok["out"]] == pytest.approx([-1.0, 1.0], abs=1e-6)
    ok = ask({"id": "c", "op": "optimizer.run", "args": {"name": "SGD", "hyper": {"lr": 0.5}, "params": {"w": 1},
                                                          "grads_seq": [{"w": 1}, {"w": 1}]}})["ok"]
    assert ok == {"params": {"w": 0.0}}


def test_runner_process_goes_on_after_bad_lines():
    lines = [
        "garbage",
        '{"id": "a", "op": "nope"}',
        '{"id": "b", "op": "fn.step", "args": {"x": [-1, 0, 2]}}',
        "",
        " \t\v\f\r",
        '{"id": "c", "op": "layer.relu", "args": {"x": [1], "dout": [1, 2]}}',
        '{"id": "d", "op": "gate.xor", "args": {"x1": 1, "x2": 0}}',
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "dlscratch.runner"], input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).parent.parent,
    )
    assert proc.returncode == 0
    answers = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [a["id"] for a in answers] == [None, "a", "b", "c", "d"]
    assert answers[2]["ok"]["y"] == [0, 0, 1]
    assert answers[3]["error"]["type"] == "ShapeError"
    assert answers[4]["ok"]["y"] == 1
