"""Networks: gradient checks (backprop vs central differences) and the pinned structure."""

import numpy as np
import pytest

from dlscratch import functions as F
from dlscratch.networks import MultiLayerNet, SimpleNet, TwoLayerNet, forward, init_network, init_scale
from dlscratch.functions import softmax
from dlscratch.rng import MRG32k3a


def mean_abs_diff(a, b):
    return {key: float(np.mean(np.abs(a[key] - b[key]))) for key in a}


@pytest.mark.parametrize("t", [np.array([0, 2, 1]), np.eye(3)[[0, 2, 1]]])
def test_two_layer_net_gradient_check(t):
    rng = MRG32k3a(4)
    net = TwoLayerNet(4, 5, 3, weight_init_std=0.1, rng=rng)
    x = rng.rand(3, 4)
    diff = mean_abs_diff(net.gradient(x, t), net.numerical_gradient(x, t))
    assert set(diff) == {"W1", "b1", "W2", "b2"}
    assert all(d <= 1e-7 for d in diff.values()), diff


def small_multi_layer_net(activation, std, lam):
    rng = MRG32k3a(6)
    net = MultiLayerNet(4, [5, 6], 3, activation=activation, weight_init_std=std, weight_decay_lambda=lam, rng=rng)
    for key, value in net.params.items():
        if key.startswith("b"):  # non-zero biases keep every ReLU input away from its kink at 0
            value[:] = 0.1 * rng.randn(value.size)
    return net, rng.rand(3, 4), np.array([1, 0, 2])


@pytest.mark.parametrize("activation, std, lam", [("relu", "he", 0.0), ("relu", 0.1, 0.5), ("relu", 0.3, 0.1)])
def test_multi_layer_net_gradient_check(activation, std, lam):
    net, x, t = small_multi_layer_net(activation, std, lam)
    grads = net.gradient(x, t)
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in net.params.items()}
    diff = mean_abs_diff(grads, net.numerical_gradient(x, t))
    assert all(d <= 1e-7 for d in diff.values()), diff


def test_gradient_check_residual_is_the_cross_entropy_delta(monkeypatch):
    """Backprop differentiates −log(y), the numerical gradient −log(y + 1e-7): with sigmoid
    hidden layers the gap reaches ~1e-7; with the 1e-7 removed it falls below 1e-9."""
    net, x, t = small_multi_layer_net("sigmoid", "xavier", 0.1)
    with_delta = mean_abs_diff(net.gradient(x, t), net.numerical_gradient(x, t))
    monkeypatch.setattr(F, "CROSS_ENTROPY_DELTA", 0.0)
    without = mean_abs_diff(net.gradient(x, t), net.numerical_gradient(x, t))
    assert max(with_delta.values()) > 1e-8
    assert max(without.values()) < 1e-9, without


def test_weight_decay_adds_half_lambda_sum_of_squares():
    rng = MRG32k3a(1)
    x, t = rng.rand(2, 3), np.array([0, 1])
    plain = MultiLayerNet(3, [4], 2, rng=MRG32k3a(2))
    decayed = MultiLayerNet(3, [4], 2, weight_decay_lambda=0.3, params={k: v.copy() for k, v in plain.params.items()})
    squares = sum(np.sum(plain.params[k] ** 2) for k in ("W1", "W2"))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + 0.5 * 0.3 * squares, rel=1e-14)


def test_init_draws_w1_then_w2_from_one_generator():
    net = TwoLayerNet(3, 4, 2, weight_init_std=0.5, rng=MRG32k3a(9))
    z = MRG32k3a(9).normal(12 + 8)
    np.testing.assert_array_equal(net.params["W1"], 0.5 * z[:12].reshape(3, 4))
    np.testing.assert_array_equal(net.params["W2"], 0.5 * z[12:].reshape(4, 2))
    assert not net.params["b1"].any() and not net.params["b2"].any()


def test_init_scales():
    assert init_scale("he", 8) == pytest.approx(0.5)
    assert init_scale("xavier", 4) == pytest.approx(0.5)
    assert init_scale(0.01, 100) == 0.01


def test_simple_net_of_book_shape():
    net = SimpleNet(np.array([[0.47355232, 0.9977393, 0.84668094], [0.85557411, 0.03563661, 0.69422093]]))
    x = np.array([0.6, 0.9])
    p = net.predict(x)
    # book 4.4.2: [1.05414809, 0.63071653, 1.1328074]
    np.testing.assert_allclose(p, [1.05414809, 0.63071653, 1.1328074], rtol=0, atol=5e-9)
    assert int(np.argmax(p)) == 2
    # The book prints loss 0.92806853663411326 and dW [[0.21924763, ...]]: those are −log(y₂)
    # without the 1e-7 that dlscratch pins (the 8-digit W explains the last ~2e-9).
    y = softmax(p)
    assert -np.log(y[2]) == pytest.approx(0.92806853663411326, abs=5e-9)
    assert net.loss(x, np.array([0, 0, 1])) == -np.log(y[2] + 1e-7)
    dW = net.numerical_gradient(x, np.array([0, 0, 1]))
    np.testing.assert_allclose(dW, [[0.21924763, 0.14356247, -0.36281009], [0.32887144, 0.2153437, -0.54421514]], atol=2e-7)
    np.testing.assert_allclose(dW, np.outer(x, y - [0, 0, 1]) * y[2] / (y[2] + 1e-7), atol=1e-9)


