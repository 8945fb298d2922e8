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
from .cases import TIERS, Case, CaseFormatError, load_cases
from .jsonio import dumps
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
               "--verbose; scripts/conformance --port lua --cases my_cases.jsonl --json; "
               "scripts/conformance --fuzz 2000 --family 'layers' --fuzz-out findings.jsonl")
    p.add_argument("--port", action="append", metavar="NAME",
                   help="a port of ports.json (repeatable; default: every port)")
    p.add_argument("--op", action="append", metavar="GLOB",
                   help="only cases whose op matches the glob, e.g. 'layer.*' or 'fn.softmax' "
                        "(repeatable; raw request cases match 'request')")
    p.add_argument("--cases", action="append", metavar="FILE", default=[],
                   help="an extra case file (.jsonl), in addition to shared_tests/cases/*.jsonl")
    p.add_argument("--only-cases", action="store_true",
                   help="use only the --cases files, not shared_tests/cases/*.jsonl")
    p.add_argument("--tier", choices=("core", "strict", "all"), default="all",
                   help="core: valid requests and their numbers; strict: error types and transport "
                        "edge cases (default: all, both reported)")
    p.add_argument("--summary", action="store_true",
                   help="per op family in the book's order, each port's passed/failed/missing "
                        "instead of a line for every failed or missing case")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="print every case's result, not only the failures")
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds to wait for each answer (default: $DLSCRATCH_TIMEOUT or 30)")
    p.add_argument("--ports-file", default=str(PORTS_FILE), metavar="FILE",
                   help="the ports description (default: shared_tests/ports.json)")
    p.add_argument("--no-setup", action="store_true", help="do not run scripts/setup first")
    f = p.add_argument_group("differential fuzzing (README: Fuzzing)")
    f.add_argument("--fuzz", type=int, metavar="N",
                   help="instead of the case files: N random examples per op family, each sent "
                        "to every selected port and compared with the Python reference's answer "
                        "under a bound scaled to the problem; prints examples, disagreements and "
                        "the worst scaled error per family and port")
    f.add_argument("--family", action="append", metavar="GLOB",
                   help="with --fuzz: only these fuzz families (e.g. 'layers', '*net*'; repeatable)")
    f.add_argument("--seed", type=int, metavar="S",
                   help="with --fuzz: a random seed (default: derandomized, the same examples on "
                        "every run)")
    f.add_argument("--fuzz-out", metavar="FILE",
                   help="with --fuzz: write each disagreement as a case line (the reference's "
                        "answer as expectation) to FILE, to turn into a regression case")
    opt = p.parse_args(argv)
    if opt.fuzz is not None and opt.fuzz < 1:
        p.error("--fuzz N needs N >= 1")
    if opt.fuzz is not None and (opt.op or opt.tier != "all" or opt.cases):
        p.error("--op, --tier and --cases select cases; with --fuzz choose fuzz families with --family")
    return opt


