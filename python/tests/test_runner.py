"""The runner protocol: answers, error objects, and going on after a bad line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dlscratch.runner import OPS, handle

TABLE_OPS = """gate.and gate.nand gate.or gate.xor fn.identity fn.step fn.sigmoid fn.sigmoid_grad fn.relu
fn.relu_grad fn.softmax loss.sum_squared_error loss.cross_entropy_error grad.numerical_diff grad.numerical_gradient
grad.gradient_descent simple_net.predict simple_net.loss simple_net.numerical_gradient layer.mul layer.add
graph.buy_apple graph.buy_apple_orange layer.relu layer.sigmoid layer.affine layer.softmax_with_loss layer.dropout
layer.batch_norm net3.init net3.forward two_layer_net.init two_layer_net.predict two_layer_net.loss
two_layer_net.accuracy two_layer_net.gradient two_layer_net.numerical_gradient multi_layer_net.init
multi_layer_net.loss multi_layer_net.gradient multi_layer_net.numerical_gradient optimizer.run rng.uniform
rng.normal rng.permutation rng.choice train.two_layer_net data.idx""".split()


def ask(request):
    line = request if isinstance(request, str) else json.dumps(request)
    return json.loads(handle(line))


def test_every_op_of_the_table_is_served():
    assert sorted(OPS) == sorted(TABLE_OPS)


def test_ok_answer_round_trips_doubles():
    answer = ask({"id": "s", "op": "fn.softmax", "args": {"x": [0.1, 0.2, 0.3]}})
    assert answer["id"] == "s"
    from dlscratch.functions import softmax

    assert answer["ok"]["y"] == softmax([0.1, 0.2, 0.3]).tolist()  # bit for bit through JSON


def test_non_finite_numbers_are_strings_both_ways():
    answer = ask({"id": "n", "op": "fn.relu", "args": {"x": ["NaN", "Infinity", "-Infinity", -1]}})
    assert answer["ok"]["y"] == ["NaN", "Infinity", 0.0, 0.0]


@pytest.mark.parametrize(
    "request_line, kind, rid",
    [
        ("{not json", "BadRequest", None),
        ("[1, 2]", "BadRequest", None),
        ('{"op": "fn.relu"}', "BadRequest", None),
        ('{"id": 3, "op": "fn.relu"}', "BadRequest", None),
        ('{"id": "x", "args": {}}', "BadRequest", "x"),
        ('{"id": "x", "op": "fn.nope"}', "UnknownOp", "x"),
        ('{"id": "x", "op": "fn.relu", "args": []}', "BadArgs", "x"),
        ('{"id": "x", "op": "fn.relu", "args": {}}', "BadArgs", "x"),
        ('{"id": "x", "op": "fn.relu", "args": {"x": "one"}}', "BadArgs", "x"),
        ('{"id": "x", "op": "fn.relu", "args": {"x": [[1, 2], [3]]}}', "BadArgs", "x"),
        ('{"id": "x", "op": "fn.softmax", "args": {"x": []}}', "ShapeError", "x"),
        ('{"id": "x", "op": "layer.affine", "args": {"W": [[1, 2], [3, 4], [5, 6]], "b": [0, 0], "x": [[1, 2, 3, 4]], "dout": [[1, 1]]}}', "ShapeError", "x"),
        ('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [[0.5, 0.5]], "t": [2]}}', "ValueError", "x"),
        ('{"id": "x", "op": "loss.cross_entropy_error", "args": {"y": [[0.5, 0.5]], "t": [0.5]}}', "BadArgs", "x"),
        ('{"id": "x", "op": "rng.uniform", "args": {"seed": 0, "n": 100000000000}}', "ValueError", "x"),
        ('{"id": "x", "op": "rng.uniform", "args": {"seed": -1, "n": 3}}', "ValueError", "x"),
        ('{"id": "x", "op": "rng.uniform", "args": {"seed": 0, "n": 0}}', "ValueError", "x"),
        ('{"id": "x", "op": "data.idx", "args": {"path": "/nonexistent/file"}}', "ValueError", "x"),
    ],
)
def test_errors(request_line, kind, rid):
    answer = ask(request_line)
    assert answer["id"] == rid
    assert answer["error"]["type"] == kind
    assert answer["error"]["message"]


def test_runner_process_goes_on_after_bad_lines():
    lines = [
        "garbage",
        '{"id": "a", "op": "nope"}',
        '{"id": "b", "op": "fn.step", "args": {"x": [-1, 0, 2]}}',
        "",
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
