"""bin/bench: its options refused in one line, its JSON result."""

import json

import pytest

from conftest import assert_refused, run


@pytest.mark.parametrize("args, words", [
    (["--repeats", "0"], ["--repeats", "0"]),
    (["--steps", "0"], ["--steps", "0"]),
    (["--repeats", "abc"], ["--repeats", "abc"]),
    (["--bogus"], ["--bogus"]),
])
def test_bench_refuses_bad_options(args, words):
    assert_refused(run("bench", *args), "bench", *words)


def test_bench_json_line():
    proc = run("bench", "--repeats", "1", "--steps", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["port"] == "python" and result["ms_per_step"] > 0
