"""The book's networks: the fixed 3-layer network (ch. 3), simpleNet (ch. 4), TwoLayerNet (ch. 5),
MultiLayerNet and MultiLayerNetExtend (ch. 6), SimpleConvNet (ch. 7), DeepConvNet (ch. 8)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Literal, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .functions import as_labels, cross_entropy_error, identity_function, sigmoid, softmax
from .gradient import numerical_gradient
from .layers import Affine, BatchNormalization, Convolution, Dropout, Pooling, Relu, Sigmoid, SoftmaxWithLoss
from .rng import MRG32k3a
from .util import conv_output_size

Array = NDArray[np.float64]
Params = dict[str, Array]
#: A number, or "he"/"relu" for sqrt(2/n_in), or "xavier"/"sigmoid" for sqrt(1/n_in).
WeightInitStd = Union[float, str]

__all__ = [
    "NETWORKS",
    "MultiLayerNet",
    "MultiLayerNetExtend",
    "Params",
    "DeepConvNet",
    "SimpleConvNet",
    "SimpleNet",
    "TwoLayerNet",
    "forward",
    "init_network",
    "init_scale",
    "simpleNet",
]


# --- chapter 3: the 3-layer network with fixed weights -------------------------------------


# region: net3
def init_network() -> Params:
    """The book's hand-picked weights (3.4.3)."""
    return {
        "W1": np.array([[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]),
        "b1": np.array([0.1, 0.2, 0.3]),
        "W2": np.array([[0.1, 0.4], [0.2, 0.5], [0.3, 0.6]]),
        "b2": np.array([0.1, 0.2]),
        "W3": np.array([[0.1, 0.3], [0.2, 0.4]]),
        "b3": np.array([0.1, 0.2]),
    }


def forward_trace(network: Params, x: Array, output: Literal["identity", "softmax"] = "identity") -> dict[str, Array]:
    """Every intermediate of the 3-layer forward pass:
    a1 = x·W1 + b1, z1 = σ(a1), a2 = z1·W2 + b2, z2 = σ(a2), a3 = z2·W3 + b3, y = out(a3)."""
    W1, W2, W3 = network["W1"], network["W2"], network["W3"]
    b1, b2, b3 = network["b1"], network["b2"], network["b3"]
    a1 = np.dot(x, W1) + b1
    z1 = sigmoid(a1)
    a2 = np.dot(z1, W2) + b2
    z2 = sigmoid(a2)
    a3 = np.dot(z2, W3) + b3
    y = softmax(a3) if output == "softmax" else identity_function(a3)
    return {"a1": a1, "z1": z1, "a2": a2, "z2": z2, "a3": a3, "y": y}


def forward(network: Params, x: Array) -> Array:
    """y of the 3-layer network with an identity output (book 3.4.3)."""
    return forward_trace(network, x)["y"]
# endregion


# --- chapter 4: simpleNet -------------------------------------------------------------------


# region: simple_net
class SimpleNet:
    """A single 2x3 weight matrix: predict = x·W, loss = cross-entropy(softmax(x·W), t)."""

    # part: init
    def __init__(self, W: Array | None = None, rng: MRG32k3a | None = None) -> None:
        if W is None:
            W = (rng or MRG32k3a(0)).randn(2, 3)
        self.W = W

    # part: predict
    def predict(self, x: Array) -> Array:
        return np.dot(x, self.W)

    # part: loss
    def loss(self, x: Array, t: ArrayLike) -> float:
        return cross_entropy_error(softmax(self.predict(x)), t)

    # part: numerical_gradient
    def numerical_gradient(self, x: Array, t: ArrayLike) -> Array:
        """∂loss/∂W by central differences (W perturbed in place)."""
        return numerical_gradient(lambda _W: self.loss(x, t), self.W)


simpleNet = SimpleNet  # noqa: N816 - the book's name
# endregion


# --- chapter 5: TwoLayerNet -----------------------------------------------------------------


# region: two_layer_net
def accuracy_of(scores: Array, t: ArrayLike) -> float:
    """Fraction of rows whose argmax equals the label (t labels or one-hot)."""
    y = np.argmax(scores, axis=1)
    labels = as_labels(scores, t)
    return float(np.sum(y == labels) / float(scores.shape[0]))


class TwoLayerNet:
    """Affine → ReLU → Affine → SoftmaxWithLoss (book 5.7).

    W1 = std·randn(input, hidden) then W2 = std·randn(hidden, output) from one generator; zero
    biases. The layers hold references to the arrays of `params`, so updating `params` in place
    (as the optimizers do) updates the network.
    """

    # part: init
    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        rng: MRG32k3a | None = None,
        params: Params | None = None,
    ) -> None:
        if params is None:
            rng = rng if rng is not None else MRG32k3a(0)
            params = {
                "W1": weight_init_std * rng.randn(input_size, hidden_size),
                "b1": np.zeros(hidden_size),
                "W2": weight_init_std * rng.randn(hidden_size, output_size),
                "b2": np.zeros(output_size),
            }
        self.params: Params = params
        self.layers: OrderedDict[str, Affine | Relu] = OrderedDict()
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.last_layer = SoftmaxWithLoss()

    @classmethod
    def from_params(cls, params: Params) -> TwoLayerNet:
        """A network around existing parameters (W1, b1, W2, b2)."""
        return cls(params["W1"].shape[0], params["W1"].shape[1], params["W2"].shape[1], params=params)

    # part: predict
    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    # part: loss
    def loss(self, x: Array, t: ArrayLike) -> float:
        return self.last_layer.forward(self.predict(x), t)

    # part: accuracy
    def accuracy(self, x: Array, t: ArrayLike) -> float:
        return accuracy_of(self.predict(x), t)

    # part: numerical_gradient
    def numerical_gradient(self, x: Array, t: ArrayLike) -> Params:
        def loss_w(_w: Array) -> float:
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2")}

    # part: gradient
    def gradient(self, x: Array, t: ArrayLike) -> Params:
        """Backpropagation: forward, then the layers' backward in reverse order."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        affine1, affine2 = self.layers["Affine1"], self.layers["Affine2"]
        return {"W1": affine1.dW, "b1": affine1.db, "W2": affine2.dW, "b2": affine2.db}
# endregion


# --- chapter 6: MultiLayerNet ---------------------------------------------------------------


# region: multi_layer_net
#: The numerator of std = sqrt(gain / n_in): He's for ReLU, Xavier's for sigmoid.
INIT_GAINS = {"relu": 2.0, "he": 2.0, "sigmoid": 1.0, "xavier": 1.0}


def init_scale(weight_init_std: WeightInitStd, n_in: int) -> float:
    """std of a layer's weights: the number itself, sqrt(2/n_in) for "he"/"relu",
    sqrt(1/n_in) for "xavier"/"sigmoid"."""
    if isinstance(weight_init_std, str):
        return float(np.sqrt(INIT_GAINS[weight_init_std.lower()] / n_in))
    return float(weight_init_std)


ACTIVATIONS = {"sigmoid": Sigmoid, "relu": Relu}


class MultiLayerNet:
    """Fully connected net of any depth (book 6.1, `common/multi_layer_net.py`).

    (Affine → activation) for each hidden layer, a last Affine and SoftmaxWithLoss; loss
    includes the L2 weight decay ½·λ·Σ_i ‖W_i‖², and dW_i gets the matching λ·W_i.
    """

    # part: init
    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: WeightInitStd = "relu",
        weight_decay_lambda: float = 0.0,
        rng: MRG32k3a | None = None,
        params: Params | None = None,
    ) -> None:
        self.input_size = input_size
        self.output_size = output_size
        self.hidden_size_list = list(hidden_size_list)
        self.hidden_layer_num = len(hidden_size_list)
        self.weight_decay_lambda = weight_decay_lambda
        sizes = [input_size, *hidden_size_list, output_size]
        if params is None:
            rng = rng if rng is not None else MRG32k3a(0)
            params = {}
            for idx in range(1, len(sizes)):
                scale = init_scale(weight_init_std, sizes[idx - 1])
                params[f"W{idx}"] = scale * rng.randn(sizes[idx - 1], sizes[idx])
                params[f"b{idx}"] = np.zeros(sizes[idx])
        self.params: Params = params

        self.layers: OrderedDict[str, object] = OrderedDict()
        for idx in range(1, self.hidden_layer_num + 1):
            self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
            self.add_hidden_layers(idx, activation)
        idx = self.hidden_layer_num + 1
        self.layers[f"Affine{idx}"] = Affine(self.params[f"W{idx}"], self.params[f"b{idx}"])
        self.last_layer = SoftmaxWithLoss()

    # part: layers
    def add_hidden_layers(self, idx: int, activation: str) -> None:
        """What follows Affine{idx}: the activation."""
        self.layers[f"Activation_function{idx}"] = ACTIVATIONS[activation]()

    # part: predict
    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    # part: loss
    def weight_decay(self) -> float:
        """Σ_i ½·λ·Σ W_i², summed layer by layer."""
        decay = 0.0
        for idx in range(1, self.hidden_layer_num + 2):
            W = self.params[f"W{idx}"]
            decay += 0.5 * self.weight_decay_lambda * np.sum(W**2)
        return float(decay)

    def loss(self, x: Array, t: ArrayLike) -> float:
        """data loss + Σ_i ½·λ·Σ W_i²."""
        return self.last_layer.forward(self.predict(x), t) + self.weight_decay()

    # part: accuracy
    def accuracy(self, x: Array, t: ArrayLike) -> float:
        return accuracy_of(self.predict(x), t)

    # part: helper
    def param_keys(self, idx: int) -> tuple[str, ...]:
        """The parameters of layer idx, in the book's order."""
        return (f"W{idx}", f"b{idx}")

    def training_loss(self, x: Array, t: ArrayLike) -> float:
        """The loss that gradient differentiates."""
        return self.loss(x, t)

    # part: numerical_gradient
    def numerical_gradient(self, x: Array, t: ArrayLike) -> Params:
        def loss_w(_w: Array) -> float:
            return self.training_loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key])
                for idx in range(1, self.hidden_layer_num + 2) for key in self.param_keys(idx)}

    # part: gradient
    def backprop(self) -> Params:
        """The layers' backward in reverse order after a forward pass; dW_i = backprop dW_i + λ·W_i."""
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads: Params = {}
        for idx in range(1, self.hidden_layer_num + 2):
            affine = self.layers[f"Affine{idx}"]
            grads[f"W{idx}"] = affine.dW + self.weight_decay_lambda * affine.W
            grads[f"b{idx}"] = affine.db
        return grads

    def gradient(self, x: Array, t: ArrayLike) -> Params:
        self.training_loss(x, t)
        return self.backprop()
