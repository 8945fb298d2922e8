"""Backpropagation layers (book chapters 5 and 6, `common/layers.py`).

Each layer keeps what its backward pass needs from its forward pass, as in the book.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .functions import as_labels, cross_entropy_error, sigmoid, softmax
from .rng import MRG32k3a
from .util import col2im_t, conv_output_size, im2col_t

Array = NDArray[np.float64]

# region: batch_norm
#: BatchNormalization's ε, written `10e-7` in the book.
BATCH_NORM_EPS = 10e-7
# endregion

__all__ = ["BATCH_NORM_EPS", "reuse", "Affine", "BatchNormalization", "Convolution", "Dropout", "Pooling", "Relu", "Sigmoid",
           "SoftmaxWithLoss"]


def reuse(buf: NDArray | None, shape: tuple[int, ...], dtype: type = np.float64) -> NDArray:
    """`buf` itself when it has this shape and dtype, else a new C-ordered array: a layer writes
    each result into the array of its previous call (the training loop calls it with the same
    shapes every step), so a result stays valid until the layer's next call."""
    if buf is not None and buf.shape == shape and buf.dtype == dtype:
        return buf
    return np.empty(shape, dtype=dtype)


# region: relu_layer
class Relu:
    """out = max(0, x); the mask is x <= 0, so the gradient at exactly 0 is 0."""

    # part: init
    def __init__(self) -> None:
        self.mask: NDArray[np.bool_] | None = None
        self.out: Array | None = None
        self.dx: Array | None = None

    # part: forward
    def forward(self, x: Array) -> Array:
        self.mask = np.less_equal(x, 0, out=reuse(self.mask, np.shape(x), np.bool_))
        # max(x, 0) is the book's copy with out[mask] = 0: -0.0 gives +0.0, NaN stays NaN
        self.out = np.maximum(x, 0.0, out=reuse(self.out, np.shape(x)))
        return self.out

    # part: backward
    def backward(self, dout: Array) -> Array:
        self.dx = reuse(self.dx, np.shape(dout))
        np.copyto(self.dx, dout)
        np.putmask(self.dx, self.mask, 0.0)  # dx[mask] = 0
        return self.dx
# endregion


# region: sigmoid_layer
class Sigmoid:
    """out = 1 / (1 + exp(−x)); dx = dout·(1 − out)·out."""

    # part: init
    def __init__(self) -> None:
        self.out: Array | None = None

    # part: forward
    def forward(self, x: Array) -> Array:
        self.out = sigmoid(x)
        return self.out

    # part: backward
    def backward(self, dout: Array) -> Array:
        return dout * (1.0 - self.out) * self.out
# endregion


# region: affine
class Affine:
    """out = x·W + b; dx = dout·Wᵀ, dW = xᵀ·dout, db = Σ_rows dout.

    x of ndim >= 2 is flattened to (N, D) and dx comes back in x's shape. A 1-D x is one
    sample: out and dx are 1-D, dW = x ⊗ dout, db = dout.
    """

    # part: init
    def __init__(self, W: Array, b: Array) -> None:
        self.W = W
        self.b = b
        self.x: Array | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: Array | None = None
        self.db: Array | None = None
        self.out: Array | None = None
        self.dx: Array | None = None
        self.dWt: Array | None = None

    # part: forward
    def forward(self, x: Array) -> Array:
        self.original_x_shape = x.shape
        self.x = x.reshape(1, -1) if x.ndim == 1 else x.reshape(x.shape[0], -1)
        out = self.out = reuse(self.out, (self.x.shape[0], self.W.shape[1]))
        np.dot(self.x, self.W, out=out)
        out += self.b
        return out[0] if x.ndim == 1 else out

    # part: backward
    def backward(self, dout: Array) -> Array:
        dout2 = dout.reshape(1, -1) if dout.ndim == 1 else dout
        dx = self.dx = reuse(self.dx, (dout2.shape[0], self.W.shape[0]))
        np.dot(dout2, self.W.T, out=dx)
        # dW = xᵀ·dout as (doutᵀ·x)ᵀ: the same sums, in the orientation BLAS computes faster
        self.dWt = np.dot(dout2.T, self.x, out=reuse(self.dWt, self.W.shape[::-1]))
        self.dW = self.dWt.T
        self.db = np.sum(dout2, axis=0, out=reuse(self.db, self.b.shape))
        return dx.reshape(self.original_x_shape)
# endregion


