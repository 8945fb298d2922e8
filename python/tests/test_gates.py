"""The book's perceptrons (chapter 2): their truth tables."""

import pytest

from dlscratch.gates import AND, NAND, OR, XOR


@pytest.mark.parametrize(
    "gate, table",
    [
        (AND, {(0, 0): 0, (1, 0): 0, (0, 1): 0, (1, 1): 1}),
        (NAND, {(0, 0): 1, (1, 0): 1, (0, 1): 1, (1, 1): 0}),
        (OR, {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 1}),
        (XOR, {(0, 0): 0, (1, 0): 1, (0, 1): 1, (1, 1): 0}),
    ],
)
def test_gate_truth_tables(gate, table):
    for (x1, x2), y in table.items():
        assert gate(x1, x2) == y
