"""Optimizers: two steps worked out by hand from the update rules."""

import math

import numpy as np
import pytest

from dlscratch.optimizers import SGD, AdaGrad, Adam, Momentum, Nesterov, RMSprop, make_optimizer

G1, G2 = 0.5, -1.0  # the two gradients applied in turn to a parameter starting at 1.0


def run(opt, grads=(G1, G2)):
    params = {"w": np.array([1.0])}
    for g in grads:
        opt.update(params, {"w": np.array([g])})
    return params["w"][0]


def test_sgd():
    assert run(SGD(lr=0.1)) == pytest.approx(1.0 - 0.1 * 0.5 + 0.1 * 1.0, rel=1e-15)


def test_momentum():
    v1 = -0.1 * 0.5
    v2 = 0.9 * v1 + 0.1 * 1.0
    assert run(Momentum(lr=0.1, momentum=0.9)) == pytest.approx(1.0 + v1 + v2, rel=1e-15)


def test_nesterov():
    # W moves with the previous v (0 at the first step), then v is updated.
    w1 = 1.0 - 1.9 * 0.1 * 0.5
    v1 = -0.1 * 0.5
    w2 = w1 + 0.81 * v1 + 1.9 * 0.1
    assert run(Nesterov(lr=0.1, momentum=0.9)) == pytest.approx(w2, rel=1e-15)


def test_nesterov_book_example():
    # lr 0.5, momentum 0.5, W = 0, g = 1 twice: W = -0.75, v = -0.5; W = -0.75 - 0.125 - 0.75.
    assert run(Nesterov(lr=0.5, momentum=0.5), grads=(1.0, 1.0)) - 1.0 == -1.625


def test_adagrad():
    w1 = 1.0 - 0.1 * 0.5 / (0.5 + 1e-7)
    w2 = w1 + 0.1 * 1.0 / (math.sqrt(1.25) + 1e-7)
    assert run(AdaGrad(lr=0.1)) == pytest.approx(w2, rel=1e-15)


def test_rmsprop():
    h1 = 0.01 * 0.25
    w1 = 1.0 - 0.1 * 0.5 / (math.sqrt(h1) + 1e-7)
    h2 = 0.99 * h1 + 0.01 * 1.0
    w2 = w1 + 0.1 / (math.sqrt(h2) + 1e-7)
    assert run(RMSprop(lr=0.1, decay_rate=0.99)) == pytest.approx(w2, rel=1e-14)


def test_adam_first_step_moves_by_about_lr():
    # m1 = 0.05, v1 = 0.00025; lr_t = lr·sqrt(0.001)/0.1 so the step is lr·0.05/(0.0158...+1e-7)·0.316...
    w = run(Adam(lr=0.001), grads=(G1,))
    lr_t = 0.001 * math.sqrt(1 - 0.999) / (1 - 0.9)
    assert w == pytest.approx(1.0 - lr_t * 0.05 / (math.sqrt(0.00025) + 1e-7), rel=1e-15)
    assert 1.0 - w == pytest.approx(0.001, rel=1e-4)


def test_defaults_and_unknown_name():
    assert make_optimizer("adam").lr == 0.001
    assert make_optimizer("rmsprop").decay_rate == 0.99
    assert make_optimizer("momentum", {"lr": 0.5, "beta1": 3}).lr == 0.5
    with pytest.raises(KeyError):
        make_optimizer("lbfgs")