# endregion


# region: multi_layer_net_extend
class MultiLayerNetExtend(MultiLayerNet):
    """MultiLayerNet with weight decay, Dropout and batch normalisation (book 6.3–6.4,
    `common/multi_layer_net_extend.py`).

    Each hidden layer is Affine → [BatchNorm] → activation → [Dropout]; then a last Affine and
    SoftmaxWithLoss. Weights as MultiLayerNet's; γ_i = 1 and β_i = 0 for every hidden layer with
    batch norm. Every forward pass draws its Dropout masks from one generator seeded with
    `dropout_seed`, layer by layer, so repeated passes (the numerical gradient) see the same masks.
    """

    # part: init
    def __init__(
        self,
        input_size: int,
        hidden_size_list: list[int],
        output_size: int,
        activation: str = "relu",
        weight_init_std: WeightInitStd = "relu",
        weight_decay_lambda: float = 0.0,
        use_dropout: bool = False,
        dropout_ration: float = 0.5,
        use_batchnorm: bool = False,
        rng: MRG32k3a | None = None,
        params: Params | None = None,
        dropout_seed: int = 0,
    ) -> None:
        self.use_dropout, self.dropout_ration, self.use_batchnorm = use_dropout, dropout_ration, use_batchnorm
        self.dropout_seed = dropout_seed
        super().__init__(input_size, hidden_size_list, output_size, activation, weight_init_std, weight_decay_lambda, rng, params)

    # part: layers
    def add_hidden_layers(self, idx: int, activation: str) -> None:
        """[BatchNorm{idx}] (γ = ones, β = zeros unless given), the activation, [Dropout{idx}]."""
        if self.use_batchnorm:
            size = self.hidden_size_list[idx - 1]
            gamma = self.params.setdefault(f"gamma{idx}", np.ones(size))
            beta = self.params.setdefault(f"beta{idx}", np.zeros(size))
            self.layers[f"BatchNorm{idx}"] = BatchNormalization(gamma, beta)
        super().add_hidden_layers(idx, activation)
        if self.use_dropout:
            self.layers[f"Dropout{idx}"] = Dropout(self.dropout_ration)

    # part: state
    def batch_norms(self) -> list[tuple[int, BatchNormalization]]:
        return [(i, self.layers[f"BatchNorm{i}"]) for i in range(1, self.hidden_layer_num + 1) if self.use_batchnorm]

    @property
    def running_stats(self) -> Params:
        """running_mean{i}, running_var{i} of every batch-norm layer (None before the first pass)."""
        return {k: v for i, bn in self.batch_norms() for k, v in ((f"running_mean{i}", bn.running_mean), (f"running_var{i}", bn.running_var))}

    @running_stats.setter
    def running_stats(self, stats: Params) -> None:
        for i, bn in self.batch_norms():
            bn.running_mean, bn.running_var = stats[f"running_mean{i}"], stats[f"running_var{i}"]

    # part: predict
    def predict(self, x: Array, train_flg: bool = False) -> Array:
        masks = MRG32k3a(self.dropout_seed) if self.use_dropout and train_flg else None
        for layer in self.layers.values():
            if isinstance(layer, Dropout):
                layer.rng = masks
            x = layer.forward(x, train_flg) if isinstance(layer, (Dropout, BatchNormalization)) else layer.forward(x)
        return x

    # part: loss
    def loss(self, x: Array, t: ArrayLike, train_flg: bool = False) -> float:
        """data loss + Σ_i ½·λ·Σ W_i²."""
        return self.last_layer.forward(self.predict(x, train_flg), t) + self.weight_decay()

    # part: helper
    def param_keys(self, idx: int) -> tuple[str, ...]:
        """W, b and, in a hidden layer with batch norm, gamma, beta (the book's order)."""
        with_bn = self.use_batchnorm and idx <= self.hidden_layer_num
        return (f"W{idx}", f"b{idx}", *((f"gamma{idx}", f"beta{idx}") if with_bn else ()))

    def training_loss(self, x: Array, t: ArrayLike) -> float:
        """The training-mode loss: the one the book's gradient and numerical_gradient differentiate."""
        return self.loss(x, t, train_flg=True)

    # part: gradient
    def gradient(self, x: Array, t: ArrayLike) -> Params:
        """Backpropagation through a training-mode pass; dγ_i, dβ_i from the batch-norm layers."""
        grads = super().gradient(x, t)
        for idx, bn in self.batch_norms():
            grads[f"gamma{idx}"], grads[f"beta{idx}"] = bn.dgamma, bn.dbeta
        return {key: grads[key] for idx in range(1, self.hidden_layer_num + 2) for key in self.param_keys(idx)}
