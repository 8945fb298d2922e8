#!/usr/bin/env python3
"""A wrong port for the fuzzer's own test: the Python reference's runner, with every float of
every ok-answer multiplied by (1 + REL). The fuzzer must notice it.

Usage: perturbing_runner.py REL
"""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def perturb(v, rel):
    if isinstance(v, float):
        return v * (1 + rel)
    if isinstance(v, list):
        return [perturb(e, rel) for e in v]
    if isinstance(v, dict):
        return {k: perturb(e, rel) for k, e in v.items()}
    return v


def main() -> int:
    rel = float(sys.argv[1])
    ref = subprocess.Popen([str(REPO / "python" / "bin" / "runner")], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    for line in sys.stdin:
        if not line.strip():
            continue
        ref.stdin.write(line if line.endswith("\n") else line + "\n")
        ref.stdin.flush()
        ans = json.loads(ref.stdout.readline())
        if "ok" in ans:
            ans["ok"] = perturb(ans["ok"], rel)
        print(json.dumps(ans), flush=True)
    ref.stdin.close()
    return ref.wait()


if __name__ == "__main__":
    sys.exit(main())