def fuzz_main(opt: argparse.Namespace) -> int:
    """scripts/conformance --fuzz N: the fuzz table, exit 1 on any disagreement."""
    from .fuzz import REFERENCE, Fuzzer
    from .strategies import STRATEGIES
    try:
        all_ports = load_ports(opt.ports_file)
        ports = select_ports(all_ports, opt.port)
    except (KeyError, OSError, ValueError) as exc:
        print(f"conformance: {exc.args[0] if isinstance(exc, KeyError) else exc}", file=sys.stderr)
        return 2
    absent = [f"{p.name} ({p.absent_reason()})" for p in ports if not p.present]
    if absent:
        print(f"conformance: --fuzz needs every selected port present: {', '.join(absent)}", file=sys.stderr)
        return 2
    if REFERENCE not in [p.name for p in ports]:
        # the reference of this repository, when another ports file does not name it
        reference = all_ports.get(REFERENCE) or load_ports(PORTS_FILE).get(REFERENCE)
        if reference is None or not reference.present:
            print(f"conformance: --fuzz compares with the Python reference, which neither {opt.ports_file} "
                  f"nor {PORTS_FILE} provides", file=sys.stderr)
            return 2
        ports = [reference, *ports]
    families = [f for f in STRATEGIES
                if not opt.family or any(fnmatch.fnmatchcase(f, g) for g in opt.family)]
    if not families:
        print(f"conformance: no fuzz family matches; families: {', '.join(STRATEGIES)}",
              file=sys.stderr)
        return 2
    others = [p.name for p in ports if p.present and p.name != REFERENCE]
    t0 = time.monotonic()
    rows = []
    findings = []
    w = max(16, *map(len, families))
    head = f"{'family':{w}} {'examples':>8} {'disagree':>8} " + " ".join(f"{n:>9}" for n in others) \
        + f" {'skipped':>9} {'seconds':>8}"
    print(f"fuzz: {opt.fuzz} examples per family, ports {', '.join(others)} against {REFERENCE} "
          f"(cell: worst |got - reference| / bound; > 1 is a disagreement; skipped: numbers "
          f"not compared, ill-conditioned at their input)\n")
    print(head)
    print("-" * len(head))
    with Fuzzer(ports, timeout=opt.timeout) as fz:
        for fam in families:
            st = fz.run_family(fam, opt.fuzz, seed=opt.seed)
            rows.append(st)
            findings += st.disagreements
            cells = " ".join(f"{fmt_scaled(st.worst.get(n, 0.0)):>9}" for n in others)
            print(f"{fam:{w}} {st.examples:>8} {len(st.disagreements):>8} {cells} "
                  f"{st.skipped:>9} {st.seconds:>8.1f}", flush=True)
    seconds = time.monotonic() - t0
    total = sum(r.examples for r in rows)
    print("-" * len(head))
    print(f"{'total':{w}} {total:>8} {len(findings):>8}   in {seconds:.1f} s")
    for d in findings[:50]:
        print(f"\n  DISAGREE {d.port} {d.family} {d.op}: {d.why}")
        if d.args:
            print(f"    request args: {dumps(d.args)[:2000]}")
    if opt.fuzz_out and findings:
        with open(opt.fuzz_out, "w", encoding="utf-8") as fh:
            for i, d in enumerate(f for f in findings if f.args):
                fh.write(d.case_line(f"{d.family}/fuzz/{d.port}-{i}") + "\n")
        print(f"\nconformance: {len(findings)} disagreement(s) written to {opt.fuzz_out} as cases")
    print("\nconformance --fuzz:", "no disagreement" if not findings else
          f"{len(findings)} disagreement(s)")
    return 1 if findings else 0


def fmt_scaled(x: float) -> str:
    if math.isinf(x):
        return "inf"
    return "0" if x == 0 else f"{x:.2g}"


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


def counts_toward_worst(case: Case, status: str) -> bool:
    """Whether a case's relative error enters a cell's worst relative error: every case the port
    answered except the `book` ones, whose values carry the book's printed rounding and say
    nothing about the port. scripts/conformance and the site's matrix both use this rule."""
    return status != MISSING and case.source != "book"


def summarize(results: dict[str, Result]) -> dict[str, dict[str, Any]]:
    cells: dict[str, dict[str, Any]] = {}
    for r in results.values():
        cell = cells.setdefault(r.case.family, {"passed": 0, "failed": 0, "missing": 0,
                                                "worst_rel": 0.0})
        key = {PASS: "passed", FAIL: "failed", MISSING: "missing"}[r.status]
        cell[key] += 1
        if counts_toward_worst(r.case, r.status):
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


