"""The conformance status of each port for the cases of a concept: run through the harness, or
read from the JSON of scripts/conformance."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from harness.cases import Case
from harness.client import default_timeout
from harness.conformance import counts_toward_worst
from harness.ports import Port
from harness.run import FAIL, PASS, run_port

from concepts import LANG_BY_KEY, Concept



@dataclass
class CaseStatus:
    status: str          # PASS, FAIL or MISSING
    message: str = ""
    worst_rel: float | None = 0.0   # the worst relative error (None: not known)


@dataclass
class PortRun:
    """The results of one port over the cases that were run ({} when the port is absent)."""
    name: str
    lang: str | None     # the language column it belongs to (by its ports.json cwd)
    present: bool
    absent_reason: str = ""
    results: dict[str, CaseStatus] = field(default_factory=dict)
    ran: bool = True     # False: a port of ports.json that the status JSON does not mention


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    missing: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (id, status, message)
    worst_rel: float | None = 0.0      # over the cases answered; None when one is not known

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.missing

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


def port_language(port: Port, root: Path) -> str | None:
    try:
        rel = port.cwd.relative_to(root.resolve())
    except ValueError:
        return None
    head = rel.parts[0] if rel.parts else ""
    return head if head in LANG_BY_KEY else None


def run_status(ports: list[Port], cases: list[Case], root: Path,
               timeout: float | None = None) -> dict[str, PortRun]:
    """Each case once through each port's runner (the ports in parallel)."""
    timeout = default_timeout() if timeout is None else timeout

    def one(port: Port) -> PortRun:
        reason = port.absent_reason()
        run = PortRun(port.name, port_language(port, root), reason is None, reason or "")
        if reason is None and cases:
            for cid, r in run_port(port, cases, timeout).items():
                run.results[cid] = CaseStatus(r.status, r.message, r.worst_rel)
        return run

    with ThreadPoolExecutor(max_workers=max(1, len(ports))) as pool:
        runs = list(pool.map(one, ports))
    return {r.name: r for r in runs}


def status_from_json(path: Path, ports: list[Port], cases: list[Case],
                     root: Path) -> dict[str, PortRun]:
    """The results written by `scripts/conformance --json` (run over every case file).

    That JSON lists every case that did not pass (every case with --verbose); a case of a
    present port that it does not list passed. A port it does not mention was not run.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("ports"), dict):
        raise ValueError(f"{path}: not the output of scripts/conformance --json")
    if data.get("cases") != len(cases):
        raise ValueError(f"{path} was written over {data.get('cases')} cases, not the "
                         f"{len(cases)} of shared_tests/cases: run scripts/conformance --json "
                         "without --op or --cases")
    runs: dict[str, PortRun] = {}
    for port in ports:
        entry = data["ports"].get(port.name)
        if entry is None:
            runs[port.name] = PortRun(port.name, port_language(port, root), port.present,
                                      ran=False)
            continue
        present = bool(entry.get("present", True))
        run = PortRun(port.name, port_language(port, root), present,
                      "" if present else "port not present")
        if present:
            listed = {r["id"]: CaseStatus(r["status"], r.get("message", ""),
                                          r.get("worst_rel"))
                      for r in entry.get("results", [])}
            for c in cases:   # unlisted: passed, with an error the JSON does not give
                run.results[c.id] = listed.get(c.id, CaseStatus(PASS, "", None))
        runs[port.name] = run
    return runs


def tally(run: PortRun, cases: list[Case]) -> Tally:
    t = Tally()
    for c in cases:
        r = run.results.get(c.id)
        if r is None:
            continue
        if counts_toward_worst(c, r.status) and t.worst_rel is not None:
            t.worst_rel = None if r.worst_rel is None else max(t.worst_rel, r.worst_rel)
        if r.status == PASS:
            t.passed += 1
        elif r.status == FAIL:
            t.failed += 1
            t.failures.append((c.id, r.status, r.message))
        else:
            t.missing += 1
            t.failures.append((c.id, r.status, r.message))
    return t


def tally_text(run: PortRun | None, cases: list[Case]) -> tuple[str, str]:
    """A one-line status of a port for a concept, and its kind: ok, fail, none."""
    if run is None or not run.ran:
        return f"{run.name if run else 'port'}: not run", "none"
    if not run.present:
        return f"{run.name}: not present", "none"
    if not cases:
        return f"{run.name}: no cases", "none"
    t = tally(run, cases)
    if t.total == 0:
        return f"{run.name}: not run", "none"
    text = f"{run.name}: {t.passed}/{t.total} passed"
    extra = [f"{n} {w}" for n, w in ((t.failed, "failed"), (t.missing, "missing")) if n]
    if extra:
        text += " (" + ", ".join(extra) + ")"
    return text, "ok" if t.ok else "fail"


def cases_of(concept: Concept, cases: list[Case]) -> list[Case]:
    return [c for c in cases if concept.covers(c)]