# region: softmax_with_loss
class SoftmaxWithLoss:
    """y = softmax(x), loss = cross-entropy(y, t); backward: dx = (y − onehot(t)) / N.

    A 1-D x is a batch of one (N = 1). backward ignores dout (it is the last layer).
    """

    # part: init
    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: Array | None = None
        self.t: NDArray | None = None
        self.dx: Array | None = None

    # part: forward
    def forward(self, x: Array, t: ArrayLike) -> float:
        self.t = np.asarray(t)
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, self.t)
        return self.loss

    # part: backward
    def backward(self, dout: float = 1) -> Array:
        y2 = self.y.reshape(1, -1) if self.y.ndim == 1 else self.y
        batch_size = y2.shape[0]
        dx = self.dx = reuse(self.dx, y2.shape)
        if self.t.size == y2.size:  # one-hot
            np.subtract(y2, self.t.reshape(y2.shape), out=dx)
        else:
            np.copyto(dx, y2)
            dx[np.arange(batch_size), as_labels(y2, self.t)] -= 1
        dx /= batch_size
        return dx.reshape(self.y.shape)
# endregion


# region: dropout
class Dropout:
    """Training: out = x·mask with mask = rand(x.shape) > dropout_ratio; dx = dout·mask.
    Test: out = x·(1 − dropout_ratio), and backward gives dout·(1 − dropout_ratio)."""

    # part: init
    def __init__(self, dropout_ratio: float = 0.5, rng: MRG32k3a | None = None) -> None:
        self.dropout_ratio = dropout_ratio
        self.rng = rng if rng is not None else MRG32k3a(0)
        self.mask: NDArray[np.bool_] | None = None
        self.train_flg = True

    # part: forward
    def forward(self, x: Array, train_flg: bool = True) -> Array:
        self.train_flg = train_flg
        if train_flg:
            self.mask = self.rng.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    # part: backward
    def backward(self, dout: Array) -> Array:
        if self.train_flg:
            return dout * self.mask
        return dout * (1.0 - self.dropout_ratio)
# endregion


# region: batch_norm
class BatchNormalization:
    """Batch normalisation (book 6.3): xn = (x − μ) / sqrt(σ² + ε), out = γ·xn + β.

    Training uses the batch's μ, σ² and updates the running statistics with
    r ← momentum·r + (1 − momentum)·batch value; test mode uses the running statistics.
    """

    # part: init
    def __init__(
        self,
        gamma: Array,
        beta: Array,
        momentum: float = 0.9,
        running_mean: Array | None = None,
        running_var: Array | None = None,
    ) -> None:
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.input_shape: tuple[int, ...] | None = None
        self.running_mean = running_mean
        self.running_var = running_var
        self.train_flg = True
        self.batch_size: int | None = None
        self.xc: Array | None = None
        self.xn: Array | None = None
        self.std: Array | None = None
        self.dgamma: Array | None = None
        self.dbeta: Array | None = None

    # part: forward
    def forward(self, x: Array, train_flg: bool = True) -> Array:
        self.input_shape = x.shape
        x = x.reshape(x.shape[0], -1)
        out = self.__forward(x, train_flg)
        return out.reshape(*self.input_shape)

    def __forward(self, x: Array, train_flg: bool) -> Array:
        if self.running_mean is None:
            _, d = x.shape
            self.running_mean = np.zeros(d)
            self.running_var = np.zeros(d)
        self.train_flg = train_flg
        if train_flg:
            mu = x.mean(axis=0)
            xc = x - mu
            var = np.mean(xc**2, axis=0)
            std = np.sqrt(var + BATCH_NORM_EPS)
            xn = xc / std
            self.batch_size = x.shape[0]
            self.xc = xc
            self.xn = xn
            self.std = std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:
            xc = x - self.running_mean
            self.std = np.sqrt(self.running_var + BATCH_NORM_EPS)
            xn = xc / self.std
            self.xn = xn
        return self.gamma * xn + self.beta

    # part: backward
    def backward(self, dout: Array) -> Array:
        dout = dout.reshape(dout.shape[0], -1)
        dx = self.__backward(dout)
        return dx.reshape(*self.input_shape)

    def __backward(self, dout: Array) -> Array:
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        if self.train_flg:
            dxc = dxn / self.std
            dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
            dvar = 0.5 * dstd / self.std
            dxc += (2.0 / self.batch_size) * self.xc * dvar
            dmu = np.sum(dxc, axis=0)
            dx = dxc - dmu / self.batch_size
        else:
            dx = dxn / self.std  # the test-mode forward is affine in x
        self.dgamma = dgamma
        self.dbeta = dbeta
        return dx
# endregion


# --- chapter 7 ----------------------------------------------------------------------------------


