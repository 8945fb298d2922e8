"""Interrupted runs and --resume (README section 8): the optimizers' and the generator's state
round-trips, a run stopped and resumed equals the uninterrupted one for every network and
optimizer, SIGTERM writes a checkpoint and exits with 143, and bad checkpoints are refused."""

import json
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import BIN, assert_refused, needs_data, run
from dlscratch.optimizers import OPTIMIZERS, make_optimizer
from dlscratch.rng import MRG32k3a
from dlscratch.train import main

SMALL = ["--iters", "10", "--batch-size", "50", "--seed", "1", "--quiet", "--no-plot"]


def grads_of(rng: MRG32k3a) -> dict[str, np.ndarray]:
    return {"W": rng.randn(3, 2), "b": rng.randn(2)}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_restored_gives_the_same_next_update(name):
    rng = MRG32k3a(4)
    params = {"W": rng.randn(3, 2), "b": rng.randn(2)}
    g1, g2 = grads_of(rng), grads_of(rng)
    opt = make_optimizer(name, {"lr": 0.1})
    opt.update(params, g1)
    state = json.loads(json.dumps({k: v if k == "iter" else {a: b.tolist() for a, b in v.items()}
                                   for k, v in opt.state_dict().items()}))
    copy = make_optimizer(name, {"lr": 0.1})
    copy.load_state_dict({k: v if k == "iter" else {a: np.array(b) for a, b in v.items()} for k, v in state.items()})
    p1 = {k: v.copy() for k, v in params.items()}
    p2 = {k: v.copy() for k, v in params.items()}
    opt.update(p1, g2)
    copy.update(p2, g2)
    for key in params:
        np.testing.assert_array_equal(p1[key], p2[key])
        assert not np.array_equal(p1[key], params[key])


def test_generator_state_round_trips():
    rng = MRG32k3a(9)
    rng.uniform(5)
    copy = MRG32k3a.from_state(json.loads(json.dumps(rng.state())))
    assert copy.draws(4) == rng.draws(4)


def history(path):
    return json.loads(path.read_text())


@needs_data
@pytest.mark.parametrize("options", [
    ["--optimizer", "momentum"],
    ["--optimizer", "adam"],
    ["--net", "simple_conv_net", "--epochs", "2", "--evaluate-samples", "20", "--hidden", "5"],
    ["--net", "deep_conv_net", "--epochs", "2", "--evaluate-samples", "20", "--hidden", "5"],
], ids=["two_layer_net-momentum", "two_layer_net-adam", "simple_conv_net", "deep_conv_net"])
def test_stopped_twice_and_resumed_equals_the_uninterrupted_run(tmp_path, small_data, options):
    base = ["--data-dir", str(small_data)] + (SMALL if "--net" not in options else
        ["--train-size", "40", "--test-size", "20", "--batch-size", "10", "--seed", "3", "--quiet", "--no-plot"])
    full, part = tmp_path / "full.json", tmp_path / "part.json"
    assert run("train", *base, *options, "--out", str(full)).returncode == 0
    stopped = run("train", *base, *options, "--out", str(part), "--stop-after", "3")
    assert stopped.returncode == 0, stopped.stderr
    ckpt = tmp_path / "part.ckpt.json"
    assert f"interrupted after iteration 2: checkpoint written to {ckpt}" in stopped.stdout
    assert history(part)["stopped_after"] == 3 and len(history(part)["loss_history"]) == 3
    assert "final_test_acc" not in history(part)
    saved = json.loads(ckpt.read_text())
    assert (saved["format"], saved["version"], saved["iteration"]) == ("dlscratch-checkpoint", 1, 3)
    again = run("train", "--resume", str(ckpt), "--data-dir", str(small_data), "--out", str(part), "--checkpoint", str(tmp_path / "c2.json"),
                "--stop-after", "6", "--quiet", "--no-plot")
    assert again.returncode == 0, again.stderr
    done = run("train", "--resume", str(tmp_path / "c2.json"), "--data-dir", str(small_data), "--out", str(part), "--quiet", "--no-plot")
    assert done.returncode == 0, done.stderr
    a, b = history(full), history(part)
    for key in ("loss_history", "acc_iters", "train_acc", "test_acc", "final_iter", "final_train_acc",
                "final_test_acc", "options"):
        assert a[key] == b[key], key