def test_accuracy_counts_argmax_hits():
    net = TwoLayerNet(2, 3, 2, params={
        "W1": np.eye(2, 3), "b1": np.zeros(3), "W2": np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), "b2": np.zeros(2)})
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 1.0], [0.0, 3.0]])
    assert net.accuracy(x, np.array([0, 1, 1, 1])) == 0.75


def test_three_layer_network_of_book():
    y = forward(init_network(), np.array([1.0, 0.5]))
    np.testing.assert_allclose(y, [0.31682708, 0.69627909], rtol=0, atol=5e-9)  # printed to 8 decimals


# --- MultiLayerNetExtend ---------------------------------------------------------------------


def extend_net(use_batchnorm, use_dropout, activation="relu", lam=0.0, seed=3):
    from dlscratch.networks import MultiLayerNetExtend
    rng = MRG32k3a(11)
    net = MultiLayerNetExtend(4, [5, 6], 3, activation=activation, weight_decay_lambda=lam, use_dropout=use_dropout,
                              dropout_ration=0.3, use_batchnorm=use_batchnorm, rng=rng, dropout_seed=seed)
    for key, value in net.params.items():
        if key.startswith("b"):   # keep every ReLU input away from its kink at 0
            value[:] = 0.1 * rng.randn(value.size)
    return net, rng.rand(4, 4), np.array([1, 0, 2, 2])


@pytest.mark.parametrize("use_batchnorm, use_dropout, activation, lam",
                         [(True, False, "relu", 0.0), (False, True, "relu", 0.1), (True, True, "sigmoid", 0.05),
                          (True, True, "relu", 0.0)])
def test_multi_layer_net_extend_gradient_check(use_batchnorm, use_dropout, activation, lam):
    """The book's ch06/batch_norm_gradient_check.py, with dropout too: the masks are the same in every pass."""
    net, x, t = extend_net(use_batchnorm, use_dropout, activation, lam)
    grads = net.gradient(x, t)
    want = ["W1", "b1", "W2", "b2", "W3", "b3"] + (["gamma1", "beta1", "gamma2", "beta2"] if use_batchnorm else [])
    assert sorted(grads) == sorted(want)
    numerical = net.numerical_gradient(x, t)
    # central differences are off by h^2/6 times the third derivative (about 5e-7 relative here);
    # the bias of an Affine followed by batch norm has the gradient 0: both sides compute noise
    worst = {k: float(np.max(np.abs(grads[k] - numerical[k])) / (np.max(np.abs(grads[k])) + 1e-3)) for k in grads}
    assert all(d <= 2e-6 for d in worst.values()), worst


def test_multi_layer_net_extend_without_extras_is_multi_layer_net():
    from dlscratch.networks import MultiLayerNetExtend
    plain = MultiLayerNet(3, [4, 2], 2, weight_init_std="xavier", weight_decay_lambda=0.2, rng=MRG32k3a(5))
    ext = MultiLayerNetExtend(3, [4, 2], 2, weight_init_std="xavier", weight_decay_lambda=0.2, rng=MRG32k3a(5))
    assert all(np.array_equal(plain.params[k], ext.params[k]) for k in plain.params)
    x, t = MRG32k3a(1).rand(5, 3), np.array([0, 1, 1, 0, 1])
    assert ext.loss(x, t, train_flg=True) == ext.loss(x, t) == plain.loss(x, t)