def tier_cells(ports: list[Port], results: dict[str, dict[str, Result]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per port, the cells of the core and the strict tier."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for p in ports:
        by_tier: dict[str, dict[str, Result]] = {}
        for cid, r in results[p.name].items():
            by_tier.setdefault(r.case.tier, {})[cid] = r
        out[p.name] = {t: _total(summarize(rs).values()) for t, rs in by_tier.items()}
    return out


def _total(cs: Any) -> dict[str, Any]:
    cs = list(cs)
    return {"passed": sum(c["passed"] for c in cs), "failed": sum(c["failed"] for c in cs),
            "missing": sum(c["missing"] for c in cs),
            "worst_rel": max((c["worst_rel"] for c in cs), default=0.0)}


def render_matrix(ports: list[Port], families: list[str],
                  cells: dict[str, dict[str, dict[str, Any]]],
                  tiers: dict[str, dict[str, dict[str, Any]]] | None = None) -> str:
    head = ["family"] + [p.name for p in ports]
    rows = [head]
    for fam in families:
        row = [fam]
        for p in ports:
            c = cells[p.name].get(fam)
            row.append("-" if c is None else _cell(c['passed'], c['failed'], c['missing'], c['worst_rel']))
        rows.append(row)
    sub_rows = 0
    for tier in TIERS:
        if tiers and any(tier in tiers[p.name] for p in ports):
            row = [f"{tier} tier"]
            for p in ports:
                c = tiers[p.name].get(tier)
                row.append("-" if c is None else _cell(c['passed'], c['failed'], c['missing'], c['worst_rel']))
            rows.append(row)
            sub_rows += 1
    total = ["total"]
    for p in ports:
        c = _total(cells[p.name].values())
        total.append(_cell(c['passed'], c['failed'], c['missing'], c['worst_rel']))
    rows.append(total)
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    rule_after = {0, len(families), len(rows) - 2}
    for k, r in enumerate(rows):
        lines.append("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i])
                               for i, v in enumerate(r)))
        if k in rule_after and k < len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_summary(ports: list[Port], families: list[str],
                   cells: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One line per port and op family, in the book's order: what passes, fails and is missing."""
    lines, width = [], max(map(len, families), default=0)
    for p in ports:
        lines.append(f"== {p.name}")
        for fam in families:
            c = cells[p.name].get(fam)
            if c is None:
                continue
            state = "ok" if not c["failed"] and not c["missing"] else (
                "not implemented" if not c["passed"] and not c["failed"] else "incomplete")
            lines.append(f"  {fam:<{width}} {c['passed']:>4} passed {c['failed']:>4} failed {c['missing']:>4} missing   {state}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    opt = parse_args(argv)
    if opt.fuzz is not None:
        return fuzz_main(opt)
    try:
        ports = select_ports(load_ports(opt.ports_file), opt.port)
        cases = select_cases(load_cases(opt.cases, include_default=not opt.only_cases), opt.op)
        if opt.tier != "all":
            cases = [c for c in cases if c.tier == opt.tier]
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
                "tiers": tier_cells([p], results)[p.name],
                "results": [
                    {"id": r.case.id, "op": r.case.op, "tier": r.case.tier, "status": r.status, "message": r.message,
                     "worst_rel": r.worst_rel,
                     "mismatches": [{"key": m.key, "index": m.index, "got": _jsonable(m.got),
                                     "want": _jsonable(m.want), "reason": m.reason}
                                    for m in r.mismatches]}
                    for r in rs.values() if opt.verbose or r.status != PASS],
            }
        json.dump(out, sys.stdout, indent=1, allow_nan=False, default=str)
        print()
        return 1 if bad else 0

    tiers = ", ".join(f"{sum(c.tier == t for c in cases)} {t}" for t in TIERS if any(c.tier == t for c in cases))
    print(f"{len(cases)} cases ({tiers}) x {len(ports)} ports in {seconds:.1f} s   "
          "(cell: passed/failed/missing worst-relative-error)\n")
    print(render_matrix(ports, families, cells, tier_cells(ports, results)))
    if opt.summary:
        print()
        print(render_summary(ports, families, cells))
    for p in ports:
        rs = list(results[p.name].values())
        reason = p.absent_reason()
        if reason:
            print(f"\n== {p.name}: {reason} (every case missing)")
            continue
        shown = [r for r in rs if opt.verbose or (r.status != PASS and not (opt.summary and r.status == MISSING))]
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
