"""The dlscratch conformance harness: run a port's runner, load case files, compare answers.

Modules:
    jsonio   -- JSON with "NaN"/"Infinity"/"-Infinity" strings for non-finite floats
    cases    -- case-file loading and validation
    compare  -- tolerance comparison of an answer with an expectation
    client   -- RunnerClient: one runner process, one request at a time, crash/hang/garbage safe
    ports    -- ports.json and the presence of a port's runner
    run      -- stream cases through a port and classify each result
    conformance -- the command-line matrix (scripts/conformance)
"""
from __future__ import annotations

from pathlib import Path

SHARED_TESTS = Path(__file__).resolve().parent.parent
REPO_ROOT = SHARED_TESTS.parent
CASES_DIR = SHARED_TESTS / "cases"
PORTS_FILE = SHARED_TESTS / "ports.json"

DEFAULT_RTOL = 1e-9
DEFAULT_ATOL = 1e-12
DEFAULT_TIMEOUT = 30.0

ERROR_TYPES = ("BadRequest", "UnknownOp", "BadArgs", "ShapeError", "ValueError")

# Every op of the table in shared_tests/README.md section 4.
OPS: tuple[str, ...] = (
    "gate.and", "gate.nand", "gate.or", "gate.xor",
    "fn.identity", "fn.step", "fn.sigmoid", "fn.sigmoid_grad", "fn.relu", "fn.relu_grad",
    "fn.softmax",
    "loss.sum_squared_error", "loss.cross_entropy_error",
    "grad.numerical_diff", "grad.numerical_gradient", "grad.gradient_descent",
    "simple_net.predict", "simple_net.loss", "simple_net.numerical_gradient",
    "layer.mul", "layer.add",
    "graph.buy_apple", "graph.buy_apple_orange",
    "layer.relu", "layer.sigmoid", "layer.affine", "layer.softmax_with_loss",
    "layer.dropout", "layer.batch_norm",
    "net3.init", "net3.forward",
    "two_layer_net.init", "two_layer_net.predict", "two_layer_net.loss",
    "two_layer_net.accuracy", "two_layer_net.gradient", "two_layer_net.numerical_gradient",
    "multi_layer_net.init", "multi_layer_net.loss", "multi_layer_net.gradient",
    "multi_layer_net.numerical_gradient",
    "optimizer.run",
    "rng.uniform", "rng.normal", "rng.permutation", "rng.choice",
    "train.two_layer_net",
    "data.idx",
)


def family_of(op: str | None) -> str:
    """The op family of an op name: everything before the last dot ("layer.affine" -> "layer").

    Raw request cases (no op) and ops of no known family form the family "request".
    """
    if not op or "." not in op:
        return "request"
    fam = op.rsplit(".", 1)[0]
    return fam if fam in FAMILIES else "request"


FAMILIES: frozenset[str] = frozenset(op.rsplit(".", 1)[0] for op in OPS)


# Ops whose reference results pass through a BLAS matrix product (OpenBLAS picks its kernel by
# the CPU) or a libm / SIMD function that is not correctly rounded (exp, log, pow, sin, cos:
# glibc and numpy dispatch on the CPU too): regenerated on another machine they may move by an
# ulp, so `generate_cases.py --check` compares them within the case's tolerance. Every other op
# is a pinned sequence of correctly rounded IEEE operations and must regenerate bit for bit.
MACHINE_ROUNDED_OPS: frozenset[str] = frozenset({
    "fn.sigmoid", "fn.sigmoid_grad", "fn.softmax",
    "loss.cross_entropy_error",
    "simple_net.predict", "simple_net.loss", "simple_net.numerical_gradient",
    "layer.sigmoid", "layer.affine", "layer.softmax_with_loss",
    "net3.forward",
    "two_layer_net.init", "two_layer_net.predict", "two_layer_net.loss", "two_layer_net.accuracy",
    "two_layer_net.gradient", "two_layer_net.numerical_gradient",
    "multi_layer_net.init", "multi_layer_net.loss", "multi_layer_net.gradient",
    "multi_layer_net.numerical_gradient",
    "rng.normal",
    "train.two_layer_net",
})


def machine_rounded(op: str | None, args: dict | None) -> bool:
    """Whether a case's reference result may move by an ulp from one CPU to another (above;
    of the optimizers only Adam, whose `beta ** iter` is libm's pow)."""
    if op == "optimizer.run":
        return isinstance(args, dict) and args.get("name") == "adam"
    return op in MACHINE_ROUNDED_OPS
