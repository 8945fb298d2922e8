"""scripts/conformance: run every case through every port and print the ports x op-family
matrix (passed / failed / missing, worst relative error) and a diff for each failure.

Exit status: 0 when every selected case passed on every selected port, 1 when any case
failed or was missing (UnknownOp for an op of the table, or a port not present), 2 on a
usage error.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import math
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import OPS, PORTS_FILE, family_of
from .cases import Case, CaseFormatError, load_cases
from .client import default_timeout
from .ports import Port, load_ports, select_ports
from .run import FAIL, MISSING, PASS, Result, run_port


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="scripts/conformance",
        description="Run the shared case files through each port's runner and print the "
                    "ports x op-family matrix (passed/failed/missing, worst relative error) "
                    "with a diff for every failure. Exit status 1 on any failed or missing case.",
        epilog="Examples: scripts/conformance --port ruby; scripts/conformance --op 'layer.*' "
               "--verbose; scripts/conformance --port lua --cases my_cases.jsonl --json")
    p.add_argument("--port", action="append", metavar="NAME",
                   help="a port of ports.json (repeatable; default: every port)")
    p.add_argument("--op", action="append", metavar="GLOB",
                   help="only cases whose op matches the glob, e.g. 'layer.*' or 'fn.softmax' "
                        "(repeatable; raw request cases match 'request')")
    p.add_argument("--cases", action="append", metavar="FILE", default=[],
                   help="an extra case file (.jsonl), in addition to shared_tests/cases/*.jsonl")
    p.add_argument("--only-cases", action="store_true",
                   help="use only the --cases files, not shared_tests/cases/*.jsonl")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="print every case's result, not only the failures")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds to wait for each answer (default: $DLSCRATCH_TIMEOUT or 30)")
    p.add_argument("--ports-file", default=str(PORTS_FILE), metavar="FILE",
                   help="the ports description (default: shared_tests/ports.json)")
    return p.parse_args(argv)


def select_cases(cases: list[Case], globs: list[str] | None) -> list[Case]:
    if not globs:
        return cases
    return [c for c in cases
            if any(fnmatch.fnmatchcase(c.op or "request", g) or fnmatch.fnmatchcase(c.family, g)
                   for g in globs)]


def family_order(cases: list[Case]) -> list[str]:
    order = list(dict.fromkeys(family_of(op) for op in OPS)) + ["request"]
    present = {c.family for c in cases}
    return [f for f in order if f in present] + sorted(present - set(order))


def summarize(results: dict[str, Result]) -> dict[str, dict[str, Any]]:
    cells: dict[str, dict[str, Any]] = {}
    for r in results.values():
        cell = cells.setdefault(r.case.family, {"passed": 0, "failed": 0, "missing": 0,
                                                "worst_rel": 0.0})
        key = {PASS: "passed", FAIL: "failed", MISSING: "missing"}[r.status]
        cell[key] += 1
        if r.status != MISSING and r.case.source != "book":
            # book values carry the book's printed rounding, which says nothing about the port
            cell["worst_rel"] = max(cell["worst_rel"], r.worst_rel)
    return cells


def fmt_rel(x: float) -> str:
    if x == 0:
        return "0"
    if math.isinf(x):
        return "inf"
    return f"{x:.0e}"


def _cell(passed: int, failed: int, missing: int, worst: float) -> str:
    return f"{f'{passed}/{failed}/{missing}':>11} {fmt_rel(worst):<5}"


def render_matrix(ports: list[Port], families: list[str],
                  cells: dict[str, dict[str, dict[str, Any]]]) -> str:
    head = ["family"] + [p.name for p in ports]
    rows = [head]
    for fam in families:
        row = [fam]
        for p in ports:
            c = cells[p.name].get(fam)
            if c is None:
                row.append("-")
            else:
                row.append(_cell(c['passed'], c['failed'], c['missing'], c['worst_rel']))
        rows.append(row)
    total = ["total"]
    for p in ports:
        cs = cells[p.name].values()
        total.append(_cell(sum(c['passed'] for c in cs), sum(c['failed'] for c in cs),
                           sum(c['missing'] for c in cs),
                           max((c['worst_rel'] for c in cs), default=0.0)))
    rows.append(total)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for k, r in enumerate(rows):
        lines.append("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                               for i, v in enumerate(r)))
        if k == 0 or k == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    opt = parse_args(argv)
    try:
        ports = select_ports(load_ports(opt.ports_file), opt.port)
        cases = select_cases(load_cases(opt.cases, include_default=not opt.only_cases), opt.op)
    except (KeyError, CaseFormatError, OSError, ValueError) as exc:
        print(f"conformance: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    if not cases:
        print("conformance: no case selected", file=sys.stderr)
        return 2
    timeout = opt.timeout if opt.timeout is not None else default_timeout()
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, len(ports))) as pool:
        futures = {p.name: pool.submit(run_port, p, cases, timeout) for p in ports}
        results = {name: f.result() for name, f in futures.items()}
    seconds = time.monotonic() - t0
    families = family_order(cases)
    cells = {p.name: summarize(results[p.name]) for p in ports}
    bad = any(r.status != PASS for rs in results.values() for r in rs.values())

    if opt.json:
        out = {"ok": not bad, "seconds": round(seconds, 3), "cases": len(cases), "ports": {}}
        for p in ports:
            rs = results[p.name]
            out["ports"][p.name] = {
                "present": p.present,
                "families": cells[p.name],
                "results": [
                    {"id": r.case.id, "op": r.case.op, "status": r.status, "message": r.message,
                     "worst_rel": r.worst_rel,
                     "mismatches": [{"key": m.key, "index": m.index, "got": _jsonable(m.got),
                                     "want": _jsonable(m.want), "reason": m.reason}
                                    for m in r.mismatches]}
                    for r in rs.values() if opt.verbose or r.status != PASS],
            }
        json.dump(out, sys.stdout, indent=1, allow_nan=False, default=str)
        print()
        return 1 if bad else 0

    print(f"{len(cases)} cases x {len(ports)} ports in {seconds:.1f} s   "
          "(cell: passed/failed/missing worst-relative-error)\n")
    print(render_matrix(ports, families, cells))
    for p in ports:
        rs = list(results[p.name].values())
        reason = p.absent_reason()
        if reason:
            print(f"\n== {p.name}: {reason} (every case missing)")
            continue
        shown = [r for r in rs if opt.verbose or r.status != PASS]
        if not shown:
            continue
        print(f"\n== {p.name}")
        for r in shown:
            if r.status == PASS:
                print(f"  pass     {r.case.id}  (worst rel {fmt_rel(r.worst_rel)})")
            else:
                label = "FAIL" if r.status == FAIL else "MISSING"
                text = r.report().splitlines()
                print(f"  {label:8} {text[0]}")
                for line in text[1:]:
                    print(f"           {line.strip() if line.startswith('    ---') else line[4:]}")
    print("\nconformance:", "every case passed" if not bad else "FAILED (see above)")
    return 1 if bad else 0


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    if isinstance(v, list):
        return [_jsonable(e) for e in v]
    return v


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:          # scripts/conformance | head
        sys.stderr.close()
        sys.exit(1)
