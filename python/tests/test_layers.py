"""Layers: hand-worked values, the pinned edge cases, and each backward against a numerical Jacobian."""

import numpy as np
import pytest

from dlscratch.functions import cross_entropy_error, relu_grad, softmax
from dlscratch.gradient import numerical_gradient
from dlscratch.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from dlscratch.rng import MRG32k3a


def numeric_input_grad(forward, x, dout):
    """∂(Σ forward(x)·dout)/∂x by central differences."""
    x = np.array(x, dtype=np.float64)
    return numerical_gradient(lambda v: float(np.sum(forward(v) * dout)), x)


def test_relu_mask_is_x_le_zero():
    layer = Relu()
    out = layer.forward(np.array([[-1.0, 0.0, 2.0]]))
    assert out.tolist() == [[0.0, 0.0, 2.0]]
    assert layer.backward(np.array([[5.0, 5.0, 5.0]])).tolist() == [[0.0, 0.0, 5.0]]
    # the chapter-4 helper differs at exactly 0
    assert relu_grad(np.array([0.0])).tolist() == [1.0]


def test_sigmoid_layer_backward_is_out_times_one_minus_out():
    layer = Sigmoid()
    out = layer.forward(np.array([0.0]))
    assert out.tolist() == [0.5]
    assert layer.backward(np.array([1.0])).tolist() == [0.25]


def test_affine_by_hand():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = np.array([0.5, -0.5])
    layer = Affine(W, b)
    out = layer.forward(np.array([[1.0, 0.0, 2.0]]))
    assert out.tolist() == [[11.5, 13.5]]
    dx = layer.backward(np.array([[1.0, -1.0]]))
    assert dx.tolist() == [[-1.0, -1.0, -1.0]]
    assert layer.dW.tolist() == [[1.0, -1.0], [0.0, 0.0], [2.0, -2.0]]
    assert layer.db.tolist() == [1.0, -1.0]


def test_affine_one_dimensional_x_is_one_sample():
    W = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    layer = Affine(W, np.zeros(2))
    assert layer.forward(np.array([1.0, 2.0, 3.0])).tolist() == [22.0, 28.0]
    assert layer.backward(np.array([1.0, 1.0])).tolist() == [3.0, 7.0, 11.0]
    assert layer.dW.tolist() == [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]


def test_affine_tensor_input_reshaped_and_restored():
    rng = MRG32k3a(1)
    W, b = rng.randn(12, 4), rng.randn(4)
    x = rng.randn(2, 3, 2, 2)
    dout = rng.randn(2, 4)
    layer = Affine(W, b)
    layer.forward(x)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, numeric_input_grad(lambda v: Affine(W, b).forward(v), x, dout), atol=1e-8)


@pytest.mark.parametrize("t", [np.array([2, 0]), np.array([[0, 0, 1], [1, 0, 0]])])
def test_softmax_with_loss_gradient(t):
    x = np.array([[0.3, 2.9, 4.0], [1.0, -1.0, 0.5]])
    layer = SoftmaxWithLoss()
    loss = layer.forward(x, t)
    labels = np.array([2, 0])
    assert loss == pytest.approx(-(np.log(softmax(x)[0, 2] + 1e-7) + np.log(softmax(x)[1, 0] + 1e-7)) / 2, rel=1e-15)
    dx = layer.backward()
    np.testing.assert_allclose(dx, (softmax(x) - np.eye(3)[labels]) / 2, rtol=1e-15)
    # the numerical gradient sees the 1e-7 inside the log, backprop does not: ~1e-7 apart
    numeric = numerical_gradient(lambda v: cross_entropy_error(softmax(v), t), x.copy())
    np.testing.assert_allclose(dx, numeric, atol=5e-7)


def test_softmax_with_loss_one_dimensional_is_a_batch_of_one():
    x = np.array([0.3, 2.9, 4.0])
    layer = SoftmaxWithLoss()
    layer.forward(x, np.array([0, 0, 1]))
    dx = layer.backward()
    assert dx.shape == (3,)
    np.testing.assert_allclose(dx, softmax(x) - np.array([0, 0, 1]), rtol=1e-15)


def test_dropout_mask_from_the_shared_generator():
    x = np.arange(1.0, 7.0).reshape(2, 3)
    u = MRG32k3a(5).rand(2, 3)
    layer = Dropout(0.5, MRG32k3a(5))
    out = layer.forward(x, train_flg=True)
    np.testing.assert_array_equal(out, x * (u > 0.5))
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), (u > 0.5) * 1.0)
    test_layer = Dropout(0.25)
    np.testing.assert_array_equal(test_layer.forward(x, train_flg=False), x * 0.75)
    np.testing.assert_array_equal(test_layer.backward(np.ones((2, 3))), np.full((2, 3), 0.75))


