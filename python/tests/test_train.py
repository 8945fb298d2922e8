"""The training loop, its command line on a small subset, and bin/train: the book's epochs, one-line
refusals of bad options and data files (exit status 2), the final evaluation."""

import json

import numpy as np
import pytest

from conftest import assert_refused, data_dir_with, needs_data, run
from dlscratch.datasets import DEFAULT_DATA_DIR
from dlscratch.networks import TwoLayerNet
from dlscratch.rng import MRG32k3a
from dlscratch.train import is_epoch_end, main, train_two_layer_net


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


def test_the_books_epochs():
    # 60000 images in batches of 128: 468.75 iterations an epoch, evaluated after 0, 1875, ...
    assert [i for i in range(6000) if is_epoch_end(i, max(60000 / 128, 1))] == [0, 1875, 3750, 5625]
    assert [i for i in range(1300) if is_epoch_end(i, max(60000 / 100, 1))] == [0, 600, 1200]
    assert [i for i in range(100000) if is_epoch_end(i, max(60000 / 7, 1))] == [0]
    assert [i for i in range(4) if is_epoch_end(i, max(50 / 100, 1))] == [0, 1, 2, 3]


@needs_data
@pytest.mark.parametrize("test_size", [None, "100"])
def test_train_refuses_labels_that_are_images(tmp_path, test_size):
    d = data_dir_with(tmp_path, test_label=DEFAULT_DATA_DIR / "t10k-images-idx3-ubyte.gz")
    args = ["--data-dir", str(d), "--quiet", "--no-plot", "--out", str(tmp_path / "h.json")]
    proc = run("train", *args, *(["--test-size", test_size] if test_size else []))
    assert_refused(proc, "train", "t10k-labels-idx1-ubyte.gz", "labels")
    assert not (tmp_path / "h.json").exists()


@needs_data
def test_train_refuses_a_truncated_file(tmp_path):
    cut = tmp_path / "cut.gz"
    cut.write_bytes((DEFAULT_DATA_DIR / "train-labels-idx1-ubyte.gz").read_bytes()[:5000])
    proc = run("train", "--data-dir", str(data_dir_with(tmp_path, train_label=cut)), "--no-plot")
    assert_refused(proc, "train", "train-labels-idx1-ubyte.gz", "gzip")


@pytest.mark.parametrize("args, words", [
    (["--iters", "0"], ["--iters", "0"]),
    (["--batch-size", "abc"], ["--batch-size", "abc"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--lr", "nan"], ["--lr", "nan"]),
    (["--optimizer", "bogus"], ["--optimizer", "bogus"]),
    (["--bogus"], ["--bogus"]),
    (["--data-dir", "/nonexistent"], ["/nonexistent"]),
])
def test_train_refuses_bad_options(args, words):
    assert_refused(run("train", *args), "train", *words)


@needs_data
def test_train_evaluates_after_the_last_iteration(tmp_path):
    out = tmp_path / "h.json"
    proc = run("train", "--train-size", "300", "--test-size", "100", "--iters", "7", "--batch-size", "128",
               "--quiet", "--no-plot", "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["acc_iters"] == [0]          # 300 / 128 = 2.34375: no other multiple below 7
    assert record["final_iter"] == 6
    assert 0 <= record["final_test_acc"] <= 1 and 0 <= record["final_train_acc"] <= 1
    assert f"final (after iteration 6)  train acc {record['final_train_acc']:.4f}" in proc.stdout
    assert len(record["loss_history"]) == 7


@needs_data
def test_simple_conv_net_trains_with_the_trainer(tmp_path):
    out, params = tmp_path / "c.json", tmp_path / "p.json"
    proc = run("train", "--net", "simple_conv_net", "--train-size", "120", "--test-size", "30", "--epochs", "2",
               "--batch-size", "40", "--evaluate-samples", "50", "--hidden", "7", "--quiet", "--no-plot",
               "--out", str(out), "--save-params", str(params))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["options"]["net"] == "simple_conv_net" and record["options"]["optimizer"] == "adam"
    assert len(record["loss_history"]) == 6 and record["acc_iters"] == [0, 3]   # 3 steps an epoch
    saved = json.loads(params.read_text())
    assert saved["format"] == "dlscratch-params" and saved["network"]["kind"] == "simple_conv_net"
    assert saved["params"]["W2"]["shape"] == [4320, 7] and len(saved["params"]["W2"]["data"]) == 4320 * 7
    # the same run by the Trainer of the protocol: the same batches, the same losses
    from dlscratch.datasets import load_mnist
    from dlscratch.networks import SimpleConvNet
    from dlscratch.trainer import Trainer
    (x, t), (xt, tt) = load_mnist(flatten=False)
    rng = MRG32k3a(0)
    trainer = Trainer(SimpleConvNet(hidden_size=7, rng=rng), x[:120], t[:120], xt[:30], tt[:30], 2, 40, "adam",
                      {"lr": 0.001}, 50, rng=rng)
    assert trainer.train() == record["final_test_acc"]
    assert trainer.train_loss_list == record["loss_history"]
    w1 = np.array(saved["params"]["W1"]["data"]).reshape(saved["params"]["W1"]["shape"])
    assert np.array_equal(w1, trainer.network.params["W1"])


@pytest.mark.parametrize("args, words", [
    (["--net", "simple_conv_net", "--iters", "5"], ["--iters", "simple_conv_net"]),
    (["--epochs", "2"], ["--epochs", "two_layer_net"]),
    (["--evaluate-samples", "2"], ["--evaluate-samples"]),
    (["--net", "lenet"], ["--net", "lenet"]),
])
def test_train_refuses_options_of_the_other_network(args, words):
    assert_refused(run("train", *args), "train", *words)


@needs_data
def test_deep_conv_net_trains_with_the_trainer_and_saves_a_loadable_model(tmp_path):
    out, params = tmp_path / "d.json", tmp_path / "p.json"
    proc = run("train", "--net", "deep_conv_net", "--train-size", "60", "--test-size", "20", "--epochs", "1",
               "--batch-size", "30", "--evaluate-samples", "20", "--hidden", "5", "--quiet", "--no-plot",
               "--out", str(out), "--save-params", str(params))
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert len(record["loss_history"]) == 2 and record["options"]["optimizer"] == "adam"
    assert "weight_init_std" not in record["options"]
    from dlscratch.datasets import load_mnist
    from dlscratch.networks import DeepConvNet
    from dlscratch.trainer import Trainer
    from dlscratch.validate import validate
    (x, t), (xt, tt) = load_mnist(flatten=False)
    rng = MRG32k3a(0)
    trainer = Trainer(DeepConvNet(hidden_size=5, rng=rng), x[:60], t[:60], xt[:20], tt[:20], 1, 30, "adam", {"lr": 0.001},
                      20, rng=rng)
    assert trainer.train() == record["final_test_acc"] and trainer.train_loss_list == record["loss_history"]
    model = validate("model.evaluate", {"path": str(params), "x": xt[:3].tolist(), "t": tt[:3].tolist()}).path
    assert model["kind"] == "deep_conv_net" and np.array_equal(model["params"]["W7"], trainer.network.params["W7"])


def test_deep_conv_net_takes_no_weight_init_std():
    assert_refused(run("train", "--net", "deep_conv_net", "--weight-init-std", "0.1"), "train", "--weight-init-std")