@needs_data
def test_sigterm_finishes_the_step_writes_a_checkpoint_and_exits_143(tmp_path, small_data):
    out = tmp_path / "h.json"
    proc = subprocess.Popen([str(BIN / "train"), "--data-dir", str(small_data), "--iters", "1000000",
                             "--batch-size", "50", "--no-plot", "--quiet", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().startswith("epoch 0 ")    # training has started
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, stderr
    assert "Traceback" not in stderr
    saved = json.loads((tmp_path / "h.ckpt.json").read_text())
    record = history(out)
    assert record["stopped_after"] == saved["iteration"] == len(record["loss_history"]) > 1
    assert f"interrupted after iteration {saved['iteration'] - 1}" in stdout
    # the same run stopped at that iteration on purpose has the same history
    again = run("train", "--data-dir", str(small_data), "--iters", "1000000", "--batch-size", "50",
                "--no-plot", "--quiet", "--out", str(tmp_path / "again.json"), "--stop-after", str(saved["iteration"]))
    assert again.returncode == 0
    assert history(tmp_path / "again.json")["loss_history"] == record["loss_history"]


@pytest.fixture
def checkpoint(tmp_path, small_data):
    assert run("train", "--data-dir", str(small_data), *SMALL, "--out", str(tmp_path / "h.json"), "--stop-after", "5").returncode == 0
    return json.loads((tmp_path / "h.ckpt.json").read_text())


def spoil(c, path, change):
    change(c)
    path.write_text(json.dumps(c))
    return path


@needs_data
@pytest.mark.parametrize("change,words", [
    (lambda c: c.update(format="dlscratch-params"), ["not a dlscratch checkpoint"]),
    (lambda c: c.update(version=2), ["version 2"]),
    (lambda c: c["params"]["W1"].update(shape=[784, 49]), ["params.W1", "[784, 49]"]),
    (lambda c: c["params"].pop("b2"), ["params has the keys"]),
    (lambda c: c.update(iteration=10), ["iteration 10"]),
    (lambda c: c.update(iteration=0), ["iteration 0"]),
    (lambda c: c["rng"].update(s2=[1, 2, 4294944443]), ["rng.s2"]),
    (lambda c: c["options"].update(lr="x"), ["options.lr"]),
    (lambda c: c["options"].update(net="lenet"), ["options.net"]),
    (lambda c: c["history"]["loss_history"].pop(), ["history.loss_history"]),
    (lambda c: c["history"].update(acc_iters=[1]), ["history.acc_iters"]),
    (lambda c: c["optimizer"].update(name="adam"), ["optimizer.name"]),
    (lambda c: c["params"]["b1"]["data"].__setitem__(0, "1.5"), ["params.b1.data"]),
    (lambda c: c["network"].update(hidden_size=7), ["network"]),
], ids=["format", "version", "shape", "keys", "iteration-past-the-end", "iteration-0", "rng", "option", "net",
        "losses", "acc-iters", "optimizer", "string-number", "network"])
def test_bad_checkpoints_are_refused_in_one_line(tmp_path, small_data, checkpoint, change, words, capsys):
    path = spoil(checkpoint, tmp_path / "bad.json", change)
    with pytest.raises(SystemExit) as exit_:
        main(["--resume", str(path), "--data-dir", str(small_data), "--out", str(tmp_path / "x.json")])
    assert exit_.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bin/train: {path}: "), lines
    for word in words:
        assert word in lines[0]
    assert not (tmp_path / "x.json").exists()


@needs_data
def test_resume_refuses_training_options_and_other_data(tmp_path, small_data, checkpoint):
    path = spoil(checkpoint, tmp_path / "c.json", lambda c: None)
    assert_refused(run("train", "--resume", str(path), "--lr", "0.5"), "train", "--lr", "--resume")
    assert_refused(run("train", "--resume", str(path), "--seed", "0"), "train", "--seed")
    big = spoil(checkpoint, tmp_path / "big.json", lambda c: c["options"].update(train_size=500))
    assert_refused(run("train", "--resume", str(big), "--data-dir", str(small_data), "--out", str(tmp_path / "x.json")),
                   "train", "500", "300")
    assert_refused(run("train", "--resume", str(tmp_path / "absent.json")), "train", "cannot read")
    (tmp_path / "garbage.json").write_text("{nope")
    assert_refused(run("train", "--resume", str(tmp_path / "garbage.json")), "train", "not JSON")
