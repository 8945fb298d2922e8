"""Decoding and validating runner requests, encoding answers (shared_tests/README.md §1–§3)."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .rng import SEED_LIMIT

Array = NDArray[np.float64]

#: No size argument or shape may ask for more elements than this.
MAX_ELEMENTS = 10_000_000

#: Arrays deeper than this are refused (numpy itself stops at 64).
MAX_NDIM = 32

#: A request line nesting arrays and objects deeper than this is refused (BadRequest).
MAX_NESTING = 1000

NON_FINITE_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

_MISSING = object()


class ProtocolError(Exception):
    """An error answered to the client: `{"type": kind, "message": message}`."""

    kind = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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


def shape_str(shape: Iterable[int]) -> str:
    dims = list(shape)
    return "x".join(str(d) for d in dims) if dims else "a scalar"


def _reject_constant(name: str) -> None:
    raise BadRequest(f"{name} is not JSON (non-finite numbers are the strings \"NaN\", \"Infinity\", \"-Infinity\")")


def decode_line(line: str) -> tuple[str | None, str, dict[str, Any]]:
    """(id, op, raw args) of a request line; BadRequest / BadArgs when it is not one."""
    try:
        obj = json.loads(line, parse_constant=_reject_constant)
    except BadRequest:
        raise
    except (json.JSONDecodeError, RecursionError) as e:
        raise BadRequest(f"the line is not valid JSON: {e}") from None
    if line.count("[") + line.count("{") > MAX_NESTING and nesting_depth(obj) > MAX_NESTING:
        raise BadRequest(f"the line nests arrays and objects more than {MAX_NESTING} levels deep")
    if ("\\ud" in line or "\\uD" in line) and not _valid_unicode(obj):
        raise BadRequest("the line holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff): not Unicode text")
    if not isinstance(obj, dict):
        raise BadRequest(f"a request must be a JSON object, not {type(obj).__name__}")
    req_id = obj.get("id")
    if not isinstance(req_id, str):
        raise BadRequest('a request needs a string "id"')
    op = obj.get("op")
    if not isinstance(op, str):
        raise RequestIdError(req_id, BadRequest('a request needs a string "op"'))
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise RequestIdError(req_id, BadArgs(f'"args" must be an object, not {json_type(args)}'))
    return req_id, op, args


def nesting_depth(value: Any) -> int:
    """Levels of arrays and objects (the request object itself is level 1), without recursion."""
    depth = 0
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            depth = max(depth, d)
            stack.extend((e, d + 1) for e in v.values() if isinstance(e, (list, dict)))
        elif isinstance(v, list):
            depth = max(depth, d)
            stack.extend((e, d + 1) for e in v if isinstance(e, (list, dict)))
    return depth


def _valid_unicode(v: Any) -> bool:
    """No string (key or value) holds a lone surrogate, which json.loads lets through."""
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(v, list):
        return all(_valid_unicode(e) for e in v)
    if isinstance(v, dict):
        return all(_valid_unicode(k) and _valid_unicode(e) for k, e in v.items())
    return True


class RequestIdError(Exception):
    """A ProtocolError of a request whose id could be read."""

    def __init__(self, req_id: str, error: ProtocolError) -> None:
        super().__init__(error.message)
        self.req_id = req_id
        self.error = error


def json_type(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return f"the string {v!r}"
    if isinstance(v, list):
        return "a list"
    return "an object"


def encode(value: Any) -> Any:
    """Plain JSON values: arrays as nested lists, non-finite floats as strings."""
    if isinstance(value, np.ndarray):
        return encode(value.tolist())
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        if math.isnan(f):
            return "NaN"
        if math.isinf(f):
            return "Infinity" if f > 0 else "-Infinity"
        return f
    return value


def encode_answer(req_id: str | None, ok: dict[str, Any] | None = None, error: ProtocolError | None = None) -> str:
    """One answer line (shortest round-trip floats: Python's repr)."""
    if error is not None:
        body: dict[str, Any] = {"id": req_id, "error": {"type": error.kind, "message": error.message}}
    else:
        body = {"id": req_id, "ok": encode(ok)}
    return json.dumps(body, allow_nan=False, separators=(",", ":"))


def _scalar(v: Any, where: str) -> float:
    if isinstance(v, bool) or v is None:
        raise BadArgs(f"{where} must be a number, not {json_type(v)}")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and v in NON_FINITE_IN:
        return NON_FINITE_IN[v]
    raise BadArgs(f"{where} must be a number, not {json_type(v)}")


def _shape_of(v: Any, name: str) -> tuple[int, ...]:
    """Shape of a nested list (BadArgs when ragged)."""
    if not isinstance(v, list):
        return ()
    if not v:
        return (0,)
    first = _shape_of(v[0], name)
    for item in v[1:]:
        if (_shape_of(item, name) if isinstance(item, list) else ()) != first:
            raise BadArgs(f"{name} is ragged: its rows differ in length or depth")
    return (len(v), *first)


def _flatten(v: Any, out: list[float], name: str) -> None:
    if isinstance(v, list):
        for item in v:
            _flatten(item, out, name)
    else:
        out.append(_scalar(v, f"every element of {name}"))


class Args:
    """Typed access to a request's arguments, raising the protocol's errors."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def has(self, name: str) -> bool:
        return name in self.raw and self.raw[name] is not None

    def get(self, name: str, default: Any = _MISSING) -> Any:
        """The raw JSON value (null counts as absent); BadArgs when missing without a default."""
        if name in self.raw and self.raw[name] is not None:
            return self.raw[name]
        if default is _MISSING:
            raise BadArgs(f'missing argument "{name}"')
        return default

    def array(self, name: str, ndims: Iterable[int] | None = None, default: Any = _MISSING, value: Any = _MISSING) -> Array:
        """A float64 array; `ndims` lists the allowed numbers of dimensions."""
        v = self.get(name, default) if value is _MISSING else value
        shape = _shape_of(v, name)
        if len(shape) > MAX_NDIM:
            raise ShapeError(f"{name} has {len(shape)} dimensions; at most {MAX_NDIM} are supported")
        flat: list[float] = []
        _flatten(v, flat, name)
        arr = np.array(flat, dtype=np.float64).reshape(shape)
        allowed = tuple(ndims) if ndims is not None else None
        if allowed is not None and arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ShapeError(f"{name} must be {want}, but it is {arr.ndim}-D ({shape_str(arr.shape)})")
        if 0 in arr.shape:
            raise ShapeError(f"{name} is empty ({shape_str(arr.shape)})")
        return arr

    def number(self, name: str, default: Any = _MISSING) -> float:
        return _scalar(self.get(name, default), name)

    def integer(self, name: str, default: Any = _MISSING, minimum: int | None = 1, maximum: int | None = MAX_ELEMENTS) -> int:
        v = self.get(name, default)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or (isinstance(v, float) and not v.is_integer()):
            raise BadArgs(f"{name} must be an integer, not {json_type(v) if not isinstance(v, float) else v}")
        n = int(v)
        if minimum is not None and n < minimum:
            raise ValueError_(f"{name} = {n} must be at least {minimum}")
        if maximum is not None and n > maximum:
            raise ValueError_(f"{name} = {n} is larger than the limit {maximum}")
        return n

    def seed(self, name: str = "seed", default: Any = _MISSING) -> int:
        return self.integer(name, default, minimum=0, maximum=SEED_LIMIT - 1)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        v = self.get(name, default)
        if not isinstance(v, bool):
            raise BadArgs(f"{name} must be true or false, not {json_type(v)}")
        return v

    def choice(self, name: str, choices: Iterable[str], default: Any = _MISSING, fold_case: bool = False) -> str:
        """One of `choices`, as written; `fold_case` lower-cases it first (where the book does)."""
        v = self.get(name, default)
        options = tuple(choices)
        key = v.lower() if fold_case and isinstance(v, str) else v
        if not isinstance(v, str) or key not in options:
            raise BadArgs(f"{name} must be one of {', '.join(options)}, not {json_type(v)}")
        return key

    def obj(self, name: str, default: Any = _MISSING) -> dict[str, Any]:
        v = self.get(name, default)
        if not isinstance(v, dict):
            raise BadArgs(f"{name} must be an object, not {json_type(v)}")
        return v

    def int_list(self, name: str, default: Any = _MISSING) -> list[int]:
        v = self.get(name, default)
        if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, (int, float)) or float(x) != int(x) for x in v):
            raise BadArgs(f"{name} must be a list of integers")
        out = [int(x) for x in v]
        for i, n in enumerate(out):
            if n < 1:
                raise ValueError_(f"{name}[{i}] = {n} must be at least 1")
        return out

    def params(self, name: str, shapes: dict[str, tuple[int, ...]], parsed: dict[str, Array] | None = None) -> dict[str, Array]:
        """An object of named arrays with exactly the given shapes (`parsed`: entries already read)."""
        raw = self.obj(name)
        parsed = parsed or {}
        out: dict[str, Array] = {}
        for key, shape in shapes.items():
            if key in parsed:
                arr = parsed[key]
            elif key not in raw or raw[key] is None:
                raise ShapeError(f"{name} has no {key}")
            else:
                arr = self.array(f"{name}.{key}", value=raw[key])
            if arr.shape != shape:
                raise ShapeError(f"{name}.{key} is {shape_str(arr.shape)} but must be {shape_str(shape)}")
            out[key] = np.ascontiguousarray(arr)
        return out


def check_elements(count: int, what: str) -> None:
    if count > MAX_ELEMENTS:
        raise ValueError_(f"{what} would hold {count} elements, above the limit of {MAX_ELEMENTS}")


def target(t_raw: Any, y_shape: tuple[int, ...], name: str = "t") -> NDArray:
    """Validate a target for scores of shape `y_shape` (1-D = one sample, 2-D = N rows of C
    classes): one-hot (the same shape) or labels (one integer per row, 0 <= label < C)."""
    args = Args({name: t_raw})
    t = args.array(name) if isinstance(t_raw, list) else np.array(args.number(name))
    ndim, size = len(y_shape), math.prod(y_shape)
    n, c = (1, y_shape[0]) if ndim == 1 else y_shape
    if t.shape == tuple(y_shape):
        return t
    if t.size == size and t.ndim >= 1 and (t.ndim != 1 or ndim != 2 or n != size):
        raise ShapeError(f"one-hot {name} is {shape_str(t.shape)} but y is {shape_str(y_shape)}")
    if ndim == 1:
        if t.size != 1 or t.ndim > 1:
            raise ShapeError(f"{name} must be one label (or one-hot of {c}) for a 1-D y, but it is {shape_str(t.shape)}")
    elif t.ndim != 1 or t.shape[0] != n:
        raise ShapeError(f"{name} must hold {n} labels (or be one-hot {n}x{c}), but it is {shape_str(t.shape)}")
    flat = t.reshape(-1)
    for i, v in enumerate(flat):
        if not math.isfinite(v) or not float(v).is_integer():
            raise BadArgs(f"{name}[{i}] = {v} is not an integer label")
        if not 0 <= v < c:
            raise ValueError_(f"{name}[{i}] = {int(v)} is outside 0..{c - 1}")
    return flat.astype(np.int64) if ndim == 2 else flat.astype(np.int64).reshape(())
