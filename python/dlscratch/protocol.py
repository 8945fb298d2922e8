"""The runner's transport (shared_tests/README.md §1–§3): request lines in, answer lines out, and
the error types of the contract."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


class ProtocolError(Exception):
    """The answer `{"type": kind, "message": message}`; `req_id`: the id, when found while reading the line."""

    kind = "InternalError"

    def __init__(self, message: str, req_id: str | None = None) -> None:
        super().__init__(message)
        self.message, self.req_id = message, req_id


class BadRequest(ProtocolError):
    kind = "BadRequest"


class UnknownOp(ProtocolError):
    kind = "UnknownOp"


class BadArgs(ProtocolError):
    kind = "BadArgs"


class ShapeError(ProtocolError):
    kind = "ShapeError"


class ValueError_(ProtocolError):  # noqa: N801 - the protocol's name, without shadowing the builtin
    kind = "ValueError"


def _constant(token: str) -> None:
    raise BadRequest(f'{token} is not JSON (non-finite numbers are the strings "NaN", "Infinity", "-Infinity")')


def nesting_depth(value: Any) -> int:
    """Levels of arrays and objects (the value itself is level 1), without recursion."""
    depth, level = 0, [value]
    while level := [v for v in level if isinstance(v, (list, dict))]:
        depth, level = depth + 1, [e for v in level for e in (v.values() if isinstance(v, dict) else v)]
    return depth


def decode_line(line: str, max_nesting: int) -> tuple[str, str, dict[str, Any]]:
    """(id, op, args): BadRequest unless a JSON object with a string id and op, BadArgs unless args is an object."""
    try:
        req = json.loads(line, parse_constant=_constant)
        if "\\ud" in line or "\\uD" in line:  # a lone surrogate escape does not encode: not Unicode text
            json.dumps(req, ensure_ascii=False).encode("utf-8")
    except (json.JSONDecodeError, RecursionError, UnicodeEncodeError) as e:
        raise BadRequest(f"the line is not valid JSON text: {e}") from None
    if line.count("[") + line.count("{") > max_nesting and nesting_depth(req) > max_nesting:
        raise BadRequest(f"the line nests arrays and objects more than {max_nesting} levels deep")
    if not isinstance(req, dict) or not isinstance(req.get("id"), str):
        raise BadRequest('a request must be a JSON object with a string "id"')
    if not isinstance(req.get("op"), str):
        raise BadRequest('a request needs a string "op"', req["id"])
    if not isinstance(args := req.get("args", {}), dict):
        raise BadArgs(f'"args" must be an object, not {"null" if args is None else type(args).__name__}', req["id"])
    return req["id"], req["op"], args


def encode(value: Any) -> Any:
    """Plain JSON values: arrays as nested lists, non-finite floats as strings."""
    if isinstance(value, np.ndarray) and value.dtype == np.float64 and np.isfinite(value).all():
        return value.tolist()                  # nothing to replace: no walk through every number
    value = value.tolist() if isinstance(value, (np.ndarray, np.generic)) else value
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    return int(value) if isinstance(value, bool) else value


def encode_answer(req_id: str | None, ok: dict[str, Any] | None = None, error: ProtocolError | None = None) -> str:
    """One answer line (shortest round-trip floats: Python's repr)."""
    body = {"id": req_id, "error": {"type": error.kind, "message": error.message}} if error is not None else {"id": req_id, "ok": encode(ok)}
    return json.dumps(body, allow_nan=False, separators=(",", ":"))
