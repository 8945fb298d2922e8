#!/usr/bin/env python3
"""A tiny runner for the harness's own tests: a few ops of the protocol, and switches that
make it misbehave on one op so the harness's crash/hang/garbage/wrong-id handling is tested.

Usage: fake_runner.py [--crash-on OP] [--hang-on OP|*] [--garbage-on OP] [--wrong-id-on OP]
                      [--unknown OP]    (answers UnknownOp for OP although it knows it)
                      [--partial-on OP] (writes half an answer line, then exits with 5)
                      [--bare-nan-on OP] (answers {"ok": {"y": NaN}}: a bare NaN, not JSON)
                      [--double-on OP]   (writes its answer line twice)
                      [--no-field-on OP] (answers an object with neither "ok" nor "error")
"""
import argparse
import json
import math
import sys
import time


def num_in(v):
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v) \
        if isinstance(v, str) else v


def num_out(v):
    if isinstance(v, list):
        return [num_out(e) for e in v]
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


def elementwise(f):
    def apply(x):
        if isinstance(x, list):
            return [apply(e) for e in x]
        x = num_in(x)
        if not isinstance(x, (int, float)) or isinstance(x, bool):
            raise TypeError("x must be numbers")
        return f(float(x))
    return apply


def gate(w1, w2, b):
    return lambda a: {"y": 0 if w1 * a["x1"] + w2 * a["x2"] + b <= 0 else 1}


OPS = {
    "fn.identity": lambda a: {"y": elementwise(lambda v: v)(a["x"])},
    "fn.relu": lambda a: {"y": elementwise(lambda v: max(0.0, v) if v == v else v)(a["x"])},
    "fn.step": lambda a: {"y": elementwise(lambda v: 1 if v > 0 else 0)(a["x"])},
    "gate.and": gate(0.5, 0.5, -0.7),
    "gate.or": gate(0.5, 0.5, -0.2),
}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--crash-on", "--hang-on", "--garbage-on", "--wrong-id-on", "--unknown",
                 "--partial-on", "--bare-nan-on", "--double-on", "--no-field-on"):
        p.add_argument(flag, default=None)
    opt = p.parse_args()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError:
            req = None
        if not isinstance(req, dict) or not isinstance(req.get("id"), str) \
                or not isinstance(req.get("op"), str):
            rid = req.get("id") if isinstance(req, dict) and isinstance(req.get("id"), str) else None
            print(json.dumps({"id": rid, "error": {"type": "BadRequest", "message": "bad"}}),
                  flush=True)
            continue
        op, rid = req["op"], req["id"]
        if op == opt.crash_on:
            print(f"fake runner: crashing on {op}", file=sys.stderr, flush=True)
            return 3
        if op == opt.partial_on:
            sys.stdout.write('{"id": "' + rid + '", "ok": {"y"')
            sys.stdout.flush()
            return 5
        if op == opt.hang_on or opt.hang_on == "*":
            print(f"fake runner: hanging on {op}", file=sys.stderr, flush=True)
            time.sleep(3600)
        if op == opt.garbage_on:
            print("this is not JSON", flush=True)
            continue
        if op == opt.bare_nan_on:
            print('{"id": ' + json.dumps(rid) + ', "ok": {"y": NaN}}', flush=True)
            continue
        if op == opt.no_field_on:
            print(json.dumps({"id": rid, "result": {"y": 1}}), flush=True)
            continue
        if op == opt.wrong_id_on:
            rid = rid + "/other"
        if op not in OPS or op == opt.unknown:
            ans = {"id": rid, "error": {"type": "UnknownOp", "message": f"unknown op {op}"}}
        else:
            try:
                ans = {"id": rid, "ok": {k: num_out(v) for k, v in OPS[op](req.get("args", {})).items()}}
            except KeyError as exc:
                ans = {"id": rid, "error": {"type": "BadArgs", "message": f"missing {exc}"}}
            except TypeError as exc:
                ans = {"id": rid, "error": {"type": "BadArgs", "message": str(exc)}}
        print(json.dumps(ans), flush=True)
        if op == opt.double_on:
            print(json.dumps(ans), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
