"""Cross-port agreement: for every reference case, each port's answer agrees with the Python
port's own answer (not only with the stored expectation) under the case's tolerance."""
from __future__ import annotations

import pytest

from conftest import ALL_PORTS, REFERENCE_PORT, Session, require_present
from harness.compare import compare_ok


def like_expect(answer: dict, expect: dict) -> dict:
    """The reference's answer cut to the keys of the case's expectation, nested objects too (a case
    leaves out the numbers that are rounding noise, section 4)."""
    return {k: like_expect(answer[k], v) if isinstance(v, dict) and isinstance(answer[k], dict) else answer[k]
            for k, v in expect.items() if k in answer}


def test_agrees_with_python(crossport_case, session: Session) -> None:
    port, case = crossport_case
    require_present(port)
    if REFERENCE_PORT not in ALL_PORTS:
        pytest.skip(f"no {REFERENCE_PORT!r} port in the ports description")
    reference = ALL_PORTS[REFERENCE_PORT]
    if not reference.present:
        pytest.skip(f"the Python reference is not present ({reference.absent_reason()})")
    want = session.answers(REFERENCE_PORT)[case.id]
    got = session.answers(port.name)[case.id]
    assert want.kind in ("ok", "error"), f"python: {want.describe()}"
    if want.kind == "error":
        assert got.kind == "error" and got.error_type == want.error_type, \
            f"python refused with {want.error_type}, {port.name}: {got.describe()}"
        return
    assert got.kind == "ok", f"{port.name}: {got.describe()}"
    cmp = compare_ok(got.body, like_expect(want.body, case.expect), case.rtol, case.atol)
    if not cmp.ok:
        pytest.fail(f"{port.name} vs python on {case.id} (rtol {case.rtol:g}, atol {case.atol:g}):\n"
                    + "\n".join(f"  {m}" for m in cmp.mismatches), pytrace=False)
