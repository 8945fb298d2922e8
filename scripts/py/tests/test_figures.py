"""scripts/figures: the book's figures from bin/experiment results, the ports' differences, bad files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import figures

NAIVE = {"paths": {name: {"x": [-7.0, -6.0], "y": [2.0, 1.0]} for name in ("SGD", "Momentum", "AdaGrad", "Adam")}}


def result(tmp_path: Path, port: str, results: dict, experiment: str = "optimizer_compare_naive") -> Path:
    path = tmp_path / f"{experiment}-{port}.json"
    path.write_text(json.dumps({"experiment": experiment, "port": port, "options": {"scale": 1.0, "seed": 0},
                                "results": results, "seconds": 0.1}))
    return path


def test_largest_relative_difference_over_every_number() -> None:
    ref = {"results": {"a": [1.0, 2.0], "b": {"c": 4.0}}}
    assert figures.largest_relative_difference({"results": {"a": [1.0, 2.0], "b": {"c": 4.0}}}, ref) == 0.0
    assert figures.largest_relative_difference({"results": {"a": [1.0, 2.0], "b": {"c": 5.0}}}, ref) == 0.25
    assert figures.largest_relative_difference({"results": {"a": [1.0], "b": {"c": 4.0}}}, ref) == float("inf")


def test_smooth_curve_is_the_books_kaiser_window() -> None:
    flat = figures.smooth_curve([3.0] * 40)
    assert len(flat) == 40 and max(abs(v - 3.0) for v in flat) < 1e-12


def test_draws_the_reference_and_the_overlay(tmp_path: Path) -> None:
    ruby = {"paths": {**NAIVE["paths"], "SGD": {"x": [-7.0, -6.0], "y": [2.0, 1.5]}}}
    files = [result(tmp_path, "python", NAIVE), result(tmp_path, "ruby", ruby)]
    out = tmp_path / "figs"
    done = subprocess.run([sys.executable, str(Path(figures.__file__)), *map(str, files), "--out-dir", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (out / "optimizer_compare_naive.png").stat().st_size > 10000
    assert (out / "optimizer_compare_naive-ports.png").exists()
    assert "ruby     largest relative difference from python: 5.00e-01" in done.stdout


def test_a_bad_file_is_one_line_and_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"port": "python"}')
    done = subprocess.run([sys.executable, str(Path(figures.__file__)), str(bad)], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip() == f"scripts/figures: {bad} is not a result of bin/experiment (it needs experiment, port and results)"
