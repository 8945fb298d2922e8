"""Streaming cases through a port and judging each answer."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from . import OPS
from .cases import Case
from .client import FAILURE_KINDS, Answer
from .compare import Comparison, Mismatch, compare_ok
from .ports import Port

PASS, FAIL, MISSING = "pass", "fail", "missing"


@dataclass
class Result:
    case: Case
    status: str                      # PASS, FAIL or MISSING
    answer: Answer | None
    message: str = ""                # one line: why it failed / is missing
    mismatches: list[Mismatch] = field(default_factory=list)
    worst_rel: float = 0.0

    def report(self) -> str:
        """A multi-line description for a failure (empty for a pass)."""
        if self.status == PASS:
            return ""
        lines = [f"{self.case.id} ({self.case.op or 'raw'}, {self.case.where}): {self.message}"]
        lines += [f"    {m}" for m in self.mismatches]
        if self.answer is not None and self.answer.kind in FAILURE_KINDS and self.answer.detail:
            lines += ["    " + d for d in self.answer.detail.splitlines()[1:]]
        return "\n".join(lines)


def evaluate(case: Case, answer: Answer, rtol: float | None = None,
             atol: float | None = None) -> Result:
    """Judge an answer against the case's expectation (tolerance of the case unless given)."""
    rtol = case.rtol if rtol is None else rtol
    atol = case.atol if atol is None else atol
    if answer.kind in FAILURE_KINDS:
        return Result(case, FAIL, answer, answer.detail.splitlines()[0] if answer.detail else
                      answer.kind)
    want_err = case.expected_error
    if answer.kind == "error" and answer.error_type == "UnknownOp" and case.op in OPS \
            and want_err != "UnknownOp":
        # the port does not implement an op of the table (even a refused case needs the op)
        return Result(case, MISSING, answer, f"UnknownOp for {case.op}")
    if want_err is not None:
        if answer.kind == "error" and answer.error_type == want_err:
            return Result(case, PASS, answer)
        if answer.kind == "error":
            return Result(case, FAIL, answer, f"expected error {want_err}, got "
                          f"{answer.error_type}: {answer.body.get('message', '')}")
        return Result(case, FAIL, answer, f"expected error {want_err}, got ok: "
                      f"{_short(answer.line)}")
    if answer.kind == "error":
        return Result(case, FAIL, answer, f"expected ok, got error {answer.error_type}: "
                      f"{answer.body.get('message', '')}")
    cmp: Comparison = compare_ok(answer.body, case.expect, rtol, atol)
    if cmp.ok:
        return Result(case, PASS, answer, worst_rel=cmp.worst_rel)
    return Result(case, FAIL, answer, f"{len(cmp.mismatches)} mismatch(es) "
                  f"(rtol {rtol:g}, atol {atol:g})", cmp.mismatches, cmp.worst_rel)


def not_present(case: Case, reason: str) -> Result:
    return Result(case, MISSING, None, reason)


def stream(port: Port, cases: Iterable[Case], timeout: float | None = None,
           progress: Callable[[Case, Answer], None] | None = None) -> dict[str, Answer]:
    """Send every case once through one runner process of the port; answers by case id."""
    answers: dict[str, Answer] = {}
    client = port.client(timeout)
    try:
        for case in cases:
            a = client.request(case.request_line(), case.answer_id())
            answers[case.id] = a
            if progress:
                progress(case, a)
    finally:
        client.close()
    return answers


def run_port(port: Port, cases: list[Case], timeout: float | None = None) -> dict[str, Result]:
    """Results by case id; every case MISSING when the port is not present."""
    reason = port.absent_reason()
    if reason:
        return {c.id: not_present(c, reason) for c in cases}
    answers = stream(port, cases, timeout)
    return {c.id: evaluate(c, answers[c.id]) for c in cases}


def _short(text: str | None, limit: int = 160) -> str:
    if text is None:
        return ""
    return text if len(text) <= limit else text[:limit] + "..."
