"""Equal work in every benchmark row (README section 9): every port's bench step, run once with
--check on the benchmark's inputs, computes the reference's loss, dx1 and gradients, each number
within the rounding bound that the protocol allows for it (harness.bounds.Net), and so does the
plain-numpy baseline of scripts/bench."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from harness import REPO_ROOT
from harness.bounds import Net
from harness.ports import Port

HIDDEN, BATCH = 20, 10      # small sizes: the same code paths as 784-50-10, batch 100, in a second


def reference(hidden: int, batch: int) -> tuple[dict, dict]:
    """The exact-arithmetic-free reference: the step's values and their bounds, from harness.bounds."""
    sys.path.insert(0, str(REPO_ROOT / "scripts" / "py"))
    try:
        from bench_steps import inputs
    finally:
        sys.path.pop(0)
    x, t, p = inputs(hidden, batch)
    net = Net(x, [(p["W1"], p["b1"]), (p["W2"], p["b2"])])
    net.forward()
    loss_bound = net.loss_bound(t)
    grad_bounds = net.backward()
    logs = np.log(net.y[np.arange(batch), t] + 1e-7)
    want = {"loss": -logs.mean(), "dx1": net.dx, "grads": net.grads}
    bound = {"loss": loss_bound, "dx1": net.ddx, "grads": grad_bounds}
    return want, bound


