"""Differential fuzzing, the driver: random requests of every op family (harness.strategies),
sent to every present port, each answer compared with the Python reference's answer under a
bound scaled to the problem (harness.bounds).

How it works (README "Fuzzing"):

- `STRATEGIES[family]` (hypothesis) draws `(op, args)` for one op of the family: random shapes
  (1x1, one row, one column included), scales from 1e-3 to 1e3 and, where an op is elementwise,
  the extremes 1e-300 / 1e300 and non-finite values; labels and one-hot targets; small networks.
- Every example goes to one long-lived runner per port (`RunnerClient`), all ports in parallel.
- `bounds(op, args, want)` gives for every number of the reference's answer an absolute bound
  on how far a port that follows the protocol may be from it: the rounding error of the
  computation as the protocol pins it, from first-order error analysis with the problem's own
  magnitudes (a sum of n terms: n·eps·Σ|terms|; a numerical gradient: the loss evaluation's
  rounding over h; ...). Each bound's derivation is next to it. A bound of +inf means that the
  element is ill-conditioned at this input (a relu kink or an argmax tie closer than rounding,
  a sum whose partial sums overflow in some order) and is not compared.
- The scaled error of an element is |got - want| / bound (0 when equal); a port disagrees when
  one element's scaled error exceeds 1, when NaN or an infinity is not matched exactly, when the
  shapes differ, or when it answers an error where the reference answered ok (or another type).
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, seed as hyp_seed, settings

from .bounds import bounds, judge, like
from .cases import answer_id_of
from .client import Answer, RunnerClient
from .jsonio import dumps
from .ports import Port
from .strategies import _TMP, STRATEGIES, Args

REFERENCE = "python"

# ---------------------------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------------------------

@dataclass
class Disagreement:
    family: str
    port: str
    op: str
    args: Args
    why: str
    reference: Answer

    def case_line(self, case_id: str) -> str:
        """The regression case for this example: the reference's answer as expectation."""
        import json
        if self.reference.kind == "error":
            expect: Any = {"error": self.reference.error_type}
        else:
            expect = json.loads(self.reference.line)["ok"]
        return dumps({"id": case_id, "op": self.op, "args": self.args, "expect": expect,
                      "source": "reference", "note": f"fuzz finding ({self.port}): {self.why}"})


@dataclass
class FamilyStats:
    family: str
    examples: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    worst: dict[str, float] = field(default_factory=dict)     # port -> worst scaled error
    skipped: int = 0
    seconds: float = 0.0

    @property
    def worst_overall(self) -> float:
        return max(self.worst.values(), default=0.0)


class Fuzzer:
    """One runner process per port for the whole run (the reference first)."""

    def __init__(self, ports: list[Port], timeout: float | None = None) -> None:
        names = [p.name for p in ports]
        if REFERENCE not in names:
            raise ValueError("fuzzing needs the reference port 'python'")
        self.ports = [p for p in ports if p.present]
        self.clients: dict[str, RunnerClient] = {p.name: p.client(timeout) for p in self.ports}
        self.pool = ThreadPoolExecutor(max_workers=max(1, len(self.ports)))
        self.counter = 0

    def close(self) -> None:
        for c in self.clients.values():
            c.close()
        self.pool.shutdown()
        if _TMP:                          # the IDX files of the data family
            import shutil
            shutil.rmtree(_TMP.pop(), ignore_errors=True)

    def __enter__(self) -> "Fuzzer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ask_raw(self, line: str) -> dict[str, Answer]:
        """Every port's answer to a verbatim line (in parallel)."""
        rid = answer_id_of(line)
        futures = {n: self.pool.submit(c.request, line, rid) for n, c in self.clients.items()}
        return {n: f.result() for n, f in futures.items()}

    def ask(self, op: str, args: Args, only: str | None = None) -> Any:
        """Every port's answer (in parallel), or only the named port's."""
        self.counter += 1
        rid = f"fuzz/{self.counter}"
        line = dumps({"id": rid, "op": op, "args": args})
        if only is not None:
            return self.clients[only].request(line, rid)
        futures = {n: self.pool.submit(c.request, line, rid) for n, c in self.clients.items()}
        return {n: f.result() for n, f in futures.items()}

    def run_family(self, family: str, n: int, seed: int | None = None,
                   max_findings: int = 20) -> FamilyStats:
        stats = FamilyStats(family)
        others = [name for name in self.clients if name != REFERENCE]
        t0 = time.monotonic()

        def check(example: tuple[Any, ...]) -> None:
            op, args = example[0], example[1]
            meta = example[2] if len(example) > 2 else {}
            stats.examples += 1
            answers = self.ask_raw(args["line"]) if meta.get("raw") else self.ask(op, args)
            ref = answers[REFERENCE]
            if ref.kind not in ("ok", "error"):
                stats.disagreements.append(Disagreement(family, REFERENCE, op, args,
                                                        f"reference {ref.describe()}", ref))
                return
            b = None
            if ref.kind == "ok" and family in ("errors", "requests"):
                b = {k: like(v, np.inf) if not isinstance(v, dict) else
                     {kk: like(vv, np.inf) for kk, vv in v.items()} for k, v in ref.body.items()}
            elif ref.kind == "ok":
                try:
                    b = bounds(op, args, ref.body, evaluate=lambda o, a: self.ask(o, a, only=REFERENCE))
                except Exception as exc:   # the harness's own bug: report it, never hide it
                    stats.disagreements.append(Disagreement(
                        family, "harness", op, args, f"no bound: {type(exc).__name__}: {exc}", ref))
                    return
            for name in others:
                v = judge(ref, answers[name], b, meta.get("any_error_type", False))
                stats.skipped += v.skipped
                stats.worst[name] = max(stats.worst.get(name, 0.0), v.scaled)
                if not v.agree and len(stats.disagreements) < max_findings:
                    stats.disagreements.append(Disagreement(family, name, op, args, v.why, ref))
                elif not v.agree:
                    stats.disagreements.append(Disagreement(family, name, op, {}, v.why, ref))

        test = given(STRATEGIES[family])(check)
        test = settings(max_examples=n, derandomize=seed is None, database=None, deadline=None,
                        phases=[Phase.generate], suppress_health_check=list(HealthCheck))(test)
        if seed is not None:
            test = hyp_seed(seed)(test)
        test()
        stats.seconds = time.monotonic() - t0
        return stats