def test_multi_layer_net_extend_batch_norm_statistics():
    """A training pass moves the running statistics by (1 - 0.9) of the batch's; a test pass reads them."""
    net, x, t = extend_net(True, False)
    net.predict(x, train_flg=True)
    a1 = x @ net.params["W1"] + net.params["b1"]
    np.testing.assert_allclose(net.running_stats["running_mean1"], 0.1 * a1.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(net.running_stats["running_var1"], 0.1 * a1.var(axis=0), rtol=1e-12)
    before = {k: v.copy() for k, v in net.running_stats.items()}
    net.predict(x)   # test mode: unchanged
    assert all(np.array_equal(before[k], v) for k, v in net.running_stats.items())


def test_multi_layer_net_extend_dropout_masks():
    """Train mode: the same seed gives the same masks (and loss); another seed other masks.
    Test mode scales the hidden units by 1 - ratio and draws nothing."""
    net, x, t = extend_net(False, True)
    first = net.loss(x, t, train_flg=True)
    assert net.loss(x, t, train_flg=True) == first
    net.dropout_seed = 4
    assert net.loss(x, t, train_flg=True) != first
    mask = net.layers["Dropout1"].mask
    assert mask.dtype == bool and 0 < mask.sum() < mask.size
    net.use_dropout = False   # the layers stay; test mode must not depend on the generator
    assert net.loss(x, t) == extend_net(False, True, seed=99)[0].loss(x, t)


# --- chapter 7 --------------------------------------------------------------------------------

from dlscratch.networks import SimpleConvNet  # noqa: E402


def test_simple_conv_net_has_the_books_shapes():
    net = SimpleConvNet(rng=MRG32k3a(0))
    assert {k: v.shape for k, v in net.params.items()} == {
        "W1": (30, 1, 5, 5), "b1": (30,), "W2": (30 * 12 * 12, 100), "b2": (100,), "W3": (100, 10), "b3": (10,)}
    # W1, W2, W3 in that order from one generator, std 0.01
    rng = MRG32k3a(0)
    assert np.array_equal(net.params["W1"], 0.01 * rng.randn(30, 1, 5, 5))
    assert np.array_equal(net.params["W2"], 0.01 * rng.randn(4320, 100))


def test_simple_conv_net_pools_an_odd_output_down():
    # a 7 x 8 image with 2 x 2 filters: conv 6 x 7, pooled 3 x 3 (the book's formula would say 3 x 3.5)
    net = SimpleConvNet((1, 7, 8), {"filter_num": 2, "filter_size": 2}, 3, 2, rng=MRG32k3a(1))
    assert net.params["W2"].shape == (2 * 3 * 3, 3)
    assert net.predict(np.zeros((4, 1, 7, 8))).shape == (4, 2)


def test_simple_conv_net_accuracy_counts_every_sample():
    net = SimpleConvNet((1, 3, 3), {"filter_num": 1, "filter_size": 2}, 1, 2, rng=MRG32k3a(0))
    for v in net.params.values():
        v[...] = 0
    net.params["b3"][1] = 1.0              # every image is predicted as class 1
    t = np.array([0] * 100 + [1] * 30)
    assert net.accuracy(np.zeros((130, 1, 3, 3)), t) == 30 / 130


def test_simple_conv_net_gradient_check_of_the_book():
    # ch07/gradient_check.py: one 10 x 10 image, 10 filters of 3 x 3, hidden 10
    # (std 1 rather than 0.01 and the network's own prediction as the label, which it then gives a
    # probability near 1: with flat scores the 1e-7 inside the loss's log alone moves the numerical
    # gradient of b3 by about 1e-7, as the book's printout shows)
    net = SimpleConvNet((1, 10, 10), {"filter_num": 10, "filter_size": 3, "pad": 0, "stride": 1}, 10, 10, 1.0,
                        rng=MRG32k3a(5))
    x = MRG32k3a(6).rand(1, 1, 10, 10)
    t = np.argmax(net.predict(x), axis=1)
    numerical, backprop = net.numerical_gradient(x, t), net.gradient(x, t)
    for key in numerical:
        assert np.abs(numerical[key] - backprop[key]).mean() < 1e-9, key


# --- chapter 8 --------------------------------------------------------------------------------

from dlscratch.networks import DeepConvNet, deep_conv_sizes  # noqa: E402


def test_deep_conv_net_has_the_books_shapes_and_scales():
    # 28 -> 28 -> pool 14 -> 14 -> 16 (pad 2) -> pool 8 -> 8 -> 8 -> pool 4
    assert deep_conv_sizes(28, 28)[-1] == (4, 4)
    net = DeepConvNet(rng=MRG32k3a(0))
    assert net.params["W4"].shape == (32, 32, 3, 3) and net.params["W7"].shape == (64 * 4 * 4, 50)
    rng = MRG32k3a(0)
    assert np.array_equal(net.params["W1"], np.sqrt(2.0 / 9) * rng.randn(16, 1, 3, 3))       # He: 1·3·3 inputs
    assert np.array_equal(net.params["W2"], np.sqrt(2.0 / 144) * rng.randn(16, 16, 3, 3))


def test_deep_conv_net_test_mode_halves_the_last_affine():
    net = DeepConvNet((1, 4, 4), 2, 3, rng=MRG32k3a(0))
    for v in net.params.values():
        v[...] = 0
    net.params["b8"][:] = [0.0, 1.0, 0.0]
    assert net.predict(np.ones((2, 1, 4, 4))).tolist() == [[0.0, 0.5, 0.0]] * 2      # Dropout(0.5) test mode


def test_deep_conv_net_gradient_at_sampled_coordinates():
    net = DeepConvNet((1, 8, 8), 4, 3, rng=MRG32k3a(3), dropout_seed=5)
    x = MRG32k3a(4).rand(2, 1, 8, 8)
    t = np.argmax(net.predict(x, train_flg=True), axis=1)
    grads = net.gradient(x, t)
    r = np.random.default_rng(0)
    for key, p in net.params.items():
        idx = tuple(int(r.integers(0, n)) for n in p.shape)
        old = p[idx]
        p[idx] = old + 1e-5
        up = net.loss(x, t)
        p[idx] = old - 1e-5
        down = net.loss(x, t)
        p[idx] = old
        assert abs((up - down) / 2e-5 - grads[key][idx]) <= 1e-6 + 1e-4 * abs(grads[key][idx]), key