def batch_norm_forward(gamma, beta, train_flg):
    def run(x):
        return BatchNormalization(gamma, beta, 0.9, np.full(3, 0.5), np.full(3, 2.0)).forward(x, train_flg)

    return run


@pytest.mark.parametrize("train_flg", [True, False])
def test_batch_norm_backward_matches_numerical(train_flg):
    rng = MRG32k3a(3)
    x, dout = rng.randn(5, 3), rng.randn(5, 3)
    gamma, beta = rng.rand(3) + 0.5, rng.randn(3)
    layer = BatchNormalization(gamma, beta, 0.9, np.full(3, 0.5), np.full(3, 2.0))
    out = layer.forward(x, train_flg)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx, numeric_input_grad(batch_norm_forward(gamma, beta, train_flg), x, dout), atol=1e-7)
    if train_flg:
        np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-12)
        np.testing.assert_allclose(layer.running_mean, 0.9 * 0.5 + 0.1 * x.mean(axis=0), rtol=1e-14)
    else:
        np.testing.assert_array_equal(layer.running_var, np.full(3, 2.0))


# --- chapter 7 --------------------------------------------------------------------------------

from dlscratch.layers import Convolution, Pooling  # noqa: E402

NINE = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)


def test_convolution_by_hand():
    conv = Convolution(np.array([[[[1.0, 0.0], [0.0, 1.0]]]]), np.array([0.5]))
    # out[i, j] = x[i, j] + x[i+1, j+1] + 0.5
    assert conv.forward(NINE).tolist() == [[[[6.5, 8.5], [12.5, 14.5]]]]
    dx = conv.backward(np.array([[[[1.0, 0.0], [0.0, 1.0]]]]))
    assert dx.tolist() == [[[[1, 0, 0], [0, 2, 0], [0, 0, 1]]]]
    assert conv.dW.tolist() == [[[[6, 8], [12, 14]]]] and conv.db.tolist() == [2]


def test_convolution_stride_and_pad_by_hand():
    conv = Convolution(np.ones((1, 1, 3, 3)), np.zeros(1), stride=2, pad=1)
    assert conv.forward(NINE).tolist() == [[[[12, 16], [24, 28]]]]
    assert conv.backward(np.ones((1, 1, 2, 2))).tolist() == [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]


def test_convolution_backward_is_its_jacobian():
    r = np.random.default_rng(1)
    W, b, x = r.standard_normal((2, 3, 3, 2)), r.standard_normal(2), r.standard_normal((2, 3, 5, 4))
    conv = Convolution(W, b, stride=2, pad=1)
    dout = r.standard_normal(conv.forward(x).shape)
    dx = conv.backward(dout)
    assert np.allclose(dx, numeric_input_grad(lambda v: Convolution(W, b, 2, 1).forward(v), x, dout), atol=1e-7)
    assert np.allclose(conv.dW, numeric_input_grad(lambda w: Convolution(w, b, 2, 1).forward(x), W, dout), atol=1e-7)


def test_pooling_routes_to_the_first_maximum_and_adds_overlaps():
    pool = Pooling(2, 2, stride=1)
    assert pool.forward(np.array([[[[1.0, 1, 1], [1, 9, 1], [1, 1, 1]]]])).tolist() == [[[[9, 9], [9, 9]]]]
    assert pool.backward(np.array([[[[1.0, 2], [3, 4]]]])).tolist() == [[[[0, 0, 0], [0, 10, 0], [0, 0, 0]]]]
    pool.forward(np.array([[[[9.0, 1, 1], [1, 1, 1], [1, 1, 1]]]]))  # three windows of ties
    assert pool.backward(np.array([[[[1.0, 2], [3, 4]]]])).tolist() == [[[[1, 2, 0], [3, 4, 0], [0, 0, 0]]]]


def test_pooling_defaults_to_stride_two_and_pads_with_zeros():
    pool = Pooling(2, 2, pad=1)
    assert pool.forward(np.array([[[[-1.0, 5], [-3, -4]]]])).tolist() == [[[[0, 5], [0, 0]]]]
    assert pool.backward(np.array([[[[1.0, 2], [3, 4]]]])).tolist() == [[[[0, 2], [0, 0]]]]


def test_pooling_keeps_a_nan_and_a_negative_zero():
    out = Pooling(2, 1).forward(np.array([[[[1.0], [np.nan]], [[-0.0], [-0.0]]]]).reshape(1, 2, 2, 1))
    assert np.isnan(out[0, 0, 0, 0]) and np.signbit(out[0, 1, 0, 0])