# endregion


# --- chapter 7: SimpleConvNet ----------------------------------------------------------------


# region: simple_conv_net
#: The book's conv_param: 30 filters of 5 × 5, no padding, stride 1.
CONV_PARAM = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
#: SimpleConvNet.accuracy predicts this many samples at a time.
ACCURACY_BATCH = 100


class SimpleConvNet:
    """Convolution → ReLU → Pooling(2 × 2, stride 2) → Affine → ReLU → Affine → SoftmaxWithLoss (book 7.5).

    W1 = std·randn(FN, C, FS, FS), W2 = std·randn(FN·PH·PW, hidden), W3 = std·randn(hidden, output)
    from one generator, zero biases; PH × PW is the pooled size, (conv output) // 2 on each side.
    """

    # part: init
    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        conv_param: dict[str, int] | None = None,
        hidden_size: int = 100,
        output_size: int = 10,
        weight_init_std: float = 0.01,
        rng: MRG32k3a | None = None,
        params: Params | None = None,
    ) -> None:
        conv = {**CONV_PARAM, **(conv_param or {})}
        fn, fs, pad, stride = conv["filter_num"], conv["filter_size"], conv["pad"], conv["stride"]
        c, h, w = input_dim
        pooled = fn * (conv_output_size(h, fs, stride, pad) // 2) * (conv_output_size(w, fs, stride, pad) // 2)
        if params is None:
            rng = rng if rng is not None else MRG32k3a(0)
            params = {"W1": weight_init_std * rng.randn(fn, c, fs, fs), "b1": np.zeros(fn),
                      "W2": weight_init_std * rng.randn(pooled, hidden_size), "b2": np.zeros(hidden_size),
                      "W3": weight_init_std * rng.randn(hidden_size, output_size), "b3": np.zeros(output_size)}
        self.params: Params = params
        self.layers: OrderedDict[str, Any] = OrderedDict()
        self.layers["Conv1"] = Convolution(params["W1"], params["b1"], stride, pad)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(2, 2, stride=2)
        self.layers["Affine1"] = Affine(params["W2"], params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(params["W3"], params["b3"])
        self.last_layer = SoftmaxWithLoss()

    # part: predict
    def predict(self, x: Array) -> Array:
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    # part: loss
    def loss(self, x: Array, t: ArrayLike) -> float:
        return self.last_layer.forward(self.predict(x), t)

    # part: accuracy
    def accuracy(self, x: Array, t: ArrayLike, batch_size: int = ACCURACY_BATCH) -> float:
        """The fraction of all samples whose argmax is t, predicted batch_size at a time (the book
        leaves out a last partial batch but still divides by every sample)."""
        labels = as_labels(np.empty((len(x), self.params["b3"].size)), t)
        correct = sum(int(np.sum(np.argmax(self.predict(x[i:i + batch_size]), axis=1) == labels[i:i + batch_size]))
                      for i in range(0, len(x), batch_size))
        return correct / len(x)

    # part: numerical_gradient
    def numerical_gradient(self, x: Array, t: ArrayLike) -> Params:
        def loss_w(_w: Array) -> float:
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, self.params[key]) for key in ("W1", "b1", "W2", "b2", "W3", "b3")}

    # part: gradient
    def gradient(self, x: Array, t: ArrayLike) -> Params:
        """Backpropagation: forward, then the layers' backward in reverse order."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for i, name in enumerate(("Conv1", "Affine1", "Affine2"), start=1):
            grads[f"W{i}"], grads[f"b{i}"] = self.layers[name].dW, self.layers[name].db
        return grads
# endregion


# --- chapter 8: DeepConvNet ----------------------------------------------------------------


# region: deep_conv_net
#: The book's six convolutions: (filter_num, pad), every filter 3 × 3 of stride 1; a 2 × 2 pooling
#: of stride 2 after the second, fourth and sixth.
DEEP_CONVS = ((16, 1), (16, 1), (32, 1), (32, 2), (64, 1), (64, 1))
DEEP_POOL_AFTER = (2, 4, 6)


def deep_conv_sizes(height: int, width: int) -> list[tuple[int, int]]:
    """The image size after each convolution and pooling, in order (a 3 × 3 filter with pad p adds
    2p - 2; a pooling halves, rounding down)."""
    sizes, (h, w) = [], (height, width)
    for i, (_, pad) in enumerate(DEEP_CONVS, start=1):
        h, w = h + 2 * pad - 2, w + 2 * pad - 2
        sizes.append((h, w))
        if i in DEEP_POOL_AFTER:
            h, w = h // 2, w // 2
            sizes.append((h, w))
    return sizes


class DeepConvNet:
    """conv – relu – conv – relu – pool, three times (16, 16, 32, 32, 64, 64 filters of 3 × 3), then
    affine – relu – dropout(0.5) – affine – dropout(0.5) – softmax (book 8.1, `ch08/deep_convnet.py`).

    He scales sqrt(2 / n) with n the inputs of one unit: C·3·3, 16·3·3, 16·3·3, 32·3·3, 32·3·3,
    64·3·3, 64·PH·PW (the last pooling's output; 64·4·4 for 28 × 28 images) and hidden_size;
    W1 … W8 drawn in that order. Every training-mode pass draws its two Dropout masks from one
    generator seeded with `dropout_seed`, first layer first.
    """

    use_dropout = True

    # part: init
    def __init__(
        self,
        input_dim: tuple[int, int, int] = (1, 28, 28),
        hidden_size: int = 50,
        output_size: int = 10,
        rng: MRG32k3a | None = None,
        params: Params | None = None,
        dropout_seed: int = 0,
    ) -> None:
        c, h, w = input_dim
        ph, pw = deep_conv_sizes(h, w)[-1]
        fan_in = [c * 9, *(f * 9 for f, _ in DEEP_CONVS[:-1]), DEEP_CONVS[-1][0] * ph * pw, hidden_size]
        scales = np.sqrt(2.0 / np.array(fan_in, dtype=np.float64))
        if params is None:
            rng = rng if rng is not None else MRG32k3a(0)
            params, channels = {}, c
            for i, (filters, _) in enumerate(DEEP_CONVS, start=1):
                params[f"W{i}"] = scales[i - 1] * rng.randn(filters, channels, 3, 3)
                params[f"b{i}"] = np.zeros(filters)
                channels = filters
            params["W7"], params["b7"] = scales[6] * rng.randn(channels * ph * pw, hidden_size), np.zeros(hidden_size)
            params["W8"], params["b8"] = scales[7] * rng.randn(hidden_size, output_size), np.zeros(output_size)
        self.params: Params = params
        self.dropout_seed = dropout_seed
        self.layers: list[Any] = []
        for i, (_, pad) in enumerate(DEEP_CONVS, start=1):
            self.layers += [Convolution(params[f"W{i}"], params[f"b{i}"], 1, pad), Relu()]
            if i in DEEP_POOL_AFTER:
                self.layers.append(Pooling(2, 2, stride=2))
        self.layers += [Affine(params["W7"], params["b7"]), Relu(), Dropout(0.5),
                        Affine(params["W8"], params["b8"]), Dropout(0.5)]
        self.last_layer = SoftmaxWithLoss()

    # part: predict
    def predict(self, x: Array, train_flg: bool = False) -> Array:
        masks = MRG32k3a(self.dropout_seed) if train_flg else None
        for layer in self.layers:
            if isinstance(layer, Dropout):
                layer.rng = masks
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    # part: loss
    def loss(self, x: Array, t: ArrayLike, train_flg: bool = True) -> float:
        """The book's loss is a training-mode pass (its Dropout masks drawn)."""
        return self.last_layer.forward(self.predict(x, train_flg), t)

    # part: accuracy
    def accuracy(self, x: Array, t: ArrayLike, batch_size: int = ACCURACY_BATCH) -> float:
        """The fraction of all samples whose test-mode argmax is t, batch_size at a time."""
        labels = as_labels(np.empty((len(x), self.params["b8"].size)), t)
        correct = sum(int(np.sum(np.argmax(self.predict(x[i:i + batch_size]), axis=1) == labels[i:i + batch_size]))
                      for i in range(0, len(x), batch_size))
        return correct / len(x)

    # part: gradient
    def gradient(self, x: Array, t: ArrayLike) -> Params:
        """Backpropagation through a training-mode pass."""
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        weighted = [layer for layer in self.layers if isinstance(layer, (Convolution, Affine))]
        return {key: v for i, layer in enumerate(weighted, start=1) for key, v in ((f"W{i}", layer.dW), (f"b{i}", layer.db))}
# endregion


#: The networks a Trainer can train, by the name of their ops.
NETWORKS: dict[str, type] = {"two_layer_net": TwoLayerNet, "multi_layer_net": MultiLayerNet,
                             "multi_layer_net_extend": MultiLayerNetExtend, "simple_conv_net": SimpleConvNet,
                             "deep_conv_net": DeepConvNet}
