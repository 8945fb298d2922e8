"""The training loop and its command line on a small subset."""

import json

import numpy as np
import pytest

from dlscratch.datasets import DEFAULT_DATA_DIR
from dlscratch.networks import TwoLayerNet
from dlscratch.rng import MRG32k3a
from dlscratch.train import main, train_two_layer_net


def toy_data():
    rng = MRG32k3a(1)
    x = rng.rand(40, 5)
    t = (x[:, 0] > x[:, 1]).astype(np.int64)
    return x, t


def test_loop_follows_the_book():
    x, t = toy_data()
    result = train_two_layer_net(x, t, hidden_size=4, output_size=2, weight_init_std=0.1, lr=0.5, batch_size=8, iters=3, seed=2)
    # replay by hand: the same generator draws W1, W2, then the batches
    rng = MRG32k3a(2)
    net = TwoLayerNet(5, 4, 2, weight_init_std=0.1, rng=rng)
    for i in range(3):
        idx = rng.choice(40, 8)
        grads = net.gradient(x[idx], t[idx])
        for key in net.params:
            net.params[key] -= 0.5 * grads[key]
        assert result.loss_history[i] == net.loss(x[idx], t[idx])
    for key in net.params:
        np.testing.assert_array_equal(result.params[key], net.params[key])


def test_loss_falls_on_a_learnable_problem():
    x, t = toy_data()
    result = train_two_layer_net(x, t, hidden_size=8, output_size=2, weight_init_std=0.5, lr=0.5, batch_size=10, iters=300, seed=0)
    assert np.mean(result.loss_history[-20:]) < 0.5 * np.mean(result.loss_history[:20])


@pytest.mark.skipif(not DEFAULT_DATA_DIR.exists(), reason="dataset-fashion-mnist is not installed")
def test_command_line_writes_history_and_plot(tmp_path, capsys):
    out = tmp_path / "h.json"
    assert main(["--iters", "30", "--train-size", "300", "--test-size", "100", "--quiet", "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert len(record["loss_history"]) == 30
    assert len(record["train_acc"]) == 10  # after iterations 0, 3, ..., 27 (3 iterations an epoch)
    assert (tmp_path / "h.png").stat().st_size > 1000
    assert "epoch 9" in capsys.readouterr().out
    csv_out = tmp_path / "h.csv"
    assert main(["--iters", "5", "--train-size", "100", "--test-size", "50", "--quiet", "--no-plot", "--out", str(csv_out)]) == 0
    assert csv_out.read_text().splitlines()[0] == "iter,loss"
