"""The transport: request lines decoded or refused as a whole, answers encoded."""

import json
import sys

import numpy as np
import pytest

from dlscratch.protocol import BadArgs, BadRequest, ShapeError, decode_line, encode, encode_answer, nesting_depth


def test_a_request_line_is_id_op_and_args():
    assert decode_line('{"id": "a", "op": "fn.relu", "args": {"x": 1}}', 1000) == ("a", "fn.relu", {"x": 1})
    assert decode_line('{"id": "a", "op": "net3.init"}', 1000) == ("a", "net3.init", {})


@pytest.mark.parametrize("line, error, req_id", [
    ("{not json", BadRequest, None),
    ("[1, 2]", BadRequest, None),
    ('{"op": "fn.relu"}', BadRequest, None),
    ('{"id": 3, "op": "fn.relu"}', BadRequest, None),
    ('{"id": "x", "op": "fn.relu", "args": {"x": NaN}}', BadRequest, None),
    ('{"id": "x", "op": "fn.relu", "args": {"x": 01}}', BadRequest, None),
    ('{"id": "\\ud800", "op": "fn.relu"}', BadRequest, None),
    ('{"id": "x", "args": {}}', BadRequest, "x"),
    ('{"id": "", "op": null}', BadRequest, ""),
    ('{"id": "x", "op": "fn.relu", "args": []}', BadArgs, "x"),
    ('{"id": "x", "op": "fn.relu", "args": null}', BadArgs, "x"),
])
def test_lines_refused_as_a_whole(line, error, req_id):
    with pytest.raises(error) as refused:
        decode_line(line, 1000)
    assert type(refused.value) is error and refused.value.req_id == req_id


def test_nesting_is_counted_from_the_request_object():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 4000))  # as the runner's main does
    assert nesting_depth({"a": [[1], []]}) == 3 and nesting_depth(5) == 0
    deep = '{"id": "x", "op": "fn.relu", "args": {"x": ' + "[" * 998 + "]" * 998 + "}}"
    assert decode_line(deep, 1000)[0] == "x"  # 2 + 998 levels
    with pytest.raises(BadRequest):
        decode_line(deep.replace("[", "[[", 1).replace("]", "]]", 1), 1000)


def test_answers_write_non_finite_numbers_as_strings_and_doubles_exactly():
    ok = {"y": np.array([np.nan, np.inf, -np.inf, 0.1]), "n": np.int64(3), "flag": True}
    assert encode(ok) == {"y": ["NaN", "Infinity", "-Infinity", 0.1], "n": 3, "flag": 1}
    line = encode_answer("a", ok={"x": np.array([1 / 3])})
    assert json.loads(line)["ok"]["x"][0] == 1 / 3


def test_error_answers_carry_type_and_message():
    assert json.loads(encode_answer(None, error=ShapeError("W is 3x2"))) == {
        "id": None, "error": {"type": "ShapeError", "message": "W is 3x2"}}
