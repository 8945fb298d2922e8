"""The command-line conventions of every dlscratch command: `--help` lists each option with its
default, and a bad option or value is one line `PROG: what is wrong` on stderr, exit status 2."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any, Callable, NoReturn

from .rng import SEED_LIMIT

__all__ = ["OneLineParser", "fail", "finite_float", "fraction", "positive_int", "seed"]


class _DefaultsFormatter(argparse.HelpFormatter):
    """Appends "(default: X)" to every option whose help does not give its default itself."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "(default" in text or action.default is None or action.default is False or action.default == argparse.SUPPRESS or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class OneLineParser(argparse.ArgumentParser):
    """argparse with the one-line error of the convention instead of usage plus message."""

    def __init__(self, prog: str, description: str) -> None:
        super().__init__(prog=prog, description=description, formatter_class=_DefaultsFormatter)

    def error(self, message: str) -> NoReturn:
        fail(self.prog, message)


def fail(prog: str, message: str) -> NoReturn:
    """Print `prog: message` on stderr and exit with status 2."""
    print(f"{prog}: {message}", file=sys.stderr)
    sys.exit(2)


def _option_value(text: str, convert: type, accept: Callable[[Any], bool], wanted: str) -> Any:
    """`convert(text)` when it parses and `accept` takes it, else the one-line error of argparse."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {wanted} (got {text!r})") from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f"must be {wanted} (got {text})")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    return _option_value(text, int, lambda v: v >= 1, "a whole number >= 1")


def seed(text: str) -> int:
    """A seed of the shared generator, 0 <= seed < 2^31."""
    return _option_value(text, int, lambda v: 0 <= v < SEED_LIMIT, "a whole number in 0 <= seed < 2^31")


def finite_float(text: str) -> float:
    """A finite number."""
    return _option_value(text, float, math.isfinite, "a finite number")


def fraction(text: str) -> float:
    """A number 0 < s <= 1."""
    return _option_value(text, float, lambda v: 0 < v <= 1, "a number in 0 < s <= 1")
