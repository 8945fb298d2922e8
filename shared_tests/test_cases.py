"""One test per (port, case): the port's answer matches the case's expectation."""
from __future__ import annotations

import pytest

from conftest import Session, require_present
from harness.run import MISSING, PASS, evaluate


def test_case(port_case, session: Session) -> None:
    port, case = port_case
    require_present(port)
    result = evaluate(case, session.answers(port.name)[case.id])
    if result.status == MISSING:
        pytest.fail(f"missing: {port.name} answered UnknownOp for {case.op}", pytrace=False)
    if result.status != PASS:
        pytest.fail(result.report(), pytrace=False)
