"""Parameter update rules (book 6.1, `common/optimizer.py`). Each `update` changes `params`
in place, so networks whose layers alias those arrays see the new values."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Params = dict[str, Array]

#: Keeps AdaGrad, RMSprop and Adam from dividing by zero.
EPSILON = 1e-7

__all__ = ["OPTIMIZERS", "SGD", "AdaGrad", "Adam", "Momentum", "Nesterov", "RMSprop", "make_optimizer"]


# region: sgd
def zeros_like_all(params: Params) -> Params:
    """A zero array of each parameter's shape: the initial state of the stateful optimizers."""
    return {key: np.zeros_like(val) for key, val in params.items()}


class SGD:
    """W ← W − lr·∂L/∂W."""

    # part: init
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.step: Params = {}  # lr·g of each key, written in place every update

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            g = grads[key]
            step = self.step.get(key)
            if step is None or step.shape != g.shape:
                step = self.step[key] = np.empty_like(g, dtype=np.float64)
            params[key] -= np.multiply(self.lr, g, out=step)

    # part: state
    def state_dict(self) -> dict[str, object]:
        """What the update keeps between steps (README section 8's checkpoint): nothing."""
        return {}

    def load_state_dict(self, state: dict[str, object]) -> None:
        pass
# endregion


# region: momentum
class Momentum:
    """v ← momentum·v − lr·∂L/∂W;  W ← W + v."""

    # part: init
    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: Params | None = None

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        if self.v is None:
            self.v = zeros_like_all(params)
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]

    # part: state
    def state_dict(self) -> dict[str, object]:
        """{"v": the velocities}; Nesterov's too."""
        return {"v": self.v}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.v = dict(state["v"])
# endregion


# region: nesterov
class Nesterov(Momentum):
    """Nesterov's accelerated gradient in the book's form (common/optimizer.py since 2021):
    W ← W + momentum²·v − (1 + momentum)·lr·g, with the previous v;  then v ← momentum·v − lr·g."""

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        if self.v is None:
            self.v = zeros_like_all(params)
        for key in params:
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
# endregion


# region: adagrad
class AdaGrad:
    """h ← h + g²;  W ← W − lr·g / (sqrt(h) + 1e-7)."""

    # part: init
    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr
        self.h: Params | None = None

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        if self.h is None:
            self.h = zeros_like_all(params)
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + EPSILON)

    # part: state
    def state_dict(self) -> dict[str, object]:
        """{"h": the accumulated squares}; RMSprop's too."""
        return {"h": self.h}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.h = dict(state["h"])
# endregion


# region: rmsprop
class RMSprop(AdaGrad):
    """h ← decay·h + (1 − decay)·g²;  W ← W − lr·g / (sqrt(h) + 1e-7)."""

    # part: init
    def __init__(self, lr: float = 0.01, decay_rate: float = 0.99) -> None:
        super().__init__(lr)
        self.decay_rate = decay_rate

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        if self.h is None:
            self.h = zeros_like_all(params)
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + EPSILON)
# endregion


# region: adam
class Adam:
    """lr_t = lr·sqrt(1 − β2^t) / (1 − β1^t);  m ← m + (1 − β1)(g − m);  v ← v + (1 − β2)(g² − v);
    W ← W − lr_t·m / (sqrt(v) + 1e-7)."""

    # part: init
    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.iter = 0
        self.m: Params | None = None
        self.v: Params | None = None

    # part: update
    def update(self, params: Params, grads: Params) -> None:
        if self.m is None:
            self.m = zeros_like_all(params)
            self.v = zeros_like_all(params)
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for key in params:
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + EPSILON)

    # part: state
    def state_dict(self) -> dict[str, object]:
        """{"iter": updates so far, "m", "v": the moments}."""
        return {"iter": self.iter, "m": self.m, "v": self.v}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.iter, self.m, self.v = int(state["iter"]), dict(state["m"]), dict(state["v"])
# endregion


Optimizer = SGD | Momentum | Nesterov | AdaGrad | RMSprop | Adam

#: name → (class, the hyper-parameters it takes)
OPTIMIZERS: dict[str, tuple[type, tuple[str, ...]]] = {
    "sgd": (SGD, ("lr",)),
    "momentum": (Momentum, ("lr", "momentum")),
    "nesterov": (Nesterov, ("lr", "momentum")),
    "adagrad": (AdaGrad, ("lr",)),
    "rmsprop": (RMSprop, ("lr", "decay_rate")),
    "adam": (Adam, ("lr", "beta1", "beta2")),
}


def make_optimizer(name: str, hyper: dict[str, float] | None = None) -> Optimizer:
    """The optimizer called `name` with the given hyper-parameters (others at the book's
    defaults; keys it does not use are ignored)."""
    cls, keys = OPTIMIZERS[name.lower()]
    hyper = hyper or {}
    return cls(**{key: float(hyper[key]) for key in keys if key in hyper})
