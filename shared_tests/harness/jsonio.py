"""JSON as the runner protocol writes it: non-finite floats are the strings "NaN",
"Infinity" and "-Infinity" in both directions; bare NaN/Infinity tokens are not JSON."""
from __future__ import annotations

import json
import math
from typing import Any

_NONFINITE_IN = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _reject_constant(token: str) -> Any:
    raise ValueError(f"bare {token} is not JSON (write the string \"{token}\")")


def loads_strict(text: str) -> Any:
    """Parse one JSON text, refusing the non-standard bare NaN/Infinity tokens."""
    return json.loads(text, parse_constant=_reject_constant)


def decode_numbers(value: Any) -> Any:
    """Turn "NaN"/"Infinity"/"-Infinity" strings into floats, recursively."""
    if isinstance(value, str):
        return _NONFINITE_IN.get(value, value)
    if isinstance(value, list):
        return [decode_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: decode_numbers(v) for k, v in value.items()}
    return value


def encode_numbers(value: Any) -> Any:
    """Turn non-finite floats into their protocol strings, recursively (for dumping)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, list | tuple):
        return [encode_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_numbers(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """One line of protocol JSON (floats in shortest round-trip form)."""
    return json.dumps(encode_numbers(value), allow_nan=False, separators=(", ", ": "))