def check_output(argv: list[str], cwd) -> dict:
    run = subprocess.run([*argv, "--check", "--hidden", str(HIDDEN), "--batch", str(BATCH)], cwd=cwd,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def assert_same_work(got: dict, name: str) -> None:
    want, bound = reference(HIDDEN, BATCH)
    assert abs(got["loss"] - want["loss"]) <= bound["loss"], f"{name}: loss {got['loss']} vs {want['loss']}"
    dx1 = np.asarray(got["dx1"], float)
    assert dx1.shape == want["dx1"].shape, f"{name}: dx1 is {dx1.shape}, want {want['dx1'].shape}"
    assert np.all(np.abs(dx1 - want["dx1"]) <= bound["dx1"]), f"{name}: dx1 differs beyond its rounding bound"
    for key, w in want["grads"].items():
        g = np.asarray(got["grads"][key], float)
        assert g.shape == w.shape, f"{name}: {key} is {g.shape}, want {w.shape}"
        assert np.all(np.abs(g - w) <= bound["grads"][key]), f"{name}: {key} differs beyond its rounding bound"


def bench_absent(port: Port) -> str | None:
    if not port.bench:
        return f"{port.name} has no \"bench\" entry in ports.json"
    if not port.bench_file or not port.bench_file.is_file():
        return f"bench not present: {port.name}'s {port.bench[0]} does not exist"
    return None


def test_bench_step_is_the_books_step(port: Port) -> None:
    reason = bench_absent(port)
    if reason:
        pytest.skip(reason)
    assert_same_work(check_output(port.bench_argv(), port.cwd), port.name)


def test_numpy_baseline_is_the_books_step() -> None:
    got = check_output([sys.executable, str(REPO_ROOT / "scripts" / "py" / "bench_steps.py"), "--impl", "numpy"], REPO_ROOT)
    assert_same_work(got, "numpy (plain)")


def test_a_step_without_dx1_is_noticed() -> None:
    want, _ = reference(HIDDEN, BATCH)
    fake = {"loss": want["loss"], "dx1": np.zeros_like(want["dx1"]).tolist(),
            "grads": {k: v.tolist() for k, v in want["grads"].items()}}
    with pytest.raises(AssertionError, match="dx1"):
        assert_same_work(fake, "fake")


def test_torch_baseline_is_the_books_step() -> None:
    py = REPO_ROOT / ".venv-torch" / "bin" / "python"
    if not py.exists():
        pytest.skip("PyTorch is not installed (scripts/bench --with-torch installs it into .venv-torch)")
    got = check_output([str(py), str(REPO_ROOT / "scripts" / "py" / "bench_steps.py"), "--impl", "torch"], REPO_ROOT)
    assert_same_work(got, "pytorch (autograd)")


# --- the convolutional step (README section 9, --net simple_conv_net) -----------------------

CONV = ["--net", "simple_conv_net"]


def reference_with_bounds(net: list[str], terms: int) -> tuple[dict, dict]:
    """The reference's step of `net` at the test's sizes, and per array the bound
    terms·eps·max|array| of a result whose sums of up to `terms` terms run in any order."""
    got = check_output([str(REPO_ROOT / "python" / "bin" / "bench"), *net], REPO_ROOT)
    eps = float(np.finfo(np.float64).eps)

    def bound(v) -> float:
        return terms * eps * float(np.max(np.abs(np.asarray(v, float))))

    return got, {"loss": bound(got["loss"]), "dx1": bound(got["dx1"]),
                 "grads": {key: bound(v) for key, v in got["grads"].items()}}


def conv_reference() -> tuple[dict, dict]:
    """The SimpleConvNet step's bound: (k + 8)·eps·max|array| with k the longest sum, dW1's and
    db1's over the batch's 24·24 windows, or W2's 4320 rows."""
    return reference_with_bounds(CONV, max(BATCH * 24 * 24, 4320) + 8)


def assert_within_bounds(got: dict, want: dict, bound: dict, name: str) -> None:
    """The loss, dx1 and every gradient of `got` within their bounds of `want`'s."""
    assert sorted(got["grads"]) == sorted(want["grads"]), f"{name}: gradients of {sorted(got['grads'])}"
    assert abs(got["loss"] - want["loss"]) <= bound["loss"], f"{name}: loss {got['loss']} vs {want['loss']}"
    for key, w, b in [("dx1", want["dx1"], bound["dx1"]), *((k, v, bound["grads"][k]) for k, v in want["grads"].items())]:
        g, w = np.asarray(got["dx1"] if key == "dx1" else got["grads"][key], float), np.asarray(w, float)
        assert g.shape == w.shape, f"{name}: {key} is {g.shape}, want {w.shape}"
        assert np.all(np.abs(g - w) <= b), f"{name}: {key} differs by {np.max(np.abs(g - w)):.3g}, beyond {b:.3g}"


def assert_same_conv_work(got: dict, name: str) -> None:
    assert_within_bounds(got, *conv_reference(), name)


def test_conv_bench_step_is_the_books_step(port: Port) -> None:
    reason = bench_absent(port)
    if reason:
        pytest.skip(reason)
    assert_same_conv_work(check_output([*port.bench_argv(), *CONV], port.cwd), port.name)


def test_numpy_conv_baseline_is_the_books_step() -> None:
    got = check_output([sys.executable, str(REPO_ROOT / "scripts" / "py" / "bench_steps.py"), "--impl", "numpy", *CONV],
                       REPO_ROOT)
    assert_same_conv_work(got, "numpy (plain)")


def test_a_conv_step_without_its_dx1_is_noticed() -> None:
    want, _ = conv_reference()
    with pytest.raises(AssertionError, match="dx1"):
        assert_same_conv_work({**want, "dx1": np.zeros_like(np.asarray(want["dx1"])).tolist()}, "fake")


def test_torch_conv_baseline_is_the_books_step() -> None:
    py = REPO_ROOT / ".venv-torch" / "bin" / "python"
    if not py.exists():
        pytest.skip("PyTorch is not installed (scripts/bench --with-torch installs it into .venv-torch)")
    got = check_output([str(py), str(REPO_ROOT / "scripts" / "py" / "bench_steps.py"), "--impl", "torch", *CONV], REPO_ROOT)
    assert_same_conv_work(got, "pytorch (autograd)")


# --- the deep step (README section 9, --net deep_conv_net) -----------------------------------

DEEP = ["--net", "deep_conv_net"]
#: The sums of the deep step, longest first: dW1's and db1's over the batch's 28·28 windows, then
#: every layer's forward and backward sums (9, 144, 144, 288, 288, 576 terms a convolution, 1024
#: and 50 the Affines), whose errors all reach the gradients; 8 for the softmax and the loss.
DEEP_TERMS = BATCH * 28 * 28 + 2 * (9 + 144 + 144 + 288 + 288 + 576 + 1024 + 50) + 8


def deep_reference() -> tuple[dict, dict]:
    """The DeepConvNet step's bound DEEP_TERMS·eps·max|array|."""
    return reference_with_bounds(DEEP, DEEP_TERMS)


def assert_same_deep_work(got: dict, name: str) -> None:
    assert_within_bounds(got, *deep_reference(), name)


def test_deep_bench_step_is_the_books_step(port: Port) -> None:
    reason = bench_absent(port)
    if reason:
        pytest.skip(reason)
    assert_same_deep_work(check_output([*port.bench_argv(), *DEEP], port.cwd), port.name)


def test_deep_reference_step_is_the_networks_gradient() -> None:
    """The reference's bench step is deep_conv_net.gradient with seed 0 on the section-9 inputs."""
    sys.path.insert(0, str(REPO_ROOT / "python"))
    try:
        from dlscratch.bench import bench_inputs
    finally:
        sys.path.pop(0)
    want, bound = deep_reference()
    net, x, t = bench_inputs(HIDDEN, BATCH, "deep_conv_net")
    grads = net.gradient(x, t)
    for key, g in grads.items():
        assert np.array_equal(g, np.asarray(want["grads"][key])), key
    assert abs(net.loss(x, t) - want["loss"]) <= bound["loss"]


def test_a_deep_step_without_its_dx1_or_masks_is_noticed() -> None:
    want, _ = deep_reference()
    with pytest.raises(AssertionError, match="dx1"):
        assert_same_deep_work({**want, "dx1": np.zeros_like(np.asarray(want["dx1"])).tolist()}, "fake")
    sys.path.insert(0, str(REPO_ROOT / "python"))
    try:
        from dlscratch.bench import bench_inputs
    finally:
        sys.path.pop(0)
    net, x, t = bench_inputs(HIDDEN, BATCH, "deep_conv_net")
    net.dropout_seed = 1                       # other masks: another step
    other = net.gradient(x, t)
    with pytest.raises(AssertionError):
        assert_same_deep_work({**want, "grads": {k: v.tolist() for k, v in other.items()}}, "fake")
