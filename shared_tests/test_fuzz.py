"""Differential fuzzing (README "Fuzzing"): for every fuzz family, hypothesis draws random
requests (derandomized: the same examples on every run), each is sent to every selected port
and to the Python reference through one long-lived runner per port, and every answer must
agree with the reference's within a bound scaled to the problem (harness/fuzz.py).

DLSCRATCH_FUZZ_EXAMPLES sets the examples per family (default 50); long runs:
`scripts/conformance --fuzz N`."""
from __future__ import annotations

import os
import sys
from typing import Iterator

import pytest

from conftest import ALL_PORTS, REFERENCE_PORT, selected_ports
from harness import SHARED_TESTS
from harness.fuzz import Fuzzer
from harness.strategies import STRATEGIES
from harness.ports import Port

EXAMPLES = int(os.environ.get("DLSCRATCH_FUZZ_EXAMPLES", "50"))
#: Families whose every example is large: a DeepConvNet example carries its 72,000 weights to
#: every port and to the reference's 8 perturbed runs, a model example makes every runner read a
#: parameters file of up to 1.5 MB, a gradient example is a numerical gradient of up to
#: thousands of coordinates. They run this fraction of EXAMPLES here
#: (`scripts/conformance --fuzz N` runs N of every family).
FRACTION = {"deep_conv_net": 0.04, "model": 0.2, "gradient": 0.5}


@pytest.fixture(scope="module")
def fuzzer(request: pytest.FixtureRequest) -> Iterator[Fuzzer]:
    ref = ALL_PORTS.get(REFERENCE_PORT)
    if ref is None or not ref.present:
        pytest.skip("fuzzing compares with the Python reference, which is not present")
    ports = [ref] + [p for p in selected_ports(request.config) if p.name != REFERENCE_PORT]
    if not any(p.present for p in ports[1:]) and len(ports) > 1:
        pytest.skip("no selected port is present")
    with Fuzzer(ports) as fz:
        yield fz


@pytest.mark.parametrize("family", list(STRATEGIES))
def test_fuzz_family(fuzzer: Fuzzer, family: str) -> None:
    stats = fuzzer.run_family(family, max(1, round(EXAMPLES * FRACTION.get(family, 1.0))))
    assert stats.examples > 0
    assert not stats.disagreements, f"{family}: {len(stats.disagreements)} disagreement(s):\n" + \
        "\n".join(f"  {d.port} {d.op}: {d.why}\n    args {d.args}" for d in stats.disagreements[:5])


def test_fuzz_notices_a_port_that_is_slightly_wrong() -> None:
    """A port whose every float is off by a relative 1e-11 must disagree in every family with
    floats in its answers (gates answer integers only; errors and requests compare error types
    only): the bounds are not so wide that they would hide a real error."""
    ref = ALL_PORTS.get(REFERENCE_PORT)
    if ref is None or not ref.present:
        pytest.skip("needs the Python reference")
    wrong = Port(name="perturbed", argv=(sys.executable, "perturbing_runner.py", "1e-11"),
                 cwd=SHARED_TESTS / "fake_ports", train=None)
    with Fuzzer([ref, wrong]) as fz:
        for fam in STRATEGIES:
            if fam in ("gates", "errors", "requests"):
                continue
            stats = fz.run_family(fam, max(1, round(15 * FRACTION.get(fam, 1.0))))
            assert stats.disagreements, f"{fam}: an error of 1e-11 relative went unnoticed"
            assert all(d.port == "perturbed" for d in stats.disagreements)
