"""The command-line conventions: --help with every default, one-line refusals, the value types."""

import argparse

import pytest

from conftest import run
from dlscratch.cli import finite_float, positive_int, seed


def test_every_command_has_help_with_defaults():
    for command, default in (("train", "default: 10000)"), ("bench", "(default: 7)")):
        proc = run(command, "--help")
        assert proc.returncode == 0 and default in " ".join(proc.stdout.split()), proc.stdout
        assert proc.stdout.startswith(f"usage: bin/{command}")


@pytest.mark.parametrize("parse, good, bad", [
    (positive_int, [("1", 1), ("12", 12)], ["0", "-3", "1.5", "abc"]),
    (seed, [("0", 0), ("2147483647", 2**31 - 1)], ["-1", "2147483648", "x"]),
    (finite_float, [("0.5", 0.5), ("-1e3", -1000.0)], ["nan", "inf", "abc"]),
])
def test_value_types(parse, good, bad):
    for text, value in good:
        assert parse(text) == value
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)
