"""Comparison of an answer with a case's expectation (README section 6).

Elementwise `|got - want| <= atol + rtol * |want|`, shapes (nesting) equal, NaN where NaN is
expected, +-Infinity exactly. Every expected key must be present; extra keys are allowed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator


@dataclass(frozen=True)
class Mismatch:
    key: str          # the ok-object key, dotted for nested objects ("params.W1")
    index: str        # element index, "[1][2]"; "" for the whole value
    got: Any
    want: Any
    reason: str       # "value", "shape", "missing", "type", "more"

    def __str__(self) -> str:
        where = f"{self.key}{self.index}"
        if self.reason == "missing":
            return f"{where}: missing from the answer (its keys: {', '.join(self.got) or 'none'})"
        if self.reason == "shape":
            return f"{where}: shape {self.got} but expected {self.want}"
        if self.reason == "more":
            return f"{where}: {self.got}"
        if self.reason == "type":
            return f"{where}: got {self.got!r}, expected {self.want!r}"
        g, w = self.got, self.want
        diff = ""
        if _is_num(g) and _is_num(w) and math.isfinite(g) and math.isfinite(w):
            diff = f"  (|d| = {abs(g - w):.3g}" + (f", rel {abs(g - w) / abs(w):.3g})" if w else ")")
        return f"{where}: got {g!r}, want {w!r}{diff}"


@dataclass
class Comparison:
    mismatches: list[Mismatch] = field(default_factory=list)
    worst_rel: float = 0.0     # max over compared elements of |g-w|/|w| (|g-w| where w == 0), except
                               # where both |w| and |g-w| are within atol
    count: int = 0             # number of compared scalar values

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def shape_of(v: Any) -> tuple[int, ...] | None:
    """The nested-list shape of v: () for a scalar, None for a ragged or mixed list."""
    if not isinstance(v, list):
        return ()
    if not v:
        return (0,)
    inner = [shape_of(e) for e in v]
    first = inner[0]
    if first is None or any(s != first for s in inner):
        return None
    return (len(v),) + first


def _flatten(v: Any, index: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(v, list):
        for i, e in enumerate(v):
            yield from _flatten(e, f"{index}[{i}]")
    else:
        yield index, v


def relative_error(got: float, want: float) -> float:
    if math.isnan(want) or math.isinf(want):
        return 0.0 if (got == want or (math.isnan(got) and math.isnan(want))) else math.inf
    if not math.isfinite(got):
        return math.inf
    d = abs(got - want)
    return d / abs(want) if want != 0 else d


def close(got: Any, want: Any, rtol: float, atol: float) -> bool:
    """One scalar within tolerance (numbers only; NaN matches NaN, infinities exactly)."""
    if not _is_num(got) or not _is_num(want):
        return False
    if math.isnan(want):
        return math.isnan(got)
    if math.isinf(want):
        return got == want
    if not math.isfinite(got):
        return False
    return abs(got - want) <= atol + rtol * abs(want)


def compare_value(got: Any, want: Any, rtol: float, atol: float, key: str,
                  result: Comparison, max_mismatches: int = 8) -> None:
    """Compare one value (scalar, nested list or object) and record into result."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            result.mismatches.append(Mismatch(key, "", _brief(got), "an object", "type"))
            return
        for k, w in want.items():
            sub = f"{key}.{k}" if key else k
            if k not in got:
                result.mismatches.append(Mismatch(sub, "", sorted(got), w, "missing"))
            else:
                compare_value(got[k], w, rtol, atol, sub, result, max_mismatches)
        return
    sw, sg = shape_of(want), shape_of(got)
    if sw != sg:
        result.mismatches.append(Mismatch(key, "", _fmt_shape(sg), _fmt_shape(sw), "shape"))
        return
    shown = 0
    for (index, w), (_, g) in zip(_flatten(want), _flatten(got)):
        if _is_num(w):
            if not _is_num(g):
                ok = False
            else:
                result.count += 1
                if not abs(float(w)) <= atol or not abs(float(g) - float(w)) <= atol:   # below atol: noise
                    result.worst_rel = max(result.worst_rel, relative_error(float(g), float(w)))
                ok = close(float(g), float(w), rtol, atol)
        else:
            ok = g == w
        if not ok:
            if shown < max_mismatches:
                reason = "value" if _is_num(g) and _is_num(w) else "type"
                result.mismatches.append(Mismatch(key, index, g, w, reason))
            shown += 1
    if shown > max_mismatches:
        result.mismatches.append(
            Mismatch(key, "", f"... and {shown - max_mismatches} more elements differ", "", "more"))


def compare_ok(got: dict[str, Any], want: dict[str, Any], rtol: float, atol: float) -> Comparison:
    """Compare an ok-object with the expected ok-object."""
    result = Comparison()
    compare_value(got, want, rtol, atol, "", result)
    return result


def _fmt_shape(s: tuple[int, ...] | None) -> str:
    if s is None:
        return "ragged"
    return "scalar" if s == () else "x".join(map(str, s))


def _brief(v: Any, limit: int = 80) -> str:
    text = repr(v)
    return text if len(text) <= limit else text[:limit] + "..."
