"""The Trainer (book common/trainer.py): steps, epochs as the book counts them, the record."""

import numpy as np
import pytest

from dlscratch.networks import MultiLayerNetExtend, TwoLayerNet
from dlscratch.rng import MRG32k3a
from dlscratch.trainer import Trainer


def blobs(n, seed=0):
    r = MRG32k3a(seed)
    t = np.array([i % 3 for i in range(n)])
    return np.eye(3)[t] * 3 + r.rand(n, 3), t


@pytest.mark.parametrize("n, batch, epochs, steps, evaluated_at",
                         [(10, 5, 3, 6, [0, 2, 4]), (5, 2, 2, 5, [0]), (30, 40, 3, 3, [0, 1, 2]), (12, 8, 4, 6, [0, 3])])
def test_steps_and_evaluations(n, batch, epochs, steps, evaluated_at):
    """max_iter = int(epochs·max(n/batch, 1)); evaluations where i mod (n/batch) is exactly 0."""
    x, t = blobs(n)
    seen = []
    trainer = Trainer(TwoLayerNet(3, 4, 3, rng=MRG32k3a(0)), x, t, x[:4], t[:4], epochs=epochs, mini_batch_size=batch,
                      on_step=lambda tr, loss: seen.append((tr.current_iter, len(tr.train_acc_list))))
    trainer.train()
    assert len(trainer.train_loss_list) == steps
    assert [i for i, (it, k) in enumerate(seen) if k > (seen[i - 1][1] if i else 0)] == evaluated_at
    assert len(trainer.test_acc_list) == len(evaluated_at)


def test_training_learns_and_records():
    x, t = blobs(60, 1)
    net = MultiLayerNetExtend(3, [8], 3, use_batchnorm=True, use_dropout=True, dropout_ration=0.1, rng=MRG32k3a(2))
    trainer = Trainer(net, x, t, x, t, epochs=20, mini_batch_size=10, optimizer="Adam",
                      optimizer_param={"lr": 0.01}, evaluate_sample_num_per_epoch=20, rng=MRG32k3a(3))
    acc = trainer.train()
    assert trainer.train_loss_list[-1] < trainer.train_loss_list[0]
    assert acc == trainer.test_acc > 0.9
    assert all(0.0 <= a <= 1.0 for a in trainer.train_acc_list)


def test_same_generator_same_run():
    x, t = blobs(20)
    runs = []
    for _ in range(2):
        rng = MRG32k3a(7)
        net = MultiLayerNetExtend(3, [4], 3, use_dropout=True, rng=rng)
        tr = Trainer(net, x, t, x, t, epochs=2, mini_batch_size=5, rng=rng)
        tr.train()
        runs.append(tr.train_loss_list)
    assert runs[0] == runs[1]