# region: convolution
class Convolution:
    """out[n, f, i, j] = Σ_{c,y,x} W[f, c, y, x]·img[n, c, i·stride + y, j·stride + x] + b[f]: with
    col = im2col(x) and W_col = W as FN rows of C·FH·FW, out = col·W_colᵀ + b, reshaped to
    N × FN × out_h × out_w. Backward: dW = doutᵀ·col, db = Σ dout, dx = col2im(dout·W_col).

    col is kept transposed (one column per window), and dout as dout_f, FN × N·out_h·out_w: then
    outᵀ = W_col·colᵀ, dW = dout_f·col and dcolᵀ = W_colᵀ·dout_f are each one product."""

    # part: init
    def __init__(self, W: Array, b: Array, stride: int = 1, pad: int = 0) -> None:
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x_shape: tuple[int, ...] | None = None
        self.col_t: Array | None = None
        self.dW: Array | None = None
        self.db: Array | None = None

    # part: forward
    def forward(self, x: Array) -> Array:
        fn, _, fh, fw = self.W.shape
        n, _, h, w = x.shape
        out_h, out_w = conv_output_size(h, fh, self.stride, self.pad), conv_output_size(w, fw, self.stride, self.pad)
        self.x_shape = x.shape
        self.col_t = im2col_t(x, fh, fw, self.stride, self.pad)
        out = self.W.reshape(fn, -1) @ self.col_t                    # FN × N·out_h·out_w
        out += self.b[:, None]
        return out.reshape(fn, n, out_h, out_w).transpose(1, 0, 2, 3)

    # part: backward
    def backward(self, dout: Array) -> Array:
        fn, c, fh, fw = self.W.shape
        dout_f = dout.transpose(1, 0, 2, 3).reshape(fn, -1)           # FN × N·out_h·out_w
        self.db = dout_f.sum(axis=1)
        self.dW = (dout_f @ self.col_t.T).reshape(fn, c, fh, fw)
        dcol_t = self.W.reshape(fn, -1).T @ dout_f
        return col2im_t(dcol_t, self.x_shape, fh, fw, self.stride, self.pad)
# endregion


# region: pooling
class Pooling:
    """Max pooling: out[n, c, i, j] = the maximum of the pool_h × pool_w window at (i·stride, j·stride)
    of x zero-padded by pad, the first maximum in window order (np.argmax's rule; a NaN is a
    maximum). Backward routes dout[n, c, i, j] to that element, adding where windows overlap.

    The book takes the maximum of each row of im2col(x); here the window's pool_h·pool_w elements
    are visited in the same order as strided views of the padded image, so the windows are never
    copied out: the same maximum, the same argmax."""

    # part: init
    def __init__(self, pool_h: int, pool_w: int, stride: int = 2, pad: int = 0) -> None:
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape: tuple[int, ...] | None = None
        self.arg_max: NDArray[np.intp] | None = None

    # part: helper
    def element(self, padded: Array, k: int, out_h: int, out_w: int) -> Array:
        """Element k (row by row) of every window: a strided view of the padded image."""
        y, x = divmod(k, self.pool_w)
        return padded[:, :, y:y + self.stride * out_h:self.stride, x:x + self.stride * out_w:self.stride]

    # part: forward
    def forward(self, x: Array) -> Array:
        n, c, h, w = x.shape
        out_h = conv_output_size(h, self.pool_h, self.stride, self.pad)
        out_w = conv_output_size(w, self.pool_w, self.stride, self.pad)
        p = self.pad
        padded = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x
        out = self.element(padded, 0, out_h, out_w).copy()
        self.arg_max = np.zeros(out.shape, dtype=np.intp)
        nan = bool(np.isnan(x).any())
        take = np.empty(out.shape, dtype=np.bool_)
        for k in range(1, self.pool_h * self.pool_w):
            v = self.element(padded, k, out_h, out_w)
            # a later element wins only when strictly larger, or a NaN after numbers
            np.greater(v, out, out=take)
            if nan:
                take |= np.isnan(v) & ~np.isnan(out)
            np.copyto(out, v, where=take)
            np.copyto(self.arg_max, k, where=take)
        self.x_shape = x.shape
        return out

    # part: backward
    def backward(self, dout: Array) -> Array:
        n, c, h, w = self.x_shape
        out_h, out_w = dout.shape[2:]
        p = self.pad
        dpadded = np.zeros((n, c, h + 2 * p + self.stride - 1, w + 2 * p + self.stride - 1))
        for k in range(self.pool_h * self.pool_w):
            self.element(dpadded, k, out_h, out_w)[...] += np.where(self.arg_max == k, dout, 0.0)
        return dpadded[:, :, p:p + h, p:p + w]
# endregion
